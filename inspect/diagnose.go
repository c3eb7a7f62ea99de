package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// The codes of the causes [Diagnose] names.
const (
	CauseWrongSecret      Code = "wrong-secret"
	CauseHeaderValue      Code = "header-value"
	CauseHeaderMissing    Code = "header-missing"
	CauseHeaderExtra      Code = "header-not-signed"
	CauseHostChanged      Code = "host-changed"
	CauseMethod           Code = "method"
	CauseKeyEncoding      Code = "key-encoding"
	CausePathSignedTwice  Code = "path-signed-encoded-twice"
	CausePlusAsSpace      Code = "plus-as-space"
	CauseOtherKey         Code = "other-key"
	CauseQueryChanged     Code = "query-changed"
	CausePayload          Code = "payload-hash"
	CauseWrongRegion      Code = "wrong-region"
	CauseScopeDate        Code = "scope-date"
	CauseOtherURL         Code = "other-url"
	CauseExpired          Code = "expired"
	CauseShortLifetime    Code = "short-lifetime"
	CauseClockSkew        Code = "clock-skew"
	CauseTimeZone         Code = "time-zone"
	CauseReplay           Code = "replayed"
	CauseCredsExpired     Code = "credentials-expired"
	CauseTokenMangled     Code = "token-mangled"
	CauseTokenInvalid     Code = "token-invalid"
	CauseUnknownKey       Code = "unknown-access-key"
	CausePermission       Code = "permission"
	CauseLifetimeTooLong  Code = "lifetime-over-7-days"
	CauseExpiresNotNumber Code = "expires-not-a-number"
	CauseURLCut           Code = "url-cut"
	CauseCredential       Code = "credential-malformed"
	CauseAlgorithm        Code = "algorithm"
	CauseHeaderAuth       Code = "header-auth"
	CauseNotAuth          Code = "not-a-signature-problem"
	CausePolicyCondition  Code = "post-policy-condition"
	CauseURLEdited        Code = "url-edited"
	CauseGrantRevoked     Code = "grant-revoked"
	CauseGrantUsedUp      Code = "grant-used-up"
	CauseUnknown          Code = "unknown"
)

// Cause is a likely reason for S3's refusal.
type Cause struct {
	// Code names the kind of cause, such as "header-value".
	Code Code `json:"code"`
	// Message says what happened and what to change, for people.
	Message string `json:"message"`
}

// Field is one detail element of S3's error.
type Field struct {
	// Name is the element's name, such as "ServerTime".
	Name string `json:"name"`
	// Value is its text, trimmed.
	Value string `json:"value"`
}

// Diagnosis explains an S3 error response to a presigned URL.
type Diagnosis struct {
	// From names who refused the request; empty means S3.
	From string `json:"from,omitempty"`
	// Code and Message are S3's.
	Code    s3err.ErrorCode `json:"code"`
	Message string          `json:"message"`
	// Details are the other elements of S3's error, in its order, without
	// the canonical request and string to sign (see the diffs).
	Details []Field `json:"details,omitempty"`
	// Causes are the likely causes, most likely first; never empty.
	Causes []Cause `json:"causes"`
	// Received describes the request S3 received, when the diagnosis could
	// reconstruct it (the method and the signed headers' values).
	Received string `json:"received,omitempty"`
	// CanonicalRequest and StringToSign compare S3's with the ones computed
	// here for a signature mismatch, when S3's error has them.
	CanonicalRequest *Diff `json:"canonicalRequest,omitempty"`
	StringToSign     *Diff `json:"stringToSign,omitempty"`
	// Notes are side remarks: what was assumed, what is missing.
	Notes []string `json:"notes,omitempty"`
}

// Local is what is known on this side of a refused request.
type Local struct {
	// Header holds the headers the request was sent with, as far as known.
	// A signed header not given here is taken to have the value S3's
	// canonical request shows.
	Header []sigv4.Param
	// Credentials, when not nil, are the credentials the URL was signed
	// with: they tell a wrong secret from a changed request.
	Credentials *sigv4.Credentials
}

// Diagnose explains S3's error document for the URL in: the likely causes,
// most likely first, and for a signature mismatch a line diff of S3's
// canonical request and string to sign against the ones computed here. in
// may be nil when the URL is not known; the diagnosis then rests on the
// error alone. It returns an error only when doc is not an S3 error
// document (see [ParseErrorXML]).
func Diagnose(in *Inspection, doc []byte, local Local) (*Diagnosis, error) {
	e, err := ParseErrorXML(doc)
	if err != nil {
		return nil, err
	}
	return DiagnoseError(in, e, local), nil
}

// DiagnoseError is [Diagnose] for an error already parsed.
func DiagnoseError(in *Inspection, e *s3err.Error, local Local) *Diagnosis {
	d := &Diagnosis{Code: e.Code, Message: e.Message}
	for _, f := range e.Details {
		switch f.Name {
		case "CanonicalRequest", "CanonicalRequestBytes", "StringToSign", "StringToSignBytes":
			continue
		}
		d.Details = append(d.Details, Field{f.Name, f.Value})
	}
	switch e.Code {
	case s3err.SignatureDoesNotMatch:
		d.signature(in, e, local)
	case s3err.AccessDenied:
		d.accessDenied(in, e)
	case s3err.RequestTimeTooSkewed:
		d.skewed(in, e)
	case s3err.AuthorizationQueryParametersError:
		d.queryParams(in, e)
	case s3err.ExpiredToken:
		d.cause(CauseCredsExpired, "the URL was signed with temporary credentials whose session has ended: a presigned URL dies with the credentials that signed it, whatever its X-Amz-Expires says; sign with credentials that outlive the URL, or sign again")
	case s3err.InvalidToken:
		if in != nil && strings.ContainsAny(in.token, " ") {
			d.cause(CauseTokenMangled, "the session token in the URL has a space where the SDK wrote '+' (as %2B): something decoded the URL on the way; pass the URL on exactly as it was made")
		}
		d.cause(CauseTokenInvalid, "S3 cannot read the URL's session token (X-Amz-Security-Token): it was changed or cut, or is from another partition; sign again")
	case s3err.InvalidAccessKeyID:
		key := detail(e, "AWSAccessKeyId")
		if key == "" && in != nil {
			key = in.AccessKeyID
		}
		d.cause(CauseUnknownKey, "S3 does not know the access key "+or(key, "that signed the URL")+": it was deleted or deactivated, belongs to another partition (China, GovCloud) or another server than AWS, or is a temporary (ASIA) key used without its session token")
	case s3err.AuthorizationHeaderMalformed:
		d.cause(CauseHeaderAuth, "S3 read an Authorization header, not the URL's query signature: the client signed the request itself. "+e.Message)
	default:
		d.cause(CauseNotAuth, "S3 did not complain about the signature: "+string(e.Code)+": "+or(e.Message, "no message"))
	}
	if len(d.Causes) == 0 {
		d.cause(CauseUnknown, "S3 says: "+string(e.Code)+": "+or(e.Message, "no message"))
	}
	return d
}

func (d *Diagnosis) cause(code Code, msg string) {
	for _, c := range d.Causes {
		if c.Code == code && c.Message == msg {
			return
		}
	}
	d.Causes = append(d.Causes, Cause{code, msg})
}

func (d *Diagnosis) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

// canon is a canonical request split into its parts.
type canon struct {
	method, path, query string
	headers             []sigv4.Param
	signed, payload     string
}

func splitCanonical(cr string) (canon, bool) {
	lines := strings.Split(cr, "\n")
	if len(lines) < 6 {
		return canon{}, false
	}
	c := canon{method: lines[0], path: lines[1], query: lines[2]}
	i := 3
	for ; i < len(lines) && lines[i] != ""; i++ {
		name, value, _ := strings.Cut(lines[i], ":")
		c.headers = append(c.headers, sigv4.Param{Name: name, Value: value})
	}
	if i+3 != len(lines) {
		return canon{}, false
	}
	c.signed, c.payload = lines[i+1], lines[i+2]
	return c, true
}

func (c canon) header(name string) (string, bool) {
	for _, h := range c.headers {
		if h.Name == name {
			return h.Value, true
		}
	}
	return "", false
}

// stsHash returns the last field of a string to sign: the hex SHA-256 of
// the canonical request.
func stsHash(sts string) string {
	f := strings.Fields(sts)
	if len(f) == 0 {
		return ""
	}
	if h := f[len(f)-1]; hexSignature(h) {
		return h
	}
	return ""
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signature diagnoses SignatureDoesNotMatch.
func (d *Diagnosis) signature(in *Inspection, e *s3err.Error, local Local) {
	s3CR, crFolded, hasCR := signedText(e, "CanonicalRequest")
	s3STS, stsFolded, hasSTS := signedText(e, "StringToSign")
	if hasCR && hasSTS && !crFolded {
		if h := stsHash(s3STS); h != "" && h != sha256Hex(s3CR) {
			d.note("S3's string to sign does not end with the SHA-256 of its canonical request: one of the two was changed when copied")
		}
	}
	if in == nil {
		d.note("give the URL to compare S3's canonical request with the one it signs")
		if hasCR && !crFolded {
			d.CanonicalRequest = &Diff{S3: s3CR, Lines: diffLines(strings.Split(s3CR, "\n"), nil)}
		}
		d.cause(CauseUnknown, "the signature S3 computed differs from the URL's: the secret, the method, the path, the query or a signed header differs from what was signed")
		return
	}
	if key := detail(e, "AWSAccessKeyId"); key != "" && key != in.AccessKeyID {
		d.cause(CauseOtherURL, fmt.Sprintf("S3 checked a signature by access key %s, but this URL is signed by %s: the error is about another URL", key, in.AccessKeyID))
	}
	if in.sigV2() {
		// SigV2 signs the method, Content-MD5, Content-Type, Expires, the
		// x-amz-* headers and the resource; no canonical request to compare.
		if hasSTS {
			d.StringToSign = &Diff{S3: s3STS, Folded: stsFolded, Lines: diffLines(strings.Split(s3STS, "\n"), nil)}
		}
		d.cause(CauseWrongSecret, "the Signature Version 2 signature S3 computed differs from the URL's: the secret key is not the signer's, or the method, the path, Expires, a sub-resource (uploadId, partNumber, response-*), Content-Type, Content-MD5 or an x-amz-* header differs from what was signed; S3's StringToSign shows what it signed")
		return
	}
	if sig := detail(e, "SignatureProvided"); sig != "" && sig != in.Signature {
		d.cause(CauseOtherURL, "the signature S3 checked is not this URL's X-Amz-Signature: the error is about another URL, or the request was signed anew on the way")
	}

	var s3 canon
	okS3 := false
	if hasCR && !crFolded {
		s3, okS3 = splitCanonical(s3CR)
	}
	method := in.Method
	guessed := in.MethodSource == MethodAssumed || in.MethodSource == MethodUnknown
	if okS3 && guessed && s3.method != method {
		method = s3.method
		d.note("the URL does not say its method; S3 received %s, which is used here", s3.method)
	}
	if method == "" {
		d.cause(CauseUnknown, "the URL does not say its HTTP method and S3's error does not show it: give the method the request was sent with")
		return
	}
	base := *in
	base.Method = method

	// The headers as sent: as given, else as S3 saw them.
	header := append([]sigv4.Param(nil), local.Header...)
	var adopted []string
	for _, name := range in.SignedHeaders {
		if name == "host" || hasParam(header, name) {
			continue
		}
		if okS3 {
			if v, ok := s3.header(name); ok {
				header = append(header, sigv4.Param{Name: name, Value: v})
				adopted = append(adopted, name)
			}
		}
	}
	if len(adopted) > 0 {
		d.note("the values of %s are taken from S3's canonical request: S3 saw them so", joinAnd(adopted))
		var absent []string
		for _, name := range adopted {
			if v, _ := s3.header(name); v == "" {
				absent = append(absent, name)
			}
		}
		if len(absent) > 0 {
			d.cause(CauseHeaderMissing, "the request reached S3 without "+joinAnd(absent)+", which the URL signs: send "+joinAnd(headerHints(in, absent))+
				", with the value given when presigning")
		}
	}
	secret := ""
	if local.Credentials != nil && local.Credentials.AccessKeyID == in.AccessKeyID {
		secret = local.Credentials.SecretAccessKey
	} else if local.Credentials != nil {
		d.note("the credentials given are for %s, not the URL's key %s: they are not used", local.Credentials.AccessKeyID, in.AccessKeyID)
	}
	mine, err := base.Canonical(header, secret)
	if err != nil {
		why := err.Error()
		var pe *ParseError
		if errors.As(err, &pe) {
			why = pe.text()
		}
		d.cause(CauseUnknown, why)
		return
	}

	// The string to sign: date and scope first, for they name the region.
	if hasSTS {
		a := strings.Split(s3STS, "\n")
		if stsFolded {
			a = strings.Fields(s3STS)
		}
		d.StringToSign = &Diff{S3: s3STS, Local: mine.StringToSign, Folded: stsFolded,
			Lines: diffLines(a, strings.Split(mine.StringToSign, "\n"))}
		f := strings.Fields(s3STS)
		if len(f) == 4 {
			if f[1] != in.SignedAt.Format(sigv4.TimeFormat) {
				d.cause(CauseScopeDate, fmt.Sprintf("S3 signed for the time %s, but the URL's X-Amz-Date is %s: the URL was changed after signing", f[1], in.SignedAt.Format(sigv4.TimeFormat)))
			}
			if scope := strings.Split(f[2], "/"); len(scope) == 4 && scope[1] != in.Scope.Region {
				d.cause(CauseWrongRegion, fmt.Sprintf("S3 computed the signature for region %s, but the URL is signed for %s: presign for %s (servers other than AWS report a wrong region this way)",
					scope[1], in.Scope.Region, scope[1]))
			}
		}
	}

	same := false // S3 computed the canonical request computed here
	if okS3 {
		d.CanonicalRequest = &Diff{S3: s3CR, Local: mine.CanonicalRequest,
			Lines: diffLines(strings.Split(s3CR, "\n"), strings.Split(mine.CanonicalRequest, "\n"))}
		mineC, _ := splitCanonical(mine.CanonicalRequest)
		d.compare(in, s3, mineC)
		same = d.CanonicalRequest.Equal()
	} else {
		if hasCR && crFolded {
			d.CanonicalRequest = &Diff{S3: s3CR, Local: mine.CanonicalRequest, Folded: true,
				Lines: diffLines(strings.Fields(s3CR), strings.Fields(mine.CanonicalRequest))}
			d.note("S3's canonical request lost its line breaks when copied; it is compared word by word")
		}
		if h := stsHash(s3STS); hasSTS && h != "" {
			var sent []sigv4.Param
			var m string
			if same, sent, m = d.search(&base, header, h, mine); same {
				header, base.Method = sent, m
				if mine, err = base.Canonical(header, secret); err != nil {
					return
				}
			}
		} else if !hasCR {
			d.note("S3's error has neither the canonical request nor the string to sign: the cause cannot be pinned down")
		}
	}
	explained := slices.ContainsFunc(d.Causes, func(c Cause) bool { return c.Code != CauseOtherURL })
	switch {
	case same && !explained:
		d.sameRequest(&base, header, secret, mine)
	case !explained:
		d.cause(CauseUnknown, "S3 computed another canonical request than the URL describes, and its error does not show which part differs: give S3's whole error body, and the headers sent (--header)")
	}
}

func hasParam(ps []sigv4.Param, name string) bool {
	return slices.ContainsFunc(ps, func(p sigv4.Param) bool { return strings.EqualFold(p.Name, name) })
}

// compare names the causes of the differences between S3's canonical
// request and ours.
func (d *Diagnosis) compare(in *Inspection, s3, mine canon) {
	if s3.method != mine.method {
		switch in.MethodSource {
		case MethodFromXID, MethodFromSubres:
			d.cause(CauseMethod, fmt.Sprintf("S3 received a %s request, but the URL was made for %s (%s): the signature covers the method; send %s",
				s3.method, or(in.Operation, mine.method), mine.method, mine.method))
		default:
			d.cause(CauseMethod, fmt.Sprintf("S3 received a %s request, not %s: a presigned URL works only with the method it was signed for; if it was signed for %s, diagnose again with --method %s",
				s3.method, mine.method, s3.method, s3.method))
		}
	}
	if s3.path != mine.path {
		got, want := unescape(s3.path), unescape(mine.path)
		plus, _ := url.QueryUnescape(in.RawPath)
		switch {
		case got == want:
			d.cause(CauseKeyEncoding, fmt.Sprintf("the key reached S3 encoded differently (%s, where the URL signs %s): a client or proxy re-encoded the path; pass the URL on exactly as it is",
				short(s3.path), short(mine.path)))
		case unescape(got) == want:
			d.cause(CauseKeyEncoding, fmt.Sprintf("the path reached S3 encoded twice (%s, where the URL signs %s): something escaped the URL's %%-escapes again (encodeURI, a proxy); pass the URL on exactly as it is",
				short(s3.path), short(mine.path)))
		case got == plus || strings.ReplaceAll(want, "+", " ") == got:
			d.cause(CausePlusAsSpace, "S3 read the '+' in the path as a space: write '+' in keys as %2B (SDKs do)")
		default:
			d.cause(CauseOtherKey, fmt.Sprintf("S3 received the path %s, but the URL signs %s: a proxy or the endpoint's base path changed it",
				short(got), short(want)))
		}
	}
	if s3.query != mine.query {
		d.compareQuery(s3.query, mine.query)
	}
	names := map[string]bool{}
	for _, h := range append(append([]sigv4.Param(nil), s3.headers...), mine.headers...) {
		names[h.Name] = true
	}
	for _, name := range sortedKeys(names) {
		got, inS3 := s3.header(name)
		want, inMine := mine.header(name)
		switch {
		case got == want && inS3 == inMine:
		case name == "host":
			d.cause(CauseHostChanged, fmt.Sprintf("S3 received Host: %s, but the URL signs %s: a proxy, CDN or client changed the Host header; the request must reach S3 with the URL's host",
				printable(got), printable(want)))
		case !inS3 || !inMine:
			d.cause(CauseQueryChanged, "S3 and the URL disagree on which headers are signed: the X-Amz-SignedHeaders S3 read is not this URL's")
		case got == "":
			d.cause(CauseHeaderMissing, fmt.Sprintf("the request reached S3 without %s, which the URL signs: send %s: %s", name, headerCase(name), printable(want)))
		default:
			d.cause(CauseHeaderValue, fmt.Sprintf("S3 received %s: %s, but the request is said to send %s: the value sent must be the value signed (Content-Type is the usual one: browsers and HTTP libraries set their own)",
				headerCase(name), printable(got), printable(orText(want, `""`))))
		}
	}
	if s3.payload != mine.payload {
		d.cause(CausePayload, fmt.Sprintf("S3 used the payload hash %s, but the URL signs %s: the client sent an x-amz-content-sha256 header that disagrees with the URL",
			short(s3.payload), short(mine.payload)))
	}
}

// compareQuery names the query parameters added, removed or changed.
func (d *Diagnosis) compareQuery(s3q, mineq string) {
	a, errA := sigv4.ParseQuery(s3q)
	b, errB := sigv4.ParseQuery(mineq)
	if errA != nil || errB != nil {
		d.cause(CauseQueryChanged, "S3's canonical query differs from the URL's")
		return
	}
	var added, removed, changed []string
	for _, p := range a {
		if !hasExact(b, p) {
			if hasName(b, p.Name) {
				changed = append(changed, p.Name)
			} else {
				added = append(added, p.Name)
			}
		}
	}
	for _, p := range b {
		if !hasName(a, p.Name) {
			removed = append(removed, p.Name)
		}
	}
	switch {
	case len(added) > 0:
		d.cause(CauseQueryChanged, "the request added query parameters the URL does not sign: "+joinAnd(added)+"; a client, proxy or CDN appended them (every parameter is signed)")
	case len(removed) > 0:
		d.cause(CauseQueryChanged, "the request lost query parameters the URL signs: "+joinAnd(removed)+"; was the URL cut or rewritten?")
	case len(changed) > 0:
		d.cause(CauseQueryChanged, "the request changed the values of "+joinAnd(uniq(changed))+": pass the URL on exactly as it is")
	default:
		d.cause(CauseQueryChanged, "the query reached S3 encoded differently ('+' for a space, or another escape): pass the URL on exactly as it is")
	}
}

func hasExact(ps []sigv4.Param, p sigv4.Param) bool { return slices.Contains(ps, p) }
func hasName(ps []sigv4.Param, name string) bool {
	return slices.ContainsFunc(ps, func(q sigv4.Param) bool { return q.Name == name })
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// search looks for the request S3 received when its error shows only the
// string to sign: the last line is the SHA-256 of S3's canonical request,
// so each likely request's hash is compared with it: the methods, signed
// headers sent or not, and the path's '+' read as a space.
//
// It reports whether S3's request is the one the URL describes (its path,
// and its method when the URL says it), with the headers and method S3
// saw.
func (d *Diagnosis) search(base *Inspection, header []sigv4.Param, want string, mine sigv4.Explanation) (same bool, sent []sigv4.Param, method string) {
	guessed := base.MethodSource == MethodAssumed || base.MethodSource == MethodUnknown
	var unsent, hoisted []string // signed headers not given; those of them in the query
	for _, name := range base.SignedHeaders {
		if name != "host" && !hasParam(header, name) {
			unsent = append(unsent, name)
			if _, ok := base.getFold(name); ok && strings.HasPrefix(name, "x-amz-") {
				hoisted = append(hoisted, name)
			}
		}
	}
	type candidate struct {
		method  string
		header  []sigv4.Param
		path    string
		without bool // the hoisted headers signed empty, not from the query
	}
	methods := []string{base.Method}
	for _, m := range []string{"GET", "PUT", "HEAD", "DELETE", "POST"} {
		if m != base.Method {
			methods = append(methods, m)
		}
	}
	empty := append([]sigv4.Param(nil), header...)
	for _, name := range hoisted {
		empty = append(empty, sigv4.Param{Name: name, Value: ""})
	}
	plusPath, _ := url.QueryUnescape(base.RawPath)
	var cands []candidate
	for _, m := range methods {
		cands = append(cands, candidate{method: m, header: header, path: base.path})
		if len(hoisted) > 0 {
			cands = append(cands, candidate{method: m, header: empty, path: base.path, without: true})
		}
		if plusPath != base.path && plusPath != "" {
			cands = append(cands, candidate{method: m, header: header, path: plusPath})
		}
	}
	for i, c := range cands {
		exp := mine
		if i > 0 {
			try := *base
			try.Method, try.path = c.method, c.path
			if c.path != base.path {
				try.RawPath = ""
			}
			var err error
			if exp, err = try.Canonical(c.header, ""); err != nil {
				continue
			}
		}
		if sha256Hex(exp.CanonicalRequest) != want {
			continue
		}
		// Found: say what S3 received.
		var with []string
		missing := unsent
		if !c.without {
			missing = slices.DeleteFunc(slices.Clone(unsent), func(n string) bool { return slices.Contains(hoisted, n) })
			for _, name := range hoisted {
				v, _ := base.getFold(name)
				with = append(with, name+": "+v+" (from the query)")
			}
		}
		desc := c.method
		if len(with) > 0 {
			desc += ", with " + strings.Join(with, ", ")
		}
		if len(missing) > 0 {
			desc += ", without " + joinAnd(missing)
		}
		if c.path != base.path {
			desc += ", the path's '+' read as a space"
		}
		d.Received = desc
		d.note("S3's string to sign ends with the SHA-256 of its canonical request; of the likely requests, this one has it: %s", desc)
		if c.method != base.Method {
			if guessed {
				d.note("the URL does not say its method; S3 received %s", c.method)
			} else {
				d.cause(CauseMethod, fmt.Sprintf("S3 received a %s request, but the URL is for %s (%s): a presigned URL works only with the method it was signed for, and opening it in a browser sends GET",
					c.method, base.Method, methodSourceText(base.MethodSource)))
			}
		}
		if c.path != base.path {
			d.cause(CausePlusAsSpace, "S3 read the '+' in the path as a space: write '+' in keys as %2B (SDKs do)")
		}
		if len(missing) > 0 {
			d.cause(CauseHeaderMissing, "the request reached S3 without "+joinAnd(missing)+", which the URL signs: send "+joinAnd(headerHints(base, missing)))
		}
		explained := len(missing) > 0 || c.path != base.path || c.method != base.Method && !guessed
		return !explained, c.header, c.method
	}
	d.note("none of the likely requests (other methods, signed headers missing or as in the query) has the hash S3 computed: give S3's canonical request, or the headers sent (--header)")
	return false, nil, ""
}

// headerHints writes the headers to send: "X-Amz-Acl: public-read" when
// the query holds the value, else the name.
func headerHints(in *Inspection, names []string) []string {
	var out []string
	for _, name := range names {
		s := name
		if v, n := in.get(name); n > 0 {
			s = headerCase(name) + ": " + v
		}
		out = append(out, s)
	}
	return out
}

// sameRequest names the causes when S3 computed the canonical request the
// URL describes: then the secret, or a signed header's signed value,
// differs.
func (d *Diagnosis) sameRequest(base *Inspection, header []sigv4.Param, secret string, mine sigv4.Explanation) {
	others := base.otherSignedHeaders()
	headerCause := func() {
		var vals []string
		for _, name := range others {
			for _, h := range header {
				if strings.EqualFold(h.Name, name) {
					vals = append(vals, headerCase(name)+": "+printable(h.Value))
				}
			}
		}
		sent := ""
		if len(vals) > 0 {
			sent = " (sent: " + strings.Join(vals, ", ") + ")"
		}
		d.cause(CauseHeaderValue, "the URL signs "+joinAnd(others)+", and the request sent other values than were signed"+sent+"; Content-Type is the usual one: send exactly the value given when presigning")
	}
	if secret != "" {
		if base.RawPath != "" && strings.Contains(base.RawPath, "%") {
			try := *base
			try.RawPath = sigv4.Escape(base.RawPath, true)
			if exp, err := try.Canonical(header, secret); err == nil && exp.Signature == base.Signature {
				d.cause(CausePathSignedTwice, fmt.Sprintf("the URL was signed over its path encoded twice (%s), as a generic SigV4 signer does (aws-sdk-go-v2's v4.NewSigner() without DisableURIPathEscaping): S3 signs the path encoded once; presign with the S3 client's own presigner",
					short(try.RawPath)))
				return
			}
		}
		if v, ok := guessContentType(base, header, secret); ok {
			d.cause(CauseHeaderValue, fmt.Sprintf("the URL was signed with Content-Type: %s, and the request sent %s: send Content-Type: %s",
				printable(v), printable(orText(headerValue(header, "content-type"), "none")), printable(v)))
			return
		}
		if mine.Signature == base.Signature {
			d.cause(CauseWrongSecret, "S3 computed the request the URL describes, and the secret given makes the URL's signature: so S3 holds another secret for "+base.AccessKeyID+" (the key was rotated, deactivated, or belongs to another account or server)")
			return
		}
		if what, has, signed, ok := guessEdited(base, header, secret); ok {
			d.cause(CauseURLEdited, fmt.Sprintf("the %s is not the one that was signed: the URL has %s, the signature is for %s; the URL was changed after it was made (a typo, an edit, a proxy): use it as it was made",
				what, printable(has), printable(signed)))
			return
		}
		if len(others) > 0 {
			headerCause()
		}
		d.cause(CauseWrongSecret, "the URL was not signed by the secret given for "+base.AccessKeyID+" over this request: it was signed with another secret (or for another region), or its signature was changed")
		return
	}
	if len(others) > 0 {
		headerCause()
	}
	d.cause(CauseWrongSecret, "S3 computed the request the URL describes, so the signature itself is wrong: the URL was signed with a secret that is not the one S3 holds for "+base.AccessKeyID+" (a typo, another account, a rotated key), or the signature was changed; give the credentials to tell which")
}

// editChars are the characters tried in a one-character edit of a path.
const editChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./ ~!$&'()*+,;=:@"

// guessEdited finds, with the signer's secret, the request the signature
// was made for when the URL was changed after signing in one place: the
// port of its host (any port, or none), or one character of its path (a
// deletion, an insertion, a substitution or two neighbours swapped). It
// reports what differs, the URL's value and the signed one. The search is
// bounded: at most 65,536 hosts and, for a path of up to 256 bytes, about
// 170 candidates a byte, each a signature computation.
func guessEdited(base *Inspection, header []sigv4.Param, secret string) (what, has, signed string, ok bool) {
	matches := func(try *Inspection) bool {
		exp, err := try.Canonical(header, secret)
		return err == nil && exp.Signature == base.Signature
	}
	if hostHeader := headerValue(header, "host"); hostHeader == "" {
		name, port, err := net.SplitHostPort(base.Host)
		if err != nil {
			name, port = base.Host, ""
		}
		try := *base
		if port != "" {
			try.Host = name
			if matches(&try) {
				return "host", base.Host, name, true
			}
		}
		if port != "" || base.EndpointKind == EndpointCustom {
			for p := 1; p <= 65535; p++ {
				if strconv.Itoa(p) == port {
					continue
				}
				try.Host = net.JoinHostPort(name, strconv.Itoa(p))
				if matches(&try) {
					return "host", base.Host, try.Host, true
				}
			}
		}
	}
	path := base.path
	if len(path) > 256 {
		return "", "", "", false
	}
	try := *base
	try.RawPath = ""
	check := func(candidate string) bool {
		if candidate == path || !strings.HasPrefix(candidate, "/") {
			return false
		}
		try.path = candidate
		return matches(&try)
	}
	for i := 1; i <= len(path); i++ {
		if i < len(path) && check(path[:i]+path[i+1:]) {
			return "path", path, try.path, true
		}
		if i+1 < len(path) && check(path[:i]+string(path[i+1])+string(path[i])+path[i+2:]) {
			return "path", path, try.path, true
		}
		for j := 0; j < len(editChars); j++ {
			c := string(editChars[j])
			if i < len(path) && check(path[:i]+c+path[i+1:]) {
				return "path", path, try.path, true
			}
			if check(path[:i] + c + path[i:]) {
				return "path", path, try.path, true
			}
		}
	}
	return "", "", "", false
}

// commonTypes are the Content-Type values tried to find the one a URL was
// signed with.
var commonTypes = []string{"", "application/octet-stream", "binary/octet-stream", "image/jpeg", "image/png", "image/gif",
	"image/webp", "image/svg+xml", "image/heic", "application/pdf", "application/json", "application/xml", "application/zip",
	"application/gzip", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "text/plain;charset=UTF-8",
	"text/plain; charset=utf-8", "text/html", "text/csv", "video/mp4", "video/quicktime", "audio/mpeg"}

// guessContentType finds, with the signer's secret, the Content-Type the
// URL was signed with, when it signs one and the request sent another.
func guessContentType(base *Inspection, header []sigv4.Param, secret string) (string, bool) {
	if !slices.Contains(base.SignedHeaders, "content-type") {
		return "", false
	}
	sent := headerValue(header, "content-type")
	for _, ct := range commonTypes {
		if ct == sent {
			continue
		}
		var try []sigv4.Param
		for _, h := range header {
			if !strings.EqualFold(h.Name, "content-type") {
				try = append(try, h)
			}
		}
		try = append(try, sigv4.Param{Name: "content-type", Value: ct})
		if exp, err := base.Canonical(try, secret); err == nil && exp.Signature == base.Signature {
			return ct, true
		}
	}
	return "", false
}

func headerValue(ps []sigv4.Param, name string) string {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p.Value
		}
	}
	return ""
}

// accessDenied diagnoses AccessDenied.
func (d *Diagnosis) accessDenied(in *Inspection, e *s3err.Error) {
	msg := strings.TrimSuffix(e.Message, ".")
	server, okServer := parseTime(detail(e, "ServerTime"))
	switch {
	case strings.EqualFold(msg, "Request has expired"):
		expires, okExp := parseTime(detail(e, "Expires"))
		if !okExp && in != nil {
			expires, okExp = in.ExpiresAt, true
		}
		if !okExp || !okServer {
			d.cause(CauseExpired, "the URL had expired when S3 received it: make a new one")
			return
		}
		d.cause(CauseExpired, fmt.Sprintf("the URL expired at %s and reached S3 at %s, %s late: make a new URL, closer to when it is used",
			fmtTime(expires), fmtTime(server), fmtDuration(server.Sub(expires))))
		var signedAt time.Time
		var lifetime time.Duration
		if in != nil {
			if !in.ExpiresAt.Equal(expires) {
				d.cause(CauseOtherURL, fmt.Sprintf("S3's Expires (%s) is not this URL's (%s): the error is about another URL", fmtTime(expires), fmtTime(in.ExpiresAt)))
			}
			signedAt, lifetime = in.SignedAt, in.Lifetime()
		} else if s, err := strconv.ParseInt(detail(e, "X-Amz-Expires"), 10, 64); err == nil {
			lifetime = time.Duration(s) * time.Second
			signedAt = expires.Add(-lifetime)
		}
		if lifetime > 0 && lifetime <= 5*time.Minute {
			d.cause(CauseShortLifetime, fmt.Sprintf("the URL lived only %s: a page left open, a retry or a queue outlives that; make the URL when it is used, or give it a longer lifetime", fmtDuration(lifetime)))
		}
		if !signedAt.IsZero() && server.Sub(signedAt) < 24*time.Hour {
			d.cause(CauseClockSkew, fmt.Sprintf("if the URL was used as soon as it was made, the clock of the machine that signed it is %s slow (X-Amz-Date %s, S3's time %s): set it by NTP",
				fmtDuration(server.Sub(signedAt)), fmtTime(signedAt), fmtTime(server)))
		}
	case strings.EqualFold(msg, "Request is not yet valid"):
		signedAt, ok := parseAmzTime(detail(e, "X-Amz-Date"))
		if !ok && in != nil {
			signedAt, ok = in.SignedAt, true
		}
		if !ok || !okServer {
			d.cause(CauseClockSkew, "the URL is signed at a time still in the future for S3: the signing machine's clock is fast; set it by NTP")
			return
		}
		d.cause(CauseClockSkew, fmt.Sprintf("the URL is signed at %s, %s ahead of S3's time %s: the signing machine's clock is fast, or the time was given in another unit or zone; set it by NTP",
			fmtTime(signedAt), fmtDuration(signedAt.Sub(server)), fmtTime(server)))
		if raw := detail(e, "X-Amz-Date"); raw != "" && strings.TrimLeft(raw, "0123456789") == "" && len(raw) >= 12 {
			d.cause(CauseClockSkew, fmt.Sprintf("X-Amz-Date %s is a count of milliseconds, not yyyymmddTHHMMSSZ: the signer wrote the time in the wrong format", raw))
		}
	case strings.HasPrefix(msg, "Invalid according to Policy"):
		// A POST form that its own policy refuses: name the condition.
		cond := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(msg, "Invalid according to Policy"), ":"))
		switch {
		case strings.HasPrefix(cond, "Policy Condition failed:"):
			cond = strings.TrimSpace(strings.TrimPrefix(cond, "Policy Condition failed:"))
			d.cause(CausePolicyCondition, "the form's fields break its own policy: the condition "+cond+" failed. Send the field with a value it allows (for a Content-Type condition, the file's type), or ask for a form that fits the file")
		case strings.HasPrefix(cond, "Extra input fields:"):
			d.cause(CausePolicyCondition, "the form has fields its policy does not cover ("+strings.TrimSpace(strings.TrimPrefix(cond, "Extra input fields:"))+"): remove them, or ask for a form that allows them")
		default:
			d.cause(CausePolicyCondition, "the form breaks its own policy: "+or(cond, msg))
		}
	case strings.Contains(msg, "the grant was revoked"):
		grant := ""
		if in != nil && in.Grant != "" {
			grant = " " + in.Grant
		}
		d.cause(CauseGrantRevoked, "presign serve's store refused the URL because its grant"+grant+" was revoked ("+strings.TrimPrefix(msg, "Access Denied: ")+"): the signature is fine, but the URL was taken back on purpose; ask its issuer for a new one")
	case strings.Contains(msg, "the grant is used up"):
		d.cause(CauseGrantUsedUp, "presign serve's store refused the URL because it was issued for a limited number of uses (singleUse or maxUses) and they are spent, or the last is under way in another request ("+strings.TrimPrefix(msg, "Access Denied: ")+"): ask for a new URL, with more uses if it is meant to be used again")
	case strings.HasPrefix(msg, "There were headers present in the request which were not signed"):
		names := detail(e, "HeadersNotSigned")
		if strings.TrimSpace(names) == "host" {
			d.cause(CauseHeaderExtra, "the URL's X-Amz-SignedHeaders does not list host (was it written content-type%253Bhost, encoded twice?): presign again")
			return
		}
		d.cause(CauseHeaderExtra, "the request sent "+or(names, "x-amz-* headers")+", which the URL does not sign: S3 refuses unsigned x-amz-* headers; do not send them, or presign with them")
	default:
		what := "the request"
		if in != nil && in.Operation != "" {
			what = in.Operation + " on " + printable(in.Bucket) + "/" + printable(in.Key)
		}
		d.cause(CausePermission, "the signature is fine, but the signer may not do "+what+": a presigned URL can do only what its signer can (IAM and bucket policies, a KMS key's policy, an SCP, Block Public Access)")
	}
}

// skewed diagnoses RequestTimeTooSkewed.
func (d *Diagnosis) skewed(in *Inspection, e *s3err.Error) {
	req, okReq := parseAmzTime(detail(e, "RequestTime"))
	server, okServer := parseTime(detail(e, "ServerTime"))
	if !okReq || !okServer {
		d.cause(CauseClockSkew, "the request's time is more than 15 minutes from S3's: set the signing machine's clock by NTP")
		return
	}
	skew := req.Sub(server)
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	hours := math.Round(skew.Hours())
	off := skew - time.Duration(hours)*time.Hour
	switch {
	case math.Abs(skew.Hours()) >= 24:
		d.cause(CauseReplay, fmt.Sprintf("the request was signed %s %s S3's time (%s, S3: %s): a stored request was sent again, or the clock is days off",
			fmtDuration(skew), dir, fmtTime(req), fmtTime(server)))
	case hours != 0 && off.Abs() <= 2*time.Minute:
		d.cause(CauseTimeZone, fmt.Sprintf("the request's time is %s %s S3's, almost exactly %d hour(s): a local time was taken for UTC, or the time zone or daylight saving time is wrong (request: %s, S3: %s)",
			fmtDuration(skew), dir, int(math.Abs(hours)), fmtTime(req), fmtTime(server)))
	}
	d.cause(CauseClockSkew, fmt.Sprintf("the signing machine's clock is %s %s S3's (request: %s, S3: %s); S3 allows 15 minutes: set it by NTP",
		fmtDuration(skew), dir, fmtTime(req), fmtTime(server)))
	if in != nil {
		d.note("S3 checks the clock of requests signed with an Authorization header; a presigned URL is checked against its expiry instead: the request was signed again on the way, not sent with the URL's signature")
	}
}

var regionWrong = regexp.MustCompile(`the region '([^']*)' is wrong; expecting '([^']*)'`)

// queryParams diagnoses AuthorizationQueryParametersError.
func (d *Diagnosis) queryParams(in *Inspection, e *s3err.Error) {
	msg := e.Message
	switch m := regionWrong.FindStringSubmatch(msg); {
	case m != nil:
		d.cause(CauseWrongRegion, fmt.Sprintf("the URL is signed for region %s, but the bucket is in %s: presign with the region %s (presign url --region %s)", m[1], m[2], m[2], m[2]))
	case strings.Contains(msg, "must be less than a week"):
		d.cause(CauseLifetimeTooLong, "the URL's X-Amz-Expires is more than 604800 seconds (7 days), the most S3 accepts: presign for 7 days or less")
	case strings.Contains(msg, "X-Amz-Expires should be a number"), strings.Contains(msg, "X-Amz-Expires must be non-negative"):
		d.cause(CauseExpiresNotNumber, "the URL's X-Amz-Expires is not a number of seconds (an SDK wrote undefined or a negative number?): presign with a lifetime of 1 to 604800 seconds")
	case strings.Contains(msg, "requires the X-Amz-Algorithm"):
		d.cause(CauseURLCut, "the request lacked some X-Amz-* parameters: the URL was cut on the way; in a shell, an unquoted & ends the command, so quote the URL")
	case strings.Contains(msg, "X-Amz-Algorithm only supports"):
		d.cause(CauseAlgorithm, "the URL's X-Amz-Algorithm is not AWS4-HMAC-SHA256")
	case strings.Contains(msg, "Invalid credential date"), strings.Contains(msg, "Date is not the same as X-Amz-Date"):
		d.cause(CauseCredential, "the date in X-Amz-Credential is not the day of X-Amz-Date: the URL was changed after signing")
	case strings.Contains(msg, "X-Amz-Credential"), strings.Contains(msg, "Credential is mal-formed"):
		d.cause(CauseCredential, "S3 cannot read X-Amz-Credential: it must be ACCESS-KEY-ID/yyyymmdd/REGION/s3/aws4_request, each / written %2F; was it changed or cut?")
	default:
		d.cause(CauseUnknown, "S3 cannot read the URL's X-Amz-* parameters: "+msg)
	}
}

// parseTime reads S3's ISO 8601 times: 2018-03-29T11:17:34Z, with or
// without milliseconds.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseAmzTime reads an X-Amz-Date, or a count of seconds or milliseconds
// since 1970, which broken signers write.
func parseAmzTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(sigv4.TimeFormat, s); err == nil {
		return t, true
	}
	if t, ok := parseTime(s); ok {
		return t, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n > 1e11 {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}
