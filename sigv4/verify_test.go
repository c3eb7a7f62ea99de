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

var (
	testCreds = Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	tempCreds = Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "tempsecret", SessionToken: "tok/en+="}
	t0        = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
)

func testVerifier(now time.Time) *Verifier {
	return &Verifier{
		Lookup: func(id string) (Credentials, bool) {
			switch id {
			case testCreds.AccessKeyID:
				return testCreds, true
			case tempCreds.AccessKeyID:
				return tempCreds, true
			case "ASIAEXPIRED":
				c := tempCreds
				c.AccessKeyID, c.Expires = "ASIAEXPIRED", t0.Add(-time.Minute)
				return c, true
			}
			return Credentials{}, false
		},
		Region: "us-east-1",
		Now:    func() time.Time { return now },
	}
}

// presignedRequest presigns a PUT with a signed content-type and returns
// the request a holder would send.
func presignedRequest(t *testing.T, creds Credentials, expires time.Duration) *http.Request {
	t.Helper()
	in := &SignInput{
		Request: &Request{Method: "PUT", Scheme: "https", Host: "bucket.s3.us-east-1.amazonaws.com", Path: "/photos/cat 1.jpg",
			Query: []Param{{"x-id", "PutObject"}}, Header: []Param{{"content-type", "image/jpeg"}}},
		Credentials: creds, Region: "us-east-1", Service: "s3", Time: t0, Expires: expires,
	}
	p, err := DefaultSigner.Presign(in)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Method: "PUT", URL: u, Host: u.Host, Header: http.Header{"Content-Type": {"image/jpeg"}}}
	return r
}

// headerSignedRequest signs a GET with an Authorization header.
func headerSignedRequest(t *testing.T, creds Credentials, payload string) *http.Request {
	t.Helper()
	in := &SignInput{
		Request:     &Request{Method: "GET", Host: "bucket.s3.us-east-1.amazonaws.com", Path: "/k", Query: []Param{{"versionId", "3"}}},
		Credentials: creds, Region: "us-east-1", Service: "s3", Time: t0,
		PayloadHash: payload, ContentSHA256Header: true,
	}
	s, err := DefaultSigner.Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://bucket.s3.us-east-1.amazonaws.com/k?versionId=3")
	r := &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}}
	r.Header.Set("Authorization", s.Authorization)
	r.Header.Set("X-Amz-Date", s.Date)
	r.Header.Set("X-Amz-Content-Sha256", s.ContentSHA256)
	if s.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", s.SessionToken)
	}
	return r
}

func setQuery(r *http.Request, name, value string, remove bool) *http.Request {
	q := r.URL.Query()
	if remove {
		q.Del(name)
	} else {
		q.Set(name, value)
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return r2
}

func TestVerifierErrors(t *testing.T) {
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		now     time.Time
		code    s3err.ErrorCode // "" means accepted
		message string          // a part of the message
	}{
		{"valid presigned", func(t *testing.T) *http.Request { return presignedRequest(t, testCreds, time.Hour) }, t0, "", ""},
		{"valid with session token", func(t *testing.T) *http.Request { return presignedRequest(t, tempCreds, time.Hour) }, t0, "", ""},
		{"valid at the last second", func(t *testing.T) *http.Request { return presignedRequest(t, testCreds, time.Hour) }, t0.Add(time.Hour - time.Second), "", ""},
		{"expired", func(t *testing.T) *http.Request { return presignedRequest(t, testCreds, time.Hour) }, t0.Add(time.Hour), s3err.AccessDenied, "Request has expired"},
		{"not yet valid", func(t *testing.T) *http.Request { return presignedRequest(t, testCreds, time.Hour) }, t0.Add(-16 * time.Minute), s3err.AccessDenied, "not valid yet"},
		{"within skew before the date", func(t *testing.T) *http.Request { return presignedRequest(t, testCreds, time.Hour) }, t0.Add(-14 * time.Minute), "", ""},
		{"missing signature", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Signature", "", true)
		}, t0, s3err.AuthorizationQueryParametersError, "requires the X-Amz-Algorithm"},
		{"missing expires", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Expires", "", true)
		}, t0, s3err.AuthorizationQueryParametersError, "X-Amz-Expires parameters"},
		{"expires over a week", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Expires", "604801", false)
		}, t0, s3err.AuthorizationQueryParametersError, "less than a week"},
		{"expires negative", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Expires", "-1", false)
		}, t0, s3err.AuthorizationQueryParametersError, "non-negative"},
		{"expires not a number", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Expires", "ten", false)
		}, t0, s3err.AuthorizationQueryParametersError, "should be a number"},
		{"bad algorithm", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Algorithm", "AWS4-HMAC-SHA1", false)
		}, t0, s3err.AuthorizationQueryParametersError, "only supports"},
		{"bad date", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Date", "2026-01-15T12:00:00Z", false)
		}, t0, s3err.AuthorizationQueryParametersError, "ISO8601"},
		{"credential malformed", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Credential", "AKIDEXAMPLE/20260115/us-east-1/s3", false)
		}, t0, s3err.AuthorizationQueryParametersError, "mal-formed"},
		{"wrong region", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Credential", "AKIDEXAMPLE/20260115/eu-west-1/s3/aws4_request", false)
		}, t0, s3err.AuthorizationQueryParametersError, "the region 'eu-west-1' is wrong; expecting 'us-east-1'"},
		{"wrong service", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Credential", "AKIDEXAMPLE/20260115/us-east-1/ec2/aws4_request", false)
		}, t0, s3err.AuthorizationQueryParametersError, "incorrect service"},
		{"credential date differs", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Credential", "AKIDEXAMPLE/20260114/us-east-1/s3/aws4_request", false)
		}, t0, s3err.AuthorizationQueryParametersError, "not the same as X-Amz-Date"},
		{"unknown key", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Credential", "AKIDUNKNOWN/20260115/us-east-1/s3/aws4_request", false)
		}, t0, s3err.InvalidAccessKeyID, "does not exist"},
		{"signature not hex", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Signature", strings.Repeat("z", 64), false)
		}, t0, s3err.AuthorizationQueryParametersError, "hexadecimal"},
		{"signature wrong", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-Signature", strings.Repeat("a", 64), false)
		}, t0, s3err.SignatureDoesNotMatch, "does not match"},
		{"signed header absent", func(t *testing.T) *http.Request {
			r := presignedRequest(t, testCreds, time.Hour)
			r.Header.Del("Content-Type")
			return r
		}, t0, s3err.SignatureDoesNotMatch, "does not match"},
		{"signed header changed", func(t *testing.T) *http.Request {
			r := presignedRequest(t, testCreds, time.Hour)
			r.Header.Set("Content-Type", "text/html")
			return r
		}, t0, s3err.SignatureDoesNotMatch, "does not match"},
		{"unsigned x-amz header sent", func(t *testing.T) *http.Request {
			r := presignedRequest(t, testCreds, time.Hour)
			r.Header.Set("X-Amz-Acl", "public-read")
			return r
		}, t0, s3err.AccessDenied, "headers present in the request which were not signed"},
		{"host not signed", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, testCreds, time.Hour), "X-Amz-SignedHeaders", "content-type", false)
		}, t0, s3err.AccessDenied, "not signed"},
		{"method changed", func(t *testing.T) *http.Request {
			r := presignedRequest(t, testCreds, time.Hour)
			r.Method = "DELETE"
			return r
		}, t0, s3err.SignatureDoesNotMatch, "does not match"},
		{"token missing", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, tempCreds, time.Hour), "X-Amz-Security-Token", "", true)
		}, t0, s3err.InvalidToken, "token"},
		{"token wrong", func(t *testing.T) *http.Request {
			return setQuery(presignedRequest(t, tempCreds, time.Hour), "X-Amz-Security-Token", "other", false)
		}, t0, s3err.InvalidToken, "token"},
		{"credentials expired", func(t *testing.T) *http.Request {
			c := tempCreds
			c.AccessKeyID = "ASIAEXPIRED"
			return presignedRequest(t, c, time.Hour)
		}, t0, s3err.ExpiredToken, "expired"},
		{"both auth kinds", func(t *testing.T) *http.Request {
			r := presignedRequest(t, testCreds, time.Hour)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, t0, s3err.InvalidArgument, "Only one auth mechanism"},
		{"anonymous", func(t *testing.T) *http.Request {
			u, _ := url.Parse("https://bucket.s3.amazonaws.com/k")
			return &http.Request{Method: "GET", URL: u, Header: http.Header{}}
		}, t0, s3err.AccessDenied, "Access Denied"},
		{"header auth valid", func(t *testing.T) *http.Request { return headerSignedRequest(t, testCreds, UnsignedPayload) }, t0, "", ""},
		{"header auth valid, signed payload", func(t *testing.T) *http.Request { return headerSignedRequest(t, testCreds, EmptyPayloadHash) }, t0, "", ""},
		{"header auth with token", func(t *testing.T) *http.Request { return headerSignedRequest(t, tempCreds, UnsignedPayload) }, t0, "", ""},
		{"header auth skewed", func(t *testing.T) *http.Request { return headerSignedRequest(t, testCreds, UnsignedPayload) }, t0.Add(16 * time.Minute), s3err.RequestTimeTooSkewed, "too large"},
		{"header auth query changed", func(t *testing.T) *http.Request {
			return setQuery(headerSignedRequest(t, testCreds, UnsignedPayload), "versionId", "4", false)
		}, t0, s3err.SignatureDoesNotMatch, "does not match"},
		{"header auth no content sha", func(t *testing.T) *http.Request {
			r := headerSignedRequest(t, testCreds, UnsignedPayload)
			r.Header.Del("X-Amz-Content-Sha256")
			return r
		}, t0, s3err.InvalidRequest, "x-amz-content-sha256"},
		{"header auth bad content sha", func(t *testing.T) *http.Request {
			r := headerSignedRequest(t, testCreds, UnsignedPayload)
			r.Header.Set("X-Amz-Content-Sha256", "nope")
			return r
		}, t0, s3err.InvalidArgument, "x-amz-content-sha256"},
		{"header auth no date", func(t *testing.T) *http.Request {
			r := headerSignedRequest(t, testCreds, UnsignedPayload)
			r.Header.Del("X-Amz-Date")
			return r
		}, t0, s3err.AccessDenied, "Date or x-amz-date"},
		{"header auth malformed", func(t *testing.T) *http.Request {
			r := headerSignedRequest(t, testCreds, UnsignedPayload)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260115/us-east-1/s3/aws4_request")
			return r
		}, t0, s3err.AuthorizationHeaderMalformed, "SignedHeaders"},
		{"header auth v2", func(t *testing.T) *http.Request {
			r := headerSignedRequest(t, testCreds, UnsignedPayload)
			r.Header.Set("Authorization", "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
			return r
		}, t0, s3err.InvalidRequest, "AWS4-HMAC-SHA256"},
		{"header auth wrong region", func(t *testing.T) *http.Request {
			r := headerSignedRequest(t, testCreds, UnsignedPayload)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "us-east-1", "us-west-2", 1))
			return r
		}, t0, s3err.AuthorizationHeaderMalformed, "region 'us-west-2' is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := testVerifier(tt.now).Verify(tt.req(t))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if a.AccessKeyID == "" || len(a.SignedHeaders) == 0 {
					t.Errorf("incomplete Auth: %+v", a)
				}
				return
			}
			var se *s3err.Error
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want an *s3err.Error %s", err, tt.code)
			}
			if se.Code != tt.code || !strings.Contains(se.Message, tt.message) {
				t.Errorf("got %s %q, want %s containing %q", se.Code, se.Message, tt.code, tt.message)
			}
			for _, d := range se.Details {
				if strings.Contains(d.Value, testCreds.SecretAccessKey) || strings.Contains(d.Value, tempCreds.SecretAccessKey) {
					t.Errorf("error detail %s carries the secret", d.Name)
				}
			}
		})
	}
}

// TestSignedHeaderFromQuery: a presigned URL whose signed x-amz-* header
// also travels in the query verifies when opened without the header, as
// S3 takes the query's value (seen in a real S3 error body, minio#5630);
// the same URL with another value in the header still fails.
func TestSignedHeaderFromQuery(t *testing.T) {
	in := &SignInput{
		Request: &Request{Method: "GET", Scheme: "https", Host: "bucket.s3.us-east-1.amazonaws.com", Path: "/k",
			Query: []Param{{"x-amz-acl", "public-read"}}, Header: []Param{{"x-amz-acl", "public-read"}}},
		Credentials: testCreds, Region: "us-east-1", Service: "s3", Time: t0, Expires: time.Hour,
	}
	p, err := DefaultSigner.Presign(in)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.URL)
	r := &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}}
	if _, err := testVerifier(t0).Verify(r); err != nil {
		t.Fatalf("opened without the header: %v", err)
	}
	r.Header.Set("X-Amz-Acl", "private")
	if _, err := testVerifier(t0).Verify(r); err == nil {
		t.Fatal("a different header value was accepted")
	}
}

// TestSignatureMismatchDetails checks that a mismatch reports what S3
// reports: the string to sign and canonical request the server computed.
func TestSignatureMismatchDetails(t *testing.T) {
	r := presignedRequest(t, testCreds, time.Hour)
	r.Header.Set("Content-Type", "text/html")
	_, err := testVerifier(t0).Verify(r)
	var se *s3err.Error
	if !errors.As(err, &se) || se.Code != s3err.SignatureDoesNotMatch {
		t.Fatalf("got %v", err)
	}
	cr, _ := se.Detail("CanonicalRequest")
	if !strings.Contains(cr, "content-type:text/html\nhost:bucket.s3.us-east-1.amazonaws.com\n") {
		t.Errorf("canonical request lacks the sent header:\n%s", cr)
	}
	sts, _ := se.Detail("StringToSign")
	if !strings.HasPrefix(sts, "AWS4-HMAC-SHA256\n20260115T120000Z\n20260115/us-east-1/s3/aws4_request\n") {
		t.Errorf("string to sign: %q", sts)
	}
	if b, _ := se.Detail("StringToSignBytes"); !strings.HasPrefix(b, "41 57 53 34") {
		t.Errorf("StringToSignBytes: %q", b)
	}
}

// TestUpperCaseSignature: a signature written in upper-case hex is, as S3
// answers it, a 403 SignatureDoesNotMatch, not a malformed request.
func TestUpperCaseSignature(t *testing.T) {
	r := presignedRequest(t, testCreds, time.Hour)
	q := r.URL.Query()
	q.Set("X-Amz-Signature", strings.ToUpper(q.Get("X-Amz-Signature")))
	r.URL.RawQuery = q.Encode()
	_, err := testVerifier(t0.Add(time.Minute)).Verify(r)
	var se *s3err.Error
	if !errors.As(err, &se) || se.Code != s3err.SignatureDoesNotMatch || se.Status() != 403 {
		t.Errorf("got %v, want 403 SignatureDoesNotMatch", err)
	}
}
