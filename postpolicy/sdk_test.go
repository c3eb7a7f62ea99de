package postpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// postVectors is a file written by conformance/js/post.mjs or
// conformance/botocore/post.py.
type postVectors struct {
	Generator string            `json:"generator"`
	SDK       map[string]string `json:"sdk"`
	Cases     []postCase        `json:"cases"`
}

type postCase struct {
	Name  string `json:"name"`
	Input struct {
		Bucket      string            `json:"bucket"`
		Key         string            `json:"key"`
		Conditions  []json.RawMessage `json:"conditions"`
		Fields      json.RawMessage   `json:"fields"`
		Expires     int64             `json:"expires"`
		Region      string            `json:"region"`
		Credentials struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
		} `json:"credentials"`
		Endpoint        string `json:"endpoint"`
		ForcePathStyle  bool   `json:"forcePathStyle"`
		AddressingStyle string `json:"addressingStyle"`
		SigningDate     string `json:"signingDate"`
	} `json:"input"`
	Output struct {
		URL            string          `json:"url"`
		Fields         json.RawMessage `json:"fields"`
		PolicyDocument string          `json:"policyDocument"`
		Error          string          `json:"error"`
	} `json:"output"`
}

func loadPostVectors(t testing.TB, path string) *postVectors {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v postVectors
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &v
}

// orderedFields decodes a JSON object of strings keeping its order.
func orderedFields(raw json.RawMessage) (Fields, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("fields are not an object: %v", err)
	}
	var out Fields
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, Field{k.(string), v})
	}
	return out, nil
}

// signInputFor maps a vector's input onto a SignInput of profile p.
func signInputFor(t testing.TB, c *postCase, p Profile) *SignInput {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, c.Input.SigningDate)
	if err != nil {
		t.Fatal(err)
	}
	in := &SignInput{
		Profile: p, URL: c.Output.URL, Bucket: c.Input.Bucket, Key: c.Input.Key,
		Expires: time.Duration(c.Input.Expires) * time.Second,
		Credentials: sigv4.Credentials{
			AccessKeyID: c.Input.Credentials.AccessKeyID, SecretAccessKey: c.Input.Credentials.SecretAccessKey,
			SessionToken: c.Input.Credentials.SessionToken,
		},
		Region: c.Input.Region, Time: ts,
	}
	if in.Fields, err = orderedFields(c.Input.Fields); err != nil {
		t.Fatal(err)
	}
	for _, raw := range c.Input.Conditions {
		cond, err := ParseCondition(raw)
		if err != nil {
			t.Fatalf("condition %s: %v", raw, err)
		}
		in.Conditions = append(in.Conditions, cond)
	}
	return in
}

func diffFields(got, want Fields) string {
	var b strings.Builder
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w Field
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "  [%d] got %q=%q, want %q=%q\n", i, g.Name, g.Value, w.Name, w.Value)
		}
	}
	return b.String()
}

// evaluationExceptions are SDK forms that S3 refuses as they are, and
// presign's evaluator with them, with the code it gives.
var evaluationExceptions = map[string]s3err.ErrorCode{
	// botocore does not turn fields into conditions: a field without one is
	// an "Extra input field".
	"cond-fields-without-conditions":                    s3err.AccessDenied,
	"cond-fields-without-conditions-token-eu-central-1": s3err.AccessDenied,
	"cond-field-overrides-key":                          s3err.AccessDenied,
	"cond-field-overrides-key-token-eu-central-1":       s3err.AccessDenied,
	// A starts-with "" on Content-Type, but the form has no Content-Type.
	"cond-content-type-any":                            s3err.AccessDenied,
	"cond-content-type-any-session-token-eu-central-1": s3err.AccessDenied,
	"cond-content-type-any-token-eu-central-1":         s3err.AccessDenied,
	// Both SDKs honour ${filename} only at the end of the key: elsewhere
	// the condition is an exact match (or a starts-with up to the last
	// ${filename}) that the completed key no longer meets.
	"key-filename-middle":                  s3err.AccessDenied,
	"key-filename-middle-path-style-token": s3err.AccessDenied,
	"key-filename-middle-path-token":       s3err.AccessDenied,
	"key-filename-twice":                   s3err.AccessDenied,
	"key-filename-twice-path-style-token":  s3err.AccessDenied,
}

func runPostVectors(t *testing.T, file string, p Profile, min int) {
	v := loadPostVectors(t, file)
	if len(v.Cases) < min {
		t.Fatalf("%s has %d cases, want at least %d", file, len(v.Cases), min)
	}
	accepted := 0
	for i := range v.Cases {
		c := &v.Cases[i]
		t.Run(c.Name, func(t *testing.T) {
			if c.Output.Error != "" {
				t.Fatalf("the SDK refused this case: %s", c.Output.Error)
			}
			in := signInputFor(t, c, p)
			form, err := Sign(in)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got := string(form.PolicyDocument); got != c.Output.PolicyDocument {
				t.Errorf("policy document\n got %s\nwant %s", got, c.Output.PolicyDocument)
			}
			want, err := orderedFields(c.Output.Fields)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffFields(form.Fields, want); d != "" {
				t.Errorf("fields differ:\n%s", d)
			}
			if form.URL != c.Output.URL {
				t.Errorf("URL %s, want %s", form.URL, c.Output.URL)
			}

			// The SDK's own form, posted back, passes the evaluator at the
			// signing time, unless S3 would refuse it too.
			ev := &Evaluator{
				Lookup: func(id string) (sigv4.Credentials, bool) { return in.Credentials, id == in.Credentials.AccessKeyID },
				Region: in.Region,
				Now:    func() time.Time { return in.Time },
			}
			up, err := ev.Evaluate(&EvaluateInput{Bucket: in.Bucket, Fields: want, Filename: "photo.jpg"})
			wantCode, exception := evaluationExceptions[c.Name]
			switch {
			case exception:
				var se *s3err.Error
				if !errors.As(err, &se) || se.Code != wantCode {
					t.Errorf("evaluator: %v, want %s", err, wantCode)
				}
			case err != nil:
				t.Errorf("evaluator refused the SDK's form: %v", err)
			default:
				accepted++
				if wantKey := strings.ReplaceAll(in.Key, Filename, "photo.jpg"); up.Key != wantKey {
					t.Errorf("upload key %q, want %q", up.Key, wantKey)
				}
			}
		})
	}
	t.Logf("%s: %d cases, %d accepted by the evaluator (%v)", file, len(v.Cases), accepted, v.SDK)
}

// TestJSVectors demands the policy document, fields and signature of
// createPresignedPost (@aws-sdk/s3-presigned-post), from vectors
// conformance/js/post.mjs generated.
func TestJSVectors(t *testing.T) {
	runPostVectors(t, "../testdata/sdk/js-post.json", ProfileJS, 100)
}

// TestBotocoreVectors demands the policy document, fields and signature of
// botocore's generate_presigned_post, from vectors
// conformance/botocore/post.py generated.
func TestBotocoreVectors(t *testing.T) {
	runPostVectors(t, "../testdata/sdk/botocore-post.json", ProfileBotocore, 50)
}
