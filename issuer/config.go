package issuer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// Operations a client may be allowed.
const (
	OpUpload    = "upload"    // POST /v1/uploads
	OpMultipart = "multipart" // POST /v1/uploads/multipart and its steps
	OpDownload  = "download"  // POST /v1/downloads
	// OpDelete lets POST /v1/presign sign DELETE URLs; unlike the others it
	// is never granted by default.
	OpDelete = "delete"
	// OpAdmin lets a client revoke any client's grants (DELETE
	// /v1/grants/{id}, POST /v1/grants/revoke with any prefix); never
	// granted by default.
	OpAdmin = "admin"
)

// Expiry guidelines: uploads 15 minutes, downloads 1 hour, at most 7 days.
const (
	DefaultUploadExpiry   = 15 * time.Minute
	DefaultDownloadExpiry = time.Hour
	MaxExpiry             = sigv4.MaxExpires
)

// Tenant is one API key's rights: a client of the service, with a key prefix of its own.
type Tenant struct {
	// Name identifies the client in logs and metrics. Required, unique.
	Name string
	// KeySHA256 is the hex SHA-256 of the client's API key; the key itself
	// is never stored. Required, unique. See [HashKey].
	KeySHA256 string
	// Prefix is the key prefix every object of the client lives under,
	// without a trailing '/'. Required; one client's prefix must not lie
	// inside another's.
	Prefix string
	// Operations lists what the client may do: OpUpload, OpMultipart,
	// OpDownload, OpDelete, OpAdmin. Empty means the first three; OpDelete
	// and OpAdmin must be listed to be granted.
	Operations []string
	// ContentTypes lists the media types the client may upload: exact
	// ("application/pdf"), a type wildcard ("image/*") or "*/*". Empty
	// means any.
	ContentTypes []string
	// MaxSize is the largest upload in bytes; 0 means 5 TiB (S3's limit).
	MaxSize int64
	// UploadExpiry and DownloadExpiry are the default lifetimes of URLs;
	// zero means the guidelines (15 minutes, 1 hour).
	UploadExpiry, DownloadExpiry time.Duration
	// MaxUploadExpiry and MaxDownloadExpiry bound what a client may ask
	// for; zero means the default expiry for uploads and 7 days for
	// downloads.
	MaxUploadExpiry, MaxDownloadExpiry time.Duration
	// RateLimit is the sustained requests per second allowed, with Burst
	// requests at once; zero means no limit.
	RateLimit float64
	Burst     int
}

// HashKey returns the hex SHA-256 of an API key, the form Tenant.KeySHA256
// holds.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// MaxObjectSize is S3's largest object.
const MaxObjectSize = 5 << 40

// Config configures the issuing API.
type Config struct {
	// Bucket is where objects go. Required.
	Bucket string
	// Tenants are the API keys. At least one is required.
	Tenants []Tenant
	// MultipartThreshold is the size from which uploads must be multipart;
	// zero means 64 MiB.
	MultipartThreshold int64
	// PartSize is the part size the service asks multipart clients to use;
	// zero means 16 MiB. It must be at least 5 MiB.
	PartSize int64
	// UploadSecret signs the multipart upload tokens the API hands out, so
	// that any replica can check them. At least 32 bytes; required.
	UploadSecret []byte
	// CORSOrigins are the browser origins allowed to call the API
	// ("*" allows any); empty allows none beyond same-origin.
	CORSOrigins []string
	// MaxRequestBytes bounds a request body; zero means 64 KiB.
	MaxRequestBytes int64
}

func (c *Config) multipartThreshold() int64 {
	if c.MultipartThreshold > 0 {
		return c.MultipartThreshold
	}
	return 64 << 20
}

func (c *Config) partSize() int64 {
	if c.PartSize > 0 {
		return c.PartSize
	}
	return 16 << 20
}

func (c *Config) maxRequestBytes() int64 {
	if c.MaxRequestBytes > 0 {
		return c.MaxRequestBytes
	}
	return 64 << 10
}

func (c *Tenant) allows(op string) bool {
	if len(c.Operations) == 0 {
		return op != OpDelete && op != OpAdmin
	}
	for _, o := range c.Operations {
		if o == op {
			return true
		}
	}
	return false
}

func (c *Tenant) maxSize() int64 {
	if c.MaxSize > 0 {
		return c.MaxSize
	}
	return MaxObjectSize
}

// expiry returns the lifetime for a request: asked seconds (zero for the
// default) checked against the client's maximum for the operation before
// any conversion, so that no value wraps. Its error is the API's
// invalid_field refusal of expiresIn.
func (c *Tenant) expiry(download bool, asked int64) (time.Duration, error) {
	def, max := c.UploadExpiry, c.MaxUploadExpiry
	if def == 0 {
		def = DefaultUploadExpiry
	}
	if max == 0 {
		max = def
	}
	if download {
		def, max = c.DownloadExpiry, c.MaxDownloadExpiry
		if def == 0 {
			def = DefaultDownloadExpiry
		}
		if max == 0 {
			max = MaxExpiry
		}
	}
	if asked == 0 {
		return def, nil
	}
	if maxSeconds := int64(max / time.Second); asked < 1 || asked > maxSeconds {
		return 0, invalidField("expiresIn", "expiresIn %d is out of range: this client may ask for 1 to %d seconds, or 0 for the default (%d)", asked, maxSeconds, int64(def/time.Second))
	}
	return time.Duration(asked) * time.Second, nil
}

// allowsType reports whether the client may upload media type ct.
func (c *Tenant) allowsType(ct string) bool {
	if len(c.ContentTypes) == 0 {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	for _, p := range c.ContentTypes {
		p = strings.ToLower(p)
		switch {
		case p == "*/*", p == mt:
			return true
		case strings.HasSuffix(p, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(p, "*")):
			return true
		}
	}
	return false
}

// Validate returns every mistake in c, each saying what is wrong and how to
// fix it; nil when c is usable.
func (c *Config) Validate() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Bucket == "" {
		add("bucket is empty: name the bucket uploads go to")
	}
	if len(c.UploadSecret) < 32 {
		add("upload secret is %d bytes: it must be at least 32 random bytes (shared by all replicas)", len(c.UploadSecret))
	}
	if c.PartSize != 0 && c.PartSize < 5<<20 {
		add("part size %d is below S3's 5 MiB minimum", c.PartSize)
	}
	if c.MultipartThreshold < 0 || c.MaxRequestBytes < 0 {
		add("multipart threshold and request size limit must not be negative")
	}
	if len(c.Tenants) == 0 {
		add("no clients: add at least one client with a key, a prefix and its rights")
	}
	names, keys := map[string]bool{}, map[string]bool{}
	for i := range c.Tenants {
		cl := &c.Tenants[i]
		where := fmt.Sprintf("client %d (%q)", i+1, cl.Name)
		if cl.Name == "" {
			add("client %d has no name: give each client a name for logs and metrics", i+1)
		} else if names[cl.Name] {
			add("%s: the name is used twice", where)
		}
		names[cl.Name] = true
		if b, err := hex.DecodeString(cl.KeySHA256); err != nil || len(b) != 32 {
			add("%s: key_sha256 must be the 64 hex digits of the key's SHA-256 (presign serve --hash-key prints it)", where)
		} else if keys[strings.ToLower(cl.KeySHA256)] {
			add("%s: the key is used by another client", where)
		}
		keys[strings.ToLower(cl.KeySHA256)] = true
		if err := checkPrefix(cl.Prefix); err != nil {
			add("%s: prefix %q: %v", where, cl.Prefix, err)
		}
		for j := range c.Tenants[:i] {
			o := c.Tenants[j].Prefix
			if o != "" && cl.Prefix != "" && (strings.HasPrefix(cl.Prefix+"/", o+"/") || strings.HasPrefix(o+"/", cl.Prefix+"/")) {
				add("%s: prefix %q overlaps client %q's prefix %q: each client needs a prefix of its own", where, cl.Prefix, c.Tenants[j].Name, o)
			}
		}
		for _, op := range cl.Operations {
			if op != OpUpload && op != OpMultipart && op != OpDownload && op != OpDelete && op != OpAdmin {
				add("%s: unknown operation %q: use upload, multipart, download, delete or admin", where, op)
			}
		}
		for _, ct := range cl.ContentTypes {
			if ct == "*/*" {
				continue
			}
			typ, sub, ok := strings.Cut(ct, "/")
			if !ok || typ == "" || sub == "" || strings.ContainsAny(ct, " ;,") {
				add("%s: content type %q is not a media type or a pattern such as image/*", where, ct)
			}
		}
		if cl.MaxSize < 0 || cl.MaxSize > MaxObjectSize {
			add("%s: max size %d is out of range (0 for S3's 5 TiB limit)", where, cl.MaxSize)
		}
		for _, d := range []struct {
			name string
			v    time.Duration
		}{{"upload_expiry", cl.UploadExpiry}, {"download_expiry", cl.DownloadExpiry}, {"max_upload_expiry", cl.MaxUploadExpiry}, {"max_download_expiry", cl.MaxDownloadExpiry}} {
			if d.v != 0 && sigv4.CheckExpires(d.v) != nil {
				add("%s: %s %v is out of range: 1s to 7 days in whole seconds", where, d.name, d.v)
			}
		}
		if cl.MaxUploadExpiry != 0 && cl.UploadExpiry > cl.MaxUploadExpiry || cl.MaxDownloadExpiry != 0 && cl.DownloadExpiry > cl.MaxDownloadExpiry {
			add("%s: a default expiry is longer than its maximum", where)
		}
		if cl.RateLimit < 0 || cl.Burst < 0 || (cl.RateLimit > 0 && cl.Burst == 0) {
			add("%s: rate_limit must be positive with a burst of at least 1", where)
		}
	}
	return errs
}

// checkPrefix validates a client prefix: segments of safe characters.
func checkPrefix(p string) error {
	switch {
	case p == "":
		return errors.New("empty: every client needs a prefix of its own")
	case strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/"):
		return errors.New("must not start or end with '/'")
	case len(p) > 256:
		return errors.New("longer than 256 bytes")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("has an empty, '.' or '..' segment")
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
				return fmt.Errorf("has %q: use letters, digits, '-', '_' and '.'", c)
			}
		}
	}
	return nil
}
