package presign

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// sigParam matches the X-Amz-Signature of a presigned URL.
var sigParam = regexp.MustCompile(`([?&]X-Amz-Signature=)([0-9a-f]+)`)

// withoutSignature returns rawURL with its X-Amz-Signature value blanked,
// and the signature.
func withoutSignature(rawURL string) (string, string) {
	m := sigParam.FindStringSubmatch(rawURL)
	if m == nil {
		return rawURL, ""
	}
	return sigParam.ReplaceAllString(rawURL, "${1}SIGNATURE"), m[2]
}

// crtDeviation is how a URL the JS SDK presigns through the CRT signer
// (@aws-sdk/signature-v4-crt) differs from the one its own SigV4
// presigner would make, and presign makes, for the same request.
type crtDeviation int

const (
	// crtHoistsSSE: the CRT signer hoists every x-amz-* header into the
	// query (it calls moveHeadersToQuery without the presigner's options),
	// so the x-amz-server-side-encryption* headers that
	// S3RequestPresigner marks unhoistable go in the URL, unsigned, where
	// S3 does not take them. presign keeps them signed headers, as the JS
	// SDK's SigV4 presigner does.
	crtHoistsSSE crtDeviation = iota + 1
	// crtSignsCacheControl: the CRT has none of @smithy/signature-v4's
	// always-unsignable headers (only user-agent and x-amzn-trace-id of
	// them), so it signs Cache-Control, which the JS SDK's SigV4 presigner
	// and presign leave unsigned.
	crtSignsCacheControl
	// crtNormalizesPath: @aws-sdk/signature-v4-crt never sets the CRT's
	// should_normalize_uri_path, which defaults to true, so the CRT signs
	// the path with empty, "." and ".." segments removed. The URL is the
	// same as presign's, but S3 signs the path as sent: the CRT's
	// signature does not verify (it does with NormalizePath).
	crtNormalizesPath
)

var crtDeviations = map[string]crtDeviation{
	"get-object-sse-c":                   crtHoistsSSE,
	"put-object-sse-aes256":              crtHoistsSSE,
	"put-object-sse-kms":                 crtHoistsSSE,
	"put-object-sse-c":                   crtHoistsSSE,
	"create-multipart-upload-sse-kms":    crtHoistsSSE,
	"put-object-cache-control":           crtSignsCacheControl,
	"key-double-slash-get":               crtNormalizesPath,
	"key-double-slash-put-session-token": crtNormalizesPath,
	"key-dot-segments-get":               crtNormalizesPath,
	"key-dot-segments-put-session-token": crtNormalizesPath,
}

// verifyMRAP checks a presigned MRAP URL with sigv4.Verifier, for any
// region, at the case's signing time (within the URL's lifetime), and that
// it is SigV4a for every region.
func verifyMRAP(rawURL, method string, headers map[string]string, c *sdkCase, normalize bool) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	r := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	for k, v := range headers {
		if k == "host" {
			r.Host = v
		} else {
			r.Header.Set(k, v)
		}
	}
	ts, _ := time.Parse(time.RFC3339, c.Input.SigningDate)
	cr := c.Input.Credentials
	v := &sigv4.Verifier{
		Lookup: func(id string) (sigv4.Credentials, bool) {
			return sigv4.Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken}, id == cr.AccessKeyID
		},
		Now:           func() time.Time { return ts.Add(time.Second / 2) },
		NormalizePath: normalize,
	}
	a, err := v.Verify(r)
	if err != nil {
		return err
	}
	if a.Algorithm != sigv4.AlgorithmV4a || strings.Join(a.RegionSet, ",") != "*" || !a.Presigned {
		return fmt.Errorf("verified as %s for %v, presigned %v", a.Algorithm, a.RegionSet, a.Presigned)
	}
	return nil
}

// editQuery returns rawURL with the query parameters for which drop
// reports true removed, and X-Amz-SignedHeaders set to signed.
func editQuery(rawURL string, drop func(name string) bool, signed string) string {
	base, query, _ := strings.Cut(rawURL, "?")
	var kept []string
	for _, p := range strings.Split(query, "&") {
		name, _, _ := strings.Cut(p, "=")
		switch {
		case drop(name):
		case name == "X-Amz-SignedHeaders":
			kept = append(kept, name+"="+signed)
		default:
			kept = append(kept, p)
		}
	}
	return base + "?" + strings.Join(kept, "&")
}

func queryParam(rawURL, name string) string {
	u, _ := url.Parse(rawURL)
	return u.Query().Get(name)
}

// TestMRAPJSVectors presigns every case of testdata/sdk/js-mrap.json
// (conformance/js/mrap.mjs: getSignedUrl of the JS SDK v3 with a
// Multi-Region Access Point ARN as the Bucket, presigned with SigV4a by the
// CRT) under ProfileJS and requires the identical URL but for
// X-Amz-Signature (the CRT's ECDSA signature is randomised, ours is
// deterministic), the identical method and headers; the SDK's URL and ours
// both verify with sigv4.Verifier (any region). The cases of crtDeviations
// are checked to differ exactly as described there.
func TestMRAPJSVectors(t *testing.T) {
	const file = "testdata/sdk/js-mrap.json"
	v := loadVectors(t, file)
	if len(v.Cases) < 100 {
		t.Fatalf("%s has %d cases, want at least 100", file, len(v.Cases))
	}
	seen := map[string]bool{}
	identical := 0
	for i := range v.Cases {
		c := &v.Cases[i]
		t.Run(c.Name, func(t *testing.T) {
			client, o, err := clientFor(t, c, ProfileJS)
			var res Result
			if err == nil {
				res, err = presignCase(t, c, client, o)
			}
			if err != nil && c.Output.Error == "" && c.Input.Credentials.SessionToken != "" &&
				strings.Contains(err.Error(), "longer than the credentials allow") {
				// As in runSDKVectors: presign refuses by default what the
				// SDK presigns beyond temporary credentials' lifetime.
				o.IgnoreCredentialLifetime = true
				res, err = presignCase(t, c, client, o)
			}
			if c.Output.Error != "" {
				if err == nil {
					t.Fatalf("the SDK refused this (%s) but presign made %s", c.Output.Error, res.URL)
				}
				return
			}
			if err != nil {
				t.Fatalf("presign: %v", err)
			}
			got, ours := withoutSignature(res.URL)
			want, theirs := withoutSignature(c.Output.URL)
			if ours == "" || theirs == "" {
				t.Fatalf("no X-Amz-Signature in\n%s\nor\n%s", res.URL, c.Output.URL)
			}
			if res.Method != c.Output.Method {
				t.Errorf("method %s, want %s", res.Method, c.Output.Method)
			}
			gotHeaders := headerMap(res)
			if err := verifyMRAP(res.URL, res.Method, gotHeaders, c, false); err != nil {
				t.Errorf("presign's URL does not verify: %v", err)
			}
			dev := crtDeviations[c.Name]
			if dev != 0 {
				seen[c.Name] = true
			}
			switch dev {
			case crtHoistsSSE:
				sse := func(name string) bool { return strings.HasPrefix(name, "x-amz-server-side-encryption") }
				n := 0
				for name, value := range gotHeaders {
					if sse(name) {
						n++
						if _, ok := c.Output.Headers[name]; ok || queryParam(c.Output.URL, name) != value {
							t.Errorf("%s: the SDK's URL does not carry it in the query", name)
						}
						delete(gotHeaders, name)
					}
				}
				if n == 0 || queryParam(c.Output.URL, "X-Amz-SignedHeaders") != "host" {
					t.Errorf("no SSE header signed by presign (%d), or the SDK signed more than host", n)
				}
				if edited := editQuery(want, sse, url.QueryEscape(queryParam(res.URL, "X-Amz-SignedHeaders"))); edited != got {
					t.Errorf("URL with the SDK's SSE parameters moved back to signed headers\n got %s\nwant %s", got, edited)
				}
			case crtSignsCacheControl:
				if queryParam(c.Output.URL, "X-Amz-SignedHeaders") != "cache-control;host" || queryParam(res.URL, "X-Amz-SignedHeaders") != "host" {
					t.Errorf("signed headers: the SDK's %q, ours %q", queryParam(c.Output.URL, "X-Amz-SignedHeaders"), queryParam(res.URL, "X-Amz-SignedHeaders"))
				}
				if edited := editQuery(want, func(string) bool { return false }, "host"); edited != got {
					t.Errorf("URL with the SDK's cache-control unsigned\n got %s\nwant %s", got, edited)
				}
			default:
				if got != want {
					t.Errorf("URL (signature blanked)\n got %s\nwant %s", got, want)
				}
			}
			if d := diffHeaders(gotHeaders, c.Output.Headers); d != "" {
				t.Errorf("headers differ:\n%s", d)
			}
			err = verifyMRAP(c.Output.URL, c.Output.Method, c.Output.Headers, c, false)
			if dev == crtNormalizesPath {
				if err == nil {
					t.Errorf("the CRT's URL verifies without path normalisation")
				}
				if err := verifyMRAP(c.Output.URL, c.Output.Method, c.Output.Headers, c, true); err != nil {
					t.Errorf("the CRT's URL does not verify with path normalisation either: %v", err)
				}
			} else if err != nil {
				t.Errorf("the SDK's (CRT's) URL does not verify: %v", err)
			}
			if dev == 0 && !t.Failed() {
				identical++
			}
		})
	}
	for name := range crtDeviations {
		if !seen[name] {
			t.Errorf("deviation %s is not a case", name)
		}
	}
	t.Logf("%s: %d cases (%v), %d identical but for the signature, %d known CRT deviations", file, len(v.Cases), v.SDK, identical, len(crtDeviations))
}
