package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/postpolicy"
)

func TestUploadPutHeadersFromFlags(t *testing.T) {
	ts := newTestStore(t)
	data := testData(300<<10, 1)
	file := writeTemp(t, "notes.txt", data)
	res := ts.presign(t, presign.PutObject, presign.Input{Key: "docs/notes.txt", ContentType: "text/markdown",
		Metadata: map[string]string{"owner": "alice"}}, presign.Options{UnhoistableHeaders: []string{"x-amz-meta-owner"}})
	if len(res.Header) != 2 {
		t.Fatalf("the URL should need two headers: %v", res.Header)
	}

	// Without the signed headers, the command says which are missing
	// before sending anything.
	r := runTransfer(t, "upload", file, res.URL)
	if r.code != 2 || !strings.Contains(r.stderr, "the URL signs content-type, x-amz-meta-owner, which are not given") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if n := len(ts.requests()); n != 0 {
		t.Fatalf("%d requests sent for an upload that cannot succeed", n)
	}

	r = runTransfer(t, "upload", "--content-type", "text/markdown", file, res.URL, "--header", "X-Amz-Meta-Owner=alice")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	got, info := ts.get(t, "docs/notes.txt")
	if !bytes.Equal(got, data) || info.ContentType != "text/markdown" || info.User["owner"] != "alice" {
		t.Errorf("stored %d bytes, content type %q, metadata %v", len(got), info.ContentType, info.User)
	}
	want := "uploaded notes.txt (300.0 KiB) to " + ts.url + "/uploads/docs/notes.txt, ETag \"" + info.ETag + "\"\n"
	if r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	if r.stderr != "" {
		t.Errorf("stderr not empty when it is not a terminal:\n%s", r.stderr)
	}
	reqs := ts.requests()
	if len(reqs) != 1 || reqs[0].Method != "PUT" || reqs[0].ContentLength != 300<<10 {
		t.Errorf("requests: %v", reqs)
	}
}

func TestUploadPutFromURLJSON(t *testing.T) {
	testEnv(t)
	ts := newTestStore(t)
	data := testData(70000, 2)
	file := writeTemp(t, "cat.png", data)
	out := runCLI(t, "url", "PUT", "s3://uploads/pets/cat.png", "--endpoint", ts.url, "--path-style",
		"--content-type", "image/png", "--metadata", "owner=bob", "--unhoist", "x-amz-meta-owner", "--header", "cache-control=no-cache",
		"--signable", "cache-control", "--output", "json")
	if out.code != 0 {
		t.Fatalf("presign url: %s", out.stderr)
	}
	var doc urlJSON
	if err := json.Unmarshal([]byte(out.stdout), &doc); err != nil || len(doc.Headers) != 3 {
		t.Fatalf("presign url --output json: %v\n%s", err, out.stdout)
	}

	// From a file, then from standard input.
	jsonFile := writeTemp(t, "put.json", []byte(out.stdout))
	r := runTransfer(t, "upload", file, "--json", jsonFile)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	got, info := ts.get(t, "pets/cat.png")
	if !bytes.Equal(got, data) || info.ContentType != "image/png" || info.User["owner"] != "bob" || info.CacheControl != "no-cache" {
		t.Errorf("stored %d bytes, metadata %+v", len(got), info.Metadata)
	}
	ts.put(t, "pets/cat.png", []byte("replaced"))
	r = runCommand(t, strings.NewReader(out.stdout), "upload", file, "--json", "-")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if got, _ := ts.get(t, "pets/cat.png"); !bytes.Equal(got, data) {
		t.Error("the upload from standard input's JSON did not store the file")
	}

	// A flag that contradicts the JSON is a usage error.
	r = runTransfer(t, "upload", file, "--json", jsonFile, "--content-type", "image/jpeg")
	if r.code != 2 || !strings.Contains(r.stderr, "content-type") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestUploadIssuerAnswer takes the issuer API's answer shape: key,
// expiresIn and an RFC 3339 time with fractions.
func TestUploadIssuerAnswer(t *testing.T) {
	ts := newTestStore(t)
	data := []byte("hello from the API")
	file := writeTemp(t, "hello.txt", data)
	res := ts.presign(t, presign.PutObject, presign.Input{Key: "api/hello.txt", ContentType: "text/plain"}, presign.Options{})
	doc, _ := json.Marshal(map[string]any{"key": "api/hello.txt", "method": "PUT", "url": res.URL,
		"headers": map[string]string{"Content-Type": "text/plain"}, "expiresAt": res.Expires.Add(123 * time.Millisecond), "expiresIn": 900})
	r := runCommand(t, bytes.NewReader(doc), "upload", file, "--json", "-")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if got, info := ts.get(t, "api/hello.txt"); !bytes.Equal(got, data) || info.ContentType != "text/plain" {
		t.Errorf("stored %q as %q", got, info.ContentType)
	}
}

func TestUploadForm(t *testing.T) {
	testEnv(t)
	ts := newTestStore(t)
	data := testData(1<<20+17, 3)
	dir := t.TempDir()
	file := filepath.Join(dir, "report 2026.pdf")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		args    []string
		key     string
		typ     string
		extra   []string // upload flags
		success string   // stdout substring
	}{
		{name: "204", args: []string{"s3://uploads/in/${filename}", "--content-type", "application/pdf", "--max-size", "2MiB",
			"--field", "x-amz-meta-dept=finance"}, key: "in/report 2026.pdf", typ: "application/pdf", success: "/uploads/in/report%202026.pdf, ETag"},
		{name: "201", args: []string{"s3://uploads/created.pdf", "--success-status", "201", "--content-type-prefix", "application/"},
			key: "created.pdf", typ: "application/x-pdf", extra: []string{"--content-type", "application/x-pdf"}, success: "/uploads/created.pdf, ETag"},
		{name: "redirect", args: []string{"s3://uploads/redirected.pdf", "--redirect", "https://example.com/done"},
			key: "redirected.pdf", typ: "binary/octet-stream", success: "storage, which redirects to https://example.com/done, ETag"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			post := runCLI(t, append(append([]string{"post"}, tt.args...), "--endpoint", ts.url, "--path-style")...)
			if post.code != 0 {
				t.Fatalf("presign post: %s", post.stderr)
			}
			r := runCommand(t, strings.NewReader(post.stdout), append([]string{"upload", "--form", "-", file}, tt.extra...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			got, info := ts.get(t, tt.key)
			if !bytes.Equal(got, data) || info.ContentType != tt.typ {
				t.Errorf("stored %d bytes as %q", len(got), info.ContentType)
			}
			if !strings.Contains(r.stdout, tt.success) || !strings.Contains(r.stdout, info.ETag) {
				t.Errorf("stdout %q lacks %q and the ETag %s", r.stdout, tt.success, info.ETag)
			}
			reqs := ts.requests()
			if len(reqs) != 1 || reqs[0].Method != "POST" {
				t.Fatalf("requests %v", reqs)
			}
		})
	}

	// The form's fields go in the form's order, the file last; a
	// Content-Length mismatch would have failed the uploads above.
	p := &uploadPlan{name: "a.txt", fields: orderedFieldsOf(t, `{"key":"k","b":"2","a":"1"}`)}
	prefix, suffix, ct, err := p.formBody()
	if err != nil {
		t.Fatal(err)
	}
	body := string(prefix) + "DATA" + string(suffix)
	if ik, ib, ia, ifile := strings.Index(body, `name="key"`), strings.Index(body, `name="b"`), strings.Index(body, `name="a"`), strings.Index(body, `name="file"`); !(ik < ib && ib < ia && ia < ifile) {
		t.Errorf("fields out of order:\n%s", body)
	}
	if !strings.HasPrefix(ct, "multipart/form-data; boundary=") || !strings.HasSuffix(body, "DATA\r\n--"+strings.TrimPrefix(ct, "multipart/form-data; boundary=")+"--\r\n") {
		t.Errorf("body does not end with the file then the closing boundary:\n%q", body)
	}
}

func orderedFieldsOf(t *testing.T, s string) postpolicy.Fields {
	t.Helper()
	var f orderedFields
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		t.Fatal(err)
	}
	return postpolicy.Fields(f)
}

func TestUploadChecksum(t *testing.T) {
	testEnv(t)
	ts := newTestStore(t)
	data := testData(5000, 4)
	file := writeTemp(t, "a.bin", data)
	other := writeTemp(t, "b.bin", testData(5000, 5))
	sum := sha256.Sum256(data)
	b64 := base64.StdEncoding.EncodeToString(sum[:])

	// A URL signed with the file's checksum (in its query): checked
	// before the upload.
	out := runCLI(t, "url", "PUT", "s3://uploads/sum.bin", "--endpoint", ts.url, "--path-style", "--checksum-sha256", file, "--output", "json")
	if out.code != 0 {
		t.Fatal(out.stderr)
	}
	jsonFile := writeTemp(t, "sum.json", []byte(out.stdout))
	if r := runTransfer(t, "upload", file, "--json", jsonFile, "--checksum-sha256"); r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r := runTransfer(t, "upload", other, "--json", jsonFile, "--checksum-sha256")
	if r.code != 1 || !strings.Contains(r.stderr, "b.bin's SHA-256 is") || !strings.Contains(r.stderr, b64) {
		t.Errorf("other file: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	ts.requests()
	// Without the flag, storage checks it: the refusal is explained.
	r = runTransfer(t, "upload", other, "--json", jsonFile)
	if r.code != 1 || !strings.Contains(r.stderr, "BadDigest") {
		t.Errorf("other file without the check: exit %d, stderr:\n%s", r.code, r.stderr)
	}

	// A URL that signs the header without a value gets the file's.
	res := ts.presign(t, presign.PutObject, presign.Input{Key: "signed-sum.bin", ChecksumSHA256: b64},
		presign.Options{UnhoistableHeaders: []string{"x-amz-checksum-sha256"}})
	if r := runTransfer(t, "upload", file, res.URL, "--checksum-sha256"); r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if reqs := ts.requests(); reqs[len(reqs)-1].Header.Get("X-Amz-Checksum-Sha256") != b64 {
		t.Errorf("x-amz-checksum-sha256 sent: %q", reqs[len(reqs)-1].Header.Get("X-Amz-Checksum-Sha256"))
	}
	// A URL without a checksum cannot take one.
	plain := ts.presign(t, presign.PutObject, presign.Input{Key: "plain.bin"}, presign.Options{})
	if r := runTransfer(t, "upload", file, plain.URL, "--checksum-sha256"); r.code != 2 || !strings.Contains(r.stderr, "not signed with a checksum") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestUploadRefused checks that storage's refusals exit 1 with S3's code
// and the diagnosis on stderr: an expired URL, a tampered one, and a form
// whose policy the file breaks.
func TestUploadRefused(t *testing.T) {
	testEnv(t)
	ts := newTestStore(t)
	file := writeTemp(t, "x.bin", testData(4096, 6))
	expired := ts.presign(t, presign.PutObject, presign.Input{Key: "x.bin"},
		presign.Options{SigningTime: time.Now().Add(-2 * time.Hour), Expires: time.Hour})
	fresh := ts.presign(t, presign.PutObject, presign.Input{Key: "x.bin"}, presign.Options{})
	tampered := strings.Replace(fresh.URL, "/uploads/x.bin", "/uploads/y.bin", 1)

	for _, tt := range []struct {
		name, url string
		want      []string
	}{
		{"expired", expired.URL, []string{"S3 said: AccessDenied: Request has expired", "Likely cause:", "[expired]", "presign: storage refused the upload: 403 Forbidden AccessDenied"}},
		{"tampered", tampered, []string{"S3 said: SignatureDoesNotMatch", "Likely cause:", "presign: storage refused the upload: 403 Forbidden SignatureDoesNotMatch"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runTransfer(t, "upload", file, tt.url)
			t.Logf("stderr:\n%s", r.stderr)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}

	// A file over the form's size is refused before it is sent, naming
	// the policy's condition.
	post := runCLI(t, "post", "s3://uploads/small", "--max-size", "1KiB", "--endpoint", ts.url, "--path-style")
	r := runCommand(t, strings.NewReader(post.stdout), "upload", file, "--form", "-")
	if want := `presign: x.bin is 4.0 KiB (4096 bytes); the form's policy allows 0 to 1024 bytes (["content-length-range", 0, 1024]) (storage would refuse it: upload a file within the range, or ask for a form that allows this size)` + "\n"; r.code != 1 || r.stderr != want {
		t.Errorf("form over its size: exit %d, stderr:\n%s\nwant\n%s", r.code, r.stderr, want)
	}
}

// TestUploadFormContentType: a form whose policy conditions Content-Type
// and has no Content-Type field gets the file's type (by extension); a
// file of a type the policy refuses is refused before it is sent, naming
// the condition and the value.
func TestUploadFormContentType(t *testing.T) {
	testEnv(t)
	ts := newTestStore(t)
	post := runCLI(t, "post", "s3://uploads/'${filename}'", "--content-type-prefix", "text/", "--endpoint", ts.url, "--path-style")
	if post.code != 0 {
		t.Fatalf("post: %s", post.stderr)
	}
	text := writeTemp(t, "notes.txt", []byte("hello"))
	if r := runCommand(t, strings.NewReader(post.stdout), "upload", text, "--form", "-"); r.code != 0 {
		t.Errorf("a text file to a text/ form: exit %d\n%s", r.code, r.stderr)
	}
	bin := writeTemp(t, "blob.bin", testData(64, 3))
	r := runCommand(t, strings.NewReader(post.stdout), "upload", bin, "--form", "-")
	want := `presign: the form's policy condition ["starts-with", "$Content-Type", "text/"] fails: the Content-Type field is "application/octet-stream" (give --content-type with a type the policy allows)` + "\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("a binary file to a text/ form: exit %d, stderr:\n%s\nwant\n%s", r.code, r.stderr, want)
	}
}

func TestUploadBadArguments(t *testing.T) {
	ts := newTestStore(t)
	file := writeTemp(t, "f.txt", []byte("x"))
	put := ts.presign(t, presign.PutObject, presign.Input{Key: "f.txt"}, presign.Options{})
	get := ts.presign(t, presign.GetObject, presign.Input{Key: "f.txt"}, presign.Options{})
	getJSON := writeTemp(t, "get.json", []byte(`{"method":"GET","url":"`+get.URL+`","headers":{},"expiresAt":"2030-01-01T00:00:00Z"}`))
	unknown := writeTemp(t, "parts.json", []byte(`{"id":"x","parts":[]}`))
	form := writeTemp(t, "form.json", []byte(`{"url":"`+ts.url+`/uploads","fields":{"key":"k"}}`))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"upload"}, "missing the FILE argument"},
		{[]string{"upload", file}, "missing the URL argument"},
		{[]string{"upload", file, put.URL, "extra"}, "too many arguments"},
		{[]string{"upload", "-", put.URL}, "cannot upload standard input"},
		{[]string{"upload", file, "ftp://x/y"}, "is not an http(s) URL"},
		{[]string{"upload", file, "--json", getJSON}, "the URL is for a GET, not an upload (download with it: presign download URL)"},
		{[]string{"upload", file, "--json", unknown}, `unknown field "id"`},
		{[]string{"upload", file, "--json", getJSON, "--form", getJSON}, "--json and --form both give the request"},
		{[]string{"upload", file, "--form", getJSON}, `the --form JSON has no "fields"`},
		{[]string{"upload", file, "--form", form, "--header", "a=b"}, "--header does not apply to a form"},
		{[]string{"upload", file, put.URL, "--header", "bad"}, "is not name=value"},
		{[]string{"upload", file, put.URL, "--retries", "x"}, "--retries"},
		{[]string{"upload", t.TempDir(), put.URL}, "is not a regular file"},
		{[]string{"upload", file, put.URL, "--bogus"}, "flag provided but not defined: --bogus"},
	} {
		r := runTransfer(t, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args[1:], r.code, r.stderr, tt.want)
		}
	}
	if r := runTransfer(t, "upload", filepath.Join(t.TempDir(), "missing"), put.URL); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := len(ts.requests()); n != 0 {
		t.Errorf("%d requests sent for wrong command lines", n)
	}
	if r := runTransfer(t, "upload", "-h"); r.code != 0 || !strings.Contains(r.stdout, "Usage: presign upload") {
		t.Errorf("upload -h: exit %d\n%s", r.code, r.stdout)
	}
}

// TestUploadJSONIsAnAPIError: given an error answer of presign serve's API
// (or Companion's {"error": "..."}) in place of a presigned request, upload
// says so with the API's own words, not as a malformed document.
func TestUploadJSONIsAnAPIError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ doc, want string }{
		{`{"error":{"code":"too_large","message":"the file is 5 bytes; this API key may upload at most 1"}}`,
			"presign: the --json JSON is an error of the API, not a URL: the file is 5 bytes; this API key may upload at most 1 (the API's code: too_large;"},
		{`{"error":"s3: the \"filename\" query parameter is required"}`,
			`presign: the --json JSON is an error of the API, not a URL: s3: the "filename" query parameter is required (the API's code: none;`},
	} {
		r := runCommand(t, strings.NewReader(tt.doc), "upload", file, "--json", "-")
		if r.code != 1 || !strings.HasPrefix(r.stderr, tt.want) {
			t.Errorf("%s: exit %d\n%s\nwant it to start\n%s", tt.doc, r.code, r.stderr, tt.want)
		}
	}
}

// TestAPIFlagsRefused: the command lines of upload and download --api
// that cannot work are refused before anything is sent, naming the flag.
func TestAPIFlagsRefused(t *testing.T) {
	t.Setenv(apiKeyEnv, "")
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("psk_x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"upload", file, "--api", "http://127.0.0.1:1"}, "--api needs the API key"},
		{[]string{"upload", file, "--api", "ftp://x", "--api-key-file", keyFile}, `--api "ftp://x" is not an http(s) address`},
		{[]string{"upload", file, "--parallel", "2", "http://127.0.0.1:1/b/k"}, "--api-key-file and --parallel go with --api"},
		{[]string{"upload", file, "--api", "http://127.0.0.1:1", "--json", "-"}, "--json does not go with --api"},
		{[]string{"upload", file, "--api", "http://127.0.0.1:1", "--parallel", "0"}, "--parallel 0 is not a number of parts at once"},
		{[]string{"upload", file, "other", "--api", "http://127.0.0.1:1"}, "too many arguments (2)"},
		{[]string{"upload", file, "--api", "http://127.0.0.1:1", "--api-key-file", keyFile, "--limit-rate", "1"}, `--limit-rate "1" is not a rate`},
		{[]string{"download", "k", "--api-key-file", keyFile}, "--api-key-file goes with --api"},
		{[]string{"download", "--api", "http://127.0.0.1:1", "--api-key-file", keyFile}, "give one KEY argument with --api"},
	} {
		r := runCommand(t, strings.NewReader(""), tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%q: exit %d, %s; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}
