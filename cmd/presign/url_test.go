package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/sigv4"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// signedAt is the --signing-time of the tests.
var signedAt = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// verify checks with sigv4.Verifier, at the signing time, that the
// presigned request is accepted when sent with headers.
func verify(t *testing.T, creds sigv4.Credentials, method, rawURL string, headers map[string]string) *sigv4.Auth {
	t.Helper()
	req := httptest.NewRequest(method, rawURL, nil)
	for k, v := range headers {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	v := sigv4.Verifier{
		Lookup: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		Now:    func() time.Time { return signedAt },
	}
	auth, err := v.Verify(req)
	if err != nil {
		t.Fatalf("%s %s with %v does not verify: %v", method, rawURL, headers, err)
	}
	return auth
}

var testCreds = sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}

// jsonOutput runs the command line with --output json and parses it.
func jsonOutput(t *testing.T, args ...string) urlJSON {
	t.Helper()
	r := runCLI(t, append(args, "--output", "json", "--signing-time", testTime)...)
	if r.code != 0 {
		t.Fatalf("presign %q: exit %d: %s", args, r.code, r.stderr)
	}
	var doc urlJSON
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not the JSON document: %v\n%s", err, r.stdout)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil || len(raw) != 4 || raw["headers"] == nil {
		t.Errorf("JSON has not exactly method, url, headers (an object) and expiresAt: %s", r.stdout)
	}
	return doc
}

func TestURLJSON(t *testing.T) {
	dir := testEnv(t)
	body := filepath.Join(dir, "cat.jpg")
	if err := os.WriteFile(body, []byte("meow"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("meow"))
	sumB64 := base64.StdEncoding.EncodeToString(sum[:])

	tests := []struct {
		name    string
		args    []string
		method  string
		host    string
		query   map[string]string // parameters the URL must have
		headers map[string]string // exactly
		expires time.Duration
	}{
		{
			name: "GET by default", args: []string{"s3://photos/cat.jpg"},
			method: "GET", host: "photos.s3.us-east-1.amazonaws.com",
			query:   map[string]string{"x-id": "GetObject", "X-Amz-Expires": "900", "X-Amz-SignedHeaders": "host"},
			headers: map[string]string{}, expires: 15 * time.Minute,
		},
		{
			name: "GET with response overrides",
			args: []string{"GET", "s3://photos/albums/cat 1.jpg", "--response-content-disposition", `attachment; filename="cat.jpg"`,
				"--response-content-type", "image/jpeg", "--version-id", "v1", "--expires", "3600"},
			method: "GET", host: "photos.s3.us-east-1.amazonaws.com",
			query: map[string]string{"response-content-disposition": `attachment; filename="cat.jpg"`,
				"response-content-type": "image/jpeg", "versionId": "v1", "X-Amz-Expires": "3600"},
			headers: map[string]string{}, expires: time.Hour,
		},
		{
			name: "PUT with type, length, metadata and checksum",
			args: []string{"put", "s3://uploads/cat.jpg", "--content-type", "image/jpeg", "--content-length", "4",
				"--metadata", "owner=alice", "--metadata", "Album=Cats", "--checksum-sha256", body, "--expires", "1h30m"},
			method: "PUT", host: "uploads.s3.us-east-1.amazonaws.com",
			// The default profile keeps the checksum a signed header, which
			// storage checks; metadata travels in the query.
			query: map[string]string{"x-amz-meta-owner": "alice", "x-amz-meta-album": "Cats",
				"X-Amz-SignedHeaders": "content-length;content-type;host;x-amz-checksum-sha256", "x-id": "PutObject"},
			headers: map[string]string{"content-type": "image/jpeg", "content-length": "4", "x-amz-checksum-sha256": sumB64}, expires: 90 * time.Minute,
		},
		{
			name:   "PUT botocore keeps metadata a header",
			args:   []string{"PUT", "s3://uploads/cat.jpg", "--compat", "botocore", "--metadata", "owner=alice", "--region", "eu-west-1"},
			method: "PUT", host: "uploads.s3.amazonaws.com",
			query:   map[string]string{"X-Amz-SignedHeaders": "host;x-amz-meta-owner"},
			headers: map[string]string{"x-amz-meta-owner": "alice"}, expires: 15 * time.Minute,
		},
		{
			name:   "HEAD, path-style, custom endpoint, 7d",
			args:   []string{"HEAD", "s3://my.bucket/k", "--endpoint", "http://127.0.0.1:9000", "--path-style", "--expires", "7d"},
			method: "HEAD", host: "127.0.0.1:9000",
			query: map[string]string{"X-Amz-Expires": "604800"}, headers: map[string]string{}, expires: 7 * 24 * time.Hour,
		},
		{
			name:   "DELETE with a version",
			args:   []string{"--version-id", "v2", "DELETE", "s3://bkt/k"},
			method: "DELETE", host: "bkt.s3.us-east-1.amazonaws.com",
			query: map[string]string{"versionId": "v2", "x-id": "DeleteObject"}, headers: map[string]string{}, expires: 15 * time.Minute,
		},
		{
			name:   "UploadPart",
			args:   []string{"UploadPart", "s3://bkt/big.iso", "--upload-id", "UP/1", "--part-number", "3", "--content-length", "5242880"},
			method: "PUT", host: "bkt.s3.us-east-1.amazonaws.com",
			query:   map[string]string{"uploadId": "UP/1", "partNumber": "3", "x-id": "UploadPart"},
			headers: map[string]string{"content-length": "5242880"}, expires: 15 * time.Minute,
		},
		{
			name:   "CreateMultipartUpload",
			args:   []string{"createmultipartupload", "s3://bkt/big.iso", "--content-type", "application/x-iso9660-image"},
			method: "POST", host: "bkt.s3.us-east-1.amazonaws.com",
			query:   map[string]string{"uploads": ""},
			headers: map[string]string{"content-type": "application/x-iso9660-image"}, expires: 15 * time.Minute,
		},
		{
			name:   "header, signable and unhoist",
			args:   []string{"PUT", "s3://bkt/k", "--header", "Cache-Control=no-cache", "--header", "x-amz-acl=private", "--signable", "cache-control", "--unhoist", "x-amz-acl", "--dualstack"},
			method: "PUT", host: "bkt.s3.dualstack.us-east-1.amazonaws.com",
			query:   map[string]string{"X-Amz-SignedHeaders": "cache-control;host;x-amz-acl"},
			headers: map[string]string{"cache-control": "no-cache", "x-amz-acl": "private"}, expires: 15 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := jsonOutput(t, append([]string{"url"}, tt.args...)...)
			if doc.Method != tt.method {
				t.Errorf("method %q, want %q", doc.Method, tt.method)
			}
			u, err := url.Parse(doc.URL)
			if err != nil {
				t.Fatal(err)
			}
			if u.Host != tt.host {
				t.Errorf("host %q, want %q", u.Host, tt.host)
			}
			q := u.Query()
			for k, v := range tt.query {
				if !q.Has(k) || q.Get(k) != v {
					t.Errorf("query %s = %q, want %q; URL %s", k, q.Get(k), v, doc.URL)
				}
			}
			if !mapsEqual(doc.Headers, tt.headers) {
				t.Errorf("headers %v, want %v", doc.Headers, tt.headers)
			}
			if want := signedAt.Add(tt.expires).Format(time.RFC3339); doc.ExpiresAt != want {
				t.Errorf("expiresAt %q, want %q", doc.ExpiresAt, want)
			}
			if strings.Contains(doc.URL, testSecret) {
				t.Error("URL holds the secret")
			}
			verify(t, testCreds, doc.Method, doc.URL, doc.Headers)
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestURLJSONGolden pins one json output byte for byte.
func TestURLJSONGolden(t *testing.T) {
	testEnv(t)
	r := runCLI(t, "url", "PUT", "s3://uploads/photos/cat.jpg", "--content-type", "image/jpeg", "--metadata", "owner=alice",
		"--expires", "1h", "--region", "eu-west-1", "--signing-time", testTime, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden := filepath.Join("testdata", "url-put.json")
	if *update {
		if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, r.stdout)
	}
}

func TestURLOutputURL(t *testing.T) {
	testEnv(t)
	r := runCLI(t, "url", "s3://photos/cat.jpg", "--signing-time", testTime)
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want the URL alone", r.code, r.stdout, r.stderr)
	}
	verify(t, testCreds, "GET", strings.TrimSuffix(r.stdout, "\n"), nil)

	// Headers the holder must send are noted on stderr, not stdout.
	r = runCLI(t, "url", "PUT", "s3://photos/cat.jpg", "--content-type", "image/jpeg", "--signing-time", testTime)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stderr, "content-type: image/jpeg") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want the URL, and the header on stderr", r.code, r.stdout, r.stderr)
	}
	verify(t, testCreds, "PUT", strings.TrimSuffix(r.stdout, "\n"), map[string]string{"Content-Type": "image/jpeg"})
}

func TestURLOutputCurl(t *testing.T) {
	dir := testEnv(t)
	body := filepath.Join(dir, "my cat.jpg")
	if err := os.WriteFile(body, []byte("meow"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // substrings, in order
		not  []string
	}{
		{name: "GET saves the object", args: []string{"s3://bkt/photos/cat.jpg"},
			want: []string{"curl -o cat.jpg 'https://bkt.s3.us-east-1.amazonaws.com/photos/cat.jpg?"}, not: []string{"-X"}},
		{name: "GET of a key ending in /", args: []string{"s3://b/dir/"}, want: []string{"curl -o download '"}},
		{name: "GET of a key starting with -", args: []string{"s3://b/-rf"}, want: []string{"curl -o ./-rf '"}},
		{name: "PUT", args: []string{"PUT", "s3://b/k", "--content-type", "image/jpeg", "--content-length", "4"},
			want: []string{"curl -X PUT -H 'content-length: 4' -H 'content-type: image/jpeg' --upload-file FILE 'https://"}},
		{name: "PUT with the checksum file", args: []string{"PUT", "s3://b/k", "--checksum-sha256", body},
			want: []string{"curl -X PUT -H 'x-amz-checksum-sha256: ", "' --upload-file '" + body + "' 'https://", "X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256"}},
		{name: "PUT botocore, metadata header", args: []string{"PUT", "s3://b/k", "--compat", "botocore", "--metadata", "note=it's", "--metadata", "empty="},
			want: []string{"-H 'x-amz-meta-empty;' -H 'x-amz-meta-note: it'\\''s' --upload-file FILE"}},
		{name: "HEAD", args: []string{"HEAD", "s3://b/k"}, want: []string{"curl --head 'https://"}},
		{name: "DELETE", args: []string{"DELETE", "s3://b/k"}, want: []string{"curl -X DELETE 'https://"}},
		{name: "CompleteMultipartUpload", args: []string{"CompleteMultipartUpload", "s3://b/k", "--upload-id", "u"},
			want: []string{"curl -X POST --data-binary @FILE 'https://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"url", "--output", "curl", "--signing-time", testTime}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			out := r.stdout
			if strings.Count(out, "\n") != 1 {
				t.Errorf("curl command is not one line: %q", out)
			}
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("curl command lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("curl command has %q:\n%s", n, out)
				}
			}
		})
	}
}

// TestURLCompatJS checks that --compat js prints what the library's
// ProfileJS, proven identical to the JS SDK, makes of the same inputs.
func TestURLCompatJS(t *testing.T) {
	testEnv(t)
	n := int64(11)
	tests := []struct {
		name string
		args []string
		cfg  presign.Config
		op   presign.Operation
		in   presign.Input
		opts presign.Options
	}{
		{name: "GET", args: []string{"s3://photos/cat.jpg"}, op: presign.GetObject,
			in: presign.Input{Bucket: "photos", Key: "cat.jpg"}},
		{name: "GET overrides", args: []string{"GET", "s3://Photos/a b+c.jpg", "--response-content-type", "image/png", "--expires", "2h"},
			op: presign.GetObject, in: presign.Input{Bucket: "Photos", Key: "a b+c.jpg", ResponseContentType: "image/png"},
			opts: presign.Options{Expires: 2 * time.Hour}},
		{name: "PUT", args: []string{"PUT", "s3://up/k.txt", "--content-type", "text/plain", "--content-length", "11", "--metadata", "a=b", "--region", "ap-south-1"},
			cfg: presign.Config{Region: "ap-south-1"}, op: presign.PutObject,
			in: presign.Input{Bucket: "up", Key: "k.txt", ContentType: "text/plain", ContentLength: &n, Metadata: map[string]string{"a": "b"}}},
		{name: "PUT no type", args: []string{"PUT", "s3://up/k"}, op: presign.PutObject, in: presign.Input{Bucket: "up", Key: "k"}},
		{name: "endpoint", args: []string{"PUT", "s3://up/k", "--endpoint", "https://minio.example.com", "--signable", "content-type"},
			cfg: presign.Config{Endpoint: "https://minio.example.com"}, op: presign.PutObject, in: presign.Input{Bucket: "up", Key: "k"},
			opts: presign.Options{SignableHeaders: []string{"content-type"}}},
		{name: "accelerate", args: []string{"HEAD", "s3://uploads/k", "--accelerate"},
			cfg: presign.Config{UseAccelerate: true}, op: presign.HeadObject, in: presign.Input{Bucket: "uploads", Key: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"url", "--compat", "js", "--signing-time", testTime}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			cfg := tt.cfg
			cfg.Credentials = credentials.Static(testCreds)
			cfg.Profile = presign.ProfileJS
			if cfg.Region == "" {
				cfg.Region = "us-east-1"
			}
			c, err := presign.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tt.opts.SigningTime = signedAt
			want, err := c.Presign(context.Background(), tt.op, &tt.in, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(r.stdout, "\n"); got != want.URL {
				t.Errorf("--compat js:\n got %s\nwant %s", got, want.URL)
			}
		})
	}
}

// TestURLBadArguments checks that each mistake exits 2 with one line that
// says what is wrong and how to fix it.
func TestURLBadArguments(t *testing.T) {
	testEnv(t)
	tests := []struct {
		name string
		args []string
		want []string // substrings of the message
	}{
		{"unknown method", []string{"FETCH", "s3://b/k"}, []string{`unknown method "FETCH"`, "(use GET, PUT, HEAD, DELETE"}},
		{"misspelt method alone", []string{"GETT"}, []string{`unknown method "GETT"`}},
		{"POST", []string{"POST", "s3://b/k"}, []string{"POST is not one operation", "presign post s3://BUCKET/KEY", "CreateMultipartUpload"}},
		{"https URL", []string{"https://b.s3.amazonaws.com/k"}, []string{"is not an s3:// URL", "(write it as s3://BUCKET/KEY"}},
		{"https URL after method", []string{"GET", "https://b/k"}, []string{"is not an s3:// URL"}},
		{"bare path", []string{"PUT", "b/k"}, []string{`"b/k" is not an s3:// URL`, "s3://BUCKET/KEY"}},
		{"URL in method place", []string{"s3://b/k", "s3://b/j"}, []string{"is not an s3:// URL"}},
		{"empty key", []string{"s3://b/"}, []string{"has an empty key", "(name the object after the bucket: s3://b/KEY)"}},
		{"no key", []string{"s3://b"}, []string{"has an empty key"}},
		{"no bucket", []string{"s3:///k"}, []string{"has no bucket name"}},
		{"missing URL", nil, []string{"missing the s3://BUCKET/KEY argument"}},
		{"method only", []string{"PUT"}, []string{"missing the s3://BUCKET/KEY argument"}},
		{"too many", []string{"PUT", "s3://b/k", "extra"}, []string{"too many arguments", "quote a key"}},
		{"bad duration", []string{"s3://b/k", "--expires", "soon"}, []string{`--expires "soon" is not a duration`, "15m"}},
		{"zero expires", []string{"s3://b/k", "--expires", "0"}, []string{"--expires 0 is out of range", "1s to 7d"}},
		{"negative expires", []string{"s3://b/k", "--expires", "-5m"}, []string{"out of range"}},
		{"expires over a week", []string{"s3://b/k", "--expires", "604801"}, []string{"out of range", "604800"}},
		{"expires 8d", []string{"s3://b/k", "--expires", "8d"}, []string{"out of range"}},
		{"expires 169h", []string{"s3://b/k", "--expires", "169h"}, []string{"out of range"}},
		{"expires huge", []string{"s3://b/k", "--expires", "99999999999999999999"}, []string{"out of range"}},
		{"expires fraction", []string{"s3://b/k", "--expires", "1.5s"}, []string{"not a whole number of seconds"}},
		{"metadata without =", []string{"PUT", "s3://b/k", "--metadata", "owner"}, []string{`--metadata "owner" is not name=value`, "--metadata owner=alice"}},
		{"metadata without name", []string{"PUT", "s3://b/k", "--metadata", "=x"}, []string{"is not name=value"}},
		{"metadata twice", []string{"PUT", "s3://b/k", "--metadata", "a=1", "--metadata", "A=2"}, []string{"given twice"}},
		{"header without =", []string{"PUT", "s3://b/k", "--header", "x-amz-acl: private"}, []string{"is not name=value", "--header x-amz-acl=private"}},
		{"bad header name", []string{"PUT", "s3://b/k", "--header", "bad name=x"}, []string{`--header "bad name" is not a valid header name`}},
		{"host header", []string{"PUT", "s3://b/k", "--header", "Host=x"}, []string{"--header Host cannot be set"}},
		{"header set by a flag", []string{"PUT", "s3://b/k", "--content-type", "a/b", "--header", "Content-Type=x"}, []string{"--header Content-Type has its own flag, --content-type", "(use --content-type instead)"}},
		{"unknown compat", []string{"s3://b/k", "--compat", "go"}, []string{`unknown --compat "go"`, "(use default, js or botocore)"}},
		{"unknown output", []string{"s3://b/k", "--output", "xml"}, []string{`unknown --output "xml"`, "(use url, json or curl)"}},
		{"unknown flag", []string{"s3://b/k", "--bogus"}, []string{"flag provided but not defined: --bogus", "presign url -h"}},
		{"flag without value", []string{"s3://b/k", "--expires"}, []string{"flag needs an argument", "presign url -h"}},
		{"bad signing time", []string{"s3://b/k", "--signing-time", "yesterday"}, []string{"not an RFC 3339 time", "2026-01-15T12:00:00Z"}},
		{"bad content length", []string{"PUT", "s3://b/k", "--content-length", "-1"}, []string{"not a number of bytes"}},
		{"bad part number", []string{"UploadPart", "s3://b/k", "--upload-id", "u", "--part-number", "0"}, []string{"not a part number", "1 to 10000"}},
		{"UploadPart without upload id", []string{"UploadPart", "s3://b/k", "--part-number", "1"}, []string{"UploadPart needs --upload-id", "(add --upload-id)"}},
		{"UploadPart without part", []string{"UploadPart", "s3://b/k", "--upload-id", "u"}, []string{"needs --part-number"}},
		{"content type on GET", []string{"GET", "s3://b/k", "--content-type", "text/plain"}, []string{"--content-type does not apply to GetObject", "use it with PutObject or CreateMultipartUpload"}},
		{"response override on PUT", []string{"PUT", "s3://b/k", "--response-content-type", "text/plain"}, []string{"--response-content-type does not apply to PutObject"}},
		{"metadata on GET", []string{"s3://b/k", "--metadata", "a=b"}, []string{"--metadata does not apply"}},
		{"upload id on PUT", []string{"PUT", "s3://b/k", "--upload-id", "u"}, []string{"--upload-id does not apply to PutObject", "UploadPart"}},
		{"checksum on DELETE", []string{"DELETE", "s3://b/k", "--checksum-sha256", "f"}, []string{"--checksum-sha256 does not apply to DeleteObject"}},
		{"bad endpoint", []string{"s3://b/k", "--endpoint", "ftp://host"}, []string{"is not an http(s) URL", "(give one such as http://127.0.0.1:9000"}},
		{"bad region", []string{"s3://b/k", "--region", "US_EAST"}, []string{"not a valid region name"}},
		{"accelerate and path-style", []string{"s3://b/k", "--accelerate", "--path-style"}, []string{"path-style addressing cannot be used with S3 Transfer Acceleration", "(drop one of the two options)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"url"}, tt.args...)...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("message lacks %q:\n%s", w, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, " (") || !strings.HasSuffix(r.stderr, ")\n") {
				t.Errorf("message has no (fix): %s", r.stderr)
			}
		})
	}
}

func TestURLChecksumFileMissing(t *testing.T) {
	testEnv(t)
	r := runCLI(t, "url", "PUT", "s3://b/k", "--checksum-sha256", filepath.Join(t.TempDir(), "nope"))
	if r.code != 1 || !strings.Contains(r.stderr, "--checksum-sha256") || !strings.Contains(r.stderr, "(give the path of the file to upload)") {
		t.Errorf("exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestFlagOpsMatchLibrary checks that flagOps allows a flag on exactly the
// operations whose input the library accepts it in.
func TestFlagOpsMatchLibrary(t *testing.T) {
	c, err := presign.New(presign.Config{Credentials: credentials.Static(testCreds), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	n := int64(1)
	set := map[string]func(*presign.Input){
		"content-type":                 func(in *presign.Input) { in.ContentType = "text/plain" },
		"content-length":               func(in *presign.Input) { in.ContentLength = &n },
		"checksum-sha256":              func(in *presign.Input) { in.ChecksumSHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
		"metadata":                     func(in *presign.Input) { in.Metadata = map[string]string{"a": "b"} },
		"version-id":                   func(in *presign.Input) { in.VersionID = "v" },
		"upload-id":                    func(in *presign.Input) { in.UploadID = "u" },
		"part-number":                  func(in *presign.Input) { in.PartNumber = 1 },
		"response-content-disposition": func(in *presign.Input) { in.ResponseContentDisposition = "inline" },
		"response-content-type":        func(in *presign.Input) { in.ResponseContentType = "text/plain" },
	}
	if len(set) != len(flagOps) {
		t.Fatalf("the test knows %d flags, flagOps %d", len(set), len(flagOps))
	}
	for name, apply := range set {
		for _, op := range presign.Operations {
			in := presign.Input{Bucket: "b", Key: "k"}
			switch op {
			case presign.UploadPart:
				in.UploadID, in.PartNumber = "u", 1
			case presign.CompleteMultipartUpload, presign.AbortMultipartUpload, presign.ListParts:
				in.UploadID = "u"
			}
			apply(&in)
			_, err := c.Presign(context.Background(), op, &in, presign.Options{SigningTime: signedAt})
			if allowed := slices.Contains(flagOps[name], op); allowed != (err == nil) {
				t.Errorf("--%s on %s: flagOps allows it: %v; the library says: %v", name, op, allowed, err)
			}
		}
	}
}

func TestParseExpires(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"1", time.Second}, {"900", 15 * time.Minute}, {"604800", 7 * 24 * time.Hour}, {"15m", 15 * time.Minute},
		{"1h30m", 90 * time.Minute}, {"7d", 7 * 24 * time.Hour}, {"1d", 24 * time.Hour}, {"168h", 168 * time.Hour},
		{"1000ms", time.Second},
	}
	for _, tt := range tests {
		if got, err := parseExpires(tt.in); err != nil || got != tt.want {
			t.Errorf("parseExpires(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "0s", "-1", "604801", "8d", "0d", "1.5s", "500ms", "x", "1y", "d", "1e3"} {
		if _, err := parseExpires(bad); err == nil {
			t.Errorf("parseExpires(%q): no error", bad)
		}
	}
}

// TestURLVerifies checks that every profile's URL for awkward keys, each
// method and hoisted and signed headers is accepted by sigv4.Verifier.
func TestURLVerifies(t *testing.T) {
	testEnv(t)
	keys := []string{"a//b/../c", "café ☕.txt", "a+b%20c", "sp ace/?#&=;", "~!*'()", "-", "dir/"}
	for _, compat := range []string{"default", "js", "botocore"} {
		for _, key := range keys {
			for _, m := range []string{"GET", "PUT", "HEAD", "DELETE"} {
				args := []string{"url", m, "s3://my.bucket/" + key, "--compat", compat, "--header", "x-amz-acl=private"}
				if m == "PUT" {
					args = append(args, "--metadata", "x=y z", "--content-type", "a/b")
				}
				doc := jsonOutput(t, args...)
				verify(t, testCreds, doc.Method, doc.URL, doc.Headers)
			}
		}
	}
}
