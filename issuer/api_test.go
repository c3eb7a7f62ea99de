package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/sigv4"
)

var (
	t0        = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	testCreds = credentials.Static{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
)

const (
	webKey      = "psk_web_0123456789abcdef0123456789abcdef"
	reportsKey  = "psk_reports_0123456789abcdef0123456789"
	limitedKey  = "psk_limited_0123456789abcdef0123456789"
	testBucket  = "uploads"
	testSecret  = "0123456789abcdef0123456789abcdef-upload-secret"
	testBaseURL = "http://127.0.0.1:9000"
)

func testConfig() Config {
	return Config{
		Bucket:       testBucket,
		UploadSecret: []byte(testSecret),
		Tenants: []Tenant{
			{Name: "web", KeySHA256: HashKey(webKey), Prefix: "web", ContentTypes: []string{"image/*", "application/pdf"}, MaxSize: 10 << 30},
			{Name: "reports", KeySHA256: HashKey(reportsKey), Prefix: "tenants/reports", Operations: []string{OpDownload},
				MaxDownloadExpiry: 24 * time.Hour},
			{Name: "limited", KeySHA256: HashKey(limitedKey), Prefix: "limited", RateLimit: 1, Burst: 2},
		},
	}
}

// newTestServer returns the API with a presigner for endpoint and an audit
// log written to audit.
func newTestServer(t *testing.T, endpoint string, audit io.Writer) *Server {
	t.Helper()
	p, err := presign.New(presign.Config{Credentials: testCreds, Region: "us-east-1", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	if audit == nil {
		audit = io.Discard
	}
	s, err := New(Options{
		Config:  testConfig(),
		Backend: &Backend{Presigner: p, Bucket: testBucket, Now: func() time.Time { return t0 }},
		Audit:   slog.New(slog.NewJSONHandler(audit, nil)),
		Now:     func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func call(t *testing.T, h http.Handler, method, path, key, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.7:41000"
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestHostileRequests: each is refused with the right status, an error body
// and no URL.
func TestHostileRequests(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	forged := s.sealToken(&uploadToken{Key: "web/x/y", UploadID: "u", Client: "web", Size: 1, PartSize: 5 << 20, Expires: t0.Add(time.Hour).Unix()})
	forged = forged[:len(forged)-2] + "AA"
	otherClients := s.sealToken(&uploadToken{Key: "limited/x/y", UploadID: "u", Client: "limited", Size: 1, PartSize: 5 << 20, Expires: t0.Add(time.Hour).Unix()})
	expired := s.sealToken(&uploadToken{Key: "web/x/y", UploadID: "u", Client: "web", Size: 1, PartSize: 5 << 20, Expires: t0.Add(-time.Second).Unix()})
	up := func(fields string) string {
		return `{"filename":"cat.jpg","contentType":"image/jpeg","size":1000` + fields + `}`
	}
	tests := []struct {
		name         string
		method, path string
		key, body    string
		hdr          []string
		status       int
		code         Code
	}{
		{"no key", "POST", "/v1/uploads", "", up(""), nil, 401, "unauthorized"},
		{"basic auth", "POST", "/v1/uploads", "", up(""), []string{"Authorization", "Basic d2ViOnB3"}, 401, "unauthorized"},
		{"unknown key", "POST", "/v1/uploads", "psk_guess", up(""), nil, 401, "unauthorized"},
		{"key of another length", "POST", "/v1/uploads", webKey + "x", up(""), nil, 401, "unauthorized"},
		{"operation not allowed", "POST", "/v1/uploads", reportsKey, up(""), nil, 403, "forbidden"},
		{"multipart not allowed", "POST", "/v1/uploads/multipart", reportsKey, up(""), nil, 403, "forbidden"},
		{"not JSON", "POST", "/v1/uploads", webKey, "filename=cat.jpg", nil, 400, "invalid_json"},
		{"empty body", "POST", "/v1/uploads", webKey, "", nil, 400, "invalid_json"},
		{"truncated JSON", "POST", "/v1/uploads", webKey, `{"filename":"cat.jpg"`, nil, 400, "invalid_json"},
		{"unknown field", "POST", "/v1/uploads", webKey, up(`,"bucket":"other"`), nil, 400, "invalid_json"},
		{"key field smuggled", "POST", "/v1/uploads", webKey, up(`,"key":"tenants/reports/x"`), nil, 400, "invalid_json"},
		{"size as text", "POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":"ten"}`, nil, 400, "invalid_json"},
		{"size as float", "POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":1.5}`, nil, 400, "invalid_json"},
		{"filename as number", "POST", "/v1/uploads", webKey, `{"filename":7,"contentType":"image/jpeg","size":1}`, nil, 400, "invalid_json"},
		{"two JSON values", "POST", "/v1/uploads", webKey, up("") + up(""), nil, 400, "invalid_json"},
		{"text/plain body", "POST", "/v1/uploads", webKey, up(""), []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"body too large", "POST", "/v1/uploads", webKey, `{"filename":"` + strings.Repeat("a", 70000) + `","contentType":"image/jpeg","size":1}`, nil, 413, "request_too_large"},
		{"no size", "POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg"}`, nil, 400, "invalid_field"},
		{"negative size", "POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":-1}`, nil, 400, "invalid_field"},
		{"over the client's max size", "POST", "/v1/uploads/multipart", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":10737418241}`, nil, 413, "too_large"},
		{"over the multipart threshold", "POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":67108864}`, nil, 400, "use_multipart"},
		{"content type not allowed", "POST", "/v1/uploads", webKey, `{"filename":"a.html","contentType":"text/html","size":1}`, nil, 415, "content_type_not_allowed"},
		{"content type with parameters smuggling", "POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg\r\nx-amz-acl: public-read","size":1}`, nil, 400, "invalid_field"},
		{"content type malformed", "POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"jpeg","size":1}`, nil, 400, "invalid_field"},
		{"no filename", "POST", "/v1/uploads", webKey, `{"contentType":"image/jpeg","size":1}`, nil, 400, "invalid_field"},
		{"filename of only separators", "POST", "/v1/uploads", webKey, `{"filename":"../../","contentType":"image/jpeg","size":1}`, nil, 400, "invalid_field"},
		{"method GET", "POST", "/v1/uploads", webKey, up(`,"method":"GET"`), nil, 400, "invalid_field"},
		{"bad checksum", "POST", "/v1/uploads", webKey, up(`,"checksumSHA256":"abc"`), nil, 400, "invalid_field"},
		{"expiry over the maximum", "POST", "/v1/uploads", webKey, up(`,"expiresIn":86400`), nil, 400, "invalid_field"},
		{"negative expiry", "POST", "/v1/uploads", webKey, up(`,"expiresIn":-5`), nil, 400, "invalid_field"},
		{"download another tenant", "POST", "/v1/downloads", reportsKey, `{"key":"web/x/cat.jpg"}`, nil, 403, "invalid_key"},
		{"download look-alike prefix", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports-evil/x"}`, nil, 403, "invalid_key"},
		{"download Cyrillic look-alike", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/rеports/x"}`, nil, 403, "invalid_key"},
		{"download the prefix itself", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports"}`, nil, 403, "invalid_key"},
		{"download with ..", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/../../web/x"}`, nil, 400, "invalid_key"},
		{"download absolute", "POST", "/v1/downloads", reportsKey, `{"key":"/tenants/reports/x"}`, nil, 400, "invalid_key"},
		{"download backslash", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports\\..\\web"}`, nil, 400, "invalid_key"},
		{"download control byte", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/a\u0000b"}`, nil, 400, "invalid_key"},
		{"download NFD key", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/cafe\u0301"}`, nil, 400, "invalid_key"},
		{"download empty segment", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports//x"}`, nil, 400, "invalid_key"},
		{"download expiry over the maximum", "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/x","expiresIn":172800}`, nil, 400, "invalid_field"},
		{"builder: another tenant's key", "POST", "/v1/presign", webKey, `{"method":"GET","key":"tenants/reports/x"}`, nil, 403, "invalid_key"},
		{"builder: .. escape", "POST", "/v1/presign", webKey, `{"method":"GET","key":"web/../tenants/reports/x"}`, nil, 400, "invalid_key"},
		{"builder: DELETE not granted by default", "POST", "/v1/presign", webKey, `{"method":"DELETE","key":"web/x"}`, nil, 403, "forbidden"},
		{"builder: PUT for a download-only key", "POST", "/v1/presign", reportsKey, `{"method":"PUT","key":"tenants/reports/x","contentType":"text/plain","size":1}`, nil, 403, "forbidden"},
		{"builder: PUT without size", "POST", "/v1/presign", webKey, `{"method":"PUT","key":"web/x","contentType":"image/png"}`, nil, 400, "invalid_field"},
		{"builder: refused type", "POST", "/v1/presign", webKey, `{"method":"PUT","key":"web/x","contentType":"text/html","size":1}`, nil, 415, "content_type_not_allowed"},
		{"builder: header injection", "POST", "/v1/presign", webKey, `{"method":"PUT","key":"web/x","contentType":"image/png","size":1,"headers":{"x-amz-acl":"public-read"}}`, nil, 400, "invalid_field"},
		{"builder: unknown method", "POST", "/v1/presign", webKey, `{"method":"POST","key":"web/x"}`, nil, 400, "invalid_field"},
		{"inspect: not a presigned URL", "POST", "/v1/inspect", webKey, `{"url":"https://example.com/x"}`, nil, 422, "not_presigned"},
		// Inspecting needs no key (it reads only the URL): answered as for anyone.
		{"inspect: no key", "POST", "/v1/inspect", "", `{"url":"https://example.com/x"}`, nil, 422, "not_presigned"},
		{"inspect: a wrong key", "POST", "/v1/inspect", "psk_wrong", `{"url":"https://example.com/x"}`, nil, 401, "unauthorized"},
		{"forged upload id", "POST", "/v1/uploads/multipart/" + forged + "/parts", webKey, `{"partNumbers":[1]}`, nil, 404, "no_such_upload"},
		{"another client's upload id", "POST", "/v1/uploads/multipart/" + otherClients + "/parts", webKey, `{"partNumbers":[1]}`, nil, 404, "no_such_upload"},
		{"garbage upload id", "DELETE", "/v1/uploads/multipart/not-a-token", webKey, "", nil, 404, "no_such_upload"},
		{"expired upload id", "POST", "/v1/uploads/multipart/" + expired + "/complete", webKey, `{"parts":[]}`, nil, 410, "upload_expired"},
		{"part out of range", "POST", "/v1/uploads/multipart/" + s.sealToken(&uploadToken{Key: "web/x/y", UploadID: "u", Client: "web", Size: 1, PartSize: 5 << 20, Expires: t0.Add(time.Hour).Unix()}) + "/parts", webKey, `{"partNumbers":[2]}`, nil, 400, "invalid_field"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d hostile requests", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := call(t, s, tt.method, tt.path, tt.key, tt.body, tt.hdr...)
			var body struct {
				Error *Error `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == nil {
				t.Fatalf("status %d, body %q: not an error body", w.Code, w.Body)
			}
			if w.Code != tt.status || body.Error.Code != tt.code {
				t.Errorf("got %d %s (%s), want %d %s", w.Code, body.Error.Code, body.Error.Message, tt.status, tt.code)
			}
			if strings.Contains(w.Body.String(), "X-Amz-Signature=") || strings.Contains(w.Body.String(), `"url"`) {
				t.Errorf("error answer carries a URL: %s", w.Body)
			}
			if body.Error.Message == "" {
				t.Error("empty message")
			}
			if (body.Error.Code == CodeInvalidField) != (body.Error.Field != "") {
				t.Errorf("code %s with field %q: invalid_field, and only it, names the field", body.Error.Code, body.Error.Field)
			}
		})
	}
	// Methods and paths the API does not have.
	if w := call(t, s, "GET", "/v1/uploads", webKey, ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/uploads: %d", w.Code)
	}
	if w := call(t, s, "POST", "/v1/nothing", webKey, "{}"); w.Code != http.StatusNotFound {
		t.Errorf("POST /v1/nothing: %d", w.Code)
	}
}

// TestCurlDefaultContentType: "curl -d '{...}'" sends
// application/x-www-form-urlencoded; the API takes JSON only and says
// which header to add, for that and for a body with no type.
func TestCurlDefaultContentType(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	body := `{"filename":"a.png","contentType":"image/png","size":5}`
	for ct, want := range map[string]string{
		"application/x-www-form-urlencoded": `not Content-Type \"application/x-www-form-urlencoded\"`,
		"":                                  "not no Content-Type",
		"text/plain":                        `not Content-Type \"text/plain\"`,
	} {
		w := call(t, s, "POST", "/v1/uploads", webKey, body, "Content-Type", ct)
		full := `{"error":{"code":"unsupported_media_type","message":"send the body as JSON with Content-Type: application/json (curl: -H 'Content-Type: application/json'), ` + want + `"}}`
		if got := strings.TrimSpace(w.Body.String()); w.Code != 415 || got != full {
			t.Errorf("Content-Type %q: %d %s\nwant 415 %s", ct, w.Code, got, full)
		}
	}
	if w := call(t, s, "POST", "/v1/uploads", webKey, body, "Content-Type", "application/json; charset=utf-8"); w.Code != 200 {
		t.Errorf("application/json with a charset: %d %s", w.Code, w.Body)
	}
}

func TestRateLimit(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	body := `{"filename":"a.txt","contentType":"text/plain","size":1}`
	codes := []int{}
	for range 4 {
		codes = append(codes, call(t, s, "POST", "/v1/uploads", limitedKey, body).Code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[3] != http.StatusTooManyRequests {
		t.Errorf("codes %v, want two 200 then 429", codes)
	}
}

// verifyIssued checks a URL the API issued against the verifier, sending
// the headers it said to send.
func verifyIssued(t *testing.T, method, rawURL string, headers map[string]string) *sigv4.Auth {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	v := &sigv4.Verifier{
		Lookup: func(id string) (sigv4.Credentials, bool) {
			return sigv4.Credentials(testCreds), id == testCreds.AccessKeyID
		},
		Now: func() time.Time { return t0 },
	}
	a, err := v.Verify(r)
	if err != nil {
		t.Fatalf("issued URL does not verify: %v\n%s", err, rawURL)
	}
	return a
}

func TestUploadPUT(t *testing.T) {
	var audit bytes.Buffer
	s := newTestServer(t, testBaseURL, &audit)
	w := call(t, s, "POST", "/v1/uploads", webKey, `{"filename":"../../etc/My Cat.jpg","contentType":"image/jpeg","size":48213,"checksumSHA256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var res UploadResponse
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Key, "web/") || !strings.HasSuffix(res.Key, "/My Cat.jpg") || CheckKey("web", res.Key) != nil {
		t.Errorf("key %q", res.Key)
	}
	if res.Method != "PUT" || res.ExpiresIn != 900 || !res.ExpiresAt.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("method %s, expires %d %v", res.Method, res.ExpiresIn, res.ExpiresAt)
	}
	want := map[string]string{"Content-Type": "image/jpeg", "Content-Length": "48213", "X-Amz-Checksum-Sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
	for k, v := range want {
		if res.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, res.Headers[k], v)
		}
	}
	a := verifyIssued(t, "PUT", res.URL, res.Headers)
	signed := strings.Join(a.SignedHeaders, ";")
	if signed != "content-length;content-type;host;x-amz-checksum-sha256" {
		t.Errorf("signed headers %s: type, size and checksum must all be signed", signed)
	}
	// The audit line: client, operation, key, expiry, remote; no secrets.
	var line map[string]any
	if err := json.Unmarshal(audit.Bytes(), &line); err != nil {
		t.Fatalf("audit %q: %v", audit.String(), err)
	}
	if line["client"] != "web" || line["operation"] != "PutObject" || line["key"] != res.Key || line["remote"] != "192.0.2.7" || line["expiresAt"] == nil {
		t.Errorf("audit line %v", line)
	}
	for _, secret := range []string{"X-Amz-Signature", testCreds.SecretAccessKey, webKey, "http://"} {
		if strings.Contains(audit.String(), secret) {
			t.Errorf("audit log contains %q", secret)
		}
	}
}

func TestUploadPOST(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	w := call(t, s, "POST", "/v1/uploads", webKey, `{"filename":"report.pdf","contentType":"application/pdf","size":1024,"method":"POST"}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var res struct {
		Key    string            `json:"key"`
		Method string            `json:"method"`
		URL    string            `json:"url"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Method != "POST" || res.URL != testBaseURL+"/"+testBucket || res.Fields["key"] != res.Key {
		t.Fatalf("%+v", res)
	}
	p, err := postpolicy.Parse(res.Fields["Policy"])
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(p)
	for _, want := range []string{`["content-length-range",1024,1024]`, `"Content-Type":"application/pdf"`, `"key":"` + res.Key + `"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("policy %s lacks %s", doc, want)
		}
	}
}

func TestDownload(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	w := call(t, s, "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/2026/q1.pdf","filename":"Q1 \"final\".pdf","expiresIn":7200}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var res DownloadResponse
	json.Unmarshal(w.Body.Bytes(), &res)
	if res.ExpiresIn != 7200 || res.Method != "GET" {
		t.Errorf("%+v", res)
	}
	verifyIssued(t, "GET", res.URL, nil)
	u, _ := url.Parse(res.URL)
	if got := u.Query().Get("response-content-disposition"); got != `attachment; filename="Q1 final.pdf"` {
		t.Errorf("content disposition %q", got)
	}
	// Default expiry: one hour.
	w = call(t, s, "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/x"}`)
	json.Unmarshal(w.Body.Bytes(), &res)
	if res.ExpiresIn != 3600 {
		t.Errorf("default download expiry %d", res.ExpiresIn)
	}
}

func TestPresignBuilder(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	w := call(t, s, "POST", "/v1/presign", webKey, `{"method":"PUT","key":"web/docs/a.pdf","contentType":"application/pdf","size":10,"headers":{"X-Amz-Meta-Owner":"ann"},"expiresIn":300}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var res PresignResponse
	json.Unmarshal(w.Body.Bytes(), &res)
	if res.Method != "PUT" || res.ExpiresIn != 300 || !strings.Contains(res.URL, "x-amz-meta-owner=ann") {
		t.Errorf("%+v", res)
	}
	verifyIssued(t, "PUT", res.URL, res.Headers)
	w = call(t, s, "POST", "/v1/presign", webKey, `{"method":"HEAD","key":"web/docs/a.pdf"}`)
	json.Unmarshal(w.Body.Bytes(), &res)
	if w.Code != 200 || res.Method != "HEAD" || res.ExpiresIn != 3600 {
		t.Fatalf("HEAD: %d %s", w.Code, w.Body)
	}
	verifyIssued(t, "HEAD", res.URL, nil)
}

func TestInspectEndpoint(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	w := call(t, s, "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/q1.pdf"}`)
	var d DownloadResponse
	json.Unmarshal(w.Body.Bytes(), &d)
	w = call(t, s, "POST", "/v1/inspect", reportsKey, `{"url":"`+d.URL+`"}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var in struct {
		Bucket, Key, Operation, Status string
		SecondsLeft                    int64
		Parameters                     []map[string]any `json:"parameters"`
	}
	json.Unmarshal(w.Body.Bytes(), &in)
	if in.Bucket != testBucket || in.Key != "tenants/reports/q1.pdf" || in.Operation != "GetObject" || in.SecondsLeft != 3600 || len(in.Parameters) < 6 {
		t.Errorf("%s", w.Body)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	if w := call(t, s, "GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("healthz %d", w.Code)
	}
	call(t, s, "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/x"}`)
	call(t, s, "POST", "/v1/downloads", "nope", `{}`)
	w := call(t, s, "GET", "/metrics", "", "")
	for _, want := range []string{
		`presign_urls_issued_total{client="reports",operation="GetObject"} 1`,
		`presign_errors_total{code="unauthorized"} 1`,
		`presign_http_requests_total{code="200",route="POST /v1/downloads"} 1`,
		`presign_http_request_duration_seconds_bucket{route="POST /v1/downloads"`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Storage unreachable: not ready.
	dead := newTestServer(t, "http://127.0.0.1:1", nil)
	if w := call(t, dead, "GET", "/readyz", "", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with no storage: %d", w.Code)
	}
}

func TestCORS(t *testing.T) {
	cfg := testConfig()
	cfg.CORSOrigins = []string{"https://app.example.com"}
	p, _ := presign.New(presign.Config{Credentials: testCreds, Region: "us-east-1", Endpoint: testBaseURL})
	s, err := New(Options{Config: cfg, Backend: &Backend{Presigner: p, Bucket: testBucket}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("OPTIONS", "/v1/uploads", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "POST")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight %d %v", w.Code, w.Header())
	}
	r.Header.Set("Origin", "https://evil.example.com")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS allowed an unlisted origin")
	}
	want := `{"error":{"code":"forbidden","message":"the origin https://evil.example.com may not call this API; allow it with --cors-origin https://evil.example.com (cors_origins in the config, PRESIGN_CORS_ORIGINS)"}}`
	if got := strings.TrimSpace(w.Body.String()); w.Code != 403 || got != want {
		t.Errorf("refused preflight: %d %s\nwant 403 %s", w.Code, got, want)
	}
}

// TestMetricsStandardCollectors: /metrics has the Go runtime's and the
// process's standard metrics beside the API's.
func TestMetricsStandardCollectors(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	w := call(t, s, "GET", "/metrics", "", "")
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if !strings.Contains(w.Body.String(), "\n"+name+" ") {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestOpenAPIMatchesRoutes: every route the server has is in the OpenAPI
// document with its method, and every documented path answers.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	w := call(t, s, "GET", "/openapi.json", "", "")
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v %q", err, doc.OpenAPI)
	}
	routes := []string{"POST /v1/uploads", "POST /v1/uploads/multipart", "POST /v1/uploads/multipart/{id}/parts",
		"POST /v1/uploads/multipart/{id}/complete", "DELETE /v1/uploads/multipart/{id}", "GET /v1/uploads/multipart/{id}", "POST /v1/downloads",
		"POST /v1/presign", "POST /v1/inspect", "POST /v1/session", "DELETE /v1/session", "POST /v1/uppy/sign", "POST /v1/uppy/complete/{token}",
		"GET /s3/params", "POST /s3/multipart", "GET /s3/multipart/{id}", "DELETE /s3/multipart/{id}",
		"GET /s3/multipart/{id}/batch", "GET /s3/multipart/{id}/{part}", "POST /s3/multipart/{id}/complete", "GET /s3/sts",
		"DELETE /v1/grants/{id}", "POST /v1/grants/revoke", "GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json"}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for m := range ops {
			if m != "parameters" {
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	for _, r := range routes {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
		delete(documented, r)
		method, path, _ := strings.Cut(r, " ")
		path = strings.NewReplacer("{id}", "x", "{part}", "1", "{token}", "x").Replace(path)
		if w := call(t, s, method, path, "", ""); w.Code == http.StatusNotFound && !strings.Contains(path, "/x") || w.Code == http.StatusMethodNotAllowed {
			t.Errorf("route %s answers %d", r, w.Code)
		}
	}
	for r := range documented {
		t.Errorf("openapi.json documents %s, which the server does not have", r)
	}
}

func TestConfigValidate(t *testing.T) {
	good := testConfig()
	if errs := good.Validate(); errs != nil {
		t.Fatalf("good config: %v", errs)
	}
	bad := Config{
		UploadSecret: []byte("short"),
		PartSize:     1 << 20,
		Tenants: []Tenant{
			{Name: "a", KeySHA256: "nothex", Prefix: "/abs", Operations: []string{"remove"}, ContentTypes: []string{"jpeg"}},
			{Name: "a", KeySHA256: HashKey("k"), Prefix: "shared", UploadExpiry: 8 * 24 * time.Hour, RateLimit: 5},
			{Name: "", KeySHA256: HashKey("k"), Prefix: "shared/sub"},
		},
	}
	errs := bad.Validate()
	text := ""
	for _, e := range errs {
		text += e.Error() + "\n"
	}
	for _, want := range []string{"bucket is empty", "upload secret is 5 bytes", "below S3's 5 MiB", "key_sha256 must be",
		"must not start or end with '/'", `unknown operation "remove"`, `content type "jpeg"`, "name is used twice",
		"upload_expiry", "burst", "has no name", "key is used by another client", "overlaps"} {
		if !strings.Contains(text, want) {
			t.Errorf("Validate lacks %q:\n%s", want, text)
		}
	}
}

// TestExpiresInOutOfRange: expiresIn is checked as an integer before it
// becomes a duration: values that would wrap, negative ones, and numbers
// beyond int64 are all 400 with a message naming the allowed range and the
// number as sent, on every route that takes it (issue 9, defect 4). The
// multipart routes take no expiresIn at all.
func TestExpiresInOutOfRange(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	token := s.sealToken(&uploadToken{Key: "web/u/a.jpg", UploadID: "u", Client: "web", Size: 1, PartSize: 5 << 20,
		Type: "image/jpeg", Expires: t0.Add(time.Hour).Unix()})
	routes := []struct {
		name, path, key, body string
		ranged                bool // the message names the client's range
	}{
		{"uploads", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":5,"expiresIn":%s}`, true},
		{"uploads POST", "/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":5,"method":"POST","expiresIn":%s}`, true},
		{"downloads", "/v1/downloads", reportsKey, `{"key":"tenants/reports/x","expiresIn":%s}`, true},
		{"presign GET", "/v1/presign", webKey, `{"method":"GET","key":"web/x","expiresIn":%s}`, true},
		{"presign PUT", "/v1/presign", webKey, `{"method":"PUT","key":"web/x","contentType":"image/png","size":1,"expiresIn":%s}`, true},
		{"multipart", "/v1/uploads/multipart", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":5,"expiresIn":%s}`, false},
		{"multipart parts", "/v1/uploads/multipart/" + token + "/parts", webKey, `{"partNumbers":[1],"expiresIn":%s}`, false},
	}
	values := []string{"18446744075", "36028797018967568", "-9223372036854775808", "9223372036854775807", "-1",
		"604801", "18446744073709551616", "1e30", "-1e300", "3600.5"}
	for _, rt := range routes {
		for _, v := range values {
			t.Run(rt.name+"/"+v, func(t *testing.T) {
				w := call(t, s, "POST", rt.path, rt.key, strings.Replace(rt.body, "%s", v, 1))
				var body struct{ Error *Error }
				json.Unmarshal(w.Body.Bytes(), &body)
				if w.Code != http.StatusBadRequest || body.Error == nil {
					t.Fatalf("%d %s, want 400", w.Code, w.Body)
				}
				msg := body.Error.Message
				if rt.ranged && (!strings.Contains(msg, "expiresIn "+v+" is out of range") || !strings.Contains(msg, " to ")) {
					t.Errorf("message %q does not name %s and the range", msg, v)
				}
				if !strings.Contains(msg, "expiresIn") {
					t.Errorf("message %q does not name expiresIn", msg)
				}
			})
		}
	}
	// 0 is the default; the range's ends are accepted.
	for _, tt := range []struct {
		path, key, body string
		want            int64
	}{
		{"/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":5,"expiresIn":0}`, 900},
		{"/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":5,"expiresIn":1}`, 1},
		{"/v1/uploads", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":5,"expiresIn":900}`, 900},
		{"/v1/downloads", reportsKey, `{"key":"tenants/reports/x","expiresIn":0}`, 3600},
		{"/v1/downloads", reportsKey, `{"key":"tenants/reports/x","expiresIn":86400}`, 86400},
		{"/v1/presign", webKey, `{"method":"GET","key":"web/x","expiresIn":604800}`, 604800},
	} {
		w := call(t, s, "POST", tt.path, tt.key, tt.body)
		var out struct{ ExpiresIn int64 }
		if json.Unmarshal(w.Body.Bytes(), &out); w.Code != 200 || out.ExpiresIn != tt.want {
			t.Errorf("%s %s: %d %s, want expiresIn %d", tt.path, tt.body, w.Code, w.Body, tt.want)
		}
	}
}

// TestBearerSchemeCase: the authentication scheme is case-insensitive
// (RFC 7235, section 2.1); the token is not.
func TestBearerSchemeCase(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	body := `{"key":"tenants/reports/x"}`
	for _, tt := range []struct {
		auth string
		want int
	}{
		{"Bearer " + reportsKey, 200},
		{"bearer " + reportsKey, 200},
		{"BEARER " + reportsKey, 200},
		{"bEaReR   " + reportsKey + " ", 200},
		{"Bearer " + strings.ToUpper(reportsKey), 401},
		{"Bearer" + reportsKey, 401},
		{"Bearer ", 401},
		{"Basic " + reportsKey, 401},
		{reportsKey, 401},
	} {
		if w := call(t, s, "POST", "/v1/downloads", "", body, "Authorization", tt.auth); w.Code != tt.want {
			t.Errorf("Authorization %q: %d %s, want %d", tt.auth, w.Code, w.Body, tt.want)
		}
	}
}

// TestMetricsProtection: with a metrics token, /metrics answers only to
// it; with NoMetricsRoute, the API does not serve /metrics at all and
// MetricsHandler does.
func TestMetricsProtection(t *testing.T) {
	p, _ := presign.New(presign.Config{Credentials: testCreds, Region: "us-east-1", Endpoint: testBaseURL})
	const token = "metrics-token-0123456789"
	s, err := New(Options{Config: testConfig(), Backend: &Backend{Presigner: p, Bucket: testBucket}, MetricsToken: token})
	if err != nil {
		t.Fatal(err)
	}
	call(t, s, "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/x"}`)
	for _, tt := range []struct {
		auth string
		want int
	}{
		{"", 401}, {"Bearer wrong", 401}, {"Bearer " + reportsKey, 401}, {"Bearer " + token + "x", 401},
		{"Bearer " + token, 200}, {"bearer " + token, 200},
	} {
		w := call(t, s, "GET", "/metrics", "", "", "Authorization", tt.auth)
		if w.Code != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.auth, w.Code, tt.want)
		}
		if named := strings.Contains(w.Body.String(), `client="reports"`); named != (tt.want == 200) {
			t.Errorf("Authorization %q: the answer names clients: %v", tt.auth, named)
		}
		if tt.want == 401 && w.Header().Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	}

	s, err = New(Options{Config: testConfig(), Backend: &Backend{Presigner: p, Bucket: testBucket}, NoMetricsRoute: true})
	if err != nil {
		t.Fatal(err)
	}
	call(t, s, "POST", "/v1/downloads", reportsKey, `{"key":"tenants/reports/x"}`)
	if w := call(t, s, "GET", "/metrics", "", ""); w.Code != http.StatusNotFound {
		t.Errorf("/metrics on the API with NoMetricsRoute: %d", w.Code)
	}
	w := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "presign_http_requests_total") {
		t.Errorf("MetricsHandler: %d %.200s", w.Code, w.Body)
	}
}

// TestErrorCodes: every code has its status in the one table, and the
// OpenAPI document lists exactly the codes the server has.
func TestErrorCodes(t *testing.T) {
	for c, status := range statuses {
		if c.Status() != status || status < 400 {
			t.Errorf("%s: status %d", c, c.Status())
		}
	}
	if got := Code("no_such_code").Status(); got != http.StatusInternalServerError {
		t.Errorf("unknown code: %d", got)
	}
	outside := keyErr(CheckKey("web", "other/x"))
	malformed := keyErr(CheckKey("web", "web//x"))
	if outside.Status() != http.StatusForbidden || malformed.Status() != http.StatusBadRequest ||
		outside.Code != CodeInvalidKey || malformed.Code != CodeInvalidKey || outside.Message != `key is outside your prefix "web/"` {
		t.Errorf("invalid_key: outside %d %+v, malformed %d %+v", outside.Status(), outside, malformed.Status(), malformed)
	}
	if outside.Err != nil || malformed.Err != nil {
		t.Error("a refused key has a cause to log")
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []Code `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[Code]bool{}
	for _, c := range doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum {
		documented[c] = true
		if _, ok := statuses[c]; !ok {
			t.Errorf("openapi.json lists code %s, which has no status", c)
		}
	}
	for c := range statuses {
		if !documented[c] {
			t.Errorf("code %s is not in openapi.json", c)
		}
	}
}

// TestRouteLogsOnce: the route adapter writes every error and logs its
// cause once, redacted; a plain refusal is not logged, and an error that
// is not an *Error is answered 500 internal without its text.
func TestRouteLogsOnce(t *testing.T) {
	var log syncBuffer
	p, _ := presign.New(presign.Config{Credentials: testCreds, Region: "us-east-1", Endpoint: testBaseURL})
	s, err := New(Options{Config: testConfig(), Backend: &Backend{Presigner: p, Bucket: testBucket},
		Log: slog.New(slog.NewJSONHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "https://b.s3.amazonaws.com/k?X-Amz-Signature=0123456789abcdef"
	for _, tt := range []struct {
		name   string
		err    error
		status int
		code   Code
		logged string // the level of the one log line, or "" for none
	}{
		{"plain error", errors.New("boom: " + secret), 500, CodeInternal, "ERROR"},
		{"refusal", invalidField("size", "size is wrong"), 400, CodeInvalidField, ""},
		{"refusal with a cause", withCause(apiErr(CodeNoSuchUpload, "gone"), errors.New("storage: "+secret)), 404, CodeNoSuchUpload, "INFO"},
		{"wrapped", fmt.Errorf("wrapped: %w", withCause(apiErr(CodeBackendTimeout, "slow"), errors.New("timeout"))), 504, CodeBackendTimeout, "WARN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(logRecords(t, log.String()))
			h := s.route("test", func(http.ResponseWriter, *http.Request) error { return tt.err })
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			var body struct{ Error *Error }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == nil || w.Code != tt.status || body.Error.Code != tt.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tt.status, tt.code)
			}
			if strings.Contains(w.Body.String(), "boom") || strings.Contains(w.Body.String(), "storage:") {
				t.Errorf("the answer carries the cause: %s", w.Body)
			}
			recs := logRecords(t, log.String())[before:]
			switch {
			case tt.logged == "" && len(recs) != 0:
				t.Errorf("a plain refusal logged: %v", recs)
			case tt.logged != "" && (len(recs) != 1 || recs[0]["level"] != tt.logged || recs[0]["code"] != string(tt.code)):
				t.Errorf("log %v, want one %s line", recs, tt.logged)
			}
			if strings.Contains(log.String(), "0123456789abcdef") {
				t.Errorf("the log carries a signature: %s", log.String())
			}
		})
	}
}

// TestErrorGolden pins, word for word, the answers to requests a user gets
// wrong: each is JSON with a code and a message that says the fix.
func TestErrorGolden(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		want                     string
		allow                    string
	}{
		{"a near miss of a field", "POST", "/v1/downloads", `{"key":"web/a.png","expires":60}`, 400,
			`{"error":{"code":"invalid_json","message":"unknown field \"expires\"; did you mean \"expiresIn\"?"}}`, ""},
		{"a field in another case", "POST", "/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`, 400,
			`{"error":{"code":"invalid_json","message":"unknown field \"fileName\"; did you mean \"filename\"?"}}`, ""},
		{"an unknown field", "POST", "/v1/downloads", `{"key":"web/a.png","bucket":"other"}`, 400,
			`{"error":{"code":"invalid_json","message":"unknown field \"bucket\"; the fields are key, filename, expiresIn, singleUse, maxUses"}}`, ""},
		{"a field given twice", "POST", "/v1/uploads", `{"filename":"a.png","contentType":"image/png","size":1,"size":2}`, 400,
			`{"error":{"code":"invalid_json","message":"field \"size\" is given twice; give each field once"}}`, ""},
		{"a fractional size", "POST", "/v1/uploads", `{"filename":"a.png","contentType":"image/png","size":1.5}`, 400,
			`{"error":{"code":"invalid_json","message":"field \"size\" must be a whole number of bytes, not 1.5"}}`, ""},
		{"an array body", "POST", "/v1/uploads", `[]`, 400,
			`{"error":{"code":"invalid_json","message":"the body must be a JSON object, such as {\"filename\": ...}"}}`, ""},
		{"GET on a POST route", "GET", "/v1/uploads", ``, 405,
			`{"error":{"code":"method_not_allowed","message":"GET is not a method of /v1/uploads; it takes POST"}}`, "POST"},
		{"an unknown route", "POST", "/v1/nothing", `{}`, 404,
			`{"error":{"code":"not_found","message":"no route POST /v1/nothing; the routes are listed in /openapi.json"}}`, ""},
		{"a lower-case method", "POST", "/v1/presign", `{"method":"get","key":"web/a.png"}`, 400,
			`{"error":{"code":"invalid_field","message":"method \"get\" must be upper case: \"GET\"","field":"method"}}`, ""},
		{"a dot-dot upload id", "POST", "/v1/uploads/multipart/../complete", `{}`, 400,
			`{"error":{"code":"invalid_path","message":"the path \"/v1/uploads/multipart/../complete\" has '.', '..' or empty segments, or a trailing '/'; an upload id or key in a path is never one of those"}}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://127.0.0.1:8080/", strings.NewReader(tt.body))
			r.URL.Path, r.URL.RawPath = tt.path, "" // as sent, not cleaned
			r.Header.Set("Authorization", "Bearer "+webKey)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if got := strings.TrimSpace(w.Body.String()); w.Code != tt.status || got != tt.want || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("got %d %s\nwant %d %s", w.Code, got, tt.status, tt.want)
			}
			if w.Header().Get("Allow") != tt.allow {
				t.Errorf("Allow %q, want %q", w.Header().Get("Allow"), tt.allow)
			}
		})
	}
}

// TestHealthzVersion: GET /healthz reports the service's version.
func TestHealthzVersion(t *testing.T) {
	p, err := presign.New(presign.Config{Credentials: testCreds, Region: "us-east-1", Endpoint: testBaseURL})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: testConfig(), Backend: &Backend{Presigner: p, Bucket: testBucket}, Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	w := call(t, s, "GET", "/healthz", "", "")
	if got := strings.TrimSpace(w.Body.String()); w.Code != 200 || got != `{"status":"ok","version":"v1.2.3"}` {
		t.Errorf("/healthz: %d %s", w.Code, got)
	}
}

// TestInspectWithoutKey: POST /v1/inspect answers without an API key, under
// one rate limit for all such requests, with a body bound.
func TestInspectWithoutKey(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	w := call(t, s, "POST", "/v1/inspect", "", `{"url":"https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"}`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"bucket":"examplebucket"`) {
		t.Fatalf("inspect without a key: %d %s", w.Code, w.Body)
	}
	limited := 0
	for range anonymousBurst + 5 {
		if w := call(t, s, "POST", "/v1/inspect", "", `{"url":"x"}`); w.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("no anonymous request was rate limited")
	}
	if w := call(t, s, "POST", "/v1/inspect", webKey, `{"url":"x"}`); w.Code == http.StatusTooManyRequests {
		t.Error("a request with a key counted against the anonymous limit")
	}
}

// TestGrantsOnS3: on a store that cannot enforce grants, every URL still
// carries one (S3 ignores it), but a single-use or use-limited URL and
// revocations are refused with grants_unsupported, saying why.
func TestGrantsOnS3(t *testing.T) {
	s := newTestServer(t, testBaseURL, nil)
	w := call(t, s, "POST", "/v1/downloads", webKey, `{"key":"web/a.pdf"}`)
	var d DownloadResponse
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &d) != nil || d.Grant == "" || !strings.Contains(d.URL, "presign-grant="+d.Grant) {
		t.Fatalf("download: %d %s", w.Code, w.Body)
	}
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/v1/downloads", `{"key":"web/a.pdf","singleUse":true}`},
		{"POST", "/v1/uploads", `{"filename":"a.pdf","contentType":"application/pdf","size":5,"maxUses":2}`},
		{"DELETE", "/v1/grants/" + d.Grant, ""},
		{"POST", "/v1/grants/revoke", `{}`},
	} {
		w := call(t, s, tt.method, tt.path, webKey, tt.body)
		if w.Code != http.StatusNotImplemented || !strings.Contains(w.Body.String(), `"grants_unsupported"`) || !strings.Contains(w.Body.String(), "embedded store") {
			t.Errorf("%s %s %s: %d %s", tt.method, tt.path, tt.body, w.Code, w.Body)
		}
	}
}
