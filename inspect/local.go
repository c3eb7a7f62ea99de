package inspect

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv2"
	"github.com/presign-dev/presign/sigv4"
)

// placeholderSecret signs when no secret is given: the canonical request
// and the string to sign do not depend on the secret, only the signature.
const placeholderSecret = "-"

// Canonical returns the canonical request and string to sign that S3
// computes for the URL sent with in.Method and header (the headers sent;
// names in any case, a name given twice is sent twice). A signed header
// missing from header is signed with the value of the x-amz-* query
// parameter of its name, as S3 reads those as headers, and else with an
// empty value, as S3 does when a request lacks it. With a secret, the explanation's Signature is the
// signature that secret makes; without one it is empty.
//
// It uses the same canonicalisation as the signer and the verifier of
// package sigv4. The path is signed as SDKs sign it: each byte of the
// decoded path percent-encoded once.
func (in *Inspection) Canonical(header []sigv4.Param, secret string) (sigv4.Explanation, error) {
	if in.Method == "" {
		return sigv4.Explanation{}, errNoMethod
	}
	si, err := in.signInput(header, secret)
	if err != nil {
		return sigv4.Explanation{}, err
	}
	var s sigv4.Signer
	exp, err := s.Explain(si, true)
	if err != nil {
		return sigv4.Explanation{}, fmt.Errorf("inspect: %w", err)
	}
	if secret == "" {
		exp.Signature = ""
	}
	return exp, nil
}

// signInput rebuilds what the signer signed.
func (in *Inspection) signInput(header []sigv4.Param, secret string) (*sigv4.SignInput, error) {
	if in.Algorithm != sigv4.Algorithm {
		return nil, parseErr("", "the URL is signed with %s, not %s", short(in.Algorithm), sigv4.Algorithm)
	}
	if in.Lifetime() < time.Second || in.Lifetime() > sigv4.MaxExpires {
		return nil, parseErr("", "X-Amz-Expires %d is outside 1 to 604800 seconds: S3 refuses the URL before checking its signature", in.LifetimeSeconds)
	}
	host := in.Host
	req := &sigv4.Request{Method: in.Method, Scheme: in.Scheme, Path: in.path}
	if wireSafe(in.RawPath) {
		// Signers sign the path they write in the URL, and clients send it
		// as written.
		req.RawPath = in.RawPath
	}
	for _, h := range header {
		if strings.EqualFold(h.Name, "host") {
			host = h.Value
		}
	}
	req.Host = host
	for _, name := range in.SignedHeaders {
		if name == "host" {
			continue
		}
		found := false
		for _, h := range header {
			if strings.EqualFold(h.Name, name) {
				req.Header = append(req.Header, sigv4.Param{Name: name, Value: h.Value})
				found = true
			}
		}
		if !found {
			// S3 reads an x-amz-* query parameter as the header of its
			// name: a signed header that is hoisted need not be sent.
			v := ""
			if strings.HasPrefix(name, "x-amz-") {
				v, _ = in.getFold(name)
			}
			req.Header = append(req.Header, sigv4.Param{Name: name, Value: v})
		}
	}
	for _, p := range in.query {
		if !authParam(p.Name) {
			req.Query = append(req.Query, p)
		}
	}
	payload := sigv4.UnsignedPayload
	if in.PayloadHash != "" {
		payload = in.PayloadHash
		for _, p := range in.query {
			// A hash the caller set, in another case, is what SDKs sign.
			if p.Name != pContentSHA256 && strings.EqualFold(p.Name, pContentSHA256) {
				payload = p.Value
			}
		}
	} else {
		for _, h := range req.Header {
			if h.Name == "x-amz-content-sha256" && h.Value != "" {
				payload = h.Value
			}
		}
	}
	if secret == "" {
		secret = placeholderSecret
	}
	return &sigv4.SignInput{
		Request:     req,
		Credentials: sigv4.Credentials{AccessKeyID: in.AccessKeyID, SecretAccessKey: secret, SessionToken: in.token},
		Region:      in.Scope.Region,
		Service:     in.Scope.Service,
		Time:        in.SignedAt,
		Expires:     in.Lifetime(),
		PayloadHash: payload,
	}, nil
}

// ErrOtherKey is returned by [Inspection.Verify] when the credentials are
// not those of the key that signed the URL.
var ErrOtherKey = errors.New("inspect: the credentials are for another access key than the URL's")

// Verify checks the URL's signature as S3 would, at in.Now, for a request
// with in.Method and header, and returns what was verified. creds are the
// signer's credentials; their session token, when empty, is taken from the
// URL (only S3 can tell whether a token is valid).
//
// Errors are an *[s3err.Error] with S3's code and details (for a signature
// mismatch, the canonical request and string to sign computed here),
// [ErrOtherKey], or a *[ParseError] when in has no method.
func (in *Inspection) Verify(creds sigv4.Credentials, header []sigv4.Param) (*sigv4.Auth, error) {
	if in.Method == "" {
		return nil, errNoMethod
	}
	if creds.AccessKeyID != in.AccessKeyID {
		return nil, fmt.Errorf("%w: the URL was signed by %s, the credentials are for %s", ErrOtherKey, in.AccessKeyID, creds.AccessKeyID)
	}
	if creds.SessionToken == "" {
		creds.SessionToken = in.token
	}
	u, err := url.Parse(in.URL)
	if err != nil {
		u = &url.URL{Scheme: in.Scheme, Host: in.Host, Path: in.path}
		u.RawQuery = in.rawQuery()
	}
	r := &http.Request{
		Method:     in.Method,
		URL:        u,
		Host:       in.Host,
		Header:     http.Header{},
		RequestURI: in.RawPath,
	}
	if q := in.rawQuery(); q != "" {
		r.RequestURI += "?" + q
	}
	for _, h := range header {
		if strings.EqualFold(h.Name, "host") {
			r.Host = h.Value
			continue
		}
		r.Header.Add(h.Name, h.Value)
	}
	if in.sigV2() {
		// The legacy scheme: sigv2 checks it; what the caller reads of
		// the result (who signed, when it expires) fits in a sigv4.Auth.
		v2 := &sigv2.Verifier{Lookup: func(id string) (string, bool) { return creds.SecretAccessKey, id == creds.AccessKeyID },
			Now: func() time.Time { return in.Now }}
		a, err := v2.Verify(sigv2.Request{HTTP: r, Bucket: in.Bucket, Virtual: in.Addressing == AddressingVirtual})
		if err != nil {
			return nil, err
		}
		return &sigv4.Auth{AccessKeyID: a.AccessKeyID, Presigned: true, Expires: a.Expires, Algorithm: AlgorithmV2, Signature: in.Signature}, nil
	}
	v := &sigv4.Verifier{
		Lookup:  func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		Service: in.Scope.Service,
		Now:     func() time.Time { return in.Now },
	}
	auth, err := v.Verify(r)
	if err != nil {
		var se *s3err.Error
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, err
	}
	return auth, nil
}

// getFold returns the value of the query parameter whose name equals name
// in any case.
func (in *Inspection) getFold(name string) (string, bool) {
	for _, p := range in.query {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// wireSafe reports whether a path is written as it goes on the wire: only
// printable ASCII, with well-formed escapes. A path with raw UTF-8 is
// percent-encoded by clients, and is signed so.
func wireSafe(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f {
			return false
		}
		if c == '%' && (i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2])) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// rawQuery returns the query as written in the URL.
func (in *Inspection) rawQuery() string {
	_, q, ok := strings.Cut(in.URL, "?")
	if !ok {
		return ""
	}
	q, _, _ = strings.Cut(q, "#")
	return q
}
