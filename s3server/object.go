package s3server

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
)

// objectSubresources are the query parameters that select an object
// operation this server does not implement.
var objectSubresources = []string{
	"acl", "attributes", "legal-hold", "retention", "restore", "select", "tagging", "torrent", "renameObject",
}

func objectSubresource(q url.Values) string {
	for _, s := range objectSubresources {
		if _, ok := q[s]; ok {
			return s
		}
	}
	return ""
}

// storageClasses are the storage classes S3 knows; the store keeps the
// name, and everything lives on the same disk.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "OUTPOSTS": true,
	"GLACIER_IR": true, "SNOW": true, "EXPRESS_ONEZONE": true,
}

// maxUserMetadata is the most bytes of x-amz-meta-* names and values S3
// accepts on an object.
const maxUserMetadata = 2048

// metadataFrom returns the object metadata that request headers h set:
// content headers, x-amz-meta-*, x-amz-tagging and x-amz-storage-class.
func metadataFrom(h http.Header) (objstore.Metadata, error) {
	m := objstore.Metadata{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    removeToken(h.Values("Content-Encoding"), "aws-chunked"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		Tagging:            h.Get("X-Amz-Tagging"),
	}
	size := 0
	for name, vals := range h {
		ln := strings.ToLower(name)
		if !strings.HasPrefix(ln, "x-amz-meta-") || ln == "x-amz-meta-" {
			continue
		}
		if m.User == nil {
			m.User = map[string]string{}
		}
		k, v := ln[len("x-amz-meta-"):], strings.Join(vals, ",")
		m.User[k] = v
		size += len(k) + len(v)
	}
	if size > maxUserMetadata {
		return m, s3err.New(s3err.MetadataTooLarge, "Your metadata headers exceed the maximum allowed metadata size").
			With("Size", itoa(int64(size))).With("MaxSizeAllowed", itoa(maxUserMetadata))
	}
	if m.Tagging != "" {
		if _, err := url.ParseQuery(m.Tagging); err != nil {
			return m, s3err.New(s3err.InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.").
				With("ArgumentName", "x-amz-tagging").With("ArgumentValue", m.Tagging)
		}
	}
	if sc := h.Get("X-Amz-Storage-Class"); sc != "" {
		if !storageClasses[sc] {
			return m, s3err.New(s3err.InvalidStorageClass, "The storage class you specified is not valid").
				With("ArgumentName", "x-amz-storage-class").With("ArgumentValue", sc)
		}
		if sc != "STANDARD" {
			m.StorageClass = sc
		}
	}
	if err := encryptionRefused(h); err != nil {
		return m, err
	}
	return m, nil
}

// encryptionRefused refuses a request that asks for server-side
// encryption (SSE-S3, SSE-KMS, SSE-C, a copy source's SSE-C key): the
// store does not encrypt, and never claims to, so it answers as S3 does
// for a feature it lacks, NotImplemented, naming the header. The same
// holds on PUT, POST forms, copies and multipart uploads.
func encryptionRefused(h http.Header) *s3err.Error {
	// In name order, so that the header named is the same every time
	// (x-amz-server-side-encryption before its -aws-kms-key-id).
	for _, name := range slices.Sorted(maps.Keys(h)) {
		ln := strings.ToLower(name)
		if strings.HasPrefix(ln, "x-amz-server-side-encryption") || strings.HasPrefix(ln, "x-amz-copy-source-server-side-encryption") {
			return s3err.New(s3err.NotImplemented, "A header you provided implies functionality that is not implemented: this store does not encrypt objects (server-side encryption).").
				With("Header", ln)
		}
	}
	return nil
}

// checksumType returns the checksum type of an object with checksums.
func checksumType(m objstore.Metadata) string {
	if m.ChecksumType != "" {
		return m.ChecksumType
	}
	return "FULL_OBJECT"
}

// setObjectHeaders sets the headers that describe an object on a GET or
// HEAD response; withChecksums adds its checksums.
func setObjectHeaders(hdr http.Header, info *objstore.ObjectInfo, withChecksums bool) {
	hdr.Set("ETag", quoteETag(info.ETag))
	hdr.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	hdr.Set("Accept-Ranges", "bytes")
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	hdr.Set("Content-Type", ct)
	for name, v := range map[string]string{
		"Content-Encoding":    info.ContentEncoding,
		"Content-Disposition": info.ContentDisposition,
		"Content-Language":    info.ContentLanguage,
		"Cache-Control":       info.CacheControl,
		"Expires":             info.Expires,
		"X-Amz-Storage-Class": info.StorageClass,
	} {
		if v != "" {
			hdr.Set(name, v)
		}
	}
	for k, v := range info.User {
		hdr["X-Amz-Meta-"+k] = []string{v}
	}
	if info.Tagging != "" {
		if tags, err := url.ParseQuery(info.Tagging); err == nil {
			hdr.Set("X-Amz-Tagging-Count", strconv.Itoa(len(tags)))
		}
	}
	if withChecksums {
		setChecksumHeaders(hdr, info.Checksums, checksumType(info.Metadata))
	}
}

// setChecksumHeaders sets x-amz-checksum-* headers for the checksums.
func setChecksumHeaders(hdr http.Header, sums map[string]string, typ string) {
	set := false
	for _, alg := range checksumAlgs {
		if v := sums[alg.name]; v != "" {
			hdr.Set(alg.header, v)
			set = true
		}
	}
	if set && typ != "" {
		hdr.Set("X-Amz-Checksum-Type", typ)
	}
}

// responseOverrides are the response-* query parameters of GetObject and
// HeadObject and the headers they replace.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

// applyOverrides sets the headers the response-* parameters of q name.
func applyOverrides(hdr http.Header, q url.Values) {
	for _, o := range responseOverrides {
		if v, ok := q[o.param]; ok && len(v) > 0 {
			hdr.Set(o.header, v[0])
		}
	}
}

// etagMatches reports whether the If-Match or If-None-Match list matches
// etag: "*" matches any, weak tags compare by their opaque value.
func etagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" || strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}

// errNotModified tells serveObject to answer 304.
var errNotModified = errors.New("s3server: not modified")

// conditionFailed is S3's PreconditionFailed for the header cond.
func conditionFailed(cond string) *s3err.Error {
	return s3err.New(s3err.PreconditionFailed, "At least one of the pre-conditions you specified did not hold").With("Condition", cond)
}

// checkConditions evaluates the conditional headers of a GET or HEAD (the
// header names are given with prefix, "" or "x-amz-copy-source-") against
// an object, in the order of RFC 9110 section 13.2.2, as S3 does: If-Match,
// else If-Unmodified-Since (412); then If-None-Match, else
// If-Modified-Since (errNotModified, or 412 when notModified412).
func checkConditions(hdr http.Header, prefix string, info *objstore.ObjectInfo, notModified412 bool) error {
	mod := info.LastModified.Truncate(time.Second)
	if v := hdr.Get(prefix + "If-Match"); v != "" {
		if !etagMatches(v, info.ETag) {
			return conditionFailed(prefix + "If-Match")
		}
	} else if v := hdr.Get(prefix + "If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return conditionFailed(prefix + "If-Unmodified-Since")
		}
	}
	notModified := false
	cond := ""
	if v := hdr.Get(prefix + "If-None-Match"); v != "" {
		notModified, cond = etagMatches(v, info.ETag), prefix+"If-None-Match"
	} else if v := hdr.Get(prefix + "If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			notModified, cond = true, prefix+"If-Modified-Since"
		}
	}
	if notModified {
		if notModified412 {
			return conditionFailed(cond)
		}
		return errNotModified
	}
	return nil
}

// byteRange is a satisfiable range of an object, both ends included.
type byteRange struct{ start, end int64 }

// parseRange parses a Range header against an object of size bytes. It
// returns nil for no header and for one S3 ignores (malformed, or several
// ranges), and InvalidRange when the range starts past the end.
func parseRange(v string, size int64) (*byteRange, error) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil, nil
	}
	unsatisfiable := s3err.New(s3err.InvalidRange, "The requested range is not satisfiable").
		With("RangeRequested", v).With("ActualObjectSize", itoa(size))
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0 && s != "" && s[0] != '+'
	}
	if first == "" {
		n, ok := num(last)
		if !ok {
			return nil, nil
		}
		if n == 0 || size == 0 {
			return nil, unsatisfiable
		}
		return &byteRange{max(size-n, 0), size - 1}, nil
	}
	s, ok := num(first)
	if !ok {
		return nil, nil
	}
	e := size - 1
	if last != "" {
		if e, ok = num(last); !ok || e < s {
			return nil, nil
		}
	}
	if s >= size {
		return nil, unsatisfiable
	}
	return &byteRange{s, min(e, size-1)}, nil
}

// getObject is GET /bucket/key: GetObject, or ListParts with ?uploadId.
func (h *Handler) getObject(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if _, ok := q["uploadId"]; ok {
		return h.listParts(w, r)
	}
	return h.serveObject(w, r, false)
}

// headObject is HeadObject: HEAD /bucket/key.
func (h *Handler) headObject(w http.ResponseWriter, r *http.Request) error {
	return h.serveObject(w, r, true)
}

// checkVersion refuses a versionId other than "null": the server keeps
// no versions.
func checkVersion(q url.Values) error {
	if v, ok := q["versionId"]; ok && len(v) > 0 && v[0] != "null" {
		return s3err.New(s3err.NoSuchVersion, "The specified version does not exist.").With("VersionId", v[0])
	}
	return nil
}

// checkObjectQuery refuses an object subresource this server lacks
// (NotImplemented) and a versionId other than "null", for the operations
// on an object itself.
func checkObjectQuery(q url.Values) error {
	if sub := objectSubresource(q); sub != "" {
		return notImplemented("?" + sub)
	}
	return checkVersion(q)
}

// partRange is the byte range of part n of the object of info, or S3's
// 416 InvalidPartNumber for a part it does not have. Part 1 of an object
// not uploaded in parts is all of it, still as a range (206 with
// Content-Range, as S3 answers), unless it is empty (nil: 200).
func partRange(info *objstore.ObjectInfo, n int) (*byteRange, error) {
	bad := s3err.New(s3err.InvalidPartNumber, "The requested partnumber is not satisfiable").
		With("PartNumberRequested", itoa(int64(n))).With("ActualPartCount", itoa(int64(max(info.Parts, 1))))
	switch {
	case info.Parts == 0 && n == 1 && info.Size == 0:
		return nil, nil
	case info.Parts == 0 && n == 1:
		return &byteRange{start: 0, end: info.Size - 1}, nil
	case n > max(info.Parts, 1):
		return nil, bad
	case len(info.PartSizes) != info.Parts:
		return nil, notImplemented("partNumber of a multipart object completed before part sizes were recorded")
	}
	var start int64
	for _, sz := range info.PartSizes[:n-1] {
		start += sz
	}
	if info.PartSizes[n-1] == 0 {
		return nil, bad
	}
	return &byteRange{start: start, end: start + info.PartSizes[n-1] - 1}, nil
}

// serveObject answers GetObject and HeadObject.
func (h *Handler) serveObject(w http.ResponseWriter, r *http.Request, head bool) error {
	q := r.URL.Query()
	if err := checkObjectQuery(q); err != nil {
		return err
	}
	bucket, key := bucketKey(r)
	ctx := r.Context()
	var (
		info objstore.ObjectInfo
		rng  *byteRange
		body io.ReadCloser
		err  error
		// partOf is the part count of a multipart object read by
		// partNumber.
		partOf int
	)
	// A plain GET (no condition, range or part) opens the object once and
	// answers with what it opened.
	plain := !head && r.Header.Get("Range") == "" && !q.Has("partNumber") && r.Header.Get("If-Match") == "" &&
		r.Header.Get("If-None-Match") == "" && r.Header.Get("If-Modified-Since") == "" && r.Header.Get("If-Unmodified-Since") == ""
	// Otherwise the object may be replaced between the look and the open:
	// then the conditions are evaluated again against what was opened.
	for attempt := 0; ; attempt++ {
		if plain {
			if body, info, err = h.store.GetObject(ctx, bucket, key, nil); err != nil {
				return err
			}
			break
		}
		if info, err = h.store.HeadObject(ctx, bucket, key); err != nil {
			return err
		}
		if err = checkConditions(r.Header, "", &info, false); err != nil {
			if err == errNotModified {
				hdr := w.Header()
				hdr.Set("ETag", quoteETag(info.ETag))
				hdr.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
				w.WriteHeader(http.StatusNotModified)
				return nil
			}
			return err
		}
		if rng, err = parseRange(r.Header.Get("Range"), info.Size); err != nil {
			return err
		}
		if pn := q.Get("partNumber"); pn != "" {
			n, err := strconv.Atoi(pn)
			if err != nil || n < 1 || n > 10000 {
				return s3err.New(s3err.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive").
					With("ArgumentName", "partNumber").With("ArgumentValue", pn)
			}
			if rng != nil {
				return s3err.New(s3err.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
			}
			if rng, err = partRange(&info, n); err != nil {
				return err
			}
			if rng != nil {
				partOf = info.Parts
			}
		}
		if head {
			break
		}
		var sr *objstore.Range
		if rng != nil {
			sr = &objstore.Range{Start: rng.start, End: rng.end}
		}
		var opened objstore.ObjectInfo
		body, opened, err = h.store.GetObject(ctx, bucket, key, sr)
		if err != nil {
			return err
		}
		if opened.ETag == info.ETag && opened.Size == info.Size || attempt == 2 {
			info = opened
			break
		}
		body.Close()
	}
	if body != nil {
		defer body.Close()
	}
	hdr := w.Header()
	setObjectHeaders(hdr, &info, rng == nil && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED"))
	applyOverrides(hdr, q)
	status, length := http.StatusOK, info.Size
	if rng != nil {
		status, length = http.StatusPartialContent, rng.end-rng.start+1
		hdr.Set("Content-Range", "bytes "+itoa(rng.start)+"-"+itoa(rng.end)+"/"+itoa(info.Size))
	}
	if partOf > 0 {
		hdr.Set("X-Amz-Mp-Parts-Count", itoa(int64(partOf)))
	}
	hdr.Set("Content-Length", itoa(length))
	w.WriteHeader(status)
	if head {
		return nil
	}
	if _, err := io.CopyN(w, body, length); err != nil {
		if clientGone(r) {
			return nil // the client went away mid-answer: the access log marks it client_gone
		}
		return err
	}
	return nil
}

// bodyError records the first error other than io.EOF of a request body,
// so that a handler reports the body's S3 error whatever the store makes
// of it.
type bodyError struct {
	r   io.Reader
	err error
}

func (b *bodyError) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// drain reads what is left of r and reports an error when there is any
// data left or its checks fail; Precommit calls it, so that the checks
// that run at the end of a body have run whatever the store read.
func drain(r io.Reader) error {
	var b [512]byte
	for {
		n, err := r.Read(b[:])
		if n > 0 {
			return s3err.New(s3err.InvalidRequest, "The request body is longer than its declared length.")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// uploadSize returns the length of the request body to store and checks it
// against the server's limit.
func (h *Handler) uploadSize(r *http.Request) (int64, error) {
	n := r.ContentLength
	if n < 0 {
		return 0, s3err.New(s3err.MissingContentLength, "You must provide the Content-Length HTTP header.")
	}
	if n > h.maxSize {
		return 0, s3err.New(s3err.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size").
			With("ProposedSize", itoa(n)).With("MaxSizeAllowed", itoa(h.maxSize))
	}
	return n, nil
}

// checkedUpload prepares the body of r for the store: the declared
// Content-MD5 and checksum are verified as it streams (fallback is
// computed when none is declared), and Precommit records the checksum.
func (h *Handler) checkedUpload(r *http.Request, fallback *checksumAlg) (*bodyError, *checkedBody, objstore.PutOptions, error) {
	st := stateOf(r)
	size, err := h.uploadSize(r)
	if err != nil {
		return nil, nil, objstore.PutOptions{}, err
	}
	decl, err := parseIntegrity(r.Header)
	if err != nil {
		return nil, nil, objstore.PutOptions{}, err
	}
	if decl.trailer && (st.chunked == nil || !st.chunked.trailers) {
		return nil, nil, objstore.PutOptions{}, s3err.New(s3err.InvalidRequest, "x-amz-trailer needs an aws-chunked body with trailers (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER or STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).")
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	be, cb, opts := checkedBodyOptions(body, decl, fallback, st.trailer, size)
	return be, cb, opts, nil
}

// checkedBodyOptions wraps body so that the declared integrity is checked
// as it streams, and returns the put options whose Precommit drains the
// rest of it and records its full-object checksum: what PutObject,
// UploadPart and a POST form upload store with.
func checkedBodyOptions(body io.Reader, decl integrity, fallback *checksumAlg, trailer func(string) (string, bool), size int64) (*bodyError, *checkedBody, objstore.PutOptions) {
	cb := newCheckedBody(body, decl, fallback, trailer)
	be := &bodyError{r: cb}
	opts := objstore.PutOptions{Size: size, Precommit: func(info *objstore.ObjectInfo) error {
		if err := drain(be); err != nil {
			return err
		}
		if sums := cb.checksums(); sums != nil {
			info.Metadata.Checksums = sums
			info.Metadata.ChecksumType = "FULL_OBJECT"
		}
		return nil
	}}
	return be, cb, opts
}

// putObject is PUT /bucket/key: PutObject, CopyObject, UploadPart or
// UploadPartCopy.
func (h *Handler) putObject(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	_, hasUpload := q["uploadId"]
	_, hasPart := q["partNumber"]
	if hasUpload || hasPart {
		return h.uploadPart(w, r)
	}
	if sub := objectSubresource(q); sub != "" {
		return notImplemented("?" + sub)
	}
	if r.Header.Get("X-Amz-Copy-Source") != "" {
		return h.copyObject(w, r)
	}
	bucket, key := bucketKey(r)
	meta, err := metadataFrom(r.Header)
	if err != nil {
		return err
	}
	be, cb, opts, err := h.checkedUpload(r, defaultChecksum)
	if err != nil {
		return err
	}
	if err := h.checkWriteConditions(r, bucket, key); err != nil {
		return err
	}
	setWriteConditions(r, &opts)
	info, err := h.store.PutObject(r.Context(), bucket, key, be, meta, opts)
	if be.err == nil {
		err = conditionError(err, opts)
	}
	return answerStored(w, info.ETag, err, be, cb, "FULL_OBJECT")
}

// setWriteConditions sets the conditions of r's If-None-Match: * and
// If-Match in opts. They are checked first (checkWriteConditions), so that
// a write bound to fail does not send its body for nothing, and again by
// the store, atomically with the commit, so that of two racing writers
// exactly one wins.
func setWriteConditions(r *http.Request, opts *objstore.PutOptions) {
	opts.IfNoneMatch = r.Header.Get("If-None-Match") == "*"
	if im := strings.TrimPrefix(strings.TrimSpace(r.Header.Get("If-Match")), "W/"); im != "" && !strings.Contains(im, ",") {
		opts.IfMatch = strings.Trim(im, `"`)
	}
}

// conditionError is S3's answer to a write whose condition failed in the
// store.
func conditionError(err error, opts objstore.PutOptions) error {
	if !errors.Is(err, objstore.ErrPreconditionFailed) {
		return err
	}
	if opts.IfNoneMatch {
		return conditionFailed("If-None-Match")
	}
	return conditionFailed("If-Match")
}

// answerStored answers a PutObject or UploadPart: the body's error first
// (the store's is then only its consequence), else the store's, else 200
// with the ETag and the checksums of the body.
func answerStored(w http.ResponseWriter, etag string, err error, be *bodyError, cb *checkedBody, checksumType string) error {
	if be.err != nil {
		return be.err
	}
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("ETag", quoteETag(etag))
	setChecksumHeaders(hdr, cb.checksums(), checksumType)
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkWriteConditions checks the If-None-Match: * and If-Match headers of
// a conditional write against the current object, before its body is
// read; the store checks them again, atomically with the write.
func (h *Handler) checkWriteConditions(r *http.Request, bucket, key string) error {
	inm, im := r.Header.Get("If-None-Match"), r.Header.Get("If-Match")
	if inm == "" && im == "" {
		return nil
	}
	if inm != "" && inm != "*" {
		return notImplemented("If-None-Match other than *")
	}
	info, err := h.store.HeadObject(r.Context(), bucket, key)
	exists := err == nil
	if err != nil && !errors.Is(err, objstore.ErrNoSuchKey) {
		return err
	}
	switch {
	case inm == "*" && exists:
		return conditionFailed("If-None-Match")
	case im != "" && !exists:
		return err
	case im != "" && !etagMatches(im, info.ETag):
		return conditionFailed("If-Match")
	}
	return nil
}

// parseCopySource parses x-amz-copy-source: "bucket/key" or "/bucket/key",
// URL-encoded, with an optional "?versionId=".
func parseCopySource(v string) (bucket, key string, err error) {
	bad := s3err.New(s3err.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").
		With("ArgumentName", "x-amz-copy-source").With("ArgumentValue", v)
	p, query, _ := strings.Cut(v, "?")
	dec, uerr := url.PathUnescape(p)
	if uerr != nil {
		return "", "", bad
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(dec, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", bad
	}
	if query != "" {
		qv, _ := url.ParseQuery(query)
		if err := checkVersion(qv); err != nil {
			return "", "", err
		}
	}
	return bucket, key, nil
}

// copySource finds the source of a CopyObject or UploadPartCopy, from
// x-amz-copy-source, and checks its x-amz-copy-source-if-* conditions.
// The source's missing key or bucket is named in the error.
func (h *Handler) copySource(r *http.Request) (bucket, key string, info objstore.ObjectInfo, err error) {
	bucket, key, err = parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return "", "", info, err
	}
	info, err = h.store.HeadObject(r.Context(), bucket, key)
	switch {
	case errors.Is(err, objstore.ErrNoSuchKey):
		return "", "", info, s3err.New(s3err.NoSuchKey, "The specified key does not exist.").With("Key", key)
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return "", "", info, s3err.New(s3err.NoSuchBucket, "The specified bucket does not exist").With("BucketName", bucket)
	case err != nil:
		return "", "", info, err
	}
	if err := checkConditions(r.Header, "X-Amz-Copy-Source-", &info, true); err != nil {
		return "", "", info, err
	}
	return bucket, key, info, nil
}

// copyObject is CopyObject: PUT /bucket/key with x-amz-copy-source.
func (h *Handler) copyObject(w http.ResponseWriter, r *http.Request) error {
	bucket, key := bucketKey(r)
	ctx := r.Context()
	if err := encryptionRefused(r.Header); err != nil {
		return err
	}
	srcBucket, srcKey, src, err := h.copySource(r)
	if err != nil {
		return err
	}
	var meta *objstore.Metadata
	switch d := r.Header.Get("X-Amz-Metadata-Directive"); d {
	case "", "COPY":
	case "REPLACE":
		m, err := metadataFrom(r.Header)
		if err != nil {
			return err
		}
		if r.Header.Get("X-Amz-Tagging-Directive") != "REPLACE" {
			m.Tagging = src.Tagging
		}
		m.Checksums, m.ChecksumType = src.Checksums, src.ChecksumType
		meta = &m
	default:
		return s3err.New(s3err.InvalidArgument, "Unknown metadata directive.").
			With("ArgumentName", "x-amz-metadata-directive").With("ArgumentValue", d)
	}
	change := func() *objstore.Metadata {
		if meta == nil {
			m := src.Metadata
			meta = &m
		}
		return meta
	}
	switch d := r.Header.Get("X-Amz-Tagging-Directive"); d {
	case "", "COPY":
	case "REPLACE":
		change().Tagging = r.Header.Get("X-Amz-Tagging")
	default:
		return s3err.New(s3err.InvalidArgument, "Unknown tagging directive.").
			With("ArgumentName", "x-amz-tagging-directive").With("ArgumentValue", d)
	}
	if sc := r.Header.Get("X-Amz-Storage-Class"); sc != "" {
		if !storageClasses[sc] {
			return s3err.New(s3err.InvalidStorageClass, "The storage class you specified is not valid").
				With("ArgumentName", "x-amz-storage-class").With("ArgumentValue", sc)
		}
		if sc == "STANDARD" {
			sc = ""
		}
		if sc != src.StorageClass {
			change().StorageClass = sc
		}
	}
	if srcBucket == bucket && srcKey == key && meta == nil {
		return s3err.New(s3err.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	info, err := h.store.CopyObject(ctx, objstore.CopyInput{SrcBucket: srcBucket, SrcKey: srcKey, DstBucket: bucket, DstKey: key, Metadata: meta})
	if err != nil {
		return err
	}
	res := copyObjectResult{ETag: quoteETag(info.ETag), LastModified: xmlTime(info.LastModified), checksumElems: checksumsOf(info.Checksums)}
	return writeXML(w, http.StatusOK, &res)
}

// deleteObject is DELETE /bucket/key: DeleteObject, or
// AbortMultipartUpload with ?uploadId.
func (h *Handler) deleteObject(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if _, ok := q["uploadId"]; ok {
		return h.abortMultipartUpload(w, r)
	}
	if err := checkObjectQuery(q); err != nil {
		return err
	}
	bucket, key := bucketKey(r)
	return noContent(w, h.store.DeleteObject(r.Context(), bucket, key))
}

// postObject is POST /bucket/key: CreateMultipartUpload (?uploads) or
// CompleteMultipartUpload (?uploadId).
func (h *Handler) postObject(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if _, ok := q["uploads"]; ok {
		return h.createMultipartUpload(w, r)
	}
	if _, ok := q["uploadId"]; ok {
		return h.completeMultipartUpload(w, r)
	}
	if sub := objectSubresource(q); sub != "" {
		return notImplemented("?" + sub)
	}
	return s3err.New(s3err.MethodNotAllowed, "The specified method is not allowed against this resource.").
		With("Method", r.Method).With("ResourceType", "OBJECT")
}
