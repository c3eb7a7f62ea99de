package postpolicy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

var (
	evCreds = sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	evTemp  = sigv4.Credentials{AccessKeyID: "ASIATEMPORARY", SecretAccessKey: "temporary-secret", SessionToken: "FQoGZXIvYXdzEXAMPLETOKEN"}
	evT0    = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
)

// checkCode fails unless err is an *s3err.Error with code and, when msg is
// not empty, a message containing msg.
func checkCode(t *testing.T, err error, code s3err.ErrorCode, msg string) *s3err.Error {
	t.Helper()
	var se *s3err.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want %s", err, err, code)
	}
	if se.Code != code || !strings.Contains(se.Message, msg) {
		t.Fatalf("error %s: %q, want %s: %q", se.Code, se.Message, code, msg)
	}
	return se
}

// signedForm signs the standard test form: an image upload under uploads/.
func signedForm(t *testing.T, creds sigv4.Credentials, extra ...Condition) Fields {
	t.Helper()
	form, err := Sign(&SignInput{
		Bucket: "examplebucket", Key: "uploads/${filename}",
		Fields:      []Field{{"Content-Type", "image/png"}, {"acl", "public-read"}},
		Conditions:  append([]Condition{StartsWith("Content-Type", "image/"), ContentLengthRange(1, 1<<20)}, extra...),
		Credentials: creds, Region: "us-east-1", Time: evT0, Expires: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return form.Fields
}

// rawForm signs a hand-written policy document and returns a form in the
// JS shape around it.
func rawForm(doc string, creds sigv4.Credentials) Fields {
	b64 := base64.StdEncoding.EncodeToString([]byte(doc))
	return rawFormB64(b64, creds)
}

func rawFormB64(b64 string, creds sigv4.Credentials) Fields {
	date := evT0.Format(sigv4.TimeFormat)
	return Fields{
		{"key", "uploads/a.txt"},
		{"X-Amz-Algorithm", sigv4.Algorithm},
		{"X-Amz-Credential", creds.AccessKeyID + "/" + date[:8] + "/us-east-1/s3/aws4_request"},
		{"X-Amz-Date", date},
		{"Policy", b64},
		{"X-Amz-Signature", sigv4.SignString(sigv4.DeriveKey(creds.SecretAccessKey, date[:8], "us-east-1", "s3"), b64)},
	}
}

// set returns f with the field called name (any case) given value, or
// appended; del returns f without it.
func set(f Fields, name, value string) Fields {
	out := append(Fields(nil), f...)
	for i := range out {
		if strings.EqualFold(out[i].Name, name) {
			out[i].Value = value
			return out
		}
	}
	return append(out, Field{name, value})
}

func del(f Fields, name string) Fields {
	var out Fields
	for _, x := range f {
		if !strings.EqualFold(x.Name, name) {
			out = append(out, x)
		}
	}
	return out
}

func rename(f Fields, from, to string) Fields {
	out := append(Fields(nil), f...)
	for i := range out {
		if out[i].Name == from {
			out[i].Name = to
		}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	base := func(t *testing.T) Fields { return signedForm(t, evCreds) }
	type tcase struct {
		name     string
		form     func(t *testing.T) Fields
		bucket   string // default examplebucket
		filename string // default photo.png
		now      time.Time
		region   string
		creds    *sigv4.Credentials // what Lookup knows; default evCreds
		code     s3err.ErrorCode    // "" means accepted
		msg      string
		key      string // the accepted upload's key
	}
	const okKey = "uploads/photo.png"
	cases := []tcase{
		// Accepted.
		{name: "signed-form", form: base, key: okKey},
		{name: "field-names-any-case", form: func(t *testing.T) Fields {
			f := base(t)
			for _, n := range [][2]string{{"key", "KEY"}, {"Policy", "policy"}, {"X-Amz-Signature", "x-amz-signature"}, {"X-Amz-Date", "x-AMZ-date"}, {"Content-Type", "content-type"}, {"bucket", "Bucket"}} {
				f = rename(f, n[0], n[1])
			}
			return f
		}, key: okKey},
		{name: "filename-replaced", form: base, filename: "my cat 😀.png", key: "uploads/my cat 😀.png"},
		{name: "filename-empty", form: base, filename: "", key: "uploads/"},
		{name: "starts-with-content-type-list", form: func(t *testing.T) Fields {
			return set(base(t), "Content-Type", "image/png, image/webp")
		}, code: s3err.AccessDenied, msg: `["eq", "$Content-Type", "image/png"]`},
		{name: "starts-with-empty-any-value", form: func(t *testing.T) Fields {
			return set(signedForm(t, evCreds, StartsWith("x-amz-meta-note", "")), "x-amz-meta-note", "anything at all")
		}, key: okKey},
		{name: "starts-with-empty-empty-value", form: func(t *testing.T) Fields {
			return set(signedForm(t, evCreds, StartsWith("x-amz-meta-note", "")), "x-amz-meta-note", "")
		}, key: okKey},
		{name: "x-ignore-field", form: func(t *testing.T) Fields { return set(base(t), "x-ignore-tracking", "123") }, key: okKey},
		{name: "X-Ignore-field-upper-case", form: func(t *testing.T) Fields { return set(base(t), "X-Ignore-Tracking", "123") }, key: okKey},
		{name: "session-token", form: func(t *testing.T) Fields { return signedForm(t, evTemp) }, creds: &evTemp, key: okKey},
		{name: "eq-list-and-dollar-case", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00.000Z","conditions":[["eq","$KEY","uploads/a.txt"],{"bucket":"examplebucket"},`+
				`{"x-amz-algorithm":"AWS4-HMAC-SHA256"},["starts-with","$x-amz-credential",""],["starts-with","$x-amz-date","2026"]]}`, evCreds)
		}, key: "uploads/a.txt"},
		{name: "no-bucket-field-botocore-shape", form: func(t *testing.T) Fields {
			form, err := Sign(&SignInput{Profile: ProfileBotocore, Bucket: "examplebucket", Key: "k.txt", Credentials: evCreds, Region: "us-east-1", Time: evT0})
			if err != nil {
				t.Fatal(err)
			}
			return form.Fields
		}, key: "k.txt"},
		{name: "bucket-from-field-only", form: base, bucket: "-", key: okKey},
		{name: "region-matches", form: base, region: "us-east-1", key: okKey},
		{name: "just-before-expiry", form: base, now: evT0.Add(time.Hour - time.Nanosecond), key: okKey},

		// Refused: the signature fields.
		{name: "no-auth-fields", form: func(t *testing.T) Fields { return Fields{{"key", "a"}, {"acl", "private"}} }, code: s3err.AccessDenied, msg: "Access Denied"},
		{name: "missing-policy", form: func(t *testing.T) Fields { return del(base(t), "policy") }, code: s3err.InvalidArgument, msg: "Bucket POST must contain a field named 'policy'."},
		{name: "missing-algorithm", form: func(t *testing.T) Fields { return del(base(t), "x-amz-algorithm") }, code: s3err.InvalidArgument, msg: "named 'X-Amz-Algorithm'"},
		{name: "missing-credential", form: func(t *testing.T) Fields { return del(base(t), "x-amz-credential") }, code: s3err.InvalidArgument, msg: "named 'X-Amz-Credential'"},
		{name: "missing-date", form: func(t *testing.T) Fields { return del(base(t), "x-amz-date") }, code: s3err.InvalidArgument, msg: "named 'X-Amz-Date'"},
		{name: "missing-signature", form: func(t *testing.T) Fields { return del(base(t), "x-amz-signature") }, code: s3err.InvalidArgument, msg: "named 'X-Amz-Signature'"},
		{name: "empty-signature", form: func(t *testing.T) Fields { return set(base(t), "x-amz-signature", "") }, code: s3err.InvalidArgument, msg: "named 'X-Amz-Signature'"},
		{name: "missing-key", form: func(t *testing.T) Fields { return del(base(t), "key") }, code: s3err.InvalidArgument, msg: "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."},
		{name: "algorithm-sha1", form: func(t *testing.T) Fields { return set(base(t), "x-amz-algorithm", "AWS4-HMAC-SHA1") }, code: s3err.InvalidArgument, msg: `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`},
		{name: "credential-malformed", form: func(t *testing.T) Fields {
			return set(base(t), "x-amz-credential", "AKIDEXAMPLE/20260115/us-east-1/s3")
		}, code: s3err.InvalidArgument, msg: "the Credential is mal-formed"},
		{name: "credential-bad-date", form: func(t *testing.T) Fields {
			return set(base(t), "x-amz-credential", "AKIDEXAMPLE/2026-01-15/us-east-1/s3/aws4_request")
		}, code: s3err.InvalidArgument, msg: "incorrect date format"},
		{name: "credential-date-not-amz-date", form: func(t *testing.T) Fields {
			return set(base(t), "x-amz-credential", "AKIDEXAMPLE/20260114/us-east-1/s3/aws4_request")
		}, code: s3err.InvalidArgument, msg: "Date is not the same as X-Amz-Date"},
		{name: "credential-service-ec2", form: func(t *testing.T) Fields {
			return set(base(t), "x-amz-credential", "AKIDEXAMPLE/20260115/us-east-1/ec2/aws4_request")
		}, code: s3err.InvalidArgument, msg: `incorrect service "ec2"`},
		{name: "credential-terminal", form: func(t *testing.T) Fields {
			return set(base(t), "x-amz-credential", "AKIDEXAMPLE/20260115/us-east-1/s3/aws5_request")
		}, code: s3err.InvalidArgument, msg: "incorrect terminal"},
		{name: "wrong-region", form: base, region: "eu-west-1", code: s3err.AuthorizationHeaderMalformed, msg: "the region 'us-east-1' is wrong; expecting 'eu-west-1'"},
		{name: "bad-amz-date", form: func(t *testing.T) Fields { return set(base(t), "x-amz-date", "2026-01-15T12:00:00Z") }, code: s3err.AccessDenied, msg: "valid Date or x-amz-date"},
		{name: "unknown-access-key", form: base, creds: &sigv4.Credentials{AccessKeyID: "OTHER", SecretAccessKey: "x"}, code: s3err.InvalidAccessKeyID, msg: "does not exist in our records"},
		{name: "wrong-secret", form: base, creds: &sigv4.Credentials{AccessKeyID: evCreds.AccessKeyID, SecretAccessKey: "not the secret"}, code: s3err.SignatureDoesNotMatch, msg: "does not match the signature you provided"},
		{name: "signature-flipped", form: func(t *testing.T) Fields {
			f := base(t)
			sig, _ := f.Get("x-amz-signature")
			return set(f, "x-amz-signature", sig[:63]+string("01"[sig[63]%2]))
		}, code: s3err.SignatureDoesNotMatch},
		{name: "signature-upper-case-hex", form: func(t *testing.T) Fields {
			f := base(t)
			sig, _ := f.Get("x-amz-signature")
			return set(f, "x-amz-signature", strings.ToUpper(sig))
		}, code: s3err.SignatureDoesNotMatch},
		{name: "policy-tampered", form: func(t *testing.T) Fields {
			p, err := base64.StdEncoding.DecodeString(mustGet(base(t), "policy"))
			if err != nil {
				t.Fatal(err)
			}
			p = bytes.Replace(p, []byte(`"image/"`), []byte(`""`), 1)
			return set(base(t), "policy", base64.StdEncoding.EncodeToString(p))
		}, code: s3err.SignatureDoesNotMatch},
		{name: "token-missing", form: func(t *testing.T) Fields { return del(signedForm(t, evTemp), "x-amz-security-token") }, creds: &evTemp, code: s3err.InvalidToken},
		{name: "token-wrong", form: func(t *testing.T) Fields { return set(signedForm(t, evTemp), "x-amz-security-token", "other") }, creds: &evTemp, code: s3err.InvalidToken},
		{name: "token-not-expected", form: func(t *testing.T) Fields { return set(base(t), "X-Amz-Security-Token", "unexpected") }, code: s3err.InvalidToken},
		{name: "credentials-expired", form: func(t *testing.T) Fields { return signedForm(t, evTemp) }, creds: &sigv4.Credentials{AccessKeyID: evTemp.AccessKeyID, SecretAccessKey: evTemp.SecretAccessKey, SessionToken: evTemp.SessionToken, Expires: evT0}, code: s3err.ExpiredToken},

		// Refused: the policy.
		{name: "expired", form: base, now: evT0.Add(time.Hour), code: s3err.AccessDenied, msg: "Invalid according to Policy: Policy expired."},
		{name: "long-expired", form: base, now: evT0.Add(30 * 24 * time.Hour), code: s3err.AccessDenied, msg: "Policy expired."},
		{name: "exact-mismatch", form: func(t *testing.T) Fields { return set(base(t), "acl", "public-read-write") }, code: s3err.AccessDenied, msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "public-read"]`},
		{name: "exact-case-sensitive-value", form: func(t *testing.T) Fields { return set(base(t), "acl", "Public-Read") }, code: s3err.AccessDenied, msg: `["eq", "$acl", "public-read"]`},
		{name: "starts-with-mismatch", form: func(t *testing.T) Fields { return set(base(t), "key", "elsewhere/${filename}") }, code: s3err.AccessDenied, msg: `Policy Condition failed: ["starts-with", "$key", "uploads/"]`},
		{name: "filename-escapes-prefix", form: func(t *testing.T) Fields { return set(base(t), "key", "${filename}") }, filename: "uploads-not.png", code: s3err.AccessDenied, msg: `["starts-with", "$key", "uploads/"]`},
		{name: "content-type-list-one-off", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00Z","conditions":[["starts-with","$key",""],["starts-with","$Content-Type","image/"],`+
				`{"x-amz-algorithm":"AWS4-HMAC-SHA256"},["starts-with","$x-amz-credential",""],["starts-with","$x-amz-date",""]]}`, evCreds).with("Content-Type", "image/png, text/html")
		}, code: s3err.AccessDenied, msg: `["starts-with", "$Content-Type", "image/"]`},
		{name: "content-type-list-all-match", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00Z","conditions":[["starts-with","$key",""],["starts-with","$Content-Type","image/"],`+
				`{"x-amz-algorithm":"AWS4-HMAC-SHA256"},["starts-with","$x-amz-credential",""],["starts-with","$x-amz-date",""]]}`, evCreds).with("Content-Type", "image/png, image/webp")
		}, key: "uploads/a.txt"},
		{name: "extra-field", form: func(t *testing.T) Fields { return set(base(t), "x-amz-meta-extra", "1") }, code: s3err.AccessDenied, msg: "Invalid according to Policy: Extra input fields: x-amz-meta-extra"},
		{name: "extra-success-action-status", form: func(t *testing.T) Fields { return set(base(t), "success_action_status", "201") }, code: s3err.AccessDenied, msg: "Extra input fields: success_action_status"},
		{name: "condition-field-absent", form: func(t *testing.T) Fields { return del(base(t), "acl") }, code: s3err.AccessDenied, msg: `["eq", "$acl", "public-read"]`},
		{name: "duplicate-field", form: func(t *testing.T) Fields { return append(base(t), Field{"ACL", "public-read"}) }, code: s3err.InvalidArgument, msg: "appears more than once"},
		// A form naming another bucket than the one it is posted to: the
		// policy's bucket condition fails against the bucket posted to,
		// 403 AccessDenied as S3 answers (issue 12).
		{name: "bucket-field-other-bucket", form: func(t *testing.T) Fields { return base(t) }, bucket: "otherbucket", code: s3err.AccessDenied, msg: `["eq", "$bucket", "examplebucket"]`},
		{name: "bucket-condition-other-bucket", form: func(t *testing.T) Fields { return del(base(t), "bucket") }, bucket: "otherbucket", code: s3err.AccessDenied, msg: `["eq", "$bucket", "examplebucket"]`},
		{name: "token-field-without-condition", form: func(t *testing.T) Fields {
			return set(base(t), "x-amz-security-token", evTemp.SessionToken)
		}, creds: &sigv4.Credentials{AccessKeyID: evCreds.AccessKeyID, SecretAccessKey: evCreds.SecretAccessKey, SessionToken: evTemp.SessionToken}, code: s3err.AccessDenied, msg: "Extra input fields: x-amz-security-token"},
		{name: "key-too-long", form: base, filename: strings.Repeat("x", 1020), code: s3err.KeyTooLongError},
		{name: "key-empty", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00Z","conditions":[["starts-with","$key",""],{"x-amz-algorithm":"AWS4-HMAC-SHA256"},["starts-with","$x-amz-credential",""],["starts-with","$x-amz-date",""]]}`, evCreds).with("key", "${filename}")
		}, filename: "", code: s3err.InvalidArgument, msg: "User key must have a length greater than 0."},

		// Refused: a malformed policy, properly signed.
		{name: "policy-unknown-member", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00Z","conditions":[["starts-with","$key",""]],"version":"1"}`, evCreds)
		}, code: s3err.InvalidPolicyDocument, msg: `Invalid Policy: Unexpected: "version"`},
		{name: "policy-duplicate-member", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00Z","expiration":"2030-01-01T00:00:00Z","conditions":[["starts-with","$key",""]]}`, evCreds)
		}, code: s3err.InvalidPolicyDocument, msg: `Duplicate key "expiration"`},
		{name: "policy-two-property-condition", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00Z","conditions":[{"key":"uploads/a.txt","acl":"private"}]}`, evCreds)
		}, code: s3err.InvalidPolicyDocument, msg: "Simple-Conditions must have exactly one property specified."},
		{name: "policy-number-value", form: func(t *testing.T) Fields {
			return rawForm(`{"expiration":"2026-01-15T13:00:00Z","conditions":[{"success_action_status":201}]}`, evCreds)
		}, code: s3err.InvalidPolicyDocument, msg: "value must be a string."},
		{name: "policy-not-base64", form: func(t *testing.T) Fields { return rawFormB64("not base64!", evCreds) }, code: s3err.InvalidPolicyDocument, msg: "invalid Base64 encoding."},
		{name: "policy-not-json", form: func(t *testing.T) Fields { return rawForm(`{"expiration":`, evCreds) }, code: s3err.InvalidPolicyDocument, msg: "Invalid JSON."},
	}
	if len(cases) < 40 {
		t.Fatalf("%d cases; the issue asks for at least 40", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			creds := evCreds
			if tc.creds != nil {
				creds = *tc.creds
			}
			now := evT0.Add(time.Minute)
			if !tc.now.IsZero() {
				now = tc.now
			}
			ev := &Evaluator{
				Lookup: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
				Region: tc.region,
				Now:    func() time.Time { return now },
			}
			bucket := tc.bucket
			switch bucket {
			case "":
				bucket = "examplebucket"
			case "-":
				bucket = ""
			}
			filename := tc.filename
			if filename == "" && tc.name != "filename-empty" && tc.name != "key-empty" {
				filename = "photo.png"
			}
			fields := tc.form(t)
			in := &EvaluateInput{Bucket: bucket, Fields: fields, Filename: filename}
			before := append(Fields(nil), fields...)
			up, err := ev.Evaluate(in)
			if !equalFields(in.Fields, before) {
				t.Errorf("Evaluate modified its input")
			}
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if up.Key != tc.key {
					t.Errorf("key %q, want %q", up.Key, tc.key)
				}
				if up.Bucket != "examplebucket" || up.AccessKeyID != creds.AccessKeyID || !up.Time.Equal(evT0) {
					t.Errorf("upload %+v", up)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted (key %q), want %s", up.Key, tc.code)
			}
			se := checkCode(t, err, tc.code, tc.msg)
			if se.Status() == 500 {
				t.Errorf("code %s has no HTTP status", se.Code)
			}
		})
	}
}

func mustGet(f Fields, name string) string {
	v, _ := f.Get(name)
	return v
}

// with is a method form of set, for chaining in the table.
func (f Fields) with(name, value string) Fields { return set(f, name, value) }

func equalFields(a, b Fields) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEvaluateLimits(t *testing.T) {
	cases := []struct {
		name  string
		conds []Condition
		max   int64
		want  Limits
	}{
		{"none", nil, 0, Limits{0, MaxObjectSize}},
		{"one-range", []Condition{ContentLengthRange(10, 100)}, 0, Limits{10, 100}},
		{"ranges-intersect", []Condition{ContentLengthRange(10, 100), ContentLengthRange(50, 500)}, 0, Limits{50, 100}},
		{"evaluator-cap", []Condition{ContentLengthRange(0, 10<<30)}, 1 << 20, Limits{0, 1 << 20}},
		{"empty-file-only", []Condition{ContentLengthRange(0, 0)}, 0, Limits{0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form, err := Sign(&SignInput{Bucket: "b", Key: "k", Conditions: tc.conds, Credentials: evCreds, Region: "us-east-1", Time: evT0})
			if err != nil {
				t.Fatal(err)
			}
			ev := &Evaluator{
				Lookup:        func(string) (sigv4.Credentials, bool) { return evCreds, true },
				Now:           func() time.Time { return evT0 },
				MaxObjectSize: tc.max,
			}
			up, err := ev.Evaluate(&EvaluateInput{Bucket: "b", Fields: form.Fields})
			if err != nil {
				t.Fatal(err)
			}
			if up.Limits != tc.want {
				t.Errorf("limits %+v, want %+v", up.Limits, tc.want)
			}
		})
	}
}

func TestLimitsCheckSize(t *testing.T) {
	l := Limits{Min: 10, Max: 100}
	for _, tc := range []struct {
		n      int64
		code   s3err.ErrorCode
		detail [2]string
	}{
		{10, "", [2]string{}},
		{100, "", [2]string{}},
		{55, "", [2]string{}},
		{9, s3err.EntityTooSmall, [2]string{"MinSizeAllowed", "10"}},
		{0, s3err.EntityTooSmall, [2]string{"MinSizeAllowed", "10"}},
		{101, s3err.EntityTooLarge, [2]string{"MaxSizeAllowed", "100"}},
	} {
		err := l.CheckSize(tc.n)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%d: %v", tc.n, err)
			}
			continue
		}
		msg := "exceeds the maximum allowed size"
		if tc.code == s3err.EntityTooSmall {
			msg = "smaller than the minimum allowed size"
		}
		se := checkCode(t, err, tc.code, msg)
		if v, _ := se.Detail(tc.detail[0]); v != tc.detail[1] {
			t.Errorf("%d: %s = %q, want %q", tc.n, tc.detail[0], v, tc.detail[1])
		}
		if v, _ := se.Detail("ProposedSize"); v != itoa(tc.n) {
			t.Errorf("%d: ProposedSize %q", tc.n, v)
		}
		if se.Status() != 400 {
			t.Errorf("%d: status %d", tc.n, se.Status())
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLimitsReader(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		l    Limits
		code s3err.ErrorCode
	}{
		{"within", 50, Limits{10, 100}, ""},
		{"exactly-max", 100, Limits{10, 100}, ""},
		{"exactly-min", 10, Limits{10, 100}, ""},
		{"empty-allowed", 0, Limits{0, 100}, ""},
		{"too-large", 101, Limits{10, 100}, s3err.EntityTooLarge},
		{"far-too-large", 1 << 20, Limits{10, 100}, s3err.EntityTooLarge},
		{"too-small", 9, Limits{10, 100}, s3err.EntityTooSmall},
		{"empty-refused", 0, Limits{1, 100}, s3err.EntityTooSmall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingReader{r: bytes.NewReader(make([]byte, tc.size))}
			got, err := io.ReadAll(iotest.OneByteReader(tc.l.Reader(src)))
			if tc.code == "" {
				if err != nil || len(got) != tc.size {
					t.Fatalf("read %d bytes, %v", len(got), err)
				}
				return
			}
			checkCode(t, err, tc.code, "")
			if src.n > tc.l.Max+1 {
				t.Errorf("read %d bytes of the source; at most Max+1 = %d needed", src.n, tc.l.Max+1)
			}
		})
	}
	// The whole body in one read, larger than the buffer room.
	r := Limits{0, 4}.Reader(strings.NewReader("0123456789"))
	buf := make([]byte, 64)
	n, err := r.Read(buf)
	if n != 0 || err == nil {
		t.Fatalf("read %d, %v", n, err)
	}
	checkCode(t, err, s3err.EntityTooLarge, "")
	if _, err2 := r.Read(buf); err2 != err {
		t.Errorf("a later read gave %v, want the same error", err2)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestEvaluatorNeedsLookup(t *testing.T) {
	_, err := (&Evaluator{}).Evaluate(&EvaluateInput{})
	checkCode(t, err, s3err.InternalError, "Lookup")
}
