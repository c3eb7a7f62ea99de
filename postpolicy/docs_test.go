package postpolicy

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// Tests from the Amazon S3 API Reference, "Example: Browser-Based Upload
// using HTTP POST (Using AWS Signature Version 4)". The page gives the
// policy text (its lines end in CRLF, and one line is empty), its base64
// form, which is the string to sign, the example credentials and the
// signature. The base64 below is the page's; decoding it gives the policy
// text below, byte for byte.
const (
	docsAccessKeyID = "AKIAIOSFODNN7EXAMPLE"
	docsSecret      = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docsSignature   = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
	docsPolicyB64   = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	docsRedirect    = "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"
)

var docsPolicyText = strings.Join([]string{
	`{ "expiration": "2015-12-30T12:00:00.000Z",`,
	`  "conditions": [`,
	`    {"bucket": "sigv4examplebucket"},`,
	`    ["starts-with", "$key", "user/user1/"],`,
	`    {"acl": "public-read"},`,
	`    {"success_action_redirect": "` + docsRedirect + `"},`,
	`    ["starts-with", "$Content-Type", "image/"],`,
	`    {"x-amz-meta-uuid": "14365123651274"},`,
	`    {"x-amz-server-side-encryption": "AES256"},`,
	`    ["starts-with", "$x-amz-meta-tag", ""],`,
	``,
	`    {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},`,
	`    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},`,
	`    {"x-amz-date": "20151229T000000Z" }`,
	`  ]`,
	`}`,
}, "\r\n")

// docsFields is the example's form, in its order; "submit" comes after
// the file and so never reaches the evaluator.
var docsFields = []Field{
	{"key", "user/user1/${filename}"},
	{"acl", "public-read"},
	{"success_action_redirect", docsRedirect},
	{"Content-Type", "image/jpeg"},
	{"x-amz-meta-uuid", "14365123651274"},
	{"x-amz-server-side-encryption", "AES256"},
	{"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},
	{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
	{"X-Amz-Date", "20151229T000000Z"},
	{"x-amz-meta-tag", ""},
	{"Policy", docsPolicyB64},
	{"X-Amz-Signature", docsSignature},
}

func docsEvaluator(now time.Time) *Evaluator {
	return &Evaluator{
		Lookup: func(id string) (sigv4.Credentials, bool) {
			return sigv4.Credentials{AccessKeyID: docsAccessKeyID, SecretAccessKey: docsSecret}, id == docsAccessKeyID
		},
		Region: "us-east-1",
		Now:    func() time.Time { return now },
	}
}

func TestS3DocsExample(t *testing.T) {
	if got := base64.StdEncoding.EncodeToString([]byte(docsPolicyText)); got != docsPolicyB64 {
		t.Fatalf("the policy text does not encode to the page's base64:\n%s", got)
	}
	key := sigv4.DeriveKey(docsSecret, "20151229", "us-east-1", "s3")
	if got := sigv4.SignString(key, docsPolicyB64); got != docsSignature {
		t.Errorf("signature %s, want %s", got, docsSignature)
	}

	p, err := Parse(docsPolicyB64)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Policy{
		Expiration: time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC),
		Conditions: []Condition{
			Exact("bucket", "sigv4examplebucket"),
			StartsWith("key", "user/user1/"),
			Exact("acl", "public-read"),
			Exact("success_action_redirect", docsRedirect),
			StartsWith("Content-Type", "image/"),
			Exact("x-amz-meta-uuid", "14365123651274"),
			Exact("x-amz-server-side-encryption", "AES256"),
			StartsWith("x-amz-meta-tag", ""),
			Exact("x-amz-credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
			Exact("x-amz-algorithm", "AWS4-HMAC-SHA256"),
			Exact("x-amz-date", "20151229T000000Z"),
		},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("parsed policy\n got %+v\nwant %+v", p, want)
	}

	// The example's form, posted on 2015-12-29 at noon with a file called
	// MyPhoto.jpg (the page's example of a key), is accepted.
	up, err := docsEvaluator(time.Date(2015, 12, 29, 12, 0, 0, 0, time.UTC)).Evaluate(&EvaluateInput{
		Bucket: "sigv4examplebucket", Fields: docsFields, Filename: "MyPhoto.jpg",
	})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if up.Key != "user/user1/MyPhoto.jpg" || up.Bucket != "sigv4examplebucket" || up.AccessKeyID != docsAccessKeyID {
		t.Errorf("upload %+v", up)
	}
	if ct, _ := up.Fields.Get("content-type"); ct != "image/jpeg" {
		t.Errorf("Content-Type %q", ct)
	}
	if up.Limits != (Limits{0, MaxObjectSize}) {
		t.Errorf("limits %+v", up.Limits)
	}

	// At noon the next day the policy has expired.
	_, err = docsEvaluator(time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC)).Evaluate(&EvaluateInput{
		Bucket: "sigv4examplebucket", Fields: docsFields, Filename: "MyPhoto.jpg",
	})
	checkCode(t, err, "AccessDenied", "Invalid according to Policy: Policy expired.")

	// Signing the parsed conditions again, in the JS shape, gives a form
	// the evaluator also accepts: the two documents mean the same.
	form, err := Sign(&SignInput{
		Profile: ProfileDefault, Bucket: "sigv4examplebucket", Key: "user/user1/${filename}",
		Conditions:  want.Conditions[2:8],
		Fields:      []Field{{"acl", "public-read"}, {"success_action_redirect", docsRedirect}, {"Content-Type", "image/jpeg"}, {"x-amz-meta-uuid", "14365123651274"}, {"x-amz-server-side-encryption", "AES256"}, {"x-amz-meta-tag", ""}},
		Credentials: sigv4.Credentials{AccessKeyID: docsAccessKeyID, SecretAccessKey: docsSecret},
		Region:      "us-east-1", Time: time.Date(2015, 12, 29, 0, 0, 0, 0, time.UTC), Expires: 36 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docsEvaluator(time.Date(2015, 12, 29, 12, 0, 0, 0, time.UTC)).Evaluate(&EvaluateInput{
		Bucket: "sigv4examplebucket", Fields: form.Fields, Filename: "MyPhoto.jpg",
	}); err != nil {
		t.Errorf("re-signed form: %v", err)
	}
}
