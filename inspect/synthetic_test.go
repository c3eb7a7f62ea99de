package inspect

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// synthetic is an S3 refusal made by presign's own verifier, in S3's
// format: an SDK's URL sent the way clients get it wrong.
type synthetic struct {
	name  string
	about string
	file  string // SDK corpus file
	sdk   string // the SDK case
	// How the request reached S3.
	method  string            // default: the SDK's
	header  map[string]string // default: the SDK's headers
	host    string            // the Host header, when a proxy changed it
	path    string            // the path, when something re-encoded it
	query   string            // appended to the query
	at      time.Duration     // after signing
	secret  string            // the secret S3 holds, when not the signer's
	region  string            // the bucket's region, when not the URL's
	expires time.Duration     // the signer's credentials expire this long after signing
	// What the user tells presign diagnose.
	toldMethod string
	toldHeader map[string]string
	toldSecret bool
}

const otherSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY-rotated"

var syntheticCases = []synthetic{
	{name: "content-type-other-value", about: "a botocore PUT signed for image/jpeg, sent with Content-Type: image/png; the user says so",
		file: "botocore-presign.json", sdk: "put-content-type", header: map[string]string{"content-type": "image/png"},
		toldHeader: map[string]string{"content-type": "image/png"}},
	{name: "content-type-other-value-untold", about: "the same, the user says nothing of the headers sent",
		file: "botocore-presign.json", sdk: "put-content-type", header: map[string]string{"content-type": "image/png"}},
	{name: "content-type-other-value-with-secret", about: "the same, the user gives the signer's secret",
		file: "botocore-presign.json", sdk: "put-content-type", header: map[string]string{"content-type": "image/png"}, toldSecret: true},
	{name: "content-type-missing", about: "a botocore PUT signed for image/jpeg, sent without Content-Type",
		file: "botocore-presign.json", sdk: "put-content-type", header: map[string]string{}},
	{name: "wrong-secret", about: "a JS GET; S3 holds another secret for the key",
		file: "js-presign.json", sdk: "get-object-minimal", secret: otherSecret},
	{name: "wrong-secret-with-secret", about: "the same, the user gives the secret the URL was signed with",
		file: "js-presign.json", sdk: "get-object-minimal", secret: otherSecret, toldSecret: true},
	{name: "method-get-on-put-url", about: "a JS PUT URL opened in a browser: sent as GET",
		file: "js-presign.json", sdk: "put-object-minimal", method: "GET", header: map[string]string{}},
	{name: "host-rewritten", about: "a JS GET sent through a proxy that sets its own Host",
		file: "js-presign.json", sdk: "get-object-minimal", host: "cdn.example.com"},
	{name: "query-cache-buster", about: "a JS GET with a cache-buster appended by the page",
		file: "js-presign.json", sdk: "get-object-minimal", query: "&_=1768478400000"},
	{name: "key-double-encoded", about: "a JS GET of \"my file with spaces.txt\" passed through encodeURI: %20 became %2520",
		file: "js-presign.json", sdk: "key-spaces-get", path: "/my%2520file%2520with%2520spaces.txt"},
	{name: "key-plus-as-space", about: "a botocore GET of a+b+c.txt sent with raw '+', which S3 reads as spaces",
		file: "botocore-presign.json", sdk: "key-plus-get-default", path: "/a%20b%20c.txt"},
	{name: "expired", about: "a JS GET (15 minutes) used two hours after signing",
		file: "js-presign.json", sdk: "get-object-minimal", at: 2 * time.Hour},
	{name: "wrong-region", about: "a botocore GET signed for eu-central-1 on the global endpoint, for a bucket in us-west-2",
		file: "botocore-presign.json", sdk: "region-eu-central-1-get-default", region: "us-west-2"},
	{name: "header-not-signed", about: "a JS PUT sent with an x-amz-acl header the URL does not sign",
		file: "js-presign.json", sdk: "put-object-minimal", header: map[string]string{"x-amz-acl": "public-read"}},
	{name: "path-signed-encoded-twice", about: "aws-sdk-go-v2's PresignClient given v4.NewSigner() as its presigner: the path signed encoded twice; the user gives the secret",
		file: "../testdata/inspect/go-sdks.json", sdk: "go-v2-own-signer-double-encoded", toldSecret: true},
	{name: "credentials-expired", about: "a JS GET (1 hour) signed with temporary credentials that expired after 30 minutes, used after 45",
		file: "js-presign.json", sdk: "get-object-minimal-eu-central-1-session-token", at: 45 * time.Minute, expires: 30 * time.Minute},
}

// syntheticErrorCases makes the synthetic error bodies, writes them to
// testdata/errors with -update and otherwise checks the files are current,
// and returns them as corpus cases.
func syntheticErrorCases(t *testing.T) []errorCase {
	files := map[string]*sdkFile{}
	var out []errorCase
	for _, s := range syntheticCases {
		f := files[s.file]
		if f == nil {
			path := filepath.Join("..", "testdata", "sdk", s.file)
			if strings.Contains(s.file, "/") {
				path = s.file
			}
			f = loadSDKFile(t, path)
			files[s.file] = f
		}
		var c *sdkCase
		for i := range f.Cases {
			if f.Cases[i].Name == s.sdk {
				c = &f.Cases[i]
			}
		}
		if c == nil {
			t.Fatalf("%s: no case %s in %s", s.name, s.sdk, s.file)
		}
		doc, now := s.refuse(t, c)
		name := "synthetic-" + s.name
		path := filepath.Join("testdata", "errors", name+".xml")
		if *update {
			if err := os.WriteFile(path, doc, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, doc) {
			t.Errorf("%s is not current (run go test ./inspect -update): %v", path, err)
		}
		e := errorCase{Name: name, Source: "presign sigv4.Verifier, in S3's format: " + s.about + " (" + s.file + " " + s.sdk + ")",
			URL: c.Output.URL, Method: s.toldMethod, Headers: s.toldHeader, Now: now.Format(time.RFC3339)}
		if s.toldSecret {
			e.Secret = c.Input.Credentials.SecretAccessKey
		}
		out = append(out, e)
	}
	return out
}

// refuse sends the case's URL to the verifier as s describes and returns
// the error document and the time of the request.
func (s *synthetic) refuse(t *testing.T, c *sdkCase) ([]byte, time.Time) {
	t.Helper()
	raw := c.Output.URL + s.query
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	method := c.Output.Method
	if s.method != "" {
		method = s.method
	}
	path := u.EscapedPath()
	if s.path != "" {
		path = s.path
		if u.Path, err = url.PathUnescape(path); err != nil {
			t.Fatal(err)
		}
		u.RawPath = path
	}
	r := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}, RequestURI: path + "?" + u.RawQuery}
	header := c.Output.Headers
	if s.header != nil {
		header = s.header
	}
	for k, v := range header {
		if !strings.EqualFold(k, "host") {
			r.Header.Set(k, v)
		}
	}
	if s.host != "" {
		r.Host = s.host
	}
	signedAt := c.signedAt(t)
	now := signedAt.Add(time.Second)
	if s.at != 0 {
		now = signedAt.Add(s.at)
	}
	creds := c.creds()
	if s.secret != "" {
		creds.SecretAccessKey = s.secret
	}
	if s.expires != 0 {
		creds.Expires = signedAt.Add(s.expires)
	}
	v := &sigv4.Verifier{
		Lookup: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		Region: s.region,
		Now:    func() time.Time { return now },
	}
	_, err = v.Verify(r)
	var se *s3err.Error
	if !errors.As(err, &se) {
		t.Fatalf("%s: the verifier accepts the request: %v", s.name, err)
	}
	var b bytes.Buffer
	if err := se.WriteXML(&b, path, "PRESIGNSYNTHETIC"); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	return b.Bytes(), now
}
