package sigv4

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/s3err"
)

// MaxSkew is how far a request's date may be from the server's clock:
// S3 allows 15 minutes.
const MaxSkew = 15 * time.Minute

// Verifier checks the SigV4 signature of incoming requests, presigned
// (X-Amz-* query parameters) or header-signed (Authorization header), the
// way S3 does, and refuses them with S3's error codes and messages.
//
// Every error Verify returns is an *[s3err.Error].
type Verifier struct {
	// Lookup returns the credentials of an access key id, and false when the
	// key is unknown. A non-empty SessionToken must then be presented with
	// the request; a non-zero Expires is enforced. Required.
	Lookup func(accessKeyID string) (Credentials, bool)
	// Region is the region this endpoint serves; a scope naming another is
	// refused. Empty accepts any region.
	Region string
	// Service is the scope's service; empty means "s3".
	Service string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Signer derives and caches signing keys; nil means [DefaultSigner].
	Signer *Signer
	// DoubleEncodePath and NormalizePath select the path rules of services
	// other than S3; see [SignInput].
	DoubleEncodePath, NormalizePath bool
}

// Auth describes a request whose signature was verified.
type Auth struct {
	// AccessKeyID is the key that signed the request.
	AccessKeyID string
	// Presigned is true for a presigned URL, false for an Authorization header.
	Presigned bool
	// Time is the signing time (X-Amz-Date).
	Time time.Time
	// Expires is when a presigned URL stops working; zero for header auth.
	Expires time.Time
	// Region and Service are the credential scope's.
	Region, Service string
	// SignedHeaders lists the signed header names, lower-case, sorted.
	SignedHeaders []string
	// PayloadHash is what the signature covers of the body: a hex SHA-256
	// that the body must be checked against as it streams, UnsignedPayload,
	// or a STREAMING-* mode of the chunked encodings.
	PayloadHash string
	// Signature is the request's hex signature (the seed signature of a
	// chunked upload).
	Signature string
	// Algorithm is [Algorithm] or, for SigV4a, [AlgorithmV4a].
	Algorithm string
	// RegionSet is the regions a SigV4a signature is good for; nil for
	// SigV4, whose Region is the scope's.
	RegionSet []string

	key [32]byte
}

// SigningKey returns the derived signing key of the verified request, for
// checking the signatures of aws-chunked upload chunks.
func (a *Auth) SigningKey() [32]byte { return a.key }

// Scope returns the credential scope, "yyyymmdd/region/service/aws4_request"
// (no region for SigV4a).
func (a *Auth) Scope() string {
	return Scope{Date: a.Time.UTC().Format("20060102"), Region: a.Region, Service: a.Service}.String()
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) service() string {
	if v.Service == "" {
		return "s3"
	}
	return v.Service
}

func (v *Verifier) signer() *Signer {
	if v.Signer != nil {
		return v.Signer
	}
	return DefaultSigner
}

// IsPresigned reports whether r carries SigV4 query authentication.
func IsPresigned(r *http.Request) bool {
	q := r.URL.RawQuery
	return strings.Contains(q, "X-Amz-Algorithm=") || strings.Contains(q, "X-Amz-Credential=") ||
		strings.Contains(q, "X-Amz-Signature=")
}

// Verify checks r's signature. It reads only r's method, URL, Host and
// headers, never its body; when [Auth.PayloadHash] is a hash, the caller
// must check the body against it.
func (v *Verifier) Verify(r *http.Request) (*Auth, error) {
	if v.Lookup == nil {
		return nil, s3err.New(s3err.InternalError, "sigv4: Verifier has no Lookup")
	}
	authz := r.Header.Get("Authorization")
	presigned := IsPresigned(r)
	switch {
	case presigned && authz != "":
		return nil, s3err.New(s3err.InvalidArgument, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case presigned:
		return v.verifyQuery(r)
	case authz != "":
		return v.verifyHeader(r, authz)
	}
	return nil, s3err.New(s3err.AccessDenied, "Access Denied")
}

// parsed is what the two kinds of authentication have in common.
type parsed struct {
	accessKey, date, region, service string
	signed                           []string
	signature                        string
	t                                time.Time
	// regionSet is a SigV4a signature's; nil for SigV4.
	regionSet []string
}

// parseCredential parses a credential and checks its scope against the
// verifier's region and service; v4a parses SigV4a's, which has no region.
func (v *Verifier) parseCredential(cred, prefix string, code s3err.ErrorCode, v4a bool) (p parsed, err *s3err.Error) {
	c, perr := ParseCredential(cred)
	shape := "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"
	if v4a {
		c, perr = ParseCredentialV4a(cred)
		shape = "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request"
	}
	switch {
	case errors.Is(perr, ErrCredentialShape):
		return p, s3err.New(code, "%s the Credential is mal-formed; expecting \"%s\".", prefix, shape)
	case errors.Is(perr, ErrCredentialDate):
		return p, s3err.New(code, "%s incorrect date format %q. This date in the credential must be in the format \"yyyyMMdd\".", prefix, c.Scope.Date)
	}
	p.accessKey, p.date, p.region, p.service = c.AccessKeyID, c.Scope.Date, c.Scope.Region, c.Scope.Service
	if v4a {
		// The region set, checked by the caller, stands for the region.
	} else if v.Region != "" && p.region != v.Region {
		return p, s3err.New(code, "%s the region '%s' is wrong; expecting '%s'", prefix, p.region, v.Region).With("Region", v.Region)
	}
	if p.region == "" && !v4a {
		return p, s3err.New(code, "%s the region is empty", prefix)
	}
	if p.service != v.service() {
		return p, s3err.New(code, "%s incorrect service %q. This endpoint belongs to %q.", prefix, p.service, v.service())
	}
	if c.Terminal != Terminal {
		return p, s3err.New(code, "%s incorrect terminal %q. This endpoint uses \"aws4_request\".", prefix, c.Terminal)
	}
	return p, nil
}

// regionSet parses and checks a SigV4a X-Amz-Region-Set: regions
// separated by commas, one of which is the verifier's region or "*".
func (v *Verifier) regionSet(set string, code s3err.ErrorCode, prefix string) ([]string, *s3err.Error) {
	regions := strings.Split(set, ",")
	for i, r := range regions {
		regions[i] = strings.TrimSpace(r)
		if regions[i] == "" {
			return nil, s3err.New(code, "%s X-Amz-Region-Set %q has an empty region; give regions separated by commas, or *.", prefix, set)
		}
	}
	if v.Region == "" || slices.Contains(regions, "*") || slices.Contains(regions, v.Region) {
		return regions, nil
	}
	return nil, s3err.New(code, "%s the region set '%s' does not include '%s', the region of this endpoint.", prefix, set, v.Region).With("Region", v.Region)
}

func parseSignedHeaders(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	h := strings.Split(s, ";")
	for i, n := range h {
		if n == "" || n != strings.ToLower(n) || (i > 0 && h[i-1] >= n) {
			return nil, false
		}
	}
	return h, true
}

func isHexSignature(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok || ('A' <= s[i] && s[i] <= 'F') {
			return false
		}
	}
	return true
}

func (v *Verifier) verifyQuery(r *http.Request) (*Auth, error) {
	query, perr := ParseQuery(r.URL.RawQuery)
	if perr != nil {
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "The query string is malformed: %v", perr)
	}
	get := func(name string) (string, int) {
		val, n := "", 0
		for _, p := range query {
			if p.Name == name {
				val = p.Value
				n++
			}
		}
		return val, n
	}
	const missing = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	vals := map[string]string{}
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		val, n := get(name)
		if n == 0 {
			return nil, s3err.New(s3err.AuthorizationQueryParametersError, "%s", missing)
		}
		if n > 1 {
			return nil, s3err.New(s3err.AuthorizationQueryParametersError, "%s was given %d times; each X-Amz-* parameter must appear once.", name, n)
		}
		vals[name] = val
	}
	v4a := vals["X-Amz-Algorithm"] == AlgorithmV4a
	if !v4a && vals["X-Amz-Algorithm"] != Algorithm {
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\" and \"AWS4-ECDSA-P256-SHA256\"")
	}
	p, err := v.parseCredential(vals["X-Amz-Credential"], "Error parsing the X-Amz-Credential parameter;", s3err.AuthorizationQueryParametersError, v4a)
	if err != nil {
		return nil, err
	}
	if v4a {
		set, n := get("X-Amz-Region-Set")
		if n != 1 {
			return nil, s3err.New(s3err.AuthorizationQueryParametersError, "Query-string authentication with AWS4-ECDSA-P256-SHA256 requires one X-Amz-Region-Set parameter.")
		}
		if p.regionSet, err = v.regionSet(set, s3err.AuthorizationQueryParametersError, "Error parsing the X-Amz-Region-Set parameter;"); err != nil {
			return nil, err
		}
	}
	t, terr := time.Parse(TimeFormat, vals["X-Amz-Date"])
	if terr != nil {
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if p.date != vals["X-Amz-Date"][:8] {
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "Invalid credential date %q. Date is not the same as X-Amz-Date: %q.", p.date, vals["X-Amz-Date"][:8])
	}
	expStr := vals["X-Amz-Expires"]
	exp, eerr := strconv.ParseInt(expStr, 10, 64)
	switch {
	case eerr != nil && strings.HasPrefix(expStr, "-"):
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Expires must be non-negative")
	case eerr != nil:
		if len(strings.TrimLeft(expStr, "0123456789")) == 0 && expStr != "" {
			return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Expires should be a number")
	case exp < 0:
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Expires must be non-negative")
	case exp > int64(MaxExpires/time.Second):
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	signed, ok := parseSignedHeaders(vals["X-Amz-SignedHeaders"])
	if !ok {
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-SignedHeaders %q is malformed: it must list lower-case header names, sorted, separated by ';'.", vals["X-Amz-SignedHeaders"])
	}
	sig := vals["X-Amz-Signature"]
	if v4a && !isV4aSignature(sig) {
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Signature must be the lower-case hexadecimal DER of an ECDSA signature.")
	}
	// Upper-case hex is well-formed to S3, which then finds it does not
	// match (its signature is lower case): 403 SignatureDoesNotMatch.
	if !v4a && !isHexSignature(strings.ToLower(sig)) {
		return nil, s3err.New(s3err.AuthorizationQueryParametersError, "X-Amz-Signature must be 64 lower-case hexadecimal digits.")
	}
	p.signed, p.signature, p.t = signed, sig, t

	creds, known := v.Lookup(p.accessKey)
	if !known {
		return nil, s3err.New(s3err.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.").With("AWSAccessKeyId", p.accessKey)
	}
	now := v.now()
	if t.After(now.Add(MaxSkew)) {
		return nil, s3err.New(s3err.AccessDenied, "Request is not valid yet").
			With("X-Amz-Date", vals["X-Amz-Date"]).With("ServerTime", now.UTC().Format(time.RFC3339))
	}
	expires := t.Add(time.Duration(exp) * time.Second)
	if !now.Before(expires) {
		return nil, s3err.New(s3err.AccessDenied, "Request has expired").
			With("X-Amz-Expires", expStr).
			With("Expires", expires.UTC().Format(time.RFC3339)).
			With("ServerTime", now.UTC().Format(time.RFC3339))
	}
	token, nTok := get("X-Amz-Security-Token")
	if nTok == 0 {
		token = r.Header.Get("X-Amz-Security-Token")
	}
	if err := checkToken(creds, token, now); err != nil {
		return nil, err
	}
	if !contains(signed, "host") {
		return nil, s3err.New(s3err.AccessDenied, "There were headers present in the request which were not signed").With("HeadersNotSigned", "host")
	}
	var unsigned []string
	for name := range r.Header {
		ln := strings.ToLower(name)
		if strings.HasPrefix(ln, "x-amz-") && !contains(signed, ln) && ln != "x-amz-security-token" {
			unsigned = append(unsigned, ln)
		}
	}
	if len(unsigned) > 0 {
		slices.Sort(unsigned)
		return nil, s3err.New(s3err.AccessDenied, "There were headers present in the request which were not signed").With("HeadersNotSigned", strings.Join(unsigned, ", "))
	}

	// Two different payload hashes are refused as ambiguous; the loop
	// stops at the second, so it is linear in the query.
	first, nHashes := "", 0
	for _, qp := range query {
		if strings.EqualFold(qp.Name, "X-Amz-Content-Sha256") && (nHashes == 0 || qp.Value != first) {
			if nHashes++; nHashes == 1 {
				first = qp.Value
			} else {
				return nil, s3err.New(s3err.AuthorizationQueryParametersError, "The URL carries different payload hashes in X-Amz-Content-Sha256 parameters; give one.")
			}
		}
	}
	payload := UnsignedPayload
	if v.service() != "s3" {
		payload = EmptyPayloadHash // other services sign the body's hash: an empty one
	}
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && contains(signed, "x-amz-content-sha256") {
		payload = h
	} else if q, n := get("X-Amz-Content-Sha256"); n > 0 {
		payload = q
	}
	req := requestForVerify(r, signed, query)
	req.Query = query[:0:0]
	for _, qp := range query {
		if qp.Name != "X-Amz-Signature" {
			req.Query = append(req.Query, qp)
		}
	}
	return v.check(r, req, p, creds, payload, true, expires)
}

func (v *Verifier) verifyHeader(r *http.Request, authz string) (*Auth, error) {
	const mal = s3err.AuthorizationHeaderMalformed
	rest, ok := strings.CutPrefix(authz, Algorithm+" ")
	v4a := false
	if !ok {
		rest, ok = strings.CutPrefix(authz, AlgorithmV4a+" ")
		v4a = ok
	}
	if !ok {
		if strings.HasPrefix(authz, "AWS ") {
			return nil, s3err.New(s3err.InvalidRequest, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
		}
		return nil, s3err.New(mal, "The authorization header is malformed; the authorization header requires the \"AWS4-HMAC-SHA256\" algorithm.")
	}
	comps := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		k, val, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, s3err.New(mal, "The authorization header is malformed; the authorization component %q is malformed.", part)
		}
		if _, dup := comps[k]; dup {
			return nil, s3err.New(mal, "The authorization header is malformed; the authorization component %q appears twice.", k)
		}
		comps[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if _, ok := comps[k]; !ok {
			return nil, s3err.New(mal, "The authorization header is malformed; it lacks the %s component.", k)
		}
	}
	p, err := v.parseCredential(comps["Credential"], "The authorization header is malformed;", mal, v4a)
	if err != nil {
		return nil, err
	}
	signed, ok := parseSignedHeaders(comps["SignedHeaders"])
	if !ok {
		return nil, s3err.New(mal, "The authorization header is malformed; SignedHeaders %q must list lower-case header names, sorted, separated by ';'.", comps["SignedHeaders"])
	}
	if v4a {
		if !isV4aSignature(comps["Signature"]) {
			return nil, s3err.New(mal, "The authorization header is malformed; the Signature must be the lower-case hexadecimal DER of an ECDSA signature.")
		}
		set := r.Header.Get("X-Amz-Region-Set")
		if set == "" || !contains(signed, "x-amz-region-set") {
			return nil, s3err.New(mal, "The authorization header is malformed; AWS4-ECDSA-P256-SHA256 requires a signed X-Amz-Region-Set header.")
		}
		if p.regionSet, err = v.regionSet(set, mal, "The authorization header is malformed;"); err != nil {
			return nil, err
		}
	} else if !isHexSignature(strings.ToLower(comps["Signature"])) {
		return nil, s3err.New(mal, "The authorization header is malformed; the Signature must be 64 lower-case hexadecimal digits.")
	}
	var t time.Time
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		var terr error
		if t, terr = time.Parse(TimeFormat, d); terr != nil {
			return nil, s3err.New(s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
		}
	} else if d := r.Header.Get("Date"); d != "" {
		var terr error
		if t, terr = http.ParseTime(d); terr != nil {
			return nil, s3err.New(s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
		}
	} else {
		return nil, s3err.New(s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
	}
	if p.date != t.UTC().Format("20060102") {
		return nil, s3err.New(mal, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	p.signed, p.signature, p.t = signed, comps["Signature"], t
	creds, known := v.Lookup(p.accessKey)
	if !known {
		return nil, s3err.New(s3err.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.").With("AWSAccessKeyId", p.accessKey)
	}
	now := v.now()
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return nil, s3err.New(s3err.RequestTimeTooSkewed, "The difference between the request time and the current time is too large.").
			With("RequestTime", t.UTC().Format(TimeFormat)).
			With("ServerTime", now.UTC().Format(time.RFC3339)).
			With("MaxAllowedSkewMilliseconds", "900000")
	}
	if err := checkToken(creds, r.Header.Get("X-Amz-Security-Token"), now); err != nil {
		return nil, err
	}
	if !contains(signed, "host") {
		return nil, s3err.New(s3err.AccessDenied, "There were headers present in the request which were not signed").With("HeadersNotSigned", "host")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if v.service() == "s3" {
		switch {
		case payload == "":
			return nil, s3err.New(s3err.InvalidRequest, "Missing required header for this request: x-amz-content-sha256")
		case payload == UnsignedPayload, strings.HasPrefix(payload, "STREAMING-"):
		case len(payload) == 64 && isHexSignature(strings.ToLower(payload)):
			payload = strings.ToLower(payload)
		default:
			return nil, s3err.New(s3err.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.").
				With("ArgumentName", "x-amz-content-sha256").With("ArgumentValue", payload)
		}
		if !contains(signed, "x-amz-content-sha256") {
			return nil, s3err.New(s3err.AccessDenied, "There were headers present in the request which were not signed").With("HeadersNotSigned", "x-amz-content-sha256")
		}
		if v4a && strings.HasPrefix(payload, "STREAMING-") && payload != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
			return nil, s3err.New(s3err.NotImplemented, "A header you provided implies functionality that is not implemented: signed aws-chunked uploads with AWS4-ECDSA-P256-SHA256 (%s).", payload).
				With("Header", "x-amz-content-sha256")
		}
	} else if payload == "" {
		payload = EmptyPayloadHash
	}
	req := requestForVerify(r, signed, nil)
	q, perr := ParseQuery(r.URL.RawQuery)
	if perr != nil {
		return nil, s3err.New(s3err.InvalidArgument, "The query string is malformed: %v", perr)
	}
	req.Query = q
	return v.check(r, req, p, creds, payload, false, time.Time{})
}

func checkToken(creds Credentials, token string, now time.Time) *s3err.Error {
	if !creds.Expires.IsZero() && !now.Before(creds.Expires) {
		return s3err.New(s3err.ExpiredToken, "The provided token has expired.")
	}
	if creds.SessionToken == "" && token == "" {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(creds.SessionToken), []byte(token)) != 1 {
		return s3err.New(s3err.InvalidToken, "The provided token is malformed or otherwise invalid.")
	}
	return nil
}

// contains reports whether the sorted list of signed header names holds s,
// by binary search: a client controls both the list and how often it is
// asked.
func contains(sorted []string, s string) bool {
	_, ok := slices.BinarySearch(sorted, s)
	return ok
}

// requestForVerify returns the SigV4 view of r with exactly the signed
// headers. A signed header the request lacks is signed with an empty value,
// as S3 does, and so fails to match; except that for a presigned URL (query
// not nil) a signed x-amz-* header may come from a query parameter of the
// same name, as S3 takes it (a browser opening a URL sends no headers).
func requestForVerify(r *http.Request, signed []string, query []Param) *Request {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	req := &Request{Method: r.Method, Host: host, Path: r.URL.Path, RawPath: wirePath(r)}
	// The query's x-amz-* parameters by lower-case name, indexed once
	// when first needed: looking each signed name up in the whole query
	// would cost signed names × parameters.
	var fromQuery map[string][]string
	for _, name := range signed {
		switch name {
		case "host":
			continue
		case "content-length":
			if vals := r.Header.Values("Content-Length"); len(vals) > 0 {
				for _, val := range vals {
					req.Header = append(req.Header, Param{name, val})
				}
			} else if r.ContentLength >= 0 && (r.ContentLength > 0 || r.Body != nil && r.Body != http.NoBody) {
				req.Header = append(req.Header, Param{name, strconv.FormatInt(r.ContentLength, 10)})
			} else {
				req.Header = append(req.Header, Param{name, ""})
			}
			continue
		case "transfer-encoding":
			if len(r.TransferEncoding) > 0 {
				req.Header = append(req.Header, Param{name, strings.Join(r.TransferEncoding, ",")})
				continue
			}
		}
		vals := r.Header.Values(name)
		if len(vals) == 0 && query != nil && strings.HasPrefix(name, "x-amz-") {
			if fromQuery == nil {
				fromQuery = map[string][]string{}
				for _, p := range query {
					if len(p.Name) > 6 && strings.EqualFold(p.Name[:6], "x-amz-") {
						ln := strings.ToLower(p.Name)
						fromQuery[ln] = append(fromQuery[ln], p.Value)
					}
				}
			}
			vals = fromQuery[name]
		}
		if len(vals) == 0 {
			req.Header = append(req.Header, Param{name, ""})
		}
		for _, val := range vals {
			req.Header = append(req.Header, Param{name, val})
		}
	}
	return req
}

// wirePath returns the path of r exactly as the client sent it.
func wirePath(r *http.Request) string {
	if r.RequestURI != "" && r.RequestURI != "*" && strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	return r.URL.EscapedPath()
}

// check computes the signature of req and compares it with the request's.
// SDKs sign the path exactly as they send it, so the wire path is tried
// first; a client that sent an equivalent but differently escaped path
// (the same decoded key) is checked against the canonical encoding too.
func (v *Verifier) check(r *http.Request, req *Request, p parsed, creds Credentials, payload string, presigned bool, expires time.Time) (*Auth, error) {
	in := SignInput{
		Request:          req,
		Credentials:      Credentials{AccessKeyID: p.accessKey, SecretAccessKey: creds.SecretAccessKey},
		Region:           p.region,
		Service:          p.service,
		Time:             p.t,
		PayloadHash:      payload,
		DoubleEncodePath: v.DoubleEncodePath,
		NormalizePath:    v.NormalizePath,
		RegionSet:        p.regionSet,
	}
	s := v.signer()
	// matches reports whether the request's signature is the one of the
	// canonical request in w: the HMAC canonical returned, or, for
	// SigV4a, an ECDSA signature of w.sts by the credentials' key.
	matches := func(w *work, sum [32]byte) bool {
		if in.v4a() {
			key, err := s.v4a.get(p.accessKey, creds.SecretAccessKey)
			return err == nil && VerifyV4a(&key.PublicKey, string(w.sts), p.signature)
		}
		var want [64]byte
		hex.Encode(want[:], sum[:])
		return hmac.Equal(want[:], []byte(p.signature))
	}
	st := getState()
	var w work
	defer putState(st)
	ok := matches(&w, s.canonical(st, &w, &in, modeVerify))
	if !ok && !v.DoubleEncodePath && req.RawPath != "" && req.RawPath != string(appendPath(nil, &Request{Path: req.Path})) {
		alt := *req
		alt.RawPath = ""
		in.Request = &alt
		st2 := getState()
		var w2 work
		ok = matches(&w2, s.canonical(st2, &w2, &in, modeVerify))
		putState(st2)
	}
	if !ok {
		return nil, SignatureMismatch(p.accessKey, string(w.sts), p.signature, string(w.cr))
	}
	a := &Auth{
		AccessKeyID: p.accessKey, Presigned: presigned, Time: p.t, Expires: expires,
		Region: p.region, Service: p.service, SignedHeaders: p.signed,
		PayloadHash: payload, Signature: p.signature, Algorithm: Algorithm, RegionSet: p.regionSet,
	}
	if in.v4a() {
		a.Algorithm = AlgorithmV4a // no HMAC key: no chunk signatures
	} else {
		a.key = s.signingKey(creds.SecretAccessKey, []byte(p.date), p.region, p.service).key
	}
	return a, nil
}

// SignatureMismatch returns S3's SignatureDoesNotMatch error, with the
// details S3 gives: the access key id, the string to sign the server
// computed (and its bytes), the signature provided, and, when not empty,
// the canonical request (and its bytes).
func SignatureMismatch(accessKeyID, stringToSign, provided, canonicalRequest string) *s3err.Error {
	e := s3err.New(s3err.SignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.").
		With("AWSAccessKeyId", accessKeyID).
		With("StringToSign", stringToSign).
		With("SignatureProvided", provided).
		With("StringToSignBytes", spacedHex(stringToSign))
	if canonicalRequest != "" {
		e = e.With("CanonicalRequest", canonicalRequest).With("CanonicalRequestBytes", spacedHex(canonicalRequest))
	}
	return e
}

// spacedHex is s as S3 writes bytes in error details: two lower-case hex
// digits a byte, separated by spaces.
func spacedHex(s string) string {
	if s == "" {
		return ""
	}
	b := make([]byte, 0, len(s)*3)
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, hexPairs[2*int(s[i])], hexPairs[2*int(s[i])+1])
	}
	return string(b)
}
