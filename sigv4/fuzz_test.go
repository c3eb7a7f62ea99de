package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
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
		refused(t, v, r)
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

// FuzzVerifyV4a sends arbitrary SigV4a query strings, Authorization
// headers and region sets to the Verifier: each is refused with an S3
// error (a forged ECDSA signature never verifies), nothing panics.
func FuzzVerifyV4a(f *testing.F) {
	f.Add("/k", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Region-Set=%2A&X-Amz-SignedHeaders=host&X-Amz-Signature=3044022010a0e50d8717ca429a880588d7efac5c1bb608f7c82145654f9ef7f30155044e022011d52632987d23a6c331b39e7a87a33fb53d735e2b5efa387e833db9f03d9b66", "", "")
	f.Add("/k", "", "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20260115/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3006020101020101", "us-east-1,*")
	f.Add("/", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Region-Set=,,&X-Amz-Credential=a/b/c", "", ",")
	v := testVerifier(t0)
	f.Fuzz(func(t *testing.T, path, query, authz, regionSet string) {
		u := &url.URL{Scheme: "https", Host: "x.mrap.accesspoint.s3-global.amazonaws.com", Path: path, RawQuery: query}
		r := &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}}
		if authz != "" {
			r.Header.Set("Authorization", authz)
			r.Header.Set("X-Amz-Date", "20260115T120000Z")
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			r.Header.Set("X-Amz-Region-Set", regionSet)
		}
		refused(t, v, r)
	})
}

// FuzzParseCredentialV4a: a SigV4a credential that parses prints back as
// given, and every other input is one of the two typed errors.
func FuzzParseCredentialV4a(f *testing.F) {
	for _, s := range []string{"AKIDEXAMPLE/20150830/service/aws4_request", "a/b/c/d", "//", "AKID/2015083/s3/aws4_request", "AKID/20150830/us-east-1/s3/aws4_request"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCredentialV4a(s)
		switch {
		case err == nil:
			if got := c.AccessKeyID + "/" + c.Scope.String(); got != strings.TrimSuffix(s, "/"+c.Terminal)+"/"+Terminal && c.Terminal == Terminal {
				t.Fatalf("%q printed back as %q", s, got)
			}
			if c.Scope.Region != "" {
				t.Fatalf("a SigV4a scope with region %q", c.Scope.Region)
			}
		case errors.Is(err, ErrCredentialShape), errors.Is(err, ErrCredentialDate):
		default:
			t.Fatalf("untyped error %v", err)
		}
	})
}

// refused fails unless v refuses r with an S3 error.
func refused(t *testing.T, v *Verifier, r *http.Request) {
	t.Helper()
	a, err := v.Verify(r)
	if err == nil {
		t.Fatalf("accepted a forged request: %+v", a)
	}
	var se *s3err.Error
	if !errors.As(err, &se) || se.Code.Status() < 400 {
		t.Fatalf("not an S3 error: %v", err)
	}
}
