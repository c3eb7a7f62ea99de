package sigv2

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
)

// vectorFile is what conformance/botocore/sigv2.py writes.
type vectorFile struct {
	Credentials struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	} `json:"credentials"`
	Cases []struct {
		Name   string `json:"name"`
		Output struct {
			Kind         string      `json:"kind"`
			Method       string      `json:"method"`
			URL          string      `json:"url"`
			Headers      [][2]string `json:"headers"`
			Bucket       string      `json:"bucket"`
			Virtual      bool        `json:"virtual"`
			Now          int64       `json:"now"`
			StringToSign string      `json:"stringToSign"` // what botocore signed
		} `json:"output"`
	} `json:"cases"`
}

func loadVectors(t *testing.T) *vectorFile {
	t.Helper()
	data, err := os.ReadFile("../testdata/sdk/botocore-sigv2.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) < 46 {
		t.Fatalf("only %d cases", len(v.Cases))
	}
	return &v
}

// request builds the request a server receives for the raw URL u (its path
// and query exactly as written) with headers.
func request(t *testing.T, method, u string, headers [][2]string) *http.Request {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		return nil
	}
	r := &http.Request{Method: method, URL: pu, Host: pu.Host, Header: http.Header{}}
	r.RequestURI = pu.EscapedPath()
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.Index(rest, "/"); j >= 0 {
			r.RequestURI = rest[j:] // exactly as sent
		}
	}
	for _, h := range headers {
		r.Header.Add(h[0], h[1])
	}
	return r
}

// TestBotocoreVectors: every SigV2 request real botocore makes (presigned
// URLs and signed headers, path-style and virtual-hosted) verifies, and
// each one-byte change to a part the signature covers is refused.
func TestBotocoreVectors(t *testing.T) {
	v := loadVectors(t)
	creds := v.Credentials
	mutations, refused, identical := 0, 0, 0
	for _, c := range v.Cases {
		o := c.Output
		if o.Kind == "post" {
			continue // forms: postpolicy's and s3server's tests
		}
		ver := &Verifier{
			Lookup: func(id string) (string, bool) { return creds.SecretAccessKey, id == creds.AccessKeyID },
			Now:    func() time.Time { return time.Unix(o.Now, 0) },
		}
		verify := func(u string, headers [][2]string) error {
			r := request(t, o.Method, u, headers)
			if r == nil {
				return errors.New("unparsable URL")
			}
			_, err := ver.Verify(Request{HTTP: r, Bucket: o.Bucket, Virtual: o.Virtual})
			return err
		}
		if err := verify(o.URL, o.Headers); err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		// Where botocore signed the documented string, ours is the same,
		// byte for byte.
		date := ""
		for _, h := range o.Headers {
			if h[0] == "Date" {
				date = h[1]
			}
		}
		if o.Kind == "query" {
			date = request(t, o.Method, o.URL, nil).URL.Query().Get("Expires")
		}
		if StringToSign(Request{HTTP: request(t, o.Method, o.URL, o.Headers), Bucket: o.Bucket, Virtual: o.Virtual}, date, o.Kind == "query") == c.Output.StringToSign {
			identical++
		}
		// One-byte changes: the path, the signed query parameters, and
		// the signed headers.
		pathStart := strings.Index(o.URL[strings.Index(o.URL, "://")+3:], "/") + strings.Index(o.URL, "://") + 3
		signedAt := func(i int) bool {
			if i < pathStart {
				return false // scheme, host and port: not signed by SigV2
			}
			q := strings.IndexByte(o.URL, '?')
			if q < 0 || i < q {
				return true // the path
			}
			if o.URL[i] == '&' || o.URL[i] == '?' {
				return false // separators: a change there renames or merges parameters
			}
			// Inside the query: the parameter i falls in.
			start := strings.LastIndexByte(o.URL[:i], '&')
			if start < q {
				start = q
			}
			param := o.URL[start+1:]
			if end := strings.IndexByte(param, '&'); end >= 0 {
				param = param[:end]
			}
			name, _, _ := strings.Cut(param, "=")
			if strings.HasPrefix(strings.ToLower(name), "x-amz-") {
				// Header names are compared without case: only the value
				// is signed as written.
				return i > start+len(name)+1
			}
			return subresources[name] || name == "AWSAccessKeyId" || name == "Signature" || name == "Expires"
		}
		for i := range o.URL {
			if !signedAt(i) {
				continue
			}
			mutations++
			if verify(mutate(o.URL, i), o.Headers) != nil {
				refused++
			} else {
				t.Errorf("%s: the URL changed at byte %d (%q) still verifies", c.Name, i, mutate(o.URL, i))
			}
		}
		for hi, h := range o.Headers {
			ln := strings.ToLower(h[0])
			if ln != "content-type" && ln != "content-md5" && ln != "date" && ln != "authorization" && !strings.HasPrefix(ln, "x-amz-") {
				continue
			}
			for i := range h[1] {
				hs := append([][2]string(nil), o.Headers...)
				hs[hi] = [2]string{h[0], mutate(h[1], i)}
				mutations++
				if verify(o.URL, hs) != nil {
					refused++
				} else {
					t.Errorf("%s: header %s changed at byte %d still verifies", c.Name, h[0], i)
				}
			}
		}
	}
	t.Logf("%d cases (%d with botocore's string to sign byte for byte, the rest botocore's variants); %d one-byte changes, %d refused",
		len(v.Cases), identical, mutations, refused)
	if identical < len(v.Cases)*2/3 {
		t.Errorf("only %d of %d strings to sign are botocore's", identical, len(v.Cases))
	}
}

// mutate changes byte i of s to another printable byte.
func mutate(s string, i int) string {
	for _, c := range []byte("Az0_") {
		if s[i] != c {
			return s[:i] + string(c) + s[i+1:]
		}
	}
	return s
}

// TestErrors: S3's answers to a wrong signature (with the string to
// sign), an unknown key, an expired URL, a missing parameter and a Date
// too far from the server's clock.
func TestErrors(t *testing.T) {
	v := loadVectors(t)
	c := v.Cases[0].Output
	lookup := func(id string) (string, bool) { return v.Credentials.SecretAccessKey, id == v.Credentials.AccessKeyID }
	at := func(secs int64) func() time.Time { return func() time.Time { return time.Unix(secs, 0) } }
	code := func(err error) s3err.ErrorCode {
		var e *s3err.Error
		if errors.As(err, &e) {
			return e.Code
		}
		return ""
	}
	r := func(u string) Request { return Request{HTTP: request(t, c.Method, u, nil), Bucket: c.Bucket} }
	_, err := (&Verifier{Lookup: func(string) (string, bool) { return "wrong", true }, Now: at(c.Now)}).Verify(r(c.URL))
	var e *s3err.Error
	if !errors.As(err, &e) || e.Code != s3err.SignatureDoesNotMatch || !strings.Contains(e.Error()+detail(e, "StringToSign"), "GET\n\n\n") {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := (&Verifier{Lookup: func(string) (string, bool) { return "", false }, Now: at(c.Now)}).Verify(r(c.URL)); code(err) != s3err.InvalidAccessKeyID {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := (&Verifier{Lookup: lookup, Now: at(c.Now + 3600)}).Verify(r(c.URL)); code(err) != s3err.AccessDenied || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
	noSig := strings.Split(c.URL, "&Signature=")[0]
	if _, err := (&Verifier{Lookup: lookup, Now: at(c.Now)}).Verify(r(noSig)); code(err) != s3err.AccessDenied {
		t.Errorf("no signature: %v", err)
	}
	for _, cs := range v.Cases {
		if cs.Output.Kind == "header" {
			o := cs.Output
			_, err := (&Verifier{Lookup: lookup, Now: at(o.Now + 3600)}).Verify(Request{HTTP: request(t, o.Method, o.URL, o.Headers), Bucket: o.Bucket, Virtual: o.Virtual})
			if code(err) != s3err.RequestTimeTooSkewed {
				t.Errorf("%s an hour late: %v", cs.Name, err)
			}
			break
		}
	}
}

func detail(e *s3err.Error, name string) string {
	for _, d := range e.Details {
		if d.Name == name {
			return d.Value
		}
	}
	return ""
}

// FuzzVerify: any request is verified or refused with an S3 error, never a
// panic, and a refusal is never of a request that verifies.
func FuzzVerify(f *testing.F) {
	f.Add("GET", "/b/k?AWSAccessKeyId=AKID&Signature=abc%3D&Expires=1768479300", "", "")
	f.Add("PUT", "/b/k?uploads&partNumber=1&uploadId=x%2By&x-amz-meta-a=b", "AWS AKID:c2ln", "Thu, 15 Jan 2026 12:00:00 GMT")
	f.Add("GET", "/?acl&acl", "AWS :", "")
	f.Fuzz(func(t *testing.T, method, target, auth, date string) {
		u, err := url.Parse("http://b.localhost" + target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		r := &http.Request{Method: method, URL: u, RequestURI: target, Header: http.Header{}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("Date", date)
		}
		v := &Verifier{Lookup: func(id string) (string, bool) { return "secret", id == "AKID" }, Now: func() time.Time { return time.Unix(1768478400, 0) }}
		_, err = v.Verify(Request{HTTP: r, Bucket: "b", Virtual: true})
		var e *s3err.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("not an S3 error: %v", err)
		}
	})
}
