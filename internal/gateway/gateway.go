// Package gateway is presign serve's verifying gateway in front of an S3
// backend (--gateway): the URLs the API issues point at the gateway, signed
// with a key pair of the gateway's own; it verifies each request's
// signature, checks its grant (revoked, used up), and streams the request
// to the backend and the answer back, presigned with the backend's
// credentials, in constant memory. S3 cannot refuse a validly signed URL;
// the gateway can, at the cost of every byte passing through it.
//
// Grant state lives in the backend bucket itself, under .presign/, where
// every replica sees it: a use of a limited grant is an object created with
// If-None-Match: * (S3, MinIO and the embedded store decide it atomically,
// so of racing replicas exactly one wins each use), a revocation an object
// of its own, and the prefix revocations one document updated with
// If-Match. The ids carry their expiry; a lifecycle rule on .presign/
// (expire after 8 days) forgets them (see the README).
package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/issuer"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// Credentials are the gateway's key pair, derived from the service's upload
// secret, so that every replica signs and verifies with the same one.
func Credentials(uploadSecret []byte) sigv4.Credentials {
	derive := func(label string) string {
		m := hmac.New(sha256.New, uploadSecret)
		m.Write([]byte("presign-gateway\x00" + label))
		return hex.EncodeToString(m.Sum(nil))
	}
	return sigv4.Credentials{AccessKeyID: "PSGW" + strings.ToUpper(derive("access-key-id")[:16]), SecretAccessKey: derive("secret-access-key")}
}

// prefix is where the grant state lives in the backend bucket.
const prefix = ".presign/"

// Grants is the grant state of a gateway, kept in the backend bucket.
type Grants struct {
	B *issuer.Backend
}

var _ objstore.Grants = (*Grants)(nil)

// notFound reports a 404 of the backend.
func notFound(err error) bool {
	var be *issuer.BackendError
	return errors.As(err, &be) && be.Status == http.StatusNotFound
}

// conflict reports a 412 of the backend: a condition failed.
func conflict(err error) bool {
	var be *issuer.BackendError
	return errors.As(err, &be) && be.Status == http.StatusPreconditionFailed
}

// LimitGrant records the grant's number of uses.
func (g *Grants) LimitGrant(ctx context.Context, id string, maxUses int, expires time.Time) error {
	return g.B.PutSmall(ctx, prefix+"grants/"+id, []byte(strconv.Itoa(maxUses)), true, "")
}

// RevokeGrant records the grant as revoked.
func (g *Grants) RevokeGrant(ctx context.Context, id string, expires time.Time) error {
	return g.B.PutSmall(ctx, prefix+"grants/"+id+".revoked", nil, false, "")
}

// revocation is one prefix revocation.
type revocation struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
	At     int64  `json:"at"`
}

// revocations reads the prefix revocations and their document's ETag.
func (g *Grants) revocations(ctx context.Context) ([]revocation, string, error) {
	data, etag, err := g.B.GetSmall(ctx, prefix+"revocations.json")
	if notFound(err) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var list []revocation
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, "", fmt.Errorf("gateway: %srevocations.json is damaged: %w", prefix, err)
	}
	return list, etag, nil
}

// RevokeGrants adds a prefix revocation, with If-Match on the document
// (If-None-Match: * for the first), retrying when another replica wrote
// it meanwhile. Revocations older than a URL's longest life are dropped.
func (g *Grants) RevokeGrants(ctx context.Context, bucket, keyPrefix string, at time.Time) error {
	for try := 0; try < 10; try++ {
		list, etag, err := g.revocations(ctx)
		if err != nil {
			return err
		}
		keep := list[:0]
		for _, r := range list {
			if time.Unix(r.At, 0).Add(sigv4.MaxExpires+time.Hour).After(at) && !(r.Bucket == bucket && r.Prefix == keyPrefix) {
				keep = append(keep, r)
			}
		}
		keep = append(keep, revocation{Bucket: bucket, Prefix: keyPrefix, At: at.Unix()})
		data, _ := json.Marshal(keep)
		err = g.B.PutSmall(ctx, prefix+"revocations.json", data, etag == "", strings.Trim(etag, `"`))
		if !conflict(err) {
			return err
		}
	}
	return errors.New("gateway: the prefix revocations changed ten times while this one was written; try again")
}

// BeginGrantUse checks the grant of a request and takes a use of a
// limited one: the first of its use objects that does not exist yet,
// created with If-None-Match: *.
func (g *Grants) BeginGrantUse(id, bucket, key string, signed time.Time) (objstore.GrantUse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	list, _, err := g.revocations(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		if r.Bucket == bucket && strings.HasPrefix(key, r.Prefix) && !signed.After(time.Unix(r.At, 0)) {
			return nil, fmt.Errorf("%w: every grant under the prefix %q was revoked at %s", objstore.ErrGrantRevoked, r.Prefix, time.Unix(r.At, 0).UTC().Format(time.RFC3339))
		}
	}
	if _, _, err := g.B.GetSmall(ctx, prefix+"grants/"+id+".revoked"); err == nil {
		return nil, fmt.Errorf("%w: the grant %s was revoked", objstore.ErrGrantRevoked, id)
	} else if !notFound(err) {
		return nil, err
	}
	data, _, err := g.B.GetSmall(ctx, prefix+"grants/"+id)
	if notFound(err) {
		return noUse{}, nil
	}
	if err != nil {
		return nil, err
	}
	max, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || max < 1 {
		return nil, fmt.Errorf("gateway: the record of grant %s is damaged", id)
	}
	for n := 1; n <= max; n++ {
		useKey := fmt.Sprintf("%sgrants/%s.use-%d", prefix, id, n)
		err := g.B.PutSmall(ctx, useKey, nil, true, "")
		switch {
		case err == nil:
			return &use{g: g, key: useKey}, nil
		case !conflict(err):
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: the grant %s allows %d uses, all spent or under way", objstore.ErrGrantUsedUp, id, max)
}

type noUse struct{}

func (noUse) Commit() error { return nil }
func (noUse) Release()      {}

// use is a use taken: its object exists. Release deletes it.
type use struct {
	g    *Grants
	key  string
	done bool
}

func (u *use) Commit() error { u.done = true; return nil }

func (u *use) Release() {
	if u.done {
		return
	}
	u.done = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u.g.B.DeleteSmall(ctx, u.key)
}

// Handler is the gateway: it verifies, checks the grant and forwards.
type Handler struct {
	// Backend is where requests go, presigned with its credentials.
	Backend *issuer.Backend
	// Verifier checks the gateway's URLs (the gateway's key pair).
	Verifier *sigv4.Verifier
	// Grants is checked for every request that carries a grant id.
	Grants objstore.Grants
	// HTTP sends the forwarded requests; it must not bound a transfer's
	// length (a client's slowness is bounded by the server's timeouts).
	HTTP *http.Client
	// Log gets failures of the backend.
	Log *slog.Logger
}

func writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var se *s3err.Error
	if !errors.As(err, &se) {
		se = s3err.New(s3err.ServiceUnavailable, "The gateway could not reach storage: %v", err)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(se.Code.Status())
	se.WriteXML(w, r.URL.Path, "")
}

// ServeHTTP verifies, checks the grant and forwards one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		writeErr(w, r, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != h.Backend.Bucket || key == "" || strings.HasPrefix(key, prefix) {
		return s3err.New(s3err.AccessDenied, "Access Denied")
	}
	a, err := h.Verifier.Verify(r)
	if err != nil {
		return err
	}
	if a.PayloadHash != sigv4.UnsignedPayload {
		return s3err.New(s3err.NotImplemented, "The gateway takes UNSIGNED-PAYLOAD URLs only (the ones the API issues).")
	}
	q := r.URL.Query()
	in := &presign.Input{Bucket: bucket, Key: key}
	var op presign.Operation
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		op = presign.GetObject
		if r.Method == http.MethodHead {
			op = presign.HeadObject
		}
		in.ResponseContentDisposition, in.ResponseContentType = q.Get("response-content-disposition"), q.Get("response-content-type")
	case r.Method == http.MethodPut && q.Has("uploadId"):
		n, err := strconv.Atoi(q.Get("partNumber"))
		if err != nil {
			return s3err.New(s3err.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
		}
		op, in.UploadID, in.PartNumber, in.ContentLength = presign.UploadPart, q.Get("uploadId"), n, &r.ContentLength
	case r.Method == http.MethodPut:
		op, in.ContentType, in.ContentLength = presign.PutObject, r.Header.Get("Content-Type"), &r.ContentLength
		in.ChecksumSHA256 = r.Header.Get("X-Amz-Checksum-Sha256")
		for name, vals := range r.Header {
			if ln := strings.ToLower(name); strings.HasPrefix(ln, "x-amz-meta-") && len(vals) > 0 {
				in.Header = append(in.Header, sigv4.Param{Name: ln, Value: vals[0]})
			}
		}
	case r.Method == http.MethodDelete:
		op = presign.DeleteObject
	default:
		return s3err.New(s3err.NotImplemented, "The gateway forwards GET, HEAD, PUT (objects and parts) and DELETE.")
	}
	var u objstore.GrantUse = noUse{}
	if id := q.Get(grant.Param); id != "" && h.Grants != nil {
		if _, ok := grant.Expires(id); !ok {
			return s3err.New(s3err.AccessDenied, "Access Denied: the %s parameter is not a grant id issued by presign serve.", grant.Param)
		}
		u, err = h.Grants.BeginGrantUse(id, bucket, key, a.Time)
		switch {
		case errors.Is(err, objstore.ErrGrantRevoked), errors.Is(err, objstore.ErrGrantUsedUp):
			return s3err.New(s3err.AccessDenied, "Access Denied: %s.", strings.TrimPrefix(err.Error(), "objstore: "))
		case err != nil:
			return err
		}
	}
	defer u.Release() // a no-op once committed

	o := presign.Options{Expires: 15 * time.Minute, SigningTime: time.Now(), CapToCredentials: true}
	if in.ChecksumSHA256 != "" {
		o.UnhoistableHeaders = []string{"x-amz-checksum-sha256"}
	}
	res, err := h.Backend.Presigner.Presign(r.Context(), op, in, o)
	if err != nil {
		return fmt.Errorf("presigning for storage: %w", sigv4.RedactError(err))
	}
	var body io.Reader
	if r.Method == http.MethodPut {
		body = r.Body
	}
	breq, err := http.NewRequestWithContext(r.Context(), res.Method, res.URL, body)
	if err != nil {
		return err
	}
	breq.Header = res.HTTPHeader()
	if r.Method == http.MethodPut {
		breq.ContentLength = r.ContentLength
	}
	for _, name := range []string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "Content-MD5"} {
		if v := r.Header.Get(name); v != "" {
			breq.Header.Set(name, v)
		}
	}
	resp, err := h.HTTP.Do(breq)
	if err != nil {
		if h.Log != nil {
			h.Log.Warn("gateway: storage did not answer", "op", string(op), "err", sigv4.RedactError(err))
		}
		return s3err.New(s3err.ServiceUnavailable, "The gateway could not reach storage.")
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		if err := u.Commit(); err != nil {
			return err
		}
	}
	for name, vals := range resp.Header {
		switch ln := strings.ToLower(name); {
		case ln == "content-type", ln == "content-length", ln == "content-range", ln == "etag", ln == "last-modified",
			ln == "accept-ranges", ln == "cache-control", ln == "content-disposition", ln == "content-encoding", ln == "expires",
			strings.HasPrefix(ln, "x-amz-"):
			w.Header()[name] = vals
		}
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		io.Copy(w, resp.Body)
	}
	return nil
}
