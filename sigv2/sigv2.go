// Package sigv2 verifies S3's legacy Signature Version 2: presigned URLs
// (AWSAccessKeyId, Expires, Signature in the query) and the
// "Authorization: AWS id:signature" header, with HMAC-SHA1 over the string
// to sign S3's documentation gives ("Signing and authenticating REST
// requests", Amazon S3 User Guide):
//
//	StringToSign = HTTP-Verb + "\n" +
//	               Content-MD5 + "\n" +
//	               Content-Type + "\n" +
//	               Date (header auth; empty with x-amz-date) or Expires (query auth) + "\n" +
//	               CanonicalizedAmzHeaders +
//	               CanonicalizedResource
//
// presign never signs with SigV2; the embedded store verifies it because
// older SDKs and tools still send it (Debian's boto3 presigns with it by
// default for a custom endpoint in us-east-1). It uses the standard library
// only.
package sigv2

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/s3err"
)

// MaxSkew is how far the Date of a header-signed request may be from the
// server's clock, as S3 allows.
const MaxSkew = 15 * time.Minute

// subresources are the query parameters the canonicalized resource keeps:
// S3's list of sub-resources and response overrides (the list botocore
// signs, a superset of the documentation's).
var subresources = map[string]bool{
	"accelerate": true, "acl": true, "cors": true, "defaultObjectAcl": true, "delete": true,
	"lifecycle": true, "location": true, "logging": true, "notification": true, "partNumber": true,
	"policy": true, "requestPayment": true, "replication": true, "restore": true, "storageClass": true,
	"tagging": true, "torrent": true, "uploadId": true, "uploads": true, "versionId": true,
	"versioning": true, "versions": true, "website": true, "analytics": true, "metrics": true,
	"inventory": true, "select": true, "select-type": true, "object-lock": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
	"response-content-language": true, "response-content-type": true, "response-expires": true,
}

// Is reports whether r is signed with SigV2: an "AWS " Authorization
// header, or, with no Authorization, an AWSAccessKeyId in a query that is
// not a SigV4 presigned URL's.
func Is(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if auth != "" {
		return strings.HasPrefix(auth, "AWS ")
	}
	q := r.URL.RawQuery
	return strings.Contains(q, "AWSAccessKeyId=") && !strings.Contains(q, "X-Amz-Algorithm=") // a SigV4 URL is SigV4's
}

// Verifier checks SigV2 requests.
type Verifier struct {
	// Lookup returns the secret of an access key id, and false when the
	// key is unknown.
	Lookup func(accessKeyID string) (secret string, ok bool)
	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
}

// Auth is a verified request.
type Auth struct {
	AccessKeyID string
	// Presigned is set for query authentication.
	Presigned bool
	// Expires is when a presigned URL stops working.
	Expires time.Time
}

// Request is what the signature covers of a request, besides its headers.
type Request struct {
	// HTTP is the request.
	HTTP *http.Request
	// Bucket is the bucket the request is for, and Virtual is set when
	// its host names it (virtual-hosted style): the canonicalized
	// resource then starts with "/" + Bucket.
	Bucket  string
	Virtual bool
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify checks the signature of req and returns who signed it, or an
// *s3err.Error as S3 answers: AccessDenied for a presigned URL missing a
// parameter or expired, InvalidAccessKeyId, RequestTimeTooSkewed, and
// SignatureDoesNotMatch with the string to sign.
func (v *Verifier) Verify(req Request) (*Auth, error) {
	r := req.HTTP
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, s3err.New(s3err.InvalidArgument, "The query string is malformed.")
	}
	now := v.now()
	a := &Auth{}
	var signature, dateLine string
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS ") {
		id, sig, ok := strings.Cut(strings.TrimPrefix(auth, "AWS "), ":")
		if !ok || id == "" || sig == "" {
			return nil, s3err.New(s3err.InvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature").
				With("ArgumentName", "Authorization").With("ArgumentValue", auth)
		}
		a.AccessKeyID, signature = id, sig
		date := r.Header.Get("X-Amz-Date")
		if date == "" {
			date = r.Header.Get("Date")
			dateLine = date
		}
		t, err := http.ParseTime(date)
		if err != nil {
			return nil, s3err.New(s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
		}
		if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
			return nil, s3err.New(s3err.RequestTimeTooSkewed, "The difference between the request time and the current time is too large.").
				With("RequestTime", date).With("ServerTime", now.UTC().Format(time.RFC3339)).With("MaxAllowedSkewMilliseconds", "900000")
		}
	} else {
		id, sig, exp := q.Get("AWSAccessKeyId"), q.Get("Signature"), q.Get("Expires")
		if id == "" || sig == "" || exp == "" {
			return nil, s3err.New(s3err.AccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
		}
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || secs < 0 {
			return nil, s3err.New(s3err.AccessDenied, "Invalid date (should be seconds since epoch): %s", exp)
		}
		a.AccessKeyID, signature, dateLine, a.Presigned = id, sig, exp, true
		a.Expires = time.Unix(secs, 0)
		if now.After(a.Expires) {
			return nil, s3err.New(s3err.AccessDenied, "Request has expired").
				With("Expires", a.Expires.UTC().Format(time.RFC3339)).With("ServerTime", now.UTC().Format(time.RFC3339))
		}
	}
	secret, ok := v.Lookup(a.AccessKeyID)
	if !ok {
		return nil, s3err.New(s3err.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.").
			With("AWSAccessKeyId", a.AccessKeyID)
	}
	sts := StringToSign(req, dateLine, a.Presigned)
	if !hmac.Equal([]byte(Sign(secret, sts)), []byte(signature)) && !v.variantMatches(req, dateLine, a.Presigned, secret, signature) {
		return nil, s3err.New(s3err.SignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.").
			With("AWSAccessKeyId", a.AccessKeyID).With("StringToSign", sts).
			With("SignatureProvided", signature).With("StringToSignBytes", spacedHex(sts))
	}
	return a, nil
}

// maxVariantParams bounds the query parameters tried as botocore's static
// ones (variantMatches), so that a request with many costs little.
const maxVariantParams = 8

// variantMatches reports whether signature is that of one of the
// canonicalized resources botocore signs besides S3's documented one, all
// covering what the documented one covers and more: botocore builds the
// resource from the operation's URI template, so a bucket-level request's
// path may gain or lose its trailing slash ("/bucket/" for HeadBucket,
// "/bucket?list-type=2" for ListObjectsV2), and the template's fixed query
// comes before the sub-resources, repeating one ("/bucket/key?uploads?uploads"
// for CreateMultipartUpload, "/bucket?acl?acl"). Real botocore sends these
// (testdata/sdk/botocore-sigv2.json); accepting them lets its requests in
// without accepting any change to what the documented form signs.
func (v *Verifier) variantMatches(req Request, dateLine string, presigned bool, secret, signature string) bool {
	head := stringToSignHead(req, dateLine, presigned)
	path, subs := resourceParts(req, req.HTTP.URL.RawQuery)
	paths := []string{path}
	if strings.Count(path, "/") == 1 { // a bucket-level request: "/bucket"
		paths = append(paths, path+"/")
	} else if strings.Count(path, "/") == 2 && strings.HasSuffix(path, "/") {
		paths = append(paths, strings.TrimSuffix(path, "/"))
	}
	statics := []string{""}
	for i, kv := range strings.Split(req.HTTP.URL.RawQuery, "&") {
		if i == maxVariantParams {
			break
		}
		k, _, _ := strings.Cut(kv, "=")
		if kv != "" && k != "AWSAccessKeyId" && k != "Signature" && k != "Expires" && !strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			statics = append(statics, "?"+kv)
		}
	}
	for _, p := range paths {
		for _, st := range statics {
			if p == path && st == "" {
				continue // the documented form, tried already
			}
			if hmac.Equal([]byte(Sign(secret, head+p+st+subs)), []byte(signature)) {
				return true
			}
		}
	}
	return false
}

// Sign is the SigV2 signature of a string to sign: base64 of its
// HMAC-SHA1 under the secret.
func Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// StringToSign is the string to sign of req with the given Date (or
// Expires) line. A presigned request's x-amz-* query parameters count as
// headers, as the SDKs hoist them there.
func StringToSign(req Request, dateLine string, presigned bool) string {
	path, subs := resourceParts(req, req.HTTP.URL.RawQuery)
	return stringToSignHead(req, dateLine, presigned) + path + subs
}

// stringToSignHead is the string to sign up to the canonicalized resource.
func stringToSignHead(req Request, dateLine string, presigned bool) string {
	r := req.HTTP
	var b strings.Builder
	b.WriteString(strings.ToUpper(r.Method))
	b.WriteByte('\n')
	b.WriteString(strings.TrimSpace(r.Header.Get("Content-MD5")))
	b.WriteByte('\n')
	b.WriteString(strings.TrimSpace(r.Header.Get("Content-Type")))
	b.WriteByte('\n')
	b.WriteString(dateLine)
	b.WriteByte('\n')
	amz := map[string][]string{}
	for name, vals := range r.Header {
		ln := strings.ToLower(name)
		if strings.HasPrefix(ln, "x-amz-") {
			for _, v := range vals {
				amz[ln] = append(amz[ln], strings.TrimSpace(v))
			}
		}
	}
	rawQuery := r.URL.RawQuery
	if presigned {
		for _, kv := range strings.Split(rawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			ln := strings.ToLower(unescape(k))
			if strings.HasPrefix(ln, "x-amz-") && r.Header.Get(ln) == "" {
				amz[ln] = append(amz[ln], strings.TrimSpace(unescape(v)))
			}
		}
	}
	names := make([]string, 0, len(amz))
	for n := range amz {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.Join(amz[n], ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// resourceParts is the canonicalized resource: the path as sent (with "/"
// + bucket in front for a virtual-hosted request), and then the
// sub-resources of the query, sorted, their values decoded ("?a&b=c", or
// "").
func resourceParts(req Request, rawQuery string) (path, subs string) {
	r := req.HTTP
	path = r.URL.EscapedPath()
	if p, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(p, "/") {
		path = p // exactly as sent
	}
	if req.Virtual {
		path = "/" + req.Bucket + path
	}
	type pair struct{ k, v string }
	var list []pair
	for _, kv := range strings.Split(rawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, hasValue := strings.Cut(kv, "=")
		if !subresources[k] {
			continue
		}
		p := pair{k: k}
		if hasValue {
			p.v = "=" + unescape(v)
		}
		list = append(list, p)
	}
	if len(list) == 0 {
		return path, ""
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].k < list[j].k })
	var b strings.Builder
	for i, p := range list {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteString(p.v)
	}
	return path, b.String()
}

// unescape decodes a query component as the SDKs do (a '+' stays a '+'),
// keeping it as is when it is not valid escaping.
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// spacedHex is S3's StringToSignBytes: the bytes in hex, spaced.
func spacedHex(s string) string {
	h := hex.EncodeToString([]byte(s))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}
