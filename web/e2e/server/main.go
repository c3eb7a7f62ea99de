// Command server runs the whole upload stack for the browser test, in one
// process, on 127.0.0.1 only: the embedded S3 store (objstore/disk behind
// s3server, with CORS for the page's origin), the URL-issuing API and the
// upload page (web) on one address, the store on another.
//
// It prints one JSON line on standard output once both listen:
//
//	{"page":"http://127.0.0.1:PORT","storage":"http://127.0.0.1:PORT","deadStorage":"http://127.0.0.1:PORT",
//	 "bucket":"uploads","keys":{"web":"…",…},"dir":"…"}
//
// deadStorage is an origin the page may connect to where nothing listens.
//
// and stops by itself when standard input closes (its parent died or is
// done), on SIGINT or SIGTERM, or after -lifetime, whichever comes first.
// The data directory is a temporary one, removed at exit, unless -dir
// names one.
//
// The API keys, for the test's cases:
//
//	web    images, text/plain and application/octet-stream, up to 1 GiB;
//	       may also sign DELETE URLs (the inspector's URL builder)
//	tiny   at most 1 KiB
//	slow   one request a second, in bursts of one
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/issuer"
	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
	"github.com/presign-dev/presign/web"
)

const bucket = "uploads"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e server:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "data directory (default: a temporary one, removed at exit)")
	lifetime := flag.Duration("lifetime", 10*time.Minute, "stop after this long whatever happens")
	verbose := flag.Bool("v", false, "log every request to standard error")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	go func() { // standard input closed: the parent is gone
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()

	if *dir == "" {
		d, err := os.MkdirTemp("", "presign-e2e-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	store, err := disk.Open(*dir)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.CreateBucket(ctx, bucket); err != nil {
		return err
	}

	pageLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s3Ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	pageURL := "http://" + pageLn.Addr().String()
	storageURL := "http://" + s3Ln.Addr().String()
	// A port nothing listens on, which the page's CSP allows all the same:
	// the test's storage that is down.
	deadLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	deadURL := "http://" + deadLn.Addr().String()
	deadLn.Close()

	logLevel := slog.LevelWarn
	if *verbose {
		logLevel = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))

	creds := sigv4.Credentials{AccessKeyID: "E2E" + randomHex(8), SecretAccessKey: randomHex(20)}
	s3, err := s3server.New(s3server.Options{
		Store:       store,
		Credentials: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		CORS:        &s3server.CORS{AllowedOrigins: []string{pageURL}, MaxAge: 10 * time.Minute},
		Logger:      log,
	})
	if err != nil {
		return err
	}

	presigner, err := presign.New(presign.Config{Credentials: credentials.Static(creds), Region: "us-east-1", Endpoint: storageURL})
	if err != nil {
		return err
	}
	keys := map[string]string{"web": "psk_web_" + randomHex(16), "tiny": "psk_tiny_" + randomHex(16), "slow": "psk_slow_" + randomHex(16)}
	api, err := issuer.New(issuer.Options{
		Config: issuer.Config{
			Bucket:       bucket,
			UploadSecret: []byte(randomHex(32)),
			Tenants: []issuer.Tenant{
				{Name: "web", KeySHA256: issuer.HashKey(keys["web"]), Prefix: "web",
					Operations:   []string{issuer.OpUpload, issuer.OpMultipart, issuer.OpDownload, issuer.OpDelete},
					ContentTypes: []string{"image/*", "text/plain", "application/octet-stream"}, MaxSize: 1 << 30},
				{Name: "tiny", KeySHA256: issuer.HashKey(keys["tiny"]), Prefix: "tiny", MaxSize: 1 << 10},
				{Name: "slow", KeySHA256: issuer.HashKey(keys["slow"]), Prefix: "slow", RateLimit: 1, Burst: 1},
			},
		},
		Backend: &issuer.Backend{Presigner: presigner, Bucket: bucket},
		Log:     log,
	})
	if err != nil {
		return err
	}
	pages, err := web.New(web.Options{StorageOrigins: []string{storageURL, deadURL}, Bucket: bucket})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", pages)

	servers := []*http.Server{
		{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		{Handler: s3, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: s3server.MaxHeaderBytes},
	}
	errc := make(chan error, 2)
	go func() { errc <- servers[0].Serve(pageLn) }()
	go func() { errc <- servers[1].Serve(s3server.Listener(s3Ln)) }()

	line, _ := json.Marshal(map[string]any{"page": pageURL, "storage": storageURL, "deadStorage": deadURL, "bucket": bucket, "keys": keys, "dir": *dir})
	fmt.Printf("%s\n", line)

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	for _, s := range servers {
		s.Shutdown(shutdown)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
