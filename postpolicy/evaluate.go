package postpolicy

import (
	"crypto/subtle"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv2"
	"github.com/presign-dev/presign/sigv4"
)

// MaxObjectSize is the largest file S3 accepts in a POST upload: 5 GiB.
const MaxObjectSize int64 = 5 << 30

// Evaluator checks signed POST uploads the way S3 does. Its zero value is
// not usable: Lookup is required. It is safe for concurrent use.
type Evaluator struct {
	// Lookup returns the credentials of an access key id, and false when
	// the key is unknown. A non-empty SessionToken must then be presented
	// as X-Amz-Security-Token; a non-zero Expires is enforced. Required.
	Lookup func(accessKeyID string) (sigv4.Credentials, bool)
	// Region is the region this endpoint serves; a credential scope naming
	// another is refused. Empty accepts any region.
	Region string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxObjectSize caps every upload, whatever the policy allows; zero
	// means [MaxObjectSize].
	MaxObjectSize int64

	// Signer derives and caches signing keys; nil means
	// [sigv4.DefaultSigner].
	Signer *sigv4.Signer
}

func (e *Evaluator) signer() *sigv4.Signer {
	if e.Signer != nil {
		return e.Signer
	}
	return sigv4.DefaultSigner
}

// EvaluateInput is one submitted form.
type EvaluateInput struct {
	// Bucket is the bucket the form was posted to, from the request's host
	// or path. A bucket form field must name the same bucket; bucket
	// conditions are checked against it. Empty means the bucket field.
	Bucket string
	// Fields are the form fields in the order they came, up to the file
	// part. S3 ignores fields after the file; so should the caller.
	Fields []Field
	// Filename is the filename of the file part, which replaces
	// "${filename}" in the key field.
	Filename string
}

// Upload is a form that passed evaluation: what to store and how.
type Upload struct {
	// Bucket is the bucket to store into.
	Bucket string
	// Key is the object key, "${filename}" replaced.
	Key string
	// AccessKeyID is the key that signed the form.
	AccessKeyID string
	// Time is the signing time (X-Amz-Date).
	Time time.Time
	// Policy is the form's policy.
	Policy *Policy
	// Fields are the submitted fields, as given, for the caller to read
	// the object's Content-Type, metadata, ACL, success_action_* and such.
	Fields Fields
	// Limits bound the size of the file, from content-length-range
	// conditions and the evaluator's MaxObjectSize.
	Limits Limits
}

// Limits bound the size of an uploaded file, in bytes, both ends included.
type Limits struct {
	// Min is the smallest size allowed, 0 when there is no minimum.
	Min int64
	// Max is the largest size allowed.
	Max int64
}

// CheckSize returns an EntityTooLarge or EntityTooSmall *[s3err.Error],
// with the sizes, when a file of n bytes is out of bounds, and nil when it
// is within them.
func (l Limits) CheckSize(n int64) error {
	if n > l.Max {
		return s3err.New(s3err.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size").
			With("ProposedSize", strconv.FormatInt(n, 10)).With("MaxSizeAllowed", strconv.FormatInt(l.Max, 10))
	}
	if n < l.Min {
		return s3err.New(s3err.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size").
			With("ProposedSize", strconv.FormatInt(n, 10)).With("MinSizeAllowed", strconv.FormatInt(l.Min, 10))
	}
	return nil
}

// Reader returns a reader of r that enforces l while the file streams: it
// fails with EntityTooLarge as soon as more than Max bytes have come (it
// never reads more than Max+1), and with EntityTooSmall at the end of r if
// fewer than Min came. Store what it gives only once it returns io.EOF.
func (l Limits) Reader(r io.Reader) io.Reader { return &limitedReader{r: r, l: l} }

type limitedReader struct {
	r   io.Reader
	l   Limits
	n   int64
	err error
}

func (lr *limitedReader) Read(p []byte) (int, error) {
	if lr.err != nil {
		return 0, lr.err
	}
	if room := lr.l.Max + 1 - lr.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := lr.r.Read(p)
	lr.n += int64(n)
	if lr.n > lr.l.Max {
		lr.err = lr.l.CheckSize(lr.n)
		return 0, lr.err
	}
	if err == io.EOF {
		if e := lr.l.CheckSize(lr.n); e != nil {
			lr.err = e
			return n, e
		}
	}
	if err != nil {
		lr.err = err
	}
	return n, err
}

// exempt reports whether S3 lets a field through without a condition.
func exempt(lower string) bool {
	return lower == "x-amz-signature" || lower == "policy" || lower == "file" || strings.HasPrefix(lower, "x-ignore-") ||
		lower == "awsaccesskeyid" || lower == "signature" // SigV2's, which S3 also exempts
}

func missingField(name string) *s3err.Error {
	return s3err.New(s3err.InvalidArgument, "Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name).
		With("ArgumentName", name).With("ArgumentValue", "")
}

func (e *Evaluator) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Evaluate checks a submitted form: its signature, credentials, policy,
// expiry and conditions, and that every field it has is allowed. It reads
// nothing but in; the caller then streams the file within the returned
// Upload's Limits. Every error is an *[s3err.Error]. It does not modify in.
func (e *Evaluator) Evaluate(in *EvaluateInput) (*Upload, error) {
	if e.Lookup == nil {
		return nil, s3err.New(s3err.InternalError, "postpolicy: Evaluator has no Lookup")
	}
	if in == nil {
		return nil, s3err.New(s3err.InternalError, "postpolicy: EvaluateInput is nil")
	}
	// Index the fields by lower-case name; a name given twice is refused,
	// since which of the values a condition covered would be ambiguous.
	// The index is a map, built in one pass: a client controls the number
	// of fields, and this runs before the signature is checked.
	lower := make([]string, len(in.Fields))
	index := make(map[string]int, len(in.Fields))
	get := func(name string) (string, bool) {
		if i, ok := index[name]; ok {
			return in.Fields[i].Value, true
		}
		return "", false
	}
	for i, f := range in.Fields {
		l := strings.ToLower(f.Name)
		if !utf8.ValidString(f.Name) || !utf8.ValidString(f.Value) {
			return nil, s3err.New(s3err.InvalidArgument, "POST form field %q is not valid UTF-8.", f.Name).With("ArgumentName", f.Name)
		}
		if f.Name == "" {
			return nil, s3err.New(s3err.InvalidArgument, "POST form field has an empty name.").With("ArgumentName", "")
		}
		if _, dup := index[l]; dup {
			if !strings.HasPrefix(l, "x-ignore-") {
				return nil, s3err.New(s3err.InvalidArgument, "POST form field '%s' appears more than once.", f.Name).With("ArgumentName", f.Name)
			}
		} else {
			index[l] = i
		}
		lower[i] = l
	}

	// The signature fields.
	policyB64, hasPolicy := get("policy")
	alg, hasAlg := get("x-amz-algorithm")
	cred, hasCred := get("x-amz-credential")
	date, hasDate := get("x-amz-date")
	sig, hasSig := get("x-amz-signature")
	if !hasPolicy && !hasAlg && !hasCred && !hasDate && !hasSig {
		// An anonymous upload: the caller decides whether the bucket
		// allows one before calling Evaluate.
		return nil, s3err.New(s3err.AccessDenied, "Access Denied")
	}
	var (
		akid string
		t    time.Time
		now  = e.now()
	)
	if v2key, ok := get("awsaccesskeyid"); ok && !hasAlg && !hasCred && !hasDate && !hasSig {
		// A Signature Version 2 form: AWSAccessKeyId, policy, signature.
		var err error
		if akid, err = e.checkV2(get, policyB64, v2key, now); err != nil {
			return nil, err
		}
	} else {
		var err error
		if akid, t, err = e.checkV4(get, policyB64, alg, cred, date, sig, now); err != nil {
			return nil, err
		}
	}
	key, hasKey := get("key")
	if !hasKey {
		return nil, missingField("key")
	}

	// The signature holds: the policy is the signer's. Parse it only now.
	p, err := Parse(policyB64)
	if err != nil {
		return nil, err
	}
	if !now.Before(p.Expiration) {
		return nil, s3err.New(s3err.AccessDenied, "Invalid according to Policy: Policy expired.")
	}

	// The bucket is the one posted to: a bucket field naming another does
	// not move the upload there, and the policy's bucket condition, checked
	// against the bucket posted to, then fails with 403 AccessDenied, as S3
	// answers.
	bucket := in.Bucket
	if fb, ok := get("bucket"); ok && bucket == "" {
		bucket = fb
	}
	if bucket == "" {
		return nil, missingField("bucket")
	}
	key = strings.ReplaceAll(key, Filename, in.Filename)
	switch {
	case key == "":
		return nil, s3err.New(s3err.InvalidArgument, "User key must have a length greater than 0.").With("ArgumentName", "key").With("ArgumentValue", "")
	case len(key) > 1024:
		return nil, s3err.New(s3err.KeyTooLongError, "Your key is too long").With("Size", strconv.Itoa(len(key))).With("MaxSizeAllowed", "1024")
	case !utf8.ValidString(key):
		return nil, s3err.New(s3err.InvalidArgument, "The key is not valid UTF-8.").With("ArgumentName", "key")
	}

	// Every field needs a condition, but for the exempt ones.
	conditioned := make(map[string]bool, len(p.Conditions))
	for _, c := range p.Conditions {
		if c.Op != OpContentLengthRange {
			conditioned[strings.ToLower(c.Field)] = true
		}
	}
	covered := func(l string) bool {
		if conditioned[l] {
			return true
		}
		// Condition names match without regard to case, by Unicode
		// folding, which lower-casing matches only for ASCII.
		for i := 0; i < len(l); i++ {
			if l[i] >= utf8.RuneSelf {
				for _, c := range p.Conditions {
					if c.Op != OpContentLengthRange && strings.EqualFold(c.Field, l) {
						return true
					}
				}
				return false
			}
		}
		return false
	}
	for i, l := range lower {
		if !exempt(l) && !covered(l) {
			return nil, s3err.New(s3err.AccessDenied, "Invalid according to Policy: Extra input fields: %s", in.Fields[i].Name)
		}
	}

	max := e.MaxObjectSize
	if max <= 0 {
		max = MaxObjectSize
	}
	limits := Limits{Min: 0, Max: max}
	for _, c := range p.Conditions {
		if c.Op == OpContentLengthRange {
			limits.Min = maxInt(limits.Min, c.Min)
			limits.Max = minInt(limits.Max, c.Max)
			continue
		}
		var v string
		var ok bool
		switch strings.ToLower(c.Field) {
		case "bucket":
			v, ok = bucket, true
		case "key":
			v, ok = key, true
		default:
			v, ok = get(strings.ToLower(c.Field))
		}
		if !ok || !c.Matches(v) {
			return nil, conditionFailed(c)
		}
	}
	return &Upload{
		Bucket: bucket, Key: key, AccessKeyID: akid, Time: t, Policy: p,
		Fields: append(Fields(nil), in.Fields...), Limits: limits,
	}, nil
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func minInt(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// checkV4 checks the SigV4 signature fields of a form and returns the
// access key and the signing time.
func (e *Evaluator) checkV4(get func(string) (string, bool), policyB64, alg, cred, date, sig string, now time.Time) (string, time.Time, error) {
	for _, req := range []struct {
		name, value string
	}{{"policy", policyB64}, {"X-Amz-Algorithm", alg}, {"X-Amz-Credential", cred}, {"X-Amz-Date", date}, {"X-Amz-Signature", sig}} {
		if req.value == "" {
			return "", time.Time{}, missingField(req.name)
		}
	}
	if alg != sigv4.Algorithm {
		return "", time.Time{}, s3err.New(s3err.InvalidArgument, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"").
			With("ArgumentName", "X-Amz-Algorithm").With("ArgumentValue", alg)
	}
	t, err := time.Parse(sigv4.TimeFormat, date)
	if err != nil {
		return "", time.Time{}, s3err.New(s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
	}
	credErr := func(format string, args ...any) *s3err.Error {
		return s3err.New(s3err.InvalidArgument, format, args...).With("ArgumentName", "X-Amz-Credential").With("ArgumentValue", cred)
	}
	c, perr := sigv4.ParseCredential(cred)
	switch {
	case errors.Is(perr, sigv4.ErrCredentialShape):
		return "", time.Time{}, credErr("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	case errors.Is(perr, sigv4.ErrCredentialDate):
		return "", time.Time{}, credErr("incorrect date format %q. This date in the credential must be in the format \"yyyyMMdd\".", c.Scope.Date)
	}
	akid, scope := c.AccessKeyID, c.Scope
	if scope.Date != date[:8] {
		return "", time.Time{}, credErr("Invalid credential date %q. Date is not the same as X-Amz-Date: %q.", scope.Date, date[:8])
	}
	if scope.Region == "" {
		return "", time.Time{}, credErr("the region is empty")
	}
	if e.Region != "" && scope.Region != e.Region {
		return "", time.Time{}, s3err.New(s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; the region '%s' is wrong; expecting '%s'", scope.Region, e.Region).With("Region", e.Region)
	}
	if scope.Service != "s3" {
		return "", time.Time{}, credErr("incorrect service %q. This endpoint belongs to \"s3\".", scope.Service)
	}
	if c.Terminal != sigv4.Terminal {
		return "", time.Time{}, credErr("incorrect terminal %q. This endpoint uses \"aws4_request\".", c.Terminal)
	}
	creds, known := e.Lookup(akid)
	if !known {
		return "", time.Time{}, s3err.New(s3err.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.").With("AWSAccessKeyId", akid)
	}
	if !creds.Expires.IsZero() && !now.Before(creds.Expires) {
		return "", time.Time{}, s3err.New(s3err.ExpiredToken, "The provided token has expired.")
	}
	token, _ := get("x-amz-security-token")
	if (creds.SessionToken != "" || token != "") && subtle.ConstantTimeCompare([]byte(creds.SessionToken), []byte(token)) != 1 {
		return "", time.Time{}, s3err.New(s3err.InvalidToken, "The provided token is malformed or otherwise invalid.")
	}
	if !sigv4.CheckString(e.signer().SigningKey(creds.SecretAccessKey, scope), policyB64, sig) {
		return "", time.Time{}, sigv4.SignatureMismatch(akid, policyB64, sig, "")
	}

	return akid, t, nil
}

// checkV2 checks the Signature Version 2 fields of a form (AWSAccessKeyId,
// policy, signature: base64 of the HMAC-SHA1 of the policy) and returns
// the access key.
func (e *Evaluator) checkV2(get func(string) (string, bool), policyB64, akid string, now time.Time) (string, error) {
	sig, _ := get("signature")
	for _, req := range []struct{ name, value string }{{"policy", policyB64}, {"AWSAccessKeyId", akid}, {"Signature", sig}} {
		if req.value == "" {
			return "", missingField(req.name)
		}
	}
	creds, known := e.Lookup(akid)
	if !known {
		return "", s3err.New(s3err.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.").With("AWSAccessKeyId", akid)
	}
	if !creds.Expires.IsZero() && !now.Before(creds.Expires) {
		return "", s3err.New(s3err.ExpiredToken, "The provided token has expired.")
	}
	token, _ := get("x-amz-security-token")
	if (creds.SessionToken != "" || token != "") && subtle.ConstantTimeCompare([]byte(creds.SessionToken), []byte(token)) != 1 {
		return "", s3err.New(s3err.InvalidToken, "The provided token is malformed or otherwise invalid.")
	}
	if subtle.ConstantTimeCompare([]byte(sigv2.Sign(creds.SecretAccessKey, policyB64)), []byte(sig)) != 1 {
		return "", s3err.New(s3err.SignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.").
			With("AWSAccessKeyId", akid).With("StringToSign", policyB64).With("SignatureProvided", sig)
	}
	return akid, nil
}
