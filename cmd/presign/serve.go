package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/issuer"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
	"github.com/presign-dev/presign/web"
)

const serveUsage = `Usage: presign serve [flags]

Runs the URL-issuing API and its browser upload page, on the embedded
S3-compatible store (on local disk, verifying every signature) or on any
S3-compatible service. Clients ask the API for upload and download URLs
under a policy; the bytes go straight to storage. It listens on 127.0.0.1
by default; stop it with Ctrl-C or SIGTERM, which let requests in flight
finish.

Without a config file it runs in local mode: one API key, generated and
printed at start, may do everything under the prefix "local". It is never
open without a key.

Flags:
  --config FILE      a TOML config file (or PRESIGN_CONFIG); see --example-config
  --check-config     check the configuration, explain every mistake, and exit
  --example-config   print an example config file and exit
  --hash-key KEY     print the key_sha256 of an API key for the config, and exit
  --new-key          print a new random API key and its key_sha256, and exit
  --addr A           the API and upload page; default 127.0.0.1:8080
  --s3-addr A        the embedded S3 store; default 127.0.0.1:9000
  --data DIR         the embedded store's data directory; default ./presign-data
  --public-url U     how clients reach the store, if not http://S3-ADDR
  --bucket B         the bucket URLs are for; created in the embedded store;
                     default uploads; "" runs the embedded store alone
  --region R         the region; default us-east-1
  --backend URL      use an S3 service instead of the embedded store: s3://BUCKET;
                     credentials come from the standard AWS chain
  --endpoint U       the S3 service's endpoint (MinIO, Ceph, R2); empty for AWS
  --path-style       path-style URLs for the S3 service
  --profile P        the AWS profile for the S3 service's credentials
  --access-key ID    the embedded store's access key id; default PRESIGN_ACCESS_KEY_ID
  --secret-key S     its secret; default PRESIGN_SECRET_ACCESS_KEY
  --base-domain D    host name under which bucket.D:port names a bucket in the
                     embedded store (virtual-hosted requests); default localhost
  --cors-origin O    browser origin allowed to call the API and the store, such
                     as https://app.example.com (repeatable); the upload page's
                     own origin is always allowed
  --max-object-size N  the embedded store's largest object or part; default 5GiB
  --multipart-expiry D  the embedded store removes multipart uploads this old
                     (from initiation), like S3's AbortIncompleteMultipartUpload;
                     default 7d; at least 1h; "off" (or 0) keeps them for ever
  --audit-log W      where the JSON audit lines go: stderr (default), stdout or a file
  --quiet            no access log
  --metrics-addr A   serve /metrics on this address, and not on the API's
  --backend-timeout D  how long the API waits for storage to answer a request
                     of its own (multipart create, complete, abort; /readyz)
                     before answering 504; default 10s, at most 25s

Settings come from the config file, then PRESIGN_* environment variables
(PRESIGN_ADDR, PRESIGN_S3_ADDR, PRESIGN_DATA, PRESIGN_PUBLIC_URL,
PRESIGN_BUCKET, PRESIGN_REGION, PRESIGN_BACKEND, PRESIGN_ENDPOINT,
PRESIGN_UPLOAD_SECRET, PRESIGN_CORS_ORIGINS, PRESIGN_AUDIT_LOG,
PRESIGN_MULTIPART_EXPIRY, PRESIGN_METRICS_ADDR, PRESIGN_BACKEND_TIMEOUT), then
flags. PRESIGN_METRICS_TOKEN (or metrics_token in the file; there is no flag,
which others could read in the process list) is the bearer token /metrics
then needs.

Every file presign serve and the store write under the data directory is
readable by its owner only (0600; directories 0700), whatever the umask.

Embedded store credentials: with neither the flags nor the environment
variables, the key pair in DIR/credentials.json is used, and on the first
start a new pair is generated there (readable by its owner only).

Use it:
  presign serve                      # then open http://127.0.0.1:8080
  curl -X POST http://127.0.0.1:8080/v1/uploads -H "Authorization: Bearer $KEY" \
       -d '{"filename":"cat.jpg","contentType":"image/jpeg","size":48213}'
  aws --endpoint-url http://127.0.0.1:9000 s3 ls s3://uploads
`

// Timeouts of the servers' connections. Store bodies may take as long as
// they take: an upload of gigabytes must not be cut, so the store has no
// read or write timeout, but a client must send its headers promptly and an
// idle connection is closed. API requests are small and get full timeouts.
const (
	readHeaderTimeout = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 30 * time.Second
	apiReadTimeout    = 30 * time.Second
	apiWriteTimeout   = 30 * time.Second
	// maxBackendTimeout is the longest --backend-timeout: the API must
	// have the time to answer 504 before its write timeout closes the
	// connection with no answer at all.
	maxBackendTimeout = apiWriteTimeout - 5*time.Second
)

// The default backend timeout (issuer.DefaultBackendTimeout) must be a
// valid --backend-timeout: this fails to compile otherwise.
const _ = uint64(maxBackendTimeout - issuer.DefaultBackendTimeout)

// credentialsFile is the name of the generated key pair in the data
// directory, and uploadSecretFile that of the multipart token secret.
const (
	credentialsFile  = "credentials.json"
	uploadSecretFile = "upload-secret"
)

// serveCommand is "presign serve": the API, the page, and the store.
type serveCommand struct {
	streams
}

func newServeCommand(s streams) command { return &serveCommand{streams: s} }

// serveFlags are the flags of "presign serve", as given.
type serveFlags struct {
	config, hashKey                                            string
	checkConfig, exampleConfig, newKey                         bool
	addr, s3Addr, data, publicURL, bucket, region, maxSize     string
	multipartExpiry                                            string
	backend, endpoint, profile, auditLog, accessKey, secretKey string
	pathStyle, quiet                                           bool
	baseDomains, corsOrigins                                   listFlag
	metricsAddr, backendTimeout                                string
	// credFile is the credentials file in use; empty when the key pair
	// came from the flags or the environment.
	credFile string
}

func (f *serveFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("serve")
	fs.StringVar(&f.config, "config", "", "")
	fs.BoolVar(&f.checkConfig, "check-config", false, "")
	fs.BoolVar(&f.exampleConfig, "example-config", false, "")
	fs.StringVar(&f.hashKey, "hash-key", "", "")
	fs.BoolVar(&f.newKey, "new-key", false, "")
	fs.StringVar(&f.addr, "addr", "", "")
	fs.StringVar(&f.s3Addr, "s3-addr", "", "")
	fs.StringVar(&f.data, "data", "", "")
	fs.StringVar(&f.publicURL, "public-url", "", "")
	fs.StringVar(&f.bucket, "bucket", "", "")
	fs.StringVar(&f.region, "region", "", "")
	fs.StringVar(&f.backend, "backend", "", "")
	fs.StringVar(&f.endpoint, "endpoint", "", "")
	fs.BoolVar(&f.pathStyle, "path-style", false, "")
	fs.StringVar(&f.profile, "profile", "", "")
	fs.StringVar(&f.accessKey, "access-key", "", "")
	fs.StringVar(&f.secretKey, "secret-key", "", "")
	fs.StringVar(&f.maxSize, "max-object-size", "", "")
	fs.StringVar(&f.multipartExpiry, "multipart-expiry", "", "")
	fs.StringVar(&f.auditLog, "audit-log", "", "")
	fs.Var(&f.baseDomains, "base-domain", "")
	fs.Var(&f.corsOrigins, "cors-origin", "")
	fs.BoolVar(&f.quiet, "quiet", false, "")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "")
	fs.StringVar(&f.backendTimeout, "backend-timeout", "", "")
	return fs
}

// keyPair is the content of credentials.json.
type keyPair struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// Run parses args and serves until ctx is done or SIGTERM comes.
func (c *serveCommand) Run(ctx context.Context, args []string) error {
	var f serveFlags
	fs := f.flagSet()
	pos, set, err := parseCommand("serve", serveUsage, fs, args, c.stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("presign serve takes only flags; see 'presign serve -h'", "unexpected argument %q", pos[0])
	}
	switch {
	case f.exampleConfig:
		fmt.Fprint(c.stdout, serveConfigExample)
		return nil
	case set["hash-key"]:
		if f.hashKey == "" {
			return usageErrorf("give the API key: presign serve --hash-key psk_...", "--hash-key is empty")
		}
		fmt.Fprintln(c.stdout, issuer.HashKey(f.hashKey))
		return nil
	case f.newKey:
		key, err := newAPIKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "API key:    %s\nkey_sha256: %s\n", key, issuer.HashKey(key))
		return nil
	}

	st, errs := c.settings(&f, set)
	if f.checkConfig {
		return c.report(st, errs)
	}
	if len(errs) > 0 {
		for _, e := range errs[1:] {
			fmt.Fprintln(c.stderr, "presign: "+plainText(e))
		}
		var ce *cliError
		if errors.As(errs[0], &ce) {
			return ce
		}
		return usageErrorf("presign serve --check-config explains every mistake", "%s", plainText(errs[0]))
	}
	return c.serve(ctx, &f, st)
}

// settings loads the config file (if any) and merges the environment and flags.
func (c *serveCommand) settings(f *serveFlags, set map[string]bool) (*serveSettings, []error) {
	path := f.config
	if !set["config"] {
		path = os.Getenv("PRESIGN_CONFIG")
	}
	var file *serveFile
	var errs []error
	if path != "" {
		file, errs = readServeFile(path)
	}
	st, more := mergeSettings(file, f, set)
	st.configPath = path
	errs = append(errs, more...)
	if !st.external() && st.bucket != "" && objstore.CheckBucketName(st.bucket) != nil {
		errs = append(errs, fmt.Errorf("bucket %q is not a valid S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)", st.bucket))
	}
	if !st.localMode && !st.storeOnly() {
		cfg := issuer.Config{Bucket: st.bucket, Tenants: st.clients, UploadSecret: []byte(st.uploadSecret),
			MultipartThreshold: st.multipartThreshold, PartSize: st.partSize, MaxRequestBytes: st.maxRequestBytes}
		if len(cfg.UploadSecret) == 0 {
			cfg.UploadSecret = make([]byte, 32) // generated at start when not set; not a mistake
		}
		errs = append(errs, cfg.Validate()...)
	}
	return st, errs
}

// report is --check-config: every mistake, or a summary of what would run.
func (c *serveCommand) report(st *serveSettings, errs []error) error {
	if len(errs) > 0 {
		fmt.Fprintf(c.stdout, "presign serve: %d mistake(s) in the configuration:\n", len(errs))
		for _, e := range errs {
			fmt.Fprintf(c.stdout, "  - %s\n", plainText(e))
		}
		return &cliError{msg: "the configuration has mistakes", hint: "fix them and run presign serve --check-config again", usage: true}
	}
	from := "defaults, environment and flags"
	if st.configPath != "" {
		from = st.configPath + ", environment and flags"
	}
	fmt.Fprintf(c.stdout, "presign serve: configuration OK (%s)\n", from)
	fmt.Fprintf(c.stdout, "  API and page: http://%s\n", st.addr)
	fmt.Fprintf(c.stdout, "  metrics:      %s\n", st.metricsWhere())
	if st.external() {
		fmt.Fprintf(c.stdout, "  storage:      %s (endpoint %s, region %s)\n", st.backendURL, orDefault(st.endpoint, "AWS"), st.region)
	} else {
		fmt.Fprintf(c.stdout, "  storage:      embedded store on http://%s, data in %s, bucket %s\n", st.s3Addr, st.data, st.bucket)
	}
	if st.localMode {
		fmt.Fprintln(c.stdout, "  clients:      local mode: one API key generated at start")
	} else {
		for _, cl := range st.clients {
			fmt.Fprintf(c.stdout, "  client %-8s prefix %s/\n", cl.Name, cl.Prefix)
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// serve runs the servers until ctx is done or SIGTERM comes.
func (c *serveCommand) serve(ctx context.Context, f *serveFlags, st *serveSettings) error {
	logLevel := slog.LevelInfo
	if f.quiet {
		logLevel = slog.LevelWarn
	}
	logger := slog.New(redactLogs(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: logLevel})))
	audit, closeAudit, err := c.auditLogger(st.auditLog)
	if err != nil {
		return err
	}
	defer closeAudit()

	apiLn, err := net.Listen("tcp", st.addr)
	if err != nil {
		return &cliError{msg: "cannot listen on " + st.addr + ": " + err.Error(), hint: "give another address with --addr", err: err}
	}
	defer apiLn.Close()
	pageOrigin := "http://" + apiLn.Addr().String()
	var metricsLn net.Listener
	if st.metricsAddr != "" && !st.storeOnly() {
		if metricsLn, err = net.Listen("tcp", st.metricsAddr); err != nil {
			return &cliError{msg: "cannot listen on " + st.metricsAddr + ": " + err.Error(), hint: "give another address with --metrics-addr", err: err}
		}
		defer metricsLn.Close()
	}

	var (
		presigner  *presign.Client
		s3srv      *http.Server
		s3Ln       net.Listener
		storageURL string
		secret     []byte
	)
	if st.external() {
		creds, region, err := loadAWS(ctx, awsFlags{region: st.region, profile: st.profile})
		if err != nil {
			return err
		}
		addressing := presign.AddressingAuto
		if st.pathStyle {
			addressing = presign.AddressingPath
		}
		presigner, err = presign.New(presign.Config{Credentials: creds, Region: region, Endpoint: st.endpoint, Addressing: addressing})
		if err != nil {
			return fromLibrary(err, "serve")
		}
		secret = []byte(st.uploadSecret)
		if len(secret) == 0 {
			if secret, err = randomSecret(); err != nil {
				return err
			}
			logger.Warn("no upload_secret configured: multipart uploads are tied to this process; set PRESIGN_UPLOAD_SECRET on every replica")
		}
	} else {
		kp, generated, err := f.storeCredentials(st, c.stderr)
		if err != nil {
			return err
		}
		store, err := disk.OpenWith(st.data, disk.Options{MultipartExpiry: st.multipartExpiry, Logger: logger})
		if err != nil {
			return &cliError{msg: "cannot open the data directory " + st.data + ": " + err.Error(),
				hint: "is another presign serve using it? give another with --data", err: err}
		}
		defer store.Close()
		if st.bucket != "" {
			if err := store.CreateBucket(ctx, st.bucket); err != nil && !errors.Is(err, objstore.ErrBucketExists) {
				return &cliError{msg: fmt.Sprintf("cannot create bucket %q: %v", st.bucket, err), hint: "give a valid bucket name with --bucket", usage: errors.Is(err, objstore.ErrInvalidBucketName), err: err}
			}
		}
		opts := s3server.Options{Store: store, Logger: logger, Region: st.region, BaseDomains: st.baseDomains, MaxObjectSize: st.maxObjectSize}
		// The page's own origin may always upload; without configured
		// origins any may (a presigned URL is its own authority).
		origins := []string{"*"}
		if len(st.corsOrigins) > 0 {
			origins = append([]string{pageOrigin, strings.Replace(pageOrigin, "127.0.0.1", "localhost", 1)}, st.corsOrigins...)
		}
		opts.CORS = &s3server.CORS{AllowedOrigins: origins, MaxAge: time.Hour}
		opts.Credentials = func(id string) (sigv4.Credentials, bool) {
			if id != kp.AccessKeyID {
				return sigv4.Credentials{}, false
			}
			return sigv4.Credentials{AccessKeyID: kp.AccessKeyID, SecretAccessKey: kp.SecretAccessKey}, true
		}
		h, err := s3server.New(opts)
		if err != nil {
			return err
		}
		if s3Ln, err = net.Listen("tcp", st.s3Addr); err != nil {
			return &cliError{msg: "cannot listen on " + st.s3Addr + ": " + err.Error(), hint: "give another address with --s3-addr", err: err}
		}
		defer s3Ln.Close()
		storageURL = strings.TrimRight(st.publicURL, "/")
		if storageURL == "" {
			storageURL = "http://" + s3Ln.Addr().String()
		}
		presigner, err = presign.New(presign.Config{Credentials: credentials.Static{AccessKeyID: kp.AccessKeyID, SecretAccessKey: kp.SecretAccessKey},
			Region: st.region, Endpoint: storageURL})
		if err != nil {
			return fromLibrary(err, "serve")
		}
		s3srv = &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout,
			MaxHeaderBytes: s3server.MaxHeaderBytes, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
		fmt.Fprintf(c.stdout, "presign serve: S3 store listening on %s, data in %s, region %s\n", "http://"+s3Ln.Addr().String(), st.data, st.region)
		fmt.Fprintf(c.stdout, "  access key id: %s\n", kp.AccessKeyID)
		if f.credFile != "" {
			fmt.Fprintf(c.stdout, "  credentials:   %s\n", f.credFile)
		}
		if generated {
			fmt.Fprintf(c.stdout, "  secret key:    %s  (new; printed this once, kept in the file above)\n", kp.SecretAccessKey)
		}
		if st.bucket != "" {
			fmt.Fprintf(c.stdout, "  bucket:        s3://%s\n", st.bucket)
		}
		if secret, err = dataSecret(st.data, []byte(st.uploadSecret)); err != nil {
			return err
		}
	}

	if st.storeOnly() {
		// No bucket to issue URLs for: the S3 store alone.
		fmt.Fprintln(c.stdout, "presign serve: API and upload page off: no bucket (give --bucket to turn them on)")
		apiLn.Close()
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
		defer stop()
		served := make(chan error, 1)
		go func() { served <- s3srv.Serve(s3server.Listener(s3Ln)) }()
		select {
		case err := <-served:
			return failf("serving: %w", err)
		case <-ctx.Done():
		}
		fmt.Fprintln(c.stdout, "presign serve: shutting down")
		shutdownAll(s3srv)
		<-served
		return nil
	}
	cfg := issuer.Config{Bucket: st.bucket, Tenants: st.clients, UploadSecret: secret, CORSOrigins: st.corsOrigins,
		MultipartThreshold: st.multipartThreshold, PartSize: st.partSize, MaxRequestBytes: st.maxRequestBytes}
	var localKey string
	if st.localMode {
		if localKey, err = newAPIKey(); err != nil {
			return err
		}
		cfg.Tenants = []issuer.Tenant{{Name: "local", KeySHA256: issuer.HashKey(localKey), Prefix: "local"}}
	}
	api, err := issuer.New(issuer.Options{Config: cfg,
		Backend: &issuer.Backend{Presigner: presigner, Bucket: st.bucket, Timeout: st.backendTimeout},
		Audit:   audit, Log: logger, TrustProxy: st.trustProxy,
		MetricsToken: st.metricsToken, NoMetricsRoute: metricsLn != nil})
	if err != nil {
		return &cliError{msg: err.Error(), hint: "presign serve --check-config explains every mistake", usage: true}
	}
	storageOrigins := []string{}
	if u, err := presigner.BucketURL(st.bucket); err == nil {
		if pu, err := url.Parse(u); err == nil {
			storageOrigins = append(storageOrigins, pu.Scheme+"://"+pu.Host)
		}
	}
	pages, err := web.New(web.Options{StorageOrigins: storageOrigins, MultipartThreshold: cfg.MultipartThreshold, Bucket: st.bucket})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", pages)
	apiSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: apiReadTimeout,
		WriteTimeout: apiWriteTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}

	var metricsSrv *http.Server
	if metricsLn != nil {
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", api.MetricsHandler())
		metricsSrv = &http.Server{Handler: mm, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: apiReadTimeout,
			WriteTimeout: apiWriteTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: 64 << 10,
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	} else if st.metricsToken == "" && !loopback(apiLn.Addr()) {
		logger.Warn("/metrics, which names the clients, is open to anyone who reaches " + apiLn.Addr().String() + ": set metrics_token or --metrics-addr")
	}

	fmt.Fprintf(c.stdout, "presign serve: API and upload page listening on %s\n", pageOrigin)
	if metricsLn != nil {
		fmt.Fprintf(c.stdout, "presign serve: metrics listening on http://%s/metrics\n", metricsLn.Addr())
	}
	if st.external() {
		fmt.Fprintf(c.stdout, "  storage:       %s (%s)\n", st.backendURL, orDefault(st.endpoint, "AWS"))
	}
	if localKey != "" {
		fmt.Fprintf(c.stdout, "  API key:       %s  (local mode: new at each start, objects under local/)\n", localKey)
		fmt.Fprintf(c.stdout, "  try:           curl -s -X POST %s/v1/uploads -H 'Authorization: Bearer %s' -d '{\"filename\":\"hello.txt\",\"contentType\":\"text/plain\",\"size\":5}'\n", pageOrigin, localKey)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 3)
	go func() { served <- apiSrv.Serve(apiLn) }()
	running := 1
	if s3srv != nil {
		running++
		go func() { served <- s3srv.Serve(s3server.Listener(s3Ln)) }()
	}
	if metricsSrv != nil {
		running++
		go func() { served <- metricsSrv.Serve(metricsLn) }()
	}
	select {
	case err := <-served:
		running--
		shutdownAll(apiSrv, s3srv, metricsSrv)
		for ; running > 0; running-- {
			<-served
		}
		return failf("serving: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(c.stdout, "presign serve: shutting down")
	shutdownAll(apiSrv, s3srv, metricsSrv)
	for ; running > 0; running-- {
		<-served
	}
	return nil
}

// loopback reports whether a listener's address is a loopback one.
func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// shutdownAll stops the servers, letting requests in flight finish.
func shutdownAll(servers ...*http.Server) {
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if s != nil {
			if err := s.Shutdown(sctx); err != nil {
				s.Close()
			}
		}
	}
}

// auditLogger opens where the audit lines go.
func (c *serveCommand) auditLogger(where string) (*slog.Logger, func(), error) {
	switch where {
	case "", "stderr":
		return slog.New(redactLogs(slog.NewJSONHandler(c.stderr, nil))), func() {}, nil
	case "stdout":
		return slog.New(redactLogs(slog.NewJSONHandler(c.stdout, nil))), func() {}, nil
	}
	file, err := os.OpenFile(where, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, &cliError{msg: "cannot open the audit log: " + err.Error(), hint: "give a writable file, stderr or stdout with --audit-log", err: err}
	}
	return slog.New(redactLogs(slog.NewJSONHandler(file, nil))), func() { file.Close() }, nil
}

// randomSecret returns 32 random bytes.
func randomSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, failf("generating a secret: %w", err)
	}
	return b, nil
}

// dataSecret returns the configured upload secret, or the one kept in the
// data directory, made on the first start (readable by its owner only), so
// multipart uploads survive a restart.
func dataSecret(dir string, configured []byte) ([]byte, error) {
	if len(configured) > 0 {
		return configured, nil
	}
	path := filepath.Join(dir, uploadSecretFile)
	if b, err := os.ReadFile(path); err == nil {
		if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err == nil && len(dec) >= 32 {
			return dec, nil
		}
		return nil, &cliError{msg: path + " is not a valid upload secret", hint: "delete it to generate a new one"}
	}
	secret, err := randomSecret()
	if err != nil {
		return nil, err
	}
	err = os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(secret)+"\n"), 0o600)
	if err == nil {
		err = os.Chmod(path, 0o600) // whatever the umask
	}
	if err != nil {
		return nil, &cliError{msg: "cannot write " + path + ": " + err.Error(), hint: "check the permissions of the data directory", err: err}
	}
	return secret, nil
}

// validRegionName reports whether r looks like a region: lower-case
// letters, digits and hyphens.
func validRegionName(r string) bool {
	if r == "" || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// credentials returns the key pair the server accepts: from the flags,
// else the environment, else the data directory's credentials file, which
// it creates with a new random pair on the first start (generated is then
// true). It reports problems with the file's permissions on warn.
func (f *serveFlags) storeCredentials(st *serveSettings, warn io.Writer) (kp keyPair, generated bool, err error) {
	id, secret, from := f.accessKey, f.secretKey, "--access-key and --secret-key"
	if id == "" && secret == "" {
		id, secret = os.Getenv("PRESIGN_ACCESS_KEY_ID"), os.Getenv("PRESIGN_SECRET_ACCESS_KEY")
		from = "PRESIGN_ACCESS_KEY_ID and PRESIGN_SECRET_ACCESS_KEY"
	}
	if id != "" || secret != "" {
		if id == "" || secret == "" {
			return kp, false, usageErrorf("give both, or neither to use the key pair in the data directory", "%s must be given together", from)
		}
		if !validAccessKeyID(id) {
			return kp, false, usageErrorf("an access key id is letters and digits, such as AKIAIOSFODNN7EXAMPLE", "the access key id %q is not valid", id)
		}
		return keyPair{AccessKeyID: id, SecretAccessKey: secret}, false, nil
	}

	path := filepath.Join(st.data, credentialsFile)
	f.credFile = path
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&kp); err != nil || !validAccessKeyID(kp.AccessKeyID) || kp.SecretAccessKey == "" {
			return kp, false, &cliError{msg: "the credentials file " + path + " is not valid",
				hint: `it holds {"accessKeyId": "...", "secretAccessKey": "..."}; delete it to generate a new pair`}
		}
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(warn, "presign: warning: %s is readable by other users; run chmod 600 on it\n", path)
		}
		return kp, false, nil
	case !errors.Is(err, iofs.ErrNotExist):
		return kp, false, &cliError{msg: "cannot read the credentials file: " + err.Error(), hint: "check the permissions of " + path, err: err}
	}

	kp, err = newKeyPair()
	if err != nil {
		return kp, false, err
	}
	out, err := json.MarshalIndent(kp, "", "  ")
	if err != nil {
		return kp, false, err
	}
	if err := os.MkdirAll(st.data, 0o700); err != nil {
		return kp, false, &cliError{msg: "cannot create the data directory: " + err.Error(), hint: "give another with --data", err: err}
	}
	os.Chmod(st.data, 0o700) // whatever the umask; the store's Open insists on it, where it may
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return kp, false, &cliError{msg: "cannot create the credentials file: " + err.Error(), hint: "check the permissions of " + st.data, err: err}
	}
	cerr := file.Chmod(0o600) // whatever the umask
	_, werr := file.Write(append(out, '\n'))
	if err := errors.Join(cerr, werr, file.Sync(), file.Close()); err != nil {
		os.Remove(path)
		return kp, false, failf("writing %s: %w", path, err)
	}
	return kp, true, nil
}

// newKeyPair returns a random key pair: a 20-character access key id
// starting with "PRSN", and a 40-character secret (240 random bits).
func newKeyPair() (keyPair, error) {
	var id [10]byte
	var secret [30]byte
	if _, err := rand.Read(id[:]); err != nil {
		return keyPair{}, failf("generating credentials: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return keyPair{}, failf("generating credentials: %w", err)
	}
	return keyPair{
		AccessKeyID:     "PRSN" + base32.StdEncoding.EncodeToString(id[:]),
		SecretAccessKey: base64.StdEncoding.EncodeToString(secret[:]),
	}, nil
}

// validAccessKeyID reports whether id is 1 to 128 ASCII letters and digits.
func validAccessKeyID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
