// Command server runs the embedded S3 store alone (objstore/disk behind
// s3server) on an ephemeral 127.0.0.1 port, for tests that need it in a
// process of its own: the memory test of s3server/e2e measures this
// process's resident set while a 1 GiB object goes through it.
//
// It prints one JSON line on standard output once it listens:
//
//	{"endpoint":"http://127.0.0.1:PORT","region":"us-east-1","bucket":"e2e",
//	 "accessKeyId":"…","secretAccessKey":"…","dir":"…","pid":1234}
//
// and stops by itself when standard input closes (its parent died or is
// done), on SIGINT or SIGTERM, or after -lifetime, whichever comes first.
// The data directory is a temporary one, removed at exit, unless -dir
// names one (which is then kept).
//
// The credentials are PRESIGN_E2E_ACCESS_KEY_ID and
// PRESIGN_E2E_SECRET_ACCESS_KEY when set, random ones otherwise.
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

	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e server:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "data directory (default: a temporary one, removed at exit)")
	bucket := flag.String("bucket", "e2e", "bucket to create at start")
	lifetime := flag.Duration("lifetime", 5*time.Minute, "stop after this long whatever happens")
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
		d, err := os.MkdirTemp("", "presign-s3e2e-")
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
	if err := store.CreateBucket(ctx, *bucket); err != nil {
		return err
	}

	creds := sigv4.Credentials{
		AccessKeyID:     os.Getenv("PRESIGN_E2E_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("PRESIGN_E2E_SECRET_ACCESS_KEY"),
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		creds = sigv4.Credentials{AccessKeyID: "E2E" + randomHex(8), SecretAccessKey: randomHex(20)}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	h, err := s3server.New(s3server.Options{
		Store:       store,
		Credentials: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: s3server.MaxHeaderBytes}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s3server.Listener(ln)) }()

	line, err := json.Marshal(map[string]any{
		"endpoint": "http://" + ln.Addr().String(), "region": s3server.DefaultRegion, "bucket": *bucket,
		"accessKeyId": creds.AccessKeyID, "secretAccessKey": creds.SecretAccessKey,
		"dir": *dir, "pid": os.Getpid(),
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s\n", line)

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	srv.Shutdown(shutdown)
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
