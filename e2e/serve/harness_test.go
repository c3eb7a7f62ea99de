//go:build unix

package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/presign-dev/presign/internal/e2eproc"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// presignBin is the presign binary TestMain builds.
var presignBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "presign-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	presignBin = filepath.Join(dir, "presign")
	// go test puts GOROOT/bin first on PATH, so this is the go that runs
	// the tests. Building takes seconds with a warm cache.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", presignBin, "github.com/presign-dev/presign/cmd/presign").CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building presign: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// httpClient sends every request of the tests; no request may hang.
var httpClient = &http.Client{Timeout: 60 * time.Second}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// process is a child process in its own process group.
type process struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	exited         chan struct{} // closed when it has exited
	err            error         // its exit status, once exited is closed
}

// start runs name args in a new process group with env added to a clean
// environment, and stops it (the whole group) when the test ends.
func start(t *testing.T, env []string, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &process{name: filepath.Base(name), cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if err := p.stop(15 * time.Second); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	})
	return p
}

// stop sends SIGTERM to the process group and waits at most grace for the
// process to exit, then kills the group. It reports a process that had to
// be killed.
func (p *process) stop(grace time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
		syscall.Kill(-pgid, syscall.SIGKILL) // any child left behind
		return nil
	case <-time.After(grace):
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("still running 10s after SIGKILL")
	}
	return fmt.Errorf("did not stop within %v of SIGTERM; killed", grace)
}

func (p *process) output() string {
	return fmt.Sprintf("%s stdout:\n%s\n%s stderr:\n%s", p.name, p.stdout, p.name, p.stderr)
}

// cleanEnv is the environment without the settings of presign, AWS and
// MinIO, so that the developer's own do not leak into the tests; the AWS
// shared files point nowhere and IMDS is off.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PRESIGN_") || strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "MINIO_") {
			continue
		}
		env = append(env, kv)
	}
	none := filepath.Join(os.TempDir(), "presign-e2e-no-such-file")
	return append(env, "AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none, "AWS_EC2_METADATA_DISABLED=true")
}

// randomHex returns n random bytes in hex.
func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// requireTool returns the path of a tool, looked up on PATH and then in
// $(go env GOPATH)/bin. Without it the test is skipped, or fails under
// CI=true, where nothing may be skipped.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	msg := fmt.Sprintf("%s is not installed (not on PATH nor in $(go env GOPATH)/bin): run bash scripts/install-deps.sh", name)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// presignServer is a running "presign serve".
type presignServer struct {
	*process
	api    string // http://127.0.0.1:PORT of the API
	apiKey string
}

var apiRE = regexp.MustCompile(`API and upload page listening on (http://127\.0\.0\.1:\d+)`)

// startPresign runs the presign binary with "serve args..." and waits, at
// most 60 seconds, until the API listens.
func startPresign(t *testing.T, apiKey string, env []string, args ...string) *presignServer {
	t.Helper()
	p := start(t, env, presignBin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	deadline := time.After(60 * time.Second)
	for {
		if m := apiRE.FindStringSubmatch(p.stdout.String()); m != nil {
			return &presignServer{process: p, api: m[1], apiKey: apiKey}
		}
		select {
		case <-p.exited:
			t.Fatalf("presign serve exited: %v\n%s", p.err, p.output())
		case <-deadline:
			t.Fatalf("presign serve did not listen within 60s\n%s", p.output())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// apiError is the API's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call sends a JSON request to the API with the client's key, and decodes a
// 200 answer into out; it returns the status and, for another status, the
// error code.
func (s *presignServer) call(t *testing.T, method, path string, in, out any) (int, string) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.api+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e apiError
		json.Unmarshal(b, &e)
		return resp.StatusCode, e.Error.Code
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, ""
}

// startMinIO runs a MinIO server (e2eproc.StartMinIO) on a fresh
// directory for the test, and stops it when the test ends.
func startMinIO(t *testing.T) *e2eproc.MinIO {
	t.Helper()
	m, err := e2eproc.StartMinIO(requireTool(t, "minio"), t.TempDir(), cleanEnv())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("%v\n%s", err, m.Output())
		}
	})
	return m
}

// s3Error is the code of an S3 XML error body, or "" without one.
func s3Error(body []byte) string {
	var e struct {
		Code string `xml:"Code"`
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		return ""
	}
	return e.Code
}

// orderedFields decodes a JSON object of strings keeping its order: a POST
// form's fields go in the order the API gave them.
func orderedFields(raw json.RawMessage) ([][2]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("fields: not a JSON object")
	}
	var out [][2]string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("field %v: %w", k, err)
		}
		out = append(out, [2]string{k.(string), v})
	}
	return out, nil
}
