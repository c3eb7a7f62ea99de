// Package e2eproc is what the end-to-end test servers (s3server/e2e/server,
// web/e2e/server) share as processes: a test starts one, reads the JSON
// line it prints once it listens, and the server stops by itself when its
// parent goes. What they serve is assembled by internal/stack.
package e2eproc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Env is what [Main] gives a server: its context, data directory and log.
type Env struct {
	// Ctx is done when standard input closes (the parent died or is
	// done), on SIGINT or SIGTERM, or after -lifetime, whichever comes
	// first.
	Ctx context.Context
	// Dir is -dir, kept at exit, or a temporary directory removed at exit.
	Dir string
	// Log is a text log on standard error: every request with -v,
	// warnings otherwise.
	Log *slog.Logger
}

// Main parses the flags every server takes (-dir, -lifetime, whose
// default is lifetime, and -v) with those the server registered on
// flag.CommandLine, runs run, and exits with status 1 after printing its
// error. A temporary data directory's name starts with prefix.
func Main(lifetime time.Duration, prefix string, run func(*Env) error) {
	if err := start(lifetime, prefix, run); err != nil {
		fmt.Fprintln(os.Stderr, "e2e server:", err)
		os.Exit(1)
	}
}

func start(lifetime time.Duration, prefix string, run func(*Env) error) error {
	dir := flag.String("dir", "", "data directory (default: a temporary one, removed at exit)")
	life := flag.Duration("lifetime", lifetime, "stop after this long whatever happens")
	verbose := flag.Bool("v", false, "log every request to standard error")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *life)
	defer cancel()
	go func() { // standard input closed: the parent is gone
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	env := &Env{Ctx: ctx, Dir: *dir, Log: logger(*verbose)}
	if env.Dir == "" {
		d, err := os.MkdirTemp("", prefix)
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		env.Dir = d
	}
	return run(env)
}

func logger(verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// Wait waits until ctx is done or a server's error arrives on errc, shuts
// the servers down (5 seconds at most) and returns the error, nil for
// http.ErrServerClosed.
func Wait(ctx context.Context, errc <-chan error, servers ...*http.Server) error {
	var err error
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

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
