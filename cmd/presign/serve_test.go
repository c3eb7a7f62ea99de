package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
)

// lockedBuffer is a bytes.Buffer that a running command writes to while
// the test reads it.
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

// runningServe is a "presign serve" running in-process.
type runningServe struct {
	endpoint       string
	stdout, stderr *lockedBuffer
	stop           func() int // cancels the run and returns its exit status
}

var listeningRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

// startServe runs "presign serve args..." on 127.0.0.1:0 and waits, for at
// most 10 seconds, until it listens.
func startServe(t *testing.T, args ...string) *runningServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningServe{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), r.stdout, r.stderr)
	}()
	stopped := false
	code := 0
	r.stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("presign serve did not stop within 30s")
			}
		}
		return code
	}
	t.Cleanup(func() { r.stop() })
	deadline := time.Now().Add(10 * time.Second)
	for r.endpoint == "" {
		if m := listeningRE.FindStringSubmatch(r.stdout.String()); m != nil {
			r.endpoint = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("presign serve exited with %d\nstdout: %s\nstderr: %s", code, r.stdout, r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("presign serve did not start within 10s\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
		}
	}
	return r
}

// roundTrip uploads and downloads an object through presigned URLs.
func roundTrip(t *testing.T, endpoint, keyID, secret, bucket string) {
	t.Helper()
	c, err := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: keyID, SecretAccessKey: secret},
		Region:      "us-east-1", Endpoint: endpoint,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	client := &http.Client{Timeout: 10 * time.Second}
	put, err := c.Presign(ctx, presign.PutObject, &presign.Input{Bucket: bucket, Key: "hello.txt", ContentType: "text/plain"}, presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("hello"))
	req.Header = put.HTTPHeader()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
		t.Fatalf("PUT: %d %s", resp.StatusCode, b)
	}
	get, err := c.Presign(ctx, presign.GetObject, &presign.Input{Bucket: bucket, Key: "hello.txt"}, presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = client.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "hello" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("GET: %d %q", resp.StatusCode, b)
	}
}

func TestServeGeneratesCredentials(t *testing.T) {
	testEnv(t)
	t.Setenv("PRESIGN_ACCESS_KEY_ID", "")
	t.Setenv("PRESIGN_SECRET_ACCESS_KEY", "")
	data := filepath.Join(t.TempDir(), "data")
	s := startServe(t, "--data", data)
	path := filepath.Join(data, credentialsFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	var kp keyPair
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &kp); err != nil || len(kp.AccessKeyID) != 20 || len(kp.SecretAccessKey) != 40 {
		t.Fatalf("credentials file %s: %v", b, err)
	}
	out := s.stdout.String()
	for _, want := range []string{kp.AccessKeyID, path, kp.SecretAccessKey, "s3://uploads"} {
		if !strings.Contains(out, want) {
			t.Errorf("first start does not print %q:\n%s", want, out)
		}
	}
	roundTrip(t, s.endpoint, kp.AccessKeyID, kp.SecretAccessKey, "uploads")
	// A wrong secret is refused.
	c, _ := presign.New(presign.Config{Credentials: credentials.Static{AccessKeyID: kp.AccessKeyID, SecretAccessKey: "wrong"}, Region: "us-east-1", Endpoint: s.endpoint})
	res, _ := c.Presign(context.Background(), presign.GetObject, &presign.Input{Bucket: "uploads", Key: "hello.txt"}, presign.Options{})
	if resp, err := http.Get(res.URL); err != nil || resp.StatusCode != 403 {
		t.Errorf("wrong secret: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, s.stderr)
	}
	logs := s.stderr.String()
	if !strings.Contains(logs, "s3 request") {
		t.Errorf("no access log:\n%s", logs)
	}
	if strings.Contains(logs, kp.SecretAccessKey) || strings.Contains(logs, "X-Amz-Signature=0") || regexp.MustCompile(`X-Amz-Signature=[0-9a-f]{64}`).MatchString(logs) {
		t.Errorf("the log has a secret or a signature:\n%s", logs)
	}

	// The second start reuses the pair and does not print the secret.
	s = startServe(t, "--data", data, "--quiet")
	if out := s.stdout.String(); strings.Contains(out, kp.SecretAccessKey) || !strings.Contains(out, kp.AccessKeyID) {
		t.Errorf("second start:\n%s", out)
	}
	roundTrip(t, s.endpoint, kp.AccessKeyID, kp.SecretAccessKey, "uploads")
	s.stop()
	if logs := s.stderr.String(); strings.Contains(logs, "s3 request") {
		t.Errorf("--quiet still logs requests:\n%s", logs)
	}
}

func TestServeCredentialsFromFlagsAndEnv(t *testing.T) {
	testEnv(t)
	data := t.TempDir()
	t.Setenv("PRESIGN_ACCESS_KEY_ID", "ENVKEY")
	t.Setenv("PRESIGN_SECRET_ACCESS_KEY", "envsecret")
	s := startServe(t, "--data", data, "--bucket", "media")
	roundTrip(t, s.endpoint, "ENVKEY", "envsecret", "media")
	s.stop()
	if strings.Contains(s.stdout.String(), "envsecret") {
		t.Errorf("printed a given secret:\n%s", s.stdout)
	}
	if _, err := os.Stat(filepath.Join(data, credentialsFile)); err == nil {
		t.Errorf("wrote a credentials file although the environment gave a pair")
	}
	s = startServe(t, "--data", data, "--access-key", "FLAGKEY", "--secret-key", "flagsecret", "--bucket", "")
	c, _ := presign.New(presign.Config{Credentials: credentials.Static{AccessKeyID: "FLAGKEY", SecretAccessKey: "flagsecret"}, Region: "us-east-1", Endpoint: s.endpoint})
	res, _ := c.Presign(context.Background(), presign.GetObject, &presign.Input{Bucket: "media", Key: "hello.txt"}, presign.Options{})
	resp, err := http.Get(res.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "hello" {
		t.Errorf("the flags' key pair: %d %s", resp.StatusCode, b)
	}
}

func TestServeBadArguments(t *testing.T) {
	testEnv(t)
	t.Setenv("PRESIGN_ACCESS_KEY_ID", "")
	t.Setenv("PRESIGN_SECRET_ACCESS_KEY", "")
	data := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"argument", []string{"extra"}, 2, "unexpected argument"},
		{"unknown flag", []string{"--port", "9000"}, 2, "--port"},
		{"key without secret", []string{"--access-key", "AKID"}, 2, "must be given together"},
		{"bad key id", []string{"--access-key", "AK/ID", "--secret-key", "s"}, 2, "not valid"},
		{"bad region", []string{"--region", "Mars"}, 2, "--region"},
		{"bad origin", []string{"--cors-origin", "ftp://x"}, 2, "--cors-origin"},
		{"bad size", []string{"--max-object-size", "lots"}, 2, "--max-object-size"},
		{"bad bucket", []string{"--bucket", "Not_A_Bucket"}, 2, "Not_A_Bucket"},
		{"bad address", []string{"--addr", "127.0.0.1:notaport"}, 1, "cannot listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"serve", "--data", data}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, want %d; stderr %q, want %q", r.code, tt.code, r.stderr, tt.stderr)
			}
		})
	}
	// A credentials file that is not one.
	os.WriteFile(filepath.Join(data, credentialsFile), []byte(`{"accessKeyId": 1}`), 0o600)
	if r := runCLI(t, "serve", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "not valid") {
		t.Errorf("broken credentials file: exit %d %s", r.code, r.stderr)
	}
}

func TestServeUsageNamesEveryFlag(t *testing.T) {
	var f serveFlags
	f.flagSet().VisitAll(func(fl *flag.Flag) {
		if !strings.Contains(serveUsage, "--"+fl.Name+" ") {
			t.Errorf("serveUsage does not describe --%s", fl.Name)
		}
	})
	testEnv(t)
	if r := runCLI(t, "help"); !strings.Contains(r.stdout, "\n  serve ") {
		t.Errorf("presign help does not list serve:\n%s", r.stdout)
	}
	if r := runCLI(t, "serve", "-h"); r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: presign serve") {
		t.Errorf("serve -h: exit %d\n%s", r.code, r.stdout)
	}
}
