package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

// The transfer tests run upload and download against the real S3 handler
// (s3server on objstore/disk) on 127.0.0.1, with URLs from the root presign
// package or from "presign url" and "presign post" themselves.

const storeBucket = "uploads"

// testStore is the embedded S3 store on 127.0.0.1 for one test. Its
// handler goes through wrap, when set, so that a test can cut or slow
// responses; it records the requests it saw.
type testStore struct {
	url    string
	store  objstore.Store
	signer *presign.Client
	wrap   atomic.Pointer[func(http.Handler) http.Handler]

	mu   sync.Mutex
	seen []*http.Request // method, URL and headers of each request
}

func newTestStore(t *testing.T) *testStore {
	t.Helper()
	st, err := disk.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateBucket(context.Background(), storeBucket); err != nil {
		t.Fatal(err)
	}
	h, err := s3server.New(s3server.Options{
		Store:       st,
		Credentials: func(id string) (sigv4.Credentials, bool) { return testCreds, id == testKeyID },
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testStore{store: st}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.seen = append(ts.seen, &http.Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), ContentLength: r.ContentLength})
		ts.mu.Unlock()
		var next http.Handler = h
		if wrap := ts.wrap.Load(); wrap != nil {
			next = (*wrap)(h)
		}
		next.ServeHTTP(w, r)
	}))
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Start() // on 127.0.0.1
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	ts.signer, err = presign.New(presign.Config{
		Credentials: credentials.Static(testCreds), Region: "us-east-1", Endpoint: srv.URL, Addressing: presign.AddressingPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// setWrap routes the requests through wrap; nil removes it.
func (ts *testStore) setWrap(wrap func(http.Handler) http.Handler) {
	if wrap == nil {
		ts.wrap.Store(nil)
		return
	}
	ts.wrap.Store(&wrap)
}

// requests returns the requests seen so far and forgets them.
func (ts *testStore) requests() []*http.Request {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	r := ts.seen
	ts.seen = nil
	return r
}

// presign returns a presigned URL for op on key.
func (ts *testStore) presign(t *testing.T, op presign.Operation, in presign.Input, o presign.Options) presign.Result {
	t.Helper()
	in.Bucket = storeBucket
	res, err := ts.signer.Presign(context.Background(), op, &in, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// put stores an object directly.
func (ts *testStore) put(t *testing.T, key string, data []byte) objstore.ObjectInfo {
	t.Helper()
	info, err := ts.store.PutObject(context.Background(), storeBucket, key, bytes.NewReader(data), objstore.Metadata{}, objstore.PutOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// get reads an object directly.
func (ts *testStore) get(t *testing.T, key string) ([]byte, objstore.ObjectInfo) {
	t.Helper()
	rc, info, err := ts.store.GetObject(context.Background(), storeBucket, key, nil)
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

// runTransfer runs a transfer command line in-process, as runCLI does, but
// allows the several lines of a diagnosis on stderr: only its last line
// must be the one-line error.
func runTransfer(t *testing.T, args ...string) result {
	t.Helper()
	return runCommand(t, nil, args...)
}

// runCommand is runTransfer with stdin, and retries after 1ms.
func runCommand(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	return runConfigured(t, stdin, nil, args...)
}

// runConfigured is runCommand with the transfer's settings changed by
// edit.
func runConfigured(t *testing.T, stdin io.Reader, edit func(*transfer), args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	s := streams{stdout: &stdout, stderr: &stderr}
	tr := newTransfer(s)
	tr.backoff = func(int) time.Duration { return time.Millisecond }
	if edit != nil {
		edit(&tr)
	}
	tr.stdin = stdin
	if stdin == nil {
		tr.stdin = strings.NewReader("")
	}
	var c command
	switch args[0] {
	case "upload":
		c = &uploadCommand{tr}
	case "download":
		c = &downloadCommand{tr}
	default:
		t.Fatalf("runCommand %s", args[0])
	}
	code := report(&stderr, c.Run(context.Background(), args[1:]))
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if strings.Contains(r.stdout+r.stderr, testSecret) {
		t.Errorf("presign %q printed the secret", args)
	}
	if code != 0 {
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "presign: ") {
			t.Errorf("presign %q: stderr does not end with a \"presign: \" line:\n%s", args, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "\r") || strings.Contains(r.stderr, "\x1b") {
		t.Errorf("presign %q drew a progress bar on a stderr that is not a terminal:\n%q", args, r.stderr)
	}
	return r
}

// testData returns n bytes of a pattern that differs at every offset a
// test may cut at.
func testData(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// errCut is what a cut response's writer returns once it has cut.
var errCut = errors.New("test: connection cut")

// cutAfter returns a wrapper that cuts the connection of the first GET it
// sees after n bytes of the body, once: the bytes are flushed to the
// client, then the connection is aborted.
func cutAfter(n int) func(http.Handler) http.Handler {
	var done atomic.Bool
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || done.Swap(true) {
				next.ServeHTTP(w, r)
				return
			}
			cw := &cutWriter{ResponseWriter: w, left: n}
			next.ServeHTTP(cw, r)
			if cw.cut {
				panic(http.ErrAbortHandler) // closes the connection mid-body
			}
		})
	}
}

type cutWriter struct {
	http.ResponseWriter
	left int
	cut  bool
}

func (w *cutWriter) Write(p []byte) (int, error) {
	if w.cut {
		return 0, errCut
	}
	if len(p) <= w.left {
		w.left -= len(p)
		return w.ResponseWriter.Write(p)
	}
	n, _ := w.ResponseWriter.Write(p[:w.left])
	w.ResponseWriter.(http.Flusher).Flush()
	w.left, w.cut = 0, true
	return n, errCut
}

// stallAfter returns a wrapper that sends n bytes of the first GET's body,
// then nothing, until the client gives up.
func stallAfter(n int) func(http.Handler) http.Handler {
	var done atomic.Bool
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || done.Swap(true) {
				next.ServeHTTP(w, r)
				return
			}
			cw := &cutWriter{ResponseWriter: w, left: n}
			next.ServeHTTP(cw, r)
			if cw.cut {
				<-r.Context().Done() // the client hung up
				panic(http.ErrAbortHandler)
			}
		})
	}
}

// throttle returns a wrapper that paces request and response bodies at
// about rate bytes a second, so that a progress bar has time to draw.
func throttle(rate int) func(http.Handler) http.Handler {
	const chunk = 64 << 10
	pause := time.Second * chunk / time.Duration(rate)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = &slowBody{ReadCloser: r.Body, chunk: chunk, pause: pause}
			next.ServeHTTP(&slowWriter{ResponseWriter: w, chunk: chunk, pause: pause}, r)
		})
	}
}

type slowBody struct {
	io.ReadCloser
	chunk int
	pause time.Duration
	n     int
}

func (b *slowBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += n
	for b.n >= b.chunk {
		b.n -= b.chunk
		time.Sleep(b.pause)
	}
	return n, err
}

type slowWriter struct {
	http.ResponseWriter
	chunk int
	pause time.Duration
}

func (w *slowWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), w.chunk)
		m, err := w.ResponseWriter.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		w.ResponseWriter.(http.Flusher).Flush()
		p = p[n:]
		time.Sleep(w.pause)
	}
	return written, nil
}

// TestTransferFailsFastOnNoServer: a download or an upload to a port
// nothing listens on fails at once naming the host and port, without a
// retry, and says it once. (An unknown host fails the same way, but what
// a resolver answers for one depends on the machine's DNS: not tested.)
func TestTransferFailsFastOnNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	file := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.bin")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"download", "http://" + closed + "/b/k", "-o", out},
			"presign: the download failed: nothing listens at " + closed + " (connection refused) (check the URL's host and port, or start the server there)\n"},
		{[]string{"upload", file, "http://" + closed + "/b/k"},
			"presign: the upload failed: nothing listens at " + closed + " (connection refused) (check the URL's host and port, or start the server there)\n"},
	} {
		retries := 0
		r := runConfigured(t, nil, func(tr *transfer) { tr.backoff = func(int) time.Duration { retries++; return 0 } }, tt.args...)
		if r.code != 1 || r.stderr != tt.want || retries != 0 {
			t.Errorf("%q: exit %d after %d retries, stderr %q\nwant exit 1, no retry, %q", tt.args, r.code, retries, r.stderr, tt.want)
		}
	}
}
