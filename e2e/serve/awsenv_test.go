//go:build unix

package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exportRE is the line "presign serve" prints for the AWS tools.
var exportRE = regexp.MustCompile(`(?m)^\s*export (AWS_ENDPOINT_URL_S3=\S+) (AWS_ACCESS_KEY_ID=\S+) (AWS_SECRET_ACCESS_KEY=\S+) (AWS_REGION=\S+)$`)

// TestAWSToolsWithServeEnv starts presign serve on a fresh data directory
// and, with nothing but the export line it prints in a clean environment
// (no AWS config files), has the AWS CLI, boto3, the AWS SDK for
// JavaScript v3 and "presign url" reach the embedded store: each writes an
// object (presign through a presigned PUT) and reads, lists or downloads
// what the others wrote. "presign serve --print-env" prints the same line
// on a later start, when the secret is no longer printed.
func TestAWSToolsWithServeEnv(t *testing.T) {
	aws := requireTool(t, "aws")
	node := requireTool(t, "node")
	jsDir, err := filepath.Abs("../../s3server/e2e/js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "@aws-sdk", "client-s3")); err != nil {
		requireTool(t, "@aws-sdk/client-s3 in s3server/e2e/js/node_modules (npm ci)")
	}

	data := t.TempDir()
	s := startPresign(t, "", nil, "--data", data, "--s3-addr", "127.0.0.1:0")
	m := exportRE.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("presign serve printed no export line\n%s", s.output())
	}
	env := append(cleanEnv(), m[1:]...)

	run := func(stdin string, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("%s %q: %v\n%s%s", filepath.Base(name), args, err, out, stderr)
		}
		return string(out)
	}

	// The AWS CLI writes and lists.
	run("from the AWS CLI\n", aws, "s3", "cp", "-", "s3://uploads/tools/cli.txt")
	if out := run("", aws, "s3", "ls", "s3://uploads/tools/"); !strings.Contains(out, "cli.txt") {
		t.Errorf("aws s3 ls does not list cli.txt:\n%s", out)
	}
	if out := run("", aws, "s3", "ls"); !strings.Contains(out, "uploads") {
		t.Errorf("aws s3 ls does not list the bucket:\n%s", out)
	}
	// Versioning never enabled, and each object its only version, as
	// cleanup code written for S3 expects.
	if out := run("", aws, "s3api", "get-bucket-versioning", "--bucket", "uploads"); strings.Contains(out, "Enabled") {
		t.Errorf("aws s3api get-bucket-versioning: %s", out)
	}
	if out := run("", aws, "s3api", "list-object-versions", "--bucket", "uploads", "--prefix", "tools/"); !strings.Contains(out, `"VersionId": "null"`) ||
		!strings.Contains(out, "tools/cli.txt") {
		t.Errorf("aws s3api list-object-versions:\n%s", out)
	}

	// Bucket CORS as browser-upload tutorials set it, kept and read back.
	rules := `{"CORSRules":[{"AllowedOrigins":["https://app.example.com"],"AllowedMethods":["PUT","POST"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}`
	run("", aws, "s3api", "put-bucket-cors", "--bucket", "uploads", "--cors-configuration", rules)
	if out := run("", aws, "s3api", "get-bucket-cors", "--bucket", "uploads"); !strings.Contains(out, "https://app.example.com") ||
		!strings.Contains(out, `"MaxAgeSeconds": 3000`) || !strings.Contains(out, `"ETag"`) {
		t.Errorf("aws s3api get-bucket-cors:\n%s", out)
	}
	run("", aws, "s3api", "delete-bucket-cors", "--bucket", "uploads")

	// A canned ACL, as tutorials set one: public-read lets anyone read,
	// with no signature; private takes it back.
	endpoint := strings.SplitN(m[1], "=", 2)[1]
	anonymousGet := func() int {
		resp, err := httpClient.Get(endpoint + "/uploads/tools/cli.txt")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := anonymousGet(); code != http.StatusForbidden {
		t.Errorf("anonymous GET of a private bucket: %d", code)
	}
	run("", aws, "s3api", "put-bucket-acl", "--bucket", "uploads", "--acl", "public-read")
	if out := run("", aws, "s3api", "get-bucket-acl", "--bucket", "uploads"); !strings.Contains(out, "AllUsers") || !strings.Contains(out, `"READ"`) {
		t.Errorf("aws s3api get-bucket-acl after public-read:\n%s", out)
	}
	if code := anonymousGet(); code != http.StatusOK {
		t.Errorf("anonymous GET of a public-read bucket: %d", code)
	}
	run("", aws, "s3api", "put-bucket-acl", "--bucket", "uploads", "--acl", "private")
	if code := anonymousGet(); code != http.StatusForbidden {
		t.Errorf("anonymous GET after private: %d", code)
	}

	// Default bucket encryption is refused, as the store encrypts nothing
	// (README, Encryption), and none is reported.
	enc := exec.Command(aws, "s3api", "put-bucket-encryption", "--bucket", "uploads", "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`)
	enc.Env = env
	if out, err := enc.CombinedOutput(); err == nil || !strings.Contains(string(out), "NotImplemented") {
		t.Errorf("aws s3api put-bucket-encryption: %v\n%s", err, out)
	}
	enc = exec.Command(aws, "s3api", "get-bucket-encryption", "--bucket", "uploads")
	enc.Env = env
	if out, err := enc.CombinedOutput(); err == nil || !strings.Contains(string(out), "ServerSideEncryptionConfigurationNotFoundError") {
		t.Errorf("aws s3api get-bucket-encryption: %v\n%s", err, out)
	}

	// boto3 writes, reads the CLI's object and lists. boto3 reads
	// AWS_ENDPOINT_URL_S3 from 1.28.57 on; Debian 12's (1.26) predates it
	// and is given the same URL as endpoint_url, as the README says.
	const boto = `import json, os, sys, boto3
kw = {} if sys.argv[1] == "env" else {"endpoint_url": os.environ["AWS_ENDPOINT_URL_S3"]}
s3 = boto3.client("s3", **kw)
s3.put_object(Bucket="uploads", Key="tools/boto3.txt", Body=b"from boto3\n")
got = s3.get_object(Bucket="uploads", Key="tools/cli.txt")["Body"].read().decode()
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="uploads", Prefix="tools/")["Contents"]]
print(json.dumps({"got": got, "keys": keys, "version": boto3.__version__}))
`
	for _, py := range pythons(t) {
		var b struct {
			Got     string
			Keys    []string
			Version string
		}
		if err := json.Unmarshal([]byte(run("", py.path, "-c", boto, py.mode)), &b); err != nil {
			t.Fatal(err)
		}
		t.Logf("boto3 %s (%s), endpoint from %s", b.Version, py.path, py.mode)
		if b.Got != "from the AWS CLI\n" || strings.Join(b.Keys, ",") != "tools/boto3.txt,tools/cli.txt" {
			t.Errorf("boto3 %s read %q and listed %q", b.Version, b.Got, b.Keys)
		}
	}

	// The JS SDK writes, reads back and lists.
	var js struct {
		Listed []string
		Body   string
	}
	if err := json.Unmarshal([]byte(run("from the JS SDK\n", node, filepath.Join(jsDir, "awsenv.mjs"), "uploads", "tools/js.txt")), &js); err != nil {
		t.Fatal(err)
	}
	if js.Body != "from the JS SDK\n" || !strings.Contains(strings.Join(js.Listed, ","), "tools/boto3.txt") {
		t.Errorf("the JS SDK read %q and listed %q", js.Body, js.Listed)
	}

	// presign presigns a GET of the JS SDK's object and a PUT of its own,
	// with no flags; the AWS CLI reads presign's object.
	get := strings.TrimSpace(run("", presignBin, "url", "s3://uploads/tools/js.txt"))
	if body := fetch(t, http.MethodGet, get, ""); body != "from the JS SDK\n" {
		t.Errorf("presign url's GET read %q", body)
	}
	put := strings.TrimSpace(run("", presignBin, "url", "PUT", "s3://uploads/tools/presign.txt"))
	fetch(t, http.MethodPut, put, "from presign\n")
	if out := run("", aws, "s3", "cp", "s3://uploads/tools/presign.txt", "-"); out != "from presign\n" {
		t.Errorf("aws s3 cp read %q", out)
	}

	// After a restart the secret is not printed again: --print-env gives
	// the same line.
	if err := s.stop(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	again := run("", presignBin, "serve", "--print-env", "--data", data, "--s3-addr", strings.TrimPrefix(strings.SplitN(m[1], "=", 2)[1], "http://"))
	if got := strings.TrimSpace(again); got != strings.TrimSpace(m[0]) {
		t.Errorf("--print-env printed\n%s\nwant\n%s", got, strings.TrimSpace(m[0]))
	}
}

// fetch sends body to url with method and returns the answer's body,
// failing the test on any status but 200.
func fetch(t *testing.T, method, url, body string) string {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body = nil
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", method, url, resp.Status, b)
	}
	return string(b)
}

// python is a Python with boto3, and how boto3 is told the endpoint: "env"
// when it reads AWS_ENDPOINT_URL_S3 itself, "arg" when it predates that.
type python struct{ path, mode string }

// pythons lists the Pythons with boto3 to run: Debian's (python3-boto3,
// which install-deps.sh installs) and the python3 on PATH when it is
// another. At least one must have boto3.
func pythons(t *testing.T) []python {
	t.Helper()
	var out []python
	seen := map[string]bool{}
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		real, _ := filepath.EvalSymlinks(path)
		v, err := exec.Command(path, "-c", "import boto3; print(boto3.__version__)").Output()
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		mode := "arg"
		if versionAtLeast(strings.TrimSpace(string(v)), 1, 28, 57) {
			mode = "env"
		}
		out = append(out, python{path, mode})
	}
	if len(out) == 0 {
		requireTool(t, "python3-boto3 (/usr/bin/python3)")
	}
	return out
}

// versionAtLeast reports whether the dotted version v is at least
// major.minor.patch.
func versionAtLeast(v string, want ...int) bool {
	parts := strings.Split(v, ".")
	for i, w := range want {
		if i >= len(parts) {
			return false
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil || n != w {
			return err == nil && n > w
		}
	}
	return true
}
