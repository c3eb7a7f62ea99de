package s3server

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
)

func md5b64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestRouting stores and reads objects path-style and virtual-hosted,
// with keys the mux would clean or redirect if they were paths.
func TestRouting(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.BaseDomains = []string{"localhost", "s3.test"} })
	ts.mkBucket("bkt")
	keys := []string{"plain.txt", "a//b/../c", ".", "..", "./x", "dir/", "sp ace+plus%25", "ünï/cødé", "q?uery#frag", "/leading"}
	vhost := "bkt.localhost:" + ts.port()
	for i, key := range keys {
		body := []byte("body of " + key)
		// Store path-style or virtual-hosted, read back the other way.
		if i%2 == 0 {
			ts.put("bkt", key, body, nil)
		} else {
			ts.must(200, req{method: "PUT", target: "/" + escapeKey(key), host: vhost, body: body})
		}
		for _, r := range []req{
			{method: "GET", target: "/bkt/" + escapeKey(key)},
			{method: "GET", target: "/" + escapeKey(key), host: vhost},
			{method: "GET", target: "/" + escapeKey(key), host: "bkt.s3.test:" + ts.port()},
		} {
			res := ts.must(200, r)
			if !bytes.Equal(res.body, body) {
				t.Errorf("key %q via %s%s: %q", key, r.host, r.target, res.body)
			}
		}
	}
	l := ts.list("/bkt?list-type=2")
	if len(l.Contents) != len(keys) {
		t.Errorf("listed %q", l.keys())
	}
	// A virtual-hosted bucket listing and service request.
	res := ts.must(200, req{method: "GET", target: "/?list-type=2&prefix=plain", host: vhost})
	if !strings.Contains(string(res.body), "<Key>plain.txt</Key>") {
		t.Errorf("virtual-hosted list: %s", res.body)
	}
	res = ts.must(200, req{method: "GET", target: "/", host: "localhost:" + ts.port()})
	if !strings.Contains(string(res.body), "<Name>bkt</Name>") {
		t.Errorf("ListBuckets on the base domain: %s", res.body)
	}
	// A bucket name with dots under the base domain.
	ts.mkBucket("my.bucket")
	ts.must(200, req{method: "PUT", target: "/k", host: "my.bucket.localhost:" + ts.port(), body: []byte("dots")})
	if res := ts.get("my.bucket", "k", nil); string(res.body) != "dots" {
		t.Errorf("dotted bucket: %q", res.body)
	}
}

func TestGetObject(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("data")
	body := []byte("0123456789")
	put := ts.put("data", "digits", body, map[string]string{
		"Content-Type":        "text/plain",
		"Cache-Control":       "max-age=60",
		"Content-Disposition": "inline",
		"x-amz-meta-Owner":    "alice",
		"x-amz-storage-class": "STANDARD_IA",
		"x-amz-tagging":       "a=1&b=2",
	})
	etag := put.header.Get("ETag")
	if etag != `"781e5e245d69b566979b86e28d23f2c7"` {
		t.Fatalf("ETag %s", etag)
	}
	head := ts.must(200, req{method: "HEAD", target: "/data/digits"})
	lm := head.header.Get("Last-Modified")
	modified, err := http.ParseTime(lm)
	if err != nil {
		t.Fatalf("Last-Modified %q: %v", lm, err)
	}
	for name, want := range map[string]string{
		"Content-Type": "text/plain", "Content-Length": "10", "Cache-Control": "max-age=60",
		"Content-Disposition": "inline", "X-Amz-Meta-Owner": "alice", "Accept-Ranges": "bytes",
		"X-Amz-Storage-Class": "STANDARD_IA", "X-Amz-Tagging-Count": "2", "ETag": etag, "Server": ServerName,
	} {
		if got := head.header.Get(name); got != want {
			t.Errorf("HEAD %s: %q, want %q", name, got, want)
		}
	}
	if len(head.header.Get("X-Amz-Request-Id")) != 16 {
		t.Errorf("x-amz-request-id %q", head.header.Get("X-Amz-Request-Id"))
	}
	before := modified.Add(-time.Hour).Format(http.TimeFormat)
	after := modified.Add(time.Hour).Format(http.TimeFormat)

	tests := []struct {
		name         string
		header       map[string]string
		target       string
		status       int
		body         string
		contentRange string
		code         s3err.ErrorCode
	}{
		{"whole", nil, "", 200, "0123456789", "", ""},
		{"range", map[string]string{"Range": "bytes=2-4"}, "", 206, "234", "bytes 2-4/10", ""},
		{"open range", map[string]string{"Range": "bytes=7-"}, "", 206, "789", "bytes 7-9/10", ""},
		{"suffix range", map[string]string{"Range": "bytes=-3"}, "", 206, "789", "bytes 7-9/10", ""},
		{"suffix longer than object", map[string]string{"Range": "bytes=-30"}, "", 206, "0123456789", "bytes 0-9/10", ""},
		{"range past the end cut", map[string]string{"Range": "bytes=8-100"}, "", 206, "89", "bytes 8-9/10", ""},
		{"unsatisfiable", map[string]string{"Range": "bytes=10-"}, "", 416, "", "bytes */10", s3err.InvalidRange},
		{"malformed range ignored", map[string]string{"Range": "bytes=5-2"}, "", 200, "0123456789", "", ""},
		{"several ranges ignored", map[string]string{"Range": "bytes=0-1,3-4"}, "", 200, "0123456789", "", ""},
		{"if-match", map[string]string{"If-Match": etag}, "", 200, "0123456789", "", ""},
		{"if-match star", map[string]string{"If-Match": "*"}, "", 200, "0123456789", "", ""},
		{"if-match fails", map[string]string{"If-Match": `"nope"`}, "", 412, "", "", s3err.PreconditionFailed},
		{"if-none-match", map[string]string{"If-None-Match": etag}, "", 304, "", "", ""},
		{"if-none-match other", map[string]string{"If-None-Match": `"nope"`}, "", 200, "0123456789", "", ""},
		{"if-modified-since before", map[string]string{"If-Modified-Since": before}, "", 200, "0123456789", "", ""},
		{"if-modified-since after", map[string]string{"If-Modified-Since": after}, "", 304, "", "", ""},
		{"if-unmodified-since before", map[string]string{"If-Unmodified-Since": before}, "", 412, "", "", s3err.PreconditionFailed},
		{"if-unmodified-since after", map[string]string{"If-Unmodified-Since": after}, "", 200, "0123456789", "", ""},
		{"if-match wins over if-unmodified-since", map[string]string{"If-Match": etag, "If-Unmodified-Since": before}, "", 200, "0123456789", "", ""},
		{"if-none-match wins over if-modified-since", map[string]string{"If-None-Match": `"nope"`, "If-Modified-Since": after}, "", 200, "0123456789", "", ""},
		{"range and if-match", map[string]string{"If-Match": etag, "Range": "bytes=0-0"}, "", 206, "0", "bytes 0-0/10", ""},
		{"version null", nil, "?versionId=null", 200, "0123456789", "", ""},
		{"other version", nil, "?versionId=3HL4kqtJlcpXroDTDmJ", 404, "", "", s3err.NoSuchVersion},
		{"acl", nil, "?acl", 501, "", "", s3err.NotImplemented},
		{"missing key", nil, "-missing", 404, "", "", s3err.NoSuchKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/data/digits" + tt.target
			res := ts.do(req{method: "GET", target: target, header: tt.header})
			if tt.code != "" {
				e := wantError(t, res, tt.code)
				if tt.code == s3err.PreconditionFailed && e.Condition == "" {
					t.Errorf("no Condition")
				}
				if e.Resource != strings.Split(target, "?")[0] {
					t.Errorf("Resource %q", e.Resource)
				}
			} else if res.status != tt.status || string(res.body) != tt.body {
				t.Fatalf("status %d body %q, want %d %q", res.status, res.body, tt.status, tt.body)
			}
			if got := res.header.Get("Content-Range"); got != tt.contentRange {
				t.Errorf("Content-Range %q, want %q", got, tt.contentRange)
			}
			if tt.status == 304 && res.header.Get("ETag") != etag {
				t.Errorf("304 without the ETag")
			}
			// HEAD answers the same status, without a body.
			hres := ts.do(req{method: "HEAD", target: target, header: tt.header})
			if hres.status != tt.status || len(hres.body) != 0 {
				t.Errorf("HEAD: status %d, %d bytes", hres.status, len(hres.body))
			}
		})
	}

	// response-* overrides.
	res := ts.must(200, req{method: "GET", target: "/data/digits?response-content-type=application%2Fjson&response-content-disposition=attachment%3B%20filename%3D%22d.txt%22&response-cache-control=no-store&response-content-language=fr&response-expires=Thu%2C%2001%20Dec%201994%2016%3A00%3A00%20GMT&response-content-encoding=identity"})
	for name, want := range map[string]string{
		"Content-Type": "application/json", "Content-Disposition": `attachment; filename="d.txt"`,
		"Cache-Control": "no-store", "Content-Language": "fr", "Expires": "Thu, 01 Dec 1994 16:00:00 GMT", "Content-Encoding": "identity",
	} {
		if got := res.header.Get(name); got != want {
			t.Errorf("override %s: %q, want %q", name, got, want)
		}
	}
	// An empty object has no satisfiable range.
	ts.put("data", "empty", nil, nil)
	wantError(t, ts.get("data", "empty", map[string]string{"Range": "bytes=0-"}), s3err.InvalidRange)
	if res := ts.get("data", "empty", nil); res.status != 200 || len(res.body) != 0 || res.header.Get("Content-Type") != "binary/octet-stream" {
		t.Errorf("empty object: %d %q %q", res.status, res.body, res.header.Get("Content-Type"))
	}
}

func TestPutObjectIntegrity(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("data")
	body := []byte("Hello world")
	crc32 := algByName("CRC32").checksumOf(body)
	tests := []struct {
		name    string
		header  map[string]string
		payload string
		code    s3err.ErrorCode
		sumAlg  string
	}{
		{"plain", nil, "", "", "CRC64NVME"},
		{"content-md5", map[string]string{"Content-MD5": md5b64(body)}, "", "", "CRC64NVME"},
		{"content-md5 wrong", map[string]string{"Content-MD5": md5b64([]byte("x"))}, "", s3err.BadDigest, ""},
		{"content-md5 malformed", map[string]string{"Content-MD5": "not base64!"}, "", s3err.InvalidDigest, ""},
		{"crc32", map[string]string{"x-amz-checksum-crc32": crc32, "x-amz-sdk-checksum-algorithm": "CRC32"}, "", "", "CRC32"},
		{"crc32 wrong", map[string]string{"x-amz-checksum-crc32": algByName("CRC32").checksumOf([]byte("x"))}, "", s3err.BadDigest, ""},
		{"crc32c", map[string]string{"x-amz-checksum-crc32c": algByName("CRC32C").checksumOf(body)}, "", "", "CRC32C"},
		{"crc64nvme", map[string]string{"x-amz-checksum-crc64nvme": algByName("CRC64NVME").checksumOf(body)}, "", "", "CRC64NVME"},
		{"sha1", map[string]string{"x-amz-checksum-sha1": algByName("SHA1").checksumOf(body)}, "", "", "SHA1"},
		{"sha256", map[string]string{"x-amz-checksum-sha256": algByName("SHA256").checksumOf(body)}, "", "", "SHA256"},
		{"sha256 wrong", map[string]string{"x-amz-checksum-sha256": algByName("SHA256").checksumOf(nil)}, "", s3err.BadDigest, ""},
		{"payload hash wrong", nil, strings.Repeat("ab", 32), s3err.XAmzContentSHA256Mismatch, ""},
		{"unsigned payload", nil, "UNSIGNED-PAYLOAD", "", "CRC64NVME"},
		{"sigv4a", nil, "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", s3err.NotImplemented, ""},
		{"metadata too large", map[string]string{"x-amz-meta-big": strings.Repeat("x", 2100)}, "", s3err.MetadataTooLarge, ""},
		{"bad storage class", map[string]string{"x-amz-storage-class": "COLD"}, "", s3err.InvalidStorageClass, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "obj" + itoa(int64(i))
			res := ts.do(req{method: "PUT", target: "/data/" + key, body: body, header: tt.header, payload: tt.payload})
			if tt.code != "" {
				wantError(t, res, tt.code)
				// Nothing was stored.
				wantError(t, ts.get("data", key, nil), s3err.NoSuchKey)
				return
			}
			if res.status != 200 {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			want := algByName(tt.sumAlg).checksumOf(body)
			if got := res.header.Get(algByName(tt.sumAlg).header); got != want {
				t.Errorf("PUT response %s %q, want %q", tt.sumAlg, got, want)
			}
			g := ts.get("data", key, map[string]string{"x-amz-checksum-mode": "ENABLED"})
			if !bytes.Equal(g.body, body) {
				t.Fatalf("GET %q", g.body)
			}
			if got := g.header.Get(algByName(tt.sumAlg).header); got != want {
				t.Errorf("GET %s %q, want %q", tt.sumAlg, got, want)
			}
			if g.header.Get("X-Amz-Checksum-Type") != "FULL_OBJECT" {
				t.Errorf("x-amz-checksum-type %q", g.header.Get("X-Amz-Checksum-Type"))
			}
			// Without checksum mode, and for a range, no checksum.
			for _, h := range []map[string]string{nil, {"x-amz-checksum-mode": "ENABLED", "Range": "bytes=0-1"}} {
				if got := ts.get("data", key, h).header.Get(algByName(tt.sumAlg).header); got != "" {
					t.Errorf("GET %v returned checksum %q", h, got)
				}
			}
		})
	}
	// The body is shorter than its Content-Length: nothing is stored.
	hr := ts.newRequest(req{method: "PUT", target: "/data/short", body: body, payload: "UNSIGNED-PAYLOAD"})
	hr.ContentLength = int64(len(body)) + 5
	hr.Body = ioNopCloser(bytes.NewReader(body))
	if resp, err := ts.client.Do(hr); err == nil {
		resp.Body.Close()
	}
	wantError(t, ts.get("data", "short", nil), s3err.NoSuchKey)
	// The size limit.
	small := newTestServer(t, func(o *Options) { o.MaxObjectSize = 4 })
	small.mkBucket("data")
	wantError(t, small.do(req{method: "PUT", target: "/data/big", body: body}), s3err.EntityTooLarge)
}

func TestConditionalPut(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("data")
	ts.must(200, req{method: "PUT", target: "/data/k", body: []byte("1"), header: map[string]string{"If-None-Match": "*"}})
	wantError(t, ts.do(req{method: "PUT", target: "/data/k", body: []byte("2"), header: map[string]string{"If-None-Match": "*"}}), s3err.PreconditionFailed)
	etag := ts.get("data", "k", nil).header.Get("ETag")
	wantError(t, ts.do(req{method: "PUT", target: "/data/k", body: []byte("3"), header: map[string]string{"If-Match": `"0"`}}), s3err.PreconditionFailed)
	ts.must(200, req{method: "PUT", target: "/data/k", body: []byte("4"), header: map[string]string{"If-Match": etag}})
	wantError(t, ts.do(req{method: "PUT", target: "/data/new", body: []byte("5"), header: map[string]string{"If-Match": etag}}), s3err.NoSuchKey)
	if got := string(ts.get("data", "k", nil).body); got != "4" {
		t.Errorf("body %q", got)
	}
}

func TestCopyObject(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("src")
	ts.mkBucket("dst")
	ts.put("src", "a b.txt", []byte("payload"), map[string]string{"Content-Type": "text/plain", "x-amz-meta-colour": "red", "x-amz-checksum-sha1": algByName("SHA1").checksumOf([]byte("payload"))})
	etag := ts.get("src", "a b.txt", nil).header.Get("ETag")
	type copyResult struct {
		ETag, LastModified, ChecksumSHA1 string
	}
	tests := []struct {
		name     string
		dst      string
		header   map[string]string
		code     s3err.ErrorCode
		wantType string
		wantMeta string
	}{
		{"copy", "/dst/copy", map[string]string{"x-amz-copy-source": "/src/a%20b.txt"}, "", "text/plain", "red"},
		{"no leading slash", "/dst/copy2", map[string]string{"x-amz-copy-source": "src/a%20b.txt"}, "", "text/plain", "red"},
		{"replace", "/dst/replaced", map[string]string{"x-amz-copy-source": "src/a%20b.txt", "x-amz-metadata-directive": "REPLACE", "Content-Type": "image/png", "x-amz-meta-colour": "blue"}, "", "image/png", "blue"},
		{"replace itself", "/src/a%20b.txt", map[string]string{"x-amz-copy-source": "src/a%20b.txt", "x-amz-metadata-directive": "REPLACE", "Content-Type": "text/markdown", "x-amz-meta-colour": "red"}, "", "text/markdown", "red"},
		{"copy onto itself", "/src/a%20b.txt", map[string]string{"x-amz-copy-source": "src/a%20b.txt"}, s3err.InvalidRequest, "", ""},
		{"if-match", "/dst/c3", map[string]string{"x-amz-copy-source": "src/a%20b.txt", "x-amz-copy-source-if-match": etag}, "", "text/markdown", "red"},
		{"if-match fails", "/dst/c4", map[string]string{"x-amz-copy-source": "src/a%20b.txt", "x-amz-copy-source-if-match": `"x"`}, s3err.PreconditionFailed, "", ""},
		{"if-none-match fails", "/dst/c5", map[string]string{"x-amz-copy-source": "src/a%20b.txt", "x-amz-copy-source-if-none-match": etag}, s3err.PreconditionFailed, "", ""},
		{"missing source", "/dst/c6", map[string]string{"x-amz-copy-source": "src/nope"}, s3err.NoSuchKey, "", ""},
		{"missing source bucket", "/dst/c7", map[string]string{"x-amz-copy-source": "nope/x"}, s3err.NoSuchBucket, "", ""},
		{"malformed source", "/dst/c8", map[string]string{"x-amz-copy-source": "justabucket"}, s3err.InvalidArgument, "", ""},
		{"bad directive", "/dst/c9", map[string]string{"x-amz-copy-source": "src/a%20b.txt", "x-amz-metadata-directive": "MERGE"}, s3err.InvalidArgument, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.do(req{method: "PUT", target: tt.dst, header: tt.header})
			if tt.code != "" {
				wantError(t, res, tt.code)
				return
			}
			if res.status != 200 {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			var cr copyResult
			if err := xml.Unmarshal(res.body, &cr); err != nil {
				t.Fatal(err)
			}
			if cr.ETag != etag || cr.LastModified == "" || cr.ChecksumSHA1 != algByName("SHA1").checksumOf([]byte("payload")) {
				t.Errorf("CopyObjectResult %+v", cr)
			}
			g := ts.do(req{method: "GET", target: tt.dst})
			if string(g.body) != "payload" || g.header.Get("Content-Type") != tt.wantType || g.header.Get("X-Amz-Meta-Colour") != tt.wantMeta {
				t.Errorf("copy: %q %q %q", g.body, g.header.Get("Content-Type"), g.header.Get("X-Amz-Meta-Colour"))
			}
		})
	}
}
