package s3server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/sigv4"
)

// TestSigV2BotocoreVectors: every SigV2 request real botocore makes
// (testdata/sdk/botocore-sigv2.json, made by
// conformance/botocore/sigv2.py: presigned URLs and signed headers,
// path-style and virtual-hosted) passes the store's authentication, and
// with its signature changed is refused SignatureDoesNotMatch.
func TestSigV2BotocoreVectors(t *testing.T) {
	data, err := os.ReadFile("../testdata/sdk/botocore-sigv2.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Credentials struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
		} `json:"credentials"`
		Cases []struct {
			Name   string `json:"name"`
			Output struct {
				Method  string            `json:"method"`
				URL     string            `json:"url"`
				Headers [][2]string       `json:"headers"`
				Body    string            `json:"body"`
				Kind    string            `json:"kind"`
				Fields  map[string]string `json:"fields"`
				Now     int64             `json:"now"`
			} `json:"output"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	creds := sigv4.Credentials{AccessKeyID: v.Credentials.AccessKeyID, SecretAccessKey: v.Credentials.SecretAccessKey}
	now := time.Unix(v.Cases[0].Output.Now, 0)
	ts := newTestServer(t, func(o *Options) {
		o.Credentials = func(id string) (sigv4.Credentials, bool) {
			if id == creds.AccessKeyID {
				return creds, true
			}
			return testLookup(id) // the tests' own, for mkBucket
		}
		o.Now = func() time.Time { return now }
	})
	send := func(method, u string, headers [][2]string, body string) response {
		hr, err := http.NewRequest(method, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range headers {
			hr.Header.Set(h[0], h[1])
		}
		return ts.send(hr)
	}
	authErrors := [][]byte{[]byte("SignatureDoesNotMatch"), []byte("AccessDenied"), []byte("InvalidAccessKeyId"), []byte("InvalidRequest"), []byte("RequestTimeTooSkewed")}
	// The bucket the vectors name, made with one of them.
	for _, c := range v.Cases {
		if strings.HasPrefix(c.Name, "presigned put (path)") {
			if res := send(c.Output.Method, c.Output.URL, c.Output.Headers, "x"); res.status != 404 || !bytes.Contains(res.body, []byte("NoSuchBucket")) {
				t.Fatalf("before the bucket exists: %d %s", res.status, res.body)
			}
		}
	}
	ts.mkBucket("sigv2-bucket")
	for _, c := range v.Cases {
		o := c.Output
		if o.Kind == "post" {
			checkSigV2Form(t, ts, c.Name, o.URL, o.Fields)
			continue
		}
		res := send(o.Method, o.URL, o.Headers, o.Body)
		for _, code := range authErrors {
			if bytes.Contains(res.body, code) {
				t.Errorf("%s: %d %s", c.Name, res.status, res.body)
			}
		}
		// Change one character of the signature.
		u, headers := o.URL, append([][2]string(nil), o.Headers...)
		if i := strings.Index(u, "Signature="); i >= 0 {
			c := "A"
			if u[i+10] == 'A' {
				c = "B"
			}
			u = u[:i+10] + c + u[i+11:]
		}
		for i, h := range headers {
			if h[0] == "Authorization" {
				_, sig, _ := strings.Cut(h[1], ":")
				c := byte('A')
				if sig[0] == 'A' {
					c = 'B'
				}
				headers[i][1] = strings.Replace(h[1], ":"+sig, ":"+string(c)+sig[1:], 1)
			}
		}
		// A HEAD answer has no body to name the code.
		if res := send(o.Method, u, headers, o.Body); res.status != 403 || o.Method != "HEAD" && !bytes.Contains(res.body, []byte("SignatureDoesNotMatch")) {
			t.Errorf("%s with its signature changed: %d %s", c.Name, res.status, res.body)
		}
	}
}

// checkSigV2Form posts a SigV2 form botocore made with a small PNG-typed
// file, then again with one byte changed in each signature field.
func checkSigV2Form(t *testing.T, ts *testServer, name, formURL string, fields map[string]string) {
	t.Helper()
	form := func(edit func(postpolicy.Fields) postpolicy.Fields) response {
		var fs postpolicy.Fields
		for _, k := range []string{"key", "AWSAccessKeyId", "policy", "signature", "Content-Type", "success_action_redirect", "x-amz-meta-owner"} {
			if v, ok := fields[k]; ok {
				fs = append(fs, postpolicy.Field{Name: k, Value: v})
			}
		}
		if len(fs) != len(fields) {
			t.Fatalf("%s: fields %v not all sent", name, fields)
		}
		if edit != nil {
			fs = edit(fs)
		}
		return ts.postForm(formURL, fs, "pic.png", strings.NewReader("png bytes"), nil, "")
	}
	want := 204
	if fields["success_action_redirect"] != "" {
		want = 303
	}
	if res := form(nil); res.status != want {
		t.Errorf("%s: %d %s", name, res.status, res.body)
	}
	for _, f := range []string{"AWSAccessKeyId", "policy", "signature"} {
		for _, i := range []int{0, len(fields[f]) / 2, len(fields[f]) - 2} {
			res := form(func(fs postpolicy.Fields) postpolicy.Fields {
				for j := range fs {
					if fs[j].Name == f {
						v := []byte(fs[j].Value)
						if v[i] == 'A' {
							v[i] = 'B'
						} else {
							v[i] = 'A'
						}
						fs[j].Value = string(v)
					}
				}
				return fs
			})
			if res.status != 403 && res.status != 400 {
				t.Errorf("%s with %s changed at %d: %d %s", name, f, i, res.status, res.body)
			}
		}
	}
}
