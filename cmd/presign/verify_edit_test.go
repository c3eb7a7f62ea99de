package main

import (
	"strings"
	"testing"
)

// TestVerifyEditedURL: a URL changed after signing (a port or one
// character of the key) is diagnosed as changed, with both values, not as
// a wrong secret; a wrong secret still is.
func TestVerifyEditedURL(t *testing.T) {
	testEnv(t)
	r := runCLI(t, "url", "s3://b/photos/cat.jpg", "--endpoint", "http://127.0.0.1:9000", "--signing-time", "2026-01-15T12:00:00Z", "--expires", "1h")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	u := strings.TrimSpace(r.stdout)
	for _, tt := range []struct {
		name, url, want string
	}{
		{"a port", strings.Replace(u, "127.0.0.1:9000", "127.0.0.1:9001", 1),
			"the host is not the one that was signed: the URL has 127.0.0.1:9001, the signature is for 127.0.0.1:9000"},
		{"a letter of the key", strings.Replace(u, "cat.jpg", "cot.jpg", 1),
			"the path is not the one that was signed: the URL has /b/photos/cot.jpg, the signature is for /b/photos/cat.jpg"},
		{"a letter missing", strings.Replace(u, "cat.jpg", "ca.jpg", 1),
			"the URL has /b/photos/ca.jpg, the signature is for /b/photos/cat.jpg"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "verify", tt.url, "--now", "2026-01-15T12:10:00Z")
			got := strings.Join(strings.Fields(r.stdout), " ")
			if r.code != 1 || !strings.Contains(got, tt.want) || !strings.Contains(r.stderr, "(url-edited)") {
				t.Errorf("exit %d\n%s%s\nwant %q", r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "another-secret")
	if r := runCLI(t, "verify", u, "--now", "2026-01-15T12:10:00Z"); r.code != 1 || !strings.Contains(r.stderr, "(wrong-secret)") {
		t.Errorf("a wrong secret: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
