package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/objstore/disk"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

// The server's credentials, and keys it does not know.
const (
	accessKeyID = "AKIDE2EEXAMPLE"
	secretKey   = "e2e/K7MDENG+bPxRfiCYEXAMPLEKEYe2e"
	region      = "us-east-1"

	unknownAccessKeyID = "AKIDUNKNOWNEXAMPLE"
	wrongSecretKey     = "not/the+secret/EXAMPLEKEY"
)

// toolTimeout bounds every subprocess a test runs.
const toolTimeout = 90 * time.Second

// testServer is s3server over a disk.Store in a temporary directory, served
// on a 127.0.0.1 listener for the test's life.
type testServer struct {
	url   string // http://127.0.0.1:PORT
	store *disk.Store
	dir   string
	logs  *syncBuffer
	// skew is added to the server's clock: the tests move it forward to
	// see URLs expire.
	skew atomic.Int64
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

// startServer starts a server that stops with tb. Its access log is kept
// and shown if tb fails, unless quiet.
func startServer(tb testing.TB, quiet bool) *testServer {
	tb.Helper()
	ts := &testServer{dir: tb.TempDir(), logs: &syncBuffer{}}
	store, err := disk.Open(ts.dir)
	if err != nil {
		tb.Fatal(err)
	}
	ts.store = store
	log := slog.New(slog.DiscardHandler)
	if !quiet {
		log = slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	h, err := s3server.New(s3server.Options{
		Store: store,
		Credentials: func(id string) (sigv4.Credentials, bool) {
			return sigv4.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretKey}, id == accessKeyID
		},
		Region: region,
		Now:    func() time.Time { return time.Now().Add(time.Duration(ts.skew.Load())) },
		Logger: log,
		Grants: store,
	})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ts.url = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
		store.Close()
		if tb.Failed() && !quiet {
			tb.Logf("server log:\n%s", ts.logs.String())
		}
	})
	return ts
}

// spec is what the client scripts are told about the server, as JSON.
func (ts *testServer) spec(bucket string, extra map[string]any) string {
	m := map[string]any{
		"endpoint": ts.url, "region": region, "bucket": bucket,
		"accessKeyId": accessKeyID, "secretAccessKey": secretKey,
		"wrongAccessKeyId": unknownAccessKeyID, "wrongSecretAccessKey": wrongSecretKey,
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// presigner returns this module's presigner for the server, signing with
// the given credentials under profile.
func (ts *testServer) presigner(tb testing.TB, creds sigv4.Credentials, profile presign.Profile) *presign.Client {
	tb.Helper()
	return newPresigner(tb, ts.url, creds, profile)
}

// newPresigner returns this module's presigner for endpoint.
func newPresigner(tb testing.TB, endpoint string, creds sigv4.Credentials, profile presign.Profile) *presign.Client {
	tb.Helper()
	c, err := presign.New(presign.Config{Credentials: credentials.Static(creds), Region: region, Endpoint: endpoint, Profile: profile})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var goodCreds = sigv4.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretKey}

// need returns the path of a tool the test cannot do without. When it is
// missing the test is skipped, or fails under CI=true: CI installs every
// tool with scripts/install-deps.sh.
func need(t *testing.T, what string, find func() (string, error), hint string) string {
	t.Helper()
	p, err := find()
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s is missing (%v); %s, or run bash scripts/install-deps.sh", what, err, hint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// file returns a finder of the file at path, which must be executable.
func file(path string) func() (string, error) {
	return func() (string, error) {
		st, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		if st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s is not executable", path)
		}
		return path, nil
	}
}

func inPath(name string) func() (string, error) {
	return func() (string, error) { return exec.LookPath(name) }
}

func needCurl(t *testing.T) string {
	return need(t, "curl", inPath("curl"), "apt-get install curl")
}

// needAWSCLI returns Debian's AWS CLI v2, /usr/bin/aws: not whatever aws
// is first in PATH, which may be a v1 of pip's or pyenv's.
func needAWSCLI(t *testing.T) string {
	return need(t, "the AWS CLI v2 at /usr/bin/aws", func() (string, error) {
		p, err := file("/usr/bin/aws")()
		if err != nil {
			return "", err
		}
		out, err := exec.Command(p, "--version").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("aws --version: %v: %s", err, out)
		}
		if !strings.HasPrefix(string(out), "aws-cli/2.") {
			return "", fmt.Errorf("/usr/bin/aws is %q, not the AWS CLI v2", strings.TrimSpace(string(out)))
		}
		return p, nil
	}, "apt-get install awscli")
}

// needBoto3 returns Debian's /usr/bin/python3 once it imports boto3.
func needBoto3(t *testing.T) string {
	return need(t, "boto3 for /usr/bin/python3", func() (string, error) {
		p, err := file("/usr/bin/python3")()
		if err != nil {
			return "", err
		}
		if out, err := exec.Command(p, "-c", "import boto3").CombinedOutput(); err != nil {
			return "", fmt.Errorf("import boto3: %v: %s", err, out)
		}
		return p, nil
	}, "apt-get install python3-boto3")
}

// needNode returns node once the npm packages of js/ are installed.
func needNode(t *testing.T) string {
	return need(t, "node with the packages of s3server/e2e/js", func() (string, error) {
		p, err := exec.LookPath("node")
		if err != nil {
			return "", err
		}
		for _, pkg := range []string{"client-s3", "lib-storage", "s3-request-presigner", "s3-presigned-post"} {
			if _, err := os.Stat(filepath.Join("js", "node_modules", "@aws-sdk", pkg, "package.json")); err != nil {
				return "", err
			}
		}
		return p, nil
	}, "cd s3server/e2e/js && npm ci")
}

// run runs a tool and returns its standard output; the test fails with
// both outputs if it fails or outlives toolTimeout. A nil env is the
// test's environment.
func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	return runStdin(t, dir, env, nil, name, args...)
}

// runStdin is run with standard input.
func runStdin(t *testing.T, dir string, env []string, stdin io.Reader, name string, args ...string) []byte {
	t.Helper()
	out, errOut, err := runErr(dir, env, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(redact(args), " "), err, out, errOut)
	}
	return out
}

// runErr runs a tool with a deadline of toolTimeout and returns its
// outputs.
func runErr(dir string, env []string, stdin io.Reader, name string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	var o, e bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &o, &e
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (deadline %v)", ctx.Err(), toolTimeout)
	}
	return o.Bytes(), e.Bytes(), err
}

// redact shortens long arguments (the JSON specs) in failure messages.
func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 200 {
			a = a[:200] + "…"
		}
		out[i] = a
	}
	return out
}

// response is what curl got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// curl runs curl with args and returns the response. With ok set it adds
// --fail-with-body, so that curl's own exit status says the request
// succeeded, and the test fails otherwise.
func curl(t *testing.T, ok bool, args ...string) response {
	t.Helper()
	bin := needCurl(t)
	dir := t.TempDir()
	bodyFile, headFile := filepath.Join(dir, "body"), filepath.Join(dir, "head")
	full := []string{"--silent", "--show-error", "--globoff", "--max-time", "60", "-o", bodyFile, "-D", headFile, "-w", "%{http_code}"}
	if ok {
		full = append(full, "--fail-with-body")
	}
	full = append(full, args...)
	out, errOut, err := runErr("", nil, nil, bin, full...)
	body, _ := os.ReadFile(bodyFile)
	if err != nil && (ok || !isHTTPError(err)) {
		t.Fatalf("curl %s: %v: %s\nbody: %s", strings.Join(redact(args), " "), err, errOut, body)
	}
	status, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if perr != nil {
		t.Fatalf("curl printed %q for the status", out)
	}
	return response{status: status, header: readHeader(t, headFile), body: body}
}

// isHTTPError reports whether curl failed with exit status 22, an HTTP
// error status under --fail-with-body.
func isHTTPError(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 22
}

// readHeader parses the last header block curl wrote with -D (the first
// may be a 100 Continue).
func readHeader(t *testing.T, path string) http.Header {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(strings.TrimRight(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n"), "\n\n")
	last := blocks[len(blocks)-1]
	_, rest, _ := strings.Cut(last, "\n") // the status line
	h := http.Header{}
	for _, line := range strings.Split(rest, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			h.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v))
		}
	}
	return h
}

// s3Error is an S3 error body, with the elements the tests look at.
type s3Error struct {
	XMLName           xml.Name `xml:"Error"`
	Code              string   `xml:"Code"`
	Message           string   `xml:"Message"`
	AWSAccessKeyID    string   `xml:"AWSAccessKeyId"`
	XAmzExpires       string   `xml:"X-Amz-Expires"`
	Expires           string   `xml:"Expires"`
	ServerTime        string   `xml:"ServerTime"`
	StringToSign      string   `xml:"StringToSign"`
	CanonicalRequest  string   `xml:"CanonicalRequest"`
	SignatureProvided string   `xml:"SignatureProvided"`
	HeadersNotSigned  string   `xml:"HeadersNotSigned"`
	RequestID         string   `xml:"RequestId"`
}

// refused checks that r is S3's error status, code and message (a
// prefix; empty means any), and returns the parsed error.
func refused(t *testing.T, r response, status int, code, msg string) s3Error {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("status %d, body not an S3 error (%v): %q", r.status, err, r.body)
	}
	if r.status != status || e.Code != code || !strings.HasPrefix(e.Message, msg) {
		t.Fatalf("got %d %s %q, want %d %s %q…\n%s", r.status, e.Code, e.Message, status, code, msg, r.body)
	}
	if e.RequestID == "" || r.header.Get("X-Amz-Request-Id") != e.RequestID {
		t.Errorf("RequestId %q, x-amz-request-id %q", e.RequestID, r.header.Get("X-Amz-Request-Id"))
	}
	return e
}

// testData returns n deterministic bytes, different for each seed.
func testData(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 32)
	}
	return b
}

// writeFile writes data to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
