package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestURLMultiRegionAccessPoint: presign url takes a Multi-Region Access
// Point's ARN as the bucket and signs with SigV4a for every region;
// inspect says so and verify checks the signature; a malformed ARN or
// region set is refused before any credentials are loaded.
func TestURLMultiRegionAccessPoint(t *testing.T) {
	testEnv(t)
	const arn = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"
	r := runCLI(t, "url", "s3://"+arn+"/reports/q1.pdf", "--signing-time", "2026-01-15T12:00:00Z", "--expires", "1h")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	u := strings.TrimSpace(r.stdout)
	for _, want := range []string{"https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/reports/q1.pdf?",
		"X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", "X-Amz-Region-Set=%2A", "%2F20260115%2Fs3%2Faws4_request"} {
		if !strings.Contains(u, want) {
			t.Errorf("URL %s lacks %s", u, want)
		}
	}
	if again := runCLI(t, "url", "s3://"+arn+"/reports/q1.pdf", "--signing-time", "2026-01-15T12:00:00Z", "--expires", "1h"); again.stdout != r.stdout {
		t.Errorf("two runs differ: SigV4a signatures are deterministic\n%s%s", r.stdout, again.stdout)
	}
	in := runCLI(t, "inspect", u, "--now", "2026-01-15T12:30:00Z")
	if in.code != 0 || !strings.Contains(in.stdout, "Bucket       mfzwi23gnjvgw.mrap") || !strings.Contains(in.stdout, "signed with SigV4a (ECDSA P-256)") {
		t.Errorf("inspect: exit %d\n%s%s", in.code, in.stdout, in.stderr)
	}
	v := runCLI(t, "verify", u, "--now", "2026-01-15T12:30:00Z")
	if v.code != 0 || !strings.HasPrefix(v.stdout, "valid: ") {
		t.Errorf("verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	for _, tt := range []struct{ args []string }{
		{[]string{"url", "s3://arn:aws:s3::123456789012:accesspoint"}},
		{[]string{"url", "s3://arn:aws:s3:us-west-2:123456789012:accesspoint/ap/k"}},
		{[]string{"url", "s3://b/k", "--region-set", "us-east-1,,eu-west-1"}},
	} {
		if r := runCLI(t, tt.args...); r.code == 0 {
			t.Errorf("%q was accepted: %s", tt.args, r.stdout)
		}
	}
}

// TestURLRegionSetOnTheEmbeddedStore: the SigV4a flow tried locally. The
// embedded store verifies SigV4a: a PUT and a GET signed for "*" and for a
// set with its region work, one for another region only is refused.
func TestURLRegionSetOnTheEmbeddedStore(t *testing.T) {
	testEnv(t)
	t.Setenv("PRESIGN_ACCESS_KEY_ID", testKeyID)
	t.Setenv("PRESIGN_SECRET_ACCESS_KEY", testSecret)
	s := startServe(t, "--data", filepath.Join(t.TempDir(), "data"))
	client := &http.Client{Timeout: 10 * time.Second}
	send := func(method, u, body string) (int, string) {
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		if body == "" {
			req.Body = nil
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	presign := func(args ...string) string {
		r := runCLI(t, append([]string{"url", "--endpoint", s.endpoint}, args...)...)
		if r.code != 0 {
			t.Fatalf("url %q: %s", args, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	if code, body := send("PUT", presign("PUT", "s3://uploads/v4a.txt", "--region-set", "*"), "hello"); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body := send("GET", presign("s3://uploads/v4a.txt", "--region-set", "eu-west-1,us-east-1"), ""); code != 200 || body != "hello" {
		t.Errorf("GET: %d %q", code, body)
	}
	if code, body := send("GET", presign("s3://uploads/v4a.txt", "--region-set", "eu-west-1"), ""); code != 400 || !strings.Contains(body, "does not include") {
		t.Errorf("GET for another region: %d %s", code, body)
	}
}
