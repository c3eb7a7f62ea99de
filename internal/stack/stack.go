// Package stack assembles the service of "presign serve" from its parts,
// one small constructor each: the embedded store ([OpenLocal]: objstore/disk
// behind s3server, with the presigner and issuer backend for it), the
// backend on an external S3 service ([External]), and the API and pages on
// one mux ([Mux]), with the HTTP server settings each runs with
// ([StoreServer], [APIServer]). The command and the end-to-end test servers
// (s3server/e2e/server, web/e2e/server) call them, so that the wiring the
// tests run is the command's.
package stack

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/internal/httpx"
	"github.com/presign-dev/presign/issuer"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

// Timeouts of the servers' connections. Store bodies may take as long as
// they take: an upload of gigabytes must not be cut, so the store has no
// read or write timeout, but a client must send its headers promptly and an
// idle connection is closed. API requests are small and get full timeouts.
const (
	StoreReadHeaderTimeout = 30 * time.Second
	IdleTimeout            = 2 * time.Minute
	APIReadHeaderTimeout   = 10 * time.Second
	APIReadTimeout         = 30 * time.Second
	APIWriteTimeout        = 30 * time.Second
	// APIMaxHeaderBytes bounds the request head of the API and the pages.
	APIMaxHeaderBytes = 64 << 10
)

// StoreServer returns the http.Server of the embedded store for h, an
// s3server handler: s3server's [s3server.MaxHeaderBytes], a header timeout
// and an idle timeout but no read or write timeout, and net/http's own
// errors logged on logger at WARN (nil: net/http's default). Serve it on
// [s3server.Listener] of the listener, as [Local.Serve] does, so that
// malformed requests get S3's XML errors.
func StoreServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: StoreReadHeaderTimeout, IdleTimeout: IdleTimeout,
		MaxHeaderBytes: s3server.MaxHeaderBytes, ErrorLog: errorLog(logger)}
}

// APIServer returns the http.Server of the API and pages (or of the
// metrics alone) for h: full timeouts, [APIMaxHeaderBytes], and net/http's
// own errors logged on logger at WARN (nil: net/http's default).
func APIServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: APIReadHeaderTimeout, ReadTimeout: APIReadTimeout,
		WriteTimeout: APIWriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: APIMaxHeaderBytes,
		ErrorLog: errorLog(logger)}
}

func errorLog(logger *slog.Logger) *log.Logger {
	if logger == nil {
		return nil
	}
	return slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
}

// Mux routes the API's paths (/v1/, Uppy's /s3/, /healthz, /readyz,
// /metrics, /openapi.json) to api and everything else to pages.
func Mux(api, pages http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/s3/", api)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", pages)
	return mux
}

// StorageOrigins returns the origin of the backend's bucket URL, which
// the pages must be allowed to send requests to (web.Options.StorageOrigins);
// none when the bucket has no URL.
func StorageOrigins(b *issuer.Backend) []string {
	origins := []string{}
	for _, p := range []*presign.Client{b.Presigner, b.Gateway} {
		if p == nil {
			continue
		}
		if u, err := p.BucketURL(b.Bucket); err == nil {
			if pu, err := url.Parse(u); err == nil {
				origins = append(origins, pu.Scheme+"://"+pu.Host)
			}
		}
	}
	return origins
}

// ExternalConfig configures [External].
type ExternalConfig struct {
	// Credentials sign the URLs. Required.
	Credentials credentials.Provider
	// Region is the bucket's region. Required.
	Region string
	// Endpoint is the S3 service's endpoint (MinIO, Ceph, R2); empty for
	// AWS.
	Endpoint string
	// PathStyle asks for path-style URLs; otherwise the presigner's
	// automatic addressing.
	PathStyle bool
	// Bucket holds the objects. Required.
	Bucket string
	// Timeout bounds the issuer's own requests to the service; zero means
	// [issuer.DefaultBackendTimeout].
	Timeout time.Duration
}

// External returns the issuer backend of a bucket on an S3-compatible
// service, with its presigner. Its errors are the presign package's.
func External(cfg ExternalConfig) (*issuer.Backend, error) {
	addressing := presign.AddressingAuto
	if cfg.PathStyle {
		addressing = presign.AddressingPath
	}
	p, err := presign.New(presign.Config{Credentials: cfg.Credentials, Region: cfg.Region, Endpoint: cfg.Endpoint, Addressing: addressing})
	if err != nil {
		return nil, err
	}
	return &issuer.Backend{Presigner: p, Bucket: cfg.Bucket, Timeout: cfg.Timeout}, nil
}

// LocalConfig configures [OpenLocal].
type LocalConfig struct {
	// Dir is the data directory. Required.
	Dir string
	// Bucket is created at open, unless it exists; empty creates none.
	Bucket string
	// Credentials are the one key pair the store accepts, and the one its
	// presigner signs with. Required.
	Credentials sigv4.Credentials
	// Region is the store's region; empty means [s3server.DefaultRegion].
	Region string
	// BaseDomains, CORS and MaxObjectSize are those of [s3server.Options].
	BaseDomains   []string
	CORS          *s3server.CORS
	MaxObjectSize int64
	// MultipartExpiry is that of [disk.Options].
	MultipartExpiry time.Duration
	// Logger gets the store's access log and its expiry lines, and the
	// server's errors; nil discards the first two.
	Logger *slog.Logger
	// Lane is the lane of large requests, shared with the API ([NewLane]);
	// nil gives the store one of its own.
	Lane s3server.Lane
	// SigV4Only is that of [s3server.Options].
	SigV4Only bool
}

// NewLane returns the lane of large requests that the store and the API
// share: half the CPUs' slots (at least one), so that large requests,
// however many, leave the other half to ordinary ones, and a 30-second
// wait before a 503.
func NewLane() *httpx.Lane { return httpx.NewLane(runtime.GOMAXPROCS(0)/2, 30*time.Second) }

// Local is the embedded store: the disk store, its s3server handler and
// the http.Server that serves it.
type Local struct {
	Store   *disk.Store
	Handler http.Handler
	Server  *http.Server
	cfg     LocalConfig
}

// Op names a step of [OpenLocal].
type Op int

// The steps of [OpenLocal].
const (
	OpOpenStore    Op = iota + 1 // opening the data directory
	OpCreateBucket               // creating the bucket
	OpHandler                    // building the store's handler
)

func (op Op) String() string {
	switch op {
	case OpOpenStore:
		return "open the data directory"
	case OpCreateBucket:
		return "create the bucket"
	case OpHandler:
		return "build the store's handler"
	}
	return fmt.Sprintf("Op(%d)", int(op))
}

// Error is the error of [OpenLocal]: the step that failed, what it was
// for (the directory or the bucket), and the cause.
type Error struct {
	Op   Op
	Name string // the data directory or the bucket; empty for OpHandler
	Err  error
}

func (e *Error) Error() string {
	if e.Name == "" {
		return "stack: cannot " + e.Op.String() + ": " + e.Err.Error()
	}
	return fmt.Sprintf("stack: cannot %s %q: %v", e.Op, e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// OpenLocal opens the data directory (creating it if need be, locking it
// against another store), creates cfg.Bucket unless it exists, and builds
// the store's handler and server. Errors are an *[Error] naming the step.
// Close releases the store.
func OpenLocal(ctx context.Context, cfg LocalConfig) (*Local, error) {
	store, err := disk.OpenWith(cfg.Dir, disk.Options{MultipartExpiry: cfg.MultipartExpiry, Logger: cfg.Logger})
	if err != nil {
		return nil, &Error{Op: OpOpenStore, Name: cfg.Dir, Err: err}
	}
	if cfg.Bucket != "" {
		if err := store.CreateBucket(ctx, cfg.Bucket); err != nil && !errors.Is(err, objstore.ErrBucketExists) {
			store.Close()
			return nil, &Error{Op: OpCreateBucket, Name: cfg.Bucket, Err: err}
		}
	}
	creds := cfg.Credentials
	h, err := s3server.New(s3server.Options{
		Store:         store,
		Logger:        cfg.Logger,
		Region:        cfg.Region,
		BaseDomains:   cfg.BaseDomains,
		MaxObjectSize: cfg.MaxObjectSize,
		CORS:          cfg.CORS,
		Lane:          cfg.Lane,
		Grants:        store,
		SigV4Only:     cfg.SigV4Only,
		Credentials: func(id string) (sigv4.Credentials, bool) {
			if id != creds.AccessKeyID {
				return sigv4.Credentials{}, false
			}
			return creds, true
		},
	})
	if err != nil {
		store.Close()
		return nil, &Error{Op: OpHandler, Err: err}
	}
	return &Local{Store: store, Handler: h, Server: StoreServer(h, cfg.Logger), cfg: cfg}, nil
}

// Serve serves the store on ln, through [s3server.Listener], until the
// server is shut down.
func (l *Local) Serve(ln net.Listener) error { return l.Server.Serve(s3server.Listener(ln)) }

// OpenLoopback opens the store of cfg, as OpenLocal does, and serves it
// in the background on an ephemeral port of 127.0.0.1: the store, its URL
// ("http://127.0.0.1:PORT"), and the channel Serve's error comes on once
// it stops. The caller closes the store.
func OpenLoopback(ctx context.Context, cfg LocalConfig) (l *Local, endpoint string, errc <-chan error, err error) {
	l, err = OpenLocal(ctx, cfg)
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		l.Close()
		return nil, "", nil, err
	}
	c := make(chan error, 1)
	go func() { c <- l.Serve(ln) }()
	return l, "http://" + ln.Addr().String(), c, nil
}

// Backend returns the issuer backend of the store's bucket, with a
// presigner for the store at endpoint, the URL clients reach it at (such
// as "http://127.0.0.1:9000"); timeout is that of [issuer.Backend]. Its
// errors are the presign package's.
func (l *Local) Backend(endpoint string, timeout time.Duration) (*issuer.Backend, error) {
	region := l.cfg.Region
	if region == "" {
		region = s3server.DefaultRegion
	}
	p, err := presign.New(presign.Config{Credentials: credentials.Static(l.cfg.Credentials), Region: region, Endpoint: endpoint})
	if err != nil {
		return nil, err
	}
	return &issuer.Backend{Presigner: p, Bucket: l.cfg.Bucket, Timeout: timeout, Grants: l.Store}, nil
}

// Close releases the store.
func (l *Local) Close() error { return l.Store.Close() }
