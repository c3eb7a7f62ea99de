package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
)

// FuzzParseQuery checks that the query parser never panics and that what it
// parses survives being encoded and parsed again.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "a=b", "a=b&a=c", "x-id=GetObject&uploads", "%E1%88%B4=1", "a+b=c+d", "%zz", "&&=&", "a=%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ps, err := ParseQuery(raw)
		if err != nil {
			return
		}
		var enc []byte
		for i, p := range ps {
			if i > 0 {
				enc = append(enc, '&')
			}
			enc = AppendEscape(enc, p.Name, false)
			enc = append(enc, '=')
			enc = AppendEscape(enc, p.Value, false)
		}
		again, err := ParseQuery(string(enc))
		if err != nil {
			t.Fatalf("re-encoded query %q does not parse: %v", enc, err)
		}
		if len(again) != len(ps) {
			t.Fatalf("%d params became %d", len(ps), len(again))
		}
		for i := range ps {
			if ps[i] != again[i] {
				t.Fatalf("param %d: %+v became %+v", i, ps[i], again[i])
			}
		}
	})
}

// FuzzVerify feeds arbitrary query strings, Authorization headers and
// paths to the verifier: it must never panic, never accept, and always
// answer with an S3 error.
func FuzzVerify(f *testing.F) {
	f.Add("/k", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0000000000000000000000000000000000000000000000000000000000000000", "")
	f.Add("/k", "", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260115/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	f.Add("/a%2Fb", "X-Amz-Expires=99999999999999999999", "AWS4-HMAC-SHA256 ,,,==")
	f.Add("/", "X-Amz-Credential=////&X-Amz-SignedHeaders=;;", "")
	v := testVerifier(t0)
	f.Fuzz(func(t *testing.T, path, query, authz string) {
		u := &url.URL{Scheme: "https", Host: "bucket.s3.us-east-1.amazonaws.com", Path: path, RawQuery: query}
		r := &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}}
		if authz != "" {
			r.Header.Set("Authorization", authz)
			r.Header.Set("X-Amz-Date", "20260115T120000Z")
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
		}
		a, err := v.Verify(r)
		if err == nil {
			t.Fatalf("accepted a forged request: %+v", a)
		}
		var se *s3err.Error
		if !errors.As(err, &se) || se.Code.Status() < 400 {
			t.Fatalf("not an S3 error: %v", err)
		}
	})
}

// FuzzPresignVerify presigns arbitrary keys, query parameters and header
// values and checks that the verifier accepts the result: signing and
// verifying are the same canonicalisation run in two directions.
func FuzzPresignVerify(f *testing.F) {
	f.Add("photos/cat.jpg", "versionId", "3", "image/jpeg", int64(900))
	f.Add("a//b/../c d+e%f", "response-content-disposition", "attachment; filename=\"x y\"", " two  spaces ", int64(1))
	f.Add("日本語/😀", "x", "", "", int64(604800))
	f.Fuzz(func(t *testing.T, key, qname, qvalue, ctype string, secs int64) {
		if key == "" || qname == "" || secs < 1 || secs > 604800 {
			return
		}
		if !validHeaderValue(ctype) {
			return
		}
		in := &SignInput{
			Request: &Request{Method: "PUT", Scheme: "https", Host: "bucket.s3.us-east-1.amazonaws.com", Path: "/" + key,
				Query: []Param{{qname, qvalue}}},
			Credentials: testCreds, Region: "us-east-1", Service: "s3", Time: t0, Expires: time.Duration(secs) * time.Second,
		}
		if ctype != "" {
			in.Request.Header = []Param{{"content-type", ctype}}
		}
		p, err := DefaultSigner.Presign(in)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(p.URL)
		if err != nil {
			t.Fatalf("presigned URL does not parse: %v\n%s", err, p.URL)
		}
		r := &http.Request{Method: "PUT", URL: u, Host: u.Host, Header: http.Header{}}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if _, err := testVerifier(t0).Verify(r); err != nil {
			if isAuthParam(qname) {
				return // a parameter named like an auth one may clash
			}
			t.Fatalf("own URL refused: %v\n%s", err, p.URL)
		}
	})
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func isAuthParam(name string) bool {
	switch name {
	case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
		"X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Content-Sha256":
		return true
	}
	return false
}
