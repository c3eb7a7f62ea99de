package s3server

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
)

// bucketSubresources are the query parameters that select a bucket
// operation other than listing; those this server lacks are NotImplemented.
var bucketSubresources = []string{
	"accelerate", "acl", "analytics", "cors", "encryption", "intelligent-tiering", "inventory",
	"lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls",
	"policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "tagging",
	"uploads", "versioning", "versions", "website", "delete", "metadataTable", "session",
}

// subresource returns the first bucket subresource in q, or "".
func subresource(q url.Values) string {
	for _, s := range bucketSubresources {
		if _, ok := q[s]; ok {
			return s
		}
	}
	return ""
}

func notImplemented(what string) *s3err.Error {
	return s3err.New(s3err.NotImplemented, "A header or query you provided implies functionality that is not implemented: %s.", what)
}

// listBuckets is ListBuckets: GET /.
func (h *Handler) listBuckets(w http.ResponseWriter, r *http.Request) error {
	bs, err := h.store.ListBuckets(r.Context())
	if err != nil {
		return err
	}
	prefix := r.URL.Query().Get("prefix")
	res := listAllMyBucketsResult{Owner: theOwner, Buckets: []bucketElem{}}
	for _, b := range bs {
		if strings.HasPrefix(b.Name, prefix) {
			res.Buckets = append(res.Buckets, bucketElem{Name: b.Name, CreationDate: xmlTime(b.Created)})
		}
	}
	return writeXML(w, http.StatusOK, &res)
}

// bucketRoute is the handler of one bucket subresource.
type bucketRoute = func(*Handler, http.ResponseWriter, *http.Request) error

// Each method's bucket subresources: a subresource missing from its
// method's table is NotImplemented.
var (
	getBucketRoutes = map[string]bucketRoute{
		"location":   (*Handler).getBucketLocation,
		"uploads":    (*Handler).listMultipartUploads,
		"versioning": (*Handler).getBucketVersioning,
		"versions":   (*Handler).listObjectVersions,
		"cors":       (*Handler).getBucketCors,
		"acl":        (*Handler).getBucketACL,
		"encryption": (*Handler).getBucketEncryption,
	}
	putBucketRoutes = map[string]bucketRoute{
		"cors":       (*Handler).putBucketCors,
		"acl":        (*Handler).putBucketACL,
		"encryption": (*Handler).putBucketEncryption,
	}
	deleteBucketRoutes = map[string]bucketRoute{
		"cors":       (*Handler).deleteBucketCors,
		"encryption": (*Handler).deleteBucketEncryption,
	}
)

// serveSubresource serves r by its route in routes when its query names a
// bucket subresource, or refuses it as NotImplemented when routes has
// none; it reports whether it answered r.
func (h *Handler) serveSubresource(w http.ResponseWriter, r *http.Request, routes map[string]bucketRoute) (bool, error) {
	sub := subresource(r.URL.Query())
	if sub == "" {
		return false, nil
	}
	if serve, ok := routes[sub]; ok {
		return true, serve(h, w, r)
	}
	return true, notImplemented("?" + sub)
}

// getBucket is GET /bucket: ListObjectsV2, ListObjects, or a bucket
// subresource (GetBucketLocation, ListMultipartUploads, ...), by the query.
func (h *Handler) getBucket(w http.ResponseWriter, r *http.Request) error {
	if done, err := h.serveSubresource(w, r, getBucketRoutes); done {
		return err
	}
	return h.listObjects(w, r, r.URL.Query().Get("list-type") == "2")
}

// getBucketEncryption is GetBucketEncryption: the store encrypts nothing,
// so a bucket has no default encryption, and says so as S3 did for
// buckets without one.
func (h *Handler) getBucketEncryption(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.store.HeadBucket(r.Context(), bucketOf(r)); err != nil {
		return err
	}
	return s3err.New(s3err.NoSSEConfiguration, "The server side encryption configuration was not found").With("BucketName", bucketOf(r))
}

// putBucketEncryption is PutBucketEncryption, which this store refuses.
func (h *Handler) putBucketEncryption(w http.ResponseWriter, r *http.Request) error {
	return s3err.New(s3err.NotImplemented, "A header or query you provided implies functionality that is not implemented: this store does not encrypt objects, so it takes no default bucket encryption (?encryption).")
}

// deleteBucketEncryption is DeleteBucketEncryption: there is none to
// delete.
func (h *Handler) deleteBucketEncryption(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.store.HeadBucket(r.Context(), bucketOf(r)); err != nil {
		return err
	}
	return noContent(w, nil)
}

// getBucketLocation is GetBucketLocation: GET /bucket?location.
func (h *Handler) getBucketLocation(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	if _, err := h.store.HeadBucket(r.Context(), bucket); err != nil {
		return err
	}
	loc := locationConstraint{}
	if h.region != "us-east-1" {
		loc.Region = h.region
	}
	return writeXML(w, http.StatusOK, &loc)
}

// headBucket is HeadBucket: HEAD /bucket.
func (h *Handler) headBucket(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	if _, err := h.store.HeadBucket(r.Context(), bucket); err != nil {
		return err
	}
	w.Header().Set("X-Amz-Bucket-Region", h.region)
	w.WriteHeader(http.StatusOK)
	return nil
}

// bucketOf is the bucket of r.
func bucketOf(r *http.Request) string {
	b, _ := bucketKey(r)
	return b
}

// noContent answers 204 No Content, unless err says otherwise: the answer
// of the operations that return nothing.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putBucket is CreateBucket: PUT /bucket, with an optional
// CreateBucketConfiguration whose LocationConstraint must be the server's
// region.
func (h *Handler) putBucket(w http.ResponseWriter, r *http.Request) error {
	if done, err := h.serveSubresource(w, r, putBucketRoutes); done {
		return err
	}
	acl, err := cannedACL(r.Header.Get("X-Amz-Acl"))
	if err != nil {
		return err
	}
	bucket, _ := bucketKey(r)
	var cfg createBucketConfiguration
	if err := readXML(r, &cfg); err != nil && err != errEmptyBody {
		return err
	}
	if lc := cfg.LocationConstraint; lc != "" && lc != h.region && !(lc == "US" && h.region == "us-east-1") {
		return s3err.New(s3err.IllegalLocationConstraint, "The %s location constraint is incompatible for the region specific endpoint this request was sent to.", lc)
	}
	if err := h.store.CreateBucket(r.Context(), bucket); err != nil {
		return err
	}
	if err := h.setACL(r.Context(), bucket, acl); err != nil {
		return err
	}
	w.Header().Set("Location", "/"+bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket is DeleteBucket: DELETE /bucket.
func (h *Handler) deleteBucket(w http.ResponseWriter, r *http.Request) error {
	if done, err := h.serveSubresource(w, r, deleteBucketRoutes); done {
		return err
	}
	bucket, _ := bucketKey(r)
	err := h.store.DeleteBucket(r.Context(), bucket)
	h.forgetCORS(bucket)
	h.aclCache.forget(bucket)
	return noContent(w, err)
}

// postBucket is POST /bucket: DeleteObjects (?delete) or a browser form
// upload.
func (h *Handler) postBucket(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if _, ok := q["delete"]; ok {
		return h.deleteObjects(w, r)
	}
	if sub := subresource(q); sub != "" {
		return notImplemented("?" + sub)
	}
	if isPostForm(r, stateOf(r)) {
		return h.postForm(w, r)
	}
	return s3err.New(s3err.MethodNotAllowed, "The specified method is not allowed against this resource.").
		With("Method", r.Method).With("ResourceType", "BUCKET")
}

// maxKeysParam parses a max-keys (or max-parts, max-uploads) parameter:
// 1000 when absent, at most 1000.
func maxKeysParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 1000, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, s3err.New(s3err.InvalidArgument, "Provided %s not an integer or within integer range", name).
			With("ArgumentName", name).With("ArgumentValue", v)
	}
	return min(n, 1000), nil
}

// listParams parses the max-keys and encoding-type parameters of a
// listing, and returns how its keys are written: by urlEncodeKey with
// encoding-type=url, else as they are.
func listParams(q url.Values) (maxKeys int, enc string, encode func(string) string, err error) {
	if maxKeys, err = maxKeysParam(q, "max-keys"); err != nil {
		return 0, "", nil, err
	}
	switch enc = q.Get("encoding-type"); enc {
	case "":
		return maxKeys, enc, func(s string) string { return s }, nil
	case "url":
		return maxKeys, enc, urlEncodeKey, nil
	}
	return 0, "", nil, s3err.New(s3err.InvalidArgument, "Invalid Encoding Method specified in Request").
		With("ArgumentName", "encoding-type").With("ArgumentValue", enc)
}

// listPage lists a page of bucket by opts; with MaxKeys 0 it lists
// nothing, but still checks that the bucket exists.
func (h *Handler) listPage(ctx context.Context, bucket string, opts objstore.ListOptions) (objstore.ListResult, error) {
	if opts.MaxKeys > 0 {
		return h.store.ListObjects(ctx, bucket, opts)
	}
	_, err := h.store.HeadBucket(ctx, bucket)
	return objstore.ListResult{}, err
}

// listObjects is ListObjectsV2 (v2) or ListObjects.
func (h *Handler) listObjects(w http.ResponseWriter, r *http.Request, v2 bool) error {
	bucket, _ := bucketKey(r)
	q := r.URL.Query()
	maxKeys, enc, encode, err := listParams(q)
	if err != nil {
		return err
	}
	opts := objstore.ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: maxKeys}
	res := listBucketResult{Name: bucket, Prefix: opts.Prefix, listPageElems: listPageElems{MaxKeys: maxKeys, Delimiter: opts.Delimiter, EncodingType: enc}}
	if v2 {
		opts.StartAfter = q.Get("start-after")
		opts.ContinuationToken = q.Get("continuation-token")
		if _, ok := q["continuation-token"]; ok && opts.ContinuationToken == "" {
			return s3err.New(s3err.InvalidArgument, "The continuation token provided is incorrect").
				With("ArgumentName", "continuation-token")
		}
		res.StartAfter, res.ContinuationToken = opts.StartAfter, opts.ContinuationToken
	} else {
		marker := q.Get("marker")
		res.Marker = &marker
		opts.StartAfter = marker
		if opts.Delimiter != "" && strings.HasSuffix(marker, opts.Delimiter) && strings.HasPrefix(marker, opts.Prefix) {
			// A marker that is a common prefix skips every key under it.
			opts.StartAfter = marker + "\xff"
		}
	}
	lr, err := h.listPage(r.Context(), bucket, opts)
	if err != nil {
		return err
	}
	fetchOwner := !v2 || q.Get("fetch-owner") == "true"
	if enc == "url" {
		res.Prefix, res.Delimiter, res.StartAfter = encode(res.Prefix), encode(res.Delimiter), encode(res.StartAfter)
		if res.Marker != nil {
			m := encode(*res.Marker)
			res.Marker = &m
		}
	}
	for _, o := range lr.Objects {
		e := objectElem{
			Key:          encode(o.Key),
			LastModified: xmlTime(o.LastModified),
			ETag:         quoteETag(o.ETag),
			Size:         o.Size,
			StorageClass: storageClass(o.StorageClass),
		}
		for _, alg := range checksumAlgs {
			if o.Checksums[alg.name] != "" {
				e.ChecksumAlgorithm = append(e.ChecksumAlgorithm, alg.name)
				e.ChecksumType = checksumType(o.Metadata)
			}
		}
		if fetchOwner {
			e.Owner = &theOwner
		}
		res.Contents = append(res.Contents, e)
	}
	for _, p := range lr.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{encode(p)})
	}
	res.IsTruncated = lr.IsTruncated
	if v2 {
		n := len(lr.Objects) + len(lr.CommonPrefixes)
		res.KeyCount = &n
		if lr.IsTruncated {
			res.NextContinuationToken = lr.NextContinuationToken
		}
	} else if lr.IsTruncated && opts.Delimiter != "" {
		last := ""
		if len(lr.Objects) > 0 {
			last = lr.Objects[len(lr.Objects)-1].Key
		}
		if n := len(lr.CommonPrefixes); n > 0 && lr.CommonPrefixes[n-1] > last {
			last = lr.CommonPrefixes[n-1]
		}
		res.NextMarker = encode(last)
	}
	return writeXML(w, http.StatusOK, &res)
}

// urlEncodeKey encodes a key for encoding-type=url as S3 does: like a
// query value, with spaces as "+", which clients decode with unquote_plus
// or decodeURIComponent after replacing "+".
func urlEncodeKey(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

// storageClass returns the storage class S3 reports for a stored one.
func storageClass(s string) string {
	if s == "" {
		return "STANDARD"
	}
	return s
}

// listMultipartUploads is ListMultipartUploads: GET /bucket?uploads. It
// lists every upload in one page.
func (h *Handler) listMultipartUploads(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	q := r.URL.Query()
	maxUploads, err := maxKeysParam(q, "max-uploads")
	if err != nil {
		return err
	}
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	ups, err := h.store.ListUploads(r.Context(), bucket, prefix)
	if err != nil {
		return err
	}
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	res := listMultipartUploadsResult{Bucket: bucket, KeyMarker: keyMarker, UploadIDMarker: idMarker, Prefix: prefix, Delimiter: delim, MaxUploads: maxUploads}
	seen := map[string]bool{}
	passed := keyMarker == ""
	for _, u := range ups {
		if !passed {
			if u.Key < keyMarker || u.Key == keyMarker && (idMarker == "" || u.UploadID <= idMarker) {
				if u.Key == keyMarker && u.UploadID == idMarker {
					passed = true
				}
				continue
			}
			passed = true
		}
		if delim != "" {
			if i := strings.Index(u.Key[len(prefix):], delim); i >= 0 {
				p := u.Key[:len(prefix)+i+len(delim)]
				if !seen[p] {
					seen[p] = true
					res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{p})
				}
				continue
			}
		}
		if len(res.Uploads) >= maxUploads {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, uploadElem{
			Key: u.Key, UploadID: u.UploadID, Initiator: theOwner, Owner: theOwner,
			StorageClass: storageClass(u.Metadata.StorageClass), Initiated: xmlTime(u.Initiated),
		})
	}
	if res.IsTruncated && len(res.Uploads) > 0 {
		last := res.Uploads[len(res.Uploads)-1]
		res.NextKeyMarker, res.NextUploadIDMarker = last.Key, last.UploadID
	}
	sort.Slice(res.CommonPrefixes, func(i, j int) bool { return res.CommonPrefixes[i].Prefix < res.CommonPrefixes[j].Prefix })
	return writeXML(w, http.StatusOK, &res)
}

// deleteObjects is DeleteObjects: POST /bucket?delete.
func (h *Handler) deleteObjects(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	var req deleteRequest
	if err := readCheckedXML(r, &req); err != nil {
		return err
	}
	if len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if _, err := h.store.HeadBucket(r.Context(), bucket); err != nil {
		return err
	}
	res := deleteResult{}
	for _, o := range req.Objects {
		err := h.store.DeleteObject(r.Context(), bucket, o.Key)
		if err == nil {
			if !req.Quiet {
				res.Deleted = append(res.Deleted, deletedElem{o.Key})
			}
			continue
		}
		e := h.toS3Error(r, err)
		if e.Code == s3err.NoSuchKey {
			if !req.Quiet {
				res.Deleted = append(res.Deleted, deletedElem{o.Key})
			}
			continue
		}
		res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: string(e.Code), Message: e.Message})
	}
	return writeXML(w, http.StatusOK, &res)
}

// versioningConfiguration is the GetBucketVersioning answer of a bucket
// whose versioning was never enabled: an empty configuration, as S3 gives.
type versioningConfiguration struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
}

// getBucketVersioning is GetBucketVersioning: this store keeps one
// version of each object, so versioning was never enabled.
func (h *Handler) getBucketVersioning(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	if _, err := h.store.HeadBucket(r.Context(), bucket); err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, &versioningConfiguration{})
}

// listVersionsResult is the ListObjectVersions answer.
type listVersionsResult struct {
	XMLName             xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListVersionsResult"`
	Name                string   `xml:"Name"`
	Prefix              string   `xml:"Prefix"`
	KeyMarker           string   `xml:"KeyMarker"`
	VersionIDMarker     string   `xml:"VersionIdMarker"`
	NextKeyMarker       string   `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string   `xml:"NextVersionIdMarker,omitempty"`
	listPageElems
	Versions       []versionElem  `xml:"Version"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

type versionElem struct {
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        owner  `xml:"Owner"`
}

// listObjectVersions is ListObjectVersions: with versioning never enabled,
// each current object is its only version, version id "null", as S3
// lists the objects of such a bucket; so cleanup code written for
// versioned buckets works.
func (h *Handler) listObjectVersions(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	q := r.URL.Query()
	maxKeys, enc, encode, err := listParams(q)
	if err != nil {
		return err
	}
	keyMarker, vidMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return s3err.New(s3err.InvalidArgument, "A version-id marker cannot be specified without a key marker.").
			With("ArgumentName", "version-id-marker").With("ArgumentValue", vidMarker)
	}
	if vidMarker != "" && vidMarker != "null" {
		return s3err.New(s3err.InvalidArgument, "Invalid version id specified").
			With("ArgumentName", "version-id-marker").With("ArgumentValue", vidMarker)
	}
	opts := objstore.ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: maxKeys, StartAfter: keyMarker}
	res := listVersionsResult{Name: bucket, Prefix: opts.Prefix, KeyMarker: keyMarker, VersionIDMarker: vidMarker,
		listPageElems: listPageElems{MaxKeys: maxKeys, Delimiter: opts.Delimiter, EncodingType: enc}}
	if enc == "url" {
		res.Prefix, res.Delimiter, res.KeyMarker = encode(res.Prefix), encode(res.Delimiter), encode(res.KeyMarker)
	}
	lr, err := h.listPage(r.Context(), bucket, opts)
	if err != nil {
		return err
	}
	last := ""
	for _, o := range lr.Objects {
		res.Versions = append(res.Versions, versionElem{Key: encode(o.Key), VersionID: "null", IsLatest: true,
			LastModified: xmlTime(o.LastModified), ETag: quoteETag(o.ETag), Size: o.Size, StorageClass: storageClass(o.StorageClass), Owner: theOwner})
		last = max(last, o.Key)
	}
	for _, p := range lr.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{encode(p)})
		last = max(last, p)
	}
	if res.IsTruncated = lr.IsTruncated; res.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = encode(last), "null"
	}
	return writeXML(w, http.StatusOK, &res)
}
