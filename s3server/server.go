package s3server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/presign-dev/presign/internal/httpx"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// DefaultRegion is the region of a Handler whose Options name none.
const DefaultRegion = "us-east-1"

// DefaultMaxObjectSize is the largest object PutObject accepts unless
// Options.MaxObjectSize says otherwise: 5 GiB, as S3.
const DefaultMaxObjectSize int64 = 5 << 30

// ServerName is the value of the Server header of every response.
const ServerName = "presign"

// Options configure a [Handler].
type Options struct {
	// Store keeps the buckets and objects. Required.
	Store objstore.Store
	// Verifier checks request signatures. When nil, one is built from
	// Credentials, Region and Now.
	Verifier *sigv4.Verifier
	// Credentials returns the credentials of an access key id, and false
	// when the key is unknown. Required unless Verifier is set; it also
	// checks the signatures of POST forms.
	Credentials func(accessKeyID string) (sigv4.Credentials, bool)
	// Region is the region the server claims to be in; requests signed for
	// another are refused. Empty means [DefaultRegion].
	Region string
	// BaseDomains are the host names under which the rest of the host
	// names the bucket (virtual-hosted requests): with "localhost", a
	// request to photos.localhost:9000 is for bucket "photos", and one to
	// my.photos.localhost for "my.photos". Nil means {"localhost"}.
	// Requests to any other host name the bucket in the path.
	BaseDomains []string
	// CORS answers browsers' cross-origin requests; nil refuses them.
	CORS *CORS
	// Now returns the current time, for signature expiry and POST policies;
	// nil means time.Now.
	Now func() time.Time
	// Logger receives one access-log record per request, at Info level,
	// and internal errors, at Error level; nil discards them.
	Logger *slog.Logger
	// MaxObjectSize is the largest object or part accepted, in bytes; zero
	// means [DefaultMaxObjectSize].
	MaxObjectSize int64
	// BodyIdleTimeout is how long a request body may go without a byte
	// arriving before the request is cut; zero means
	// [DefaultBodyIdleTimeout], negative means no limit.
	BodyIdleTimeout time.Duration
	// Lane bounds how many large requests (see [HeavyHead]) are parsed and
	// verified at once; a server that shares it with another (the API)
	// bounds both together. Nil means a lane of its own with half the
	// CPUs' slots (at least one) and a 30-second wait.
	Lane Lane
	// SigV4Only refuses Signature Version 2 (presigned URLs and
	// "Authorization: AWS" headers) with S3's message; by default the
	// server verifies it, as MinIO does, for the SDKs and tools that still
	// sign with it.
	SigV4Only bool
	// Grants, when set, is checked for every signed request that carries
	// a grant id (internal/grant.Param): after the signature, a request
	// under a revoked or used-up grant is refused 403 AccessDenied saying
	// so, and a use of a limited grant is spent when the response starts
	// with a success (a GET's status line, a PUT's once the object is
	// stored), and given back when the request fails. Nil ignores the
	// parameter, as S3 does.
	Grants objstore.Grants
}

// Lane bounds how many requests of one kind do their work at once; the
// module's internal/httpx.Lane is the implementation. Enter waits for a
// slot until the lane's wait is over or ctx ends, and returns the function
// that leaves it (safe to call twice), or false when no slot came in time.
type Lane interface {
	Enter(ctx context.Context) (leave func(), ok bool)
}

// Handler serves the S3 REST API. It is safe for concurrent use.
type Handler struct {
	store    objstore.Store
	verifier *sigv4.Verifier
	post     *postpolicy.Evaluator
	region   string
	bases    []string
	cors     *CORS
	now      func() time.Time
	log      *slog.Logger
	maxSize  int64
	bodyIdle time.Duration
	lane     Lane
	grants   objstore.Grants
	// sigv4Only is Options.SigV4Only.
	sigv4Only bool
	// corsCache holds the buckets' CORS rules (bucketcors.go), aclCache
	// their canned ACLs (acl.go).
	corsCache configCache[[]*CORS]
	aclCache  configCache[string]
	mux       *http.ServeMux
	chain     http.Handler
	// keepAlive is completeKeepAlive; tests shorten it.
	keepAlive time.Duration
}

// New returns a Handler for opts, or an error when opts lack what it needs.
func New(opts Options) (*Handler, error) {
	if opts.Store == nil {
		return nil, errors.New("s3server: Options.Store is nil")
	}
	h := &Handler{
		store:   opts.Store,
		region:  opts.Region,
		bases:   opts.BaseDomains,
		cors:    opts.CORS,
		now:     opts.Now,
		log:     opts.Logger,
		maxSize: opts.MaxObjectSize,

		bodyIdle:  opts.BodyIdleTimeout,
		lane:      opts.Lane,
		grants:    opts.Grants,
		sigv4Only: opts.SigV4Only,
		keepAlive: completeKeepAlive,
	}
	if h.region == "" {
		h.region = DefaultRegion
	}
	if h.bases == nil {
		h.bases = []string{"localhost"}
	}
	var bases []string // a copy: the caller's slice stays as it is
	for _, b := range h.bases {
		if b = strings.ToLower(strings.Trim(b, ".")); b != "" {
			bases = append(bases, b)
		}
	}
	h.bases = bases
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxSize <= 0 {
		h.maxSize = DefaultMaxObjectSize
	}
	if h.bodyIdle == 0 {
		h.bodyIdle = DefaultBodyIdleTimeout
	}
	if h.lane == nil {
		h.lane = httpx.NewLane(runtime.GOMAXPROCS(0)/2, 30*time.Second)
	}
	h.verifier = opts.Verifier
	if h.verifier == nil {
		if opts.Credentials == nil {
			return nil, errors.New("s3server: Options.Credentials and Options.Verifier are both nil; give one")
		}
		h.verifier = &sigv4.Verifier{Lookup: opts.Credentials, Region: h.region, Now: h.now}
	}
	lookup := opts.Credentials
	if lookup == nil {
		lookup = h.verifier.Lookup
	}
	h.post = &postpolicy.Evaluator{Lookup: lookup, Region: h.verifier.Region, Now: h.now, MaxObjectSize: h.maxSize}
	if err := h.cors.check(); err != nil {
		return nil, err
	}
	h.routes()
	h.chain = h.withRequest(h.withLimits(h.withRoute(h.withCORS(h.withAuth(http.HandlerFunc(h.dispatch))))))
	return h, nil
}

// ServeHTTP serves one S3 request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.chain.ServeHTTP(w, r)
}

// routes registers the operations on the mux. The mux sees the path-style
// path "/bucket/key" whatever the addressing, with the key escaped into
// one segment so that the mux neither cleans nor redirects it; see
// dispatch. Operations that share a method and path are told apart by
// their query in the handlers.
func (h *Handler) routes() {
	m := http.NewServeMux()
	m.Handle("GET /{$}", h.adapt(h.listBuckets))
	m.Handle("GET /{bucket}", h.adapt(h.getBucket))
	m.Handle("HEAD /{bucket}", h.adapt(h.headBucket))
	m.Handle("PUT /{bucket}", h.adapt(h.putBucket))
	m.Handle("DELETE /{bucket}", h.adapt(h.deleteBucket))
	m.Handle("POST /{bucket}", h.adapt(h.postBucket))
	m.Handle("GET /{bucket}/{key...}", h.adapt(h.getObject))
	m.Handle("HEAD /{bucket}/{key...}", h.adapt(h.headObject))
	m.Handle("PUT /{bucket}/{key...}", h.adapt(h.putObject))
	m.Handle("DELETE /{bucket}/{key...}", h.adapt(h.deleteObject))
	m.Handle("POST /{bucket}/{key...}", h.adapt(h.postObject))
	m.Handle("/", h.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return s3err.New(s3err.MethodNotAllowed, "The specified method is not allowed against this resource.").
			With("Method", r.Method).With("ResourceType", resourceType(r))
	}))
	h.mux = m
}

func resourceType(r *http.Request) string {
	st := stateOf(r)
	switch {
	case st.bucket == "":
		return "SERVICE"
	case st.key == "":
		return "BUCKET"
	}
	return "OBJECT"
}

// reqState is what the middleware learns about a request, shared with the
// handlers through the request's context.
type reqState struct {
	// id is the request id, sent as x-amz-request-id.
	id string
	// start is when the request came, by Options.Now.
	start time.Time
	// bucket and key are the request's, from its host and path; key is
	// empty for bucket and service requests.
	bucket, key string
	// virtual is set for a virtual-hosted request.
	virtual bool
	// resource is the request's path as sent, the Resource of errors.
	resource string
	// auth is the verified signature; nil for a POST form upload, which the
	// handler authenticates.
	auth *sigv4.Auth
	// chunked decodes an aws-chunked body; nil otherwise.
	chunked *chunkedReader
	// lane is the handler's lane of large requests; leave, when set,
	// leaves the slot the request holds in it.
	lane  Lane
	leave func()
	// code is the S3 error code of the response, for the access log.
	code s3err.ErrorCode
	// w is the response writer the first middleware wrapped.
	w *httpx.Recorder
}

type stateKey struct{}

// stateOf returns the state of r; the first middleware sets it.
func stateOf(r *http.Request) *reqState {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// trailer looks up a trailing header of the request's aws-chunked body.
func (st *reqState) trailer(name string) (string, bool) {
	if st.chunked == nil {
		return "", false
	}
	return st.chunked.Trailer(name)
}

// handlerFunc is an S3 operation: it writes a successful response or
// returns the error to answer with.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// adapt turns fn into an http.Handler that writes fn's error, if any, as
// an S3 error response. It is the one place errors become responses.
func (h *Handler) adapt(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// writeError writes err as an S3 error response, unless a response was
// already started, in which case it can only be logged.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r)
	e := h.toS3Error(r, err)
	st.code = e.Code
	if st.w != nil && st.w.Status != 0 {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "s3server: error after the response started",
			slog.String("request_id", st.id), slog.String("code", string(e.Code)), slog.String("message", e.Message))
		return
	}
	hdr := w.Header()
	for _, name := range []string{"ETag", "Last-Modified", "Content-Length", "Content-Range", "Content-Disposition", "Content-Encoding", "Cache-Control", "Expires", "Content-Language"} {
		hdr.Del(name)
	}
	for name := range hdr {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-meta-") || strings.HasPrefix(strings.ToLower(name), "x-amz-checksum-") {
			hdr.Del(name)
		}
	}
	hdr.Set("Content-Type", "application/xml")
	if e.Code == s3err.InvalidRange {
		if size, ok := e.Detail("ActualObjectSize"); ok {
			hdr.Set("Content-Range", "bytes */"+size)
		}
	}
	w.WriteHeader(e.Status())
	if r.Method != http.MethodHead {
		e.WriteXML(w, st.resource, st.id)
	}
}

// toS3Error returns err as an S3 error: itself when it is one, its S3
// equivalent for the store's errors, InternalError (logged) otherwise.
func (h *Handler) toS3Error(r *http.Request, err error) *s3err.Error {
	st := stateOf(r)
	var se *s3err.Error
	if errors.As(err, &se) {
		return se
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return s3err.New(s3err.NoSuchBucket, "The specified bucket does not exist").With("BucketName", st.bucket)
	case errors.Is(err, objstore.ErrBucketExists):
		return s3err.New(s3err.BucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it.").With("BucketName", st.bucket)
	case errors.Is(err, objstore.ErrBucketNotEmpty):
		return s3err.New(s3err.BucketNotEmpty, "The bucket you tried to delete is not empty").With("BucketName", st.bucket)
	case errors.Is(err, objstore.ErrInvalidBucketName):
		return s3err.New(s3err.InvalidBucketName, "The specified bucket is not valid.").With("BucketName", st.bucket)
	case errors.Is(err, objstore.ErrNoSuchKey):
		return s3err.New(s3err.NoSuchKey, "The specified key does not exist.").With("Key", st.key)
	case errors.Is(err, objstore.ErrInvalidKey):
		if len(st.key) > 1024 {
			return s3err.New(s3err.KeyTooLongError, "Your key is too long")
		}
		return s3err.New(s3err.InvalidArgument, "The object key is not valid UTF-8.").With("ArgumentName", "key")
	case errors.Is(err, objstore.ErrNoSuchUpload):
		return s3err.New(s3err.NoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").
			With("UploadId", r.URL.Query().Get("uploadId"))
	case errors.As(err, &mbe):
		return s3err.New(s3err.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return s3err.New(s3err.IncompleteBody, "The client went away before the request completed.")
	}
	for _, se := range plainStoreErrors {
		if errors.Is(err, se.err) {
			return s3err.New(se.code, "%s", se.msg)
		}
	}
	h.log.LogAttrs(r.Context(), slog.LevelError, "s3server: internal error",
		slog.String("request_id", st.id), slog.String("error", err.Error()))
	return s3err.New(s3err.InternalError, "We encountered an internal error. Please try again.")
}

// plainStoreErrors are the store's errors whose S3 answer carries no
// detail: the code and S3's message.
var plainStoreErrors = []struct {
	err  error
	code s3err.ErrorCode
	msg  string
}{
	{objstore.ErrInvalidPart, s3err.InvalidPart, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
	{objstore.ErrInvalidPartOrder, s3err.InvalidPartOrder, "The list of parts was not in ascending order. Parts must be ordered by part number."},
	{objstore.ErrEntityTooSmall, s3err.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed object size."},
	{objstore.ErrInvalidRange, s3err.InvalidRange, "The requested range is not satisfiable"},
	{objstore.ErrIncompleteBody, s3err.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	{objstore.ErrInvalidArgument, s3err.InvalidArgument, "An argument of the request is not valid, such as a continuation token, or metadata that is not UTF-8."},
	{objstore.ErrPreconditionFailed, s3err.PreconditionFailed, "At least one of the pre-conditions you specified did not hold"},
	{io.ErrUnexpectedEOF, s3err.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
}

// newRequestID returns a random request id: 16 upper-case hex digits, as S3's.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// newHostID returns a random x-amz-id-2 value.
func newHostID() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// withRequest gives each request its id and state, stamps the common
// response headers, and writes the access log when the request is done.
func (h *Handler) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{id: newRequestID(), start: h.now(), resource: rawPath(r), lane: h.lane}
		lw := &httpx.Recorder{ResponseWriter: w}
		st.w = lw
		hdr := w.Header()
		hdr.Set("X-Amz-Request-Id", st.id)
		hdr.Set("X-Amz-Id-2", newHostID())
		hdr.Set("Server", ServerName)
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		next.ServeHTTP(lw, r)
		h.accessLog(r, st, lw)
	})
}

// rawPath returns the path of r as the client sent it.
func rawPath(r *http.Request) string {
	if p, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(p, "/") {
		return p
	}
	return r.URL.EscapedPath()
}

// withRoute finds the bucket and key of a request, from its host
// (virtual-hosted) or its path (path-style).
func (h *Handler) withRoute(next http.Handler) http.Handler {
	return h.adapt(func(w http.ResponseWriter, r *http.Request) error {
		st := stateOf(r)
		host := strings.ToLower(r.Host)
		if hn, _, err := net.SplitHostPort(host); err == nil {
			host = hn
		}
		p := r.URL.Path
		if !strings.HasPrefix(p, "/") {
			return s3err.New(s3err.InvalidRequest, "The request path must start with '/'.")
		}
		for _, base := range h.bases {
			if b, ok := strings.CutSuffix(host, "."+base); ok && b != "" {
				st.bucket, st.key, st.virtual = b, p[1:], true
				break
			}
		}
		if !st.virtual {
			st.bucket, st.key, _ = strings.Cut(p[1:], "/")
		}
		if st.bucket == "" && st.key != "" {
			return s3err.New(s3err.InvalidBucketName, "The specified bucket is not valid.").With("BucketName", "")
		}
		if len(st.key) > 1024 {
			return s3err.New(s3err.KeyTooLongError, "Your key is too long").With("Size", itoa(int64(len(st.key)))).With("MaxSizeAllowed", "1024")
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// dispatch hands the request to the mux under its path-style path, with
// the key escaped into one segment ("." too), so that the mux neither
// cleans "a//b/../c" nor redirects it; the handlers read the bucket and key
// back with PathValue. The caller's request is not modified.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	p := "/"
	if st.bucket != "" {
		p += escapeSegment(st.bucket)
		if st.key != "" {
			p += "/" + escapeSegment(st.key)
		}
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	// p is escapeSegment's output, always a valid escaping.
	u.Path, _ = url.PathUnescape(p)
	u.RawPath = p
	r2.URL = &u
	h.mux.ServeHTTP(w, r2)
}

// escapeSegment percent-encodes s into one path segment, SigV4's way
// ('/' included), that is never "." or "..", which the mux would clean.
func escapeSegment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return sigv4.Escape(s, false)
}

// bucketKey returns the bucket and key the mux matched.
func bucketKey(r *http.Request) (string, string) {
	return r.PathValue("bucket"), r.PathValue("key")
}
