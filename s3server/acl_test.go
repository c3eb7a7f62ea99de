package s3server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/presign-dev/presign/postpolicy"
)

// TestCannedACLs: a bucket is private unless x-amz-acl says otherwise, on
// CreateBucket or PutBucketAcl; GetBucketAcl reports it as S3's grants;
// anonymous requests (no signature at all) read a public-read bucket, and
// also write, delete and POST forms without a policy to a
// public-read-write one, and nothing more; signed requests are as ever.
func TestCannedACLs(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.must(200, req{method: "PUT", target: "/pub", header: map[string]string{"X-Amz-Acl": "public-read"}})
	ts.mkBucket("priv")
	ts.must(200, req{method: "PUT", target: "/pub/k", body: []byte("public")})
	ts.must(200, req{method: "PUT", target: "/priv/k", body: []byte("private")})

	acl := ts.must(200, req{method: "GET", target: "/pub?acl"})
	if !bytes.Contains(acl.body, []byte("<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>")) || !bytes.Contains(acl.body, []byte("<Permission>READ</Permission>")) ||
		bytes.Contains(acl.body, []byte("<Permission>WRITE</Permission>")) {
		t.Fatalf("GetBucketAcl of public-read: %s", acl.body)
	}
	if acl := ts.must(200, req{method: "GET", target: "/priv?acl"}); bytes.Contains(acl.body, []byte("AllUsers")) || !bytes.Contains(acl.body, []byte("FULL_CONTROL")) {
		t.Fatalf("GetBucketAcl of a private bucket: %s", acl.body)
	}

	anon := func(method, target string, body []byte, header map[string]string) response {
		return ts.do(req{method: method, target: target, body: body, header: header, unsigned: true})
	}
	for _, tt := range []struct {
		name, method, target string
		header               map[string]string
		status               int
	}{
		{"GET of a public-read object", "GET", "/pub/k", nil, 200},
		{"HEAD of a public-read object", "HEAD", "/pub/k", nil, 200},
		{"listing a public-read bucket", "GET", "/pub?list-type=2", nil, 200},
		{"PUT to a public-read bucket", "PUT", "/pub/new", nil, 403},
		{"DELETE in a public-read bucket", "DELETE", "/pub/k", nil, 403},
		{"reading its ACL", "GET", "/pub?acl", nil, 403},
		{"listing its uploads", "GET", "/pub?uploads", nil, 403},
		{"GET of a private object", "GET", "/priv/k", nil, 403},
		{"listing a private bucket", "GET", "/priv", nil, 403},
	} {
		if res := anon(tt.method, tt.target, []byte("x"), tt.header); res.status != tt.status {
			t.Errorf("anonymous %s: %d %s, want %d", tt.name, res.status, res.body, tt.status)
		}
	}
	if res := anon("GET", "/pub/k", nil, nil); string(res.body) != "public" {
		t.Errorf("anonymous GET read %q", res.body)
	}

	// public-read-write: anyone writes, deletes and posts forms.
	ts.must(200, req{method: "PUT", target: "/pub?acl", header: map[string]string{"X-Amz-Acl": "public-read-write"}})
	if res := anon("PUT", "/pub/anon.txt", []byte("anonymous"), nil); res.status != 200 {
		t.Fatalf("anonymous PUT to public-read-write: %d %s", res.status, res.body)
	}
	if res := ts.must(200, req{method: "GET", target: "/pub/anon.txt"}); string(res.body) != "anonymous" {
		t.Fatalf("the anonymous object: %q", res.body)
	}
	if res := anon("PUT", "/pub/copy", nil, map[string]string{"X-Amz-Copy-Source": "/priv/k"}); res.status != 403 {
		t.Errorf("an anonymous copy (of a private object): %d", res.status)
	}
	res := ts.postForm("http://127.0.0.1:"+ts.port()+"/pub", postpolicy.Fields{{Name: "key", Value: "forms/${filename}"}, {Name: "Content-Type", Value: "text/plain"}},
		"hello.txt", strings.NewReader("from a form"), nil, "")
	if res.status != 204 {
		t.Fatalf("an anonymous POST form to public-read-write: %d %s", res.status, res.body)
	}
	if res := ts.must(200, req{method: "GET", target: "/pub/forms/hello.txt"}); string(res.body) != "from a form" || res.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("the form's object: %q %v", res.body, res.header)
	}
	if res := ts.postForm("http://127.0.0.1:"+ts.port()+"/priv", postpolicy.Fields{{Name: "key", Value: "x"}}, "x", strings.NewReader("x"), nil, ""); res.status == 204 {
		t.Error("an anonymous POST form to a private bucket was stored")
	}
	if res := ts.postForm("http://127.0.0.1:"+ts.port()+"/pub", postpolicy.Fields{{Name: "Content-Type", Value: "text/plain"}}, "x", strings.NewReader("x"), nil, ""); res.status != 400 {
		t.Errorf("an anonymous form without a key: %d %s", res.status, res.body)
	}
	if res := anon("DELETE", "/pub/anon.txt", nil, nil); res.status != 204 {
		t.Errorf("anonymous DELETE in public-read-write: %d", res.status)
	}

	// Back to private: anonymous requests are refused again.
	ts.must(200, req{method: "PUT", target: "/pub?acl", header: map[string]string{"X-Amz-Acl": "private"}})
	if res := anon("GET", "/pub/k", nil, nil); res.status != 403 {
		t.Errorf("anonymous GET after private: %d", res.status)
	}
	for _, bad := range []req{
		{method: "PUT", target: "/pub?acl", header: map[string]string{"X-Amz-Acl": "bogus"}},
		{method: "PUT", target: "/other", header: map[string]string{"X-Amz-Acl": "world-writable"}},
	} {
		if res := ts.do(bad); res.status != 400 || !bytes.Contains(res.body, []byte("InvalidArgument")) {
			t.Errorf("%s %s x-amz-acl %s: %d %s", bad.method, bad.target, bad.header["X-Amz-Acl"], res.status, res.body)
		}
	}
	if res := ts.do(req{method: "PUT", target: "/pub?acl", body: []byte("<AccessControlPolicy/>")}); res.status != 501 {
		t.Errorf("an ACL document: %d %s", res.status, res.body)
	}
	if res := ts.do(req{method: "HEAD", target: "/other"}); res.status != 404 {
		t.Errorf("a bucket with a bad ACL was made: %d", res.status)
	}
}
