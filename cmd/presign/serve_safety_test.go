package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// sessionToken is the AWS_SESSION_TOKEN of the tests that run serve on an
// S3 backend: it must reach no answer and no log line.
const sessionToken = "IQoJb3JpZ2luSESSIONTOKEN/secret+value=="

// signedSecretRE matches an unredacted secret of a signed URL.
var signedSecretRE = regexp.MustCompile(`(?i)(x-amz-signature|x-amz-credential|x-amz-security-token)(=|%3D)([^R&"\s\\]|R[^E])`)

func checkNoURLSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{sessionToken, "SESSIONTOKEN", testKeyID + "%2F", testSecret} {
		if strings.Contains(text, s) {
			t.Errorf("%s contains %q:\n%s", what, s, text)
		}
	}
	if m := signedSecretRE.FindString(text); m != "" {
		t.Errorf("%s contains %q:\n%s", what, m, text)
	}
}

// unusedTCPAddr returns a 127.0.0.1 address nothing listens on.
func unusedTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hungStorage accepts connections and never answers, until the test ends.
func hungStorage(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// get sends a GET with an optional bearer token and returns the status and body.
func get(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeBackendDownRedacted is issue 9's reproduction: serve on an S3
// backend at an unused port, with a session token. /readyz (which needs no
// key) and the multipart steps fail, and neither their answers nor the log
// carry the signed URL's signature, credential or token.
func TestServeBackendDownRedacted(t *testing.T) {
	testEnv(t)
	t.Setenv("AWS_SESSION_TOKEN", sessionToken)
	s := startServe(t, "--backend", "s3://b", "--endpoint", "http://"+unusedTCPAddr(t), "--path-style", "--start-degraded")
	key := apiKeyRE.FindStringSubmatch(s.stdout.String())[1]
	code, body := get(t, s.api+"/readyz", "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not_ready") {
		t.Errorf("/readyz: %d %s", code, body)
	}
	checkNoURLSecrets(t, "the /readyz answer", body)
	code, out := apiCall(t, s.api, key, "/v1/uploads/multipart", `{"filename":"a.bin","contentType":"application/octet-stream","size":104857600}`)
	if code != http.StatusBadGateway {
		t.Errorf("multipart create: %d %v", code, out)
	}
	b, _ := json.Marshal(out)
	checkNoURLSecrets(t, "the multipart answer", string(b))
	s.stop()
	log := s.stderr.String()
	if !strings.Contains(log, "connection refused") || !strings.Contains(log, "level=WARN") {
		t.Errorf("the log does not say what failed:\n%s", log)
	}
	checkNoURLSecrets(t, "the log", log)
}

// TestServeHungBackend: storage that accepts and never answers gets a JSON
// 504 naming it within the backend timeout, not a connection closed by the
// API's write timeout.
func TestServeHungBackend(t *testing.T) {
	testEnv(t)
	addr := hungStorage(t)
	s := startServe(t, "--backend", "s3://b", "--endpoint", "http://"+addr, "--path-style", "--backend-timeout", "1s", "--quiet", "--start-degraded")
	key := apiKeyRE.FindStringSubmatch(s.stdout.String())[1]
	start := time.Now()
	code, out := apiCall(t, s.api, key, "/v1/uploads/multipart", `{"filename":"a.bin","contentType":"application/octet-stream","size":104857600}`)
	took := time.Since(start)
	e, _ := out["error"].(map[string]any)
	if code != http.StatusGatewayTimeout || e == nil || e["code"] != "backend_timeout" || !strings.Contains(fmt.Sprint(e["message"]), addr) {
		t.Errorf("multipart create on hung storage: %d %v", code, out)
	}
	if took > 10*time.Second {
		t.Errorf("answered after %v with a 1s backend timeout", took)
	}
}

var metricsRE = regexp.MustCompile(`metrics listening on (http://127\.0\.0\.1:\d+)/metrics`)

// TestServeMetricsProtection: --metrics-addr moves /metrics off the API's
// address, and a metrics token (PRESIGN_METRICS_TOKEN) guards it.
func TestServeMetricsProtection(t *testing.T) {
	testEnv(t)
	const token = "metrics-token-0123456789abcdef"
	t.Setenv("PRESIGN_METRICS_TOKEN", token)
	t.Run("own address", func(t *testing.T) {
		s := startServe(t, "--data", t.TempDir(), "--quiet", "--metrics-addr", "127.0.0.1:0")
		m := metricsRE.FindStringSubmatch(s.stdout.String())
		if m == nil {
			t.Fatalf("no metrics address printed:\n%s", s.stdout)
		}
		if code, _ := get(t, s.api+"/metrics", token); code != http.StatusNotFound {
			t.Errorf("/metrics on the API's address: %d", code)
		}
		if code, body := get(t, m[1]+"/metrics", ""); code != http.StatusUnauthorized || strings.Contains(body, "presign_") {
			t.Errorf("/metrics without the token: %d %.100s", code, body)
		}
		if code, body := get(t, m[1]+"/metrics", token); code != 200 || !strings.Contains(body, "presign_http_requests_total") {
			t.Errorf("/metrics with the token: %d %.100s", code, body)
		}
		if code, _ := get(t, m[1]+"/v1/uploads", token); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("the metrics address serves the API: %d", code)
		}
	})
	t.Run("API address", func(t *testing.T) {
		s := startServe(t, "--data", t.TempDir(), "--quiet")
		if code, _ := get(t, s.api+"/metrics", ""); code != http.StatusUnauthorized {
			t.Errorf("/metrics without the token: %d", code)
		}
		if code, _ := get(t, s.api+"/metrics", token); code != 200 {
			t.Errorf("/metrics with the token: %d", code)
		}
	})
}

// TestServeSettingsBounds: timeouts, durations and the metrics settings
// are checked before use, with messages that name the allowed range.
func TestServeSettingsBounds(t *testing.T) {
	testEnv(t)
	tests := []struct {
		name string
		args []string
		file string
		env  [2]string
		want string
	}{
		{"backend timeout over the write timeout", []string{"--backend-timeout", "30s"}, "", [2]string{}, "--backend-timeout 30s is out of range: give 1s to 25s"},
		{"backend timeout zero", []string{"--backend-timeout", "0"}, "", [2]string{}, "--backend-timeout 0s is out of range"},
		{"backend timeout not a duration", []string{"--backend-timeout", "soon"}, "", [2]string{}, `--backend-timeout "soon" is not a duration`},
		{"backend timeout in the environment", nil, "", [2]string{"PRESIGN_BACKEND_TIMEOUT", "1h"}, "PRESIGN_BACKEND_TIMEOUT 1h0m0s is out of range"},
		{"backend timeout in the file", nil, `backend_timeout = "26s"`, [2]string{}, "backend_timeout 26s is out of range"},
		{"seconds that would wrap", nil, `backend_timeout = "36028797018967568"`, [2]string{}, "36028797018967568"},
		{"short metrics token", nil, `metrics_token = "short"`, [2]string{}, "the metrics token is 5 characters"},
		{"metrics on the API's address", []string{"--addr", "127.0.0.1:8080", "--metrics-addr", "127.0.0.1:8080"}, "", [2]string{}, "the metrics want 127.0.0.1:8080"},
		{"metrics address not host:port", []string{"--metrics-addr", "9090"}, "", [2]string{}, `metrics-addr "9090" is not host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--check-config"}, tt.args...)
			if tt.file != "" {
				args = append(args, "--config", writeConfig(t, tt.file+"\n"))
			}
			if tt.env[0] != "" {
				t.Setenv(tt.env[0], tt.env[1])
			}
			r := runCLI(t, args...)
			if r.code == 0 || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, want a mistake with %q:\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout, "-8446744") || strings.Contains(r.stdout, "1h0m0s is out of range") && tt.env[1] != "1h" {
				t.Errorf("a wrapped number:\n%s", r.stdout)
			}
		})
	}
	// Good values pass, and --check-config says where the metrics are.
	r := runCLI(t, "serve", "--check-config", "--backend-timeout", "25s", "--metrics-addr", "127.0.0.1:9090")
	if r.code != 0 || !strings.Contains(r.stdout, "metrics:      http://127.0.0.1:9090/metrics only") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// An expiry in seconds that would wrap is a mistake, not 3600 s.
	if d, err := parseDuration("36028797018967568"); err == nil {
		t.Errorf("parseDuration of a wrapping number: %v", d)
	}
	if d, err := parseDuration("-9223372036854775808"); err == nil {
		t.Errorf("parseDuration of MinInt64 seconds: %v", d)
	}
	if d, err := parseDuration("604800"); err != nil || d != 7*24*time.Hour {
		t.Errorf("parseDuration(604800) = %v, %v", d, err)
	}
}

// TestRedactingHandler: every string, error, Stringer and message of a
// record is redacted, in groups and in WithAttrs too; other values are
// left alone.
func TestRedactingHandler(t *testing.T) {
	const signed = "http://h/b/k?X-Amz-Credential=AKID%2F20260115&X-Amz-Security-Token=" + sessionToken + "&X-Amz-Signature=abcdef0123"
	u, _ := url.Parse(signed)
	var buf bytes.Buffer
	log := slog.New(redactLogs(slog.NewJSONHandler(&buf, nil))).With("base", signed).WithGroup("g")
	log.LogAttrs(context.Background(), slog.LevelWarn, "failed: "+signed,
		slog.String("url", signed), slog.Any("err", &url.Error{Op: "Get", URL: signed, Err: errors.New("EOF")}),
		slog.Any("u", u), slog.Group("inner", slog.String("q", u.RawQuery)), slog.Int("n", 7), slog.Duration("d", time.Second))
	out := buf.String()
	checkNoURLSecrets(t, "the record", out)
	if strings.Contains(out, "abcdef0123") {
		t.Errorf("the signature survives:\n%s", out)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	g, _ := rec["g"].(map[string]any)
	if g == nil || g["n"] != float64(7) || g["d"] != float64(time.Second) || !strings.Contains(fmt.Sprint(g["err"]), "EOF") ||
		strings.Count(out, "X-Amz-Signature=REDACTED") != 6 {
		t.Errorf("record %s", out)
	}
}

// TestServeRefusesUnreachableBackend: serve on an S3 backend nothing
// listens at refuses to start, saying so, instead of failing at the first
// request; --check-config reports the same; --start-degraded starts.
func TestServeRefusesUnreachableBackend(t *testing.T) {
	testEnv(t)
	addr := unusedTCPAddr(t)
	args := []string{"serve", "--addr", "127.0.0.1:0", "--backend", "s3://b", "--endpoint", "http://" + addr, "--path-style", "--backend-timeout", "2s"}
	r := runCLI(t, args...)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "presign: the S3 backend cannot be reached: ") || !strings.Contains(r.stderr, addr) ||
		!strings.Contains(r.stderr, "--start-degraded") {
		t.Errorf("serve: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, append(args, "--check-config")...)
	if r.code != 2 || !strings.Contains(r.stdout, "1 mistake(s)") || !strings.Contains(r.stdout, "the S3 backend cannot be reached") {
		t.Errorf("--check-config: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestServePortInUseLeavesNoFiles: a serve that cannot listen (the API's
// or the store's port is taken) fails without creating the data
// directory, its credentials or the audit log.
func TestServePortInUseLeavesNoFiles(t *testing.T) {
	testEnv(t)
	t.Setenv("PRESIGN_ACCESS_KEY_ID", "")
	t.Setenv("PRESIGN_SECRET_ACCESS_KEY", "")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--addr", taken.Addr().String(), "--s3-addr", "127.0.0.1:0"},
		{"--addr", "127.0.0.1:0", "--s3-addr", taken.Addr().String()},
	} {
		data, audit := filepath.Join(dir, "data"), filepath.Join(dir, "audit.log")
		r := runCLI(t, append([]string{"serve", "--data", data, "--audit-log", audit}, args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, "cannot listen on "+taken.Addr().String()) {
			t.Errorf("%q: exit %d, %s", args, r.code, r.stderr)
		}
		for _, p := range []string{data, audit} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%q left %s behind (%v)", args, p, err)
			}
		}
	}
}
