//go:build unix

package serve

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// s3Peer is an S3 endpoint and the key pair it takes.
type s3Peer struct {
	name     string
	endpoint string
	creds    sigv4.Credentials
}

// diffReq is one request of the differential test. Paths name the bucket
// as {b}, replaced by each peer's bucket.
type diffReq struct {
	name   string
	method string
	path   string // escaped path and query
	header map[string]string
	body   string
	// unsigned sends the request with no authentication; badSig signs it
	// with a wrong secret.
	unsigned, badSig bool
}

// answer is what the test compares of a response: the status and S3's
// error code.
type answer struct {
	status int
	code   string
}

func (a answer) String() string {
	if a.code == "" {
		return fmt.Sprint(a.status)
	}
	return fmt.Sprintf("%d %s", a.status, a.code)
}

// send signs r (header auth, the payload's SHA-256) for p and sends it.
func (p s3Peer) send(t *testing.T, bucket string, r diffReq) answer {
	t.Helper()
	u, err := url.Parse(p.endpoint + strings.ReplaceAll(r.path, "{b}", bucket))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(r.method, u.String(), strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(r.body))
	var hdr []sigv4.Param
	for k, v := range r.header {
		req.Header.Set(k, v)
		hdr = append(hdr, sigv4.Param{Name: strings.ToLower(k), Value: v})
	}
	sort.Slice(hdr, func(i, j int) bool { return hdr[i].Name < hdr[j].Name })
	if !r.unsigned {
		q, _ := sigv4.ParseQuery(u.RawQuery)
		sum := sha256.Sum256([]byte(r.body))
		creds := p.creds
		if r.badSig {
			creds.SecretAccessKey += "x"
		}
		s, err := sigv4.NewSigner().Sign(&sigv4.SignInput{
			Request:     &sigv4.Request{Method: r.method, Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.EscapedPath(), Query: q, Header: hdr},
			Credentials: creds, Region: "us-east-1", Service: "s3", Time: time.Now(),
			PayloadHash: hex.EncodeToString(sum[:]), ContentSHA256Header: true,
		})
		if err != nil {
			t.Fatalf("%s: signing: %v", r.name, err)
		}
		req.Header.Set("Authorization", s.Authorization)
		req.Header.Set("X-Amz-Date", s.Date)
		req.Header.Set("X-Amz-Content-Sha256", s.ContentSHA256)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s to %s: %v", r.name, p.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Code string `xml:"Code"`
	}
	if bytes.Contains(body, []byte("<Error>")) {
		xml.Unmarshal(body, &e)
	}
	return answer{resp.StatusCode, e.Code}
}

// TestDifferentialMinIO sends the same requests, in the same order, to the
// embedded store and to a real MinIO, and compares each status and S3
// error code. Every difference must be one listed in known, with the
// reason the embedded store answers as it does; a new difference, or a
// listed one that is gone, fails the test.
func TestDifferentialMinIO(t *testing.T) {
	m := startMinIO(t)
	data := t.TempDir()
	s := startPresign(t, "", nil, "--data", data, "--s3-addr", "127.0.0.1:0")
	mm := exportRE.FindStringSubmatch(s.stdout.String())
	if mm == nil {
		t.Fatalf("presign serve printed no export line\n%s", s.output())
	}
	val := func(kv string) string { return strings.SplitN(kv, "=", 2)[1] }
	peers := []s3Peer{
		{"presign", val(mm[1]), sigv4.Credentials{AccessKeyID: val(mm[2]), SecretAccessKey: val(mm[3])}},
		{"minio", m.Endpoint, m.Credentials},
	}
	md5b64 := func(s string) string { sum := md5.Sum([]byte(s)); return base64.StdEncoding.EncodeToString(sum[:]) }
	etag := func(s string) string { sum := md5.Sum([]byte(s)); return `"` + hex.EncodeToString(sum[:]) + `"` }
	big := strings.Repeat("p", 5<<20)

	reqs := []diffReq{
		{name: "create bucket", method: "PUT", path: "/{b}"},
		{name: "create it again", method: "PUT", path: "/{b}"},
		{name: "create an invalid bucket name", method: "PUT", path: "/Bad_Name"},
		{name: "head bucket", method: "HEAD", path: "/{b}"},
		{name: "head a missing bucket", method: "HEAD", path: "/no-such-bucket-here"},
		{name: "put", method: "PUT", path: "/{b}/a/one.txt", body: "one", header: map[string]string{"Content-Type": "text/plain"}},
		{name: "put with Content-MD5", method: "PUT", path: "/{b}/a/two.txt", body: "two", header: map[string]string{"Content-MD5": md5b64("two")}},
		{name: "put with a wrong Content-MD5", method: "PUT", path: "/{b}/a/bad.txt", body: "bad", header: map[string]string{"Content-MD5": md5b64("other")}},
		{name: "get", method: "GET", path: "/{b}/a/one.txt"},
		{name: "head", method: "HEAD", path: "/{b}/a/one.txt"},
		{name: "get a range", method: "GET", path: "/{b}/a/one.txt", header: map[string]string{"Range": "bytes=0-1"}},
		{name: "get a range past the end", method: "GET", path: "/{b}/a/one.txt", header: map[string]string{"Range": "bytes=10-20"}},
		{name: "get a missing key", method: "GET", path: "/{b}/a/none.txt"},
		{name: "head a missing key", method: "HEAD", path: "/{b}/a/none.txt"},
		{name: "get from a missing bucket", method: "GET", path: "/no-such-bucket-here/k"},
		{name: "get If-None-Match its ETag", method: "GET", path: "/{b}/a/one.txt", header: map[string]string{"If-None-Match": etag("one")}},
		{name: "get If-Match another ETag", method: "GET", path: "/{b}/a/one.txt", header: map[string]string{"If-Match": etag("other")}},
		{name: "put If-None-Match * on an existing key", method: "PUT", path: "/{b}/a/one.txt", body: "again", header: map[string]string{"If-None-Match": "*"}},
		{name: "put If-None-Match * on a new key", method: "PUT", path: "/{b}/a/new.txt", body: "new", header: map[string]string{"If-None-Match": "*"}},
		{name: "put If-Match another ETag", method: "PUT", path: "/{b}/a/one.txt", body: "again", header: map[string]string{"If-Match": etag("other")}},
		{name: "list v2", method: "GET", path: "/{b}?list-type=2&prefix=a/"},
		{name: "list v2 with a delimiter", method: "GET", path: "/{b}?list-type=2&delimiter=/"},
		{name: "list v1", method: "GET", path: "/{b}?prefix=a/"},
		{name: "list with max-keys -1", method: "GET", path: "/{b}?list-type=2&max-keys=-1"},
		{name: "copy", method: "PUT", path: "/{b}/a/copy.txt", header: map[string]string{"X-Amz-Copy-Source": "/{b}/a/one.txt"}},
		{name: "copy a missing key", method: "PUT", path: "/{b}/a/copy2.txt", header: map[string]string{"X-Amz-Copy-Source": "/{b}/a/none.txt"}},
		{name: "abort a missing upload", method: "DELETE", path: "/{b}/a/mp?uploadId=nope"},
		{name: "list parts of a missing upload", method: "GET", path: "/{b}/a/mp?uploadId=nope"},
		{name: "upload a part of a missing upload", method: "PUT", path: "/{b}/a/mp?partNumber=1&uploadId=nope", body: "x"},
		{name: "complete a missing upload", method: "POST", path: "/{b}/a/mp?uploadId=nope", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`},
		{name: "versioning", method: "GET", path: "/{b}?versioning"},
		{name: "location", method: "GET", path: "/{b}?location"},
		{name: "cors of a bucket without", method: "GET", path: "/{b}?cors"},
		{name: "put cors", method: "PUT", path: "/{b}?cors", body: `<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
			header: map[string]string{"Content-MD5": md5b64(`<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`)}},
		{name: "get cors", method: "GET", path: "/{b}?cors"},
		{name: "delete cors", method: "DELETE", path: "/{b}?cors"},
		{name: "a wrong signature", method: "GET", path: "/{b}/a/one.txt", badSig: true},
		{name: "anonymous get of a private object", method: "GET", path: "/{b}/a/one.txt", unsigned: true},
		{name: "put 5 MiB", method: "PUT", path: "/{b}/big", body: big},
		{name: "delete a non-empty bucket", method: "DELETE", path: "/{b}"},
		{name: "delete a missing key", method: "DELETE", path: "/{b}/a/none.txt"},
		{name: "delete", method: "DELETE", path: "/{b}/a/one.txt"},
		{name: "get partNumber 1 of a plain object", method: "GET", path: "/{b}/a/two.txt?partNumber=1"},
		{name: "get partNumber 2 of a plain object", method: "GET", path: "/{b}/a/two.txt?partNumber=2"},
	}
	// known lists the differences that are on purpose: request name,
	// presign's answer, MinIO's, and why presign answers so.
	const noCORS = "MinIO's community server does not implement the bucket CORS API; presign does, as S3 (PutBucketCors API reference)"
	known := map[string][3]string{
		"abort a missing upload": {"404 NoSuchUpload", "204",
			"S3 answers NoSuchUpload, \"The specified multipart upload does not exist\" (AbortMultipartUpload API reference, Errors)"},
		"put cors":    {"200", "501 NotImplemented", noCORS},
		"get cors":    {"200", "404 NoSuchCORSConfiguration", noCORS + " (MinIO refused the configuration above)"},
		"delete cors": {"204", "501 NotImplemented", noCORS},
	}

	buckets := map[string]string{"presign": "diff-test", "minio": "diff-test"}
	var diffs []string
	for _, r := range reqs {
		got := map[string]answer{}
		for _, p := range peers {
			got[p.name] = p.send(t, buckets[p.name], r)
		}
		a, b := got["presign"], got["minio"]
		if a == b {
			if k, ok := known[r.name]; ok && k[2] != "" {
				t.Errorf("%s: listed as a difference (%s vs %s), but both answer %v now", r.name, k[0], k[1], a)
			}
			continue
		}
		line := fmt.Sprintf("%s: presign %v, MinIO %v", r.name, a, b)
		if k, ok := known[r.name]; ok && k[0] == a.String() && k[1] == b.String() {
			t.Logf("known difference: %s (%s)", line, k[2])
			continue
		}
		diffs = append(diffs, line)
	}
	for _, d := range diffs {
		t.Errorf("a difference not listed: %s", d)
	}
}
