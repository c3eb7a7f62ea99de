package presign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/sigv4"
)

// sdkVectors is a file written by a generator under conformance/.
type sdkVectors struct {
	Generator string            `json:"generator"`
	SDK       map[string]string `json:"sdk"`
	Cases     []sdkCase         `json:"cases"`
}

type sdkCase struct {
	Name  string `json:"name"`
	Input struct {
		Kind        string          `json:"kind"`
		Operation   string          `json:"operation"`
		Params      json.RawMessage `json:"params"`
		Request     *rawHTTP        `json:"request"`
		Region      string          `json:"region"`
		Credentials struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
		} `json:"credentials"`
		Endpoint           string   `json:"endpoint"`
		ForcePathStyle     bool     `json:"forcePathStyle"`
		AddressingStyle    string   `json:"addressingStyle"`
		UseDualstack       bool     `json:"useDualstackEndpoint"`
		UseAccelerate      bool     `json:"useAccelerateEndpoint"`
		SigningDate        string   `json:"signingDate"`
		ExpiresIn          int      `json:"expiresIn"`
		SignableHeaders    []string `json:"signableHeaders"`
		UnhoistableHeaders []string `json:"unhoistableHeaders"`
		HoistableHeaders   []string `json:"hoistableHeaders"`
	} `json:"input"`
	Output struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Error   string            `json:"error"`
	} `json:"output"`
}

type rawHTTP struct {
	Method   string            `json:"method"`
	Protocol string            `json:"protocol"`
	Hostname string            `json:"hostname"`
	Port     *int              `json:"port"`
	Path     string            `json:"path"`
	Query    map[string]string `json:"query"`
	Headers  map[string]string `json:"headers"`
}

func loadVectors(t *testing.T, path string) *sdkVectors {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v sdkVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// orderedKeys returns the keys of a JSON object in document order.
func orderedKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// inputFromParams maps SDK params (S3 API names) onto an Input. A param
// this package does not model fails the test: every vector must be covered.
func inputFromParams(raw json.RawMessage) (*Input, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	keys, err := orderedKeys(raw)
	if err != nil {
		return nil, err
	}
	in := &Input{ParamOrder: keys}
	str := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case float64:
			return fmt.Sprint(int64(x))
		}
		panic(fmt.Sprintf("unexpected %T", v))
	}
	num := func(v any) int {
		switch x := v.(type) {
		case float64:
			return int(x)
		case string:
			var n int
			fmt.Sscan(x, &n)
			return n
		}
		panic(fmt.Sprintf("unexpected %T", v))
	}
	boolp := func(v any) *bool { b := v.(bool); return &b }
	strs := map[string]*string{
		"Bucket": &in.Bucket, "Key": &in.Key, "VersionId": &in.VersionID, "UploadId": &in.UploadID,
		"PartNumberMarker": &in.PartNumberMarker, "ResponseCacheControl": &in.ResponseCacheControl,
		"ResponseContentDisposition": &in.ResponseContentDisposition, "ResponseContentEncoding": &in.ResponseContentEncoding,
		"ResponseContentLanguage": &in.ResponseContentLanguage, "ResponseContentType": &in.ResponseContentType,
		"Range": &in.Range, "IfMatch": &in.IfMatch, "IfNoneMatch": &in.IfNoneMatch, "ContentType": &in.ContentType,
		"ContentMD5": &in.ContentMD5, "CacheControl": &in.CacheControl, "ContentDisposition": &in.ContentDisposition,
		"ContentEncoding": &in.ContentEncoding, "ContentLanguage": &in.ContentLanguage, "ACL": &in.ACL,
		"GrantRead": &in.GrantRead, "StorageClass": &in.StorageClass, "Tagging": &in.Tagging,
		"WebsiteRedirectLocation": &in.WebsiteRedirectLocation, "ObjectLockLegalHoldStatus": &in.ObjectLockLegalHoldStatus,
		"ServerSideEncryption": &in.ServerSideEncryption, "SSEKMSKeyId": &in.SSEKMSKeyID,
		"SSEKMSEncryptionContext": &in.SSEKMSEncryptionContext, "SSECustomerAlgorithm": &in.SSECustomerAlgorithm,
		"SSECustomerKey": &in.SSECustomerKey, "SSECustomerKeyMD5": &in.SSECustomerKeyMD5,
		"ChecksumCRC32": &in.ChecksumCRC32, "ChecksumCRC32C": &in.ChecksumCRC32C, "ChecksumCRC64NVME": &in.ChecksumCRC64NVME,
		"ChecksumSHA1": &in.ChecksumSHA1, "ChecksumSHA256": &in.ChecksumSHA256, "ChecksumAlgorithm": &in.ChecksumAlgorithm,
		"ChecksumType": &in.ChecksumType, "ChecksumMode": &in.ChecksumMode, "RequestPayer": &in.RequestPayer,
		"ExpectedBucketOwner": &in.ExpectedBucketOwner, "MFA": &in.MFA,
	}
	for k, v := range m {
		if p, ok := strs[k]; ok {
			*p = str(v)
			continue
		}
		switch k {
		case "PartNumber":
			in.PartNumber = num(v)
		case "MaxParts":
			in.MaxParts = num(v)
		case "ContentLength":
			n := int64(num(v))
			in.ContentLength = &n
		case "BucketKeyEnabled":
			in.BucketKeyEnabled = boolp(v)
		case "BypassGovernanceRetention":
			in.BypassGovernanceRetention = boolp(v)
		case "ResponseExpires":
			ts, err := time.Parse(time.RFC3339, v.(string))
			if err != nil {
				if ts, err = time.Parse(time.RFC1123, v.(string)); err != nil {
					return nil, err
				}
			}
			in.ResponseExpires = ts
		case "Metadata":
			in.Metadata = map[string]string{}
			for mk, mv := range v.(map[string]any) {
				in.Metadata[mk] = mv.(string)
			}
		default:
			return nil, fmt.Errorf("param %s is not modelled by Input", k)
		}
	}
	return in, nil
}

func clientFor(t *testing.T, c *sdkCase, p Profile) (*Client, Options, error) {
	in := &c.Input
	addr := AddressingAuto
	if in.ForcePathStyle {
		addr = AddressingPath
	}
	if in.AddressingStyle == "virtual" {
		addr = AddressingVirtual
	}
	client, err := New(Config{
		Credentials: credentials.Static{AccessKeyID: in.Credentials.AccessKeyID, SecretAccessKey: in.Credentials.SecretAccessKey, SessionToken: in.Credentials.SessionToken},
		Region:      in.Region, Endpoint: in.Endpoint, Addressing: addr,
		UseDualStack: in.UseDualstack, UseAccelerate: in.UseAccelerate, Profile: p,
	})
	ts, perr := time.Parse(time.RFC3339, in.SigningDate)
	if perr != nil {
		t.Fatal(perr)
	}
	o := Options{
		SigningTime: ts, Expires: time.Duration(in.ExpiresIn) * time.Second,
		SignableHeaders: in.SignableHeaders, UnhoistableHeaders: in.UnhoistableHeaders, HoistableHeaders: in.HoistableHeaders,
	}
	if in.ExpiresIn == 0 && p == ProfileBotocore {
		o.Expires = time.Hour // botocore's default
	}
	return client, o, err
}

// headerMap is what the SDK vectors record: names as sent, plus host.
func headerMap(r Result) map[string]string {
	u, _ := url.Parse(r.URL)
	m := map[string]string{}
	for _, h := range r.Header {
		m[h.Name] = h.Value
	}
	if _, ok := m["host"]; !ok {
		m["host"] = u.Host
	}
	return m
}

func diffHeaders(got, want map[string]string) string {
	var keys []string
	seen := map[string]bool{}
	for k := range got {
		keys, seen[k] = append(keys, k), true
	}
	for k := range want {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if got[k] != want[k] {
			fmt.Fprintf(&b, "  %s: got %q want %q\n", k, got[k], want[k])
		}
	}
	return b.String()
}

// pathDeviations are the vectors where presign deliberately differs from
// the SDK. The JS presigner signs a request's path verbatim, so a path given
// raw (unencoded unicode and spaces) gives a URL that no HTTP client sends
// as it was signed: clients encode the path first, and S3 refuses it.
// presign encodes such a path, as S3 will see it. Each must still verify.
var pathDeviations = map[string]bool{
	"request-get-path-raw-unicode-and-dots":                true,
	"request-get-path-raw-unicode-and-dots-alt-2015-token": true,
}

// presignCase presigns c, the way the generator's SDK was called.
func presignCase(t *testing.T, c *sdkCase, client *Client, o Options) (Result, error) {
	if c.Input.Kind == "request" {
		return client.PresignHTTP(context.Background(), c.Input.Request.toHTTP(t), o)
	}
	in, err := inputFromParams(c.Input.Params)
	if err != nil {
		t.Fatal(err)
	}
	return client.Presign(context.Background(), Operation(c.Input.Operation), in, o)
}

// ambiguousPayload are JS vectors whose URL carries two payload hashes:
// a caller-set lower-case x-amz-content-sha256 (which JS signs) beside the
// presigner's X-Amz-Content-Sha256=UNSIGNED-PAYLOAD. presign reproduces the
// URL byte for byte, and its verifier refuses it as ambiguous.
var ambiguousPayload = map[string]bool{
	"request-put-preset-content-sha256-lowercase":                true,
	"request-put-preset-content-sha256-lowercase-alt-2015-token": true,
}

func runSDKVectors(t *testing.T, file string, p Profile, min int) {
	v := loadVectors(t, file)
	if len(v.Cases) < min {
		t.Fatalf("%s has %d cases, want at least %d", file, len(v.Cases), min)
	}
	verified := 0
	for i := range v.Cases {
		c := &v.Cases[i]
		t.Run(c.Name, func(t *testing.T) {
			client, o, err := clientFor(t, c, p)
			var res Result
			if err == nil {
				res, err = presignCase(t, c, client, o)
			}
			if err != nil && c.Output.Error == "" && c.Input.Credentials.SessionToken != "" &&
				strings.Contains(err.Error(), "longer than the credentials allow") {
				// The SDKs presign beyond what temporary credentials allow;
				// presign refuses by default (checked here) and reproduces
				// them byte for byte only when told to.
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
			if pathDeviations[c.Name] {
				r := c.Input.Request.toHTTP(t)
				gotPath, _, _ := strings.Cut(strings.SplitN(res.URL, "/", 4)[3], "?")
				if want := sigv4.Escape(r.URL.Path, true); "/"+gotPath != want {
					t.Errorf("path %s, want the encoded %s", gotPath, want)
				}
				if err := verifyURL(res.URL, res.Method, headerMap(res), c); err != nil {
					t.Errorf("presign's URL does not verify: %v", err)
				}
				return
			}
			if res.URL != c.Output.URL {
				t.Errorf("URL\n got %s\nwant %s", res.URL, c.Output.URL)
			}
			if res.Method != c.Output.Method {
				t.Errorf("method %s, want %s", res.Method, c.Output.Method)
			}
			got := headerMap(res)
			if p == ProfileBotocore {
				delete(got, "host") // botocore's recorded headers leave out host
			}
			if d := diffHeaders(got, c.Output.Headers); d != "" {
				t.Errorf("headers differ:\n%s", d)
			}
			// Every SDK-made URL verifies against the embedded verifier.
			err = verifyURL(c.Output.URL, c.Output.Method, c.Output.Headers, c)
			if ambiguousPayload[c.Name] {
				if err == nil || !strings.Contains(err.Error(), "payload hash") {
					t.Errorf("verifier accepted a URL with two payload hashes: %v", err)
				}
			} else if err != nil {
				t.Errorf("verifier refused the SDK's URL: %v", err)
			} else {
				verified++
			}
		})
	}
	t.Logf("%s: %d cases (%v)", file, len(v.Cases), v.SDK)
}

func (r *rawHTTP) toHTTP(t *testing.T) *http.Request {
	host := r.Hostname
	if r.Port != nil {
		host = fmt.Sprintf("%s:%d", host, *r.Port)
	}
	u := &url.URL{Scheme: strings.TrimSuffix(r.Protocol, ":"), Host: host}
	dec, err := url.PathUnescape(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	u.Path, u.RawPath = dec, r.Path
	q := url.Values{}
	for k, v := range r.Query {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	req := &http.Request{Method: r.Method, URL: u, Header: http.Header{}, Host: host}
	for k, v := range r.Headers {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header[k] = []string{v}
	}
	return req
}

// verifyURL checks a URL, with its headers, against sigv4.Verifier at the
// case's signing time.
func verifyURL(rawURL, method string, headers map[string]string, c *sdkCase) error {
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
		Now: func() time.Time { return ts },
	}
	_, err = v.Verify(r)
	return err
}

// TestJSVectors demands byte-identical URLs and headers to
// @aws-sdk/s3-request-presigner, from vectors conformance/js generated.
func TestJSVectors(t *testing.T) {
	runSDKVectors(t, "testdata/sdk/js-presign.json", ProfileJS, 300)
}

// TestBotocoreVectors demands byte-identical URLs and headers to botocore's
// generate_presigned_url, from vectors conformance/botocore generated.
func TestBotocoreVectors(t *testing.T) {
	runSDKVectors(t, "testdata/sdk/botocore-presign.json", ProfileBotocore, 100)
}
