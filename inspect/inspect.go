package inspect

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// Severity says how bad a [Finding] is.
type Severity string

// The severities, worst first.
const (
	// SeverityError means S3 will refuse the URL.
	SeverityError Severity = "error"
	// SeverityWarning means the URL works but is risky or fragile.
	SeverityWarning Severity = "warning"
	// SeverityInfo is worth knowing and needs no action.
	SeverityInfo Severity = "info"
)

// Code identifies a kind of [Finding] or [Cause]. Its value is stable:
// programs may match on it; the human text may change.
type Code string

// String returns the code.
func (c Code) String() string { return string(c) }

// Finding is one thing worth saying about a URL: a reason it will fail, a
// risk, or a note.
type Finding struct {
	// Code names the kind of finding, such as "expired".
	Code Code `json:"code"`
	// Severity is error (S3 will refuse the URL), warning or info.
	Severity Severity `json:"severity"`
	// Message is one or two sentences for people, saying what and why.
	Message string `json:"message"`
}

// Param is one query parameter of the URL, decoded, with what it means.
type Param struct {
	// Name is the parameter's name as in the URL, decoded.
	Name string `json:"name"`
	// Value is the decoded value. A session token is shortened: the URL
	// itself holds it whole.
	Value string `json:"value"`
	// Meaning explains the parameter and its value in a sentence.
	Meaning string `json:"meaning"`
}

// Addressing is how the URL names the bucket.
type Addressing string

// The addressing styles.
const (
	// AddressingVirtual names the bucket in the host name:
	// https://bucket.s3.us-east-1.amazonaws.com/key.
	AddressingVirtual Addressing = "virtual-hosted"
	// AddressingPath names the bucket in the path:
	// https://s3.us-east-1.amazonaws.com/bucket/key.
	AddressingPath Addressing = "path"
	// AddressingAccessPoint names an S3 access point in the host name.
	AddressingAccessPoint Addressing = "access-point"
)

// EndpointKind is the kind of endpoint the host names.
type EndpointKind string

// The endpoint kinds.
const (
	EndpointRegional    EndpointKind = "aws-regional"     // s3.REGION.amazonaws.com
	EndpointGlobal      EndpointKind = "aws-global"       // s3.amazonaws.com
	EndpointLegacy      EndpointKind = "aws-legacy"       // s3-REGION.amazonaws.com, s3-external-1
	EndpointDualStack   EndpointKind = "aws-dualstack"    // s3.dualstack.REGION.amazonaws.com
	EndpointFIPS        EndpointKind = "aws-fips"         // s3-fips.REGION.amazonaws.com
	EndpointAccelerate  EndpointKind = "aws-accelerate"   // s3-accelerate.amazonaws.com
	EndpointAccessPoint EndpointKind = "aws-access-point" // NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com
	EndpointWebsite     EndpointKind = "aws-website"      // s3-website.REGION.amazonaws.com
	EndpointAWSOther    EndpointKind = "aws-other"        // another amazonaws.com host
	EndpointCustom      EndpointKind = "custom"           // an S3-compatible server: MinIO, Ceph, ...
)

// Status sums up whether the URL can still work.
type Status string

// The statuses.
const (
	// StatusOK means nothing found stops the URL from working. The
	// signature itself is not checked: that needs the secret (see
	// [Inspection.Verify]).
	StatusOK Status = "ok"
	// StatusExpired means the URL's lifetime is over.
	StatusExpired Status = "expired"
	// StatusNotYetValid means the URL is signed more than 15 minutes in the
	// future: S3 refuses it as "not yet valid".
	StatusNotYetValid Status = "not-yet-valid"
	// StatusWillFail means S3 will refuse the URL for another reason
	// listed in the findings.
	StatusWillFail Status = "will-fail"
)

// Scope is the credential scope of the signature.
type Scope struct {
	// Date is the scope's date, yyyymmdd.
	Date string `json:"date"`
	// Region is the scope's region, such as "us-east-1".
	Region string `json:"region"`
	// Service is the scope's service: "s3" for S3.
	Service string `json:"service"`
	// Terminal is "aws4_request".
	Terminal string `json:"terminal"`
}

// String returns the scope as written in the credential.
func (s Scope) String() string {
	return s.Date + "/" + s.Region + "/" + s.Service + "/" + s.Terminal
}

// Method sources: how [Inspection.Method] was decided.
const (
	MethodGiven       = "given"        // the caller said so
	MethodFromXID     = "x-id"         // the JS SDK's x-id names the operation
	MethodFromSubres  = "sub-resource" // uploads, uploadId&partNumber, ...
	MethodAssumed     = "assumed"      // nothing says; GET, as a browser sends
	MethodUnknown     = "unknown"      // several operations fit; give the method
	maxClockSkew      = sigv4.MaxSkew
	temporaryKeyStart = "ASIA"
	longTermKeyStart  = "AKIA"
)

// Inspection is everything a presigned URL says about itself. [Parse]
// fills it; it is plain data, ready for JSON.
type Inspection struct {
	// URL is the URL as given.
	URL string `json:"url"`
	// Method is the HTTP method the URL is used with: given, or inferred from
	// the URL ([Inspection.MethodSource] says how); empty when unknown.
	Method string `json:"method"`
	// MethodSource says how Method was decided: "given", "x-id",
	// "sub-resource", "assumed" or "unknown".
	MethodSource string `json:"methodSource"`
	// Operation is the S3 operation, such as "GetObject"; empty when the
	// method is unknown and several fit.
	Operation string `json:"operation"`
	// SubResources lists the S3 sub-resource parameters present, such as
	// "uploadId" and "partNumber".
	SubResources []string `json:"subResources,omitempty"`

	// Scheme is "https" or "http".
	Scheme string `json:"scheme"`
	// Host is the host and port, as written: the Host header.
	Host string `json:"host"`
	// Endpoint is scheme://host.
	Endpoint string `json:"endpoint"`
	// EndpointKind is the kind of endpoint: AWS regional, global, dual-stack,
	// accelerate, ..., or custom.
	EndpointKind EndpointKind `json:"endpointKind"`
	// HostRegion is the region the host names; empty for global and
	// accelerate endpoints and custom hosts.
	HostRegion string `json:"hostRegion,omitempty"`
	// Addressing says where the bucket is named.
	Addressing Addressing `json:"addressing"`
	// AddressingAssumed is true when the host does not tell (custom
	// endpoints) and the addressing, bucket and key are a guess.
	AddressingAssumed bool `json:"addressingAssumed,omitempty"`
	// Bucket is the bucket name (or the access point's name).
	Bucket string `json:"bucket"`
	// Key is the object key, decoded; empty for a bucket-level URL.
	Key string `json:"key"`
	// RawPath is the path as written in the URL.
	RawPath string `json:"rawPath"`

	// Algorithm is X-Amz-Algorithm.
	Algorithm string `json:"algorithm"`
	// AccessKeyID is the access key that signed the URL.
	AccessKeyID string `json:"accessKeyId"`
	// KeyKind is "long-term" for AKIA keys, "temporary" for ASIA keys or a
	// URL with a session token, and "unknown" otherwise.
	KeyKind string `json:"keyKind"`
	// Scope is the credential scope.
	Scope Scope `json:"scope"`
	// SignedAt is X-Amz-Date.
	SignedAt time.Time `json:"signedAt"`
	// LifetimeSeconds is X-Amz-Expires.
	LifetimeSeconds int64 `json:"lifetimeSeconds"`
	// ExpiresAt is SignedAt plus the lifetime.
	ExpiresAt time.Time `json:"expiresAt"`
	// SignedHeaders lists X-Amz-SignedHeaders.
	SignedHeaders []string `json:"signedHeaders"`
	// Grant is the presign-grant parameter: the id of the grant presign
	// serve issued the URL under; empty for other URLs.
	Grant string `json:"grant,omitempty"`
	// SessionToken is true when the URL carries X-Amz-Security-Token:
	// it was signed with temporary credentials.
	SessionToken bool `json:"sessionToken"`
	// PayloadHash is X-Amz-Content-Sha256 when the URL carries it.
	PayloadHash string `json:"payloadHash,omitempty"`
	// Signature is X-Amz-Signature.
	Signature string `json:"signature"`

	// Now is the time the inspection was made at.
	Now time.Time `json:"now"`
	// SecondsLeft is ExpiresAt minus Now, negative once expired.
	SecondsLeft int64 `json:"secondsLeft"`
	// Status sums up whether the URL can work.
	Status Status `json:"status"`

	// Params lists every query parameter in URL order, with its meaning.
	Params []Param `json:"parameters"`
	// Findings lists the errors, warnings and notes, worst first.
	Findings []Finding `json:"findings"`

	query    []sigv4.Param // every parameter, decoded, in order
	token    string
	path     string // decoded path
	hostname string // lower-case, without port
}

// ParseError is the error of [Parse] for a URL that is not a presigned
// URL, of [ParseErrorXML] for a document that is not S3's error, and of
// [Inspection.Canonical] and [Inspection.Verify] for a URL they cannot
// check: it says what is wrong and how to fix it.
type ParseError struct {
	// Msg says what is wrong.
	Msg string
	// Hint says how to fix it; may be empty.
	Hint string
}

// Error returns "inspect: MSG; HINT".
func (e *ParseError) Error() string { return "inspect: " + e.text() }

// text is "MSG; HINT", or MSG without a hint.
func (e *ParseError) text() string {
	if e.Hint == "" {
		return e.Msg
	}
	return e.Msg + "; " + e.Hint
}

func parseErr(hint, format string, args ...any) error {
	return &ParseError{Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// The query parameters of SigV4 query authentication.
const (
	pAlgorithm     = "X-Amz-Algorithm"
	pCredential    = "X-Amz-Credential"
	pDate          = "X-Amz-Date"
	pExpires       = "X-Amz-Expires"
	pSignedHeaders = "X-Amz-SignedHeaders"
	pSignature     = "X-Amz-Signature"
	pToken         = "X-Amz-Security-Token"
	pContentSHA256 = "X-Amz-Content-Sha256"
	pRegionSet     = "X-Amz-Region-Set"
	algorithmECDSA = "AWS4-ECDSA-P256-SHA256"
)

var required = []string{pAlgorithm, pCredential, pDate, pExpires, pSignedHeaders, pSignature}

// authParam reports whether name is one of the parameters the signer adds.
func authParam(name string) bool {
	switch name {
	case pAlgorithm, pCredential, pDate, pExpires, pSignedHeaders, pSignature, pToken:
		return true
	}
	return false
}

// maxURLLen bounds the input: S3 refuses request lines beyond 8 KiB.
const maxURLLen = 64 << 10

// Parse inspects a presigned URL. method is the HTTP method it will be
// used with; empty means inferred from the URL (the x-id parameter the JS
// SDK adds, or the sub-resources), and GET when nothing says. now is the
// time to judge expiry at; the zero time means time.Now().
//
// It returns a [*ParseError] for anything that is not a SigV4 presigned
// URL: not http(s), a malformed escape, a required X-Amz-* parameter
// missing or unreadable. Problems S3 would refuse a well-formed URL for
// (expired, a region that does not match the host, ...) are [Finding]s.
func Parse(rawURL, method string, now time.Time) (*Inspection, error) {
	if now.IsZero() {
		now = time.Now()
	}
	raw := strings.TrimSpace(rawURL)
	if raw == "" {
		return nil, parseErr("give the presigned URL, in quotes", "the URL is empty")
	}
	if len(raw) > maxURLLen {
		return nil, parseErr("S3 refuses request lines beyond 8 KiB", "the URL is %d bytes long", len(raw))
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f {
			what := "a control character"
			if c == ' ' {
				what = "a space"
			} else if c == '\n' || c == '\r' {
				what = "a line break"
			}
			return nil, parseErr("give the URL as one line, in quotes; spaces in keys are written %20",
				"the URL contains %s at byte %d", what, i+1)
		}
	}
	method = strings.ToUpper(strings.TrimSpace(method))
	if len(method) > 16 || strings.TrimLeft(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return nil, parseErr("use GET, PUT, HEAD, DELETE or POST", "%q is not an HTTP method", short(method))
	}
	in := &Inspection{URL: raw, Now: now.UTC()}
	if err := in.split(raw); err != nil {
		return nil, err
	}
	if err := in.auth(); err != nil {
		return nil, err
	}
	in.endpoint()
	in.operation(method)
	in.explain()
	in.check()
	return in, nil
}

// split parses the scheme, host, path and query.
func (in *Inspection) split(raw string) error {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return parseErr("give the whole URL, starting with https://", "%q is not a URL", short(raw))
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "https", "http":
	case "s3":
		return parseErr("presign url "+raw+" makes a presigned URL of it", "%q is an S3 URI, not a presigned URL", short(raw))
	default:
		return parseErr("a presigned URL starts with https:// (or http://)", "the URL's scheme is %q", scheme)
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	rest = rest[end:]
	if strings.Contains(authority, "@") {
		return parseErr("remove the user@ part", "the URL names a user (%q)", short(authority))
	}
	u, err := url.Parse(scheme + "://" + authority)
	if err != nil || u.Host == "" {
		return parseErr("check the host name after "+scheme+"://", "the URL's host %q is not valid", short(authority))
	}
	in.Scheme, in.Host = scheme, authority
	in.Endpoint = scheme + "://" + authority
	in.hostname = strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return parseErr("check the port after the host name", "the URL's port %q is not valid", port)
		}
	}

	var rawQuery, fragment string
	path := rest
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path, rest = path[:i], path[i:]
		if strings.HasPrefix(rest, "?") {
			rawQuery = rest[1:]
			if j := strings.IndexByte(rawQuery, '#'); j >= 0 {
				rawQuery, fragment = rawQuery[:j], rawQuery[j+1:]
			}
		} else {
			fragment = rest[1:]
		}
	}
	if path == "" {
		path = "/"
	}
	in.RawPath = path
	dec, err := url.PathUnescape(path)
	if err != nil {
		return parseErr("a '%' in a key is written %25", "the URL's path has a malformed %%-escape")
	}
	in.path = dec
	if fragment != "" {
		in.add(SeverityWarning, CodeFragment, fmt.Sprintf("the URL ends with #%s, which is never sent: if the key has a '#', it must be written %%23", short(fragment)))
	}
	if rawQuery == "" {
		return parseErr("a presigned URL carries X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature after '?'",
			"the URL has no query: it is not presigned")
	}
	q, err := sigv4.ParseQuery(rawQuery)
	if err != nil {
		return parseErr("a '%' in a value is written %25", "the URL's query has a malformed %%-escape")
	}
	in.query = q
	return nil
}

// get returns the value of the parameter called name and how many times it
// appears.
func (in *Inspection) get(name string) (string, int) {
	v, n := "", 0
	for _, p := range in.query {
		if p.Name == name {
			if n == 0 {
				v = p.Value
			}
			n++
		}
	}
	return v, n
}

// auth parses the X-Amz-* authentication parameters.
func (in *Inspection) auth() error {
	if _, n := in.get(pAlgorithm); n == 0 {
		if _, sig := in.get("Signature"); sig > 0 {
			if _, key := in.get("AWSAccessKeyId"); key > 0 {
				return in.authV2()
			}
		}
	}
	var missing []string
	for _, name := range required {
		switch _, n := in.get(name); {
		case n == 0:
			missing = append(missing, name)
		case n > 1:
			return parseErr("each X-Amz-* parameter appears once; S3 refuses the URL", "%s appears %d times", name, n)
		}
	}
	if _, n := in.get(pToken); n > 1 {
		return parseErr("each X-Amz-* parameter appears once; S3 refuses the URL", "%s appears %d times", pToken, n)
	}
	if len(missing) == len(required) {
		for _, p := range in.query {
			if strings.EqualFold(p.Name, pSignature) || strings.EqualFold(p.Name, pCredential) {
				return parseErr("S3 reads them with exactly that case: X-Amz-Signature, X-Amz-Credential, ...",
					"the X-Amz-* parameters are written in another case (%s)", p.Name)
			}
		}
		return parseErr("a presigned URL carries X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature",
			"the URL has none of the X-Amz-* parameters: it is not presigned")
	}
	if len(missing) > 0 {
		return parseErr("was it cut short? Quote the URL in the shell: everything after an unquoted & is lost",
			"the URL lacks %s", joinAnd(missing))
	}

	in.Algorithm, _ = in.get(pAlgorithm)
	cred, _ := in.get(pCredential)
	full := cred
	if in.Algorithm == algorithmECDSA && strings.Count(cred, "/") == 3 {
		// SigV4a's scope has no region: the region set stands in for it.
		set, _ := in.get(pRegionSet)
		akid, rest, _ := strings.Cut(cred, "/")
		date, rest, _ := strings.Cut(rest, "/")
		full = akid + "/" + date + "/" + set + "/" + rest
	}
	c, cerr := sigv4.ParseCredential(full)
	if errors.Is(cerr, sigv4.ErrCredentialShape) {
		return parseErr("it is written ACCESS-KEY-ID/yyyymmdd/REGION/s3/aws4_request, with each / as %2F",
			"X-Amz-Credential %q is malformed", short(cred))
	}
	in.AccessKeyID = c.AccessKeyID
	in.Scope = Scope{Date: c.Scope.Date, Region: c.Scope.Region, Service: c.Scope.Service, Terminal: c.Terminal}
	if errors.Is(cerr, sigv4.ErrCredentialDate) {
		return parseErr("the credential's date is yyyymmdd, the day of X-Amz-Date",
			"the date %q in X-Amz-Credential is not a date", short(in.Scope.Date))
	}
	date, _ := in.get(pDate)
	t, err := time.Parse(sigv4.TimeFormat, date)
	if err != nil || len(date) != len(sigv4.TimeFormat) {
		return parseErr("it is written yyyymmddTHHMMSSZ, in UTC, such as 20260115T120000Z",
			"X-Amz-Date %q is not a SigV4 time", short(date))
	}
	in.SignedAt = t
	exp, _ := in.get(pExpires)
	if exp == "" || strings.TrimLeft(exp, "0123456789") != "" {
		return parseErr("it is a number of seconds, 1 to 604800",
			"X-Amz-Expires %q is not a number of seconds", short(exp))
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || n > 1<<40 {
		n = 1 << 40 // beyond any real lifetime; reported as too long
	}
	in.LifetimeSeconds = n
	in.ExpiresAt = t.Add(time.Duration(n) * time.Second)
	sh, _ := in.get(pSignedHeaders)
	if sh != "" {
		in.SignedHeaders = strings.Split(sh, ";")
	}
	in.Signature, _ = in.get(pSignature)
	var tok int
	in.token, tok = in.get(pToken)
	in.SessionToken = tok > 0
	in.Grant, _ = in.get(grantParam)
	in.PayloadHash, _ = in.get(pContentSHA256)
	in.setKeyKind()
	return nil
}

// setKeyKind sets KeyKind from the access key and the session token.
func (in *Inspection) setKeyKind() {
	switch {
	case in.SessionToken || strings.HasPrefix(in.AccessKeyID, temporaryKeyStart):
		in.KeyKind = "temporary"
	case strings.HasPrefix(in.AccessKeyID, longTermKeyStart):
		in.KeyKind = "long-term"
	default:
		in.KeyKind = "unknown"
	}
}

// AlgorithmV2 is the Algorithm of a Signature Version 2 URL, which has no
// X-Amz-Algorithm.
const AlgorithmV2 = "AWS (Signature Version 2)"

// authV2 reads the parameters of a Signature Version 2 URL
// (AWSAccessKeyId, Expires, Signature): a legacy URL, explained with a
// warning, whose signing time and lifetime it does not say.
func (in *Inspection) authV2() error {
	for _, name := range []string{"AWSAccessKeyId", "Expires", "Signature"} {
		if _, n := in.get(name); n > 1 {
			return parseErr("each parameter appears once; S3 refuses the URL", "%s appears %d times", name, n)
		}
	}
	in.Algorithm = AlgorithmV2
	in.AccessKeyID, _ = in.get("AWSAccessKeyId")
	in.Signature, _ = in.get("Signature")
	exp, _ := in.get("Expires")
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || secs < 0 || secs > 1<<40 {
		return parseErr("SigV2's Expires is the Unix time, in seconds, at which the URL stops working",
			"Expires %q is not a Unix time", short(exp))
	}
	in.ExpiresAt = time.Unix(secs, 0).UTC()
	var tok int
	in.token, tok = in.get("x-amz-security-token")
	in.SessionToken = tok > 0
	in.Grant, _ = in.get(grantParam)
	in.setKeyKind()
	return nil
}

// sigV2 reports whether the URL is signed with Signature Version 2.
func (in *Inspection) sigV2() bool { return in.Algorithm == AlgorithmV2 }

// endpoint works out the endpoint kind, addressing, bucket and key.
func (in *Inspection) endpoint() {
	ep := analyzeHost(in.hostname)
	in.EndpointKind, in.HostRegion, in.Addressing, in.AddressingAssumed = ep.kind, ep.region, ep.addressing, ep.assumed
	path := strings.TrimPrefix(in.RawPath, "/")
	switch ep.addressing {
	case AddressingPath:
		bucket, key, _ := strings.Cut(path, "/")
		in.Bucket = unescape(bucket)
		in.Key = unescape(key)
	default:
		in.Bucket = ep.bucket
		in.Key = unescape(path)
	}
}

func unescape(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// endpointInfo is what a host name says.
type endpointInfo struct {
	kind       EndpointKind
	addressing Addressing
	assumed    bool
	bucket     string
	region     string
}

// analyzeHost reads an S3 host name (lower case, without port).
func analyzeHost(host string) endpointInfo {
	var labels []string
	for _, suffix := range []string{".amazonaws.com.cn", ".amazonaws.com"} {
		if rest, ok := strings.CutSuffix(host, suffix); ok && rest != "" {
			labels = strings.Split(rest, ".")
			break
		}
	}
	if labels == nil {
		return customHost(host)
	}
	n := len(labels)
	bucketBefore := func(i int) string { return strings.Join(labels[:i], ".") }
	// Find the S3 label, from the right: the bucket is everything before it.
	for i := n - 1; i >= 0; i-- {
		l := labels[i]
		after := labels[i+1:]
		info := endpointInfo{bucket: bucketBefore(i)}
		switch {
		case l == "s3" && len(after) == 0:
			info.kind = EndpointGlobal
		case l == "s3" && len(after) == 1 && isRegion(after[0]):
			info.kind, info.region = EndpointRegional, after[0]
		case l == "s3" && len(after) == 2 && after[0] == "dualstack" && isRegion(after[1]):
			info.kind, info.region = EndpointDualStack, after[1]
		case l == "s3-fips" && len(after) == 1 && isRegion(after[0]),
			l == "s3-fips" && len(after) == 2 && after[0] == "dualstack" && isRegion(after[1]):
			info.kind, info.region = EndpointFIPS, after[len(after)-1]
		case l == "s3-accelerate" && (len(after) == 0 || len(after) == 1 && after[0] == "dualstack"):
			info.kind = EndpointAccelerate
		case l == "s3-external-1" && len(after) == 0:
			info.kind, info.region = EndpointLegacy, "us-east-1"
		case strings.HasPrefix(l, "s3-website") && (len(after) == 1 && isRegion(after[0]) || len(after) == 0 && isRegion(strings.TrimPrefix(l, "s3-website-"))):
			info.kind = EndpointWebsite
			if len(after) == 1 {
				info.region = after[0]
			} else {
				info.region = strings.TrimPrefix(l, "s3-website-")
			}
		case l == "s3-global" && len(after) == 0 && i >= 2 && labels[i-1] == "accesspoint" && labels[i-2] == "mrap":
			// A Multi-Region Access Point: ALIAS.mrap.accesspoint.s3-global.
			info.kind, info.bucket = EndpointAccessPoint, bucketBefore(i-1)
			info.addressing = AddressingAccessPoint
			return info
		case l == "s3-accesspoint" && (len(after) == 1 && isRegion(after[0]) || len(after) == 2 && after[0] == "dualstack" && isRegion(after[1])):
			info.kind, info.region = EndpointAccessPoint, after[len(after)-1]
			info.addressing = AddressingAccessPoint
			return info
		case strings.HasPrefix(l, "s3-") && len(after) == 0 && isRegion(l[3:]):
			info.kind, info.region = EndpointLegacy, l[3:]
		default:
			continue
		}
		if info.bucket == "" {
			if info.kind == EndpointAccelerate || info.kind == EndpointWebsite {
				info.addressing = AddressingVirtual // no bucket: malformed, reported later
			} else {
				info.addressing = AddressingPath
			}
		} else {
			info.addressing = AddressingVirtual
		}
		return info
	}
	info := customHost(host)
	info.kind = EndpointAWSOther
	return info
}

// customHost guesses the addressing of an S3-compatible server's host.
func customHost(host string) endpointInfo {
	info := endpointInfo{kind: EndpointCustom, addressing: AddressingPath}
	if net.ParseIP(host) != nil || host == "localhost" {
		return info // an IP address or localhost cannot name a bucket
	}
	labels := strings.Split(host, ".")
	switch {
	case len(labels) == 2 && labels[1] == "localhost",
		len(labels) >= 3 && labels[1] == "s3":
		info.addressing, info.bucket = AddressingVirtual, labels[0]
	}
	info.assumed = true
	return info
}

// isRegion reports whether s looks like an AWS region: us-east-1,
// us-gov-west-1, cn-north-1, ap-southeast-2.
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for j := 0; j < len(p); j++ {
			c := p[j]
			if last && !('0' <= c && c <= '9') || !last && !('a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return len(parts[0]) == 2
}

// Query returns the URL's query parameters, decoded, in order.
func (in *Inspection) Query() []sigv4.Param {
	return append([]sigv4.Param(nil), in.query...)
}

// Expired reports whether the URL's lifetime is over at in.Now.
func (in *Inspection) Expired() bool { return !in.Now.Before(in.ExpiresAt) }

// Lifetime returns X-Amz-Expires as a duration.
func (in *Inspection) Lifetime() time.Duration {
	return time.Duration(in.LifetimeSeconds) * time.Second
}

// Failed reports whether a finding says S3 will refuse the URL.
func (in *Inspection) Failed() bool {
	for _, f := range in.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

func (in *Inspection) add(sev Severity, code Code, msg string) {
	in.Findings = append(in.Findings, Finding{Code: code, Severity: sev, Message: msg})
}

// short truncates s for quoting in an error message.
func short(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut < len(s) && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

func joinAnd(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

// errNoMethod is returned where a method is needed and none is known.
var errNoMethod = &ParseError{Msg: "the HTTP method is unknown: several operations fit this URL", Hint: "give the method"}
