package s3server

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strings"

	"github.com/presign-dev/presign/s3err"
)

// checksumAlg is one of S3's additional checksum algorithms.
type checksumAlg struct {
	// name is the algorithm as S3 names it: "CRC32", "CRC64NVME", ...
	name string
	// header is the header (and trailer and form field) that carries the
	// base64 checksum, lower case: "x-amz-checksum-crc32".
	header string
	// size is the length of the digest in bytes.
	size int
	// new returns a hash whose Sum appends the big-endian digest.
	new func() hash.Hash
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksumAlgs are the algorithms S3 supports, in the order S3 lists them.
var checksumAlgs = []*checksumAlg{
	{"CRC32", "x-amz-checksum-crc32", 4, func() hash.Hash { return crc32.NewIEEE() }},
	{"CRC32C", "x-amz-checksum-crc32c", 4, func() hash.Hash { return crc32.New(castagnoli) }},
	{"CRC64NVME", "x-amz-checksum-crc64nvme", 8, func() hash.Hash { return newCRC64NVME() }},
	{"SHA1", "x-amz-checksum-sha1", sha1.Size, sha1.New},
	{"SHA256", "x-amz-checksum-sha256", sha256.Size, sha256.New},
}

// defaultChecksum is the checksum S3 computes and keeps for an object
// uploaded without one.
var defaultChecksum = algByName("CRC64NVME")

// algByName returns the algorithm called name, in any case, or nil.
func algByName(name string) *checksumAlg {
	for _, a := range checksumAlgs {
		if strings.EqualFold(a.name, name) {
			return a
		}
	}
	return nil
}

// algByHeader returns the algorithm whose header is name, in any case, or nil.
func algByHeader(name string) *checksumAlg {
	for _, a := range checksumAlgs {
		if strings.EqualFold(a.header, name) {
			return a
		}
	}
	return nil
}

// valid reports whether v is the base64 of a digest of a's size.
func (a *checksumAlg) valid(v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) == a.size
}

// checksumOf returns the base64 checksum of b under a.
func (a *checksumAlg) checksumOf(b []byte) string {
	h := a.new()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// nonChecksumHeaders are x-amz-checksum-* headers that carry no checksum.
var nonChecksumHeaders = map[string]bool{
	"x-amz-checksum-algorithm": true,
	"x-amz-checksum-mode":      true,
	"x-amz-checksum-type":      true,
}

// integrity is what a client declared about a body: a Content-MD5 and at
// most one additional checksum, given as a header (or form field) or as an
// aws-chunked trailer.
type integrity struct {
	// md5 is the decoded Content-MD5; nil when none was given.
	md5 []byte
	// alg is the declared checksum algorithm; nil when none was declared.
	alg *checksumAlg
	// value is the declared base64 checksum; empty when it comes in the
	// trailer or only the algorithm was named.
	value string
	// trailer is set when the checksum comes in the aws-chunked trailer.
	trailer bool
}

// parseIntegrity reads the integrity headers of h: Content-MD5,
// x-amz-checksum-*, x-amz-sdk-checksum-algorithm and x-amz-trailer. It
// returns InvalidDigest for a malformed Content-MD5 and InvalidRequest for
// malformed or contradictory checksum headers.
func parseIntegrity(h http.Header) (integrity, error) {
	var in integrity
	if vals := h.Values("Content-Md5"); len(vals) > 0 {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vals[0]))
		if len(vals) > 1 || err != nil || len(b) != md5.Size {
			return in, s3err.New(s3err.InvalidDigest, "The Content-MD5 you specified was invalid.").With("Content-MD5", vals[0])
		}
		in.md5 = b
	}
	for name, vals := range h {
		ln := strings.ToLower(name)
		if !strings.HasPrefix(ln, "x-amz-checksum-") || nonChecksumHeaders[ln] {
			continue
		}
		a := algByHeader(ln)
		if a == nil {
			return in, s3err.New(s3err.InvalidRequest, "The header %s names an unknown checksum algorithm.", ln)
		}
		if in.alg != nil || len(vals) > 1 {
			return in, s3err.New(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		if !a.valid(vals[0]) {
			return in, s3err.New(s3err.InvalidRequest, "Value for %s header is invalid.", ln)
		}
		in.alg, in.value = a, vals[0]
	}
	if t := h.Get("X-Amz-Trailer"); t != "" {
		a := algByHeader(strings.TrimSpace(t))
		if a == nil || strings.Contains(t, ",") {
			return in, s3err.New(s3err.InvalidRequest, "The value of x-amz-trailer, %q, is not an x-amz-checksum-* header this server supports.", t)
		}
		if in.alg != nil {
			return in, s3err.New(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		in.alg, in.trailer = a, true
	}
	if name := h.Get("X-Amz-Sdk-Checksum-Algorithm"); name != "" {
		a := algByName(name)
		if a == nil {
			return in, s3err.New(s3err.InvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		if in.alg != nil && in.alg != a {
			return in, s3err.New(s3err.InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		in.alg = a
	}
	return in, nil
}

// checkedBody reads a body through the checks a client declared: it
// computes the MD5 and the checksum as the bytes stream and, at the end,
// returns BadDigest instead of io.EOF when one does not match, so that a
// store writing from it keeps nothing. It also computes the checksum to
// record when none was declared.
type checkedBody struct {
	r       io.Reader
	decl    integrity
	trailer func(name string) (string, bool)
	md5     hash.Hash
	alg     *checksumAlg
	sum     hash.Hash
	err     error
	// checksum is the verified or computed base64 checksum, set at the end.
	checksum string
}

// newCheckedBody returns a reader of r that enforces decl. When decl names
// no algorithm, fallback (if not nil) is computed instead. trailer looks
// up a trailing header once r has ended; it may be nil when decl has no
// trailer.
func newCheckedBody(r io.Reader, decl integrity, fallback *checksumAlg, trailer func(string) (string, bool)) *checkedBody {
	c := &checkedBody{r: r, decl: decl, trailer: trailer, alg: decl.alg}
	if decl.md5 != nil {
		c.md5 = md5.New()
	}
	if c.alg == nil {
		c.alg = fallback
	}
	if c.alg != nil {
		c.sum = c.alg.new()
	}
	return c
}

// Read reads from the body, failing at its end on a mismatch.
func (c *checkedBody) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	if n > 0 {
		if c.md5 != nil {
			c.md5.Write(p[:n])
		}
		if c.sum != nil {
			c.sum.Write(p[:n])
		}
	}
	if err == io.EOF {
		if ferr := c.finish(); ferr != nil {
			err = ferr
		}
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// finish compares the digests with the declared ones.
func (c *checkedBody) finish() error {
	if c.md5 != nil {
		got := c.md5.Sum(nil)
		if string(got) != string(c.decl.md5) {
			return s3err.New(s3err.BadDigest, "The Content-MD5 you specified did not match what we received.").
				With("ExpectedDigest", hex.EncodeToString(c.decl.md5)).
				With("CalculatedDigest", hex.EncodeToString(got))
		}
	}
	if c.sum == nil {
		return nil
	}
	got := base64.StdEncoding.EncodeToString(c.sum.Sum(nil))
	want := c.decl.value
	if c.decl.trailer {
		v, ok := "", false
		if c.trailer != nil {
			v, ok = c.trailer(c.alg.header)
		}
		if !ok {
			return s3err.New(s3err.IncompleteBody, "The request body ended without the trailing header %s that x-amz-trailer announced.", c.alg.header)
		}
		if !c.alg.valid(v) {
			return s3err.New(s3err.InvalidRequest, "Value for %s trailing header is invalid.", c.alg.header)
		}
		want = v
	}
	if want != "" && want != got {
		return s3err.New(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", c.alg.name)
	}
	c.checksum = got
	return nil
}

// checksums returns the checksum to record, by algorithm; nil before the
// end of the body or when there is none.
func (c *checkedBody) checksums() map[string]string {
	if c.checksum == "" {
		return nil
	}
	return map[string]string{c.alg.name: c.checksum}
}

// sha256Body checks a body against the hex SHA-256 its signature covers
// and returns XAmzContentSHA256Mismatch instead of io.EOF when it differs.
type sha256Body struct {
	r    io.Reader
	h    hash.Hash
	want string
	err  error
}

func newSHA256Body(r io.Reader, want string) *sha256Body {
	return &sha256Body{r: r, h: sha256.New(), want: want}
}

// Read reads from the body, failing at its end on a mismatch.
func (b *sha256Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	b.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(b.h.Sum(nil)); got != b.want {
			err = s3err.New(s3err.XAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.").
				With("ClientComputedContentSHA256", b.want).With("S3ComputedContentSHA256", got)
		}
	}
	if err != nil {
		b.err = err
	}
	return n, err
}
