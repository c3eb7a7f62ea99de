// Package issuer is the URL-issuing API of presign serve: a backend or a
// browser asks for an upload or download URL, the service checks the
// request against the client's policy and answers with a presigned URL, and
// the bytes go straight to storage: the service never carries them.
//
// # Tenants and prefixes
//
// Each API key is a [Tenant] with a key prefix of its own: every key the
// API issues a URL for lies under that prefix, whatever the request says.
// Upload keys are made by the service ("<prefix>/<uuid>/<sanitised name>"),
// and download keys are checked with [CheckKey]. Keys are stored only as
// SHA-256 hashes.
//
// # Routes
//
//	POST   /v1/uploads                          a PUT URL or a POST form
//	POST   /v1/uploads/multipart                start a multipart upload
//	POST   /v1/uploads/multipart/{id}/parts     part URLs
//	POST   /v1/uploads/multipart/{id}/complete  finish it
//	GET    /v1/uploads/multipart/{id}           the parts storage holds, to resume
//	DELETE /v1/uploads/multipart/{id}           abort it
//	POST   /v1/downloads                        a GET URL
//	POST   /v1/presign                          a URL for a chosen method, key and headers
//	POST   /v1/inspect                          explain a presigned URL
//	POST   /v1/session, DELETE /v1/session      a session cookie for a same-origin page
//	POST   /v1/uppy/sign                        Uppy's signRequest mode
//	GET    /s3/params, /s3/multipart/...        Uppy's companionEndpoint mode (Companion's routes)
//	GET    /healthz, /readyz, /metrics, /openapi.json
//
// See uppy.go for Uppy's routes and how the size policy holds on them.
//
// # Errors
//
// Errors are {"error": {"code", "message"}}, with "field" naming the
// member refused for invalid_field. The code is a [Code], whose status is
// [Code.Status]; handlers return an [*Error] and the route adapter alone
// writes it and logs its cause.
package issuer

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/inspect"
	"github.com/presign-dev/presign/internal/httpx"
	"github.com/presign-dev/presign/internal/suggest"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/sigv4"
)

// openAPIDoc is the OpenAPI 3 description of the API; a test checks it
// against the routes.
//
//go:embed openapi.json
var openAPIDoc []byte

// Options wire a Server.
type Options struct {
	Config  Config
	Backend *Backend
	// Audit receives one JSON line per URL issued; nil discards them.
	Audit *slog.Logger
	// Log receives operational messages; nil discards them.
	Log *slog.Logger
	// Registry gets the metrics; nil means a new one, served at /metrics.
	Registry *prometheus.Registry
	// MetricsToken, when set, is the bearer token GET /metrics requires
	// ("Authorization: Bearer <token>"); empty serves the metrics, which
	// name the clients, to anyone who can reach them.
	MetricsToken string
	// NoMetricsRoute leaves GET /metrics off the API's routes, for
	// serving [Server.MetricsHandler] on an address of its own.
	NoMetricsRoute bool
	// Version is the service's version, which GET /healthz reports;
	// empty leaves it out.
	Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// TrustProxy takes the remote address from X-Forwarded-For.
	TrustProxy bool
	// Lane bounds how many requests with a large body (over heavyBody
	// bytes, or of unknown length) are handled at once, so that many of
	// them take only the lane's share of the CPU; sharing the store's
	// (s3server.Options.Lane) bounds both servers together. Nil lets every
	// request through. Enter waits for a slot until the lane's wait is over
	// or ctx ends; the slot is left by the function it returns.
	Lane interface {
		Enter(ctx context.Context) (leave func(), ok bool)
	}
}

// heavyBody is the size from which a request body is large: the API's
// own bodies are under a few hundred bytes.
const heavyBody = 4 << 10

// Server is the API's http.Handler.
type Server struct {
	cfg     Config
	backend *Backend
	audit   *slog.Logger
	log     *slog.Logger
	now     func() time.Time
	proxy   bool
	lane    interface {
		Enter(ctx context.Context) (leave func(), ok bool)
	}
	clients  map[string]*tenantState // by key hash
	mux      *http.ServeMux
	registry *prometheus.Registry
	m        metrics
	// metricsTokenHash is the SHA-256 of Options.MetricsToken; nil when
	// the metrics need no token.
	metricsTokenHash []byte
	noRoute          http.Handler
	anonymous        *rate.Limiter
	metrics          http.Handler
}

type tenantState struct {
	*Tenant
	limiter *rate.Limiter
}

type metrics struct {
	requests *prometheus.CounterVec
	issued   *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	grants   *prometheus.CounterVec
}

// New returns the API server, or the configuration's mistakes.
func New(o Options) (*Server, error) {
	if errs := o.Config.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if o.Backend == nil || o.Backend.Presigner == nil {
		return nil, errors.New("issuer: a Backend with a Presigner is required")
	}
	discard := slog.New(slog.NewJSONHandler(io.Discard, nil))
	s := &Server{cfg: o.Config, backend: o.Backend, audit: o.Audit, log: o.Log, now: o.Now, proxy: o.TrustProxy,
		clients: map[string]*tenantState{}, registry: o.Registry, lane: o.Lane}
	if s.audit == nil {
		s.audit = discard
	}
	if s.log == nil {
		s.log = discard
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.registry == nil {
		// The standard go_* and process_* metrics beside the API's own.
		s.registry = prometheus.NewRegistry()
		s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if o.MetricsToken != "" {
		sum := sha256.Sum256([]byte(o.MetricsToken))
		s.metricsTokenHash = sum[:]
	}
	for i := range s.cfg.Tenants {
		c := &s.cfg.Tenants[i]
		st := &tenantState{Tenant: c}
		if c.RateLimit > 0 {
			st.limiter = rate.NewLimiter(rate.Limit(c.RateLimit), c.Burst)
		}
		s.clients[strings.ToLower(c.KeySHA256)] = st
	}
	s.m = metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "presign_http_requests_total", Help: "API requests by route and status code."}, []string{"route", "code"}),
		issued:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "presign_urls_issued_total", Help: "URLs and forms issued, by operation and client."}, []string{"operation", "client"}),
		grants:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "presign_grants_total", Help: "Grants limited (single-use, maxUses) and revocations (of one grant, of a prefix), by client."}, []string{"action", "client"}),
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "presign_errors_total", Help: "API errors by error code."}, []string{"code"}),
		latency:  prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "presign_http_request_duration_seconds", Help: "API request latency by route.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"}),
	}
	if err := errors.Join(s.registry.Register(s.m.requests), s.registry.Register(s.m.issued),
		s.registry.Register(s.m.errors), s.registry.Register(s.m.latency), s.registry.Register(s.m.grants)); err != nil {
		return nil, fmt.Errorf("issuer: registering metrics: %w", err)
	}

	mux := http.NewServeMux()
	s.noRoute = s.noRouteHandler()
	s.anonymous = rate.NewLimiter(anonymousRate, anonymousBurst)
	api := func(pattern string, op string, h func(*request) (any, error)) {
		mux.Handle(pattern, s.route(pattern, s.authed(op, false, h)))
	}
	s.uppyRoutes(mux)
	api("POST /v1/uploads", OpUpload, withBody(s.upload))
	api("POST /v1/uploads/multipart", OpMultipart, withBody(s.multipartCreate))
	api("POST /v1/uploads/multipart/{id}/parts", OpMultipart, withUpload(s, s.multipartParts))
	api("POST /v1/uploads/multipart/{id}/complete", OpMultipart, withUpload(s, s.multipartComplete))
	api("DELETE /v1/uploads/multipart/{id}", OpMultipart, s.multipartAbort)
	api("GET /v1/uploads/multipart/{id}", OpMultipart, s.multipartList)
	api("POST /v1/downloads", OpDownload, withBody(s.download))
	api("POST /v1/presign", "", withBody(s.presignURL))
	api("DELETE /v1/grants/{id}", "", s.revokeGrant)
	api("POST /v1/grants/revoke", "", withBody(s.revokePrefix))
	// Inspecting needs no secret: a page may ask without a key, under one
	// rate limit shared by all who do.
	mux.Handle("POST /v1/inspect", s.route("POST /v1/inspect", s.keyOptional(s.authed("", false, withBody(s.inspectURL)), withBody(s.inspectURL))))
	mux.Handle("GET /healthz", s.route("GET /healthz", func(w http.ResponseWriter, r *http.Request) error {
		health := map[string]string{"status": "ok"}
		if o.Version != "" {
			health["version"] = o.Version
		}
		return writeJSON(w, http.StatusOK, health)
	}))
	mux.Handle("GET /readyz", s.route("GET /readyz", func(w http.ResponseWriter, r *http.Request) error {
		// The probe is bounded by the backend's timeout; its error names
		// storage's host and never carries the signed probe URL.
		if err := s.backend.Ready(r.Context()); err != nil {
			return withCause(apiErr(CodeNotReady, "storage is not ready: %s", storageDetail(err)), err)
		}
		return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}))
	prom := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	s.metrics = s.route("GET /metrics", func(w http.ResponseWriter, r *http.Request) error {
		if s.metricsTokenHash != nil {
			token, ok := bearerToken(r)
			sum := sha256.Sum256([]byte(token))
			if !ok || !hmac.Equal(sum[:], s.metricsTokenHash) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="presign metrics"`)
				return apiErr(CodeUnauthorized, "the metrics need the metrics token: \"Authorization: Bearer <metrics_token>\"")
			}
		}
		prom.ServeHTTP(w, r)
		return nil
	})
	if !o.NoMetricsRoute {
		mux.Handle("GET /metrics", s.metrics)
	}
	mux.Handle("GET /openapi.json", s.route("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		_, err := w.Write(openAPIDoc)
		return err
	}))
	s.mux = mux
	return s, nil
}

// Registry returns the metrics registry, for adding collectors.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// MetricsHandler returns the handler of GET /metrics, with the metrics
// token check if one is set, for serving on an address of its own (see
// Options.NoMetricsRoute).
func (s *Server) MetricsHandler() http.Handler { return s.metrics }

// ServeHTTP answers API requests, with CORS for the configured origins.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin) &&
		r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		// A refused preflight says what was refused and what allows it;
		// the browser shows the page only a CORS failure, but the
		// network panel and the log show this.
		s.route("CORS preflight", func(http.ResponseWriter, *http.Request) error {
			return apiErr(CodeForbidden, "the origin %s may not call this API; allow it with --cors-origin %s (cors_origins in the config, PRESIGN_CORS_ORIGINS)", origin, origin)
		}).ServeHTTP(w, r)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && s.originAllowed(origin) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "POST, DELETE, GET")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// noRoute answers a request no route takes, in JSON as every error: 405
// with Allow for a path that takes other methods, 400 for a path with
// '.', '..' or empty segments (which the router would redirect), 404
// otherwise.
func (s *Server) noRouteHandler() http.Handler {
	return s.route("no route", func(w http.ResponseWriter, r *http.Request) error {
		if p := r.URL.Path; p != "/" && path.Clean(p) != p {
			return apiErr(CodeInvalidPath, "the path %q has '.', '..' or empty segments, or a trailing '/'; an upload id or key in a path is never one of those", p)
		}
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			other := *r
			other.Method = m
			if _, pattern := s.mux.Handler(&other); pattern != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			return apiErr(CodeMethodNotAllowed, "%s is not a method of %s; it takes %s", r.Method, r.URL.Path, strings.Join(allowed, ", "))
		}
		return apiErr(CodeNotFound, "no route %s %s; the routes are listed in /openapi.json", r.Method, r.URL.Path)
	})
}

func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// route adapts a handler that returns an error: the one place that writes
// error bodies, logs their causes (once; handlers only return them), and
// records metrics. An error that is not an [*Error] is answered 500
// internal, its text logged and never sent.
func (s *Server) route(name string, h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &httpx.Recorder{ResponseWriter: w}
		if err := h(sw, r); err != nil {
			ae := s.failed(sw, r, name, err)
			writeJSON(sw, ae.Status(), map[string]*Error{"error": ae})
		}
		s.m.requests.WithLabelValues(name, strconv.Itoa(sw.Status)).Inc()
		s.m.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

// failed is what the route adapter does with a handler's error before
// writing it: it makes it an [*Error] (500 internal for any other), logs
// its cause, counts it and sets Retry-After where the client should retry.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, name string, err error) *Error {
	var ae *Error
	if !errors.As(err, &ae) {
		ae = withCause(apiErr(CodeInternal, "internal error"), err)
	}
	status := ae.Status()
	if ae.Err != nil {
		s.log.LogAttrs(r.Context(), logLevel(r, status), "request failed", slog.String("route", name),
			slog.Int("status", status), slog.String("code", string(ae.Code)),
			slog.String("err", sigv4.RedactURL(ae.Err.Error())))
	}
	if ae.Code == CodeRateLimited || ae.Code == CodeSlowDown {
		w.Header().Set("Retry-After", "1")
	}
	s.m.errors.WithLabelValues(string(ae.Code)).Inc()
	return ae
}

// logLevel is the level of a failed request's log line: INFO for what the
// client caused (a 4xx answer, or a client gone before the answer), WARN
// when storage failed (502, 503, 504), ERROR for the service's own faults.
func logLevel(r *http.Request, status int) slog.Level {
	switch {
	case status < 500 || r.Context().Err() != nil:
		return slog.LevelInfo
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// request is an authenticated API request.
type request struct {
	*http.Request
	w      http.ResponseWriter
	client *tenantState
}

// authed authenticates the bearer key, applies the client's operation
// right and rate limit, and writes the handler's result as JSON.
// With session set, a route also takes the session cookie of a
// same-origin page (see [Server.session]) in place of the bearer key.
func (s *Server) authed(op string, session bool, h func(*request) (any, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.authenticate(w, r, session)
		if err != nil {
			return err
		}
		if op != "" && !c.allows(op) {
			return forbidden(op)
		}
		if c.limiter != nil && !c.limiter.Allow() {
			return apiErr(CodeRateLimited, "too many requests for this API key; retry shortly")
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.maxRequestBytes())
		if s.lane != nil && (r.ContentLength > heavyBody || r.ContentLength < 0 && r.Body != http.NoBody) {
			// Read first, then handle in the lane: a slow client never
			// holds a slot while it sends.
			body, err := readBody(r.Body)
			if err != nil {
				return err
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			leave, ok := s.lane.Enter(r.Context())
			if !ok {
				return apiErr(CodeSlowDown, "the service is busy with large requests; retry shortly")
			}
			defer leave()
		}
		out, err := h(&request{Request: r, w: w, client: c})
		if err != nil {
			return err
		}
		if out == nil {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// authenticate finds the client of a request: by its bearer key or, where
// session allows, by its session cookie.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, session bool) (*tenantState, error) {
	token, ok := bearerToken(r)
	if !ok && session {
		if ck, err := r.Cookie(sessionCookie); err == nil {
			return s.openSession(r, ck.Value)
		}
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="presign"`)
		if session {
			return nil, apiErr(CodeUnauthorized, "send the API key as \"Authorization: Bearer <key>\", or open a session first (POST /v1/session with the key)")
		}
		return nil, apiErr(CodeUnauthorized, "send the API key as \"Authorization: Bearer <key>\"")
	}
	// A map lookup by the key's hash: the lookup's timing depends only
	// on the hash, which tells nothing about any stored key.
	c := s.clients[HashKey(token)]
	if c == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="presign", error="invalid_token"`)
		return nil, apiErr(CodeUnauthorized, "the API key is not valid")
	}
	return c, nil
}

// anonymousRate bounds the requests without an API key, all together.
const anonymousRate, anonymousBurst = 20, 40

// keyOptional serves a request with a bearer key through authed, and one
// without through anonymous h: under the shared anonymous rate limit,
// with the body bound, and no client.
func (s *Server) keyOptional(authed func(http.ResponseWriter, *http.Request) error, h func(*request) (any, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Authorization") != "" {
			return authed(w, r)
		}
		if !s.anonymous.Allow() {
			return apiErr(CodeRateLimited, "too many requests without an API key; retry shortly, or send a key")
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.maxRequestBytes())
		out, err := h(&request{Request: r, w: w})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header. The scheme is matched in any letter case (RFC 7235, section
// 2.1), and spaces around the token are dropped.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// decode reads a JSON body strictly: one object, known fields, right types.
// withBody adapts a handler of a JSON body of type T: the body is decoded
// (strictly, as decode does) before h runs.
func withBody[T any](h func(*request, *T) (any, error)) func(*request) (any, error) {
	return func(r *request) (any, error) {
		var v T
		if err := decode(r, &v); err != nil {
			return nil, err
		}
		return h(r, &v)
	}
}

func decode(r *request, v any) error {
	// JSON only, said so: curl's default for -d (form-urlencoded) and a
	// body with no type are refused with the header to add.
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		got := "no Content-Type"
		if ct != "" {
			got = "Content-Type " + strconv.Quote(ct)
		}
		return apiErr(CodeUnsupportedMediaType, "send the body as JSON with Content-Type: application/json (curl: -H 'Content-Type: application/json'), not %s", got)
	}
	body, err := readBody(r.Body)
	if err != nil {
		return err
	}
	if err := checkMembers(body, reflect.TypeOf(v).Elem()); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		var se *json.SyntaxError
		// UnmarshalTypeError.Value describes the JSON value: "number -5"
		// for a number that does not fit an integer field, "string", …
		// (a documented field, not a message).
		var number string
		var isNumber bool
		if errors.As(err, &ute) {
			number, isNumber = strings.CutPrefix(ute.Value, "number ")
		}
		switch {
		case errors.As(err, &mbe):
			return apiErr(CodeRequestTooLarge, "the request body is over %d bytes", mbe.Limit)
		case isNumber && ute.Field == "expiresIn":
			return invalidField("expiresIn", "expiresIn %s is out of range: ask for a whole number of seconds from 1 to %d at most (a client's own maximum may be lower), or 0 for the default",
				number, int64(MaxExpiry/time.Second))
		case isNumber && isInt(ute.Type.Kind()) && strings.ContainsAny(number, ".eE"):
			what := "a whole number"
			if ute.Field == "size" {
				what = "a whole number of bytes"
			}
			return apiErr(CodeInvalidJSON, "field %q must be %s, not %s", ute.Field, what, number)
		case isNumber && isInt(ute.Type.Kind()):
			return apiErr(CodeInvalidJSON, "field %q must be a whole number from %d to %d, not %s", ute.Field, math.MinInt64, math.MaxInt64, number)
		case ute != nil:
			return apiErr(CodeInvalidJSON, "field %q must be %s, not %s", ute.Field, jsonType(ute.Type.Kind()), ute.Value)
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			return apiErr(CodeInvalidJSON, "the body is not valid JSON: %v", err)
		case errors.Is(err, io.EOF):
			return apiErr(CodeInvalidJSON, "the body is empty; send a JSON object")
		}
		// An unknown field, whose error encoding/json gives no type: its
		// text names the field.
		return apiErr(CodeInvalidJSON, "the body is not a valid request: %v", err)
	}
	if dec.More() {
		return apiErr(CodeInvalidJSON, "the body has more than one JSON value")
	}
	return nil
}

// readBody reads a request body bound by http.MaxBytesReader: over the
// bound is request_too_large.
func readBody(body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, apiErr(CodeRequestTooLarge, "the request body is over %d bytes", mbe.Limit)
	}
	if err != nil {
		return nil, apiErr(CodeInvalidJSON, "the request body could not be read: %v", err)
	}
	return b, nil
}

// checkMembers checks a request body's top-level members against the
// JSON names of type t (a struct), before it is decoded: the body is one
// JSON object, each member is named exactly as documented (encoding/json
// would take "fileName" for "filename"), none is given twice (it would
// keep the last), and an unknown one is answered with the name it comes
// closest to.
func checkMembers(body []byte, t reflect.Type) error {
	if t.Kind() != reflect.Struct {
		return nil
	}
	names := jsonNames(t)
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err == io.EOF {
		return apiErr(CodeInvalidJSON, "the body is empty; send a JSON object")
	}
	if err != nil {
		return nil // decoding reports the syntax error
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return apiErr(CodeInvalidJSON, "the body must be a JSON object, such as {%q: ...}", names[0])
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := tok.(string)
		switch {
		case seen[name]:
			return apiErr(CodeInvalidJSON, "field %q is given twice; give each field once", name)
		case !slices.Contains(names, name):
			if near := suggest.Nearest(name, names); near != "" {
				return apiErr(CodeInvalidJSON, "unknown field %q; did you mean %q?", name, near)
			}
			return apiErr(CodeInvalidJSON, "unknown field %q; the fields are %s", name, strings.Join(names, ", "))
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// jsonNames lists the JSON member names of struct type t, in field order.
func jsonNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			names = append(names, jsonNames(f.Type)...) // promoted, as encoding/json does
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

func isInt(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Int64
}

// jsonType names the JSON type that decodes into a Go value of kind k.
func jsonType(k reflect.Kind) string {
	switch {
	case k >= reflect.Int && k <= reflect.Float64:
		return "a number"
	case k == reflect.String:
		return "a string"
	case k == reflect.Slice:
		return "an array"
	case k == reflect.Bool:
		return "true or false"
	}
	return "a " + k.String()
}

func (s *Server) remote(r *http.Request) string {
	if s.proxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			first, _, _ := strings.Cut(f, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// issued records one URL in the audit log and metrics: never the URL, its
// signature or any credential.
func (s *Server) issued(r *request, op, key string, expires time.Time) {
	s.m.issued.WithLabelValues(op, r.client.Name).Inc()
	s.audit.LogAttrs(r.Context(), slog.LevelInfo, "url issued",
		slog.String("client", r.client.Name), slog.String("operation", op), slog.String("key", key),
		slog.Time("expiresAt", expires.UTC()), slog.String("remote", s.remote(r.Request)))
}

// uploadRequest is the body of POST /v1/uploads and /v1/uploads/multipart.
type uploadRequest struct {
	Filename       string `json:"filename"`
	ContentType    string `json:"contentType"`
	Size           *int64 `json:"size"`
	ChecksumSHA256 string `json:"checksumSHA256,omitempty"`
	Method         string `json:"method,omitempty"`
	ExpiresIn      int64  `json:"expiresIn,omitempty"`
	grantLimits
}

// UploadResponse is the answer to POST /v1/uploads.
type UploadResponse struct {
	Key     string            `json:"key"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Fields  postpolicy.Fields `json:"fields,omitempty"`
	// Grant is the id of the URL's grant (none for a POST form).
	Grant string `json:"grant,omitempty"`
	Expiry
}

// checkUpload validates what every upload shares and returns the key.
func (s *Server) checkUpload(r *request, u *uploadRequest) (string, error) {
	c := r.client
	if u.Filename == "" {
		return "", invalidField("filename", "filename is required")
	}
	if err := checkObject(c.Tenant, u.ContentType, u.Size); err != nil {
		return "", err
	}
	key, err := uploadKey(c.Prefix, u.Filename)
	if err != nil {
		return "", invalidField("filename", "filename: %v", err)
	}
	return key, nil
}

// checkObject checks the media type and the exact size an upload URL
// signs against the client's policy: the one check of both, for
// /v1/uploads, /v1/uploads/multipart and a PUT from /v1/presign.
func checkObject(c *Tenant, contentType string, size *int64) error {
	if err := checkType(c, "contentType", contentType); err != nil {
		return err
	}
	switch {
	case size == nil:
		return invalidField("size", "size is required: the exact size of the file in bytes, which the URL signs")
	case *size < 0:
		return invalidField("size", "size %d is negative", *size)
	case *size > c.maxSize():
		return apiErr(CodeTooLarge, "the file is %d bytes; this API key may upload at most %d", *size, c.maxSize())
	}
	return nil
}

// upperMethod refuses an HTTP method not written in upper case, as the
// schema has it (HTTP methods are case-sensitive).
func upperMethod(m string) error {
	if up := strings.ToUpper(m); m != up {
		return invalidField("method", "method %q must be upper case: %q", m, up)
	}
	return nil
}

// checkType checks a media type an upload signs, given as the request
// member field, against the client's policy.
func checkType(c *Tenant, field, contentType string) error {
	switch {
	case contentType == "":
		return invalidField(field, "%s is required, such as image/jpeg", field)
	case !isMediaType(contentType):
		return invalidField(field, "%s %q is not a media type such as image/jpeg", field, contentType)
	case !c.allowsType(contentType):
		return apiErr(CodeContentTypeNotAllowed, "content type %q is not allowed for this API key; allowed: %s", contentType, strings.Join(c.ContentTypes, ", "))
	}
	return nil
}

// isMediaType reports whether ct is a media type "type/subtype", with
// parameters or not, on one line.
func isMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && strings.Contains(mt, "/") && !strings.ContainsAny(ct, "\r\n")
}

// attachment returns the Content-Disposition that saves a download as
// filename, sanitised ([SanitizeFilename]).
func attachment(filename string) (string, error) {
	name := SanitizeFilename(filename)
	if name == "" {
		return "", invalidField("filename", "filename is empty once path parts, control and reserved characters are removed")
	}
	return mime.FormatMediaType("attachment", map[string]string{"filename": name}), nil
}

// headerMap returns the headers a presigned request must be sent with, by
// canonical name, for an answer's "headers".
func headerMap(params []sigv4.Param) map[string]string {
	h := make(map[string]string, len(params))
	for _, p := range params {
		h[http.CanonicalHeaderKey(p.Name)] = p.Value
	}
	return h
}

func (s *Server) upload(r *request, u *uploadRequest) (any, error) {
	key, err := s.checkUpload(r, u)
	if err != nil {
		return nil, err
	}
	if *u.Size >= s.cfg.multipartThreshold() {
		return nil, apiErr(CodeUseMultipart, "files of %d bytes or more are uploaded in parts: use POST /v1/uploads/multipart", s.cfg.multipartThreshold())
	}
	d, err := r.client.expiry(false, u.ExpiresIn)
	if err != nil {
		return nil, err
	}
	if u.ChecksumSHA256 != "" {
		if b, err := base64.StdEncoding.DecodeString(u.ChecksumSHA256); err != nil || len(b) != sha256.Size {
			return nil, invalidField("checksumSHA256", "checksumSHA256 must be the base64 of the file's 32-byte SHA-256")
		}
	}
	now := s.now()
	if err := upperMethod(u.Method); err != nil {
		return nil, err
	}
	switch strings.ToUpper(u.Method) {
	case "", "PUT":
		// Content-Type and the exact Content-Length are signed (and the
		// checksum, kept a header so storage checks it): storage refuses
		// any other type, size or content.
		in := &presign.Input{Bucket: s.backend.Bucket, Key: key, ContentType: u.ContentType, ContentLength: u.Size, ChecksumSHA256: u.ChecksumSHA256}
		var o presign.Options
		if u.ChecksumSHA256 != "" {
			o.UnhoistableHeaders = []string{"x-amz-checksum-sha256"}
		}
		res, id, err := s.presignGranted(r, presign.PutObject, in, u.grantLimits, now, d, o)
		if err != nil {
			return nil, err
		}
		s.issued(r, "PutObject", key, res.Expires)
		return &UploadResponse{Key: key, Method: res.Method, URL: res.URL, Headers: headerMap(res.Header), Grant: id, Expiry: expiry(res.Expires, now)}, nil
	case "POST":
		if u.SingleUse || u.MaxUses != 0 {
			return nil, invalidField(map[bool]string{true: "singleUse", false: "maxUses"}[u.SingleUse], "POST forms are not under grants: ask for a PUT URL (method PUT) to limit its uses")
		}
		form, err := s.backend.Presigner.PresignPost(r.Context(), &presign.PostInput{
			Bucket: s.backend.Bucket, Key: key, Expires: d, SigningTime: now, CapToCredentials: true,
			Fields:     []postpolicy.Field{{Name: "Content-Type", Value: u.ContentType}},
			Conditions: []postpolicy.Condition{postpolicy.ContentLengthRange(*u.Size, *u.Size)},
		})
		if err != nil {
			return nil, s.presignErr(err)
		}
		s.issued(r, "PostObject", key, form.Expires)
		return &UploadResponse{Key: key, Method: http.MethodPost, URL: form.URL, Fields: form.Fields, Expiry: expiry(form.Expires, now)}, nil
	}
	return nil, invalidField("method", "method %q is not PUT or POST", u.Method)
}

// presignGranted presigns op on in, for d from now, under a new grant
// with limits: the URL and its grant's id. It sets o's expiry, signing
// time, cap and grant query; o may set more.
func (s *Server) presignGranted(r *request, op presign.Operation, in *presign.Input, limits grantLimits, now time.Time, d time.Duration, o presign.Options) (presign.Result, string, error) {
	id, q, err := s.newGrant(r, limits, now.Add(d))
	if err != nil {
		return presign.Result{}, "", err
	}
	o.Expires, o.SigningTime, o.CapToCredentials, o.Query = d, now, true, q
	res, err := s.backend.urls(op).Presign(r.Context(), op, in, o)
	if err != nil {
		return res, "", s.presignErr(err)
	}
	return res, id, nil
}

// presignErr turns a presigning failure into an API error; such failures
// come from the service's own configuration or credentials.
func (s *Server) presignErr(err error) error {
	return withCause(apiErr(CodePresignFailed, "the service could not sign the request; see its log"), err)
}

// downloadRequest is the body of POST /v1/downloads.
type downloadRequest struct {
	Key       string `json:"key"`
	Filename  string `json:"filename,omitempty"`
	ExpiresIn int64  `json:"expiresIn,omitempty"`
	grantLimits
}

// Expiry is when a URL or form handed out stops working.
type Expiry struct {
	ExpiresAt time.Time `json:"expiresAt"`
	ExpiresIn int64     `json:"expiresIn"` // seconds from the answer
}

// expiry is the Expiry of a URL that expires at at, answered at now.
func expiry(at, now time.Time) Expiry {
	return Expiry{ExpiresAt: at.UTC(), ExpiresIn: int64(at.Sub(now) / time.Second)}
}

// DownloadResponse is the answer to POST /v1/downloads.
type DownloadResponse struct {
	Key    string `json:"key"`
	Method string `json:"method"`
	URL    string `json:"url"`
	// Grant is the id of the URL's grant.
	Grant string `json:"grant"`
	Expiry
}

func (s *Server) download(r *request, d *downloadRequest) (any, error) {
	if err := CheckKey(r.client.Prefix, d.Key); err != nil {
		return nil, keyErr(err)
	}
	exp, err := r.client.expiry(true, d.ExpiresIn)
	if err != nil {
		return nil, err
	}
	in := &presign.Input{Bucket: s.backend.Bucket, Key: d.Key}
	if d.Filename != "" {
		if in.ResponseContentDisposition, err = attachment(d.Filename); err != nil {
			return nil, err
		}
	}
	now := s.now()
	res, id, err := s.presignGranted(r, presign.GetObject, in, d.grantLimits, now, exp, presign.Options{})
	if err != nil {
		return nil, err
	}
	s.issued(r, "GetObject", d.Key, res.Expires)
	return &DownloadResponse{Key: d.Key, Method: res.Method, URL: res.URL, Grant: id, Expiry: expiry(res.Expires, now)}, nil
}

// uploadToken is what a multipart upload id carries, signed: a stateless
// service (any replica) can check that the upload is the client's.
type uploadToken struct {
	Key      string `json:"k"`
	UploadID string `json:"u"`
	Client   string `json:"c"`
	Size     int64  `json:"s"`
	PartSize int64  `json:"p"`
	Type     string `json:"t"`
	Expires  int64  `json:"e"`
	// Mode is "" for the uploads of /v1, whose size is known, and
	// modeUppy for those of Uppy's routes, whose size is not.
	Mode string `json:"m,omitempty"`
}

// multipartTokenLife is how long a client may take over a multipart upload.
const multipartTokenLife = 24 * time.Hour

func (s *Server) sealToken(t *uploadToken) string { return s.seal("", t) }

// openToken opens the request's upload id: one this service sealed for
// the client, of the given mode ("" for /v1, modeUppy for Uppy's routes),
// whose time is not over.
func (s *Server) openToken(r *request, mode string) (*uploadToken, error) {
	var t uploadToken
	if !s.unseal("", r.PathValue("id"), &t) || t.Client != r.client.Name || t.Mode != mode {
		return nil, apiErr(CodeNoSuchUpload, "no such multipart upload")
	}
	if s.now().Unix() > t.Expires {
		return nil, apiErr(CodeUploadExpired, "this multipart upload's time is over; start again")
	}
	return &t, nil
}

// seal returns v as JSON with an HMAC of the upload secret, for a token
// of kind kind that any replica can check. The kind keeps one kind of
// token from passing for another; "" is the multipart upload token, whose
// MAC has no kind (as before there were others).
func (s *Server) seal(kind string, v any) string {
	body, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(s.mac(kind, body))
}

// unseal checks a token of kind kind that seal made and decodes it into v.
func (s *Server) unseal(kind, token string, v any) bool {
	body64, mac64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 4096 {
		return false
	}
	// Strict: a token whose unused trailing bits were changed is another
	// string for the same bytes, and must not pass for the one issued.
	body, err1 := base64.RawURLEncoding.Strict().DecodeString(body64)
	mac, err2 := base64.RawURLEncoding.Strict().DecodeString(mac64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(kind, body)) {
		return false
	}
	return json.Unmarshal(body, v) == nil
}

func (s *Server) mac(kind string, body []byte) []byte {
	m := hmac.New(sha256.New, s.cfg.UploadSecret)
	if kind != "" {
		m.Write([]byte(kind))
		m.Write([]byte{0})
	}
	m.Write(body)
	return m.Sum(nil)
}

func (t *uploadToken) partCount() int {
	if t.Size == 0 {
		return 1
	}
	return int((t.Size + t.PartSize - 1) / t.PartSize)
}

func (t *uploadToken) partLength(n int) int64 {
	if n < t.partCount() {
		return t.PartSize
	}
	return t.Size - int64(t.partCount()-1)*t.PartSize
}

// MultipartResponse is the answer to POST /v1/uploads/multipart.
type MultipartResponse struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	PartSize  int64     `json:"partSize"`
	PartCount int       `json:"partCount"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (s *Server) multipartCreate(r *request, u *uploadRequest) (any, error) {
	if field := firstSet(member{"method", u.Method != ""}, member{"checksumSHA256", u.ChecksumSHA256 != ""}, member{"expiresIn", u.ExpiresIn != 0},
		member{"singleUse", u.SingleUse}, member{"maxUses", u.MaxUses != 0}); field != "" {
		return nil, invalidField(field, "multipart uploads take filename, contentType and size only: no method, checksumSHA256, expiresIn, singleUse or maxUses (part URLs live as long as the client's upload expiry)")
	}
	key, err := s.checkUpload(r, u)
	if err != nil {
		return nil, err
	}
	t := &uploadToken{Key: key, Client: r.client.Name, Size: *u.Size, PartSize: s.cfg.partSize(), Type: u.ContentType,
		Expires: s.now().Add(multipartTokenLife).Unix()}
	if t.partCount() > 10000 {
		t.PartSize = (t.Size + 9999) / 10000
	}
	id, err := s.backend.CreateMultipartUpload(r.Context(), key, u.ContentType)
	if err != nil {
		return nil, s.backendErr(err)
	}
	t.UploadID = id
	s.issued(r, "CreateMultipartUpload", key, time.Unix(t.Expires, 0))
	return &MultipartResponse{ID: s.sealToken(t), Key: key, PartSize: t.PartSize, PartCount: t.partCount(), ExpiresAt: time.Unix(t.Expires, 0).UTC()}, nil
}

// member is a request member's name and whether the request sets it.
type member struct {
	name string
	set  bool
}

// firstSet returns the name of the first member the request sets, or "".
func firstSet(ms ...member) string {
	for _, m := range ms {
		if m.set {
			return m.name
		}
	}
	return ""
}

// backendErr reports a failure of storage: what the client caused (an
// upload storage no longer knows, parts it refuses) as a 4xx, a timeout as
// 504 backend_timeout naming storage's host, anything else as 502. The
// cause goes to the log, where the response is written.
func (s *Server) backendErr(err error) error {
	var e *Error
	var be *BackendError
	var ue *UnreachableError
	switch {
	case errors.As(err, &be) && be.Code == "NoSuchUpload":
		e = apiErr(CodeNoSuchUpload, "storage no longer knows this upload")
	case errors.As(err, &be) && (be.Code == "InvalidPart" || be.Code == "InvalidPartOrder" || be.Code == "EntityTooSmall"):
		e = apiErr(CodeInvalidParts, "storage refused the parts: %s", be.Message)
	case errors.As(err, &ue) && ue.Timeout > 0:
		e = apiErr(CodeBackendTimeout, "storage at %s did not answer within %v; try again later", ue.Host, ue.Timeout)
	case errors.As(err, &ue):
		e = apiErr(CodeStorageError, "storage at %s is unreachable", ue.Host)
	default:
		e = apiErr(CodeStorageError, "storage refused the request")
	}
	return withCause(e, err)
}

// PartURL is one part's upload URL.
type PartURL struct {
	PartNumber int               `json:"partNumber"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers"`
	// Grant is the id of the part URL's grant.
	Grant string `json:"grant"`
}

// PartsResponse is the answer to POST /v1/uploads/multipart/{id}/parts.
type PartsResponse struct {
	Parts []PartURL `json:"parts"`
	Expiry
}

// withUpload adapts a handler of a /v1 upload id and a JSON body of type
// T: the id is opened first, then the body decoded.
func withUpload[T any](s *Server, h func(*request, *uploadToken, *T) (any, error)) func(*request) (any, error) {
	return func(r *request) (any, error) {
		t, err := s.openToken(r, "")
		if err != nil {
			return nil, err
		}
		var v T
		if err := decode(r, &v); err != nil {
			return nil, err
		}
		return h(r, t, &v)
	}
}

// partsRequest is the body of POST /v1/uploads/multipart/{id}/parts.
type partsRequest struct {
	PartNumbers []int `json:"partNumbers"`
}

func (s *Server) multipartParts(r *request, t *uploadToken, body *partsRequest) (any, error) {
	if len(body.PartNumbers) == 0 || len(body.PartNumbers) > 100 {
		return nil, invalidField("partNumbers", "partNumbers must list 1 to 100 part numbers")
	}
	d, err := r.client.expiry(false, 0)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &PartsResponse{Expiry: expiry(now.Add(d), now)}
	for _, n := range body.PartNumbers {
		if n < 1 || n > t.partCount() {
			return nil, invalidField("partNumbers", "part number %d is out of range: this upload has parts 1 to %d", n, t.partCount())
		}
		size := t.partLength(n)
		res, id, err := s.presignGranted(r, presign.UploadPart, &presign.Input{
			Bucket: s.backend.Bucket, Key: t.Key, UploadID: t.UploadID, PartNumber: n, ContentLength: &size,
		}, grantLimits{}, now, d, presign.Options{})
		if err != nil {
			return nil, err
		}
		out.Parts = append(out.Parts, PartURL{PartNumber: n, URL: res.URL, Headers: headerMap(res.Header), Grant: id})
		out.ExpiresAt = res.Expires.UTC()
	}
	s.issued(r, "UploadPart", t.Key, out.ExpiresAt)
	return out, nil
}

// CompleteResponse is the answer to POST /v1/uploads/multipart/{id}/complete.
type CompleteResponse struct {
	Key  string `json:"key"`
	ETag string `json:"etag"`
}

// completeRequest is the body of POST /v1/uploads/multipart/{id}/complete.
type completeRequest struct {
	Parts []Part `json:"parts"`
}

func (s *Server) multipartComplete(r *request, t *uploadToken, body *completeRequest) (any, error) {
	if len(body.Parts) != t.partCount() {
		return nil, apiErr(CodeInvalidParts, "the upload has %d parts; list each once, in order, with its ETag", t.partCount())
	}
	for i, p := range body.Parts {
		if p.PartNumber != i+1 || p.ETag == "" || len(p.ETag) > 200 {
			return nil, apiErr(CodeInvalidParts, "part %d: list parts 1 to %d in order, each with the ETag storage returned", i+1, t.partCount())
		}
	}
	done, err := s.backend.CompleteMultipartUpload(r.Context(), t.Key, t.UploadID, body.Parts)
	if err != nil {
		return nil, s.backendErr(err)
	}
	return &CompleteResponse{Key: t.Key, ETag: done.ETag}, nil
}

// ListPartsResponse is the answer to GET /v1/uploads/multipart/{id}: the
// upload's layout and the parts storage holds, for a client to resume it.
type ListPartsResponse struct {
	Key       string       `json:"key"`
	PartSize  int64        `json:"partSize"`
	PartCount int          `json:"partCount"`
	Parts     []StoredPart `json:"parts"`
}

func (s *Server) multipartList(r *request) (any, error) {
	t, err := s.openToken(r, "")
	if err != nil {
		return nil, err
	}
	parts, err := s.storedParts(r, t)
	if err != nil {
		return nil, err
	}
	return &ListPartsResponse{Key: t.Key, PartSize: t.PartSize, PartCount: t.partCount(), Parts: parts}, nil
}

// storedParts lists the parts storage holds for an upload: none is [].
func (s *Server) storedParts(r *request, t *uploadToken) ([]StoredPart, error) {
	parts, err := s.backend.ListParts(r.Context(), t.Key, t.UploadID)
	if err != nil {
		return nil, s.backendErr(err)
	}
	if parts == nil {
		parts = []StoredPart{}
	}
	return parts, nil
}

func (s *Server) multipartAbort(r *request) (any, error) {
	t, err := s.openToken(r, "")
	if err != nil {
		return nil, err
	}
	if err := s.backend.AbortMultipartUpload(r.Context(), t.Key, t.UploadID); err != nil {
		return nil, s.backendErr(err)
	}
	return nil, nil
}

// presignRequest is the body of POST /v1/presign, the URL builder.
type presignRequest struct {
	Method      string            `json:"method"`
	Key         string            `json:"key"`
	ContentType string            `json:"contentType,omitempty"`
	Size        *int64            `json:"size,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Filename    string            `json:"filename,omitempty"`
	ExpiresIn   int64             `json:"expiresIn,omitempty"`
	grantLimits
}

// PresignResponse is the answer to POST /v1/presign.
type PresignResponse struct {
	Key           string            `json:"key"`
	Method        string            `json:"method"`
	URL           string            `json:"url"`
	Headers       map[string]string `json:"headers,omitempty"`
	SignedHeaders []string          `json:"signedHeaders"`
	// Grant is the id of the URL's grant.
	Grant string `json:"grant"`
	Expiry
}

// presignURL builds a URL for a method and a key under the client's
// prefix, within the client's rights: GET and HEAD need download, PUT
// upload (with an allowed type and size), DELETE delete.
func (s *Server) presignURL(r *request, p *presignRequest) (any, error) {
	c := r.client
	var op presign.Operation
	var right string
	if err := upperMethod(p.Method); err != nil {
		return nil, err
	}
	switch strings.ToUpper(p.Method) {
	case "GET":
		op, right = presign.GetObject, OpDownload
	case "HEAD":
		op, right = presign.HeadObject, OpDownload
	case "PUT":
		op, right = presign.PutObject, OpUpload
	case "DELETE":
		op, right = presign.DeleteObject, OpDelete
	default:
		return nil, invalidField("method", "method %q is not GET, HEAD, PUT or DELETE", p.Method)
	}
	if !c.allows(right) {
		return nil, forbidden(right)
	}
	if err := CheckKey(c.Prefix, p.Key); err != nil {
		return nil, keyErr(err)
	}
	in := &presign.Input{Bucket: s.backend.Bucket, Key: p.Key}
	var err error
	if op == presign.PutObject {
		if err := checkObject(c.Tenant, p.ContentType, p.Size); err != nil {
			return nil, err
		}
		in.ContentType, in.ContentLength = p.ContentType, p.Size
	} else if field := firstSet(member{"contentType", p.ContentType != ""}, member{"size", p.Size != nil}); field != "" {
		return nil, invalidField(field, "contentType and size go with PUT only")
	}
	if p.Filename != "" {
		if op != presign.GetObject {
			return nil, invalidField("filename", "filename goes with GET only")
		}
		if in.ResponseContentDisposition, err = attachment(p.Filename); err != nil {
			return nil, err
		}
	}
	if len(p.Headers) > 20 {
		return nil, invalidField("headers", "at most 20 headers")
	}
	for name, value := range p.Headers {
		ln := strings.ToLower(name)
		switch {
		case !strings.HasPrefix(ln, "x-amz-meta-") || len(ln) == len("x-amz-meta-") || strings.ContainsAny(name, " \t\r\n:") || strings.ContainsAny(value, "\r\n"):
			return nil, invalidField("headers", "header %q: only x-amz-meta-* headers with a name and a single-line value may be added", name)
		case op != presign.PutObject:
			return nil, invalidField("headers", "headers go with PUT only")
		}
		in.Header = append(in.Header, sigv4.Param{Name: ln, Value: value})
	}
	d, err := c.expiry(op == presign.GetObject || op == presign.HeadObject, p.ExpiresIn)
	if err != nil {
		return nil, err
	}
	now := s.now()
	res, id, err := s.presignGranted(r, op, in, p.grantLimits, now, d, presign.Options{})
	if err != nil {
		return nil, err
	}
	s.issued(r, string(op), p.Key, res.Expires)
	return &PresignResponse{Key: p.Key, Method: res.Method, URL: res.URL, Headers: headerMap(res.Header), SignedHeaders: res.SignedHeaders,
		Grant: id, Expiry: expiry(res.Expires, now)}, nil
}

// inspectRequest is the body of POST /v1/inspect.
type inspectRequest struct {
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
}

// inspectURL explains a presigned URL: its parameters, expiry and the
// risks found (package inspect). It needs no secret and fetches nothing.
func (s *Server) inspectURL(r *request, q *inspectRequest) (any, error) {
	if q.URL == "" || len(q.URL) > 16<<10 {
		return nil, invalidField("url", "url is required (at most 16 KiB)")
	}
	in, err := inspect.Parse(q.URL, strings.ToUpper(q.Method), s.now())
	if err != nil {
		var pe *inspect.ParseError
		if errors.As(err, &pe) {
			msg := pe.Msg
			if pe.Hint != "" {
				msg += "; " + pe.Hint
			}
			return nil, apiErr(CodeNotPresigned, "%s", msg)
		}
		return nil, apiErr(CodeNotPresigned, "%v", err)
	}
	return in, nil
}
