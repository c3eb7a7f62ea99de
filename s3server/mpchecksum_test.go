package s3server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

// TestMultipartChecksums: an upload created with x-amz-checksum-algorithm
// gives its object S3's checksum ("Checking object integrity", Amazon S3
// User Guide): COMPOSITE, the checksum of the parts' checksums joined, "-"
// and the part count (SHA-256, and CRC-32 by default); FULL_OBJECT, the
// CRC of the whole object (CRC-64/NVME always, CRC-32 when asked), in
// CompleteMultipartUpload's answer and in HEAD with x-amz-checksum-mode;
// the combinations S3 refuses are refused.
func TestMultipartChecksums(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	p1, p2 := bytes.Repeat([]byte("a"), objstore.MinPartSize), []byte("the last part")
	sumOf := func(alg string, b []byte) []byte {
		h := algByName(alg).new()
		h.Write(b)
		return h.Sum(nil)
	}
	b64 := base64.StdEncoding.EncodeToString
	for _, tc := range []struct {
		alg, typ, wantType string
		want               string
	}{
		{"SHA256", "", "COMPOSITE", func() string {
			s1, s2 := sha256.Sum256(p1), sha256.Sum256(p2)
			all := sha256.Sum256(append(s1[:], s2[:]...))
			return b64(all[:]) + "-2"
		}()},
		{"CRC32", "", "COMPOSITE", b64(sumOf("CRC32", append(sumOf("CRC32", p1), sumOf("CRC32", p2)...))) + "-2"},
		{"CRC32", "FULL_OBJECT", "FULL_OBJECT", b64(sumOf("CRC32", append(append([]byte(nil), p1...), p2...)))},
		{"CRC64NVME", "", "FULL_OBJECT", b64(sumOf("CRC64NVME", append(append([]byte(nil), p1...), p2...)))},
	} {
		h := map[string]string{"X-Amz-Checksum-Algorithm": tc.alg}
		if tc.typ != "" {
			h["X-Amz-Checksum-Type"] = tc.typ
		}
		key := "/bkt/" + tc.alg + tc.typ
		res := ts.must(200, req{method: "POST", target: key + "?uploads", header: h})
		if res.header.Get("X-Amz-Checksum-Type") != tc.wantType {
			t.Errorf("%s %s: create answered type %q", tc.alg, tc.typ, res.header.Get("X-Amz-Checksum-Type"))
		}
		id := between(string(res.body), "<UploadId>", "</UploadId>")
		hdr := "x-amz-checksum-" + map[string]string{"SHA256": "sha256", "CRC32": "crc32", "CRC64NVME": "crc64nvme"}[tc.alg]
		var etags []string
		for i, p := range [][]byte{p1, p2} {
			r := ts.must(200, req{method: "PUT", target: key + "?partNumber=" + itoa(int64(i+1)) + "&uploadId=" + id, body: p,
				header: map[string]string{hdr: b64(sumOf(tc.alg, p))}})
			etags = append(etags, r.header.Get("ETag"))
		}
		done := ts.must(200, req{method: "POST", target: key + "?uploadId=" + id, body: []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` +
			etags[0] + `</ETag></Part><Part><PartNumber>2</PartNumber><ETag>` + etags[1] + `</ETag></Part></CompleteMultipartUpload>`)})
		if !bytes.Contains(done.body, []byte(tc.want)) || !bytes.Contains(done.body, []byte("<ChecksumType>"+tc.wantType+"</ChecksumType>")) {
			t.Errorf("%s %s: complete answered %s, want %s %s", tc.alg, tc.typ, done.body, tc.want, tc.wantType)
		}
		head := ts.must(200, req{method: "HEAD", target: key, header: map[string]string{"X-Amz-Checksum-Mode": "ENABLED"}})
		if head.header.Get(hdr) != tc.want || head.header.Get("X-Amz-Checksum-Type") != tc.wantType {
			t.Errorf("%s %s: HEAD %v, want %s %s", tc.alg, tc.typ, head.header, tc.want, tc.wantType)
		}
	}
	for _, bad := range []map[string]string{
		{"X-Amz-Checksum-Algorithm": "SHA256", "X-Amz-Checksum-Type": "FULL_OBJECT"},
		{"X-Amz-Checksum-Algorithm": "CRC64NVME", "X-Amz-Checksum-Type": "COMPOSITE"},
		{"X-Amz-Checksum-Algorithm": "CRC32", "X-Amz-Checksum-Type": "PARTIAL"},
	} {
		if res := ts.do(req{method: "POST", target: "/bkt/bad?uploads", header: bad}); res.status != 400 || !bytes.Contains(res.body, []byte("InvalidRequest")) {
			t.Errorf("create with %v: %d %s", bad, res.status, res.body)
		}
	}
}
