package issuer

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/sigv4"
)

// DefaultBackendTimeout bounds each request the service makes to storage
// when [Backend.Timeout] is zero. It must stay well under the API server's
// write timeout (presign serve: 30 s), so that a hung storage service gets
// the client a JSON 504, not a closed connection.
const DefaultBackendTimeout = 10 * time.Second

// Backend is the S3-compatible storage the API hands out URLs for: AWS S3,
// MinIO, Ceph, R2, or the embedded store. Besides presigning, it runs the
// few requests the service makes itself (creating, completing and aborting
// multipart uploads, and a readiness probe) by sending requests it
// presigned with the same credentials, so it needs no SDK and treats every
// S3-compatible service alike.
type Backend struct {
	// Presigner makes the URLs and forms. Required.
	Presigner *presign.Client
	// Bucket holds the objects. Required.
	Bucket string
	// HTTP sends the service's own requests; nil means a plain
	// http.Client. Each request is bounded by Timeout whatever the
	// client's own.
	HTTP *http.Client
	// Timeout bounds each of the service's own requests, from sending to
	// the end of the answer's body; zero means [DefaultBackendTimeout].
	// A request that runs out of time fails with an [UnreachableError]
	// whose Timeout is set.
	Timeout time.Duration
	// Now is the signing time source; nil means time.Now.
	Now func() time.Time
	// Grants is the grant state of a store that checks it (the embedded
	// store, or the verifying gateway in front of S3); nil for S3 and other
	// stores, which cannot enforce single-use or revoked URLs.
	Grants objstore.Grants
	// Gateway, when set, presigns the URLs handed out for the operations
	// the verifying gateway forwards (GET, HEAD, PUT, UploadPart, DELETE):
	// they point at the gateway, which checks them and forwards them with
	// Presigner's credentials. Nil: every URL is Presigner's.
	Gateway *presign.Client
}

// urls is the presigner of the URLs handed out for op.
func (b *Backend) urls(op presign.Operation) *presign.Client {
	switch op {
	case presign.GetObject, presign.HeadObject, presign.PutObject, presign.UploadPart, presign.DeleteObject:
		if b.Gateway != nil {
			return b.Gateway
		}
	}
	return b.Presigner
}

func (b *Backend) httpClient() *http.Client {
	if b.HTTP != nil {
		return b.HTTP
	}
	return http.DefaultClient
}

func (b *Backend) timeout() time.Duration {
	if b.Timeout > 0 {
		return b.Timeout
	}
	return DefaultBackendTimeout
}

func (b *Backend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// BackendError is an error answer from the storage service.
type BackendError struct {
	Status  int
	Code    string
	Message string
}

// Error returns the status, code and message storage answered.
func (e *BackendError) Error() string { return "issuer: " + e.detail() }

// detail is the error's message without the package name, for a client.
func (e *BackendError) detail() string {
	return fmt.Sprintf("storage answered %d %s: %s", e.Status, e.Code, e.Message)
}

// UnreachableError is a request to storage that got no full answer:
// storage could not be reached, or did not answer within the backend's
// timeout. It names storage by host only: the request's URL, which is
// signed, is in no field.
type UnreachableError struct {
	// Op is the S3 operation the service was sending.
	Op presign.Operation
	// Host is storage's host[:port].
	Host string
	// Timeout is set when storage did not answer within it.
	Timeout time.Duration
	// Err is the cause, with signatures and credentials redacted
	// ([sigv4.RedactError]).
	Err error
}

// Error names storage's host and the operation, and the timeout or the
// cause.
func (e *UnreachableError) Error() string { return "issuer: " + e.detail() }

// detail is the error's message without the package name, for a client.
func (e *UnreachableError) detail() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("storage at %s did not answer %s within %v", e.Host, e.Op, e.Timeout)
	}
	cause := e.Err
	var ue *url.Error
	if errors.As(cause, &ue) {
		cause = ue.Err // its message repeats the (redacted) URL
	}
	return fmt.Sprintf("storage at %s is unreachable (%s): %v", e.Host, e.Op, cause)
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// storageDetail is what a client is told of a failure of storage: a
// [*BackendError]'s or [*UnreachableError]'s message without the package
// name, or the error's text. No error of the backend carries a signed URL.
func storageDetail(err error) string {
	var d interface{ detail() string }
	if errors.As(err, &d) {
		return d.detail()
	}
	return err.Error()
}

// do presigns op on in for a minute, sends it with body, and returns the
// response body of a 2xx answer, a *BackendError or an *UnreachableError.
// No error it returns carries the signed URL.
func (b *Backend) do(ctx context.Context, op presign.Operation, in *presign.Input, body []byte) ([]byte, error) {
	data, _, err := b.doHeader(ctx, op, in, body)
	return data, err
}

// doHeader is do, with the answer's headers.
func (b *Backend) doHeader(ctx context.Context, op presign.Operation, in *presign.Input, body []byte) ([]byte, http.Header, error) {
	res, err := b.Presigner.Presign(ctx, op, in, presign.Options{Expires: time.Minute, SigningTime: b.now(), CapToCredentials: true})
	if err != nil {
		return nil, nil, sigv4.RedactError(err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	limit := b.timeout()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, res.Method, res.URL, rd)
	if err != nil {
		return nil, nil, sigv4.RedactError(err)
	}
	req.Header = res.HTTPHeader()
	unreachable := func(err error) error {
		ue := &UnreachableError{Op: op, Host: req.URL.Host, Err: sigv4.RedactError(err)}
		var ne net.Error
		if ctx.Err() == context.DeadlineExceeded || errors.As(err, &ne) && ne.Timeout() {
			ue.Timeout = limit
		}
		return ue
	}
	resp, err := b.httpClient().Do(req)
	if err != nil {
		return nil, nil, unreachable(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, unreachable(fmt.Errorf("reading storage's answer: %w", err))
	}
	// S3 may answer CompleteMultipartUpload with 200 and an <Error> body.
	if resp.StatusCode/100 != 2 || bytes.Contains(data[:min(len(data), 200)], []byte("<Error>")) {
		var e struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		xml.Unmarshal(data, &e)
		if e.Code == "" {
			e.Code = http.StatusText(resp.StatusCode)
		}
		status := resp.StatusCode
		if status/100 == 2 {
			status = http.StatusInternalServerError
		}
		return nil, resp.Header, &BackendError{Status: status, Code: e.Code, Message: sigv4.RedactURL(e.Message)}
	}
	return data, resp.Header, nil
}

// CreateMultipartUpload starts a multipart upload and returns its id.
func (b *Backend) CreateMultipartUpload(ctx context.Context, key, contentType string) (string, error) {
	data, err := b.do(ctx, presign.CreateMultipartUpload, &presign.Input{Bucket: b.Bucket, Key: key, ContentType: contentType}, nil)
	if err != nil {
		return "", err
	}
	var out struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(data, &out); err != nil || out.UploadID == "" {
		return "", errors.New("issuer: storage's CreateMultipartUpload answer has no UploadId")
	}
	return out.UploadID, nil
}

// Part is a completed part: its number and the ETag storage returned.
type Part struct {
	PartNumber int    `json:"partNumber" xml:"PartNumber"`
	ETag       string `json:"etag" xml:"ETag"`
}

// Completed is storage's answer to CompleteMultipartUpload.
type Completed struct {
	ETag     string // unquoted
	Location string // the object's URL, as storage gives it
}

// CompleteMultipartUpload assembles the parts into the object.
func (b *Backend) CompleteMultipartUpload(ctx context.Context, key, uploadID string, parts []Part) (Completed, error) {
	doc := struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Parts   []Part   `xml:"Part"`
	}{Parts: parts}
	body, err := xml.Marshal(doc)
	if err != nil {
		return Completed{}, err
	}
	data, err := b.do(ctx, presign.CompleteMultipartUpload, &presign.Input{Bucket: b.Bucket, Key: key, UploadID: uploadID}, body)
	if err != nil {
		return Completed{}, err
	}
	var out struct {
		ETag     string `xml:"ETag"`
		Location string `xml:"Location"`
	}
	xml.Unmarshal(data, &out)
	return Completed{ETag: strings.Trim(out.ETag, `"`), Location: out.Location}, nil
}

// StoredPart is a part storage holds: its number, ETag (unquoted) and size.
type StoredPart struct {
	PartNumber int    `json:"PartNumber" xml:"PartNumber"`
	ETag       string `json:"ETag" xml:"ETag"`
	Size       int64  `json:"Size" xml:"Size"`
}

// maxListedParts bounds a listing: S3 allows at most 10,000 parts.
const maxListedParts = 10000

// ListParts returns the parts storage holds for an upload, in order,
// following the listing's pages.
func (b *Backend) ListParts(ctx context.Context, key, uploadID string) ([]StoredPart, error) {
	var parts []StoredPart
	marker := ""
	for page := 0; page <= maxListedParts/100; page++ {
		data, err := b.do(ctx, presign.ListParts, &presign.Input{Bucket: b.Bucket, Key: key, UploadID: uploadID, PartNumberMarker: marker}, nil)
		if err != nil {
			return nil, err
		}
		var out struct {
			Parts       []StoredPart `xml:"Part"`
			IsTruncated bool         `xml:"IsTruncated"`
			Next        string       `xml:"NextPartNumberMarker"`
		}
		if err := xml.Unmarshal(data, &out); err != nil {
			return nil, fmt.Errorf("issuer: storage's ListParts answer is not XML: %w", err)
		}
		for i := range out.Parts {
			out.Parts[i].ETag = strings.Trim(out.Parts[i].ETag, `"`)
		}
		parts = append(parts, out.Parts...)
		if !out.IsTruncated || out.Next == "" || out.Next == marker || len(parts) > maxListedParts {
			return parts, nil
		}
		marker = out.Next
	}
	return parts, nil
}

// AbortMultipartUpload ends an upload and frees its parts.
func (b *Backend) AbortMultipartUpload(ctx context.Context, key, uploadID string) error {
	_, err := b.do(ctx, presign.AbortMultipartUpload, &presign.Input{Bucket: b.Bucket, Key: key, UploadID: uploadID}, nil)
	return err
}

// Ready checks that storage answers, the bucket exists and the credentials
// are accepted, by asking for an object that does not exist: "NoSuchKey"
// (404) means all is well. It uses GET, not HEAD, because only a body
// tells a missing key from a missing bucket.
func (b *Backend) Ready(ctx context.Context) error {
	_, err := b.do(ctx, presign.GetObject, &presign.Input{Bucket: b.Bucket, Key: ".presign-readiness-probe"}, nil)
	var be *BackendError
	if errors.As(err, &be) && be.Status == http.StatusNotFound && be.Code != "NoSuchBucket" {
		return nil
	}
	if err == nil {
		return nil
	}
	return err
}

// PutSmall stores data (a small object of the service's own) at key; with
// ifNoneMatch only if there is none, with ifMatch only if the object's ETag
// is that: storage decides, atomically (S3, MinIO and the embedded store
// do). A condition that fails is a *BackendError of status 412.
func (b *Backend) PutSmall(ctx context.Context, key string, data []byte, ifNoneMatch bool, ifMatch string) error {
	n := int64(len(data))
	in := &presign.Input{Bucket: b.Bucket, Key: key, ContentLength: &n, IfMatch: ifMatch}
	if ifNoneMatch {
		in.IfNoneMatch = "*"
	}
	_, err := b.do(ctx, presign.PutObject, in, data)
	return err
}

// GetSmall reads the object at key (at most 1 MiB of it) and its ETag; a
// missing one is a *BackendError of status 404.
func (b *Backend) GetSmall(ctx context.Context, key string) ([]byte, string, error) {
	data, hdr, err := b.doHeader(ctx, presign.GetObject, &presign.Input{Bucket: b.Bucket, Key: key}, nil)
	if err != nil {
		return nil, "", err
	}
	return data, hdr.Get("ETag"), nil
}

// DeleteSmall deletes the object at key.
func (b *Backend) DeleteSmall(ctx context.Context, key string) error {
	_, err := b.do(ctx, presign.DeleteObject, &presign.Input{Bucket: b.Bucket, Key: key}, nil)
	return err
}
