package s3server

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// completeKeepAlive is how long CompleteMultipartUpload waits for the
// store before it starts the response and sends a space every so often to
// keep the connection alive, as S3 does; an error then comes in the body
// of a 200 response, which the SDKs detect.
const completeKeepAlive = 10 * time.Second

// MaxParts is the most parts of a multipart upload: S3's 10,000.
const MaxParts = 10000

// errTooManyParts refuses a CompleteMultipartUpload listing n parts, more
// than MaxParts.
func errTooManyParts(n int) *s3err.Error {
	return s3err.New(s3err.InvalidArgument, "Part number must be an integer between 1 and %d, inclusive: the request lists %d parts.", MaxParts, n).
		With("ArgumentName", "Part").With("ArgumentValue", itoa(int64(n)))
}

// partNumber parses the partNumber parameter: 1 to 10000.
func partNumber(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, s3err.New(s3err.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive").
			With("ArgumentName", "partNumber").With("ArgumentValue", v)
	}
	return n, nil
}

// objectURL returns the URL of an object on this server, as the request
// addressed it.
func objectURL(r *http.Request, bucket, key string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if stateOf(r).virtual {
		return scheme + "://" + r.Host + "/" + escapeKey(key)
	}
	return scheme + "://" + r.Host + "/" + bucket + "/" + escapeKey(key)
}

// escapeKey URI-encodes a key for a URL path, keeping its slashes.
func escapeKey(key string) string { return sigv4.Escape(key, true) }

// createMultipartUpload is CreateMultipartUpload: POST /bucket/key?uploads.
func (h *Handler) createMultipartUpload(w http.ResponseWriter, r *http.Request) error {
	bucket, key := bucketKey(r)
	meta, err := metadataFrom(r.Header)
	if err != nil {
		return err
	}
	alg := r.Header.Get("X-Amz-Checksum-Algorithm")
	typ := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Type"))
	if alg != "" {
		a := algByName(alg)
		if a == nil {
			return s3err.New(s3err.InvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		// S3's rule: CRC64NVME is full-object only, SHA-1 and SHA-256
		// composite only, the CRC-32s either (composite by default).
		switch {
		case typ == "" && a.name == "CRC64NVME":
			typ = "FULL_OBJECT"
		case typ == "":
			typ = "COMPOSITE"
		case typ != "COMPOSITE" && typ != "FULL_OBJECT",
			typ == "COMPOSITE" && a.name == "CRC64NVME",
			typ == "FULL_OBJECT" && (a.name == "SHA1" || a.name == "SHA256"):
			return s3err.New(s3err.InvalidRequest, "The %s checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(typ), strings.ToLower(a.name))
		}
		meta.ChecksumAlgorithm, meta.ChecksumType = a.name, typ
	}
	id, err := h.store.CreateMultipartUpload(r.Context(), bucket, key, meta)
	if err != nil {
		return err
	}
	if alg != "" {
		w.Header().Set("X-Amz-Checksum-Algorithm", meta.ChecksumAlgorithm)
		w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	return writeXML(w, http.StatusOK, &initiateMultipartUploadResult{Bucket: bucket, Key: key, UploadID: id})
}

// uploadPart is UploadPart: PUT /bucket/key?partNumber=N&uploadId=ID, or
// UploadPartCopy with x-amz-copy-source.
func (h *Handler) uploadPart(w http.ResponseWriter, r *http.Request) error {
	bucket, key := bucketKey(r)
	q := r.URL.Query()
	uploadID := q.Get("uploadId")
	if uploadID == "" {
		return s3err.New(s3err.InvalidArgument, "UploadPart needs both partNumber and uploadId.").With("ArgumentName", "uploadId")
	}
	n, err := partNumber(q.Get("partNumber"))
	if err != nil {
		return err
	}
	if r.Header.Get("X-Amz-Copy-Source") != "" {
		return h.uploadPartCopy(w, r, uploadID, n)
	}
	be, cb, opts, err := h.checkedUpload(r, nil)
	if err != nil {
		return err
	}
	info, err := h.store.UploadPart(r.Context(), bucket, key, uploadID, n, be, opts)
	return answerStored(w, info.ETag, err, be, cb, "")
}

// parseCopyRange parses x-amz-copy-source-range: "bytes=first-last",
// within an object of size bytes.
func parseCopyRange(v string, size int64) (*objstore.Range, int64, error) {
	bad := s3err.New(s3err.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").
		With("ArgumentName", "x-amz-copy-source-range").With("ArgumentValue", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return nil, 0, bad
	}
	a, b, ok := strings.Cut(spec, "-")
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || first < 0 || last < first {
		return nil, 0, bad
	}
	if last >= size {
		return nil, 0, s3err.New(s3err.InvalidRange, "The requested range is not satisfiable").
			With("RangeRequested", v).With("ActualObjectSize", itoa(size))
	}
	return &objstore.Range{Start: first, End: last}, last - first + 1, nil
}

// uploadPartCopy is UploadPartCopy: a part copied from an object, or a
// range of it.
func (h *Handler) uploadPartCopy(w http.ResponseWriter, r *http.Request, uploadID string, n int) error {
	bucket, key := bucketKey(r)
	ctx := r.Context()
	srcBucket, srcKey, src, err := h.copySource(r)
	if err != nil {
		return err
	}
	var rng *objstore.Range
	size := src.Size
	if v := r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		if rng, size, err = parseCopyRange(v, src.Size); err != nil {
			return err
		}
	}
	if size > h.maxSize {
		return s3err.New(s3err.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size").
			With("ProposedSize", itoa(size)).With("MaxSizeAllowed", itoa(h.maxSize))
	}
	body, _, err := h.store.GetObject(ctx, srcBucket, srcKey, rng)
	if err != nil {
		return err
	}
	defer body.Close()
	info, err := h.store.UploadPart(ctx, bucket, key, uploadID, n, body, objstore.PutOptions{Size: size})
	if err != nil {
		return err
	}
	res := copyPartResult{ETag: quoteETag(info.ETag), LastModified: xmlTime(info.LastModified), checksumElems: checksumsOf(info.Checksums)}
	return writeXML(w, http.StatusOK, &res)
}

// completeMultipartUpload is CompleteMultipartUpload:
// POST /bucket/key?uploadId=ID.
func (h *Handler) completeMultipartUpload(w http.ResponseWriter, r *http.Request) error {
	bucket, key := bucketKey(r)
	uploadID := r.URL.Query().Get("uploadId")
	var req completeMultipartUpload
	if err := readCheckedXML(r, &req); err != nil {
		return err
	}
	if len(req.Parts) == 0 {
		return s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if len(req.Parts) > MaxParts {
		return errTooManyParts(len(req.Parts))
	}
	parts := make([]objstore.CompletedPart, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = objstore.CompletedPart{PartNumber: p.PartNumber, ETag: strings.Trim(p.ETag, `"`)}
	}
	if err := h.checkPartChecksums(r, bucket, key, uploadID, req.Parts); err != nil {
		return err
	}
	// If-None-Match: * and If-Match, as on PutObject: checked now, and
	// again with the commit where the store can (of racing completions,
	// exactly one wins).
	if err := h.checkWriteConditions(r, bucket, key); err != nil {
		return err
	}
	var cond objstore.PutOptions
	setWriteConditions(r, &cond)
	sum, err := h.multipartChecksum(r, bucket, key, uploadID, parts)
	if err != nil {
		return err
	}
	if sum != nil {
		cond.Precommit = sum
	}
	complete := h.store.CompleteMultipartUpload
	if cc, ok := h.store.(objstore.ConditionalCompleter); ok && (cond.IfNoneMatch || cond.IfMatch != "" || cond.Precommit != nil) {
		complete = func(ctx context.Context, bucket, key, id string, parts []objstore.CompletedPart) (objstore.ObjectInfo, error) {
			info, err := cc.CompleteMultipartUploadIf(ctx, bucket, key, id, parts, cond)
			return info, conditionError(err, cond)
		}
	}

	type result struct {
		info objstore.ObjectInfo
		err  error
	}
	done := make(chan result, 1)
	go func() {
		info, err := complete(r.Context(), bucket, key, uploadID, parts)
		done <- result{info, err}
	}()
	timer := time.NewTimer(h.keepAlive)
	defer timer.Stop()
	started := false
	for {
		select {
		case res := <-done:
			if res.err != nil {
				if !started {
					return res.err
				}
				e := h.toS3Error(r, res.err)
				st := stateOf(r)
				st.code = e.Code
				out := *e
				out.Details = append(append([]s3err.Detail(nil), e.Details...),
					s3err.Detail{Name: "Resource", Value: st.resource}, s3err.Detail{Name: "RequestId", Value: st.id})
				writeXMLBody(w, &out)
				return nil
			}
			out := completeMultipartUploadResult{
				Location: objectURL(r, bucket, key), Bucket: bucket, Key: key, ETag: quoteETag(res.info.ETag),
			}
			out.setChecksums(res.info.Metadata)
			if !started {
				return writeXML(w, http.StatusOK, &out)
			}
			writeXMLBody(w, &out)
			return nil
		case <-timer.C:
			if !started {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusOK)
				io.WriteString(w, xml.Header)
				started = true
			}
			io.WriteString(w, " ")
			http.NewResponseController(w).Flush()
			timer.Reset(h.keepAlive)
		}
	}
}

// multipartChecksum returns the Precommit that sets a completed object's
// checksum, when its upload was created with x-amz-checksum-algorithm, as
// S3 computes it ("Checking object integrity", Amazon S3 User Guide): of
// type COMPOSITE, the checksum of the parts' checksums, joined, then "-"
// and the part count; of type FULL_OBJECT, the CRC of the whole object,
// combined from the parts' CRCs. It reads the parts' checksums when the
// store calls it, once the store has checked the parts; an object with a
// part uploaded without that checksum gets none. It returns nil for an
// upload without an algorithm.
func (h *Handler) multipartChecksum(r *http.Request, bucket, key, uploadID string, parts []objstore.CompletedPart) (func(*objstore.ObjectInfo) error, error) {
	ups, err := h.store.ListUploads(r.Context(), bucket, key)
	if err != nil {
		return nil, nil // the store reports a missing bucket or upload
	}
	var meta *objstore.Metadata
	for i := range ups {
		if ups[i].UploadID == uploadID && ups[i].Key == key {
			meta = &ups[i].Metadata
		}
	}
	if meta == nil || algByName(meta.ChecksumAlgorithm) == nil {
		return nil, nil
	}
	alg, typ := algByName(meta.ChecksumAlgorithm), meta.ChecksumType
	return func(info *objstore.ObjectInfo) error {
		stored, err := h.storedParts(r, bucket, key, uploadID)
		if err != nil {
			return err
		}
		var raw []byte
		var crc uint64
		for i, p := range parts {
			b, err := base64.StdEncoding.DecodeString(stored[p.PartNumber].Checksums[alg.name])
			if err != nil || len(b) != alg.size {
				return nil // a part without its checksum: the object gets none
			}
			raw = append(raw, b...)
			if typ == "FULL_OBJECT" {
				v := uint64(0)
				for _, c := range b {
					v = v<<8 | uint64(c)
				}
				if i == 0 {
					crc = v
				} else {
					crc = crcCombine(crc, v, stored[p.PartNumber].Size, crcPoly(alg.name), alg.size*8)
				}
			}
		}
		var value string
		if typ == "FULL_OBJECT" {
			b := make([]byte, alg.size)
			for i := range b {
				b[alg.size-1-i] = byte(crc >> (8 * i))
			}
			value = base64.StdEncoding.EncodeToString(b)
		} else {
			hs := alg.new()
			hs.Write(raw)
			value = base64.StdEncoding.EncodeToString(hs.Sum(nil)) + "-" + strconv.Itoa(len(parts))
		}
		info.Metadata.Checksums = map[string]string{alg.name: value}
		info.Metadata.ChecksumType = typ
		return nil
	}, nil
}

// storedParts lists every part the store holds of an upload, by number.
func (h *Handler) storedParts(r *http.Request, bucket, key, uploadID string) (map[int]objstore.PartInfo, error) {
	stored := map[int]objstore.PartInfo{}
	for marker := 0; ; {
		ps, truncated, err := h.store.ListParts(r.Context(), bucket, key, uploadID, marker, 1000)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			stored[p.PartNumber] = p
			marker = p.PartNumber
		}
		if !truncated || len(ps) == 0 {
			return stored, nil
		}
	}
}

// crcPoly is the reflected polynomial of a CRC algorithm.
func crcPoly(name string) uint64 {
	switch name {
	case "CRC32":
		return polyCRC32
	case "CRC32C":
		return polyCRC32C
	}
	return polyCRC64NVME
}

// checkPartChecksums compares the checksums a CompleteMultipartUpload
// lists for its parts with those recorded when the parts were uploaded.
func (h *Handler) checkPartChecksums(r *http.Request, bucket, key, uploadID string, parts []completePart) error {
	declared := false
	for _, p := range parts {
		if p.checksumElems != (checksumElems{}) {
			declared = true
		}
	}
	if !declared {
		return nil
	}
	stored, err := h.storedParts(r, bucket, key, uploadID)
	if err != nil {
		return err
	}
	for _, p := range parts {
		sp, ok := stored[p.PartNumber]
		if !ok {
			continue // the store reports the missing part
		}
		for _, alg := range checksumAlgs {
			want := p.get(alg.name)
			if got := sp.Checksums[alg.name]; want != "" && got != "" && want != got {
				return s3err.New(s3err.InvalidPart, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
					With("PartNumber", itoa(int64(p.PartNumber)))
			}
		}
	}
	return nil
}

// abortMultipartUpload is AbortMultipartUpload: DELETE /bucket/key?uploadId=ID.
func (h *Handler) abortMultipartUpload(w http.ResponseWriter, r *http.Request) error {
	bucket, key := bucketKey(r)
	return noContent(w, h.store.AbortMultipartUpload(r.Context(), bucket, key, r.URL.Query().Get("uploadId")))
}

// listParts is ListParts: GET /bucket/key?uploadId=ID.
func (h *Handler) listParts(w http.ResponseWriter, r *http.Request) error {
	bucket, key := bucketKey(r)
	q := r.URL.Query()
	uploadID := q.Get("uploadId")
	maxParts, err := maxKeysParam(q, "max-parts")
	if err != nil {
		return err
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return s3err.New(s3err.InvalidArgument, "Provided part-number-marker not an integer or within integer range").
				With("ArgumentName", "part-number-marker").With("ArgumentValue", v)
		}
	}
	res := listPartsResult{Bucket: bucket, Key: key, UploadID: uploadID, Initiator: theOwner, Owner: theOwner,
		StorageClass: "STANDARD", PartNumberMarker: marker, MaxParts: maxParts}
	if maxParts == 0 {
		// The store reads 0 as its default; ask for nothing but the upload.
		if _, _, err := h.store.ListParts(r.Context(), bucket, key, uploadID, marker, 1); err != nil {
			return err
		}
		return writeXML(w, http.StatusOK, &res)
	}
	parts, truncated, err := h.store.ListParts(r.Context(), bucket, key, uploadID, marker, maxParts)
	if err != nil {
		return err
	}
	for _, p := range parts {
		res.Parts = append(res.Parts, partElem{PartNumber: p.PartNumber, LastModified: xmlTime(p.LastModified),
			ETag: quoteETag(p.ETag), Size: p.Size, checksumElems: checksumsOf(p.Checksums)})
	}
	res.IsTruncated = truncated
	if len(parts) > 0 {
		res.NextPartNumberMarker = parts[len(parts)-1].PartNumber
	}
	return writeXML(w, http.StatusOK, &res)
}
