package s3server

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
)

func (ts *testServer) createUpload(bucket, key string, header map[string]string) string {
	ts.t.Helper()
	res := ts.must(200, req{method: "POST", target: "/" + bucket + "/" + escapeKey(key) + "?uploads", header: header})
	var init struct {
		Bucket, Key string
		UploadID    string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(res.body, &init); err != nil || init.UploadID == "" || init.Bucket != bucket || init.Key != key {
		ts.t.Fatalf("CreateMultipartUpload: %v %s", err, res.body)
	}
	return init.UploadID
}

func completeXML(parts ...[2]string) []byte {
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, p := range parts {
		fmt.Fprintf(&b, "<Part><PartNumber>%s</PartNumber><ETag>%s</ETag></Part>", p[0], p[1])
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

func TestMultipartUpload(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	ts.put("bkt", "source", bytes.Repeat([]byte("s"), 1000), nil)
	id := ts.createUpload("bkt", "big/file.bin", map[string]string{"Content-Type": "application/x-big", "x-amz-meta-kind": "test", "x-amz-checksum-algorithm": "CRC32"})

	part1 := bytes.Repeat([]byte("1"), objstore.MinPartSize)
	part2 := []byte("the last part")
	crc1 := algByName("CRC32").checksumOf(part1)
	up := func(n string, body []byte, header map[string]string) response {
		return ts.do(req{method: "PUT", target: "/bkt/big/file.bin?partNumber=" + n + "&uploadId=" + id, body: body, header: header})
	}
	r1 := up("1", part1, map[string]string{"x-amz-checksum-crc32": crc1})
	if r1.status != 200 || r1.header.Get("X-Amz-Checksum-Crc32") != crc1 {
		t.Fatalf("part 1: %d %s %v", r1.status, r1.body, r1.header)
	}
	r2 := up("2", part2, nil)
	if r2.status != 200 {
		t.Fatalf("part 2: %d %s", r2.status, r2.body)
	}
	// A part whose checksum does not match is refused, the upload goes on.
	wantError(t, up("3", part2, map[string]string{"x-amz-checksum-crc32": crc1}), s3err.BadDigest)
	for _, n := range []string{"0", "10001", "x"} {
		wantError(t, up(n, part2, nil), s3err.InvalidArgument)
	}
	wantError(t, ts.do(req{method: "PUT", target: "/bkt/big/file.bin?partNumber=1&uploadId=nope", body: part2}), s3err.NoSuchUpload)
	// A part list longer than S3's 10,000 is refused before the store sees it.
	var many bytes.Buffer
	many.WriteString("<CompleteMultipartUpload>")
	for i := 1; i <= MaxParts+1; i++ {
		fmt.Fprintf(&many, "<Part><PartNumber>%d</PartNumber><ETag>e</ETag></Part>", i)
	}
	many.WriteString("</CompleteMultipartUpload>")
	wantError(t, ts.do(req{method: "POST", target: "/bkt/big/file.bin?uploadId=" + id, body: many.Bytes()}), s3err.InvalidArgument)

	// UploadPartCopy of a range of another object, as part 3.
	res := ts.must(200, req{method: "PUT", target: "/bkt/big/file.bin?partNumber=3&uploadId=" + id,
		header: map[string]string{"x-amz-copy-source": "/bkt/source", "x-amz-copy-source-range": "bytes=0-9"}})
	var cp struct{ ETag string }
	xml.Unmarshal(res.body, &cp)
	sum := md5.Sum(bytes.Repeat([]byte("s"), 10))
	if cp.ETag != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("CopyPartResult %s", res.body)
	}
	wantError(t, ts.do(req{method: "PUT", target: "/bkt/big/file.bin?partNumber=3&uploadId=" + id,
		header: map[string]string{"x-amz-copy-source": "/bkt/source", "x-amz-copy-source-range": "bytes=0-5000"}}), s3err.InvalidRange)

	// ListParts, two pages of two and one.
	res = ts.must(200, req{method: "GET", target: "/bkt/big/file.bin?uploadId=" + id + "&max-parts=2"})
	var lp struct {
		UploadID             string `xml:"UploadId"`
		IsTruncated          bool
		NextPartNumberMarker int
		Parts                []struct {
			PartNumber    int
			ETag          string
			Size          int64
			ChecksumCRC32 string
		} `xml:"Part"`
	}
	if err := xml.Unmarshal(res.body, &lp); err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 2 || !lp.IsTruncated || lp.NextPartNumberMarker != 2 || lp.Parts[0].ETag != r1.header.Get("ETag") ||
		lp.Parts[0].Size != int64(len(part1)) || lp.Parts[1].PartNumber != 2 || lp.UploadID != id {
		t.Errorf("ListParts: %s", res.body)
	}
	if lp.Parts[0].ChecksumCRC32 != crc1 {
		t.Errorf("part 1 checksum %q, want %q", lp.Parts[0].ChecksumCRC32, crc1)
	}
	res = ts.must(200, req{method: "GET", target: "/bkt/big/file.bin?uploadId=" + id + "&part-number-marker=2"})
	lp.Parts = nil
	xml.Unmarshal(res.body, &lp)
	if len(lp.Parts) != 1 || lp.Parts[0].PartNumber != 3 || lp.IsTruncated {
		t.Errorf("ListParts page 2: %s", res.body)
	}

	// ListMultipartUploads.
	res = ts.must(200, req{method: "GET", target: "/bkt?uploads"})
	if !strings.Contains(string(res.body), "<UploadId>"+id+"</UploadId>") {
		t.Errorf("ListMultipartUploads: %s", res.body)
	}

	// Complete errors, then success.
	e1, e2 := r1.header.Get("ETag"), r2.header.Get("ETag")
	target := "/bkt/big/file.bin?uploadId=" + id
	for _, tt := range []struct {
		name string
		body []byte
		code s3err.ErrorCode
	}{
		{"no parts", completeXML(), s3err.MalformedXML},
		{"not XML", []byte("<Complete"), s3err.MalformedXML},
		{"wrong etag", completeXML([2]string{"1", e1}, [2]string{"2", `"00"`}), s3err.InvalidPart},
		{"missing part", completeXML([2]string{"1", e1}, [2]string{"7", e2}), s3err.InvalidPart},
		{"out of order", completeXML([2]string{"2", e2}, [2]string{"1", e1}), s3err.InvalidPartOrder},
		{"small part first", completeXML([2]string{"2", e2}, [2]string{"3", cp.ETag}), s3err.EntityTooSmall},
		{"wrong part checksum", []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + e1 + `</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`), s3err.InvalidPart},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ts.do(req{method: "POST", target: target, body: tt.body}), tt.code)
		})
	}
	body := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + e1 + `</ETag><ChecksumCRC32>` + crc1 + `</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber><ETag>` + e2 + `</ETag></Part></CompleteMultipartUpload>`)
	res = ts.must(200, req{method: "POST", target: target, body: body})
	var done struct{ Location, Bucket, Key, ETag string }
	if err := xml.Unmarshal(res.body, &done); err != nil {
		t.Fatal(err)
	}
	s1, s2 := md5.Sum(part1), md5.Sum(part2)
	all := md5.Sum(append(s1[:], s2[:]...))
	if want := `"` + hex.EncodeToString(all[:]) + `-2"`; done.ETag != want || done.Bucket != "bkt" || done.Key != "big/file.bin" ||
		done.Location != ts.url+"/bkt/big/file.bin" {
		t.Errorf("CompleteMultipartUploadResult %+v, ETag want %s", done, want)
	}
	g := ts.get("bkt", "big/file.bin", nil)
	if !bytes.Equal(g.body, append(part1, part2...)) || g.header.Get("Content-Type") != "application/x-big" || g.header.Get("X-Amz-Meta-Kind") != "test" || g.header.Get("ETag") != done.ETag {
		t.Errorf("assembled object: %d bytes %v", len(g.body), g.header)
	}
	if g := ts.get("bkt", "big/file.bin", map[string]string{"Range": "bytes=5242879-5242881"}); string(g.body) != "1th" {
		t.Errorf("range across parts %q", g.body)
	}
	wantError(t, ts.do(req{method: "GET", target: target}), s3err.NoSuchUpload)
	wantError(t, ts.do(req{method: "POST", target: target, body: body}), s3err.NoSuchUpload)

	// Abort.
	id = ts.createUpload("bkt", "aborted", nil)
	ts.must(200, req{method: "PUT", target: "/bkt/aborted?partNumber=1&uploadId=" + id, body: part2})
	ts.must(204, req{method: "DELETE", target: "/bkt/aborted?uploadId=" + id})
	wantError(t, ts.do(req{method: "GET", target: "/bkt/aborted?uploadId=" + id}), s3err.NoSuchUpload)
	wantError(t, ts.do(req{method: "DELETE", target: "/bkt/aborted?uploadId=" + id}), s3err.NoSuchUpload)
	wantError(t, ts.get("bkt", "aborted", nil), s3err.NoSuchKey)
}

// TestCompleteKeepAlive makes CompleteMultipartUpload start its response
// before the store is done, as S3 does for long assemblies: the client
// gets 200, whitespace, then the result, or an error document in the body.
func TestCompleteKeepAlive(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.h.keepAlive = time.Nanosecond
	ts.mkBucket("bkt")
	id := ts.createUpload("bkt", "k", nil)
	part := bytes.Repeat([]byte("p"), objstore.MinPartSize)
	var etags []string
	for _, n := range []string{"1", "2"} {
		etags = append(etags, ts.must(200, req{method: "PUT", target: "/bkt/k?partNumber=" + n + "&uploadId=" + id, body: part}).header.Get("ETag"))
	}
	// A bad part list: an error, in a 200 response once it has started.
	res := ts.do(req{method: "POST", target: "/bkt/k?uploadId=" + id, body: completeXML([2]string{"1", etags[0]}, [2]string{"2", `"bad"`})})
	if res.status == 200 {
		e := res.s3Error(t)
		if e.Code != string(s3err.InvalidPart) || e.RequestID == "" {
			t.Errorf("error in a 200 response: %s", res.body)
		}
	} else {
		wantError(t, res, s3err.InvalidPart)
	}
	res = ts.must(200, req{method: "POST", target: "/bkt/k?uploadId=" + id, body: completeXML([2]string{"1", etags[0]}, [2]string{"2", etags[1]})})
	var done struct{ ETag string }
	if err := xml.Unmarshal(bytes.TrimSpace(res.body), &done); err != nil || !strings.HasSuffix(done.ETag, `-2"`) {
		t.Errorf("result %q: %v", res.body, err)
	}
	if h := ts.do(req{method: "HEAD", target: "/bkt/k"}); h.header.Get("Content-Length") != itoa(2*objstore.MinPartSize) {
		t.Errorf("object size %s", h.header.Get("Content-Length"))
	}
}
