// Package presign makes Amazon S3 presigned URLs: byte-for-byte the URLs
// the official AWS SDKs make for the same inputs, fast, and safe by default.
//
// A presigned URL lets whoever holds it do one S3 operation (download,
// upload, delete, a multipart step) until it expires, without credentials
// of their own.
//
//	c, err := presign.New(presign.Config{
//		Credentials: credentials.Env{},
//		Region:      "eu-west-1",
//	})
//	res, err := c.Presign(ctx, presign.PutObject, &presign.Input{
//		Bucket: "uploads", Key: "photos/cat.jpg", ContentType: "image/jpeg",
//	}, presign.Options{Expires: 15 * time.Minute})
//	// res.URL, res.Method, and res.Header: the headers the uploader must send.
//
// # Profiles
//
// The SDKs disagree on the shape of a presigned URL (which headers are
// signed, which move into the query, host names, parameter order), and a
// [Profile] selects one. [ProfileJS] is the JavaScript SDK v3
// (@aws-sdk/s3-request-presigner with requestChecksumCalculation
// WHEN_REQUIRED) and [ProfileBotocore] is botocore's generate_presigned_url;
// both are proven byte-identical by vectors the real SDKs generated.
//
// [ProfileDefault] is the JS shape with safer defaults: a Content-Type the
// caller gives is signed (the JS SDK leaves it unsigned, so an uploader may
// change it), checksums stay signed headers rather than query parameters
// (which S3 is reported to ignore), no Content-Type is invented when none
// is given, and custom endpoints (MinIO, Ceph, the embedded store) use
// path-style addressing, which needs no wildcard DNS.
//
// # Expiry
//
// URLs live 15 minutes unless [Options.Expires] says otherwise, from 1
// second to 7 days. Temporary credentials cap that: a URL cannot outlive
// its credentials, nor 12 hours. Asking for more is an error that says so,
// or, with [Options.CapToCredentials], the URL is shortened.
package presign

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/sigv4"
)

// Profile is the URL shape of one SDK; see the package documentation. It
// is the same type as postpolicy's, so that one value selects both the
// URL and the form shape of an SDK.
type Profile = postpolicy.Profile

const (
	// ProfileDefault is the JS v3 shape with Content-Type signed when given
	// and path-style custom endpoints.
	ProfileDefault = postpolicy.ProfileDefault
	// ProfileJS is byte-identical to @aws-sdk/s3-request-presigner.
	ProfileJS = postpolicy.ProfileJS
	// ProfileBotocore is byte-identical to botocore's generate_presigned_url.
	ProfileBotocore = postpolicy.ProfileBotocore
)

// ParseProfile parses "default", "js" or "botocore"; see
// [postpolicy.ParseProfile].
func ParseProfile(s string) (Profile, error) { return postpolicy.ParseProfile(s) }

// DefaultExpires is the lifetime of a URL when Options.Expires is zero.
const DefaultExpires = 15 * time.Minute

// MaxTemporaryExpires is the longest a URL signed with temporary
// credentials may live.
const MaxTemporaryExpires = 12 * time.Hour

// Config configures a [Client].
type Config struct {
	// Credentials sign the URLs. Required.
	Credentials credentials.Provider
	// Region is the bucket's region, such as "us-east-1". Required.
	Region string
	// Endpoint is a custom endpoint such as "http://127.0.0.1:9000" or
	// "https://minio.example.com"; empty means AWS.
	Endpoint string
	// Addressing selects virtual-hosted or path-style URLs.
	Addressing Addressing
	// UseDualStack uses AWS's IPv4+IPv6 endpoints.
	UseDualStack bool
	// UseAccelerate uses S3 Transfer Acceleration endpoints.
	UseAccelerate bool
	// Profile selects the URL shape; see [Profile].
	Profile Profile
	// Now returns the signing time when Options.SigningTime is zero; nil
	// means time.Now.
	Now func() time.Time
	// Signer derives and caches signing keys; nil means sigv4.DefaultSigner.
	Signer *sigv4.Signer
}

// Options are per-URL settings, with the JS presigner's semantics.
type Options struct {
	// Expires is the URL's lifetime, 1 s to 7 days in whole seconds; zero
	// means [DefaultExpires].
	Expires time.Duration
	// SigningTime is the time the URL is signed at (X-Amz-Date); zero
	// means now.
	SigningTime time.Time
	// SignableHeaders are headers to sign although the profile would not
	// (content-type, cache-control, ...). Names are case-insensitive.
	SignableHeaders []string
	// UnhoistableHeaders are x-amz-* headers to keep as signed headers that
	// the holder must send, instead of moving them into the query.
	UnhoistableHeaders []string
	// HoistableHeaders are x-amz-server-side-encryption* headers to move
	// into the query, where by default they stay headers.
	HoistableHeaders []string
	// CapToCredentials shortens a URL that would outlive temporary
	// credentials instead of failing.
	CapToCredentials bool
	// IgnoreCredentialLifetime signs a URL that outlives its temporary
	// credentials, as the SDKs do: such a URL fails once the credentials
	// expire. It exists to reproduce the SDKs' output; avoid it otherwise.
	IgnoreCredentialLifetime bool
	// RegionSet, when set, signs with SigV4a (AWS4-ECDSA-P256-SHA256) for
	// these regions ("*" for any) instead of SigV4. A Multi-Region Access
	// Point ARN as the bucket signs with SigV4a by itself, for "*" unless
	// RegionSet says otherwise.
	RegionSet []string
	// Query holds extra query parameters to sign into the URL, after the
	// operation's own: a server that verifies the URL itself can read
	// them knowing the holder could not change them (presign serve's grant
	// id). S3 and MinIO ignore parameters they do not know. Names must not
	// start with "x-amz-" nor repeat one the operation sets.
	Query []sigv4.Param
}

// Result is a presigned request.
type Result struct {
	// Method is the HTTP method the holder must use.
	Method string
	// URL is the presigned URL.
	URL string
	// Header lists the headers the holder must send with the values given
	// (all of them if unsure: the signed ones must match exactly), sorted
	// by name. Host is listed only when it differs from the URL's host.
	Header []sigv4.Param
	// SignedHeaders lists the signed header names, lower case, sorted.
	SignedHeaders []string
	// Expires is when the URL stops working.
	Expires time.Time
}

// HTTPHeader returns Header as an http.Header.
func (r *Result) HTTPHeader() http.Header {
	h := make(http.Header, len(r.Header))
	for _, p := range r.Header {
		h.Add(p.Name, p.Value)
	}
	return h
}

// checkExtraQuery checks the names of Options.Query against the
// parameters the operation sets.
func checkExtraQuery(extra, set []sigv4.Param) error {
	for i, p := range extra {
		switch {
		case p.Name == "":
			return inputErr("Options.Query", "give each parameter a name", "Options.Query[%d] has no name", i)
		case len(p.Name) >= 6 && strings.EqualFold(p.Name[:6], "x-amz-"):
			return inputErr("Options.Query", "x-amz-* parameters are S3's: set them through Input and Options", "Options.Query[%d] is %q, an x-amz-* name", i, p.Name)
		}
		for _, q := range set {
			if q.Name == p.Name {
				return inputErr("Options.Query", "the operation sets it already: set it through Input", "Options.Query[%d] repeats the parameter %q", i, p.Name)
			}
		}
		for _, q := range extra[:i] {
			if q.Name == p.Name {
				return inputErr("Options.Query", "give each name once", "Options.Query names %q twice", p.Name)
			}
		}
	}
	return nil
}

// Client presigns S3 requests. It is safe for concurrent use.
type Client struct {
	cfg     Config
	custom  *custom
	awsBase string // "s3.{region}.amazonaws.com", with dualstack
	signer  *sigv4.Signer
	hosts   sync.Map // bucket -> endpoint, for the common case
	nHosts  int64
	hostsMu sync.Mutex
}

// New returns a Client for cfg, or an error naming what is wrong with it.
func New(cfg Config) (*Client, error) {
	if cfg.Credentials == nil {
		return nil, inputErr("Credentials", "use credentials.Static{...}, credentials.Env{} or an adapter of the AWS SDK's chain", "Config.Credentials is nil")
	}
	if cfg.Region == "" {
		return nil, inputErr("Region", "give the bucket's region, such as us-east-1", "Config.Region is empty")
	}
	if !validRegion(cfg.Region) {
		return nil, inputErr("Region", "", "region %q is not a valid region name (lower-case letters, digits and hyphens, such as eu-west-1)", cfg.Region)
	}
	c := &Client{cfg: cfg, signer: cfg.Signer}
	if c.signer == nil {
		c.signer = sigv4.DefaultSigner
	}
	if cfg.Endpoint != "" {
		cu, err := parseEndpoint(cfg.Endpoint)
		if err != nil {
			return nil, err
		}
		c.custom = cu
	}
	c.awsBase = "s3."
	if cfg.UseDualStack {
		c.awsBase += "dualstack."
	}
	c.awsBase += cfg.Region + "." + dnsSuffix(cfg.Region)
	return c, nil
}

func validRegion(r string) bool {
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return r[0] != '-' && r[len(r)-1] != '-'
}

// endpointFor resolves bucket, caching the answer for up to 1024 buckets.
func (c *Client) endpointFor(bucket string) (endpoint, error) {
	if v, ok := c.hosts.Load(bucket); ok {
		return v.(endpoint), nil
	}
	ep, err := c.resolve(bucket)
	if err != nil {
		return ep, err
	}
	c.hostsMu.Lock()
	if c.nHosts < 1024 {
		c.nHosts++
		c.hosts.Store(bucket, ep)
	}
	c.hostsMu.Unlock()
	return ep, nil
}

// Region returns the client's region.
func (c *Client) Region() string { return c.cfg.Region }

// Profile returns the client's profile.
func (c *Client) Profile() Profile { return c.cfg.Profile }

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// expiry applies the lifetime rules of the package documentation.
func expiry(creds sigv4.Credentials, t time.Time, o *Options) (time.Duration, error) {
	d := o.Expires
	if d == 0 {
		d = DefaultExpires
	}
	if err := sigv4.CheckExpires(d); err != nil {
		return 0, fromSigv4(err)
	}
	if !creds.Temporary() || o.IgnoreCredentialLifetime {
		return d, nil
	}
	limit, why := MaxTemporaryExpires, "temporary credentials (with a session token) give URLs of at most 12 hours"
	if !creds.Expires.IsZero() {
		if left := creds.Expires.Sub(t); left < limit {
			limit = left.Truncate(time.Second)
			why = fmt.Sprintf("the credentials expire at %s, %v after the signing time", creds.Expires.UTC().Format(time.RFC3339), limit)
		}
	}
	if limit < time.Second {
		return 0, inputErr("Credentials", "refresh them", "the credentials expired at %s, before the signing time", creds.Expires.UTC().Format(time.RFC3339))
	}
	if d > limit {
		if o.CapToCredentials {
			return limit, nil
		}
		return 0, &LifetimeError{Expires: d, Max: limit, Reason: why}
	}
	return d, nil
}

// hdr is a header being built: its name as the SDK holds it and its value.
type hdr struct{ name, value string }

// neverSigned are the headers the JS SDK never signs (ALWAYS_UNSIGNABLE_HEADERS).
var neverSigned = map[string]bool{
	"authorization": true, "cache-control": true, "connection": true, "expect": true, "from": true,
	"keep-alive": true, "max-forwards": true, "pragma": true, "referer": true, "te": true, "trailer": true,
	"transfer-encoding": true, "upgrade": true, "user-agent": true, "x-amzn-trace-id": true,
}

// botoNeverSigned are the headers botocore does not sign.
var botoNeverSigned = map[string]bool{"expect": true, "user-agent": true, "x-amzn-trace-id": true}

func inSet(list []string, name string) bool {
	for _, s := range list {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

var hostOnly = []string{"host"}

// anyRegion is the region set of a Multi-Region Access Point: all regions.
var anyRegion = []string{"*"}

// Presign presigns op on in. It does not modify in.
func (c *Client) Presign(ctx context.Context, op Operation, in *Input, o Options) (Result, error) {
	spec := specs[op]
	if spec == nil {
		return Result{}, inputErr("", fmt.Sprintf("use one of %v", Operations), "unknown operation %q", op)
	}
	if in == nil {
		return Result{}, inputErr("", "", "input is nil")
	}
	if err := checkKey(in.Key); err != nil {
		return Result{}, err
	}
	bare := in.bare()
	if !bare {
		if err := checkParams(op, spec, in); err != nil {
			return Result{}, err
		}
	}
	ep, err := c.endpointFor(in.Bucket)
	if err != nil {
		return Result{}, err
	}
	profile := c.cfg.Profile

	// Query parameters: the fixed ones, the operation's, then x-id.
	var qbuf [12]sigv4.Param
	query := qbuf[:0]
	for _, f := range spec.fixed {
		query = append(query, sigv4.Param{Name: f})
	}
	if bare {
		// Only Bucket and Key: no parameter to look up.
	} else if profile == ProfileBotocore && len(in.ParamOrder) > 0 {
		for _, name := range in.ParamOrder {
			for _, f := range spec.query {
				if f.name == name {
					if v, ok := f.get(in, profile); ok {
						query = append(query, sigv4.Param{Name: f.query, Value: v})
					}
				}
			}
		}
	} else {
		for _, f := range spec.query {
			if v, ok := f.get(in, profile); ok {
				query = append(query, sigv4.Param{Name: f.query, Value: v})
			}
		}
	}
	if spec.xid && profile != ProfileBotocore {
		query = append(query, sigv4.Param{Name: "x-id", Value: string(op)})
	}
	if len(o.Query) > 0 {
		if err := checkExtraQuery(o.Query, query); err != nil {
			return Result{}, err
		}
		query = append(query, o.Query...)
	}

	// Headers.
	var hbuf [12]hdr
	headers := hbuf[:0]
	givenType := in.ContentType != ""
	for _, f := range spec.headers {
		if bare {
			break
		}
		if v, ok := f.get(in, profile); ok {
			headers = append(headers, hdr{f.header, v})
		}
	}
	for _, h := range in.Header {
		ln := strings.ToLower(h.Name)
		switch {
		case h.Name == "" || !validToken(h.Name):
			return Result{}, inputErr("Header", "use letters, digits and hyphens", "header name %q is not a valid HTTP header name", h.Name)
		case ln == "host" || ln == "authorization":
			return Result{}, inputErr("Header", "remove it", "header %s cannot be set: the presigner sets it", h.Name)
		case hasHeader(headers, ln):
			return Result{}, inputErr("Header", "set it there only", "header %s is already set by an Input field", h.Name)
		}
		headers = append(headers, hdr{ln, h.Value})
	}
	if spec.contentType != "" && !givenType && profile == ProfileJS {
		headers = append(headers, hdr{"content-type", spec.contentType})
	}
	if spec.sseC && in.SSECustomerKey != "" {
		key, sum := sseCustomerKey(in.SSECustomerKey, profile)
		headers = append(headers, hdr{"x-amz-server-side-encryption-customer-key", key})
		if in.SSECustomerKeyMD5 != "" {
			sum = in.SSECustomerKeyMD5
		}
		headers = append(headers, hdr{"x-amz-server-side-encryption-customer-key-md5", sum})
	}
	if spec.meta && len(in.Metadata) > 0 {
		names := make([]string, 0, len(in.Metadata))
		for k := range in.Metadata {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			headers = append(headers, hdr{"x-amz-meta-" + strings.ToLower(k), in.Metadata[k]})
		}
	}
	if profile == ProfileJS && in.ChecksumAlgorithm != "" && (op == PutObject || op == UploadPart) {
		// The JS SDK checksums the (empty) body of the command it presigns.
		if name, sum, ok := emptyChecksum(in.ChecksumAlgorithm); ok && !hasHeader(headers, name) {
			headers = append(headers, hdr{name, sum})
		}
	}
	for _, h := range headers {
		if strings.ContainsAny(h.value, "\r\n") {
			return Result{}, inputErr("Header", "", "the %s header value contains a line break", h.name)
		}
		if profile == ProfileBotocore && strings.HasPrefix(h.name, "x-amz-meta-") && !isASCII(h.value) {
			return Result{}, inputErr("Metadata", "", "metadata %s has non-ASCII characters, which botocore refuses", h.name)
		}
	}
	signable := o.SignableHeaders
	if profile == ProfileDefault && givenType && !inSet(signable, "content-type") {
		signable = append(signable[:len(signable):len(signable)], "content-type")
	}
	return c.sign(ctx, spec.method, ep, in.Key, query, headers, signable, &o)
}

// isChecksumHeader reports whether ln names a body checksum header.
func isChecksumHeader(ln string) bool {
	return strings.HasPrefix(ln, "x-amz-checksum-") || ln == "x-amz-sdk-checksum-algorithm"
}

// resultBufs backs a Result's Header and SignedHeaders for the common
// sizes, in one allocation.
type resultBufs struct {
	h [6]sigv4.Param
	n [8]string
}

// lower returns s in lower case, without allocating for the names the
// presigner itself uses.
func lower(s string) string {
	if s == "X-Amz-Content-Sha256" {
		return "x-amz-content-sha256"
	}
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func hasHeader(hs []hdr, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.name, name) {
			return true
		}
	}
	return false
}

// sign applies the profile's hoisting and signing rules and presigns.
func (c *Client) sign(ctx context.Context, method string, ep endpoint, key string, query []sigv4.Param, headers []hdr, signable []string, o *Options) (Result, error) {
	profile := c.cfg.Profile
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("presign: credentials: %w", err)
	}
	t := o.SigningTime
	if t.IsZero() {
		t = c.now()
	}
	d, err := expiry(creds, t, o)
	if err != nil {
		return Result{}, err
	}

	var sbuf [12]sigv4.Param
	signedHeaders := sbuf[:0]
	payload := sigv4.UnsignedPayload
	// The headers the holder sends are gathered on the stack; they and the
	// signed header names get one allocation at the end, when there are any.
	var rbuf [12]sigv4.Param
	rest := rbuf[:0]
	var names []string
	order := sigv4.QuerySorted
	if profile == ProfileBotocore {
		order = sigv4.QueryAuthLast
		for _, h := range headers {
			ln := lower(h.name)
			rest = append(rest, sigv4.Param{Name: h.name, Value: h.value})
			if botoNeverSigned[ln] && !inSet(signable, ln) {
				continue
			}
			signedHeaders = append(signedHeaders, sigv4.Param{Name: ln, Value: h.value})
		}
	} else {
		// @aws-sdk/s3-request-presigner: X-Amz-Content-Sha256 is set to
		// UNSIGNED-PAYLOAD; x-amz-* headers move into the query unless
		// unhoistable, and SSE headers are unhoistable unless hoistable.
		// A payload hash the caller set (in any case) is what is signed.
		for _, h := range headers {
			if strings.EqualFold(h.name, "x-amz-content-sha256") {
				payload = h.value
				break
			}
		}
		exact := false
		for _, h := range headers {
			exact = exact || h.name == "X-Amz-Content-Sha256"
		}
		if !exact {
			headers = append(headers, hdr{"X-Amz-Content-Sha256", sigv4.UnsignedPayload})
		}
		for _, h := range headers {
			ln := lower(h.name)
			unhoistable := inSet(o.UnhoistableHeaders, ln) ||
				(strings.HasPrefix(ln, "x-amz-server-side-encryption") && !inSet(o.HoistableHeaders, ln)) ||
				// S3 is reported to ignore checksums in a presigned URL's
				// query: the default profile keeps them headers, so that
				// storage checks the body against them.
				(profile == ProfileDefault && isChecksumHeader(ln) && !inSet(o.HoistableHeaders, ln))
			if strings.HasPrefix(ln, "x-amz-") && !unhoistable {
				query = append(query, sigv4.Param{Name: h.name, Value: h.value})
				continue
			}
			rest = append(rest, sigv4.Param{Name: h.name, Value: h.value})
			unsignable := ln == "content-type" || neverSigned[ln] || strings.HasPrefix(ln, "proxy-") || strings.HasPrefix(ln, "sec-")
			if unsignable && !inSet(signable, ln) {
				continue
			}
			signedHeaders = append(signedHeaders, sigv4.Param{Name: ln, Value: h.value})
		}
	}
	if ep.urlHost != "" {
		// The URL names one host and the signature another: send it.
		rest = append(rest, sigv4.Param{Name: "host", Value: ep.host})
	}
	for i := 1; i < len(rest); i++ { // a stable insertion sort: no closure, so rest stays on the stack
		for j := i; j > 0 && rest[j].Name < rest[j-1].Name; j-- {
			rest[j], rest[j-1] = rest[j-1], rest[j]
		}
	}
	var out []sigv4.Param
	if len(rest) > 0 || len(signedHeaders) > 0 {
		bufs := new(resultBufs)
		out = append(bufs.h[:0], rest...)
		names = bufs.n[:0]
	}
	if len(signedHeaders) == 0 {
		names = hostOnly
	} else {
		names = append(names, "host")
		for _, h := range signedHeaders {
			if !inSet(names, h.Name) {
				names = append(names, h.Name)
			}
		}
		sort.Strings(names)
	}

	req := sigv4.Request{Method: method, Scheme: ep.scheme, Host: ep.host, URLHost: ep.urlHost,
		Path: ep.path, RawPath: ep.rawPath, Key: key, Query: query, Header: signedHeaders}
	regionSet := o.RegionSet
	if regionSet == nil && ep.mrap {
		regionSet = anyRegion
	}
	p, err := c.signer.Presign(&sigv4.SignInput{
		Request:     &req,
		Credentials: creds,
		Region:      ep.region,
		Service:     "s3",
		Time:        t,
		Expires:     d,
		QueryOrder:  order,
		PayloadHash: payload,
		RegionSet:   regionSet,
	})
	if err != nil {
		return Result{}, fmt.Errorf("presign: %w", err)
	}
	return Result{Method: method, URL: p.URL, Header: out, SignedHeaders: names, Expires: p.Expires}, nil
}

// checkKey rejects keys S3 cannot store.
func checkKey(key string) error {
	switch {
	case key == "":
		return inputErr("Key", "", "object key is empty")
	case len(key) > 1024:
		return inputErr("Key", "S3 keys are at most 1024 bytes of UTF-8", "object key is %d bytes long", len(key))
	case !utf8.ValidString(key):
		return inputErr("Key", "", "object key is not valid UTF-8")
	}
	return nil
}

// checkParams rejects parameters op does not take, and missing required ones.
func checkParams(op Operation, spec *opSpec, in *Input) error {
	for _, f := range params {
		if !f.set(in) || spec.takes(f.name) {
			continue
		}
		return inputErr(f.name, "remove it or choose another operation", "%s does not take %s", op, f.name)
	}
	if in.SSECustomerKey != "" && !spec.sseC {
		return inputErr("SSECustomerKey", "", "%s does not take SSECustomerKey", op)
	}
	if len(in.Metadata) > 0 && !spec.meta {
		return inputErr("Metadata", "metadata is set by PutObject or CreateMultipartUpload", "%s does not take Metadata", op)
	}
	for _, name := range required[op] {
		if _, set := in.value(name, ProfileDefault); !set {
			return inputErr(name, "", "%s needs %s", op, name)
		}
	}
	for k := range in.Metadata {
		if k == "" || !validToken(k) {
			return inputErr("Metadata", "", "metadata name %q is not a valid HTTP header name", k)
		}
	}
	if in.PartNumber < 0 || in.PartNumber > 10000 {
		return inputErr("PartNumber", "", "part number %d is out of range: parts are numbered 1 to 10000", in.PartNumber)
	}
	if in.ContentLength != nil && *in.ContentLength < 0 {
		return inputErr("ContentLength", "", "content length %d is negative", *in.ContentLength)
	}
	return nil
}

func (s *opSpec) takes(param string) bool {
	for _, f := range s.query {
		if f.name == param {
			return true
		}
	}
	for _, f := range s.headers {
		if f.name == param {
			return true
		}
	}
	return false
}

func validToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// sseCustomerKey returns the base64 SSE-C key and the base64 MD5 of the raw
// key. The JS SDK takes a key that already is the base64 of 32 bytes as is.
func sseCustomerKey(key string, p Profile) (string, string) {
	raw := []byte(key)
	if p != ProfileBotocore && len(key) == 44 {
		if dec, err := base64.StdEncoding.DecodeString(key); err == nil && len(dec) == 32 {
			raw = dec
		}
	}
	sum := md5.Sum(raw)
	return base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(sum[:])
}

// emptyChecksum is the checksum header of an empty body, as the JS SDK
// computes it for a command given ChecksumAlgorithm.
func emptyChecksum(alg string) (name, value string, ok bool) {
	switch strings.ToUpper(alg) {
	case "CRC32":
		return "x-amz-checksum-crc32", "AAAAAA==", true
	case "CRC32C":
		return "x-amz-checksum-crc32c", "AAAAAA==", true
	case "CRC64NVME":
		return "x-amz-checksum-crc64nvme", "AAAAAAAAAAA=", true
	case "SHA1":
		return "x-amz-checksum-sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", true
	case "SHA256":
		return "x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", true
	}
	return "", "", false
}

// PresignHTTP presigns an existing request, as the JS SDK's
// S3RequestPresigner.presign(request) does: its method, URL and headers.
// It does not modify r. Authorization, X-Amz-Date and Date headers are
// dropped; under the JS and default profiles x-amz-* headers move into the
// query unless unhoistable. The bucket and key are taken as they are in
// r's URL, which must be absolute.
func (c *Client) PresignHTTP(ctx context.Context, r *http.Request, o Options) (Result, error) {
	if r == nil || r.URL == nil {
		return Result{}, inputErr("", "", "request or its URL is nil")
	}
	if r.URL.Host == "" {
		return Result{}, inputErr("URL", "it needs a scheme and host", "request URL %q is not absolute", r.URL)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	// The JS presigner's rule: the Host header is the URL's host and port,
	// unless the request names another host, which is then signed (and must
	// be sent) while the URL keeps its own.
	host, urlHost := r.URL.Host, ""
	if r.Host != "" && r.Host != r.URL.Host && r.Host != r.URL.Hostname() {
		host, urlHost = r.Host, r.URL.Host
	}
	scheme := r.URL.Scheme
	if scheme == "" {
		scheme = "https"
	}
	query, err := sigv4.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return Result{}, fmt.Errorf("presign: %w", err)
	}
	for _, q := range query {
		if strings.HasPrefix(q.Name, "X-Amz-") && (q.Name == "X-Amz-Signature" || q.Name == "X-Amz-Credential") {
			return Result{}, inputErr("URL", "", "request URL is already presigned (it has %s)", q.Name)
		}
	}
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	var headers []hdr
	for _, k := range names {
		switch strings.ToLower(k) {
		case "authorization", "x-amz-date", "date", "host":
			continue
		}
		vals := r.Header[k]
		if len(vals) == 0 {
			continue
		}
		headers = append(headers, hdr{k, strings.Join(vals, ",")})
	}
	for _, h := range headers {
		if strings.ContainsAny(h.value, "\r\n") {
			return Result{}, inputErr("Header", "", "the %s header value contains a line break", h.name)
		}
	}
	ep := endpoint{scheme: scheme, host: host, urlHost: urlHost, path: r.URL.Path, rawPath: r.URL.EscapedPath(), region: c.cfg.Region}
	return c.sign(ctx, method, ep, "", query, headers, o.SignableHeaders, &o)
}
