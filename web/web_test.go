package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func newHandler(t *testing.T, o Options) *Handler {
	t.Helper()
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestContentTypes(t *testing.T) {
	h := newHandler(t, Options{})
	for _, tc := range []struct{ path, contentType, contains string }{
		{"/", "text/html; charset=utf-8", "<title>Upload · presign</title>"},
		{"/inspect", "text/html; charset=utf-8", "<title>Inspector · presign</title>"},
		{"/app.js", "text/javascript; charset=utf-8", "import {"},
		{"/inspect.js", "text/javascript; charset=utf-8", "'/v1/inspect'"},
		{"/apikey.js", "text/javascript; charset=utf-8", "export function keyField"},
		{"/upload.js", "text/javascript; charset=utf-8", "export async function uploadFile"},
		{"/style.css", "text/css; charset=utf-8", ":root"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
		{"/config.json", "application/json", `"multipartThreshold":67108864`},
	} {
		w := get(h, "GET", tc.path)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", tc.path, w.Code)
			continue
		}
		if got := w.Header().Get("Content-Type"); got != tc.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.contentType)
		}
		if !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.contains)
		}
	}
}

func TestHeaders(t *testing.T) {
	h := newHandler(t, Options{StorageOrigins: []string{"http://127.0.0.1:9000", "https://*.s3.eu-west-1.amazonaws.com/"}})
	wantCSP := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; " +
		"connect-src 'self' http://127.0.0.1:9000 https://*.s3.eu-west-1.amazonaws.com; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	if got := h.ContentSecurityPolicy(); got != wantCSP {
		t.Errorf("CSP\n got %s\nwant %s", got, wantCSP)
	}
	// Every answer, errors too, carries the security headers.
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200}, {"GET", "/app.js", 200}, {"HEAD", "/style.css", 200},
		{"GET", "/inspect", 200}, {"GET", "/inspect.js", 200}, {"HEAD", "/inspect", 200},
		{"GET", "/nope", 404}, {"POST", "/", 405}, {"POST", "/inspect", 405},
	} {
		w := get(h, tc.method, tc.path)
		if w.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		for name, want := range map[string]string{
			"Content-Security-Policy":    wantCSP,
			"X-Content-Type-Options":     "nosniff",
			"Referrer-Policy":            "no-referrer",
			"X-Frame-Options":            "DENY",
			"Cross-Origin-Opener-Policy": "same-origin",
		} {
			if got := w.Header().Get(name); got != want {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, name, got, want)
			}
		}
		if tc.status == 200 {
			if got := w.Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("%s %s: Cache-Control %q, want no-cache", tc.method, tc.path, got)
			}
			if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(w.Header().Get("ETag")) {
				t.Errorf("%s %s: ETag %q is not a strong hash", tc.method, tc.path, w.Header().Get("ETag"))
			}
		}
	}
}

func TestHeadHasNoBody(t *testing.T) {
	h := newHandler(t, Options{})
	w := get(h, "HEAD", "/app.js")
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /app.js: status %d, %d body bytes, Content-Length %q; want 200, none, the length", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
}

func TestConditionalGet(t *testing.T) {
	h := newHandler(t, Options{})
	etag := get(h, "GET", "/").Header().Get("ETag")
	if w := get(h, "GET", "/", "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("GET / If-None-Match: status %d with %d bytes, want 304 and none", w.Code, w.Body.Len())
	}
	if w := get(h, "GET", "/", "If-None-Match", `"other"`); w.Code != http.StatusOK {
		t.Errorf("GET / If-None-Match other: status %d, want 200", w.Code)
	}
}

func TestNotFound(t *testing.T) {
	h := newHandler(t, Options{})
	for _, p := range []string{
		"/index.html", // the page is "/"
		"/index",
		"/static/app.js",
		"/app.js/",
		"/nope.js",
		"/v1/uploads",
		"/../web.go",
		"/web.go",
		"/inspect.html", // the page is "/inspect"
		"/inspect/",
		"/Inspect",
	} {
		w := get(h, "GET", p)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q, want text/plain", p, ct)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHandler(t, Options{})
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "PATCH"} {
		w := get(h, m, "/")
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: status %d, Allow %q; want 405 and GET, HEAD", m, w.Code, w.Header().Get("Allow"))
		}
	}
}

func TestConfig(t *testing.T) {
	h := newHandler(t, Options{MultipartThreshold: 5 << 20, Bucket: "uploads"})
	var cfg struct {
		MultipartThreshold int64  `json:"multipartThreshold"`
		Bucket             string `json:"bucket"`
	}
	if err := json.Unmarshal(get(h, "GET", "/config.json").Body.Bytes(), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.MultipartThreshold != 5<<20 || cfg.Bucket != "uploads" {
		t.Errorf("config %+v, want multipartThreshold %d and bucket uploads", cfg, 5<<20)
	}
	// No bucket: the field is left out, and the inspector learns it from
	// the first URL it builds.
	if body := get(newHandler(t, Options{}), "GET", "/config.json").Body.String(); body != `{"multipartThreshold":67108864}` {
		t.Errorf("config.json without a bucket: %s", body)
	}
}

func TestStorageOrigins(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"HTTPS://Uploads.S3.amazonaws.com/", "https://uploads.s3.amazonaws.com"},
		{"http://[::1]:9000", "http://[::1]:9000"},
		{"https://*.r2.cloudflarestorage.com", "https://*.r2.cloudflarestorage.com"},
	} {
		got, err := checkOrigin(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("checkOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", "127.0.0.1:9000", "ftp://host", "http://", "http://host/path", "http://host?x=1",
		"http://user@host", "http://host; script-src *", "http://ho st", "http://*", "http://a.*.com",
		"'self'", "*",
	} {
		if _, err := New(Options{StorageOrigins: []string{bad}}); err == nil {
			t.Errorf("New with storage origin %q: no error", bad)
		} else if !strings.HasPrefix(err.Error(), "web: ") {
			t.Errorf("error %q does not start with the package name", err)
		}
	}
}

// TestEveryFileServed checks that each embedded file has a type in the
// table, so that none is left out silently, and is served.
func TestEveryFileServed(t *testing.T) {
	h := newHandler(t, Options{})
	n := 0
	fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		if _, ok := contentTypes[path.Ext(name)]; !ok {
			t.Errorf("%s: extension %q has no Content-Type in the table", name, path.Ext(name))
		}
		return nil
	})
	if n == 0 || len(h.files) != n+1 { // +1: config.json
		t.Errorf("%d embedded files, %d served paths; want one path each and config.json", n, len(h.files))
	}
}

// TestPagesHaveNoInlineCode checks the pages against the CSP: no inline
// script, style attribute or event handler, which the policy would block.
func TestPagesHaveNoInlineCode(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || path.Ext(name) != ".html" {
			return err
		}
		b, _ := staticFS.ReadFile(name)
		if m := inline.Find(b); m != nil {
			t.Errorf("%s has inline code the CSP blocks: %q", name, m)
		}
		return nil
	})
}

// pages returns the embedded HTML pages by the path they are served at.
func pages(t *testing.T) map[string]string {
	t.Helper()
	h := newHandler(t, Options{})
	out := map[string]string{}
	for p, f := range h.files {
		if strings.HasPrefix(f.contentType, "text/html") {
			out[p] = string(f.body)
		}
	}
	if len(out) < 2 {
		t.Fatalf("%d pages, want the upload page and the inspector at least", len(out))
	}
	return out
}

// TestPagesLinkEachOther checks that every page's header links to every
// page, marking its own link as the current page.
func TestPagesLinkEachOther(t *testing.T) {
	all := pages(t)
	nav := regexp.MustCompile(`(?s)<header class="site">.*?<nav aria-label="Pages">(.*?)</nav>`)
	link := regexp.MustCompile(`<a href="([^"]+)"( aria-current="page")?>`)
	for p, body := range all {
		m := nav.FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s: no <nav aria-label=\"Pages\"> in the header", p)
			continue
		}
		linked := map[string]bool{}
		for _, l := range link.FindAllStringSubmatch(m[1], -1) {
			linked[l[1]] = true
			if current := l[2] != ""; current != (l[1] == p) {
				t.Errorf("%s: the link to %s has aria-current=%v", p, l[1], current)
			}
		}
		for other := range all {
			if !linked[other] {
				t.Errorf("%s: the header does not link to %s", p, other)
			}
		}
	}
}

// TestReferencedFilesServed checks that every same-origin file a page or
// a script refers to is served: src and href attributes, and the modules
// scripts import.
func TestReferencedFilesServed(t *testing.T) {
	h := newHandler(t, Options{})
	attr := regexp.MustCompile(`(?:src|href)="(/[^"]*)"`)
	imp := regexp.MustCompile(`(?m)^import\s[^;]*?from\s+'\./([^']+)'|import\('/([^']+)'\)`)
	for p, f := range h.files {
		var refs []string
		switch {
		case strings.HasPrefix(f.contentType, "text/html"):
			for _, m := range attr.FindAllStringSubmatch(string(f.body), -1) {
				refs = append(refs, m[1])
			}
		case strings.HasPrefix(f.contentType, "text/javascript"):
			for _, m := range imp.FindAllStringSubmatch(string(f.body), -1) {
				refs = append(refs, "/"+m[1]+m[2])
			}
		}
		for _, ref := range refs {
			if ref == "/openapi.json" { // the API's, served beside the pages
				continue
			}
			if w := get(h, "GET", ref); w.Code != http.StatusOK {
				t.Errorf("%s refers to %s, which answers %d", p, ref, w.Code)
			}
		}
	}
}

// TestScriptsWriteNoHTML checks the convention that scripts build the DOM
// with textContent and elements, never by parsing HTML or code strings.
func TestScriptsWriteNoHTML(t *testing.T) {
	banned := regexp.MustCompile(`\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setAttribute\('on|\.style\s*=`)
	fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || path.Ext(name) != ".js" {
			return err
		}
		b, _ := staticFS.ReadFile(name)
		if m := banned.Find(b); m != nil {
			t.Errorf("%s uses %q", name, m)
		}
		return nil
	})
}
