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
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/internal/gateway"
	"github.com/presign-dev/presign/internal/httpx"
	"github.com/presign-dev/presign/internal/stack"
	"github.com/presign-dev/presign/issuer"
	"github.com/presign-dev/presign/objstore"
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
  --print-env        print the export line that points the AWS CLI, boto3, the
                     AWS SDKs and presign at the embedded store, and exit:
                     eval "$(presign serve --print-env --data DIR)"
  --start-degraded   start even when the S3 backend cannot be reached or
                     refuses the credentials (GET /readyz then fails); by
                     default serve refuses to start, saying what is wrong
  --no-print-secret  keep a newly generated store secret off standard output
                     (it is in DIR/credentials.json; --print-env prints it)
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
  --gateway A        run the verifying gateway on A (with --backend): the URLs
                     point at it; it checks their signature and grant (single
                     use, use limits, revocation) and streams to and from S3
  --gateway-url U    how clients reach the gateway, if not http://A
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
  --sigv4-only       the embedded store refuses Signature Version 2 (older SDKs'
                     and Debian's boto3's default), as S3's newer regions do;
                     by default it verifies it, as MinIO does
  --audit-log W      where the JSON audit lines go: stderr (default), stdout or a file
  --access-log W     where the embedded store's access lines go, as JSON lines
                     like the audit's: stderr, stdout or a file (reopened on
                     SIGHUP); default: in the service's text log on stderr
  --quiet            no access log
  --metrics-addr A   serve /metrics on this address, and not on the API's
  --backend-timeout D  how long the API waits for storage to answer a request
                     of its own (multipart create, complete, abort; /readyz)
                     before answering 504; default 10s, at most 25s

Settings come from the config file, then PRESIGN_* environment variables
(PRESIGN_ADDR, PRESIGN_S3_ADDR, PRESIGN_DATA, PRESIGN_PUBLIC_URL,
PRESIGN_BUCKET, PRESIGN_REGION, PRESIGN_BACKEND, PRESIGN_ENDPOINT,
PRESIGN_UPLOAD_SECRET, PRESIGN_CORS_ORIGINS, PRESIGN_AUDIT_LOG, PRESIGN_ACCESS_LOG,
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

// The servers' connection timeouts are stack's (stack.StoreServer,
// stack.APIServer); shutdownTimeout is how long requests in flight may take
// to finish at the end.
const (
	shutdownTimeout = 30 * time.Second
	// maxBackendTimeout is the longest --backend-timeout: the API must
	// have the time to answer 504 before its write timeout closes the
	// connection with no answer at all.
	maxBackendTimeout = stack.APIWriteTimeout - 5*time.Second
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
	awsFlags                                          // of the external backend; --region is the store's too
	config, hashKey                                   string
	checkConfig, exampleConfig, newKey, quiet, env    bool
	noSecret, degraded, sigv4Only                     bool
	addr, s3Addr, data, publicURL, bucket, maxSize    string
	multipartExpiry, backend, auditLog                string
	accessLog, gateway, gatewayURL                    string
	accessKey, secretKey, metricsAddr, backendTimeout string
	baseDomains, corsOrigins                          listFlag
	// credFile is the credentials file in use; empty when the key pair
	// came from the flags or the environment.
	credFile string
}

func (f *serveFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("serve")
	f.awsFlags.register(fs)
	defineFlags(fs, flagVars{
		strings: map[string]*string{
			"config": &f.config, "hash-key": &f.hashKey,
			"addr": &f.addr, "s3-addr": &f.s3Addr, "data": &f.data, "public-url": &f.publicURL, "bucket": &f.bucket, "max-object-size": &f.maxSize,
			"multipart-expiry": &f.multipartExpiry, "backend": &f.backend, "audit-log": &f.auditLog,
			"access-log": &f.accessLog, "gateway": &f.gateway, "gateway-url": &f.gatewayURL,
			"access-key": &f.accessKey, "secret-key": &f.secretKey, "metrics-addr": &f.metricsAddr, "backend-timeout": &f.backendTimeout,
		},
		bools: map[string]*bool{
			"check-config": &f.checkConfig, "example-config": &f.exampleConfig, "new-key": &f.newKey, "quiet": &f.quiet, "print-env": &f.env,
			"no-print-secret": &f.noSecret, "start-degraded": &f.degraded, "sigv4-only": &f.sigv4Only,
		},
		lists: map[string]*listFlag{"base-domain": &f.baseDomains, "cors-origin": &f.corsOrigins},
	})
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
		if len(errs) == 0 && st.external() {
			// With a backend, the probe serve would make at start.
			b, aws, err := newBackend(ctx, st)
			if err == nil {
				if perr, _ := probeBackend(ctx, b, st); perr != nil {
					err = aws.endpointError(perr)
				}
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		return c.report(st, errs)
	}
	if f.env && len(errs) == 0 {
		return c.printEnv(&f, st)
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

// serve runs the servers until ctx is done or SIGTERM comes. The API's
// addresses are taken first, so that a taken one fails before the store
// is opened; then the storage, the API and the pages, the banners, and
// the servers run.
func (c *serveCommand) serve(ctx context.Context, f *serveFlags, st *serveSettings) error {
	logger := c.logger(f.quiet)
	lns, err := listenAPI(st) // before any file is made: a port in use leaves none
	if err != nil {
		return err
	}
	defer lns.close()
	stg, err := c.storage(ctx, f, st, logger, lns.pageOrigin()) // listens before it makes a file
	if err != nil {
		return err
	}
	defer stg.close()
	audit, closeAudit, err := c.jsonLog("audit log", "--audit-log", st.auditLog)
	if err != nil {
		return err
	}
	defer closeAudit()

	if st.storeOnly() {
		// No bucket to issue URLs for: the S3 store alone.
		fmt.Fprintln(c.stdout, "presign serve: API and upload page off: no bucket (give --bucket to turn them on)")
		lns.api.Close()
		return c.run(ctx, stg.served())
	}
	api, localKey, err := newAPI(st, stg, audit, logger, lns.metrics != nil)
	if err != nil {
		return err
	}
	pages, err := web.New(web.Options{StorageOrigins: stack.StorageOrigins(stg.backend), MultipartThreshold: st.multipartThreshold, Bucket: st.bucket})
	if err != nil {
		return err
	}
	servers := []served{{srv: stack.APIServer(stack.Mux(api, pages), logger), ln: lns.api}}
	if stg.local != nil {
		servers = append(servers, stg.served())
	}
	if stg.gateway != nil {
		servers = append(servers, *stg.gateway)
	}
	if lns.metrics != nil {
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", api.MetricsHandler())
		servers = append(servers, served{srv: stack.APIServer(mm, logger), ln: lns.metrics})
	} else if st.metricsToken == "" && !loopback(lns.api.Addr()) {
		logger.Warn("/metrics, which names the clients, is open to anyone who reaches " + lns.api.Addr().String() + ": set metrics_token or --metrics-addr")
	}
	c.printAPI(st, lns, localKey)
	return c.run(ctx, servers...)
}

// logger is the operational log, on stderr: the access log at INFO unless
// quiet, warnings, every line through [redactLogs].
func (c *serveCommand) logger(quiet bool) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	return slog.New(redactLogs(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level})))
}

// apiListeners are the listeners of the API and pages and, with
// --metrics-addr, of the metrics (nil otherwise).
type apiListeners struct {
	api, metrics net.Listener
}

// listenAPI takes the API's address and, when given and there is an API,
// the metrics'.
func listenAPI(st *serveSettings) (*apiListeners, error) {
	apiLn, err := net.Listen("tcp", st.addr)
	if err != nil {
		return nil, &cliError{msg: "cannot listen on " + st.addr + ": " + err.Error(), hint: "give another address with --addr", err: err}
	}
	lns := &apiListeners{api: apiLn}
	if st.metricsAddr != "" && !st.storeOnly() {
		if lns.metrics, err = net.Listen("tcp", st.metricsAddr); err != nil {
			apiLn.Close()
			return nil, &cliError{msg: "cannot listen on " + st.metricsAddr + ": " + err.Error(), hint: "give another address with --metrics-addr", err: err}
		}
	}
	return lns, nil
}

// pageOrigin is the origin of the upload page.
func (l *apiListeners) pageOrigin() string { return "http://" + l.api.Addr().String() }

func (l *apiListeners) close() {
	if l.metrics != nil {
		l.metrics.Close()
	}
	l.api.Close()
}

// storage is where the issued URLs point: the embedded store (local and
// its listener set) or an external S3 service.
type storage struct {
	backend *issuer.Backend
	secret  []byte // the upload secret, for multipart tokens
	local   *stack.Local
	ln      net.Listener
	// lane is the lane of large requests the store and the API share.
	lane *httpx.Lane
	// closeLog closes the store's access log of its own, if any.
	closeLog func()
	// gateway is the verifying gateway's server and listener, if any.
	gateway *served
}

// served returns the embedded store's server.
func (s *storage) served() served {
	return served{srv: s.local.Server, ln: s.ln, serve: s.local.Serve}
}

// close releases the embedded store's listener and directory, and the
// gateway's listener.
func (s *storage) close() {
	if s.gateway != nil {
		s.gateway.ln.Close()
	}
	if s.ln != nil {
		s.ln.Close()
	}
	if s.local != nil {
		s.local.Close()
	}
	if s.closeLog != nil {
		s.closeLog()
	}
}

// storage opens the storage the settings name.
func (c *serveCommand) storage(ctx context.Context, f *serveFlags, st *serveSettings, logger *slog.Logger, pageOrigin string) (*storage, error) {
	if st.external() {
		return c.external(ctx, st, logger, f.degraded)
	}
	if st.gateway != "" {
		return nil, usageErrorf("the embedded store checks grants itself; the gateway is for --backend s3://BUCKET", "--gateway needs an S3 backend")
	}
	return c.local(ctx, f, st, logger, pageOrigin)
}

// external is the storage of an S3 service, with credentials from the
// standard AWS chain. Storage is probed first (the readiness check):
// one that cannot be reached, or that refuses the credentials or does not
// have the bucket, stops serve with what is wrong, unless degraded.
func (c *serveCommand) external(ctx context.Context, st *serveSettings, logger *slog.Logger, degraded bool) (*storage, error) {
	b, aws, err := newBackend(ctx, st)
	if err != nil {
		return nil, err
	}
	if err, fatal := probeBackend(ctx, b, st); err != nil {
		if fatal && !degraded {
			return nil, aws.endpointError(err)
		}
		logger.Warn("the S3 backend's readiness check failed; starting all the same: " + plainText(err))
	}
	secret := []byte(st.uploadSecret)
	if len(secret) == 0 {
		if secret, err = randomSecret(); err != nil {
			return nil, err
		}
		logger.Warn("no upload_secret configured: multipart uploads are tied to this process; set PRESIGN_UPLOAD_SECRET on every replica")
	}
	stg := &storage{backend: b, secret: secret, lane: stack.NewLane()}
	if st.gateway != "" {
		if err := c.startGateway(st, stg, logger); err != nil {
			return nil, err
		}
	}
	return stg, nil
}

// startGateway listens on the gateway's address and sets the backend to
// issue its URLs through the gateway, with grants kept in the bucket.
func (c *serveCommand) startGateway(st *serveSettings, stg *storage, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", st.gateway)
	if err != nil {
		return &cliError{msg: "cannot listen on " + st.gateway + ": " + err.Error(), hint: "give another address with --gateway", err: err}
	}
	u := strings.TrimRight(st.gatewayURL, "/")
	if u == "" {
		u = "http://" + ln.Addr().String()
	}
	creds := gateway.Credentials(stg.secret)
	region := stg.backend.Presigner.Region()
	p, err := presign.New(presign.Config{Credentials: credentials.Static(creds), Region: region, Endpoint: u, Addressing: presign.AddressingPath})
	if err != nil {
		ln.Close()
		return fromLibrary(err, "serve")
	}
	b := stg.backend
	b.Gateway, b.Grants = p, &gateway.Grants{B: b}
	h := &gateway.Handler{Backend: b, Grants: b.Grants, HTTP: &http.Client{}, Log: logger,
		Verifier: &sigv4.Verifier{Region: region, Lookup: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID }}}
	stg.gateway = &served{srv: stack.StoreServer(h, logger), ln: ln}
	fmt.Fprintf(c.stdout, "presign serve: verifying gateway listening on %s, URLs at %s (every byte passes through it)\n", "http://"+ln.Addr().String(), u)
	return nil
}

// local opens the embedded store, takes its address and prints its banner.
func (c *serveCommand) local(ctx context.Context, f *serveFlags, st *serveSettings, logger *slog.Logger, pageOrigin string) (_ *storage, err error) {
	// The address first: a start that fails on a port in use leaves no
	// new file behind (credentials, data directory).
	ln, err := net.Listen("tcp", st.s3Addr)
	if err != nil {
		return nil, &cliError{msg: "cannot listen on " + st.s3Addr + ": " + err.Error(), hint: "give another address with --s3-addr", err: err}
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	kp, generated, err := f.storeCredentials(st, c.stderr)
	if err != nil {
		return nil, err
	}
	// The page's own origin may always upload; without configured
	// origins any may (a presigned URL is its own authority).
	origins := []string{"*"}
	if len(st.corsOrigins) > 0 {
		origins = append([]string{pageOrigin, strings.Replace(pageOrigin, "127.0.0.1", "localhost", 1)}, st.corsOrigins...)
	}
	lane := stack.NewLane()
	storeLog, closeLog := logger, func() {}
	if st.accessLog != "" {
		if storeLog, closeLog, err = c.jsonLog("access log", "--access-log", st.accessLog); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				closeLog()
			}
		}()
	}
	local, err := stack.OpenLocal(ctx, stack.LocalConfig{
		Dir:             st.data,
		Bucket:          st.bucket,
		Credentials:     sigv4.Credentials{AccessKeyID: kp.AccessKeyID, SecretAccessKey: kp.SecretAccessKey},
		Region:          st.region,
		BaseDomains:     st.baseDomains,
		CORS:            &s3server.CORS{AllowedOrigins: origins, MaxAge: time.Hour},
		MaxObjectSize:   st.maxObjectSize,
		MultipartExpiry: st.multipartExpiry,
		Logger:          storeLog,
		Lane:            lane,
		SigV4Only:       st.sigv4Only,
	})
	if err != nil {
		return nil, openLocalError(err, st)
	}
	s := &storage{local: local, lane: lane, closeLog: closeLog}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	s.ln = ln
	storageURL := strings.TrimRight(st.publicURL, "/")
	if storageURL == "" {
		storageURL = "http://" + s.ln.Addr().String()
	}
	if s.backend, err = local.Backend(storageURL, st.backendTimeout); err != nil {
		return nil, fromLibrary(err, "serve")
	}
	fmt.Fprintf(c.stdout, "presign serve: S3 store listening on %s, data in %s, region %s\n", "http://"+s.ln.Addr().String(), st.data, st.region)
	fmt.Fprintf(c.stdout, "  access key id: %s\n", kp.AccessKeyID)
	if f.credFile != "" {
		fmt.Fprintf(c.stdout, "  credentials:   %s\n", f.credFile)
	}
	printSecret := generated && !f.noSecret
	switch {
	case printSecret:
		fmt.Fprintf(c.stdout, "  secret key:    %s  (new; printed this once, kept in the file above)\n", kp.SecretAccessKey)
	case generated:
		fmt.Fprintln(c.stdout, "  secret key:    new, kept in the file above (not printed: --no-print-secret)")
	}
	if st.bucket != "" {
		fmt.Fprintf(c.stdout, "  bucket:        s3://%s\n", st.bucket)
	}
	fmt.Fprintln(c.stdout, "  for the AWS CLI, boto3, the AWS SDKs and presign itself, with no flags:")
	if printSecret {
		fmt.Fprintf(c.stdout, "    %s\n", exportLine(storeURL(storageURL), kp, st.region))
	} else {
		fmt.Fprintf(c.stdout, "    eval \"$(presign serve --print-env --data %s)\"\n", shellQuote(st.data))
	}
	if s.secret, err = dataSecret(st.data, []byte(st.uploadSecret)); err != nil {
		return nil, err
	}
	return s, nil
}

// printEnv is --print-env: the export line of the embedded store's
// endpoint, key pair and region, to eval in a shell.
func (c *serveCommand) printEnv(f *serveFlags, st *serveSettings) error {
	if st.external() {
		return usageErrorf("--print-env is for the embedded store; the AWS tools reach "+st.backendURL+" with their own settings",
			"presign serve runs on an external S3 service here")
	}
	if st.publicURL == "" && st.s3Addr == "" {
		return usageErrorf("give --s3-addr or --public-url", "the embedded store has no address")
	}
	kp, _, err := f.storeCredentials(st, c.stderr)
	if err != nil {
		return err
	}
	u := strings.TrimRight(st.publicURL, "/")
	if u == "" {
		u = storeURL("http://" + st.s3Addr)
	}
	fmt.Fprintln(c.stdout, exportLine(u, kp, st.region))
	return nil
}

// exportLine is the shell line that points the AWS tools at the store.
func exportLine(endpoint string, kp keyPair, region string) string {
	return fmt.Sprintf("export AWS_ENDPOINT_URL_S3=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=%s",
		shellQuote(endpoint), shellQuote(kp.AccessKeyID), shellQuote(kp.SecretAccessKey), shellQuote(region))
}

// storeURL is how a client on this machine reaches a store listening on
// the URL u: an unspecified address (0.0.0.0, [::]) is reached on the
// loopback address.
func storeURL(u string) string {
	for _, any := range []string{"://0.0.0.0:", "://[::]:", "://:"} {
		if strings.Contains(u, any) {
			return strings.Replace(u, any, "://127.0.0.1:", 1)
		}
	}
	return u
}

// openLocalError explains an error of stack.OpenLocal in the command's
// terms.
func openLocalError(err error, st *serveSettings) error {
	var se *stack.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Op {
	case stack.OpOpenStore:
		return &cliError{msg: "cannot open the data directory " + st.data + ": " + se.Err.Error(),
			hint: "is another presign serve using it? give another with --data", err: err}
	case stack.OpCreateBucket:
		return &cliError{msg: fmt.Sprintf("cannot create bucket %q: %v", st.bucket, se.Err), hint: "give a valid bucket name with --bucket",
			usage: errors.Is(err, objstore.ErrInvalidBucketName), err: err}
	}
	return se.Err
}

// newAPI returns the URL-issuing API on the storage, and in local mode the
// API key it generated.
func newAPI(st *serveSettings, stg *storage, audit, logger *slog.Logger, separateMetrics bool) (*issuer.Server, string, error) {
	cfg := issuer.Config{Bucket: st.bucket, Tenants: st.clients, UploadSecret: stg.secret, CORSOrigins: st.corsOrigins,
		MultipartThreshold: st.multipartThreshold, PartSize: st.partSize, MaxRequestBytes: st.maxRequestBytes}
	var localKey string
	if st.localMode {
		var err error
		if localKey, err = newAPIKey(); err != nil {
			return nil, "", err
		}
		cfg.Tenants = []issuer.Tenant{{Name: "local", KeySHA256: issuer.HashKey(localKey), Prefix: "local"}}
	}
	api, err := issuer.New(issuer.Options{Config: cfg, Backend: stg.backend,
		Audit: audit, Log: logger, TrustProxy: st.trustProxy,
		MetricsToken: st.metricsToken, NoMetricsRoute: separateMetrics, Lane: stg.lane, Version: version()})
	if err != nil {
		return nil, "", &cliError{msg: err.Error(), hint: "presign serve --check-config explains every mistake", usage: true}
	}
	return api, localKey, nil
}

// printAPI prints where the API, the page and the metrics listen, the
// storage, and in local mode the API key and a first request.
func (c *serveCommand) printAPI(st *serveSettings, lns *apiListeners, localKey string) {
	pageOrigin := lns.pageOrigin()
	fmt.Fprintf(c.stdout, "presign serve: API and upload page listening on %s (presign %s)\n", pageOrigin, version())
	if lns.metrics != nil {
		fmt.Fprintf(c.stdout, "presign serve: metrics listening on http://%s/metrics\n", lns.metrics.Addr())
	}
	if st.external() {
		fmt.Fprintf(c.stdout, "  storage:       %s (%s)\n", st.backendURL, orDefault(st.endpoint, "AWS"))
	}
	if localKey != "" {
		fmt.Fprintf(c.stdout, "  API key:       %s  (local mode: new at each start, objects under local/)\n", localKey)
		fmt.Fprintf(c.stdout, "  try:           curl -s -X POST %s/v1/uploads -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"filename\":\"hello.txt\",\"contentType\":\"text/plain\",\"size\":5}'\n", pageOrigin, localKey)
	}
}

// served is a server, its listener, and how it serves on it (nil: Serve).
type served struct {
	srv   *http.Server
	ln    net.Listener
	serve func(net.Listener) error
}

// run serves until ctx is done or SIGTERM comes, and then shuts the
// servers down, letting requests in flight finish; or until one of them
// fails, and then shuts the others down.
func (c *serveCommand) run(ctx context.Context, servers ...served) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	done := make(chan error, len(servers))
	all := make([]*http.Server, len(servers))
	for i, s := range servers {
		all[i] = s.srv
		serve := s.serve
		if serve == nil {
			serve = s.srv.Serve
		}
		go func() { done <- serve(s.ln) }()
	}
	running := len(servers)
	var failed error
	select {
	case failed = <-done:
		running--
	case <-ctx.Done():
		fmt.Fprintln(c.stdout, "presign serve: shutting down")
	}
	shutdownAll(all...)
	for ; running > 0; running-- {
		<-done
	}
	if failed != nil {
		return failf("serving: %w", failed)
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

// jsonLog opens a destination of JSON log lines (what names it, flag is
// its flag): stderr, stdout, or a file, reopened on SIGHUP.
func (c *serveCommand) jsonLog(what, flag, where string) (*slog.Logger, func(), error) {
	switch where {
	case "", "stderr":
		return slog.New(redactLogs(slog.NewJSONHandler(c.stderr, nil))), func() {}, nil
	case "stdout":
		return slog.New(redactLogs(slog.NewJSONHandler(c.stdout, nil))), func() {}, nil
	}
	file, err := openLogFile(where)
	if err != nil {
		return nil, nil, &cliError{msg: "cannot open the " + what + ": " + err.Error(), hint: "give a writable file, stderr or stdout with " + flag, err: err}
	}
	// logrotate moves the file, then sends SIGHUP: write to a new one.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := file.reopen(); err != nil {
					fmt.Fprintf(c.stderr, "presign: cannot reopen the %s %s on SIGHUP (still writing to the old one): %v\n", what, where, err)
				}
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return slog.New(redactLogs(slog.NewJSONHandler(file, nil))), func() {
		once.Do(func() {
			signal.Stop(hup)
			close(done)
			file.Close()
		})
	}, nil
}

// logFile is a log destination file that can be reopened at its path, as
// log rotation needs: lines go to the file the path names since the last
// reopen.
type logFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openLogFile(path string) (*logFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &logFile{path: path, f: f}, nil
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// reopen opens the path again and writes there from now on; on an error
// the old file stays in use.
func (l *logFile) reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	return old.Close()
}

func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
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

// newBackend is the issuer backend of the external S3 service, with the
// AWS settings it was made with.
func newBackend(ctx context.Context, st *serveSettings) (*issuer.Backend, *awsSettings, error) {
	aws, err := loadAWS(ctx, awsFlags{region: st.region, profile: st.profile, endpoint: st.endpoint})
	if err != nil {
		return nil, nil, err
	}
	b, err := stack.External(stack.ExternalConfig{Credentials: aws.creds, Region: aws.region, Endpoint: aws.endpoint,
		PathStyle: st.pathStyle, Bucket: st.bucket, Timeout: st.backendTimeout})
	if err != nil {
		return nil, nil, aws.endpointError(fromLibrary(err, "serve"))
	}
	return b, &aws, nil
}

// probeBackend asks storage for an object that does not exist, as GET
// /readyz does, and says in plain words what is wrong, if anything. A
// refusal that may only mean the credentials lack s3:ListBucket (S3 then
// answers 403 for a missing key) is not fatal.
func probeBackend(ctx context.Context, b *issuer.Backend, st *serveSettings) (err error, fatal bool) {
	if err = b.Ready(ctx); err == nil {
		return nil, false
	}
	return explainProbe(err, st), !isAccessDenied(err)
}

func isAccessDenied(err error) bool {
	var be *issuer.BackendError
	return errors.As(err, &be) && be.Status == http.StatusForbidden && be.Code == "AccessDenied"
}

func explainProbe(err error, st *serveSettings) error {
	var be *issuer.BackendError
	var ue *issuer.UnreachableError
	switch {
	case errors.As(err, &ue):
		return &cliError{msg: "the S3 backend cannot be reached: " + plainText(err),
			hint: "check the endpoint and the network, or give --start-degraded to start anyway (GET /readyz then fails)", err: err}
	case errors.As(err, &be) && be.Code == "NoSuchBucket":
		return &cliError{msg: fmt.Sprintf("the S3 backend has no bucket %q", st.bucket),
			hint: "create it, or name another with --backend s3://BUCKET", usage: true, err: err}
	case errors.As(err, &be) && (be.Code == "InvalidAccessKeyId" || be.Code == "SignatureDoesNotMatch" || be.Code == "ExpiredToken" || be.Code == "InvalidToken"):
		return &cliError{msg: fmt.Sprintf("the S3 backend refuses the service's credentials: %s: %s", be.Code, be.Message),
			hint: "check the AWS credentials serve runs with (environment, --profile)", usage: true, err: err}
	case errors.As(err, &be) && be.Status == http.StatusForbidden:
		return &cliError{msg: fmt.Sprintf("the S3 backend refuses access to the bucket %q: %s: %s", st.bucket, be.Code, be.Message),
			hint: "give the credentials s3:GetObject, s3:PutObject and s3:ListBucket on the bucket (without ListBucket, S3 answers 403 for a missing key)", usage: true, err: err}
	}
	return &cliError{msg: "the S3 backend's readiness check failed: " + plainText(err),
		hint: "give --start-degraded to start anyway (GET /readyz then fails)", err: err}
}
