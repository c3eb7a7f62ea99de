package s3server

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv2"
	"github.com/presign-dev/presign/sigv4"
)

// authParams are the query parameters of SigV4 query authentication, lower
// case; the other x-amz-* parameters of a presigned URL are hoisted headers.
var authParams = map[string]bool{
	"x-amz-algorithm":      true,
	"x-amz-credential":     true,
	"x-amz-date":           true,
	"x-amz-expires":        true,
	"x-amz-signedheaders":  true,
	"x-amz-signature":      true,
	"x-amz-security-token": true,
	"x-amz-content-sha256": true,
}

// withAuth verifies the request's signature, then passes on a clone of the
// request whose headers include the x-amz-* parameters hoisted into a
// presigned URL's query and whose body is checked against what the
// signature covers: its SHA-256, or the chunk signatures of an aws-chunked
// body, which it also decodes. POST form uploads pass unverified: the
// handler checks their policy and signature.
func (h *Handler) withAuth(next http.Handler) http.Handler {
	return h.adapt(func(w http.ResponseWriter, r *http.Request) error {
		st := stateOf(r)
		if isPostForm(r, st) {
			next.ServeHTTP(w, r)
			return nil
		}
		var a *sigv4.Auth
		switch {
		case sigv2.Is(r):
			if h.sigv4Only {
				return s3err.New(s3err.InvalidRequest, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
			}
			var err error
			if a, err = h.verifyV2(r, st); err != nil {
				return err
			}
		case anonymous(r) && st.bucket != "" && h.anonymousAllowed(r, st):
			st.leaveLane()
			next.ServeHTTP(w, r) // the bucket's canned ACL lets anyone (acl.go)
			return nil
		default:
			var err error
			a, err = h.verifier.Verify(r)
			st.leaveLane() // the expensive part of a large request is done
			if err != nil {
				return err
			}
		}
		st.auth = a
		r2 := r.Clone(r.Context())
		if a.Presigned {
			if err := hoist(r2); err != nil {
				return err
			}
		}
		if err := h.payload(r2, st, a); err != nil {
			return err
		}
		if h.grants != nil {
			gw, err := h.beginGrant(w, r, st, a)
			if err != nil {
				return err
			}
			if gw != nil {
				defer gw.end()
				w = gw
			}
		}
		next.ServeHTTP(w, r2)
		return nil
	})
}

// verifyV2 verifies a Signature Version 2 request, and returns it as an
// Auth: SigV2 signs no body, so the payload is unsigned (a Content-MD5,
// when sent, is checked as on any request).
func (h *Handler) verifyV2(r *http.Request, st *reqState) (*sigv4.Auth, error) {
	v2 := &sigv2.Verifier{Now: h.now, Lookup: func(id string) (string, bool) {
		c, ok := h.verifier.Lookup(id)
		return c.SecretAccessKey, ok
	}}
	a, err := v2.Verify(sigv2.Request{HTTP: r, Bucket: st.bucket, Virtual: st.virtual})
	st.leaveLane()
	if err != nil {
		return nil, err
	}
	return &sigv4.Auth{AccessKeyID: a.AccessKeyID, Presigned: a.Presigned, Expires: a.Expires, PayloadHash: sigv4.UnsignedPayload, Algorithm: sigv2Algorithm}, nil
}

// sigv2Algorithm names SigV2 in a verified request's Auth (the access log).
const sigv2Algorithm = "AWS (SigV2)"

// isPostForm reports whether r is a browser form upload: a POST of
// multipart/form-data to a bucket, without a query.
func isPostForm(r *http.Request, st *reqState) bool {
	if r.Method != http.MethodPost || st.bucket == "" || st.key != "" || r.URL.RawQuery != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// hoist copies the x-amz-* parameters of a presigned URL's query, other
// than the authentication ones, into r's headers, where the request does
// not set them itself. The signature covered them in the query.
func hoist(r *http.Request) error {
	q, err := sigv4.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return s3err.New(s3err.InvalidArgument, "The query string is malformed.")
	}
	set := map[string]bool{}
	for _, p := range q {
		ln := strings.ToLower(p.Name)
		if !strings.HasPrefix(ln, "x-amz-") || authParams[ln] {
			continue
		}
		if _, sent := r.Header[http.CanonicalHeaderKey(ln)]; sent && !set[ln] {
			continue
		}
		set[ln] = true
		r.Header.Add(ln, p.Value)
	}
	return nil
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}

// payload wraps r's body in the checks of a.PayloadHash.
func (h *Handler) payload(r *http.Request, st *reqState, a *sigv4.Auth) error {
	ph := a.PayloadHash
	switch ph {
	case sigv4.UnsignedPayload:
		return nil
	case streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer:
		if a.Presigned {
			return s3err.New(s3err.InvalidRequest, "A presigned URL cannot carry an aws-chunked body.")
		}
		dl := r.Header.Get("X-Amz-Decoded-Content-Length")
		if dl == "" {
			return s3err.New(s3err.MissingContentLength, "You must provide the x-amz-decoded-content-length header with an aws-chunked body.")
		}
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			return s3err.New(s3err.InvalidArgument, "x-amz-decoded-content-length %q is not a number of bytes.", dl).
				With("ArgumentName", "x-amz-decoded-content-length").With("ArgumentValue", dl)
		}
		var signer *chunkSigner
		if ph != streamingUnsignedTrailer {
			signer = newChunkSigner(a)
		}
		body := r.Body
		if body == nil {
			body = http.NoBody
		}
		cr := newChunkedReader(body, signer, ph != streamingSigned, n)
		st.chunked = cr
		r.Body = readCloser{cr, body}
		r.ContentLength = n
		r.Header.Set("Content-Length", itoa(n))
		if enc := removeToken(r.Header.Values("Content-Encoding"), "aws-chunked"); enc != "" {
			r.Header.Set("Content-Encoding", enc)
		} else {
			r.Header.Del("Content-Encoding")
		}
		return nil
	}
	if strings.HasPrefix(ph, "STREAMING-") {
		return s3err.New(s3err.NotImplemented, "The payload mode %s (SigV4a) is not supported; sign with SigV4.", ph).
			With("Header", "x-amz-content-sha256")
	}
	if len(ph) != 64 {
		return s3err.New(s3err.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* mode or a valid sha256 value.").
			With("ArgumentName", "x-amz-content-sha256").With("ArgumentValue", ph)
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readCloser{newSHA256Body(r.Body, ph), r.Body}
	} else if ph != sigv4.EmptyPayloadHash {
		r.Body = readCloser{newSHA256Body(http.NoBody, ph), http.NoBody}
	}
	return nil
}

// removeToken returns the comma-separated tokens of vals without tok,
// compared without case, joined by ",".
func removeToken(vals []string, tok string) string {
	var out []string
	for _, v := range vals {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" && !strings.EqualFold(t, tok) {
				out = append(out, t)
			}
		}
	}
	return strings.Join(out, ",")
}
