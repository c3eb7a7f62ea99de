package sigv4

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Constants of the SigV4 wire format.
const (
	// Algorithm is the only algorithm this package signs with.
	Algorithm = "AWS4-HMAC-SHA256"
	// UnsignedPayload is the payload hash of a request whose body is not signed.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// EmptyPayloadHash is the hex SHA-256 of an empty body.
	EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// TimeFormat is the layout of X-Amz-Date.
	TimeFormat = "20060102T150405Z"
	// MaxExpires is the longest lifetime of a presigned URL: 7 days.
	MaxExpires = 7 * 24 * time.Hour
)

// Param is one query parameter or header: a name and a value, both decoded.
type Param struct {
	Name, Value string
}

// Request is what SigV4 covers of an HTTP request.
type Request struct {
	// Method is the HTTP method, such as "GET".
	Method string
	// Scheme is "https" or "http"; it is used only to build presigned URLs.
	Scheme string
	// Host is the Host header: the host name, with ":port" for a port that
	// is not the scheme's default.
	Host string
	// URLHost, when set, is the host written in a presigned URL where it
	// differs from the signed Host header (a request sent to one address
	// with another Host).
	URLHost string
	// Path is the decoded path, starting with "/". For S3 it is "/" plus the
	// key (virtual-hosted) or "/bucket/key" (path-style), byte for byte.
	Path string
	// Key, when not empty, is appended to Path after a '/': presigners pass
	// the bucket path and the object key apart, to spare a concatenation.
	Key string
	// RawPath, when set, is the path exactly as sent on the wire, and S3
	// signs it as it is; by default the wire path is Path (and Key) encoded
	// with [AppendEscape]. Services that double-encode sign the encoding of
	// the wire path.
	RawPath string
	// Query holds the query parameters, decoded, in the order they go in the
	// URL. Presigning adds the X-Amz-* parameters.
	Query []Param
	// Header holds the headers to sign besides Host. Names are
	// case-insensitive; a name given twice is signed as the values joined by
	// commas, in order.
	Header []Param
}

// QueryOrder is the order of parameters in a presigned URL. The signature
// does not depend on it (the canonical query is always sorted), but
// byte-for-byte compatibility with each SDK does.
type QueryOrder int

const (
	// QuerySorted sorts every parameter by name, X-Amz-Signature included,
	// as the JavaScript SDK v3 does.
	QuerySorted QueryOrder = iota
	// QueryAuthLast keeps the request's own parameters first, in order, then
	// X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
	// X-Amz-SignedHeaders, X-Amz-Security-Token and X-Amz-Signature last,
	// as botocore does.
	QueryAuthLast
)

// SignInput is everything a signature depends on.
type SignInput struct {
	// Request is the request to sign. It is not modified.
	Request *Request
	// Credentials sign the request.
	Credentials Credentials
	// Region is the scope's region, such as "us-east-1".
	Region string
	// Service is the scope's service, such as "s3".
	Service string
	// Time is the signing time (X-Amz-Date). It must not be zero.
	Time time.Time
	// PayloadHash is the last line of the canonical request: the hex SHA-256
	// of the body, or [UnsignedPayload]. Empty means [UnsignedPayload] when
	// presigning and [EmptyPayloadHash] when signing headers.
	PayloadHash string
	// Expires is the lifetime of a presigned URL, from 1 s to [MaxExpires]
	// in whole seconds. Query presigning only.
	Expires time.Duration
	// QueryOrder is the order of the presigned URL's parameters.
	QueryOrder QueryOrder
	// DoubleEncodePath signs the encoding of the wire path (the escaped path
	// encoded again), as services other than S3 do.
	DoubleEncodePath bool
	// NormalizePath removes "." , ".." and empty segments from the path
	// before signing, as services other than S3 do.
	NormalizePath bool
	// UnsignedSessionToken adds the session token after signing instead of
	// signing it, as a few services require.
	UnsignedSessionToken bool
	// ContentSHA256Header adds an x-amz-content-sha256 header carrying the
	// payload hash when signing headers, as S3 requires.
	ContentSHA256Header bool
	// RegionSet, when not empty, signs with SigV4a ([AlgorithmV4a]) for
	// these regions ("*" for all), as S3 Multi-Region Access Points
	// require; Region is then not used.
	RegionSet []string
}

// joinRegions joins a region set with commas, into a new string: the
// input must not escape through it, as it would through strings.Join.
func joinRegions(set []string) string {
	var b []byte
	for i, r := range set {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return string(b)
}

// v4a reports whether in signs with SigV4a.
func (in *SignInput) v4a() bool { return len(in.RegionSet) > 0 }

// Presigned is a presigned URL.
type Presigned struct {
	// URL is the complete presigned URL.
	URL string
	// Expires is when the URL stops working: the signing time plus its lifetime.
	Expires time.Time
}

// Signer signs and presigns requests. Its zero value is ready to use; it
// caches derived signing keys and is safe for concurrent use.
type Signer struct {
	keys keyCache
	v4a  v4aKeys
}

// NewSigner returns a Signer.
func NewSigner() *Signer { return new(Signer) }

// DefaultSigner is the Signer used by package-level helpers and by a
// [Verifier] without one.
var DefaultSigner = NewSigner()

// signingKey returns the derived key for the credentials and scope, cached.
func (s *Signer) signingKey(secret string, date []byte, region, service string) *cachedKey {
	return s.keys.get(secret, date, region, service)
}

// state is the scratch space of one signature; pooled so that signing
// allocates only its result.
//
// The invariants the pooling relies on:
//   - A state belongs to one signature between getState and putState; a
//     [work] built on it by init is valid only in that span, since its
//     slices alias the state's arrays and the next user overwrites them.
//   - Everything a caller keeps (the URL, the Explanation's strings, an
//     error's details) is copied out with string(...) before putState; in
//     Verifier.check the deferred putState runs after the error is built.
//   - The state holds no caller memory after putState: parameter names are
//     looked up through qspan.rank/idx instead of being stored, and lastID
//     keeps cloned strings, so a caller's request may live on its stack.
//   - A slice that outgrows its array is reallocated for that call only;
//     init points the next user back at the arrays.
type state struct {
	// Backing arrays of a [work]: big enough for ordinary requests, so that
	// signing appends into them without allocating; a larger request
	// allocates, for that call only.
	crArr  [2048]byte
	stsArr [256]byte
	qArr   [1024]byte
	hArr   [1024]byte
	shArr  [256]byte
	tmpArr [512]byte
	urlArr [2048]byte
	sumArr [64]byte
	qsArr  [32]qspan
	hsArr  [32]hspan
	date   [16]byte
	// dateUnix is the second date holds, to format X-Amz-Date once a second.
	dateUnix int64
	// last is the key used last with this state, checked before the cache.
	last    *cachedKey
	lastID  keyID
	digests hmacDigests
}

// work is one signature's buffers, kept in a local variable: appending to
// its slices writes no pointer into the pooled state, so signing costs no
// garbage-collector write barriers.
type work struct {
	cr, sts, q, h, sh, tmp, url, sum []byte
	qs                               []qspan
	hs                               []hspan
	// escapedName is set when a parameter name needed escaping, so that the
	// canonical order may differ from the order of the raw names.
	escapedName bool
	// Offsets in cr of the canonical URI and query, and of the parameter
	// before which X-Amz-Signature sorts (-1: at the end), so that a
	// presigned URL can be copied from the canonical request in bulk.
	uriStart, uriEnd, queryStart, queryEnd, sigAt int
}

// init points w's buffers at st's arrays.
func (w *work) init(st *state) {
	w.cr, w.sts, w.q, w.h = st.crArr[:0], st.stsArr[:0], st.qArr[:0], st.hArr[:0]
	w.sh, w.tmp, w.url, w.sum = st.shArr[:0], st.tmpArr[:0], st.urlArr[:0], st.sumArr[:0]
	w.qs, w.hs = st.qsArr[:0], st.hsArr[:0]
}

type qspan struct {
	s, eq, e int
	// key is the escaped name's first 8 bytes, big-endian, zero-padded:
	// names that differ there (almost all) sort by one comparison.
	key uint64
	// rank is the position among the auth parameters (1 to 6, 7 for the
	// signature, 8 for an unsigned token), or 0 for the request's own, whose
	// index in Request.Query is idx. Names are looked up through these rather
	// than stored, so that the pooled state holds no caller strings and the
	// caller's request can stay on its stack.
	rank, idx int
}

var (
	algorithmBytes    = []byte(Algorithm)
	algorithmV4aBytes = []byte(AlgorithmV4a)
)

// rankRegionSet is the rank of X-Amz-Region-Set: after X-Amz-Expires in
// the QueryAuthLast order (ranks 1 to 6 are the SigV4 parameters').
const rankRegionSet = 7

// authRanks is the QueryAuthLast order of the auth parameters' ranks.
var authRanks = [...]int{1, 2, 3, 4, rankRegionSet, 5, 6}

var authNames = [...]string{1: "X-Amz-Algorithm", 2: "X-Amz-Credential", 3: "X-Amz-Date", 4: "X-Amz-Expires",
	5: "X-Amz-SignedHeaders", 6: "X-Amz-Security-Token", 7: "X-Amz-Signature", 8: "X-Amz-Security-Token"}

// rawName is the unescaped name of sp.
func rawName(r *Request, sp qspan) string {
	if sp.rank == 0 {
		return r.Query[sp.idx].Name
	}
	return authNames[sp.rank]
}

type hspan struct{ s, colon, e int }

var statePool = sync.Pool{New: func() any { return new(state) }}

func getState() *state { return statePool.Get().(*state) }

func putState(st *state) { statePool.Put(st) }

func appendAmzDate(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendInt(dst, y, 4)
	dst = appendInt(dst, int(mo), 2)
	dst = appendInt(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendInt(dst, h, 2)
	dst = appendInt(dst, mi, 2)
	dst = appendInt(dst, s, 2)
	return append(dst, 'Z')
}

func appendInt(dst []byte, v, width int) []byte {
	var b [20]byte
	i := len(b)
	for v > 0 || width > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(dst, b[i:]...)
}

// Errors of malformed sign input.
var (
	errNoRequest = errors.New("sigv4: no request to sign")
	errNoScope   = errors.New("sigv4: region and service must not be empty")
	errNoTime    = errors.New("sigv4: signing time is zero; pass the time to sign at")
)

func (in *SignInput) check() error {
	if in.Request == nil {
		return errNoRequest
	}
	if err := in.Credentials.Validate(); err != nil {
		return err
	}
	if in.v4a() {
		for _, r := range in.RegionSet {
			if r == "" || strings.ContainsAny(r, ", \t\r\n") {
				// strconv.Quote copies r: the input does not escape.
				return &InputError{Field: "RegionSet", Msg: "region set member " + strconv.Quote(r) + " is not a region name or *"}
			}
		}
	} else if in.Region == "" {
		return errNoScope
	}
	if in.Service == "" {
		return errNoScope
	}
	if in.Time.IsZero() {
		return errNoTime
	}
	if in.Request.Host == "" {
		return errors.New("sigv4: request has no host")
	}
	if in.Request.Method == "" {
		return errors.New("sigv4: request has no method")
	}
	return nil
}

// CheckExpires reports an *[InputError] unless d is a valid presigned URL
// lifetime: whole seconds from 1 s to 7 days.
func CheckExpires(d time.Duration) error {
	if d < time.Second || d > MaxExpires {
		return &InputError{Field: "Expires", Msg: fmt.Sprintf("expiry %v is out of range: a presigned URL lives from 1 second to 7 days (604800 seconds)", d)}
	}
	if d%time.Second != 0 {
		return &InputError{Field: "Expires", Msg: fmt.Sprintf("expiry %v is not a whole number of seconds", d)}
	}
	return nil
}

type mode int

const (
	modeHeader  mode = iota // Authorization header
	modePresign             // X-Amz-* query parameters added
	modeVerify              // the request already carries its auth parameters
)

// canonical writes the canonical request of in to w.cr, the string to sign
// to w.sts, and returns the signature. In modePresign it also leaves the
// escaped query (auth parameters included) in w.q/w.qs for the URL.
// signedOnly, in modeVerify, lists the signed headers as they were given.
func (s *Signer) canonical(st *state, w *work, in *SignInput, m mode) [32]byte {
	r := in.Request
	w.init(st)
	w.escapedName = false
	if sec := in.Time.Unix(); sec != st.dateUnix || st.date[0] == 0 {
		appendAmzDate(st.date[:0], in.Time)
		st.dateUnix = sec
	}
	date := st.date[:16]
	v4a := in.v4a()
	var key *cachedKey
	if v4a {
		// No derived HMAC key: the ECDSA key is the caller's to use.
	} else if l := &st.lastID; st.last != nil && l.secret == in.Credentials.SecretAccessKey && l.region == in.Region &&
		l.service == in.Service && string(l.date[:]) == string(date[:8]) {
		key = st.last
	} else {
		key = s.signingKey(in.Credentials.SecretAccessKey, date[:8], in.Region, in.Service)
		st.last = key
		st.lastID = keyID{secret: strings.Clone(in.Credentials.SecretAccessKey), region: strings.Clone(in.Region), service: strings.Clone(in.Service)}
		copy(st.lastID.date[:], date[:8])
	}
	token := in.Credentials.SessionToken
	signToken := token != "" && !in.UnsignedSessionToken
	payload := in.PayloadHash
	if payload == "" {
		if m == modePresign {
			payload = UnsignedPayload
		} else {
			payload = EmptyPayloadHash
		}
	}

	// Headers: host, the request's, and in header mode the auth headers.
	w.addHeader("host", r.Host)
	for _, p := range r.Header {
		n := lowerASCII(p.Name)
		if n == "host" {
			continue
		}
		w.addHeader(n, p.Value)
	}
	var regionSet string
	if v4a {
		regionSet = joinRegions(in.RegionSet)
	}
	if m == modeHeader {
		w.addHeader("x-amz-date", string(date))
		if v4a {
			w.addHeader("x-amz-region-set", regionSet)
		}
		if signToken {
			w.addHeader("x-amz-security-token", token)
		}
		if in.ContentSHA256Header {
			w.addHeader("x-amz-content-sha256", payload)
		}
	}
	w.sortHeaders()

	// Query: the request's own, and in presign mode the auth parameters.
	for i, p := range r.Query {
		w.addQuery(p.Name, p.Value, 0, i)
	}
	if m == modePresign && v4a {
		w.addQueryEscaped("X-Amz-Algorithm", algorithmV4aBytes, 1)
		w.tmp = appendScopeV4a(w.tmp[:0], date[:8], in.Service)
		w.addQuery("X-Amz-Credential", in.Credentials.AccessKeyID+"/"+string(w.tmp), 2, 0)
		w.addQuery("X-Amz-Region-Set", regionSet, rankRegionSet, 0)
	} else if m == modePresign {
		w.addQueryEscaped("X-Amz-Algorithm", algorithmBytes, 1)
		w.tmp = appendScope(w.tmp[:0], date[:8], in.Region, in.Service)
		w.addQueryEscaped("X-Amz-Credential", key.credentialFor(in.Credentials.AccessKeyID, w.tmp), 2)
	}
	if m == modePresign {
		w.addQueryEscaped("X-Amz-Date", date, 3) // digits, 'T' and 'Z': nothing to escape
		w.tmp = strconv.AppendInt(w.tmp[:0], int64(in.Expires/time.Second), 10)
		w.addQueryEscaped("X-Amz-Expires", w.tmp, 4)
		w.addQueryBytes("X-Amz-SignedHeaders", w.sh, 5)
		if signToken {
			w.addQuery("X-Amz-Security-Token", token, 6, 0)
		}
	}
	w.sortQuery()

	// The canonical request.
	cr := append(w.cr, r.Method...)
	cr = append(cr, '\n')
	w.uriStart = len(cr)
	cr = appendCanonicalURI(cr, r, in.DoubleEncodePath, in.NormalizePath)
	w.uriEnd = len(cr)
	cr = append(cr, '\n')
	w.queryStart, w.sigAt = len(cr), -1
	for i, sp := range w.qs {
		if i > 0 {
			cr = append(cr, '&')
		}
		if w.sigAt < 0 && nameAfterSignature(w.q[sp.s:sp.eq]) {
			w.sigAt = len(cr)
		}
		cr = append(cr, w.q[sp.s:sp.e]...)
	}
	w.queryEnd = len(cr)
	cr = append(cr, '\n')
	for _, sp := range w.hs {
		cr = append(cr, w.h[sp.s:sp.e]...)
		cr = append(cr, '\n')
	}
	cr = append(cr, '\n')
	cr = append(cr, w.sh...)
	cr = append(cr, '\n')
	cr = append(cr, payload...)
	w.cr = cr

	// The string to sign.
	sum := sha256.Sum256(cr)
	sts := w.sts
	if v4a {
		sts = append(sts, AlgorithmV4a...)
	} else {
		sts = append(sts, Algorithm...)
	}
	sts = append(sts, '\n')
	sts = append(sts, date...)
	sts = append(sts, '\n')
	if v4a {
		sts = appendScopeV4a(sts, date[:8], in.Service)
	} else {
		sts = appendScope(sts, date[:8], in.Region, in.Service)
	}
	sts = append(sts, '\n')
	sts = appendHex(sts, sum[:])
	w.sts = sts

	if v4a {
		return [32]byte{} // the caller signs w.sts with ECDSA (signature)
	}
	return hmacKey(key, sts, &w.tmp, &st.digests, &w.sum)
}

func appendScope(dst, date []byte, region, service string) []byte {
	dst = append(dst, date...)
	dst = append(dst, '/')
	dst = append(dst, region...)
	dst = append(dst, '/')
	dst = append(dst, service...)
	return append(dst, "/aws4_request"...)
}

// FullPath returns the decoded path of r: Path, and Key after a '/'.
func (r *Request) FullPath() string {
	if r.Key == "" {
		return r.Path
	}
	return r.Path + "/" + r.Key
}

// appendPath appends r's path encoded once: the canonical URI of S3 and,
// without RawPath, the path of a presigned URL.
func appendPath(dst []byte, r *Request) []byte {
	if r.Path == "" && r.Key == "" {
		return append(dst, '/')
	}
	dst = AppendEscape(dst, r.Path, true)
	if r.Key != "" {
		dst = append(dst, '/')
		dst = AppendEscape(dst, r.Key, true)
	}
	return dst
}

func appendCanonicalURI(dst []byte, r *Request, double, normalize bool) []byte {
	if !double {
		if !normalize {
			if r.RawPath != "" {
				return append(dst, r.RawPath...)
			}
			return appendPath(dst, r)
		}
		return AppendEscape(dst, normalizePath(r.FullPath()), true)
	}
	wire := r.RawPath
	if wire == "" {
		wire = string(appendPath(nil, r))
	}
	if normalize {
		wire = normalizePath(wire)
	}
	if wire == "" {
		return append(dst, '/')
	}
	return AppendEscape(dst, wire, true)
}

func (w *work) addHeader(name, value string) {
	s := len(w.h)
	w.h = append(w.h, name...)
	colon := len(w.h)
	w.h = append(w.h, ':')
	w.h = appendFolded(w.h, value)
	w.hs = append(w.hs, hspan{s, colon, len(w.h)})
}

// sortHeaders sorts the headers by name (stable, so repeated names keep
// their order), joins repeated names' values with commas, and writes the
// signed header list to w.sh.
func (w *work) sortHeaders() {
	hs, h := w.hs, w.h
	name := func(sp hspan) []byte { return h[sp.s:sp.colon] }
	if len(hs) <= smallSort {
		for i := 1; i < len(hs); i++ {
			for j := i; j > 0 && string(name(hs[j])) < string(name(hs[j-1])); j-- {
				hs[j], hs[j-1] = hs[j-1], hs[j]
			}
		}
	} else {
		// A client controls the number of headers: O(n log n), never the
		// insertion sort's O(n²).
		slices.SortStableFunc(hs, func(a, b hspan) int {
			if countCompare != nil {
				countCompare()
			}
			return bytes.Compare(name(a), name(b))
		})
	}
	// Join repeated names: rewrite the merged entry at the end of h.
	out := hs[:0]
	for i := 0; i < len(hs); {
		j := i + 1
		for j < len(hs) && string(name(hs[j])) == string(name(hs[i])) {
			j++
		}
		if j == i+1 {
			out = append(out, hs[i])
		} else {
			s := len(h)
			h = append(h, h[hs[i].s:hs[i].e]...)
			colon := s + hs[i].colon - hs[i].s
			for k := i + 1; k < j; k++ {
				h = append(h, ',')
				h = append(h, h[hs[k].colon+1:hs[k].e]...)
			}
			out = append(out, hspan{s, colon, len(h)})
		}
		i = j
	}
	w.hs, w.h = out, h
	for i, sp := range out {
		if i > 0 {
			w.sh = append(w.sh, ';')
		}
		w.sh = append(w.sh, h[sp.s:sp.colon]...)
	}
}

func (w *work) addQuery(name, value string, rank, idx int) {
	s := len(w.q)
	w.q = AppendEscape(w.q, name, false)
	eq := len(w.q)
	if eq-s != len(name) {
		w.escapedName = true
	}
	w.q = append(w.q, '=')
	w.q = AppendEscape(w.q, value, false)
	w.qs = append(w.qs, qspan{s: s, eq: eq, e: len(w.q), rank: rank, idx: idx, key: sortKey(w.q[s:eq])})
}

func (w *work) addQueryBytes(name string, value []byte, rank int) {
	s := len(w.q)
	w.q = AppendEscape(w.q, name, false)
	eq := len(w.q)
	w.q = append(w.q, '=')
	w.q = appendEscape(w.q, value, false)
	w.qs = append(w.qs, qspan{s: s, eq: eq, e: len(w.q), rank: rank, key: sortKey(w.q[s:eq])})
}

// addQueryEscaped adds a parameter whose value is already escaped.
func (w *work) addQueryEscaped(name string, value []byte, rank int) {
	s := len(w.q)
	w.q = append(w.q, name...)
	eq := len(w.q)
	w.q = append(w.q, '=')
	w.q = append(w.q, value...)
	w.qs = append(w.qs, qspan{s: s, eq: eq, e: len(w.q), rank: rank, key: sortKey(w.q[s:eq])})
}

// sortKey returns the first 8 bytes of name as a big-endian number,
// padded with zeros: its order is the order of the names' prefixes.
func sortKey(name []byte) uint64 {
	var k uint64
	for i := 0; i < 8; i++ {
		k <<= 8
		if i < len(name) {
			k |= uint64(name[i])
		}
	}
	return k
}

// nameAfterSignature reports whether an escaped parameter name sorts after
// "X-Amz-Signature".
func nameAfterSignature(name []byte) bool {
	return string(name) > "X-Amz-Signature"
}

// smallSort is the length up to which the sorts of a signature use an
// insertion sort, fastest for the dozen parameters and headers of an
// ordinary request; past it they use an O(n log n) sort, since a client
// controls how many there are (a verifier sorts before it can check the
// signature).
const smallSort = 24

// countCompare, when set (by tests only), is called on every comparison
// of the O(n log n) sorts, so that a test can count how the work grows.
var countCompare func()

// sortQuery sorts the query by escaped name, then escaped value: the
// canonical order. Entries that compare equal are the same bytes, so the
// sort need not be stable.
func (w *work) sortQuery() {
	qs, q := w.qs, w.q
	if len(qs) > smallSort {
		slices.SortFunc(qs, func(a, b qspan) int {
			if countCompare != nil {
				countCompare()
			}
			if a.key != b.key {
				if a.key < b.key {
					return -1
				}
				return 1
			}
			if c := bytes.Compare(q[a.s:a.eq], q[b.s:b.eq]); c != 0 {
				return c
			}
			return bytes.Compare(q[a.eq+1:a.e], q[b.eq+1:b.e])
		})
		return
	}
	for i := 1; i < len(qs); i++ {
		for j := i; j > 0; j-- {
			a, b := qs[j], qs[j-1]
			if a.key != b.key {
				if a.key > b.key {
					break
				}
				qs[j], qs[j-1] = b, a
				continue
			}
			c := compareShort(q[a.s:a.eq], q[b.s:b.eq])
			if c > 0 || c == 0 && bytes.Compare(q[a.eq+1:a.e], q[b.eq+1:b.e]) >= 0 {
				break
			}
			qs[j], qs[j-1] = b, a
		}
	}
}

// compareShort is bytes.Compare for short strings that usually differ
// early, such as parameter names: a plain loop beats the call.
func compareShort(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// Presign returns a presigned URL for in: the request with the X-Amz-*
// query parameters added and signed. The request's headers are signed; the
// holder of the URL must send them with the same values.
func (s *Signer) Presign(in *SignInput) (Presigned, error) {
	if err := in.check(); err != nil {
		return Presigned{}, err
	}
	if err := CheckExpires(in.Expires); err != nil {
		return Presigned{}, err
	}
	st := getState()
	var w work
	sig := s.canonical(st, &w, in, modePresign)
	var hexSig [64]byte
	sigHex := appendHex(hexSig[:0], sig[:])
	if in.v4a() {
		var err error
		if sigHex, err = s.v4aSignature(strings.Clone(in.Credentials.AccessKeyID), strings.Clone(in.Credentials.SecretAccessKey), w.sts); err != nil {
			putState(st)
			return Presigned{}, err
		}
	}
	r := in.Request

	u := w.url[:0]
	scheme := r.Scheme
	if scheme == "" {
		scheme = "https"
	}
	u = append(u, scheme...)
	u = append(u, "://"...)
	if r.URLHost != "" {
		u = append(u, r.URLHost...)
	} else {
		u = append(u, r.Host...)
	}
	token := in.Credentials.SessionToken
	unsignedToken := token != "" && in.UnsignedSessionToken
	if in.QueryOrder == QuerySorted && !w.escapedName && !unsignedToken && !in.DoubleEncodePath && !in.NormalizePath && r.RawPath == "" {
		// The common case: the URL's path and query are the canonical
		// request's, with the signature in its sorted place.
		cr := w.cr
		u = append(u, cr[w.uriStart:w.uriEnd]...)
		u = append(u, '?')
		if w.sigAt < 0 {
			u = append(u, cr[w.queryStart:w.queryEnd]...)
			u = append(u, "&X-Amz-Signature="...)
			u = append(u, sigHex...)
		} else {
			u = append(u, cr[w.queryStart:w.sigAt]...)
			u = append(u, "X-Amz-Signature="...)
			u = append(u, sigHex...)
			u = append(u, '&')
			u = append(u, cr[w.sigAt:w.queryEnd]...)
		}
		return st.finish(u, in)
	}
	if r.RawPath != "" {
		u = append(u, r.RawPath...)
	} else {
		u = appendPath(u, r)
	}
	u = append(u, '?')

	switch in.QueryOrder {
	case QueryAuthLast:
		// The request's own parameters in their order, then the auth ones.
		first := true
		sep := func() {
			if !first {
				u = append(u, '&')
			}
			first = false
		}
		for _, p := range r.Query {
			sep()
			u = AppendEscape(u, p.Name, false)
			u = append(u, '=')
			u = AppendEscape(u, p.Value, false)
		}
		for _, rank := range authRanks {
			for _, sp := range w.qs {
				if sp.rank == rank {
					sep()
					u = append(u, w.q[sp.s:sp.e]...)
				}
			}
		}
		if unsignedToken {
			sep()
			u = append(u, "X-Amz-Security-Token="...)
			u = AppendEscape(u, token, false)
		}
		sep()
		u = append(u, "X-Amz-Signature="...)
		u = append(u, sigHex...)
	default:
		// Sorted by name, the signature (and an unsigned token) in place.
		qs := w.qs
		if w.escapedName {
			// Only then can the raw names' order differ from the canonical.
			slices.SortStableFunc(qs, func(a, b qspan) int { return strings.Compare(rawName(r, a), rawName(r, b)) })
		}
		// The signature, and an unsigned token, go in their sorted places;
		// "X-Amz-Security-Token" sorts before "X-Amz-Signature".
		tokDone, sigDone := !unsignedToken, false
		for i, sp := range qs {
			name := rawName(r, sp)
			if !tokDone && name > "X-Amz-Security-Token" {
				if i > 0 {
					u = append(u, '&')
				}
				u = append(u, "X-Amz-Security-Token="...)
				u = AppendEscape(u, token, false)
				tokDone = true
				if !sigDone && name > "X-Amz-Signature" {
					u = append(u, '&')
				} else {
					u = append(u, '&')
					u = append(u, w.q[sp.s:sp.e]...)
					continue
				}
			} else if i > 0 {
				u = append(u, '&')
			}
			if !sigDone && name > "X-Amz-Signature" {
				u = append(u, "X-Amz-Signature="...)
				u = append(u, sigHex...)
				u = append(u, '&')
				sigDone = true
			}
			u = append(u, w.q[sp.s:sp.e]...)
		}
		if !tokDone {
			u = append(u, "&X-Amz-Security-Token="...)
			u = AppendEscape(u, token, false)
		}
		if !sigDone {
			u = append(u, "&X-Amz-Signature="...)
			u = append(u, sigHex...)
		}
	}
	return st.finish(u, in)
}

// v4aSignature returns the hex ECDSA signature of a SigV4a string to sign
// by the key of an access key pair. It takes the strings, not the input,
// so that the input does not escape.
func (s *Signer) v4aSignature(accessKeyID, secret string, sts []byte) ([]byte, error) {
	key, err := s.v4a.get(accessKeyID, secret)
	if err != nil {
		return nil, err
	}
	return signV4a(key, sts)
}

// finish returns the presigned URL u and releases st.
func (st *state) finish(u []byte, in *SignInput) (Presigned, error) {
	// The expiry is rebuilt from integers, in UTC: taking in.Time's Location
	// pointer into the result would make escape analysis move the caller's
	// whole input to the heap.
	// X-Amz-Date has whole seconds, so the URL dies at the signing second
	// plus its lifetime, not a fraction later.
	exp := time.Unix(in.Time.Unix(), 0).Add(in.Expires).UTC()
	out := Presigned{URL: string(u), Expires: exp}
	putState(st)
	return out, nil
}

// hexPairs holds the two lower-case hex digits of every byte.
var hexPairs = func() (t [512]byte) {
	const digits = "0123456789abcdef"
	for i := 0; i < 256; i++ {
		t[2*i], t[2*i+1] = digits[i>>4], digits[i&15]
	}
	return t
}()

// appendHex appends the lower-case hex of src to dst, a byte pair a byte.
func appendHex(dst, src []byte) []byte {
	for _, c := range src {
		dst = append(dst, hexPairs[2*int(c)], hexPairs[2*int(c)+1])
	}
	return dst
}

// Signed is the result of header signing: the headers to add to the request.
type Signed struct {
	// Authorization is the value of the Authorization header.
	Authorization string
	// Date is the X-Amz-Date header value.
	Date string
	// SessionToken is the X-Amz-Security-Token header value; empty without one.
	SessionToken string
	// ContentSHA256 is the X-Amz-Content-Sha256 header value when
	// [SignInput.ContentSHA256Header] was set.
	ContentSHA256 string
	// Signature is the hex signature.
	Signature string
	// RegionSet is the X-Amz-Region-Set header value of a SigV4a
	// signature; empty for SigV4.
	RegionSet string
}

// Sign signs in with an Authorization header and returns the headers to
// add. The request's headers, plus X-Amz-Date (and X-Amz-Security-Token,
// X-Amz-Content-Sha256 when they apply), are signed.
func (s *Signer) Sign(in *SignInput) (Signed, error) {
	if err := in.check(); err != nil {
		return Signed{}, err
	}
	st := getState()
	var w work
	sig := s.canonical(st, &w, in, modeHeader)
	sigHex := appendHex(make([]byte, 0, 64), sig[:])
	if in.v4a() {
		var err error
		if sigHex, err = s.v4aSignature(strings.Clone(in.Credentials.AccessKeyID), strings.Clone(in.Credentials.SecretAccessKey), w.sts); err != nil {
			putState(st)
			return Signed{}, err
		}
	}
	out := Signed{
		Date:      string(st.date[:16]),
		Signature: string(sigHex),
	}
	var b strings.Builder
	if in.v4a() {
		out.RegionSet = joinRegions(in.RegionSet)
		b.WriteString(AlgorithmV4a)
		b.WriteString(" Credential=")
		b.WriteString(in.Credentials.AccessKeyID)
		b.WriteByte('/')
		b.Write(appendScopeV4a(nil, st.date[:8], in.Service))
	} else {
		b.WriteString(Algorithm)
		b.WriteString(" Credential=")
		b.WriteString(in.Credentials.AccessKeyID)
		b.WriteByte('/')
		b.Write(appendScope(nil, st.date[:8], in.Region, in.Service))
	}
	b.WriteString(", SignedHeaders=")
	b.Write(w.sh)
	b.WriteString(", Signature=")
	b.WriteString(out.Signature)
	out.Authorization = b.String()
	if in.Credentials.SessionToken != "" {
		out.SessionToken = in.Credentials.SessionToken
	}
	if in.ContentSHA256Header {
		out.ContentSHA256 = in.PayloadHash
		if out.ContentSHA256 == "" {
			out.ContentSHA256 = EmptyPayloadHash
		}
	}
	putState(st)
	return out, nil
}

// Explanation is the intermediate text of a signature, for debugging and
// for comparing with what S3 reports in a SignatureDoesNotMatch error.
type Explanation struct {
	CanonicalRequest string
	StringToSign     string
	Signature        string
}

// Explain returns the canonical request, string to sign and signature of
// in, for presigning when presign is true and header signing otherwise.
func (s *Signer) Explain(in *SignInput, presign bool) (Explanation, error) {
	if err := in.check(); err != nil {
		return Explanation{}, err
	}
	m := modeHeader
	if presign {
		if err := CheckExpires(in.Expires); err != nil {
			return Explanation{}, err
		}
		m = modePresign
	}
	st := getState()
	var w work
	defer putState(st)
	sig := s.canonical(st, &w, in, m)
	sigHex := appendHex(nil, sig[:])
	if in.v4a() {
		var err error
		if sigHex, err = s.v4aSignature(strings.Clone(in.Credentials.AccessKeyID), strings.Clone(in.Credentials.SecretAccessKey), w.sts); err != nil {
			return Explanation{}, err
		}
	}
	return Explanation{string(w.cr), string(w.sts), string(sigHex)}, nil
}

// RequestFromHTTP returns the SigV4 view of r: its method, host, path,
// query and the headers for which sign reports true (all when sign is
// nil). Host is taken from r.Host, or r.URL.Host when that is empty.
func RequestFromHTTP(r *http.Request, sign func(lowerName string) bool) (*Request, error) {
	if r.URL == nil {
		return nil, errors.New("sigv4: request has no URL")
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	out := &Request{
		Method:  r.Method,
		Scheme:  r.URL.Scheme,
		Host:    host,
		Path:    r.URL.Path,
		RawPath: r.URL.RawPath,
	}
	if out.Method == "" {
		out.Method = http.MethodGet
	}
	q, err := ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	out.Query = q
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		ln := strings.ToLower(name)
		if sign != nil && !sign(ln) {
			continue
		}
		for _, v := range r.Header[name] {
			out.Header = append(out.Header, Param{ln, v})
		}
	}
	return out, nil
}

// ParseQuery splits a raw query string into its parameters, decoded, in
// order. A parameter without '=' has an empty value; '+' decodes to a space.
// It returns an error for a malformed %-escape.
func ParseQuery(raw string) ([]Param, error) {
	if raw == "" {
		return nil, nil
	}
	var out []Param
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		n, ok1 := unescape(name, true)
		v, ok2 := unescape(value, true)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("sigv4: malformed query parameter %q: bad %%-escape", part)
		}
		out = append(out, Param{n, v})
	}
	return out, nil
}
