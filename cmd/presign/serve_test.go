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
	"github.com/presign-dev/presign/issuer"
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
	endpoint, api  string
	stdout, stderr *lockedBuffer
	stop           func() int // cancels the run and returns its exit status
}

var (
	listeningRE = regexp.MustCompile(`S3 store listening on (http://127\.0\.0\.1:\d+)`)
	apiRE       = regexp.MustCompile(`API and upload page listening on (http://127\.0\.0\.1:\d+)`)
)

// startServe runs "presign serve args..." on 127.0.0.1:0 and waits, for at
// most 10 seconds, until it listens.
func startServe(t *testing.T, args ...string) *runningServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningServe{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0"}, args...), r.stdout, r.stderr)
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
	for r.api == "" {
		if m := apiRE.FindStringSubmatch(r.stdout.String()); m != nil || strings.Contains(r.stdout.String(), "API and upload page off") {
			if m != nil {
				r.api = m[1]
			}
			if m := listeningRE.FindStringSubmatch(r.stdout.String()); m != nil {
				r.endpoint = m[1]
			}
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
		{"bad region", []string{"--region", "Mars"}, 2, `region "Mars"`},
		{"bad origin", []string{"--cors-origin", "ftp://x"}, 2, `CORS origin "ftp://x"`},
		{"same address twice", []string{"--addr", "127.0.0.1:9999", "--s3-addr", "127.0.0.1:9999"}, 2, "different addresses"},
		{"backend not s3://", []string{"--backend", "https://bucket"}, 2, "s3://BUCKET"},
		{"endpoint without backend", []string{"--endpoint", "http://minio:9000"}, 2, "no backend"},
		{"missing config file", []string{"--config", "/nonexistent/presign.toml"}, 2, "does not exist"},
		{"bad public URL", []string{"--public-url", "ftp://x"}, 2, "public URL"},
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

// apiCall posts a JSON body to the API with a bearer key.
func apiCall(t *testing.T, base, key, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

var apiKeyRE = regexp.MustCompile(`API key:\s+(psk_[A-Za-z0-9_-]+)`)

// TestServeLocalMode: without a config, one API key is generated and
// printed; an upload URL it gets works against the embedded store, and the
// page is served.
func TestServeLocalMode(t *testing.T) {
	testEnv(t)
	t.Setenv("PRESIGN_ACCESS_KEY_ID", "")
	t.Setenv("PRESIGN_SECRET_ACCESS_KEY", "")
	s := startServe(t, "--data", t.TempDir(), "--quiet", "--audit-log", filepath.Join(t.TempDir(), "audit.log"))
	m := apiKeyRE.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no API key printed:\n%s", s.stdout)
	}
	key := m[1]
	if code, _ := apiCall(t, s.api, "psk_wrong", "/v1/uploads", `{}`); code != http.StatusUnauthorized {
		t.Errorf("wrong key: %d", code)
	}
	code, up := apiCall(t, s.api, key, "/v1/uploads", `{"filename":"hello.txt","contentType":"text/plain","size":5}`)
	if code != 200 {
		t.Fatalf("upload URL: %d %v", code, up)
	}
	req, _ := http.NewRequest("PUT", up["url"].(string), strings.NewReader("hello"))
	for k, v := range up["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT through the issued URL: %v %v", err, resp)
	}
	resp.Body.Close()
	code, down := apiCall(t, s.api, key, "/v1/downloads", `{"key":"`+up["key"].(string)+`"}`)
	if code != 200 {
		t.Fatalf("download URL: %d %v", code, down)
	}
	resp, err = http.Get(down["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" || !strings.HasPrefix(up["key"].(string), "local/") {
		t.Errorf("downloaded %q for key %v", b, up["key"])
	}
	for _, p := range []string{"/", "/healthz", "/readyz", "/openapi.json", "/metrics"} {
		resp, err := http.Get(s.api + p)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", p, err, resp)
			continue
		}
		resp.Body.Close()
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "presign.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeConfigFile: clients from a config file, their prefixes and
// policies enforced; PRESIGN_* and flags override the file.
func TestServeConfigFile(t *testing.T) {
	testEnv(t)
	key := "psk_configured_key_0123456789"
	cfg := writeConfig(t, `
bucket = "media"
upload_secret = "0123456789abcdef0123456789abcdef0123"
[[clients]]
name = "app"
key_sha256 = "`+issuer.HashKey(key)+`"
prefix = "tenants/app"
content_types = ["image/*"]
max_size = "1MiB"
`)
	t.Setenv("PRESIGN_BUCKET", "media2")
	s := startServe(t, "--config", cfg, "--data", t.TempDir(), "--quiet", "--bucket", "media3")
	if apiKeyRE.MatchString(s.stdout.String()) {
		t.Error("a key was generated although the config has clients")
	}
	code, up := apiCall(t, s.api, key, "/v1/uploads", `{"filename":"a.png","contentType":"image/png","size":10}`)
	if code != 200 || !strings.HasPrefix(up["key"].(string), "tenants/app/") || !strings.Contains(up["url"].(string), "/media3/") {
		t.Fatalf("%d %v", code, up)
	}
	if code, out := apiCall(t, s.api, key, "/v1/uploads", `{"filename":"a.html","contentType":"text/html","size":10}`); code != http.StatusUnsupportedMediaType {
		t.Errorf("refused type: %d %v", code, out)
	}
	if code, _ := apiCall(t, s.api, key, "/v1/uploads", `{"filename":"a.png","contentType":"image/png","size":2000000}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d", code)
	}
}

// TestServeCheckConfig: every mistake is explained; a good file passes.
func TestServeCheckConfig(t *testing.T) {
	testEnv(t)
	bad := writeConfig(t, `
adr = "127.0.0.1:8080"
multipart_threshold = "lots"
[[clients]]
name = "a"
key_sha256 = "short"
prefix = "/abs"
operations = ["remove"]
`)
	r := runCLI(t, "serve", "--check-config", "--config", bad)
	if r.code != 2 {
		t.Errorf("exit %d for a bad config", r.code)
	}
	if !strings.Contains(r.stdout, "lots") && !strings.Contains(r.stdout, "not a size") {
		t.Errorf("size mistake not explained:\n%s", r.stdout)
	}
	bad2 := writeConfig(t, `
adr = "127.0.0.1:8080"
[[clients]]
name = "a"
key_sha256 = "short"
prefix = "/abs"
operations = ["remove"]
`)
	r = runCLI(t, "serve", "--check-config", "--config", bad2)
	for _, want := range []string{`unknown setting "adr" (did you mean addr?)`, "key_sha256 must be", "must not start or end with '/'", `unknown operation "remove"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--check-config lacks %q:\n%s", want, r.stdout)
		}
	}
	// The example config, with a real key hash, is valid.
	ex := runCLI(t, "serve", "--example-config")
	good := writeConfig(t, strings.Replace(ex.stdout, "<64 hex digits: presign serve --hash-key KEY>", issuer.HashKey("k"), 1))
	r = runCLI(t, "serve", "--check-config", "--config", good)
	if r.code != 0 || !strings.Contains(r.stdout, "configuration OK") || !strings.Contains(r.stdout, "client web") {
		t.Errorf("example config: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Local mode needs no config.
	if r := runCLI(t, "serve", "--check-config"); r.code != 0 || !strings.Contains(r.stdout, "local mode") {
		t.Errorf("no config: exit %d\n%s", r.code, r.stdout)
	}
}

func TestServeKeys(t *testing.T) {
	testEnv(t)
	r := runCLI(t, "serve", "--hash-key", "psk_abc")
	if r.code != 0 || strings.TrimSpace(r.stdout) != issuer.HashKey("psk_abc") {
		t.Errorf("--hash-key: %d %q", r.code, r.stdout)
	}
	r = runCLI(t, "serve", "--new-key")
	m := regexp.MustCompile(`API key:\s+(psk_\S+)\nkey_sha256: ([0-9a-f]{64})`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil || issuer.HashKey(m[1]) != m[2] {
		t.Errorf("--new-key: %d %q", r.code, r.stdout)
	}
}

// TestServeNoPrintSecret: with --no-print-secret, a newly generated store
// secret is kept off standard output; the banner names the file instead,
// and --print-env still gives the export line.
func TestServeNoPrintSecret(t *testing.T) {
	testEnv(t)
	t.Setenv("PRESIGN_ACCESS_KEY_ID", "")
	t.Setenv("PRESIGN_SECRET_ACCESS_KEY", "")
	data := filepath.Join(t.TempDir(), "data")
	s := startServe(t, "--data", data, "--no-print-secret")
	var kp keyPair
	b, err := os.ReadFile(filepath.Join(data, credentialsFile))
	if err != nil || json.Unmarshal(b, &kp) != nil || kp.SecretAccessKey == "" {
		t.Fatalf("credentials file: %v %s", err, b)
	}
	out := s.stdout.String()
	if strings.Contains(out, kp.SecretAccessKey) {
		t.Errorf("the secret was printed:\n%s", out)
	}
	if !strings.Contains(out, "not printed: --no-print-secret") || !strings.Contains(out, "presign serve --print-env --data") {
		t.Errorf("the banner does not say where the secret is:\n%s", out)
	}
}
