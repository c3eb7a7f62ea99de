package s3server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/s3err"
)

func TestCORSPreflight(t *testing.T) {
	ts := newTestServer(t, func(o *Options) {
		o.CORS = &CORS{
			AllowedOrigins: []string{"https://app.example.com", "https://*.preview.example.com"},
			AllowedHeaders: []string{"content-type", "x-amz-*"},
			MaxAge:         time.Hour,
		}
	})
	tests := []struct {
		name, origin, method, headers string
		status                        int
		allow                         string
	}{
		{"allowed PUT", "https://app.example.com", "PUT", "Content-Type, x-amz-meta-owner", 200, "https://app.example.com"},
		{"wildcard origin", "https://pr-12.preview.example.com", "POST", "", 200, "https://pr-12.preview.example.com"},
		{"origin not allowed", "https://evil.example.com", "PUT", "", 403, ""},
		{"method not allowed", "https://app.example.com", "PATCH", "", 403, ""},
		{"header not allowed", "https://app.example.com", "PUT", "authorization", 403, ""},
		{"no origin", "", "PUT", "", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Access-Control-Request-Method": tt.method}
			if tt.origin != "" {
				h["Origin"] = tt.origin
			}
			if tt.headers != "" {
				h["Access-Control-Request-Headers"] = tt.headers
			}
			// Preflights carry no credentials and need none.
			res := ts.do(req{method: "OPTIONS", target: "/bkt/some/key", header: h, unsigned: true})
			if res.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
			}
			if got := res.header.Get("Access-Control-Allow-Origin"); got != tt.allow {
				t.Errorf("Allow-Origin %q, want %q", got, tt.allow)
			}
			if tt.status != 200 {
				res.s3Error(t)
				return
			}
			if !strings.Contains(res.header.Get("Access-Control-Allow-Methods"), tt.method) ||
				res.header.Get("Access-Control-Max-Age") != "3600" ||
				!strings.Contains(res.header.Get("Access-Control-Expose-Headers"), "ETag") {
				t.Errorf("preflight headers %v", res.header)
			}
			if tt.headers != "" && res.header.Get("Access-Control-Allow-Headers") != "content-type, x-amz-meta-owner" {
				t.Errorf("Allow-Headers %q", res.header.Get("Access-Control-Allow-Headers"))
			}
		})
	}

	// The actual upload with a presigned URL, from an allowed origin.
	ts.mkBucket("bkt")
	c := ts.presigner("http://127.0.0.1:"+ts.port(), presign.ProfileDefault, presign.AddressingAuto, testSecret)
	res, err := c.Presign(context.Background(), presign.PutObject, &presign.Input{Bucket: "bkt", Key: "from-browser"}, presign.Options{Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest("PUT", res.URL, strings.NewReader("hi"))
	hr.Header.Set("Origin", "https://app.example.com")
	r := ts.send(hr)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "ETag") || r.header.Get("Vary") != "Origin" {
		t.Errorf("PUT from the browser: %d %v", r.status, r.header)
	}
	// An error response carries the CORS headers too, so the page can read it.
	hr, _ = http.NewRequest("GET", ts.url+"/bkt/from-browser", nil)
	hr.Header.Set("Origin", "https://app.example.com")
	r = ts.send(hr)
	wantError(t, r, s3err.AccessDenied)
	if r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("error without CORS headers: %v", r.header)
	}
	// Another origin gets no CORS headers.
	hr, _ = http.NewRequest("GET", ts.url+"/bkt/from-browser", nil)
	hr.Header.Set("Origin", "https://evil.example.com")
	if r = ts.send(hr); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers for a foreign origin: %v", r.header)
	}

	// Without a CORS configuration, preflights are refused.
	off := newTestServer(t, func(o *Options) { o.CORS = nil })
	r = off.do(req{method: "OPTIONS", target: "/bkt/k", unsigned: true, header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}})
	wantError(t, r, s3err.AccessForbidden)
}

func TestCORSOptionsChecked(t *testing.T) {
	for _, c := range []*CORS{
		{AllowedOrigins: []string{"https://*.*.example.com"}},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}},
	} {
		if err := c.check(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
