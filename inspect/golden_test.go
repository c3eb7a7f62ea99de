package inspect

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

var update = flag.Bool("update", false, "rewrite the golden files and the synthetic error bodies in testdata")

// checkGolden compares got with testdata/name, or writes it there with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./inspect -update to write it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s differs at line %d:\n got: %q\nwant: %q\n(run go test ./inspect -update and review the diff)", path, i+1, gl, wl)
			return
		}
	}
}

// corpus is testdata/corpus.json.
type corpus struct {
	About string `json:"about"`
	URLs  []struct {
		Name, Source, Note, URL, Method, Now string
	} `json:"urls"`
	Malformed []struct {
		Name, Source, Note, URL string
	} `json:"malformed"`
	Errors []errorCase `json:"errors"`
}

// errorCase is one S3 error body of the corpus and what is known of the
// request it answered.
type errorCase struct {
	Name    string            `json:"name"`
	Source  string            `json:"source"`
	Note    string            `json:"note,omitempty"`
	Omitted string            `json:"omitted,omitempty"`
	URL     string            `json:"url,omitempty"`    // a name in urls, or a URL
	Method  string            `json:"method,omitempty"` // as the user says it was sent
	Headers map[string]string `json:"headers,omitempty"`
	Now     string            `json:"now,omitempty"`
	Secret  string            `json:"secret,omitempty"` // the signer's secret, when the user gives it
}

func loadCorpus(t testing.TB) *corpus {
	t.Helper()
	b, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c corpus
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("corpus.json: %v", err)
	}
	return &c
}

// The SDK cases inspected in the golden files: a selection covering the
// operations, endpoints, addressing styles, keys and risks.
var (
	jsSelection = []string{
		"get-object-minimal", "get-object-minimal-eu-central-1-session-token", "get-object-minimal-path-style-us-west-2",
		"head-object-minimal", "put-object-minimal", "delete-object-minimal", "create-multipart-upload-minimal",
		"upload-part-minimal", "complete-multipart-upload-minimal", "abort-multipart-upload-minimal", "list-parts-minimal",
		"key-e-acute-decomposed-get-custom-endpoint-session-token", "key-japanese-get", "key-emoji-get", "key-tab-get",
		"key-all-ascii-punctuation-get", "key-long-get", "region-us-east-1-get-object-dualstack",
		"region-us-east-1-get-object-accelerate", "region-cn-north-1-get-object", "region-us-gov-west-1-get-object-path-style",
		"bucket-dotted-get", "bucket-upper-case-get-path-style", "endpoint-http-localhost-9000-put-object",
		"endpoint-https-s3-example-com-get-object", "endpoint-https-base-path-get-object", "expires-604800-2026-put-object",
		"get-object-response-content-disposition-unicode", "put-object-content-type", "put-object-checksum-sha256",
		"put-object-everything", "hoist-signable-content-type-put-object", "hoist-unhoistable-checksum-sha256-put-object",
		"combo-put-everything-minio-path-style-token", "request-put-preset-content-sha256-lowercase",
		"request-get-virtual-host-alt-2015-token",
	}
	botoSelection = []string{
		"key-simple-get-default", "key-space-get-default", "key-unicode-cjk-get-default", "key-control-tab-get-default",
		"key-simple-put-path-us-west-2", "region-eu-central-1-get-default", "region-us-west-2-put-content-type",
		"dotted-bucket-us-east-1-get-default", "bucket-uppercase-get", "endpoint-ip-get-default", "endpoint-localhost-get-virtual",
		"accelerate-dualstack-us-west-2-get", "get-version-part-overrides", "put-everything", "upload-part-basic",
		"complete-mpu", "list-parts", "creds-2026-akia-token-a-us-east-1-get", "expires-604800-get-token-2015",
	}
)

// inspectionDoc is one entry of a JSON golden file.
type inspectionDoc struct {
	Source     string      `json:"source"`
	Maker      string      `json:"maker,omitempty"`
	Note       string      `json:"note,omitempty"`
	Inspection *Inspection `json:"inspection"`
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// inspectSDK inspects the selected cases of an SDK corpus file, a minute
// after each was signed.
func inspectSDK(t *testing.T, path string, selection []string) (text []byte, docs []inspectionDoc) {
	f := loadSDKFile(t, path)
	var b bytes.Buffer
	for _, c := range f.Cases {
		if selection != nil && !slices.Contains(selection, c.Name) || c.Output.URL == "" {
			continue
		}
		now := c.signedAt(t).Add(time.Minute)
		in, err := Parse(c.Output.URL, c.Output.Method, now)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		src := filepath.Base(path) + " " + c.Name
		maker := f.maker()
		if c.Maker != "" {
			// The maker's own modules: "minio-go ..." is made by
			// github.com/minio/minio-go/v7.
			var vs []string
			first, _, _ := strings.Cut(c.Maker, " ")
			for _, k := range sortedKeys(boolKeys(f.SDK)) {
				if strings.Contains(k, first) {
					vs = append(vs, k+" "+f.SDK[k])
				}
			}
			maker = c.Maker + " (" + strings.Join(vs, ", ") + ")"
		}
		fmt.Fprintf(&b, "==> %s\n    made by %s; used with %s a minute after signing\n", src, maker, c.Output.Method)
		if c.Note != "" {
			fmt.Fprintf(&b, "    note: %s\n", c.Note)
		}
		b.WriteString("\n")
		in.WriteText(&b)
		b.WriteString("\n")
		docs = append(docs, inspectionDoc{Source: src, Maker: maker, Note: c.Note, Inspection: in})
	}
	if selection != nil && len(docs) != len(selection) {
		t.Errorf("%s: %d of the %d selected cases found", path, len(docs), len(selection))
	}
	return b.Bytes(), docs
}

// TestGoldenSDK inspects a selection of the URLs the JS SDK v3 and
// botocore made.
func TestGoldenSDK(t *testing.T) {
	jsText, jsDocs := inspectSDK(t, sdkFiles[0], jsSelection)
	boText, boDocs := inspectSDK(t, sdkFiles[1], botoSelection)
	checkGolden(t, "sdk.golden", append(jsText, boText...))
	checkGolden(t, "sdk.json.golden", marshal(t, append(jsDocs, boDocs...)))
}

// TestGoldenGoSDKs inspects every URL aws-sdk-go-v2 and minio-go made
// (bench/cmd/gen-inspect-corpus).
func TestGoldenGoSDKs(t *testing.T) {
	if _, err := os.Stat(goSDKsFile); err != nil {
		t.Skipf("%s not generated yet: %v", goSDKsFile, err)
	}
	text, docs := inspectSDK(t, goSDKsFile, nil)
	checkGolden(t, "go-sdks.golden", text)
	checkGolden(t, "go-sdks.json.golden", marshal(t, docs))
}

// TestGoldenIssues inspects real URLs quoted in public issues.
func TestGoldenIssues(t *testing.T) {
	c := loadCorpus(t)
	var b bytes.Buffer
	var docs []inspectionDoc
	for _, u := range c.URLs {
		now, err := time.Parse(time.RFC3339, u.Now)
		if err != nil {
			t.Fatalf("%s: now: %v", u.Name, err)
		}
		in, err := Parse(u.URL, u.Method, now)
		if err != nil {
			t.Errorf("%s: %v", u.Name, err)
			continue
		}
		fmt.Fprintf(&b, "==> %s\n    from %s\n    used with %s at %s\n\n", u.Name, u.Source, or(u.Method, "no method given"), u.Now)
		in.WriteText(&b)
		b.WriteString("\n")
		docs = append(docs, inspectionDoc{Source: u.Source, Note: u.Note, Inspection: in})
	}
	checkGolden(t, "issues.golden", b.Bytes())
	checkGolden(t, "issues.json.golden", marshal(t, docs))
}

// TestGoldenMalformed checks that each malformed URL gets one clear line.
func TestGoldenMalformed(t *testing.T) {
	c := loadCorpus(t)
	var b bytes.Buffer
	for _, m := range c.Malformed {
		_, err := Parse(m.URL, "", time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
		if err == nil {
			t.Errorf("%s: %q parses", m.Name, m.URL)
			continue
		}
		var pe *ParseError
		if !asParseError(err, &pe) {
			t.Errorf("%s: %T is not a *ParseError", m.Name, err)
		}
		if strings.ContainsAny(err.Error(), "\n\r\x1b") {
			t.Errorf("%s: the error is not one clean line: %q", m.Name, err)
		}
		fmt.Fprintf(&b, "%s: %s\n", m.Name, err)
	}
	checkGolden(t, "malformed.golden", b.Bytes())
}

func asParseError(err error, pe **ParseError) bool {
	p, ok := err.(*ParseError)
	*pe = p
	return ok
}

// diagnosisDoc is one entry of diagnose.json.golden.
type diagnosisDoc struct {
	Name      string     `json:"name"`
	Source    string     `json:"source"`
	Diagnosis *Diagnosis `json:"diagnosis"`
}

// runDiagnosis diagnoses one error case of the corpus.
func runDiagnosis(t *testing.T, c *corpus, e errorCase) (*Diagnosis, string) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "errors", e.Name+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	var in *Inspection
	url, now := e.URL, e.Now
	for _, u := range c.URLs {
		if u.Name == e.URL {
			url = u.URL
			if now == "" {
				now = u.Now
			}
		}
	}
	if url != "" {
		at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
		if now != "" {
			if at, err = time.Parse(time.RFC3339, now); err != nil {
				t.Fatal(err)
			}
		}
		if in, err = Parse(url, e.Method, at); err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
	}
	var local Local
	for _, k := range sortedKeys(boolKeys(e.Headers)) {
		local.Header = append(local.Header, sigv4.Param{Name: k, Value: e.Headers[k]})
	}
	if e.Secret != "" && in != nil {
		local.Credentials = &sigv4.Credentials{AccessKeyID: in.AccessKeyID, SecretAccessKey: e.Secret}
	}
	d, err := Diagnose(in, doc, local)
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	return d, url
}

func boolKeys(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// TestGoldenDiagnose diagnoses every error body of the corpus, real and
// synthetic.
func TestGoldenDiagnose(t *testing.T) {
	c := loadCorpus(t)
	cases := append(append([]errorCase(nil), c.Errors...), syntheticErrorCases(t)...)
	var b bytes.Buffer
	var docs []diagnosisDoc
	for _, e := range cases {
		d, url := runDiagnosis(t, c, e)
		fmt.Fprintf(&b, "==> %s\n    from %s\n", e.Name, e.Source)
		if e.Omitted != "" {
			fmt.Fprintf(&b, "    omitted from the quote: %s\n", e.Omitted)
		}
		if url != "" {
			fmt.Fprintf(&b, "    URL: %s\n", url)
		}
		if e.Method != "" || len(e.Headers) > 0 || e.Secret != "" {
			fmt.Fprintf(&b, "    told: method %s, headers %v, secret given: %v\n", or(e.Method, "(none)"), e.Headers, e.Secret != "")
		}
		b.WriteString("\n")
		d.WriteText(&b)
		b.WriteString("\n")
		docs = append(docs, diagnosisDoc{Name: e.Name, Source: e.Source, Diagnosis: d})
	}
	checkGolden(t, "diagnose.golden", b.Bytes())
	checkGolden(t, "diagnose.json.golden", marshal(t, docs))
}
