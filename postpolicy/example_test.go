package postpolicy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/sigv4"
)

var creds = sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

// A form for browser uploads of images up to 10 MiB under uploads/, with
// the name of the user's file.
func ExampleSign() {
	form, err := postpolicy.Sign(&postpolicy.SignInput{
		URL:    "https://examplebucket.s3.us-east-1.amazonaws.com/",
		Bucket: "examplebucket",
		Key:    "uploads/${filename}",
		Fields: []postpolicy.Field{{Name: "Content-Type", Value: "image/png"}},
		Conditions: []postpolicy.Condition{
			postpolicy.StartsWith("Content-Type", "image/"),
			postpolicy.ContentLengthRange(1, 10<<20),
		},
		Credentials: creds,
		Region:      "us-east-1",
		Time:        time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC),
		Expires:     15 * time.Minute,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(form.URL)
	for _, f := range form.Fields {
		if f.Name != "Policy" {
			fmt.Printf("%s: %s\n", f.Name, f.Value)
		}
	}
	fmt.Printf("%s\n", form.PolicyDocument)
	// Output:
	// https://examplebucket.s3.us-east-1.amazonaws.com/
	// Content-Type: image/png
	// bucket: examplebucket
	// X-Amz-Algorithm: AWS4-HMAC-SHA256
	// X-Amz-Credential: AKIDEXAMPLE/20260115/us-east-1/s3/aws4_request
	// X-Amz-Date: 20260115T120000Z
	// key: uploads/${filename}
	// X-Amz-Signature: 8f0d4fc04319eba679430a6af2fe3d64ce202b769743703b0ecd154ff9a3b542
	// {"expiration":"2026-01-15T12:15:00Z","conditions":[["starts-with","$Content-Type","image/"],["content-length-range",1,10485760],{"Content-Type":"image/png"},{"bucket":"examplebucket"},{"X-Amz-Algorithm":"AWS4-HMAC-SHA256"},{"X-Amz-Credential":"AKIDEXAMPLE/20260115/us-east-1/s3/aws4_request"},{"X-Amz-Date":"20260115T120000Z"},["starts-with","$key","uploads/"]]}
}

// The same form in botocore's shape, as generate_presigned_post makes it.
func ExampleSign_botocore() {
	form, err := postpolicy.Sign(&postpolicy.SignInput{
		Profile:     postpolicy.ProfileBotocore,
		Bucket:      "examplebucket",
		Key:         "uploads/café.png",
		Conditions:  []postpolicy.Condition{postpolicy.ContentLengthRange(1, 10<<20)},
		Credentials: creds,
		Region:      "us-east-1",
		Time:        time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	for _, f := range form.Fields {
		if f.Name != "policy" {
			fmt.Printf("%s: %s\n", f.Name, f.Value)
		}
	}
	fmt.Printf("%s\n", form.PolicyDocument)
	// Output:
	// key: uploads/café.png
	// x-amz-algorithm: AWS4-HMAC-SHA256
	// x-amz-credential: AKIDEXAMPLE/20260115/us-east-1/s3/aws4_request
	// x-amz-date: 20260115T120000Z
	// x-amz-signature: 073b40962341ba4eee9d99250d2e08f6af58b28bf66a50b276f5062756df86b6
	// {"expiration": "2026-01-15T13:00:00Z", "conditions": [["content-length-range", 1, 10485760], {"bucket": "examplebucket"}, {"key": "uploads/caf\u00e9.png"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": "AKIDEXAMPLE/20260115/us-east-1/s3/aws4_request"}, {"x-amz-date": "20260115T120000Z"}]}
}

// A form's url and fields as JSON, for a browser to build its FormData.
func ExampleForm_json() {
	form, _ := postpolicy.Sign(&postpolicy.SignInput{
		URL: "http://127.0.0.1:9000/examplebucket", Bucket: "examplebucket", Key: "a.txt",
		Credentials: creds, Region: "us-east-1", Time: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC),
	})
	b, _ := json.Marshal(form)
	fmt.Println(string(b)[:120])
	// Output:
	// {"url":"http://127.0.0.1:9000/examplebucket","fields":{"bucket":"examplebucket","X-Amz-Algorithm":"AWS4-HMAC-SHA256","X-
}

// The server side: evaluate the fields that came before the file, then
// stream the file within the limits.
func ExampleEvaluator() {
	t0 := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	form, _ := postpolicy.Sign(&postpolicy.SignInput{
		Bucket: "examplebucket", Key: "uploads/${filename}",
		Conditions:  []postpolicy.Condition{postpolicy.ContentLengthRange(1, 16)},
		Credentials: creds, Region: "us-east-1", Time: t0,
	})

	ev := &postpolicy.Evaluator{
		Lookup: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		Region: "us-east-1",
		Now:    func() time.Time { return t0.Add(time.Minute) },
	}
	up, err := ev.Evaluate(&postpolicy.EvaluateInput{Bucket: "examplebucket", Fields: form.Fields, Filename: "notes.txt"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(up.Key, up.Limits.Min, up.Limits.Max)

	var stored bytes.Buffer
	_, err = io.Copy(&stored, up.Limits.Reader(strings.NewReader("hello")))
	fmt.Println(stored.String(), err)
	_, err = io.Copy(io.Discard, up.Limits.Reader(strings.NewReader("far more than sixteen bytes")))
	fmt.Println(err)

	// A field the policy does not allow.
	bad := append(form.Fields, postpolicy.Field{Name: "acl", Value: "public-read"})
	_, err = ev.Evaluate(&postpolicy.EvaluateInput{Bucket: "examplebucket", Fields: bad, Filename: "notes.txt"})
	fmt.Println(err)
	// Output:
	// uploads/notes.txt 1 16
	// hello <nil>
	// EntityTooLarge: Your proposed upload exceeds the maximum allowed size
	// AccessDenied: Invalid according to Policy: Extra input fields: acl
}

func ExampleParse() {
	p, err := postpolicy.Parse("eyJleHBpcmF0aW9uIjoiMjAyNi0wMS0xNVQxMzowMDowMFoiLCJjb25kaXRpb25zIjpbeyJhY2wiOiJwcml2YXRlIn0sWyJzdGFydHMtd2l0aCIsIiRrZXkiLCJ1LyJdXX0=")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Expiration)
	for _, c := range p.Conditions {
		fmt.Println(c)
	}
	_, err = postpolicy.Parse("eyJleHBpcmF0aW9uIjoiMjAyNi0wMS0xNVQxMzowMDowMFoifQ==")
	fmt.Println(err)
	// Output:
	// 2026-01-15 13:00:00 +0000 UTC
	// ["eq", "$acl", "private"]
	// ["starts-with", "$key", "u/"]
	// InvalidPolicyDocument: Invalid Policy: Policy missing conditions.
}
