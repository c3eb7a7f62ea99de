package s3server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// The credentials and clock of the tests: the example key pair of the AWS
// documentation, and a fixed time the server's clock is pinned to.
const (
	testKeyID  = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var testTime = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func testLookup(id string) (sigv4.Credentials, bool) {
	if id != testKeyID {
		return sigv4.Credentials{}, false
	}
	return sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, true
}

// testServer is a Handler over a real disk.Store in a temporary directory,
// served on a 127.0.0.1 listener.
type testServer struct {
	t      *testing.T
	h      *Handler
	addr   string // 127.0.0.1:port
	url    string // http://127.0.0.1:port
	client *http.Client
	logs   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestServer starts a server; edit may change its options.
func newTestServer(t *testing.T, edit func(*Options)) *testServer {
	t.Helper()
	store, err := disk.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &syncBuffer{}
	opts := Options{
		Store:       store,
		Credentials: testLookup,
		Now:         func() time.Time { return testTime },
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
		CORS:        &CORS{AllowedOrigins: []string{"https://app.example.com"}},
	}
	if edit != nil {
		edit(&opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: MaxHeaderBytes}
	go srv.Serve(Listener(ln))
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	// Every host name, bucket.localhost included, dials the listener.
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		},
		DisableCompression: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{
		Transport:     tr,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &testServer{t: t, h: h, addr: addr, url: "http://" + addr, client: client, logs: logs}
}

// port returns the listener's port.
func (ts *testServer) port() string {
	_, p, _ := net.SplitHostPort(ts.addr)
	return p
}

// req is a request to make in a test.
type req struct {
	method string
	// target is the escaped path and query, such as "/b/k?uploads".
	target string
	// host, when set, is the Host header (bucket.localhost:port).
	host   string
	header map[string]string
	body   []byte
	// payload is the x-amz-content-sha256 to sign; empty means the body's
	// SHA-256. unsigned sends no Authorization at all.
	payload  string
	unsigned bool
	// rawBody, when set, is sent instead of body (which is still what the
	// payload hash is computed over, unless payload is set).
	rawBody io.Reader
	// length is the Content-Length to send with rawBody; -1 for chunked.
	length int64
}

// newRequest builds and signs r with an Authorization header at testTime.
func (ts *testServer) newRequest(r req) *http.Request {
	ts.t.Helper()
	var body io.Reader = bytes.NewReader(r.body)
	if r.rawBody != nil {
		body = r.rawBody
	}
	hr, err := http.NewRequest(r.method, ts.url+r.target, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if r.rawBody != nil {
		hr.ContentLength = r.length
	}
	if r.host != "" {
		hr.Host = r.host
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.unsigned {
		return hr
	}
	payload := r.payload
	if payload == "" {
		sum := sha256.Sum256(r.body)
		payload = hex.EncodeToString(sum[:])
	}
	sr, err := sigv4.RequestFromHTTP(hr, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	signed, err := sigv4.DefaultSigner.Sign(&sigv4.SignInput{
		Request:             sr,
		Credentials:         sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		Region:              "us-east-1",
		Service:             "s3",
		Time:                testTime,
		PayloadHash:         payload,
		ContentSHA256Header: true,
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	hr.Header.Set("Authorization", signed.Authorization)
	hr.Header.Set("X-Amz-Date", signed.Date)
	hr.Header.Set("X-Amz-Content-Sha256", signed.ContentSHA256)
	return hr
}

// response is a finished response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r and reads the whole response.
func (ts *testServer) do(r req) response {
	ts.t.Helper()
	return ts.send(ts.newRequest(r))
}

// send sends hr and reads the whole response.
func (ts *testServer) send(hr *http.Request) response {
	ts.t.Helper()
	resp, err := ts.client.Do(hr)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", hr.Method, hr.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: reading the response: %v", hr.Method, hr.URL, err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// must sends r and fails the test unless the status is want.
func (ts *testServer) must(want int, r req) response {
	ts.t.Helper()
	res := ts.do(r)
	if res.status != want {
		ts.t.Fatalf("%s %s: status %d, want %d\n%s", r.method, r.target, res.status, want, res.body)
	}
	return res
}

// errorBody is an S3 error document.
type errorBody struct {
	Code      string
	Message   string
	Resource  string
	RequestID string `xml:"RequestId"`
	Condition string
}

// s3Error parses an error response; it fails the test if it is not one.
func (res response) s3Error(t *testing.T) errorBody {
	t.Helper()
	var e errorBody
	if err := xml.Unmarshal(res.body, &e); err != nil {
		t.Fatalf("status %d: not an S3 error document: %v\n%s", res.status, err, res.body)
	}
	return e
}

// wantError checks that res is the S3 error code with its status.
func wantError(t *testing.T, res response, code s3err.ErrorCode) errorBody {
	t.Helper()
	if res.status != code.Status() {
		t.Fatalf("status %d, want %d for %s\n%s", res.status, code.Status(), code, res.body)
	}
	e := res.s3Error(t)
	if e.Code != string(code) {
		t.Fatalf("code %s, want %s: %s", e.Code, code, e.Message)
	}
	if e.RequestID == "" || e.RequestID != res.header.Get("X-Amz-Request-Id") {
		t.Errorf("RequestId %q, header %q", e.RequestID, res.header.Get("X-Amz-Request-Id"))
	}
	return e
}

// mkBucket creates a bucket.
func (ts *testServer) mkBucket(name string) {
	ts.t.Helper()
	ts.must(200, req{method: "PUT", target: "/" + name})
}

// put stores an object with headers.
func (ts *testServer) put(bucket, key string, body []byte, header map[string]string) response {
	ts.t.Helper()
	return ts.must(200, req{method: "PUT", target: "/" + bucket + "/" + escapeKey(key), body: body, header: header})
}

// get reads an object.
func (ts *testServer) get(bucket, key string, header map[string]string) response {
	ts.t.Helper()
	return ts.do(req{method: "GET", target: "/" + bucket + "/" + escapeKey(key), header: header})
}

func queryEscape(s string) string { return url.QueryEscape(s) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func ioNopCloser(r io.Reader) io.ReadCloser { return io.NopCloser(r) }
