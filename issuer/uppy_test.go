package issuer_test

// Tests of Uppy's routes (uppy.go) against real components: the embedded
// store (objstore/disk behind s3server) on a loopback listener, its issuer
// Backend, and the API on stack.Mux, as presign serve wires them. Every S3
// request is sent with net/http to the URL the API returned, as the
// browser would, and stored bytes are compared by downloading the object.
//
// The shapes checked come from @uppy/aws-s3 6.3.1 (src/s3-client/
// CompanionS3.ts, S3mini.ts, types.ts, utils.ts) and @uppy/companion 6.2.2
// (src/server/controllers/s3.js); each test names the one it follows.

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presign-dev/presign/internal/stack"
	"github.com/presign-dev/presign/issuer"
	"github.com/presign-dev/presign/sigv4"
)

const (
	uppyWebKey   = "psk_uppy_web_0123456789abcdef0123456789ab"
	uppyOtherKey = "psk_uppy_other_0123456789abcdef01234567"
	uppySmallKey = "psk_uppy_small_0123456789abcdef01234567"
	uppyNoMPKey  = "psk_uppy_nomp_0123456789abcdef012345678"
	uppyAdminKey = "psk_uppy_admin_0123456789abcdef01234567"
	uppyBucket   = "uploads"
	mib          = 1 << 20
	// smallLimit is the "small" tenant's MaxSize.
	smallLimit = 6 * mib
)

// uuidRe matches the unique id in an upload key.
const uuidRe = `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`

// testClock is the API's clock: the real time plus an offset a test may
// move. The store and the Backend keep the real time.
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time      { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) Set(d time.Duration) { c.off.Store(int64(d)) }

// storeHook, when set, handles the store's requests in place of the
// store's handler, which it gets as next.
type storeHook func(w http.ResponseWriter, r *http.Request, next http.Handler)

type uppyEnv struct {
	api     string // the API's base URL, http://127.0.0.1:port
	backend *issuer.Backend
	clock   *testClock
	hook    atomic.Pointer[storeHook]
}

// newUppyEnv starts the embedded store and the API with four tenants:
//
//	web    prefix web, image/* and text/plain, 12 MiB, upload+multipart+download (no delete)
//	other  prefix other, any type and size, all four rights (delete too)
//	small  prefix small, any type, 6 MiB, the default rights (no delete)
//	nomp   prefix nomp, upload and download only (no multipart)
func newUppyEnv(t *testing.T) *uppyEnv {
	t.Helper()
	e := &uppyEnv{clock: &testClock{}}
	local, err := stack.OpenLocal(context.Background(), stack.LocalConfig{Dir: t.TempDir(), Bucket: uppyBucket,
		Credentials: sigv4.Credentials{AccessKeyID: "AKIDUPPYTEST", SecretAccessKey: "uppy-test-secret-key-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	store := local.Handler
	local.Server.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := e.hook.Load(); h != nil {
			(*h)(w, r, store)
			return
		}
		store.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		local.Close()
		t.Fatal(err)
	}
	go local.Serve(ln)
	t.Cleanup(func() {
		local.Server.Close()
		local.Close()
	})
	if e.backend, err = local.Backend("http://"+ln.Addr().String(), 0); err != nil {
		t.Fatal(err)
	}
	api, err := issuer.New(issuer.Options{
		Config: issuer.Config{
			Bucket:       uppyBucket,
			UploadSecret: []byte("uppy-test-upload-secret-0123456789abcdef"),
			Tenants: []issuer.Tenant{
				{Name: "web", KeySHA256: issuer.HashKey(uppyWebKey), Prefix: "web", ContentTypes: []string{"image/*", "text/plain"},
					MaxSize: 12 * mib, Operations: []string{issuer.OpUpload, issuer.OpMultipart, issuer.OpDownload}},
				{Name: "other", KeySHA256: issuer.HashKey(uppyOtherKey), Prefix: "other",
					Operations: []string{issuer.OpUpload, issuer.OpMultipart, issuer.OpDownload, issuer.OpDelete}},
				{Name: "small", KeySHA256: issuer.HashKey(uppySmallKey), Prefix: "small", MaxSize: smallLimit},
				{Name: "nomp", KeySHA256: issuer.HashKey(uppyNoMPKey), Prefix: "nomp", Operations: []string{issuer.OpUpload, issuer.OpDownload}},
				{Name: "admin", KeySHA256: issuer.HashKey(uppyAdminKey), Prefix: "admin", Operations: []string{issuer.OpAdmin}},
			},
		},
		Backend: e.backend,
		Now:     e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stack.Mux(api, http.NotFoundHandler()))
	t.Cleanup(srv.Close)
	e.api = srv.URL
	return e
}

// reply is an answer of the API or the store.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// send sends a request with hdr (name, value pairs) and reads the answer.
func send(t *testing.T, method, u string, body io.Reader, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{res.StatusCode, res.Header, b}
}

// call sends an API request as @uppy/aws-s3's fetch does: the JSON body
// with "content-type: application/json", no body and no header otherwise;
// key, when set, goes as the bearer token.
func (e *uppyEnv) call(t *testing.T, method, path, key, body string, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
		hdr = append([]string{"Content-Type", "application/json"}, hdr...)
	}
	if key != "" {
		hdr = append([]string{"Authorization", "Bearer " + key}, hdr...)
	}
	return send(t, method, e.api+path, rd, hdr...)
}

// ok decodes a 200 answer's JSON into v.
func ok(t *testing.T, what string, r reply, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: %s", what, r)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s: %v in %s", what, err, r.body)
		}
	}
}

// wantError checks an API error answer: the status, the code, and that no
// URL leaked into it.
func wantError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("got %s: not an error body", r)
	}
	if r.status != status || body.Error.Code != code {
		t.Errorf("got %d %s (%s), want %d %s", r.status, body.Error.Code, body.Error.Message, status, code)
	}
	if bytes.Contains(r.body, []byte("X-Amz-Signature")) || bytes.Contains(r.body, []byte(`"url"`)) {
		t.Errorf("an error answer carries a URL: %s", r.body)
	}
}

// field is a form field, in the order the answer lists it.
type field struct{ name, value string }

// orderedFields decodes a JSON object of strings keeping its members'
// order, as JavaScript enumerates them for form.set.
func orderedFields(t *testing.T, raw json.RawMessage) []field {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("fields is not an object: %s", raw)
	}
	var out []field
	for dec.More() {
		var name, value string
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		name = tok.(string)
		if err := dec.Decode(&value); err != nil {
			t.Fatalf("field %q is not a string: %v", name, err)
		}
		out = append(out, field{name, value})
	}
	return out
}

func get(fields []field, name string) (string, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// checkUppyForm checks what @uppy/aws-s3 6.3.1 (src/s3-client/utils.ts,
// buildPostPolicyForm) requires of a POST form before it posts it, and
// that the form is a SigV4 POST policy for key of type typ.
func checkUppyForm(t *testing.T, fields []field, typ string) (key string) {
	t.Helper()
	key, _ = get(fields, "key")
	if strings.TrimSpace(key) == "" || strings.Contains(key, "${filename}") {
		t.Errorf("fields.key %q: Uppy needs a concrete key", key)
	}
	for _, f := range fields {
		switch strings.ToLower(f.name) {
		case "file", "success_action_redirect", "redirect":
			t.Errorf("field %q: Uppy refuses a form with it", f.name)
		}
	}
	if ct, _ := get(fields, "Content-Type"); ct != typ {
		t.Errorf("Content-Type field %q, want %q", ct, typ)
	}
	for _, name := range []string{"policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if v, ok := get(fields, name); !ok || v == "" {
			t.Errorf("no %s field", name)
		}
	}
	return key
}

// postForm posts fields, then the file last, as multipart/form-data with
// no Content-Type but the boundary's: what postObject in @uppy/aws-s3
// 6.3.1 (src/s3-client/S3mini.ts, utils.ts) sends.
func postForm(t *testing.T, u string, fields []field, filename string, data []byte) reply {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return send(t, http.MethodPost, u, &b, "Content-Type", mw.FormDataContentType())
}

// putPart PUTs a part's bytes, with no Content-Type, and returns its ETag
// without quotes (as sanitizeETag in @uppy/aws-s3 6.3.1 utils.ts does).
func putPart(t *testing.T, u string, data []byte, hdr map[string]string) string {
	t.Helper()
	var h []string
	for k, v := range hdr {
		h = append(h, k, v)
	}
	r := send(t, http.MethodPut, u, bytes.NewReader(data), h...)
	etag := strings.Trim(r.header.Get("ETag"), `"`)
	if r.status != http.StatusOK || etag == "" {
		t.Fatalf("PUT part: %d ETag %q %s", r.status, r.header.Get("ETag"), r.body)
	}
	return etag
}

// fetch downloads key with a GET URL of POST /v1/downloads.
func (e *uppyEnv) fetch(t *testing.T, apiKey, key string) reply {
	t.Helper()
	var d struct {
		URL string `json:"url"`
	}
	ok(t, "POST /v1/downloads", e.call(t, "POST", "/v1/downloads", apiKey, fmt.Sprintf(`{"key":%q}`, key)), &d)
	return send(t, http.MethodGet, d.URL, nil)
}

// wantStored checks that key holds data, of type typ when typ is set.
func (e *uppyEnv) wantStored(t *testing.T, apiKey, key string, data []byte, typ string) {
	t.Helper()
	r := e.fetch(t, apiKey, key)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", key, r.status, r.body)
	}
	if !bytes.Equal(r.body, data) {
		t.Errorf("GET %s: %d bytes, not the %d uploaded", key, len(r.body), len(data))
	}
	if typ != "" && r.header.Get("Content-Type") != typ {
		t.Errorf("GET %s: Content-Type %q, want %q", key, r.header.Get("Content-Type"), typ)
	}
}

// wantNotStored checks that no object is at key.
func (e *uppyEnv) wantNotStored(t *testing.T, apiKey, key string) {
	t.Helper()
	if r := e.fetch(t, apiKey, key); r.status != http.StatusNotFound {
		t.Errorf("GET %s: %d (%d bytes), want 404: the object must not be stored", key, r.status, len(r.body))
	}
}

// randomBytes returns n bytes of a seeded stream: each seed its content.
func randomBytes(seed byte, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// companionCreated is the answer of POST /s3/multipart.
type companionCreated struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
	Bucket   string `json:"bucket"`
}

// companionCreate starts a multipart upload as createMultipartUpload in
// @uppy/aws-s3 6.3.1 (src/s3-client/CompanionS3.ts) does.
func (e *uppyEnv) companionCreate(t *testing.T, apiKey, filename, typ string) companionCreated {
	t.Helper()
	var c companionCreated
	body := fmt.Sprintf(`{"filename":%q,"metadata":{"name":%q,"type":%q,"relativePath":null},"type":%q}`, filename, filename, typ, typ)
	ok(t, "POST /s3/multipart", e.call(t, "POST", "/s3/multipart", apiKey, body), &c)
	if c.Key == "" || c.UploadID == "" {
		t.Fatalf("POST /s3/multipart: %+v: Uppy needs key and uploadId", c)
	}
	return c
}

// partURL asks for part n's URL: GET /s3/multipart/{id}/{n}?key=.
func (e *uppyEnv) partURL(t *testing.T, apiKey string, c companionCreated, n int) string {
	t.Helper()
	var p struct {
		URL string `json:"url"`
	}
	ok(t, "sign part", e.call(t, "GET", fmt.Sprintf("/s3/multipart/%s/%d?key=%s", url.PathEscape(c.UploadID), n, url.QueryEscape(c.Key)), apiKey, ""), &p)
	if p.URL == "" {
		t.Fatal("sign part: no url")
	}
	return p.URL
}

func uploadPath(c companionCreated, suffix string) string {
	return "/s3/multipart/" + url.PathEscape(c.UploadID) + suffix + "?key=" + url.QueryEscape(c.Key)
}

// completeBody is the body of POST /s3/multipart/{id}/complete as
// CompanionS3.ts in @uppy/aws-s3 6.3.1 sends it: ascending, ETags unquoted.
func completeBody(etags ...string) string {
	var parts []string
	for i, e := range etags {
		parts = append(parts, fmt.Sprintf(`{"PartNumber":%d,"ETag":%q}`, i+1, e))
	}
	return `{"parts":[` + strings.Join(parts, ",") + `]}`
}

// TestCompanionSingleUpload follows GET /s3/params as @uppy/aws-s3 6.3.1
// src/s3-client/CompanionS3.ts sends it (URLSearchParams of filename, type
// and metadata[k], null as "null") and reads it (url and fields only, then
// postObject: the fields, then "file" last); the answer has the shape of
// getUploadParameters in @uppy/companion 6.2.2 src/server/controllers/s3.js
// ({method: "POST", url, fields}).
func TestCompanionSingleUpload(t *testing.T) {
	e := newUppyEnv(t)
	r := e.call(t, "GET", "/s3/params?filename=cat.png&type=image%2Fpng&metadata%5Bname%5D=cat.png&metadata%5Btype%5D=image%2Fpng&metadata%5BrelativePath%5D=null", uppyWebKey, "")
	var params struct {
		Method string          `json:"method"`
		URL    string          `json:"url"`
		Fields json.RawMessage `json:"fields"`
	}
	ok(t, "GET /s3/params", r, &params)
	if params.Method != "POST" || params.URL == "" {
		t.Fatalf("method %q, url %q", params.Method, params.URL)
	}
	fields := orderedFields(t, params.Fields)
	key := checkUppyForm(t, fields, "image/png")
	if !regexp.MustCompile(`^web/` + uuidRe + `/cat\.png$`).MatchString(key) {
		t.Errorf("key %q is not web/<uuid>/cat.png", key)
	}
	data := randomBytes(1, 200<<10)
	if r := postForm(t, params.URL, fields, "cat.png", data); r.status/100 != 2 {
		t.Fatalf("POST form: %s", r)
	}
	e.wantStored(t, uppyWebKey, key, data, "image/png")

	// Uppy reports url + "/" + the escaped key as the object's location:
	// url must be the bucket's URL.
	var d struct {
		URL string `json:"url"`
	}
	ok(t, "POST /v1/downloads", e.call(t, "POST", "/v1/downloads", uppyWebKey, fmt.Sprintf(`{"key":%q}`, key)), &d)
	if loc, _, _ := strings.Cut(d.URL, "?"); strings.TrimRight(params.URL, "/")+"/"+key != loc {
		t.Errorf("Uppy's location %q is not the object's URL %q", strings.TrimRight(params.URL, "/")+"/"+key, loc)
	}
}

// TestCompanionSingleUploadSizeLimit: GET /s3/params of @uppy/aws-s3
// 6.3.1 (src/s3-client/CompanionS3.ts) tells the server no size, so the
// form's policy holds the tenant's limit (content-length-range): a file
// at the limit is stored, one byte over it is refused by the store and
// nothing is stored.
func TestCompanionSingleUploadSizeLimit(t *testing.T) {
	e := newUppyEnv(t)
	for _, tt := range []struct {
		name   string
		size   int
		stored bool
	}{
		{"at the limit", smallLimit, true},
		{"one byte over", smallLimit + 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var params struct {
				URL    string          `json:"url"`
				Fields json.RawMessage `json:"fields"`
			}
			ok(t, "GET /s3/params", e.call(t, "GET", "/s3/params?filename=big.bin&type=application%2Foctet-stream&metadata%5BrelativePath%5D=null", uppySmallKey, ""), &params)
			fields := orderedFields(t, params.Fields)
			key := checkUppyForm(t, fields, "application/octet-stream")
			data := randomBytes(2, tt.size)
			r := postForm(t, params.URL, fields, "big.bin", data)
			if !tt.stored {
				if r.status/100 == 2 {
					t.Fatalf("a file of %d bytes, over the limit of %d, was accepted: %d", tt.size, smallLimit, r.status)
				}
				if r.status != http.StatusBadRequest || !bytes.Contains(r.body, []byte("EntityTooLarge")) {
					t.Errorf("store answered %s, want 400 EntityTooLarge", r)
				}
				e.wantNotStored(t, uppySmallKey, key)
				return
			}
			if r.status/100 != 2 {
				t.Fatalf("POST form: %s", r)
			}
			e.wantStored(t, uppySmallKey, key, data, "application/octet-stream")
		})
	}
}

// TestCompanionParamsRefused: GET /s3/params refusals, which @uppy/aws-s3
// 6.3.1 (src/s3-client/CompanionS3.ts, _fetch) turns into "Companion
// request failed: <statusText>"; the missing filename is Companion's own
// 400 (@uppy/companion 6.2.2 src/server/controllers/s3.js).
func TestCompanionParamsRefused(t *testing.T) {
	e := newUppyEnv(t)
	for _, tt := range []struct {
		name, query, key string
		status           int
		code             string
	}{
		{"type not allowed", "filename=page.html&type=text%2Fhtml", uppyWebKey, 415, "content_type_not_allowed"},
		{"no type is octet-stream, not allowed", "filename=x.bin", uppyWebKey, 415, "content_type_not_allowed"},
		{"type with a header smuggled", "filename=a.png&type=image%2Fpng%0D%0Ax-amz-acl%3A%20public-read", uppyWebKey, 400, "invalid_field"},
		{"type not a media type", "filename=a.png&type=png", uppyWebKey, 400, "invalid_field"},
		{"no filename", "type=image%2Fpng", uppyWebKey, 400, "invalid_field"},
		{"empty filename", "filename=&type=image%2Fpng", uppyWebKey, 400, "invalid_field"},
		{"filename of separators only", "filename=..%2F..%2F&type=image%2Fpng", uppyWebKey, 400, "invalid_field"},
		{"unauthenticated", "filename=cat.png&type=image%2Fpng", "", 401, "unauthorized"},
		{"unknown key", "filename=cat.png&type=image%2Fpng", "psk_guess", 401, "unauthorized"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.call(t, "GET", "/s3/params?"+tt.query, tt.key, ""), tt.status, tt.code)
		})
	}
}

// TestCompanionParamsHostileFilenames: Uppy's proposed key in companion
// mode is file.name (@uppy/aws-s3 6.3.1 src/index.ts #generateKey, sent by
// src/s3-client/CompanionS3.ts as ?filename=), which the page controls;
// the key stays "web/<uuid>/<sanitised name>".
func TestCompanionParamsHostileFilenames(t *testing.T) {
	e := newUppyEnv(t)
	for _, tt := range []struct{ filename, name string }{
		{"../../etc/passwd", "passwd"},
		{"..\\..\\boot.ini", "boot.ini"},
		{"/web/../other/x.png", "x.png"},
		{"a\x00b\x01c\x7f.png", "abc.png"},
		{"cat\r\nx-amz-acl: public-read.png", "cat x-amz-acl public-read.png"},
		{"other/evil.png", "evil.png"},
		{"${filename}.png", "filename.png"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"filename": {tt.filename}, "type": {"image/png"}}
			var params struct {
				Fields json.RawMessage `json:"fields"`
			}
			ok(t, "GET /s3/params", e.call(t, "GET", "/s3/params?"+q.Encode(), uppyWebKey, ""), &params)
			key := checkUppyForm(t, orderedFields(t, params.Fields), "image/png")
			if !regexp.MustCompile(`^web/` + uuidRe + `/` + regexp.QuoteMeta(tt.name) + `$`).MatchString(key) {
				t.Errorf("filename %q gave key %q, want web/<uuid>/%s", tt.filename, key, tt.name)
			}
		})
	}
}

// TestCompanionMultipart runs a multipart upload through the routes of
// @uppy/companion 6.2.2 src/server/controllers/s3.js as @uppy/aws-s3 6.3.1
// src/s3-client/CompanionS3.ts calls them: POST /s3/multipart
// {filename, metadata, type} → {key, uploadId, bucket}; GET
// /s3/multipart/{id}/{n}?key= → {url}, PUT the part (no Content-Type),
// ETag from the header; GET /s3/multipart/{id}?key= → [{PartNumber,
// ETag, Size}]; POST …/complete?key= {parts:[{PartNumber, ETag}]} →
// {location, key, bucket}. The batch route (?partNumbers=1,2 →
// {presignedUrls}), which 6.3.1 no longer calls, is Companion's too.
func TestCompanionMultipart(t *testing.T) {
	e := newUppyEnv(t)
	// Non-ASCII names and null metadata values are what Dashboard sends.
	c := e.companionCreate(t, uppyWebKey, "chat-€ big.txt", "text/plain")
	if !regexp.MustCompile(`^web/`+uuidRe+`/chat-€ big\.txt$`).MatchString(c.Key) || c.Bucket != uppyBucket {
		t.Fatalf("created %+v", c)
	}

	var list []struct {
		PartNumber int    `json:"PartNumber"`
		ETag       string `json:"ETag"`
		Size       int64  `json:"Size"`
	}
	ok(t, "list (no parts yet)", e.call(t, "GET", uploadPath(c, ""), uppyWebKey, ""), &list)
	if list == nil || len(list) != 0 {
		t.Errorf("list before any part: %v, want []", list)
	}

	var batch struct {
		PresignedURLs map[string]string `json:"presignedUrls"`
	}
	ok(t, "batch", e.call(t, "GET", uploadPath(c, "/batch")+"&partNumbers=1,2", uppyWebKey, ""), &batch)
	if len(batch.PresignedURLs) != 2 || batch.PresignedURLs["1"] == "" || batch.PresignedURLs["2"] == "" {
		t.Fatalf("batch: %v", batch.PresignedURLs)
	}

	p1, p2 := randomBytes(3, 5*mib), randomBytes(4, 300<<10)
	// Part 1 through the part route, part 2 through the batch's URL.
	e1 := putPart(t, e.partURL(t, uppyWebKey, c, 1), p1, nil)
	e.partURL(t, uppyWebKey, c, 2) // as Uppy asks, once per part
	e2 := putPart(t, batch.PresignedURLs["2"], p2, nil)

	ok(t, "list", e.call(t, "GET", uploadPath(c, ""), uppyWebKey, ""), &list)
	if len(list) != 2 || list[0].PartNumber != 1 || list[0].ETag != e1 || list[0].Size != int64(len(p1)) ||
		list[1].PartNumber != 2 || list[1].ETag != e2 || list[1].Size != int64(len(p2)) {
		t.Errorf("list: %+v, want parts 1 (%s, %d) and 2 (%s, %d)", list, e1, len(p1), e2, len(p2))
	}

	var done struct {
		Location string `json:"location"`
		Key      string `json:"key"`
		Bucket   string `json:"bucket"`
	}
	ok(t, "complete", e.call(t, "POST", uploadPath(c, "/complete"), uppyWebKey, completeBody(e1, e2)), &done)
	if done.Key != c.Key || done.Bucket != uppyBucket || done.Location == "" {
		t.Errorf("complete: %+v", done)
	}
	e.wantStored(t, uppyWebKey, c.Key, cat(p1, p2), "text/plain")
}

// TestCompanionMultipartAbort: DELETE /s3/multipart/{id}?key= answers {}
// as @uppy/companion 6.2.2 src/server/controllers/s3.js does (@uppy/aws-s3
// 6.3.1 src/s3-client/CompanionS3.ts reads only response.ok), and the
// upload is gone from storage.
func TestCompanionMultipartAbort(t *testing.T) {
	e := newUppyEnv(t)
	c := e.companionCreate(t, uppyWebKey, "cat.png", "image/png")
	u := e.partURL(t, uppyWebKey, c, 1)
	putPart(t, u, randomBytes(5, 64<<10), nil)

	r := e.call(t, "DELETE", uploadPath(c, ""), uppyWebKey, "")
	var body map[string]any
	ok(t, "DELETE", r, &body)
	if len(body) != 0 {
		t.Errorf("DELETE answered %s, want {}", r.body)
	}
	wantError(t, e.call(t, "GET", uploadPath(c, ""), uppyWebKey, ""), 404, "no_such_upload")
	if r := send(t, http.MethodPut, u, bytes.NewReader([]byte("late part"))); r.status != http.StatusNotFound || !bytes.Contains(r.body, []byte("NoSuchUpload")) {
		t.Errorf("PUT to an aborted upload: %s", r)
	}
	wantError(t, e.call(t, "POST", uploadPath(c, "/complete"), uppyWebKey, completeBody("x")), 404, "no_such_upload")
	e.wantNotStored(t, uppyWebKey, c.Key)
}

// TestCompanionMultipartOverLimit: POST /s3/multipart of @uppy/aws-s3
// 6.3.1 (src/s3-client/CompanionS3.ts) sends no size, and its part URLs
// (GET /s3/multipart/{id}/{n}) sign none; so complete ({parts}, as
// CompanionS3.ts sends it) lists the parts storage holds and refuses a
// sum over the tenant's MaxSize with 413 too_large, aborting the upload.
func TestCompanionMultipartOverLimit(t *testing.T) {
	e := newUppyEnv(t)
	c := e.companionCreate(t, uppySmallKey, "big.bin", "application/octet-stream")
	e1 := putPart(t, e.partURL(t, uppySmallKey, c, 1), randomBytes(6, 5*mib), nil)
	e2 := putPart(t, e.partURL(t, uppySmallKey, c, 2), randomBytes(7, 2*mib), nil) // 7 MiB > 6 MiB
	wantError(t, e.call(t, "POST", uploadPath(c, "/complete"), uppySmallKey, completeBody(e1, e2)), 413, "too_large")
	wantError(t, e.call(t, "GET", uploadPath(c, ""), uppySmallKey, ""), 404, "no_such_upload")
	e.wantNotStored(t, uppySmallKey, c.Key)

	// Listing only the first parts does not pass the rest off: the sum is
	// of the parts listed, and within the limit the object is theirs.
	c = e.companionCreate(t, uppySmallKey, "big.bin", "application/octet-stream")
	p1 := randomBytes(8, 5*mib)
	e1 = putPart(t, e.partURL(t, uppySmallKey, c, 1), p1, nil)
	putPart(t, e.partURL(t, uppySmallKey, c, 2), randomBytes(9, 2*mib), nil)
	ok(t, "complete of part 1 only", e.call(t, "POST", uploadPath(c, "/complete"), uppySmallKey, completeBody(e1)), nil)
	e.wantStored(t, uppySmallKey, c.Key, p1, "")
}

// TestCompanionPartReplacedAfterSizeCheck: complete (POST
// /s3/multipart/{id}/complete, {parts:[{PartNumber, ETag}]} as @uppy/aws-s3
// 6.3.1 src/s3-client/CompanionS3.ts sends it) checks the size of the
// parts storage lists; a part replaced between that listing and the
// completion must not be assembled. The page knows a part's ETag before
// it sends it (its MD5), so it can name the ETag of a larger part it is
// about to upload; the store hook sends that part right after the
// service's listing, as a concurrent request of the page would.
func TestCompanionPartReplacedAfterSizeCheck(t *testing.T) {
	e := newUppyEnv(t)
	c := e.companionCreate(t, uppySmallKey, "big.bin", "application/octet-stream")
	e1 := putPart(t, e.partURL(t, uppySmallKey, c, 1), randomBytes(10, 5*mib), nil)
	u2 := e.partURL(t, uppySmallKey, c, 2)
	putPart(t, u2, randomBytes(11, 1<<10), nil) // 5 MiB + 1 KiB: within 6 MiB
	big := randomBytes(12, 3*mib)               // 8 MiB in all: over it
	sum := md5.Sum(big)
	bigETag := hex.EncodeToString(sum[:])

	var armed atomic.Bool
	armed.Store(true)
	hook := storeHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != http.MethodGet || !r.URL.Query().Has("uploadId") || !armed.CompareAndSwap(true, false) {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r) // the listing the service checks
		// Not putPart: t.Fatal must not run on the store's goroutine.
		req, _ := http.NewRequest(http.MethodPut, u2, bytes.NewReader(big))
		if res, err := http.DefaultClient.Do(req); err != nil {
			t.Errorf("replacing part 2: %v", err)
		} else {
			res.Body.Close()
			if got := strings.Trim(res.Header.Get("ETag"), `"`); res.StatusCode != http.StatusOK || got != bigETag {
				t.Errorf("replacing part 2: %s, ETag %s, want the part's MD5 %s", res.Status, got, bigETag)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
	e.hook.Store(&hook)
	r := e.call(t, "POST", uploadPath(c, "/complete"), uppySmallKey, completeBody(e1, bigETag))
	e.hook.Store(nil)
	if armed.Load() {
		t.Fatal("the service did not list the parts before completing")
	}
	if r.status/100 == 2 {
		t.Errorf("an upload of 8 MiB for a 6 MiB limit was completed: %s", r)
	}
	wantError(t, r, 400, "invalid_parts")
	e.wantNotStored(t, uppySmallKey, c.Key)
}

// TestCompanionHostile: refusals on the /s3/multipart routes of
// @uppy/companion 6.2.2 src/server/controllers/s3.js (missing key: 400;
// part numbers 1 to 10000: 400), and upload ids that are not the caller's
// own /s3 uploads: 404 no_such_upload. GET /s3/sts, which @uppy/aws-s3
// 6.3.1 never calls, is refused with 403 no_credentials.
func TestCompanionHostile(t *testing.T) {
	e := newUppyEnv(t)
	c := e.companionCreate(t, uppyWebKey, "cat.png", "image/png")
	other := e.companionCreate(t, uppyOtherKey, "cat.png", "image/png")
	// A multipart upload of /v1, whose id is a token of another mode.
	var v1 struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	ok(t, "POST /v1/uploads/multipart", e.call(t, "POST", "/v1/uploads/multipart", uppyWebKey, `{"filename":"a.png","contentType":"image/png","size":6291456}`), &v1)
	v1Up := companionCreated{Key: v1.Key, UploadID: v1.ID}

	body, mac, _ := strings.Cut(c.UploadID, ".")
	flip := func(s string) string {
		if s[len(s)-1] == 'A' {
			return s[:len(s)-1] + "B"
		}
		return s[:len(s)-1] + "A"
	}
	forgedMAC := companionCreated{Key: c.Key, UploadID: body + "." + flip(mac)}
	forgedBody := companionCreated{Key: c.Key, UploadID: flip(body[:10]) + body[10:] + "." + mac}
	otherAsWeb := companionCreated{Key: other.Key, UploadID: other.UploadID}
	noKey := "/s3/multipart/" + c.UploadID
	wrongKey := "?key=" + url.QueryEscape(other.Key)

	for _, tt := range []struct {
		name, method, path, key, body string
		status                        int
		code                          string
	}{
		{"another client's id: list", "GET", uploadPath(otherAsWeb, ""), uppyWebKey, "", 404, "no_such_upload"},
		{"another client's id: part", "GET", uploadPath(otherAsWeb, "/1"), uppyWebKey, "", 404, "no_such_upload"},
		{"another client's id: complete", "POST", uploadPath(otherAsWeb, "/complete"), uppyWebKey, completeBody("x"), 404, "no_such_upload"},
		{"another client's id: abort", "DELETE", uploadPath(otherAsWeb, ""), uppyWebKey, "", 404, "no_such_upload"},
		{"forged MAC", "GET", uploadPath(forgedMAC, "/1"), uppyWebKey, "", 404, "no_such_upload"},
		{"modified body", "GET", uploadPath(forgedBody, "/1"), uppyWebKey, "", 404, "no_such_upload"},
		{"garbage id", "GET", "/s3/multipart/not-a-token/1?key=web%2Fx", uppyWebKey, "", 404, "no_such_upload"},
		{"storage's raw id", "GET", "/s3/multipart/" + url.PathEscape("upload-id") + "?key=" + url.QueryEscape(c.Key), uppyWebKey, "", 404, "no_such_upload"},
		{"/v1 id on /s3: part", "GET", uploadPath(v1Up, "/1"), uppyWebKey, "", 404, "no_such_upload"},
		{"/v1 id on /s3: list", "GET", uploadPath(v1Up, ""), uppyWebKey, "", 404, "no_such_upload"},
		{"/v1 id on /s3: complete", "POST", uploadPath(v1Up, "/complete"), uppyWebKey, completeBody("x"), 404, "no_such_upload"},
		{"/v1 id on /s3: abort", "DELETE", uploadPath(v1Up, ""), uppyWebKey, "", 404, "no_such_upload"},
		{"/s3 id on /v1: parts", "POST", "/v1/uploads/multipart/" + c.UploadID + "/parts", uppyWebKey, `{"partNumbers":[1]}`, 404, "no_such_upload"},
		{"/s3 id on /v1: complete", "POST", "/v1/uploads/multipart/" + c.UploadID + "/complete", uppyWebKey, `{"parts":[{"partNumber":1,"etag":"x"}]}`, 404, "no_such_upload"},
		{"/s3 id on /v1: abort", "DELETE", "/v1/uploads/multipart/" + c.UploadID, uppyWebKey, "", 404, "no_such_upload"},
		{"missing key: list", "GET", noKey, uppyWebKey, "", 400, "invalid_field"},
		{"missing key: part", "GET", noKey + "/1", uppyWebKey, "", 400, "invalid_field"},
		{"missing key: batch", "GET", noKey + "/batch?partNumbers=1", uppyWebKey, "", 400, "invalid_field"},
		{"missing key: complete", "POST", noKey + "/complete", uppyWebKey, completeBody("x"), 400, "invalid_field"},
		{"missing key: abort", "DELETE", noKey, uppyWebKey, "", 400, "invalid_field"},
		{"not the upload's key: list", "GET", noKey + wrongKey, uppyWebKey, "", 400, "invalid_field"},
		{"not the upload's key: part", "GET", noKey + "/1" + wrongKey, uppyWebKey, "", 400, "invalid_field"},
		{"not the upload's key: complete", "POST", noKey + "/complete" + wrongKey, uppyWebKey, completeBody("x"), 400, "invalid_field"},
		{"not the upload's key: abort", "DELETE", noKey + wrongKey, uppyWebKey, "", 400, "invalid_field"},
		{"empty key", "GET", noKey + "/1?key=", uppyWebKey, "", 400, "invalid_field"},
		{"part 0", "GET", uploadPath(c, "/0"), uppyWebKey, "", 400, "invalid_field"},
		{"part 10001", "GET", uploadPath(c, "/10001"), uppyWebKey, "", 400, "invalid_field"},
		{"part abc", "GET", uploadPath(c, "/abc"), uppyWebKey, "", 400, "invalid_field"},
		{"part -1", "GET", uploadPath(c, "/-1"), uppyWebKey, "", 400, "invalid_field"},
		{"part 1.5", "GET", uploadPath(c, "/1.5"), uppyWebKey, "", 400, "invalid_field"},
		{"batch: no partNumbers", "GET", uploadPath(c, "/batch"), uppyWebKey, "", 400, "invalid_field"},
		{"batch: part 0", "GET", uploadPath(c, "/batch") + "&partNumbers=1,0", uppyWebKey, "", 400, "invalid_field"},
		{"batch: part 10001", "GET", uploadPath(c, "/batch") + "&partNumbers=10001", uppyWebKey, "", 400, "invalid_field"},
		{"batch: part abc", "GET", uploadPath(c, "/batch") + "&partNumbers=abc", uppyWebKey, "", 400, "invalid_field"},
		{"batch: 101 parts", "GET", uploadPath(c, "/batch") + "&partNumbers=" + strings.Repeat("1,", 100) + "1", uppyWebKey, "", 400, "invalid_field"},
		{"complete: no parts", "POST", uploadPath(c, "/complete"), uppyWebKey, `{"parts":[]}`, 400, "invalid_parts"},
		{"complete: descending", "POST", uploadPath(c, "/complete"), uppyWebKey, `{"parts":[{"PartNumber":2,"ETag":"a"},{"PartNumber":1,"ETag":"b"}]}`, 400, "invalid_parts"},
		{"complete: part 0", "POST", uploadPath(c, "/complete"), uppyWebKey, `{"parts":[{"PartNumber":0,"ETag":"a"}]}`, 400, "invalid_parts"},
		{"complete: no ETag", "POST", uploadPath(c, "/complete"), uppyWebKey, `{"parts":[{"PartNumber":1}]}`, 400, "invalid_parts"},
		{"complete: part not in storage", "POST", uploadPath(c, "/complete"), uppyWebKey, completeBody("x"), 400, "invalid_parts"},
		{"complete: unknown member", "POST", uploadPath(c, "/complete"), uppyWebKey, `{"parts":[{"PartNumber":1,"ETag":"a"}],"key":"other/x"}`, 400, "invalid_json"},
		{"complete: PartNumber as text", "POST", uploadPath(c, "/complete"), uppyWebKey, `{"parts":[{"PartNumber":"1","ETag":"a"}]}`, 400, "invalid_json"},
		{"create: no filename", "POST", "/s3/multipart", uppyWebKey, `{"type":"image/png","metadata":{}}`, 400, "invalid_field"},
		{"create: type not allowed", "POST", "/s3/multipart", uppyWebKey, `{"filename":"a.exe","type":"application/x-msdownload","metadata":{}}`, 415, "content_type_not_allowed"},
		{"create: type as a number", "POST", "/s3/multipart", uppyWebKey, `{"filename":"a.png","type":7}`, 400, "invalid_json"},
		{"create: a key smuggled", "POST", "/s3/multipart", uppyWebKey, `{"filename":"a.png","type":"image/png","key":"other/a.png"}`, 400, "invalid_json"},
		{"unauthenticated: create", "POST", "/s3/multipart", "", `{"filename":"a.png","type":"image/png"}`, 401, "unauthorized"},
		{"unauthenticated: part", "GET", uploadPath(c, "/1"), "", "", 401, "unauthorized"},
		{"unauthenticated: list", "GET", uploadPath(c, ""), "", "", 401, "unauthorized"},
		{"unauthenticated: batch", "GET", uploadPath(c, "/batch") + "&partNumbers=1", "", "", 401, "unauthorized"},
		{"unauthenticated: complete", "POST", uploadPath(c, "/complete"), "", completeBody("x"), 401, "unauthorized"},
		{"unauthenticated: abort", "DELETE", uploadPath(c, ""), "", "", 401, "unauthorized"},
		{"no multipart right: create", "POST", "/s3/multipart", uppyNoMPKey, `{"filename":"a.png","type":"image/png"}`, 403, "forbidden"},
		{"no multipart right: part", "GET", uploadPath(c, "/1"), uppyNoMPKey, "", 403, "forbidden"},
		{"no multipart right: complete", "POST", uploadPath(c, "/complete"), uppyNoMPKey, completeBody("x"), 403, "forbidden"},
		{"sts", "GET", "/s3/sts", uppyWebKey, "", 403, "no_credentials"},
		{"sts unauthenticated", "GET", "/s3/sts", "", "", 403, "no_credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.call(t, tt.method, tt.path, tt.key, tt.body), tt.status, tt.code)
		})
	}
	// The upload refused so often is still the client's own, and whole.
	ok(t, "part of the upload after the refusals", e.call(t, "GET", uploadPath(c, "/1"), uppyWebKey, ""), nil)
	ok(t, "the other client's upload", e.call(t, "GET", uploadPath(other, "/1"), uppyOtherKey, ""), nil)
}

// signed is the answer of POST /v1/uppy/sign: a PresignedResponse of
// @uppy/aws-s3 6.3.1 src/s3-client/types.ts ({url, key?, headers?, fields?}).
type signed struct {
	URL     string            `json:"url"`
	Key     string            `json:"key"`
	Headers map[string]string `json:"headers"`
	Fields  json.RawMessage   `json:"fields"`
}

// sign posts one request object of @uppy/aws-s3 6.3.1
// src/s3-client/types.ts to POST /v1/uppy/sign, as the page's signRequest
// callback does.
func (e *uppyEnv) sign(t *testing.T, apiKey string, req map[string]any) signed {
	t.Helper()
	b, _ := json.Marshal(req)
	var s signed
	ok(t, fmt.Sprintf("sign %s", b), e.call(t, "POST", "/v1/uppy/sign", apiKey, string(b)), &s)
	if s.URL == "" {
		t.Fatalf("sign %s: no url", b)
	}
	return s
}

// sendSigned sends an S3 request to a signed URL with hdr (such as the
// file's Content-Type) and then the headers the signer returned, which
// win, as the xhr of @uppy/aws-s3 6.3.1 src/s3-client/S3Client.ts does
// ("the signer's headers come last so a Content-Type it signed wins over
// the file's own type").
func sendSigned(t *testing.T, method string, s signed, body []byte, hdr ...string) reply {
	t.Helper()
	h := append([]string(nil), hdr...)
	for k, v := range s.Headers {
		h = append(h, k, v)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	return send(t, method, s.URL, rd, h...)
}

// createSigned starts a multipart upload in signRequest mode: sign
// {method: "POST", key} and POST to the URL with the file's type and no
// body, as createMultipartUpload in @uppy/aws-s3 6.3.1
// src/s3-client/S3mini.ts does; it returns the key and storage's UploadId.
func (e *uppyEnv) createSigned(t *testing.T, apiKey, name, typ string) (key, uploadID string) {
	t.Helper()
	s := e.sign(t, apiKey, map[string]any{"method": "POST", "key": name})
	if u, err := url.Parse(s.URL); err != nil || !u.Query().Has("uploads") {
		t.Fatalf("CreateMultipartUpload URL %q has no ?uploads", s.URL)
	}
	r := sendSigned(t, http.MethodPost, s, nil, "Content-Type", typ)
	var out struct {
		UploadID string `xml:"UploadId"`
	}
	if r.status != http.StatusOK || xml.Unmarshal(r.body, &out) != nil || out.UploadID == "" {
		t.Fatalf("CreateMultipartUpload: %s", r)
	}
	return s.Key, out.UploadID
}

// completeXML is the body of CompleteMultipartUpload as
// _buildCompleteMultipartUploadXml in @uppy/aws-s3 6.3.1
// src/s3-client/S3mini.ts writes it: no namespace, ETags unquoted.
func completeXML(etags ...string) []byte {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for i, e := range etags {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, e)
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

// TestUppySignRequest runs the requests of @uppy/aws-s3 6.3.1
// src/s3-client/types.ts through POST /v1/uppy/sign and sends each to
// storage as src/s3-client/S3mini.ts does: PutObject {method PUT, key,
// contentType} answered with a POST form (postObject); then a multipart
// upload: CreateMultipartUpload {POST, key}, UploadPart {PUT, key,
// uploadId, partNumber}, ListParts {GET, key, uploadId} (XML Part/
// PartNumber, ETag) and CompleteMultipartUpload {POST, key, uploadId},
// whose answer must carry Location and Key.
func TestUppySignRequest(t *testing.T) {
	e := newUppyEnv(t)
	// generateObjectKey's default is `${crypto.randomUUID()}-${file.name}`.
	proposed := "0b6a4f0e-8d5c-4b7e-9a3f-2c1d0e9f8a7b-cat.png"
	s := e.sign(t, uppyWebKey, map[string]any{"method": "PUT", "key": proposed, "contentType": "image/png"})
	fields := orderedFields(t, s.Fields)
	key := checkUppyForm(t, fields, "image/png")
	if key != s.Key || !regexp.MustCompile(`^web/`+uuidRe+`/`+regexp.QuoteMeta(proposed)+`$`).MatchString(key) {
		t.Fatalf("PutObject: key %q, fields.key %q", s.Key, key)
	}
	img := randomBytes(20, 100<<10)
	if r := postForm(t, s.URL, fields, "cat.png", img); r.status/100 != 2 {
		t.Fatalf("POST form: %s", r)
	}
	e.wantStored(t, uppyWebKey, key, img, "image/png")

	key, uploadID := e.createSigned(t, uppyWebKey, "0b6a4f0e-x-big.txt", "text/plain")
	if !regexp.MustCompile(`^web/` + uuidRe + `/0b6a4f0e-x-big\.txt$`).MatchString(key) {
		t.Fatalf("CreateMultipartUpload key %q", key)
	}
	parts := [][]byte{randomBytes(21, 5*mib), randomBytes(22, 123<<10)}
	var etags []string
	for i, p := range parts {
		ps := e.sign(t, uppyWebKey, map[string]any{"method": "PUT", "key": key, "uploadId": uploadID, "partNumber": i + 1})
		etags = append(etags, putPart(t, ps.URL, p, ps.Headers))
	}

	r := sendSigned(t, http.MethodGet, e.sign(t, uppyWebKey, map[string]any{"method": "GET", "key": key, "uploadId": uploadID}), nil)
	var listed struct {
		Parts []struct {
			PartNumber int    `xml:"PartNumber"`
			ETag       string `xml:"ETag"`
		} `xml:"Part"`
	}
	if r.status != http.StatusOK || xml.Unmarshal(r.body, &listed) != nil || len(listed.Parts) != 2 {
		t.Fatalf("ListParts: %s", r)
	}
	for i, p := range listed.Parts {
		if p.PartNumber != i+1 || strings.Trim(p.ETag, `"`) != etags[i] {
			t.Errorf("ListParts part %d: %+v, want ETag %s", i+1, p, etags[i])
		}
	}

	cs := e.sign(t, uppyWebKey, map[string]any{"method": "POST", "key": key, "uploadId": uploadID})
	r = sendSigned(t, http.MethodPost, cs, completeXML(etags...), "Content-Type", "application/xml")
	var done struct {
		Location string `xml:"Location"`
		Key      string `xml:"Key"`
	}
	if r.status != http.StatusOK || xml.Unmarshal(r.body, &done) != nil || done.Location == "" || done.Key != key {
		t.Fatalf("CompleteMultipartUpload: %s", r)
	}
	// The type checked for the name is signed, and wins over the file's.
	e.wantStored(t, uppyWebKey, key, cat(parts...), mime.TypeByExtension(".txt"))

	// AbortMultipartUpload {DELETE, key, uploadId} is a multipart right;
	// DeleteObject {DELETE, key} needs the delete right, which "other" has.
	key, uploadID = e.createSigned(t, uppyWebKey, "gone.txt", "text/plain")
	if r := sendSigned(t, http.MethodDelete, e.sign(t, uppyWebKey, map[string]any{"method": "DELETE", "key": key, "uploadId": uploadID}), nil); r.status/100 != 2 {
		t.Errorf("AbortMultipartUpload: %s", r)
	}
	key, uploadID = e.createSigned(t, uppyOtherKey, "doomed.bin", "application/octet-stream")
	p := randomBytes(23, 1000)
	ps := e.sign(t, uppyOtherKey, map[string]any{"method": "PUT", "key": key, "uploadId": uploadID, "partNumber": 1})
	et := putPart(t, ps.URL, p, ps.Headers)
	cs = e.sign(t, uppyOtherKey, map[string]any{"method": "POST", "key": key, "uploadId": uploadID})
	if r := sendSigned(t, http.MethodPost, cs, completeXML(et), "Content-Type", "application/xml"); r.status != http.StatusOK {
		t.Fatalf("complete: %s", r)
	}
	e.wantStored(t, uppyOtherKey, key, p, "")
	if r := sendSigned(t, http.MethodDelete, e.sign(t, uppyOtherKey, map[string]any{"method": "DELETE", "key": key}), nil); r.status/100 != 2 {
		t.Errorf("DeleteObject: %s", r)
	}
	e.wantNotStored(t, uppyOtherKey, key)
}

// TestUppySignHostile: request objects of @uppy/aws-s3 6.3.1
// src/s3-client/types.ts that POST /v1/uppy/sign refuses, the page being
// free to send any.
func TestUppySignHostile(t *testing.T) {
	e := newUppyEnv(t)
	for _, tt := range []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"part of a key under another prefix", uppyWebKey, `{"method":"PUT","key":"other/x/y","uploadId":"u1","partNumber":1}`, 403, "invalid_key"},
		{"list of a key under another prefix", uppyWebKey, `{"method":"GET","key":"other/x/y","uploadId":"u1"}`, 403, "invalid_key"},
		{"complete of a key under another prefix", uppyWebKey, `{"method":"POST","key":"other/x/y","uploadId":"u1"}`, 403, "invalid_key"},
		{"abort of a key under another prefix", uppyWebKey, `{"method":"DELETE","key":"other/x/y","uploadId":"u1"}`, 403, "invalid_key"},
		{"look-alike prefix", uppyWebKey, `{"method":"GET","key":"web-evil/x","uploadId":"u1"}`, 403, "invalid_key"},
		{"key with ..", uppyWebKey, `{"method":"GET","key":"web/../other/x","uploadId":"u1"}`, 400, "invalid_key"},
		{"absolute key", uppyWebKey, `{"method":"PUT","key":"/web/x","uploadId":"u1","partNumber":1}`, 400, "invalid_key"},
		{"key with a control byte", uppyWebKey, `{"method":"GET","key":"web/a\u0000b","uploadId":"u1"}`, 400, "invalid_key"},
		{"PutObject of ..", uppyWebKey, `{"method":"PUT","key":"..","contentType":"image/png"}`, 400, "invalid_field"},
		{"CreateMultipartUpload of ../..", uppyOtherKey, `{"method":"POST","key":"../.."}`, 400, "invalid_field"},
		{"uploadId with a newline", uppyWebKey, `{"method":"GET","key":"web/x","uploadId":"u\nx-amz-acl: public-read"}`, 400, "invalid_field"},
		{"DeleteObject without the delete right", uppyWebKey, `{"method":"DELETE","key":"web/x/y"}`, 403, "forbidden"},
		{"unknown method", uppyWebKey, `{"method":"PATCH","key":"web/x/y"}`, 400, "invalid_field"},
		{"GET without uploadId (GetObject)", uppyWebKey, `{"method":"GET","key":"web/x/y"}`, 400, "invalid_field"},
		{"HEAD", uppyWebKey, `{"method":"HEAD","key":"web/x/y","uploadId":"u1"}`, 400, "invalid_field"},
		{"no method", uppyWebKey, `{"key":"web/x/y"}`, 400, "invalid_field"},
		{"part 0", uppyWebKey, `{"method":"PUT","key":"web/x/y","uploadId":"u1","partNumber":0}`, 400, "invalid_field"},
		{"part 10001", uppyWebKey, `{"method":"PUT","key":"web/x/y","uploadId":"u1","partNumber":10001}`, 400, "invalid_field"},
		{"part as text", uppyWebKey, `{"method":"PUT","key":"web/x/y","uploadId":"u1","partNumber":"abc"}`, 400, "invalid_json"},
		{"part number without uploadId", uppyWebKey, `{"method":"PUT","key":"cat.png","partNumber":1}`, 400, "invalid_field"},
		{"CreateMultipartUpload of x.exe, images only", uppyWebKey, `{"method":"POST","key":"x.exe"}`, 415, "content_type_not_allowed"},
		{"CreateMultipartUpload of a name without a type", uppyWebKey, `{"method":"POST","key":"README"}`, 415, "content_type_not_allowed"},
		{"PutObject of a type not allowed", uppyWebKey, `{"method":"PUT","key":"a.html","contentType":"text/html"}`, 415, "content_type_not_allowed"},
		{"expiresIn over the maximum", uppyWebKey, `{"method":"PUT","key":"cat.png","contentType":"image/png","expiresIn":86400}`, 400, "invalid_field"},
		{"unknown member", uppyWebKey, `{"method":"PUT","key":"cat.png","contentType":"image/png","bucket":"other"}`, 400, "invalid_json"},
		{"no multipart right", uppyNoMPKey, `{"method":"POST","key":"a.png"}`, 403, "forbidden"},
		{"no multipart right: part", uppyNoMPKey, `{"method":"PUT","key":"nomp/x","uploadId":"u1","partNumber":1}`, 403, "forbidden"},
		{"unauthenticated", "", `{"method":"PUT","key":"cat.png","contentType":"image/png"}`, 401, "unauthorized"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.call(t, "POST", "/v1/uppy/sign", tt.key, tt.body), tt.status, tt.code)
		})
	}
}

// TestUppySignOverLimit: in signRequest mode @uppy/aws-s3 6.3.1
// (src/s3-client/types.ts) tells the signer no size, so signing
// CompleteMultipartUpload {POST, key, uploadId} lists the parts storage
// holds; over the tenant's MaxSize it answers 413 too_large and aborts
// the upload.
func TestUppySignOverLimit(t *testing.T) {
	e := newUppyEnv(t)
	key, uploadID := e.createSigned(t, uppySmallKey, "x-big.bin", "application/octet-stream")
	var etags []string
	for i, n := range []int{5 * mib, 2 * mib} { // 7 MiB > 6 MiB
		ps := e.sign(t, uppySmallKey, map[string]any{"method": "PUT", "key": key, "uploadId": uploadID, "partNumber": i + 1})
		etags = append(etags, putPart(t, ps.URL, randomBytes(byte(30+i), n), ps.Headers))
	}
	// The completion is signed, and its URL is the service's own: the
	// check comes when the browser posts the document there, as S3 would
	// be posted to, and is answered in S3's XML.
	done := sendSigned(t, http.MethodPost, e.sign(t, uppySmallKey, map[string]any{"method": "POST", "key": key, "uploadId": uploadID}),
		completeXML(etags...), "Content-Type", "application/xml")
	if done.status != http.StatusRequestEntityTooLarge || !bytes.Contains(done.body, []byte("<Code>too_large</Code>")) || done.header.Get("Content-Type") != "application/xml" {
		t.Errorf("completing over the limit: %s, want 413 with an XML Error too_large", done)
	}
	r := sendSigned(t, http.MethodGet, e.sign(t, uppySmallKey, map[string]any{"method": "GET", "key": key, "uploadId": uploadID}), nil)
	if r.status != http.StatusNotFound || !bytes.Contains(r.body, []byte("NoSuchUpload")) {
		t.Errorf("ListParts after the refusal: %s, want 404 NoSuchUpload (aborted)", r)
	}
	e.wantNotStored(t, uppySmallKey, key)
}

// TestUppySignPartsSwappedAfterSigning: a page that has the completion
// signed while its parts are small, then sends bigger ones through the
// part URLs it still holds, does not get them assembled: the service
// checks the parts when the CompleteMultipartUpload document reaches it,
// not when it signs.
func TestUppySignPartsSwappedAfterSigning(t *testing.T) {
	e := newUppyEnv(t)
	key, uploadID := e.createSigned(t, uppySmallKey, "x-swap.bin", "application/octet-stream")
	p1 := e.sign(t, uppySmallKey, map[string]any{"method": "PUT", "key": key, "uploadId": uploadID, "partNumber": 1})
	putPart(t, p1.URL, randomBytes(40, 10), p1.Headers)
	complete := e.sign(t, uppySmallKey, map[string]any{"method": "POST", "key": key, "uploadId": uploadID})
	p2 := e.sign(t, uppySmallKey, map[string]any{"method": "PUT", "key": key, "uploadId": uploadID, "partNumber": 2})
	etags := []string{putPart(t, p1.URL, randomBytes(41, 5*mib), p1.Headers), putPart(t, p2.URL, randomBytes(42, 3*mib), p2.Headers)}
	done := sendSigned(t, http.MethodPost, complete, completeXML(etags...), "Content-Type", "application/xml")
	if done.status != http.StatusRequestEntityTooLarge {
		t.Errorf("completing swapped parts over the limit: %s, want 413", done)
	}
	e.wantNotStored(t, uppySmallKey, key)
}

// TestUppySignCreateTypeSigned: CreateMultipartUpload {method: "POST",
// key} of @uppy/aws-s3 6.3.1 src/s3-client/types.ts carries no type; the
// browser sends the file's own on the request (S3mini.ts
// createMultipartUpload), after the signer's headers
// (src/s3-client/S3Client.ts: a Content-Type the signer returns wins).
// For a tenant limited to some types the type told by the name is signed
// and returned in headers: an object created through that URL has it,
// and a page that sends another type instead is refused by the store.
func TestUppySignCreateTypeSigned(t *testing.T) {
	e := newUppyEnv(t)
	for _, tt := range []struct {
		name     string
		override bool // the page sends its own Content-Type last
		stored   bool
	}{
		{"as Uppy sends it", false, true},
		{"the page's type in place of the signed one", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := e.sign(t, uppyWebKey, map[string]any{"method": "POST", "key": "x.png"})
			if got := s.Headers["Content-Type"]; got != "image/png" {
				t.Fatalf("CreateMultipartUpload headers %v: want the signed Content-Type image/png", s.Headers)
			}
			var r reply
			if tt.override {
				r = send(t, http.MethodPost, s.URL, nil, "Content-Type", "text/html")
			} else {
				r = sendSigned(t, http.MethodPost, s, nil, "Content-Type", "text/html")
			}
			if !tt.stored {
				if r.status != http.StatusForbidden || !bytes.Contains(r.body, []byte("SignatureDoesNotMatch")) {
					t.Errorf("CreateMultipartUpload with another type: %s, want 403 SignatureDoesNotMatch", r)
				}
				return
			}
			var out struct {
				UploadID string `xml:"UploadId"`
			}
			if r.status != http.StatusOK || xml.Unmarshal(r.body, &out) != nil || out.UploadID == "" {
				t.Fatalf("CreateMultipartUpload: %s", r)
			}
			data := []byte("\x89PNG not really")
			ps := e.sign(t, uppyWebKey, map[string]any{"method": "PUT", "key": s.Key, "uploadId": out.UploadID, "partNumber": 1})
			et := putPart(t, ps.URL, data, ps.Headers)
			cs := e.sign(t, uppyWebKey, map[string]any{"method": "POST", "key": s.Key, "uploadId": out.UploadID})
			if r := sendSigned(t, http.MethodPost, cs, completeXML(et), "Content-Type", "application/xml"); r.status != http.StatusOK {
				t.Fatalf("CompleteMultipartUpload: %s", r)
			}
			e.wantStored(t, uppyWebKey, s.Key, data, "image/png")
		})
	}
}

// sessionCookieOf returns the presign_session cookie a reply sets.
func sessionCookieOf(t *testing.T, r reply) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "presign_session" {
			return c
		}
	}
	t.Fatalf("no presign_session cookie in %q", r.header.Values("Set-Cookie"))
	return nil
}

// TestSessionCookie: @uppy/aws-s3 6.3.1 src/s3-client/CompanionS3.ts
// fetches the /s3 routes with no custom header and the default
// credentials mode (same-origin), so a page of the service's own origin
// authenticates them with the cookie of POST /v1/session; a request from
// another site or origin is refused, and the cookie is no bearer key.
func TestSessionCookie(t *testing.T) {
	e := newUppyEnv(t)
	wantError(t, e.call(t, "POST", "/v1/session", "", ""), 401, "unauthorized")
	r := e.call(t, "POST", "/v1/session", uppyWebKey, "")
	var sess struct {
		Client    string `json:"client"`
		ExpiresIn int64  `json:"expiresIn"`
	}
	ok(t, "POST /v1/session", r, &sess)
	if sess.Client != "web" || sess.ExpiresIn != int64(issuer.SessionLife/time.Second) {
		t.Errorf("session: %+v", sess)
	}
	ck := sessionCookieOf(t, r)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure || ck.MaxAge != int(issuer.SessionLife/time.Second) {
		t.Errorf("cookie %q: want HttpOnly, SameSite=Strict, Path=/, Max-Age=%d, no Secure over http", ck.String(), int(issuer.SessionLife/time.Second))
	}
	cookie := "presign_session=" + ck.Value
	host := strings.TrimPrefix(e.api, "http://")
	params := "/s3/params?filename=cat.png&type=image%2Fpng&metadata%5BrelativePath%5D=null"
	tampered := []byte(ck.Value)
	tampered[len(tampered)/3] ^= 1

	for _, tt := range []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		code                     string
	}{
		{"params with the cookie", "GET", params, "", []string{"Cookie", cookie}, 200, ""},
		{"params, same-origin", "GET", params, "", []string{"Cookie", cookie, "Sec-Fetch-Site", "same-origin", "Origin", "http://" + host}, 200, ""},
		{"create with the cookie", "POST", "/s3/multipart", `{"filename":"a.png","type":"image/png","metadata":{}}`, []string{"Cookie", cookie, "Sec-Fetch-Site", "same-origin"}, 200, ""},
		{"sign with the cookie", "POST", "/v1/uppy/sign", `{"method":"PUT","key":"a.png","contentType":"image/png"}`, []string{"Cookie", cookie}, 200, ""},
		{"cross-site", "GET", params, "", []string{"Cookie", cookie, "Sec-Fetch-Site", "cross-site"}, 403, "forbidden"},
		{"same-site", "GET", params, "", []string{"Cookie", cookie, "Sec-Fetch-Site", "same-site"}, 403, "forbidden"},
		{"cross-site create", "POST", "/s3/multipart", `{"filename":"a.png","type":"image/png"}`, []string{"Cookie", cookie, "Sec-Fetch-Site", "cross-site"}, 403, "forbidden"},
		{"another origin", "GET", params, "", []string{"Cookie", cookie, "Origin", "http://evil.example"}, 403, "forbidden"},
		{"another port", "GET", params, "", []string{"Cookie", cookie, "Origin", "http://127.0.0.1:1"}, 403, "forbidden"},
		{"origin null", "POST", "/v1/uppy/sign", `{"method":"PUT","key":"a.png","contentType":"image/png"}`, []string{"Cookie", cookie, "Origin", "null"}, 403, "forbidden"},
		{"tampered cookie", "GET", params, "", []string{"Cookie", "presign_session=" + string(tampered)}, 401, "unauthorized"},
		{"garbage cookie", "GET", params, "", []string{"Cookie", "presign_session=x.y"}, 401, "unauthorized"},
		{"an upload token as the cookie", "GET", params, "", []string{"Cookie", "presign_session=" + e.companionCreate(t, uppyWebKey, "a.png", "image/png").UploadID}, 401, "unauthorized"},
		{"bearer-only route: uploads", "POST", "/v1/uploads", `{"filename":"a.png","contentType":"image/png","size":1}`, []string{"Cookie", cookie}, 401, "unauthorized"},
		{"bearer-only route: downloads", "POST", "/v1/downloads", `{"key":"web/x"}`, []string{"Cookie", cookie}, 401, "unauthorized"},
		{"bearer-only route: session", "POST", "/v1/session", "", []string{"Cookie", cookie}, 401, "unauthorized"},
		{"sts with the cookie", "GET", "/s3/sts", "", []string{"Cookie", cookie}, 403, "no_credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(t, tt.method, tt.path, "", tt.body, tt.hdr...)
			if tt.status == 200 {
				ok(t, tt.name, r, nil)
				return
			}
			wantError(t, r, tt.status, tt.code)
		})
	}

	r = e.call(t, "DELETE", "/v1/session", "", "", "Cookie", cookie)
	if r.status/100 != 2 {
		t.Fatalf("DELETE /v1/session: %s", r)
	}
	if c := sessionCookieOf(t, r); c.MaxAge > 0 || c.Value != "" || c.Path != "/" {
		t.Errorf("DELETE /v1/session set %q: want the cookie cleared (Max-Age<=0)", c.String())
	}
	if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), "Max-Age=0") {
		t.Errorf("Set-Cookie %q has no Max-Age=0", r.header.Values("Set-Cookie"))
	}
}

// TestSessionExpired: the session cookie that lets @uppy/aws-s3 6.3.1
// src/s3-client/CompanionS3.ts reach GET /s3/params lasts SessionLife,
// whatever the browser keeps; after it, 401.
func TestSessionExpired(t *testing.T) {
	e := newUppyEnv(t)
	ck := sessionCookieOf(t, e.call(t, "POST", "/v1/session", uppyWebKey, ""))
	params := "/s3/params?filename=cat.png&type=image%2Fpng"
	ok(t, "params in the session", e.call(t, "GET", params, "", "", "Cookie", "presign_session="+ck.Value), nil)
	e.clock.Set(issuer.SessionLife + time.Second)
	wantError(t, e.call(t, "GET", params, "", "", "Cookie", "presign_session="+ck.Value), 401, "unauthorized")
	wantError(t, e.call(t, "POST", "/v1/uppy/sign", "", `{"method":"PUT","key":"a.png","contentType":"image/png"}`, "Cookie", "presign_session="+ck.Value), 401, "unauthorized")
	e.clock.Set(issuer.SessionLife - time.Minute)
	ok(t, "params just before the end", e.call(t, "GET", params, "", "", "Cookie", "presign_session="+ck.Value), nil)
}

// TestUppyCompleteURLHostile: the completion URL POST /v1/uppy/sign gives
// for CompleteMultipartUpload (the service's own, as @uppy/aws-s3 6.3.1
// src/s3-client/S3mini.ts posts its CompleteMultipartUpload document to
// whatever URL the signer returns) refuses, in S3's XML, a token it did
// not make or made for another route, one whose time is over, and a body
// that is not a valid part list; storage is never asked to complete.
func TestUppyCompleteURLHostile(t *testing.T) {
	e := newUppyEnv(t)
	key, uploadID := e.createSigned(t, uppySmallKey, "x-hostile.bin", "application/octet-stream")
	p1 := e.sign(t, uppySmallKey, map[string]any{"method": "PUT", "key": key, "uploadId": uploadID, "partNumber": 1})
	etag := putPart(t, p1.URL, randomBytes(50, 1024), p1.Headers)
	complete := e.sign(t, uppySmallKey, map[string]any{"method": "POST", "key": key, "uploadId": uploadID})
	u, err := url.Parse(complete.URL)
	if err != nil || !strings.HasPrefix(u.Path, "/v1/uppy/complete/") {
		t.Fatalf("the completion URL %q is not the service's", complete.URL)
	}
	token := strings.TrimPrefix(u.Path, "/v1/uppy/complete/")
	body64, mac64, _ := strings.Cut(token, ".")
	flipped := []byte(mac64)
	flipped[0] ^= 1
	session := sessionCookieOf(t, e.call(t, "POST", "/v1/session", uppySmallKey, "")).Value
	good := string(completeXML(etag))
	for _, tt := range []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"a forged signature", body64 + "." + string(flipped), good, 404, "no_such_upload"},
		{"no signature", body64, good, 404, "no_such_upload"},
		{"a session cookie's token", session, good, 404, "no_such_upload"},
		{"not a token", "x", good, 404, "no_such_upload"},
		{"no parts", token, "<CompleteMultipartUpload></CompleteMultipartUpload>", 400, "invalid_parts"},
		{"parts out of order", token, "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>", 400, "invalid_parts"},
		{"part 0", token, "<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>", 400, "invalid_parts"},
		{"not XML", token, "{}", 400, "invalid_parts"},
		{"a part storage does not hold", token, string(completeXML(etag, "0123456789abcdef0123456789abcdef")), 400, "invalid_parts"},
		{"another ETag", token, string(completeXML("0123456789abcdef0123456789abcdef")), 400, "invalid_parts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, http.MethodPost, e.api+"/v1/uppy/complete/"+tt.token, strings.NewReader(tt.body), "Content-Type", "application/xml")
			if r.status != tt.status || !bytes.Contains(r.body, []byte("<Code>"+tt.code+"</Code>")) || r.header.Get("Content-Type") != "application/xml" {
				t.Errorf("got %s, want %d with an XML Error %s", r, tt.status, tt.code)
			}
		})
	}
	// Its time over: refused, and the upload is still there to sign again.
	e.clock.Set(2 * time.Hour)
	r := send(t, http.MethodPost, complete.URL, strings.NewReader(good), "Content-Type", "application/xml")
	if r.status != http.StatusGone || !bytes.Contains(r.body, []byte("<Code>upload_expired</Code>")) {
		t.Errorf("an expired completion URL: %s, want 410 upload_expired", r)
	}
	e.clock.Set(0)
	if r := sendSigned(t, http.MethodPost, e.sign(t, uppySmallKey, map[string]any{"method": "POST", "key": key, "uploadId": uploadID}),
		[]byte(good), "Content-Type", "application/xml"); r.status != http.StatusOK || !bytes.Contains(r.body, []byte("<Key>"+key+"</Key>")) {
		t.Errorf("completing with a new URL: %s", r)
	}
}
