package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI runs Debian's AWS CLI v2 against the server: s3 cp (a small
// file, a 64 MiB file that goes as an 8-part multipart upload, standard
// input of unknown length, and back down with ranged GETs), s3 ls, s3
// presign, s3 rm and rb, and s3api create-bucket, put-object, head-object
// and get-object.
func TestAWSCLI(t *testing.T) {
	aws := needAWSCLI(t)
	t.Parallel()
	ts := startServer(t, false)
	work := t.TempDir()
	cfg := writeFile(t, work, "config", []byte("[default]\ns3 =\n    addressing_style = path\n"))
	env := []string{
		"PATH=/usr/bin:/bin", "HOME=" + work, "LC_ALL=C.UTF-8",
		"AWS_ACCESS_KEY_ID=" + accessKeyID, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_DEFAULT_REGION=" + region,
		"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	cli := func(args ...string) []byte {
		t.Helper()
		return run(t, work, env, aws, append([]string{"--endpoint-url", ts.url}, args...)...)
	}
	jsonOf := func(b []byte) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return m
	}
	md5Tag := func(b []byte) string { s := md5.Sum(b); return `"` + hex.EncodeToString(s[:]) + `"` }

	cli("s3api", "create-bucket", "--bucket", "cli")

	small := []byte("hello from the AWS CLI\n")
	writeFile(t, work, "small.txt", small)
	cli("s3", "cp", "--no-progress", "small.txt", "s3://cli/dir/small.txt")

	put := testData(300_001, 7)
	writeFile(t, work, "put.bin", put)
	res := jsonOf(cli("s3api", "put-object", "--bucket", "cli", "--key", "api/put.bin", "--body", "put.bin",
		"--content-type", "application/x-e2e", "--metadata", "origin=awscli"))
	if res["ETag"] != md5Tag(put) {
		t.Errorf("put-object ETag %v, want %s", res["ETag"], md5Tag(put))
	}

	// 64 MiB: above the CLI's 8 MiB multipart threshold, in 8 MiB parts.
	big := testData(64<<20, 9)
	writeFile(t, work, "big.bin", big)
	start := time.Now()
	cli("s3", "cp", "--no-progress", "big.bin", "s3://cli/big.bin")
	t.Logf("aws s3 cp of 64 MiB up: %v", time.Since(start).Round(time.Millisecond))
	head := jsonOf(cli("s3api", "head-object", "--bucket", "cli", "--key", "big.bin"))
	if head["ContentLength"] != float64(64<<20) || !strings.HasSuffix(head["ETag"].(string), `-8"`) {
		t.Errorf("head-object of the 64 MiB upload: %v", head)
	}
	if n := countParts(ts, "/cli/big.bin"); n != 8 {
		t.Errorf("%d UploadPart requests for big.bin, want 8", n)
	}

	// Standard input, of a length the CLI does not know.
	stdin := bytes.Repeat([]byte("streamed from standard input\n"), 1000)
	runStdin(t, work, env, bytes.NewReader(stdin), aws, "--endpoint-url", ts.url, "s3", "cp", "--no-progress", "-", "s3://cli/dir/stdin.txt")

	// Listings.
	ls := string(cli("s3", "ls", "s3://cli/"))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\s+PRE api/$`), regexp.MustCompile(`(?m)^\s+PRE dir/$`),
		regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+67108864 big\.bin$`),
	} {
		if !want.MatchString(ls) {
			t.Errorf("aws s3 ls: no line matching %s in:\n%s", want, ls)
		}
	}
	rec := string(cli("s3", "ls", "--recursive", "s3://cli/"))
	for _, key := range []string{"api/put.bin", "big.bin", "dir/small.txt", "dir/stdin.txt"} {
		if !strings.Contains(rec, " "+key+"\n") {
			t.Errorf("aws s3 ls --recursive: no %s in:\n%s", key, rec)
		}
	}

	// Downloads: the big one in concurrent ranged GETs, a range with s3api.
	start = time.Now()
	cli("s3", "cp", "--no-progress", "s3://cli/big.bin", "big.down")
	t.Logf("aws s3 cp of 64 MiB down: %v", time.Since(start).Round(time.Millisecond))
	if got, err := os.ReadFile(filepath.Join(work, "big.down")); err != nil || sha256.Sum256(got) != sha256.Sum256(big) {
		t.Errorf("the 64 MiB download differs (%v)", err)
	}
	os.Remove(filepath.Join(work, "big.down"))
	if n := strings.Count(ts.logs.String(), "method=GET path=/cli/big.bin "); n < 2 {
		t.Errorf("%d GETs of big.bin; the CLI downloads it in ranges", n)
	}
	cli("s3", "cp", "--no-progress", "s3://cli/dir/stdin.txt", "stdin.down")
	if got, _ := os.ReadFile(filepath.Join(work, "stdin.down")); !bytes.Equal(got, stdin) {
		t.Errorf("stdin.txt came back as %d bytes, want %d", len(got), len(stdin))
	}
	res = jsonOf(cli("s3api", "get-object", "--bucket", "cli", "--key", "api/put.bin", "--range", "bytes=1000-1999", "part.bin"))
	meta, _ := res["Metadata"].(map[string]any)
	if got, _ := os.ReadFile(filepath.Join(work, "part.bin")); !bytes.Equal(got, put[1000:2000]) || res["ContentRange"] != "bytes 1000-1999/300001" ||
		res["ContentType"] != "application/x-e2e" || meta["origin"] != "awscli" {
		t.Errorf("get-object --range: %v", res)
	}
	_, errOut, err := runErr(work, env, nil, aws, "--endpoint-url", ts.url, "s3api", "get-object", "--bucket", "cli", "--key", "missing", "x")
	if err == nil || !strings.Contains(string(errOut), "(NoSuchKey)") {
		t.Errorf("get-object of a missing key: %v, %s", err, errOut)
	}

	// The CLI's presigner (botocore's, SigV4), used with curl.
	u := strings.TrimSpace(string(cli("s3", "presign", "s3://cli/dir/small.txt", "--expires-in", "300")))
	if !strings.Contains(u, "X-Amz-Algorithm=AWS4-HMAC-SHA256") {
		t.Errorf("aws s3 presign made %s", u)
	}
	if r := curl(t, true, u); !bytes.Equal(r.body, small) {
		t.Errorf("aws s3 presign URL: %d %q", r.status, r.body)
	}
	refused(t, curl(t, false, tamperSignature(t, u)), 403, "SignatureDoesNotMatch", "The request signature we calculated does not match")

	// Deletes.
	cli("s3", "rm", "s3://cli/dir/small.txt")
	cli("s3", "rm", "--recursive", "s3://cli/")
	if out := cli("s3", "ls", "--recursive", "s3://cli/"); len(out) != 0 {
		t.Errorf("after rm --recursive: %s", out)
	}
	cli("s3", "rb", "s3://cli")
	if bs, _ := ts.store.ListBuckets(context.Background()); len(bs) != 0 {
		t.Errorf("buckets left: %v", bs)
	}
}

// countParts counts the UploadPart requests for path in the access log.
func countParts(ts *testServer, path string) int {
	re := regexp.MustCompile(`method=PUT path=` + regexp.QuoteMeta(path) + ` query="[^"]*partNumber=\d+[^"]*" status=200 `)
	return len(re.FindAllString(ts.logs.String(), -1))
}

// TestBoto3 runs testdata/boto3_e2e.py with Debian's boto3: buckets,
// put/get/head/copy, ranges, conditional GET, paged listings (v2 and v1),
// upload_file and download_file through s3transfer's multipart and ranged
// downloads, the multipart calls by hand, aborts and deletes.
func TestBoto3(t *testing.T) {
	py := needBoto3(t)
	t.Parallel()
	ts := startServer(t, false)
	out := run(t, "testdata", nil, py, "boto3_e2e.py", "client", ts.spec("boto3", nil), t.TempDir())
	t.Logf("boto3 passed: %s", bytes.TrimSpace(out))
	if n := countParts(ts, "/boto3/py/big.bin"); n != 3 {
		t.Errorf("%d UploadPart requests for py/big.bin, want 3", n)
	}
}

// TestJSClient runs js/client.mjs: @aws-sdk/client-s3 and lib-storage
// with their default checksum settings. It checks that the defaults did
// what they do against S3: a CRC32 header on a PutObject of a string, an
// aws-chunked body with a trailing CRC32 on a PutObject of a stream,
// CRC32s on the parts, x-amz-checksum-mode on GetObject.
func TestJSClient(t *testing.T) {
	node := needNode(t)
	t.Parallel()
	ts := startServer(t, false)
	out := run(t, "js", nil, node, "client.mjs", ts.spec("jsbucket", nil))
	var res struct {
		Requests []struct {
			Op, ContentSha256, ContentEncoding, Trailer, SDKChecksumAlgorithm, ChecksumHeader, ChecksumMode string
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var putHeader, putChunked, partCRC, getMode bool
	for _, r := range res.Requests {
		switch {
		case r.Op == "PutObjectCommand" && r.ChecksumHeader == "x-amz-checksum-crc32" && r.ContentSha256 == "sha256":
			putHeader = true
		case r.Op == "PutObjectCommand" && r.ContentSha256 == "STREAMING-UNSIGNED-PAYLOAD-TRAILER" &&
			r.ContentEncoding == "aws-chunked" && r.Trailer == "x-amz-checksum-crc32":
			putChunked = true
		case r.Op == "UploadPartCommand" && r.ChecksumHeader == "x-amz-checksum-crc32":
			partCRC = true
		case r.Op == "GetObjectCommand" && r.ChecksumMode == "ENABLED":
			getMode = true
		}
	}
	if !putHeader || !putChunked || !partCRC || !getMode {
		t.Errorf("the SDK's defaults did not show: CRC32 header on PutObject %v, aws-chunked with CRC32 trailer %v, CRC32 on UploadPart %v, checksum mode on GetObject %v\n%s",
			putHeader, putChunked, partCRC, getMode, out)
	}
	if !regexp.MustCompile(`method=PUT path=/jsbucket/js/stream\.bin .*status=200 .*payload=STREAMING-UNSIGNED-PAYLOAD-TRAILER`).MatchString(ts.logs.String()) {
		t.Errorf("the server did not log the streamed PutObject as STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	}
}
