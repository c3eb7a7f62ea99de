package s3server

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

// TestGetPartNumber: GET and HEAD with ?partNumber=N read part N of a
// multipart object, as S3 does ("partNumber: Part number of the object
// being read ... Effectively performs a 'ranged' GET request for the part
// specified", GetObject API reference): 206 with that part's bytes and
// Content-Range, x-amz-mp-parts-count; a part the object lacks is 416
// InvalidPartNumber; part 1 of an object not uploaded in parts is all of
// it, as a 206; partNumber and Range together are refused.
func TestGetPartNumber(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	p1, p2 := bytes.Repeat([]byte("1"), objstore.MinPartSize), []byte("the second part")
	res := ts.must(200, req{method: "POST", target: "/bkt/mp?uploads"})
	id := between(string(res.body), "<UploadId>", "</UploadId>")
	e1 := ts.must(200, req{method: "PUT", target: "/bkt/mp?partNumber=1&uploadId=" + id, body: p1}).header.Get("ETag")
	e2 := ts.must(200, req{method: "PUT", target: "/bkt/mp?partNumber=2&uploadId=" + id, body: p2}).header.Get("ETag")
	ts.must(200, req{method: "POST", target: "/bkt/mp?uploadId=" + id, body: []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + e1 +
		`</ETag></Part><Part><PartNumber>2</PartNumber><ETag>` + e2 + `</ETag></Part></CompleteMultipartUpload>`)})
	total := strconv.Itoa(len(p1) + len(p2))

	for _, tt := range []struct {
		n           string
		body        []byte
		contentRang string
	}{
		{"1", p1, "bytes 0-" + strconv.Itoa(len(p1)-1) + "/" + total},
		{"2", p2, "bytes " + strconv.Itoa(len(p1)) + "-" + strconv.Itoa(len(p1)+len(p2)-1) + "/" + total},
	} {
		res := ts.must(206, req{method: "GET", target: "/bkt/mp?partNumber=" + tt.n})
		if !bytes.Equal(res.body, tt.body) || res.header.Get("Content-Range") != tt.contentRang || res.header.Get("X-Amz-Mp-Parts-Count") != "2" {
			t.Errorf("part %s: %d bytes, %v", tt.n, len(res.body), res.header)
		}
		head := ts.must(206, req{method: "HEAD", target: "/bkt/mp?partNumber=" + tt.n})
		if head.header.Get("Content-Length") != strconv.Itoa(len(tt.body)) || head.header.Get("X-Amz-Mp-Parts-Count") != "2" {
			t.Errorf("HEAD part %s: %v", tt.n, head.header)
		}
	}
	if res := ts.do(req{method: "GET", target: "/bkt/mp?partNumber=3"}); res.status != 416 || !bytes.Contains(res.body, []byte("<Code>InvalidPartNumber</Code>")) {
		t.Errorf("part 3 of 2: %d %s", res.status, res.body)
	}
	if res := ts.do(req{method: "GET", target: "/bkt/mp?partNumber=1", header: map[string]string{"Range": "bytes=0-1"}}); res.status != 400 {
		t.Errorf("partNumber with Range: %d %s", res.status, res.body)
	}
	ts.must(200, req{method: "PUT", target: "/bkt/plain", body: []byte("plain")})
	// A real S3 answer to partNumber=1 of a 10-byte object is "206 Partial
	// Content ... Content-Range: bytes 0-9/10" (quoted in
	// versity/versitygw#2074).
	if res := ts.must(206, req{method: "GET", target: "/bkt/plain?partNumber=1"}); string(res.body) != "plain" || res.header.Get("Content-Range") != "bytes 0-4/5" {
		t.Errorf("part 1 of a plain object: %q %v", res.body, res.header)
	}
	if res := ts.do(req{method: "GET", target: "/bkt/plain?partNumber=2"}); res.status != 416 {
		t.Errorf("part 2 of a plain object: %d", res.status)
	}
}
