package s3server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/s3err"
)

// CORS is the cross-origin policy of a [Handler], the equivalent of one S3
// CORS rule applied to every bucket.
type CORS struct {
	// AllowedOrigins are the origins allowed, such as
	// "https://app.example.com"; "*" allows any, and one "*" inside an
	// origin matches any run of characters ("https://*.example.com").
	// Compared without case.
	AllowedOrigins []string
	// AllowedMethods are the methods allowed; nil means GET, PUT, POST,
	// HEAD and DELETE.
	AllowedMethods []string
	// AllowedHeaders are the request headers allowed, with "*" wildcards
	// as in AllowedOrigins; nil means any ("*").
	AllowedHeaders []string
	// ExposeHeaders are the response headers a page may read; nil means
	// [DefaultExposeHeaders].
	ExposeHeaders []string
	// MaxAge is how long a browser may cache a preflight answer; zero
	// sends no Access-Control-Max-Age.
	MaxAge time.Duration
}

// DefaultExposeHeaders are the response headers exposed to pages by
// default: what an upload or a download needs to read.
var DefaultExposeHeaders = []string{
	"ETag", "Content-Length", "Content-Range", "Content-Type", "Last-Modified", "Location",
	"x-amz-request-id", "x-amz-id-2", "x-amz-version-id", "x-amz-delete-marker",
	"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme",
	"x-amz-checksum-sha1", "x-amz-checksum-sha256", "x-amz-checksum-type",
	"x-amz-server-side-encryption", "x-amz-mp-parts-count",
}

var defaultCORSMethods = []string{"GET", "PUT", "POST", "HEAD", "DELETE"}

func (c *CORS) check() error {
	if c == nil {
		return nil
	}
	for _, o := range c.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return errors.New("s3server: a CORS allowed origin may contain at most one '*'")
		}
	}
	for _, m := range c.AllowedMethods {
		switch m {
		case "GET", "PUT", "POST", "HEAD", "DELETE":
		default:
			return errors.New("s3server: CORS allowed methods are GET, PUT, POST, HEAD and DELETE, not " + strconv.Quote(m))
		}
	}
	return nil
}

// wildcardMatch reports whether s matches pattern, in which one "*"
// matches any run of characters, without case.
func wildcardMatch(pattern, s string) bool {
	pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	before, after, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// origin returns the Access-Control-Allow-Origin value for origin, and
// false when it is not allowed.
func (c *CORS) origin(origin string) (string, bool) {
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			return "*", true
		}
		if wildcardMatch(o, origin) {
			return origin, true
		}
	}
	return "", false
}

func (c *CORS) methods() []string {
	if c.AllowedMethods == nil {
		return defaultCORSMethods
	}
	return c.AllowedMethods
}

// headerAllowed reports whether the request header name may be sent.
func (c *CORS) headerAllowed(name string) bool {
	if c.AllowedHeaders == nil {
		return true
	}
	for _, p := range c.AllowedHeaders {
		if wildcardMatch(p, name) {
			return true
		}
	}
	return false
}

func (c *CORS) expose() []string {
	if c.ExposeHeaders == nil {
		return DefaultExposeHeaders
	}
	return c.ExposeHeaders
}

func corsDenied() *s3err.Error {
	return s3err.New(s3err.AccessForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
}

// withCORS answers preflight requests (OPTIONS), without authentication,
// and adds the CORS headers to the responses of allowed cross-origin
// requests, errors included, so that a page can read them. A bucket's own
// CORS configuration rules its requests; without one, Options.CORS does.
func (h *Handler) withCORS(next http.Handler) http.Handler {
	return h.adapt(func(w http.ResponseWriter, r *http.Request) error {
		if r.Method == http.MethodOptions {
			return h.preflight(w, r)
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			c := h.cors
			if rules, ok := h.bucketRules(r.Context(), stateOf(r).bucket); ok {
				c = matchRule(rules, origin, r.Method, nil)
				w.Header().Add("Vary", "Origin")
			}
			if c != nil {
				hdr := w.Header()
				if len(hdr.Values("Vary")) == 0 {
					hdr.Add("Vary", "Origin")
				}
				if allow, ok := c.origin(origin); ok {
					setCORS(hdr, c, allow)
				}
			}
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// setCORS sets the CORS headers of rule c for the allowed origin.
func setCORS(hdr http.Header, c *CORS, allow string) {
	hdr.Set("Access-Control-Allow-Origin", allow)
	hdr.Set("Access-Control-Allow-Methods", strings.Join(c.methods(), ", "))
	if e := c.expose(); len(e) > 0 {
		hdr.Set("Access-Control-Expose-Headers", strings.Join(e, ", "))
	}
	if c.MaxAge > 0 {
		hdr.Set("Access-Control-Max-Age", itoa(int64(c.MaxAge/time.Second)))
	}
}

// preflight answers a CORS preflight request.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) error {
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return s3err.New(s3err.InvalidRequest, "Insufficient information. Origin request header needed.")
	}
	rules, configured := h.bucketRules(r.Context(), stateOf(r).bucket)
	if !configured {
		if h.cors == nil {
			return s3err.New(s3err.AccessForbidden, "CORSResponse: CORS is not enabled for this bucket.")
		}
		rules = []*CORS{h.cors}
	}
	var reqHeaders []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				reqHeaders = append(reqHeaders, name)
			}
		}
	}
	c := matchRule(rules, origin, method, reqHeaders)
	if c == nil {
		return corsDenied()
	}
	allow, _ := c.origin(origin)
	hdr := w.Header()
	hdr.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	setCORS(hdr, c, allow)
	if len(reqHeaders) > 0 {
		hdr.Set("Access-Control-Allow-Headers", strings.Join(reqHeaders, ", "))
	}
	hdr.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}
