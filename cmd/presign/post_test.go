package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// postOutput is the --output json document with its fields in order.
type postOutput struct {
	URL       string
	Fields    postpolicy.Fields
	ExpiresAt string
}

func decodePostJSON(t *testing.T, out string) postOutput {
	t.Helper()
	var doc struct {
		URL       string          `json:"url"`
		Fields    json.RawMessage `json:"fields"`
		ExpiresAt string          `json:"expiresAt"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not the JSON document: %v\n%s", err, out)
	}
	return postOutput{URL: doc.URL, Fields: orderedJSONFields(t, doc.Fields), ExpiresAt: doc.ExpiresAt}
}

func orderedJSONFields(t *testing.T, raw json.RawMessage) postpolicy.Fields {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var f postpolicy.Fields
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		f = append(f, postpolicy.Field{Name: k.(string), Value: v})
	}
	return f
}

// postJSONOutput runs "presign post" with --output json at the test time.
func postJSONOutput(t *testing.T, args ...string) postOutput {
	t.Helper()
	r := runCLI(t, append(append([]string{"post"}, args...), "--signing-time", testTime)...)
	if r.code != 0 {
		t.Fatalf("presign post %q: exit %d: %s", args, r.code, r.stderr)
	}
	return decodePostJSON(t, r.stdout)
}

// evaluate posts the form's fields (with extra ones) to the evaluator, as
// the embedded server will, at the signing time.
func evaluate(t *testing.T, creds sigv4.Credentials, out postOutput, bucket, filename string, extra ...postpolicy.Field) (*postpolicy.Upload, error) {
	t.Helper()
	ev := &postpolicy.Evaluator{
		Lookup: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		Region: "us-east-1",
		Now:    func() time.Time { return signedAt.Add(time.Minute) },
	}
	return ev.Evaluate(&postpolicy.EvaluateInput{Bucket: bucket, Fields: append(append(postpolicy.Fields(nil), out.Fields...), extra...), Filename: filename})
}

func TestPostJSON(t *testing.T) {
	testEnv(t)
	out := postJSONOutput(t, "s3://uploads/avatars/${filename}", "--content-type-prefix", "image/", "--max-size", "5MiB",
		"--min-size", "1", "--success-status", "201", "--field", "x-amz-meta-owner=alice", "--expires", "10m",
		"--condition", `["starts-with", "$x-amz-meta-tag", ""]`)
	if out.URL != "https://uploads.s3.us-east-1.amazonaws.com/" || out.ExpiresAt != "2026-01-15T12:10:00Z" {
		t.Errorf("url %s, expiresAt %s", out.URL, out.ExpiresAt)
	}
	for _, want := range []postpolicy.Field{{Name: "success_action_status", Value: "201"}, {Name: "x-amz-meta-owner", Value: "alice"}, {Name: "key", Value: "avatars/${filename}"}, {Name: "bucket", Value: "uploads"}} {
		if v, ok := out.Fields.Get(want.Name); !ok || v != want.Value {
			t.Errorf("field %s = %q, want %q", want.Name, v, want.Value)
		}
	}
	ok := []postpolicy.Field{{Name: "Content-Type", Value: "image/png"}, {Name: "x-amz-meta-tag", Value: "anything"}}
	up, err := evaluate(t, testCreds, out, "uploads", "cat.png", ok...)
	if err != nil {
		t.Fatalf("the form is refused: %v", err)
	}
	if up.Key != "avatars/cat.png" || up.Limits != (postpolicy.Limits{Min: 1, Max: 5 << 20}) {
		t.Errorf("upload %s, limits %+v", up.Key, up.Limits)
	}
	for _, tc := range []struct {
		name  string
		extra []postpolicy.Field
		msg   string
	}{
		{"other content type", []postpolicy.Field{{Name: "Content-Type", Value: "text/html"}, ok[1]}, `["starts-with", "$Content-Type", "image/"]`},
		{"no content type", ok[1:], `["starts-with", "$Content-Type", "image/"]`},
		{"extra field", append([]postpolicy.Field{{Name: "acl", Value: "public-read"}}, ok...), "Extra input fields: acl"},
	} {
		_, err := evaluate(t, testCreds, out, "uploads", "cat.png", tc.extra...)
		var se *s3err.Error
		if !errors.As(err, &se) || se.Code != s3err.AccessDenied || !strings.Contains(se.Message, tc.msg) {
			t.Errorf("%s: %v, want AccessDenied %q", tc.name, err, tc.msg)
		}
	}
	if err := up.Limits.CheckSize(5<<20 + 1); err == nil {
		t.Error("a file over --max-size passes")
	}

	// A session token is sent and required; botocore's shape works too.
	t.Setenv("AWS_SESSION_TOKEN", testToken)
	for _, compat := range []string{"default", "js", "botocore"} {
		out := postJSONOutput(t, "s3://uploads/a.txt", "--compat", compat, "--content-type", "text/plain", "--field", "acl=private",
			"--redirect", "https://example.com/done", "--endpoint", "http://127.0.0.1:9000", "--path-style")
		if out.URL != "http://127.0.0.1:9000/uploads" {
			t.Errorf("%s: url %s", compat, out.URL)
		}
		creds := sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
		if _, err := evaluate(t, creds, out, "uploads", "ignored.bin"); err != nil {
			t.Errorf("%s: the form is refused: %v", compat, err)
		}
	}
}

// TestPostCompatSDK: with --compat js or botocore, the command prints what
// the SDK made of the same inputs (cases of testdata/sdk/*-post.json,
// whose credentials and signing time are the tests').
func TestPostCompatSDK(t *testing.T) {
	testEnv(t)
	for _, tc := range []struct {
		file, name string
		args       []string
	}{
		{"js-post.json", "cond-content-length-range", []string{"--compat", "js", "--min-size", "1", "--max-size", "10MiB"}},
		{"js-post.json", "cond-acl-exact", []string{"--compat", "js", "--field", "acl=public-read"}},
		{"js-post.json", "cond-acl-exact", []string{"--compat", "js", "--field", "acl=public-read", "--condition", `{"acl":"public-read"}`}},
		{"botocore-post.json", "cond-content-length-range", []string{"--compat", "botocore", "--min-size", "1", "--max-size", "10485760"}},
		{"botocore-post.json", "cond-acl-exact", []string{"--compat", "botocore", "--field", "acl=public-read"}},
	} {
		t.Run(tc.file+"/"+tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sdk", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var v struct {
				Cases []struct {
					Name  string
					Input struct {
						Key, SigningDate string
						Credentials      struct{ AccessKeyID, SecretAccessKey string }
					}
					Output struct {
						URL    string
						Fields json.RawMessage
					}
				}
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			for _, c := range v.Cases {
				if c.Name != tc.name {
					continue
				}
				if c.Input.Credentials.SecretAccessKey != testSecret || c.Input.SigningDate != testTime || c.Input.Key != "uploads/${filename}" {
					t.Fatalf("the vector's inputs are not the test's: %+v", c.Input)
				}
				out := postJSONOutput(t, append([]string{"s3://examplebucket/uploads/${filename}"}, tc.args...)...)
				if out.URL != c.Output.URL {
					t.Errorf("url %s, want %s", out.URL, c.Output.URL)
				}
				want := orderedJSONFields(t, c.Output.Fields)
				if len(out.Fields) != len(want) {
					t.Fatalf("fields\n got %v\nwant %v", out.Fields, want)
				}
				for i := range want {
					if out.Fields[i] != want[i] {
						t.Errorf("field %d: %v, want %v", i, out.Fields[i], want[i])
					}
				}
				return
			}
			t.Fatalf("no case %s", tc.name)
		})
	}
}

func TestPostHTMLGolden(t *testing.T) {
	testEnv(t)
	r := runCLI(t, "post", "s3://uploads/in/${filename}", "--output", "html", "--signing-time", testTime,
		"--content-type-prefix", "image/", "--max-size", "10MiB", "--field", `x-amz-meta-note=<b>"quoted" & 'apostrophe'</b>`,
		"--redirect", "https://example.com/done?a=1&b=2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden := filepath.Join("testdata", "post.html")
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
		t.Errorf("html differs from %s (go test -run TestPostHTMLGolden -update to accept):\n%s", golden, r.stdout)
	}
	for _, w := range []string{`<form action="https://uploads.s3.us-east-1.amazonaws.com/" method="post" enctype="multipart/form-data"`,
		`value="&lt;b&gt;&#34;quoted&#34; &amp; &#39;apostrophe&#39;&lt;/b&gt;"`, `name="Content-Type" value="image/"`, `<input type="file" name="file" required>`} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("html lacks %s", w)
		}
	}
	if strings.Index(r.stdout, `name="file"`) < strings.LastIndex(r.stdout, `type="hidden"`) {
		t.Error("a field comes after the file; S3 ignores it")
	}
}

func TestPostCurl(t *testing.T) {
	testEnv(t)
	r := runCLI(t, "post", "s3://uploads/in/${filename}", "--output", "curl", "--signing-time", testTime,
		"--content-type-prefix", "image/", "--field", "x-amz-meta-a=@not-a-file;type=x", "--field", "x-amz-meta-b=it's")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := r.stdout
	if strings.Count(out, "\n") != 1 {
		t.Errorf("not one line: %q", out)
	}
	rest := out
	for _, w := range []string{"curl --form-string 'x-amz-meta-a=@not-a-file;type=x' --form-string 'x-amz-meta-b=it'\\''s' --form-string bucket=uploads",
		"--form-string 'key=in/${filename}'", "--form-string Policy=", "--form-string Content-Type=image/TYPE -F file=@FILE https://uploads.s3.us-east-1.amazonaws.com/\n"} {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("curl command lacks %q (in order):\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}

func TestPostBadArguments(t *testing.T) {
	testEnv(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"missing URL", nil, []string{"missing the s3://BUCKET/KEY argument", "'${filename}'"}},
		{"two URLs", []string{"s3://b/k", "s3://b/j"}, []string{"too many arguments"}},
		{"not s3", []string{"https://b/k"}, []string{"is not an s3:// URL"}},
		{"empty key", []string{"s3://b/"}, []string{"has an empty key"}},
		{"bad output", []string{"s3://b/k", "--output", "url"}, []string{`unknown --output "url"`, "(use json, html or curl)"}},
		{"bad compat", []string{"s3://b/k", "--compat", "go"}, []string{`unknown --compat "go"`}},
		{"bad expires", []string{"s3://b/k", "--expires", "8d"}, []string{"out of range"}},
		{"bad size", []string{"s3://b/k", "--max-size", "ten"}, []string{`--max-size "ten" is not a size`, "10MiB"}},
		{"bad unit", []string{"s3://b/k", "--max-size", "10MiBs"}, []string{"is not a size"}},
		{"fractional bytes", []string{"s3://b/k", "--max-size", "1.5B"}, []string{"not a whole number of bytes"}},
		{"over 5GiB", []string{"s3://b/k", "--max-size", "6GiB"}, []string{"at most 5GiB", "multipart"}},
		{"min over max", []string{"s3://b/k", "--min-size", "2MB", "--max-size", "1MB"}, []string{"--min-size 2MB is more than --max-size 1MB"}},
		{"field without =", []string{"s3://b/k", "--field", "acl"}, []string{`--field "acl" is not name=value`, "--field acl=private"}},
		{"field policy", []string{"s3://b/k", "--field", "Policy=x"}, []string{"--field Policy cannot be set"}},
		{"field key", []string{"s3://b/k", "--field", "key=x"}, []string{"--field key cannot be set", "s3:// argument"}},
		{"field token", []string{"s3://b/k", "--field", "X-Amz-Security-Token=x"}, []string{"cannot be set"}},
		{"field content type", []string{"s3://b/k", "--field", "content-type=a/b"}, []string{"--field content-type has its own flag, --content-type"}},
		{"field status", []string{"s3://b/k", "--field", "success_action_status=201"}, []string{"its own flag, --success-status"}},
		{"field twice", []string{"s3://b/k", "--field", "acl=a", "--field", "ACL=b"}, []string{"sets the ACL field, which --field acl sets already"}},
		{"empty content type", []string{"s3://b/k", "--content-type", ""}, []string{"--content-type is empty"}},
		{"type outside prefix", []string{"s3://b/k", "--content-type", "text/plain", "--content-type-prefix", "image/"}, []string{"does not start with --content-type-prefix image/"}},
		{"bad status", []string{"s3://b/k", "--success-status", "202"}, []string{`--success-status "202"`, "200, 201 or 204"}},
		{"bad redirect", []string{"s3://b/k", "--redirect", "javascript:alert(1)"}, []string{"is not an http(s) URL"}},
		{"condition not JSON", []string{"s3://b/k", "--condition", "acl=private"}, []string{"--condition acl=private: Invalid Policy: Invalid JSON.", "write it as JSON"}},
		{"condition unknown op", []string{"s3://b/k", "--condition", `["ends-with","$key","x"]`}, []string{"unknown operation 'ends-with'"}},
		{"condition two members", []string{"s3://b/k", "--condition", `{"a":"b","c":"d"}`}, []string{"exactly one property"}},
		{"bad signing time", []string{"s3://b/k", "--signing-time", "now"}, []string{"not an RFC 3339 time"}},
		{"unknown flag", []string{"s3://b/k", "--content-length", "1"}, []string{"flag provided but not defined: --content-length", "presign post -h"}},
		{"bad endpoint", []string{"s3://b/k", "--endpoint", "ftp://x"}, []string{"is not an http(s) URL"}},
		{"temporary credentials, long expiry", []string{"s3://b/k", "--expires", "2d", "--token"}, []string{"longer than the credentials allow", "with --expires"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if n := len(args); n > 0 && args[n-1] == "--token" {
				t.Setenv("AWS_SESSION_TOKEN", testToken)
				args = args[:n-1]
			}
			r := runCLI(t, append([]string{"post"}, args...)...)
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

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1048576, true},
		{"0", 0, true},
		{"10MiB", 10 << 20, true},
		{"10mib", 10 << 20, true},
		{"5MB", 5000000, true},
		{"5 MB", 5000000, true},
		{"1.5KiB", 1536, true},
		{"1.5KB", 1500, true},
		{"5GiB", 5 << 30, true},
		{"2KB", 2000, true},
		{"7B", 7, true},
		{"0.5B", 0, false},
		{"-1", 0, false},
		{"1e6", 0, false},
		{"MiB", 0, false},
		{"1..5MB", 0, false},
		{".", 0, false},
		{"10M", 0, false},
		{"", 0, false},
		{"99999999999999999999999", 0, false},
	} {
		got, err := parseSize("max-size", tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestPostUsageNamesEveryFlag keeps the hand-written help in step with the
// flags, and the command in the list of commands.
func TestPostUsageNamesEveryFlag(t *testing.T) {
	var f postFlags
	f.flagSet().VisitAll(func(fl *flag.Flag) {
		if !strings.Contains(postUsage, "--"+fl.Name+" ") {
			t.Errorf("postUsage does not describe --%s", fl.Name)
		}
	})
	testEnv(t)
	if r := runCLI(t, "help"); !strings.Contains(r.stdout, "\n  post ") {
		t.Errorf("presign help does not list post:\n%s", r.stdout)
	}
	if r := runCLI(t, "post", "-h"); r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: presign post") {
		t.Errorf("post -h: exit %d\n%s", r.code, r.stdout)
	}
}
