package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presign-dev/presign/sigv4"
)

// Profile is the shape of one SDK's output: of a signed form here, and of
// a presigned URL in package presign, which uses this same type. See the
// package documentation.
type Profile int

const (
	// ProfileDefault is the JS shape with safer defaults: for a form,
	// checked input and "${filename}" honoured anywhere in the key; for a
	// URL, Content-Type signed when given and path-style custom endpoints.
	ProfileDefault Profile = iota
	// ProfileJS is byte-identical to the JavaScript SDK v3: createPresignedPost
	// of @aws-sdk/s3-presigned-post, and @aws-sdk/s3-request-presigner.
	ProfileJS
	// ProfileBotocore is byte-identical to botocore's generate_presigned_post
	// and generate_presigned_url.
	ProfileBotocore
)

// String returns "default", "js" or "botocore".
func (p Profile) String() string {
	switch p {
	case ProfileJS:
		return "js"
	case ProfileBotocore:
		return "botocore"
	}
	return "default"
}

// ParseProfile parses "default", "js" or "botocore" (and the aliases
// "presign", "javascript", "js-v3", "boto3", "python").
func ParseProfile(s string) (Profile, error) {
	switch strings.ToLower(s) {
	case "", "default", "presign":
		return ProfileDefault, nil
	case "js", "javascript", "js-v3":
		return ProfileJS, nil
	case "botocore", "boto3", "python":
		return ProfileBotocore, nil
	}
	return 0, inputErr("Profile", "use default, js or botocore", "unknown compatibility profile %q", s)
}

// DefaultExpires is a form's lifetime when SignInput.Expires is zero: one
// hour, as in both SDKs.
const DefaultExpires = time.Hour

// MaxExpires is the longest lifetime Sign accepts.
const MaxExpires = 7 * 24 * time.Hour

// Filename is the variable S3 replaces, in the key field, with the name of
// the uploaded file.
const Filename = "${filename}"

// Field is one form field.
type Field struct {
	// Name is the field name, such as "key" or "Content-Type".
	Name string
	// Value is the field value.
	Value string
}

// Fields are form fields in the order they are to be sent.
type Fields []Field

// Get returns the value of the first field called name, compared without
// regard to case, and whether there is one.
func (f Fields) Get(name string) (string, bool) {
	for _, x := range f {
		if strings.EqualFold(x.Name, name) {
			return x.Value, true
		}
	}
	return "", false
}

// MarshalJSON writes f as a JSON object, members in f's order.
func (f Fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(x.Name)
		if err != nil {
			return nil, err
		}
		v, err := marshal(x.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// set assigns name the way a JS object or Python dict does: a name already
// present keeps its place and takes the new value.
func (f *Fields) set(name, value string) {
	for i := range *f {
		if (*f)[i].Name == name {
			(*f)[i].Value = value
			return
		}
	}
	*f = append(*f, Field{name, value})
}

// jsOrder returns f in the order JavaScript enumerates an object's keys:
// array indices ("0", "1", ... up to 2^32-2) ascending, then the other keys
// in insertion order.
func jsOrder(f Fields) Fields {
	out := make(Fields, 0, len(f))
	var idx Fields
	for _, x := range f {
		if arrayIndex(x.Name) {
			idx = append(idx, x)
		} else {
			out = append(out, x)
		}
	}
	if len(idx) == 0 {
		return out
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, _ := strconv.ParseUint(idx[i].Name, 10, 64)
		b, _ := strconv.ParseUint(idx[j].Name, 10, 64)
		return a < b
	})
	return append(idx, out...)
}

func arrayIndex(s string) bool {
	if s == "" || len(s) > 10 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n < 1<<32-1
}

// SignInput is what [Sign] needs.
type SignInput struct {
	// Profile selects the shape of the form.
	Profile Profile
	// URL is where the form is posted, returned as Form.URL. The root
	// package's Client.PresignPost fills it in.
	URL string
	// Bucket is the bucket name. Required.
	Bucket string
	// Key is the object key, up to 1024 bytes of UTF-8, or a key with
	// "${filename}" for S3 to complete with the uploaded file's name.
	// Required.
	Key string
	// Expires is the form's lifetime, 1 second to 7 days; zero means
	// [DefaultExpires].
	Expires time.Duration
	// Fields are further form fields, such as Content-Type or
	// x-amz-meta-*, sent before the signature fields. Under ProfileDefault
	// and ProfileJS each becomes an exact-match condition; under
	// ProfileBotocore a field needs a condition in Conditions.
	Fields []Field
	// Conditions are further conditions, written first.
	Conditions []Condition
	// Credentials sign the form. A session token is sent as
	// X-Amz-Security-Token.
	Credentials sigv4.Credentials
	// Region is the bucket's region, such as "us-east-1". Required.
	Region string
	// Time is the signing time (X-Amz-Date); the form expires Expires after
	// it. Required.
	Time time.Time
}

// Form is a signed POST form.
type Form struct {
	// URL is where the form is posted.
	URL string `json:"url"`
	// Fields are the form fields to send, in order, before the file.
	Fields Fields `json:"fields"`
	// Policy is the policy that was signed.
	Policy Policy `json:"-"`
	// PolicyDocument is the exact JSON text of the policy, whose base64 is
	// the Policy field.
	PolicyDocument []byte `json:"-"`
	// Expires is when the form stops working.
	Expires time.Time `json:"-"`
}

// signatureFields are the fields the signer sets, lower case.
var signatureFields = map[string]bool{
	"bucket": true, "key": true, "policy": true, "file": true, "x-amz-algorithm": true,
	"x-amz-credential": true, "x-amz-date": true, "x-amz-security-token": true, "x-amz-signature": true,
}

func (in *SignInput) check() (time.Duration, error) {
	switch {
	case in == nil:
		return 0, inputErr("", "", "SignInput is nil")
	case in.Bucket == "":
		return 0, inputErr("Bucket", "", "bucket name is empty")
	case in.Key == "":
		return 0, inputErr("Key", "give a key or a prefix ending in ${filename}", "object key is empty")
	case len(in.Key) > 1024:
		return 0, inputErr("Key", "S3 keys are at most 1024 bytes", "object key is %d bytes long", len(in.Key))
	case !utf8.ValidString(in.Key) || !utf8.ValidString(in.Bucket):
		return 0, inputErr("Key", "", "bucket or key is not valid UTF-8")
	case in.Region == "":
		return 0, inputErr("Region", "give the bucket's region, such as us-east-1", "region is empty")
	case in.Time.IsZero():
		return 0, inputErr("Time", "give the time to sign at, such as time.Now()", "signing time is zero")
	case in.Profile < ProfileDefault || in.Profile > ProfileBotocore:
		return 0, inputErr("Profile", "", "unknown profile %d", in.Profile)
	}
	if err := in.Credentials.Validate(); err != nil {
		return 0, fromSigv4(err)
	}
	d := in.Expires
	if d == 0 {
		d = DefaultExpires
	}
	if d < time.Second || d > MaxExpires {
		return 0, inputErr("Expires", "a form lives 1s to 7 days (168h)", "expiry %v is out of range", in.Expires)
	}
	seen := map[string]bool{}
	for _, f := range in.Fields {
		if f.Name == "" {
			return 0, inputErr("Fields", "", "a field has an empty name")
		}
		if !utf8.ValidString(f.Name) || !utf8.ValidString(f.Value) {
			return 0, inputErr("Fields", "", "field %q is not valid UTF-8", f.Name)
		}
		if in.Profile != ProfileDefault {
			continue
		}
		ln := strings.ToLower(f.Name)
		if signatureFields[ln] {
			return 0, inputErr("Fields", "give the bucket and key in SignInput and leave the signature fields out", "field %q is set by the signer", f.Name)
		}
		if seen[ln] {
			return 0, inputErr("Fields", "", "field %q is given twice (names are case-insensitive)", f.Name)
		}
		seen[ln] = true
	}
	for _, c := range in.Conditions {
		if err := c.check(); err != nil {
			return 0, err
		}
	}
	return d, nil
}

// keyCondition is the condition on the key: a starts-with on the part
// before "${filename}", where the profile honours it, or an exact match.
func keyCondition(key string, p Profile) Condition {
	if p == ProfileDefault {
		if i := strings.Index(key, Filename); i >= 0 {
			return StartsWith("key", key[:i])
		}
	} else if strings.HasSuffix(key, Filename) {
		return StartsWith("key", key[:strings.LastIndex(key, Filename)])
	}
	return Exact("key", key)
}

// Sign builds the policy of in, signs it and returns the form. It does not
// modify in.
func Sign(in *SignInput) (*Form, error) {
	d, err := in.check()
	if err != nil {
		return nil, err
	}
	creds := in.Credentials
	t := in.Time.UTC()
	amzDate := t.Format(sigv4.TimeFormat)
	scope := sigv4.Scope{Date: amzDate[:8], Region: in.Region, Service: "s3"}
	credential := creds.AccessKeyID + "/" + scope.String()
	form := &Form{URL: in.URL, Expires: t.Add(d).Truncate(time.Second)}
	form.Policy.Expiration = form.Expires

	var fields Fields
	for _, f := range in.Fields {
		fields.set(f.Name, f.Value)
	}
	// Each condition is written once, by encoding/json; createPresignedPost
	// collects JSON.stringify of every condition in a Set, so under the JS
	// shapes a repeated condition keeps its first place. (The JS text
	// differs from encoding/json's only in U+2028 and U+2029, one to one,
	// so comparing encoding/json's text is the same.)
	var style jsonStyle
	var conds []Condition
	var raw []json.RawMessage
	var seen map[string]bool
	add := func(c Condition) error {
		b, err := c.MarshalJSON()
		if err != nil {
			return err
		}
		if seen != nil {
			if seen[string(b)] {
				return nil
			}
			seen[string(b)] = true
		}
		conds, raw = append(conds, c), append(raw, b)
		return nil
	}
	if in.Profile == ProfileBotocore {
		style = stylePython
		for _, c := range in.Conditions {
			if err := add(c); err != nil {
				return nil, err
			}
		}
		if err := add(Exact("bucket", in.Bucket)); err != nil {
			return nil, err
		}
		if err := add(keyCondition(in.Key, in.Profile)); err != nil {
			return nil, err
		}
		fields.set("key", in.Key)
		auth := Fields{{"x-amz-algorithm", sigv4.Algorithm}, {"x-amz-credential", credential}, {"x-amz-date", amzDate}}
		if creds.SessionToken != "" {
			auth = append(auth, Field{"x-amz-security-token", creds.SessionToken})
		}
		for _, f := range auth {
			fields.set(f.Name, f.Value)
			if err := add(Exact(f.Name, f.Value)); err != nil {
				return nil, err
			}
		}
	} else {
		style = styleJS
		fields.set("bucket", in.Bucket)
		fields.set("X-Amz-Algorithm", sigv4.Algorithm)
		fields.set("X-Amz-Credential", credential)
		fields.set("X-Amz-Date", amzDate)
		if creds.SessionToken != "" {
			fields.set("X-Amz-Security-Token", creds.SessionToken)
		}
		seen = map[string]bool{}
		for _, c := range in.Conditions {
			if err := add(c); err != nil {
				return nil, err
			}
		}
		for _, f := range jsOrder(fields) {
			if err := add(Exact(f.Name, f.Value)); err != nil {
				return nil, err
			}
		}
		if err := add(keyCondition(in.Key, in.Profile)); err != nil {
			return nil, err
		}
	}
	form.Policy.Conditions = conds
	doc, err := marshal(rawPolicyJSON{Expiration: form.Expires.UTC().Format(ExpirationFormat), Conditions: raw})
	if err != nil {
		return nil, fmt.Errorf("postpolicy: %w", err)
	}
	form.PolicyDocument = restyle(doc, style)
	b64 := base64.StdEncoding.EncodeToString(form.PolicyDocument)
	sig := sigv4.SignString(sigv4.DefaultSigner.SigningKey(creds.SecretAccessKey, scope), b64)
	if in.Profile == ProfileBotocore {
		fields.set("policy", b64)
		fields.set("x-amz-signature", sig)
		form.Fields = fields
	} else {
		fields.set("key", in.Key)
		fields.set("Policy", b64)
		fields.set("X-Amz-Signature", sig)
		form.Fields = jsOrder(fields)
	}
	return form, nil
}
