// Package web serves the browser pages of presign serve: static HTML, CSS
// and JavaScript embedded in the binary, with no build step.
//
// # Pages and files
//
// Every file under static/ is served at its path, with two exceptions:
// index.html is the page at "/", and any other NAME.html is the page at
// "/NAME", so that a further page (an inspector, say) is one more HTML
// file beside the others, sharing style.css. Files whose name starts with
// "." or "_", and files of a type not in the handler's table, are not
// served.
//
//	/             the upload page: index.html, app.js, upload.js
//	/inspect      the URL inspector and builder: inspect.html, inspect.js
//	/config.json  settings for the pages, from [Options]
//
// Both pages share style.css and apikey.js, the API key field, whose
// value they keep in the tab's session storage under one name, so that a
// key entered on one page serves the other.
//
// The pages talk to the URL-issuing API ([github.com/presign-dev/presign/issuer])
// on their own origin, under /v1/, and send file bytes straight to storage.
//
// # Headers
//
// Every answer carries a strict Content-Security-Policy (scripts, styles
// and images from the page's own origin only; no inline script or style;
// fetch and XMLHttpRequest to the page's origin and to
// [Options.StorageOrigins]; no frames, no plugins, no form submission),
// X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
// X-Frame-Options: DENY and Cross-Origin-Opener-Policy: same-origin.
// Files are sent with their exact Content-Type, a strong ETag and
// Cache-Control: no-cache, so a browser revalidates them and a new binary
// is picked up at once.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// DefaultMultipartThreshold is the size from which the upload page starts
// a multipart upload when [Options.MultipartThreshold] is zero: the
// issuer's default.
const DefaultMultipartThreshold int64 = 64 << 20

// Options configure a [Handler].
type Options struct {
	// StorageOrigins are the origins the pages may send requests to besides
	// their own: the storage service the issued URLs point at, such as
	// "http://127.0.0.1:9000" or "https://uploads.s3.eu-west-1.amazonaws.com".
	// Each is scheme://host[:port], without a path; the host may start
	// with "*." to allow its subdomains (virtual-hosted buckets). They make
	// the connect-src of the Content-Security-Policy: a URL on any other
	// origin is refused by the browser.
	StorageOrigins []string
	// MultipartThreshold is the size in bytes from which the upload page
	// starts a multipart upload at once; zero means
	// [DefaultMultipartThreshold]. It should match the issuer's; when it
	// does not, the page still switches to multipart when the API answers
	// use_multipart.
	MultipartThreshold int64
	// Bucket is the bucket the service issues URLs for, shown by the
	// inspector's URL builder; empty leaves it unsaid until the first URL
	// is built. It is not a secret: every URL names it.
	Bucket string
}

// Handler serves the embedded pages. It is safe for concurrent use.
type Handler struct {
	files map[string]*file // by URL path
	csp   string
}

type file struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes are the types of the files the handler serves, by
// extension. A file of any other extension is not served.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".txt":   "text/plain; charset=utf-8",
	".woff2": "font/woff2",
}

// New returns the handler for o, or an error naming a storage origin that
// is not scheme://host[:port].
func New(o Options) (*Handler, error) {
	h := &Handler{files: map[string]*file{}}
	origins := []string{"'self'"}
	for _, s := range o.StorageOrigins {
		origin, err := checkOrigin(s)
		if err != nil {
			return nil, err
		}
		origins = append(origins, origin)
	}
	h.csp = strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self'",
		"font-src 'self'",
		"connect-src " + strings.Join(origins, " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")

	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := path.Base(name)
		ct, ok := contentTypes[path.Ext(name)]
		if !ok || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
			return nil
		}
		body, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		p := strings.TrimPrefix(name, "static")
		switch {
		case p == "/index.html":
			p = "/"
		case strings.HasSuffix(p, "/index.html"):
			p = strings.TrimSuffix(p, "index.html")
		case strings.HasSuffix(p, ".html"):
			p = strings.TrimSuffix(p, ".html")
		}
		h.files[p] = newFile(body, ct)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: reading the embedded files: %w", err)
	}

	threshold := o.MultipartThreshold
	if threshold <= 0 {
		threshold = DefaultMultipartThreshold
	}
	cfg, err := json.Marshal(struct {
		MultipartThreshold int64  `json:"multipartThreshold"`
		Bucket             string `json:"bucket,omitempty"`
	}{threshold, o.Bucket})
	if err != nil {
		return nil, err
	}
	h.files["/config.json"] = newFile(cfg, "application/json")
	return h, nil
}

func newFile(body []byte, contentType string) *file {
	sum := sha256.Sum256(body)
	return &file{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// checkOrigin returns s as a CSP source, scheme://host[:port], or an
// error saying what is wrong with it.
func checkOrigin(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("web: storage origin %q %s: give scheme://host[:port], such as http://127.0.0.1:9000", s, why)
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	switch {
	case err != nil:
		return bad("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("is not http or https")
	case u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return bad("is not an origin")
	}
	host := strings.ToLower(u.Host)
	rest := strings.TrimPrefix(host, "*.")
	for _, c := range rest {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return bad(fmt.Sprintf("has %q in its host", c))
		}
	}
	if rest == "" || strings.Contains(rest, "*") {
		return bad("has no host")
	}
	return u.Scheme + "://" + host, nil
}

// ContentSecurityPolicy returns the Content-Security-Policy header the
// handler sends.
func (h *Handler) ContentSecurityPolicy() string { return h.csp }

// ServeHTTP answers GET and HEAD for the embedded files; other methods get
// 405 and unknown paths 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed: the pages are read with GET", http.StatusMethodNotAllowed)
		return
	}
	f := h.files[r.URL.Path]
	if f == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", f.etag)
	// ServeContent answers If-None-Match with 304, HEAD without a body,
	// and Range requests.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
