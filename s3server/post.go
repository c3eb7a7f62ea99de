package s3server

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/s3err"
)

// Limits of a POST form's fields, which are read into memory and checked
// before the signature; the file itself streams to the store.
const (
	// MaxPostPreData is the most bytes of field names and values before
	// the file part: S3's figure (its MaxPostPreDataLengthExceeded answer
	// gives MaxPostPreDataLengthBytes 20480).
	MaxPostPreData = 20 << 10
	// maxPostPreDataWire bounds every byte read before the file part,
	// part headers and boundaries included, so that a form of many empty
	// fields or one huge part header is refused as cheaply.
	maxPostPreDataWire = 3 * MaxPostPreData
)

// errPreData is the refusal of a form whose fields before the file are
// too large.
func errPreData() *s3err.Error {
	return s3err.New(s3err.MaxPostPreDataLengthExceeded, "Your POST request fields preceding the upload file were too large.").
		With("MaxPostPreDataLengthBytes", itoa(MaxPostPreData))
}

// preDataReader counts the bytes read from a form's body and fails once
// more than limit have been read; the limit is lifted (set to -1) when the
// file part is reached.
type preDataReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (p *preDataReader) Read(b []byte) (int, error) {
	if p.limit >= 0 {
		if p.n > p.limit {
			return 0, errPreData()
		}
		if room := p.limit + 1 - p.n; int64(len(b)) > room {
			b = b[:room]
		}
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	return n, err
}

func malformedPost(format string, args ...any) *s3err.Error {
	return s3err.New(s3err.MalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data. "+format, args...)
}

// postFieldHeaders are the form fields that set object metadata, as the
// headers of a PutObject would.
var postFieldHeaders = []string{
	"Cache-Control", "Content-Type", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires",
	"Content-MD5", "x-amz-storage-class", "x-amz-checksum-algorithm", "x-amz-sdk-checksum-algorithm",
}

// formHeader returns the fields of a form that act as request headers:
// the metadata and checksum fields and x-amz-meta-*.
func formHeader(fields postpolicy.Fields) http.Header {
	h := http.Header{}
	for _, f := range fields {
		ln := strings.ToLower(f.Name)
		known := strings.HasPrefix(ln, "x-amz-meta-") || (strings.HasPrefix(ln, "x-amz-checksum-") && !nonChecksumHeaders[ln]) ||
			strings.HasPrefix(ln, "x-amz-server-side-encryption") // refused as on PUT: nothing is stored unencrypted as if encrypted
		for _, name := range postFieldHeaders {
			if strings.EqualFold(name, ln) {
				known = true
			}
		}
		if known {
			h.Add(f.Name, f.Value)
		}
	}
	// The tagging field is a Tagging document, which PUT's x-amz-tagging
	// carries URL-encoded (POST Object, "tagging").
	for _, f := range fields {
		if strings.EqualFold(f.Name, "tagging") {
			var doc struct {
				Tags []struct {
					Key   string `xml:"Key"`
					Value string `xml:"Value"`
				} `xml:"TagSet>Tag"`
			}
			if err := xml.Unmarshal([]byte(f.Value), &doc); err == nil {
				q := url.Values{}
				for _, t := range doc.Tags {
					q.Add(t.Key, t.Value)
				}
				h.Set("X-Amz-Tagging", q.Encode())
			} else {
				h.Set("X-Amz-Tagging", "%") // refused as malformed by metadataFrom
			}
		}
	}
	if a := h.Get("X-Amz-Checksum-Algorithm"); a != "" && h.Get("X-Amz-Sdk-Checksum-Algorithm") == "" {
		h.Set("X-Amz-Sdk-Checksum-Algorithm", a)
	}
	h.Del("X-Amz-Checksum-Algorithm")
	return h
}

// postForm is POST object: a browser form upload to POST /bucket. The
// multipart body is streamed: the fields before the file are read and
// evaluated against the signed policy, then the file goes to the store as
// it arrives, within the policy's size limits. Fields after the file are
// ignored, as S3 ignores them.
func (h *Handler) postForm(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	bucket, _ := bucketKey(r)
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return malformedPost("The Content-Type has no boundary.")
	}
	// The fields are parsed and evaluated in the lane of large requests
	// (anyone can send up to 60 KiB of them, no signature needed), from
	// bytes read before it is entered, so that a slow client never holds a
	// slot while it sends them; the file streams outside the lane.
	head, err := io.ReadAll(io.LimitReader(r.Body, maxPostPreDataWire+1))
	if err != nil {
		return malformedPost("%v", err)
	}
	if err := enterLane(r); err != nil {
		return err
	}
	defer st.leaveLane()
	body := &preDataReader{r: io.MultiReader(bytes.NewReader(head), r.Body), limit: maxPostPreDataWire}
	mr := multipart.NewReader(body, params["boundary"])
	var (
		fields   postpolicy.Fields
		total    int
		file     *multipart.Part
		filename string
	)
	for file == nil {
		part, err := mr.NextPart()
		if err == io.EOF {
			return s3err.New(s3err.InvalidArgument, "POST requires exactly one file upload per request.").
				With("ArgumentName", "file").With("ArgumentValue", "0")
		}
		var s3e *s3err.Error
		if errors.As(err, &s3e) {
			return s3e
		}
		if err != nil {
			return malformedPost("%v", err)
		}
		name := part.FormName()
		if name == "" {
			return malformedPost("A part has no form-data name.")
		}
		if strings.EqualFold(name, "file") {
			file, filename = part, part.FileName()
			body.limit = -1
			break
		}
		value, err := io.ReadAll(io.LimitReader(part, MaxPostPreData+1))
		if errors.As(err, &s3e) {
			return s3e
		}
		if err != nil {
			return malformedPost("%v", err)
		}
		total += len(name) + len(value)
		if total > MaxPostPreData {
			return errPreData()
		}
		fields = append(fields, postpolicy.Field{Name: name, Value: string(value)})
	}
	if h.sigv4Only && hasField(fields, "AWSAccessKeyId") && hasField(fields, "signature") {
		return s3err.New(s3err.InvalidRequest, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	}
	var up *postpolicy.Upload
	if !hasField(fields, "policy") && h.bucketACL(r.Context(), bucket) == aclPublicReadWrite {
		up, err = h.anonymousForm(bucket, fields, filename) // the bucket's ACL lets anyone write
	} else {
		up, err = h.post.Evaluate(&postpolicy.EvaluateInput{Bucket: bucket, Fields: fields, Filename: filename})
	}
	st.leaveLane()
	if err != nil {
		return err
	}
	st.key = up.Key
	hdr := formHeader(up.Fields)
	meta, err := metadataFrom(hdr)
	if err != nil {
		return err
	}
	if meta.ContentType == "" {
		meta.ContentType = "binary/octet-stream"
	}
	decl, err := parseIntegrity(hdr)
	if err != nil {
		return err
	}
	if decl.trailer {
		return malformedPost("A form cannot carry x-amz-trailer.")
	}
	be, _, opts := checkedBodyOptions(up.Limits.Reader(file), decl, defaultChecksum, nil, -1)
	info, err := h.store.PutObject(r.Context(), up.Bucket, up.Key, be, meta, opts)
	if be.err != nil {
		if !isS3Error(be.err) {
			return malformedPost("%v", be.err)
		}
		return be.err
	}
	if err != nil {
		return err
	}
	return h.postResponse(w, r, up, info)
}

// isS3Error reports whether err is or wraps an *s3err.Error.
func isS3Error(err error) bool {
	var se *s3err.Error
	return errors.As(err, &se)
}

// postResponse answers a successful POST upload as its form asks: a 303
// redirect to success_action_redirect with bucket, key and etag added to
// its query; or success_action_status 200 (empty), 201 (a PostResponse
// document) or 204, the default.
func (h *Handler) postResponse(w http.ResponseWriter, r *http.Request, up *postpolicy.Upload, info objstore.ObjectInfo) error {
	loc := objectURL(r, up.Bucket, up.Key)
	hdr := w.Header()
	hdr.Set("ETag", quoteETag(info.ETag))
	hdr.Set("Location", loc)
	setChecksumHeaders(hdr, info.Checksums, checksumType(info.Metadata))
	redirect, ok := up.Fields.Get("success_action_redirect")
	if !ok {
		redirect, _ = up.Fields.Get("redirect")
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		q := u.Query()
		q.Set("bucket", up.Bucket)
		q.Set("key", up.Key)
		q.Set("etag", quoteETag(info.ETag))
		u.RawQuery = q.Encode()
		hdr.Set("Location", u.String())
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	status, _ := up.Fields.Get("success_action_status")
	switch status {
	case "200":
		w.WriteHeader(http.StatusOK)
		return nil
	case "201":
		return writeXML(w, http.StatusCreated, &postResponse{Location: loc, Bucket: up.Bucket, Key: up.Key, ETag: quoteETag(info.ETag)})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// hasField reports whether the form has a field called name, in any case.
func hasField(fields postpolicy.Fields, name string) bool {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// anonymousForm is the upload of a form with no policy to a
// public-read-write bucket, which S3 takes from anyone: the key field,
// "${filename}" replaced, and no condition but the size limit.
func (h *Handler) anonymousForm(bucket string, fields postpolicy.Fields, filename string) (*postpolicy.Upload, error) {
	key := ""
	for _, f := range fields {
		switch strings.ToLower(f.Name) {
		case "key":
			key = f.Value
		case "x-amz-signature", "signature", "x-amz-credential", "awsaccesskeyid":
			return nil, s3err.New(s3err.InvalidArgument, "Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.").With("ArgumentName", "policy")
		}
	}
	if key == "" {
		return nil, s3err.New(s3err.InvalidArgument, "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.").With("ArgumentName", "key")
	}
	key = strings.ReplaceAll(key, "${filename}", filename)
	if err := objstore.CheckKey(key); err != nil {
		return nil, err
	}
	return &postpolicy.Upload{Bucket: bucket, Key: key, Fields: fields, Limits: postpolicy.Limits{Max: h.maxSize}}, nil
}
