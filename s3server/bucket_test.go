package s3server

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/presign-dev/presign/s3err"
)

func TestBucketOperations(t *testing.T) {
	ts := newTestServer(t, nil)
	steps := []struct {
		name   string
		r      req
		status int
		code   s3err.ErrorCode
	}{
		{"create", req{method: "PUT", target: "/photos"}, 200, ""},
		{"create again", req{method: "PUT", target: "/photos"}, 0, s3err.BucketAlreadyOwnedByYou},
		{"create with this region", req{method: "PUT", target: "/docs", body: []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`)}, 200, ""},
		{"create in another region", req{method: "PUT", target: "/elsewhere", body: []byte(`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`)}, 0, s3err.IllegalLocationConstraint},
		{"create with unknown XML", req{method: "PUT", target: "/oddxml", body: []byte(`<CreateBucketConfiguration><Colour>red</Colour></CreateBucketConfiguration>`)}, 0, s3err.MalformedXML},
		{"create invalid name", req{method: "PUT", target: "/No_Such"}, 0, s3err.InvalidBucketName},
		{"head", req{method: "HEAD", target: "/photos"}, 200, ""},
		{"head missing", req{method: "HEAD", target: "/missing"}, 404, ""},
		{"location", req{method: "GET", target: "/photos?location"}, 200, ""},
		{"unimplemented subresource", req{method: "GET", target: "/photos?lifecycle"}, 0, s3err.NotImplemented},
		{"put object", req{method: "PUT", target: "/photos/cat.jpg", body: []byte("meow")}, 200, ""},
		{"delete non-empty", req{method: "DELETE", target: "/photos"}, 0, s3err.BucketNotEmpty},
		{"delete object", req{method: "DELETE", target: "/photos/cat.jpg"}, 204, ""},
		{"delete", req{method: "DELETE", target: "/photos"}, 204, ""},
		{"delete missing", req{method: "DELETE", target: "/photos"}, 0, s3err.NoSuchBucket},
		{"list missing", req{method: "GET", target: "/photos?list-type=2"}, 0, s3err.NoSuchBucket},
		{"put into missing", req{method: "PUT", target: "/photos/x", body: []byte("x")}, 0, s3err.NoSuchBucket},
		{"method not allowed", req{method: "PATCH", target: "/docs"}, 0, s3err.MethodNotAllowed},
	}
	for _, s := range steps {
		res := ts.do(s.r)
		if s.code != "" {
			e := wantError(t, res, s.code)
			if e.Resource == "" {
				t.Errorf("%s: no Resource", s.name)
			}
			continue
		}
		if res.status != s.status {
			t.Fatalf("%s: status %d, want %d\n%s", s.name, res.status, s.status, res.body)
		}
		if s.r.method == "HEAD" && len(res.body) != 0 {
			t.Errorf("%s: HEAD response has a body", s.name)
		}
	}
	if got := ts.do(req{method: "HEAD", target: "/docs"}).header.Get("X-Amz-Bucket-Region"); got != "us-east-1" {
		t.Errorf("x-amz-bucket-region %q", got)
	}

	res := ts.must(200, req{method: "GET", target: "/"})
	var list struct {
		Owner   struct{ ID string }
		Buckets []struct {
			Name, CreationDate string
		} `xml:"Buckets>Bucket"`
	}
	if err := xml.Unmarshal(res.body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Buckets) != 1 || list.Buckets[0].Name != "docs" || !strings.HasSuffix(list.Buckets[0].CreationDate, "Z") || list.Owner.ID == "" {
		t.Errorf("ListBuckets: %s", res.body)
	}
	if !strings.Contains(string(res.body), `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`) {
		t.Errorf("ListBuckets has no S3 namespace: %s", res.body)
	}
}

// listResult is what the tests read of a ListObjects response.
type listResult struct {
	Name, Prefix, Delimiter, Marker, NextMarker, EncodingType string
	KeyCount, MaxKeys                                         int
	IsTruncated                                               bool
	ContinuationToken, NextContinuationToken, StartAfter      string
	Contents                                                  []struct {
		Key, ETag, StorageClass, LastModified string
		Size                                  int64
		ChecksumAlgorithm                     []string
	}
	CommonPrefixes []struct{ Prefix string }
}

func (l listResult) keys() []string {
	var out []string
	for _, c := range l.Contents {
		out = append(out, c.Key)
	}
	for _, p := range l.CommonPrefixes {
		out = append(out, p.Prefix+"(prefix)")
	}
	return out
}

func (ts *testServer) list(target string) listResult {
	ts.t.Helper()
	res := ts.must(200, req{method: "GET", target: target})
	var l listResult
	if err := xml.Unmarshal(res.body, &l); err != nil {
		ts.t.Fatalf("%s: %v\n%s", target, err, res.body)
	}
	return l
}

func TestListObjects(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("data")
	for _, k := range []string{"a.txt", "dir/1", "dir/2", "dir/sub/3", "e f+g.txt", "z"} {
		ts.put("data", k, []byte(k), nil)
	}
	tests := []struct {
		name   string
		target string
		want   string
	}{
		{"all", "/data?list-type=2", "a.txt dir/1 dir/2 dir/sub/3 e f+g.txt z"},
		{"prefix", "/data?list-type=2&prefix=dir/", "dir/1 dir/2 dir/sub/3"},
		{"delimiter", "/data?list-type=2&delimiter=/", "a.txt e f+g.txt z dir/(prefix)"},
		{"prefix and delimiter", "/data?list-type=2&prefix=dir/&delimiter=/", "dir/1 dir/2 dir/sub/(prefix)"},
		{"start-after", "/data?list-type=2&start-after=dir/2", "dir/sub/3 e f+g.txt z"},
		{"encoding-type=url", "/data?list-type=2&prefix=e&encoding-type=url", "e+f%2Bg.txt"},
		{"v1", "/data?prefix=dir", "dir/1 dir/2 dir/sub/3"},
		{"v1 marker", "/data?marker=dir/sub/3", "e f+g.txt z"},
		{"max-keys=0", "/data?list-type=2&max-keys=0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ts.list(tt.target)
			if got := strings.Join(l.keys(), " "); got != tt.want {
				t.Errorf("keys %q, want %q", got, tt.want)
			}
			if l.Name != "data" {
				t.Errorf("Name %q", l.Name)
			}
		})
	}

	// Paging with continuation tokens, two entries a page.
	var got []string
	target := "/data?list-type=2&max-keys=2&delimiter=/"
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("listing does not end")
		}
		l := ts.list(target)
		got = append(got, l.keys()...)
		if l.KeyCount != len(l.keys()) || l.MaxKeys != 2 {
			t.Errorf("KeyCount %d MaxKeys %d for %d entries", l.KeyCount, l.MaxKeys, len(l.keys()))
		}
		if !l.IsTruncated {
			break
		}
		if l.NextContinuationToken == "" {
			t.Fatal("truncated without a NextContinuationToken")
		}
		target = "/data?list-type=2&max-keys=2&delimiter=/&continuation-token=" + queryEscape(l.NextContinuationToken)
	}
	if want := "a.txt dir/(prefix) e f+g.txt z"; strings.Join(got, " ") != want {
		t.Errorf("paged %q, want %q", strings.Join(got, " "), want)
	}

	// Version 1 paging with NextMarker, past a common prefix.
	got = nil
	target = "/data?max-keys=1&delimiter=/"
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("listing does not end")
		}
		l := ts.list(target)
		got = append(got, l.keys()...)
		if !l.IsTruncated {
			break
		}
		target = "/data?max-keys=1&delimiter=/&marker=" + queryEscape(l.NextMarker)
	}
	if want := "a.txt dir/(prefix) e f+g.txt z"; strings.Join(got, " ") != want {
		t.Errorf("v1 paged %q, want %q", strings.Join(got, " "), want)
	}

	for _, bad := range []string{"/data?list-type=2&max-keys=x", "/data?list-type=2&encoding-type=base64"} {
		wantError(t, ts.do(req{method: "GET", target: bad}), s3err.InvalidArgument)
	}
}

func TestDeleteObjects(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("data")
	ts.put("data", "one", []byte("1"), nil)
	ts.put("data", "two", []byte("2"), nil)
	body := []byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>one</Key></Object><Object><Key>missing</Key></Object></Delete>`)
	res := ts.must(200, req{method: "POST", target: "/data?delete", body: body, header: map[string]string{"Content-MD5": md5b64(body)}})
	var dr struct {
		Deleted []struct{ Key string }
		Error   []struct{ Key, Code string }
	}
	if err := xml.Unmarshal(res.body, &dr); err != nil {
		t.Fatal(err)
	}
	if len(dr.Deleted) != 2 || dr.Deleted[0].Key != "one" || dr.Deleted[1].Key != "missing" || len(dr.Error) != 0 {
		t.Errorf("DeleteResult: %s", res.body)
	}
	quiet := []byte(`<Delete><Quiet>true</Quiet><Object><Key>two</Key></Object></Delete>`)
	res = ts.must(200, req{method: "POST", target: "/data?delete", body: quiet})
	if strings.Contains(string(res.body), "<Deleted>") {
		t.Errorf("quiet DeleteResult lists deletions: %s", res.body)
	}
	if l := ts.list("/data?list-type=2"); len(l.Contents) != 0 {
		t.Errorf("left %v", l.keys())
	}
	for _, tt := range []struct {
		body   string
		header map[string]string
		code   s3err.ErrorCode
	}{
		{`<Delete></Delete>`, nil, s3err.MalformedXML},
		{`<Delete><Object><Key>a</Key><Colour/></Object></Delete>`, nil, s3err.MalformedXML},
		{`not xml`, nil, s3err.MalformedXML},
		{`<Delete><Object><Key>a</Key></Object></Delete>`, map[string]string{"Content-MD5": md5b64([]byte("other"))}, s3err.BadDigest},
	} {
		wantError(t, ts.do(req{method: "POST", target: "/data?delete", body: []byte(tt.body), header: tt.header}), tt.code)
	}
}

func TestStoreArgumentErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	wantError(t, ts.do(req{method: "GET", target: "/bkt?list-type=2&continuation-token=bogus"}), s3err.InvalidArgument)
	wantError(t, ts.do(req{method: "PUT", target: "/bkt/k", body: []byte("x"), header: map[string]string{"x-amz-meta-latin": "caf\xe9"}}), s3err.InvalidArgument)
	wantError(t, ts.do(req{method: "PUT", target: "/bkt/" + strings.Repeat("k", 1025), body: []byte("x")}), s3err.KeyTooLongError)
	wantError(t, ts.do(req{method: "PUT", target: "/bkt/%FF", body: []byte("x")}), s3err.InvalidArgument)
}

// TestVersioningNeverEnabled: GetBucketVersioning answers the empty
// configuration of a bucket whose versioning was never enabled, and
// ListObjectVersions lists each current object as its only version, with
// version id "null", paged with key-marker as S3 pages it (S3 API
// Reference, GetBucketVersioning and ListObjectVersions).
func TestVersioningNeverEnabled(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	for _, k := range []string{"a", "b", "c"} {
		ts.must(200, req{method: "PUT", target: "/bkt/" + k, body: []byte(k)})
	}
	res := ts.must(200, req{method: "GET", target: "/bkt?versioning"})
	if !strings.Contains(string(res.body), `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></VersioningConfiguration>`) {
		t.Errorf("GetBucketVersioning: %s", res.body)
	}
	var page struct {
		IsTruncated         bool
		NextKeyMarker       string
		NextVersionIdMarker string
		Version             []struct {
			Key, VersionId string
			IsLatest       bool
		}
	}
	res = ts.must(200, req{method: "GET", target: "/bkt?versions&max-keys=2"})
	if err := xml.Unmarshal(res.body, &page); err != nil {
		t.Fatal(err)
	}
	if !page.IsTruncated || page.NextKeyMarker != "b" || page.NextVersionIdMarker != "null" || len(page.Version) != 2 ||
		page.Version[0].Key != "a" || page.Version[0].VersionId != "null" || !page.Version[0].IsLatest {
		t.Errorf("first page: %+v", page)
	}
	res = ts.must(200, req{method: "GET", target: "/bkt?versions&key-marker=b&version-id-marker=null"})
	page.Version = nil
	if err := xml.Unmarshal(res.body, &page); err != nil {
		t.Fatal(err)
	}
	if page.IsTruncated || len(page.Version) != 1 || page.Version[0].Key != "c" {
		t.Errorf("second page: %+v", page)
	}
	wantError(t, ts.do(req{method: "GET", target: "/bkt?versions&version-id-marker=null"}), s3err.InvalidArgument)
	wantError(t, ts.do(req{method: "GET", target: "/nope?versioning"}), s3err.NoSuchBucket)
}
