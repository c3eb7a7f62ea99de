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
	"syscall"
	"time"

	"github.com/presign-dev/presign/objstore"
	objfs "github.com/presign-dev/presign/objstore/fs"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

const serveUsage = `Usage: presign serve [flags]

Runs an S3-compatible server on local disk: presigned URLs and POST forms
made by presign, the AWS SDKs and the AWS CLI work against it, with no
cloud account. It listens on 127.0.0.1 by default; stop it with Ctrl-C or
SIGTERM, which let requests in flight finish.

Flags:
  --addr A           listen address; default 127.0.0.1:9000
  --data DIR         data directory; default ./presign-data
  --bucket B         bucket to create if missing; default uploads ("" for none)
  --access-key ID    access key id; default PRESIGN_ACCESS_KEY_ID
  --secret-key S     secret access key; default PRESIGN_SECRET_ACCESS_KEY
  --region R         the region the server is in; default us-east-1
  --base-domain D    host name under which bucket.D:port names a bucket
                     (virtual-hosted requests); default localhost (repeatable)
  --cors-origin O    origin allowed to make browser requests: * (the default),
                     https://app.example.com or https://*.example.com
                     (repeatable); "none" allows none
  --max-object-size N  the largest object or part: 5GiB (the default), 100MB, ...
  --quiet            no access log

Credentials: with neither the flags nor the environment variables, the key
pair in DIR/credentials.json is used, and on the first start a new pair is
generated there (readable by its owner only); the access key id and the
file are printed, and the secret once, when it is made.

Use it:
  presign serve --data /tmp/s3 &
  presign url PUT s3://uploads/cat.jpg --endpoint http://127.0.0.1:9000 --region us-east-1
  aws --endpoint-url http://127.0.0.1:9000 s3 ls s3://uploads
`

// Timeouts of the server's connections. Bodies may take as long as they
// take: an upload of gigabytes must not be cut, so there is no read or
// write timeout, but a client must send its headers promptly and an idle
// connection is closed.
const (
	readHeaderTimeout = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 30 * time.Second
)

// credentialsFile is the name of the generated key pair in the data directory.
const credentialsFile = "credentials.json"

// serveCommand is "presign serve": it runs the embedded S3 server.
type serveCommand struct {
	streams
}

func newServeCommand(s streams) command { return &serveCommand{streams: s} }

// serveFlags are the flags of "presign serve", as given.
type serveFlags struct {
	addr, data, bucket, accessKey, secretKey, region, maxSize string
	baseDomains, corsOrigins                                  listFlag
	quiet                                                     bool
	// credFile is the credentials file in use; empty when the key pair
	// came from the flags or the environment.
	credFile string
}

func (f *serveFlags) flagSet() *flag.FlagSet {
	fs := newFlagSet("serve")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:9000", "")
	fs.StringVar(&f.data, "data", "presign-data", "")
	fs.StringVar(&f.bucket, "bucket", "uploads", "")
	fs.StringVar(&f.accessKey, "access-key", "", "")
	fs.StringVar(&f.secretKey, "secret-key", "", "")
	fs.StringVar(&f.region, "region", s3server.DefaultRegion, "")
	fs.StringVar(&f.maxSize, "max-object-size", "", "")
	fs.Var(&f.baseDomains, "base-domain", "")
	fs.Var(&f.corsOrigins, "cors-origin", "")
	fs.BoolVar(&f.quiet, "quiet", false, "")
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
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(c.stdout, serveUsage)
		return errHelp
	}
	if err != nil {
		return flagError("serve", err)
	}
	if len(pos) > 0 {
		return usageErrorf("presign serve takes only flags; see 'presign serve -h'", "unexpected argument %q", pos[0])
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	creds, generated, err := f.credentials(c.stderr)
	if err != nil {
		return err
	}

	store, err := objfs.Open(f.data)
	if err != nil {
		return &cliError{msg: "cannot open the data directory " + f.data + ": " + err.Error(),
			hint: "is another presign serve using it? give another with --data", err: err}
	}
	defer store.Close()
	if f.bucket != "" {
		if err := store.CreateBucket(ctx, f.bucket); err != nil && !errors.Is(err, objstore.ErrBucketExists) {
			return &cliError{msg: fmt.Sprintf("cannot create bucket %q: %v", f.bucket, err), hint: "give a valid bucket name with --bucket, or --bucket ''", usage: errors.Is(err, objstore.ErrInvalidBucketName), err: err}
		}
	}

	logger := slog.New(slog.NewTextHandler(c.stderr, nil))
	if f.quiet {
		logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	opts.Store = store
	opts.Logger = logger
	opts.Credentials = func(id string) (sigv4.Credentials, bool) {
		if id != creds.AccessKeyID {
			return sigv4.Credentials{}, false
		}
		return sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey}, true
	}
	h, err := s3server.New(opts)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return &cliError{msg: "cannot listen on " + f.addr + ": " + err.Error(), hint: "give another address with --addr", err: err}
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	endpoint := "http://" + ln.Addr().String()
	fmt.Fprintf(c.stdout, "presign serve: listening on %s, data in %s, region %s\n", endpoint, f.data, opts.Region)
	fmt.Fprintf(c.stdout, "  access key id: %s\n", creds.AccessKeyID)
	if f.credFile != "" {
		fmt.Fprintf(c.stdout, "  credentials:   %s\n", f.credFile)
	}
	if generated {
		fmt.Fprintf(c.stdout, "  secret key:    %s  (new; printed this once, kept in the file above)\n", creds.SecretAccessKey)
	}
	if f.bucket != "" {
		fmt.Fprintf(c.stdout, "  bucket:        s3://%s\n", f.bucket)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("presign: serving: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(c.stdout, "presign serve: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-served
	return nil
}

// options validates the flags that configure the handler.
func (f *serveFlags) options() (s3server.Options, error) {
	var o s3server.Options
	if !validRegionName(f.region) {
		return o, usageErrorf("give a region such as us-east-1", "--region %q is not a region name", f.region)
	}
	o.Region = f.region
	o.BaseDomains = f.baseDomains.names()
	origins := f.corsOrigins.names()
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	if !(len(origins) == 1 && origins[0] == "none") {
		for _, or := range origins {
			if or != "*" && !strings.HasPrefix(or, "http://") && !strings.HasPrefix(or, "https://") {
				return o, usageErrorf("give * or an origin such as https://app.example.com", "--cors-origin %q is not an origin", or)
			}
		}
		o.CORS = &s3server.CORS{AllowedOrigins: origins, MaxAge: time.Hour}
	}
	if f.maxSize != "" {
		n, err := parseSize("max-object-size", f.maxSize)
		if err != nil {
			return o, err
		}
		if n <= 0 {
			return o, usageErrorf("give a size such as 100MB or 5GiB", "--max-object-size %q is not a positive size", f.maxSize)
		}
		o.MaxObjectSize = n
	}
	return o, nil
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
func (f *serveFlags) credentials(warn io.Writer) (kp keyPair, generated bool, err error) {
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

	path := filepath.Join(f.data, credentialsFile)
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
	if err := os.MkdirAll(f.data, 0o755); err != nil {
		return kp, false, &cliError{msg: "cannot create the data directory: " + err.Error(), hint: "give another with --data", err: err}
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return kp, false, &cliError{msg: "cannot create the credentials file: " + err.Error(), hint: "check the permissions of " + f.data, err: err}
	}
	_, werr := file.Write(append(out, '\n'))
	if err := errors.Join(werr, file.Sync(), file.Close()); err != nil {
		os.Remove(path)
		return kp, false, fmt.Errorf("presign: writing %s: %w", path, err)
	}
	return kp, true, nil
}

// newKeyPair returns a random key pair: a 20-character access key id
// starting with "PRSN", and a 40-character secret (240 random bits).
func newKeyPair() (keyPair, error) {
	var id [10]byte
	var secret [30]byte
	if _, err := rand.Read(id[:]); err != nil {
		return keyPair{}, fmt.Errorf("presign: generating credentials: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return keyPair{}, fmt.Errorf("presign: generating credentials: %w", err)
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
