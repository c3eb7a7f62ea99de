//go:build unix

package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/presign-dev/presign/issuer"
)

// The multipart settings of the tests' config: a file of 6 MiB or more is
// uploaded in 5 MiB parts (S3's smallest), so the multipart test moves two
// parts and about 6 MiB.
const (
	multipartThreshold = 6 << 20
	partSize           = 5 << 20
)

// writeConfig writes a config file with one client (no rate limit) whose
// key it returns, the small multipart settings above, and extra lines.
func writeConfig(t *testing.T, extra string) (path, apiKey string) {
	t.Helper()
	apiKey = "psk_e2e" + randomHex(t, 24)
	conf := fmt.Sprintf(`multipart_threshold = %d
part_size = %d
upload_secret = %q
%s
[[clients]]
name = "e2e"
key_sha256 = %q
prefix = "e2e"
`, multipartThreshold, partSize, randomHex(t, 32), extra, issuer.HashKey(apiKey))
	path = filepath.Join(t.TempDir(), "presign.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, apiKey
}

// TestServeEmbedded runs the API on the embedded store.
func TestServeEmbedded(t *testing.T) {
	data := t.TempDir()
	conf, key := writeConfig(t, fmt.Sprintf("[store]\ndata = %q\n", data))
	s := startPresign(t, key, nil, "--config", conf, "--s3-addr", "127.0.0.1:0")
	exercise(t, s)
}

// TestServeMinIO runs the API on a real MinIO server.
func TestServeMinIO(t *testing.T) {
	m := startMinIO(t)
	const bucket = "presign-e2e"
	if err := m.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	conf, key := writeConfig(t, "")
	s := startPresign(t, key, []string{"AWS_ACCESS_KEY_ID=" + m.Credentials.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + m.Credentials.SecretAccessKey},
		"--config", conf, "--backend", "s3://"+bucket, "--endpoint", m.Endpoint, "--path-style", "--region", "us-east-1")
	exercise(t, s)
}

// exercise runs every scenario against a running server.
func exercise(t *testing.T, s *presignServer) {
	t.Run("cli-api", func(t *testing.T) { cliAPI(t, s) })
	t.Run("readyz", func(t *testing.T) {
		resp, err := httpClient.Get(s.api + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/readyz: %d %s\n%s", resp.StatusCode, b, s.output())
		}
	})
	t.Run("put", func(t *testing.T) {
		data := content(1, 100_000)
		u := issueUpload(t, s, map[string]any{"filename": "photo of me.jpg", "contentType": "image/jpeg", "size": len(data)}, "PUT")
		if got := u.Headers["Content-Type"]; got != "image/jpeg" {
			t.Errorf("Content-Type header %q, want image/jpeg", got)
		}
		if got := u.Headers["Content-Length"]; got != strconv.Itoa(len(data)) {
			t.Errorf("Content-Length header %q, want %d", got, len(data))
		}
		if status, body := send(t, u.Method, u.URL, u.Headers, data); status != http.StatusOK {
			t.Fatalf("PUT: %d %s", status, body)
		}
		download(t, s, u.Key, data, "image/jpeg")
	})
	t.Run("put-checksum", func(t *testing.T) {
		data := content(2, 12_345)
		sum := sha256.Sum256(data)
		u := issueUpload(t, s, map[string]any{"filename": "sum.bin", "contentType": "application/octet-stream", "size": len(data),
			"checksumSHA256": base64.StdEncoding.EncodeToString(sum[:])}, "PUT")
		if status, body := send(t, u.Method, u.URL, u.Headers, data); status != http.StatusOK {
			t.Fatalf("PUT: %d %s", status, body)
		}
		download(t, s, u.Key, data, "application/octet-stream")
	})
	t.Run("post", func(t *testing.T) {
		data := content(3, 54_321)
		u := issueUpload(t, s, map[string]any{"filename": "report.pdf", "contentType": "application/pdf", "size": len(data), "method": "POST"}, "POST")
		if status, body := postForm(t, u, data, nil); status/100 != 2 {
			t.Fatalf("POST: %d %s", status, body)
		}
		download(t, s, u.Key, data, "application/pdf")
	})
	t.Run("multipart", func(t *testing.T) {
		data := content(4, multipartThreshold+12_345)
		// The single-request route sends a file this large to multipart.
		if status, code := s.call(t, "POST", "/v1/uploads", map[string]any{"filename": "big.bin", "contentType": "application/zip", "size": len(data)}, nil); status != http.StatusBadRequest || code != "use_multipart" {
			t.Errorf("POST /v1/uploads of %d bytes: %d %s, want 400 use_multipart", len(data), status, code)
		}
		mp, parts := startMultipart(t, s, "big.zip", "application/zip", len(data))
		if mp.PartCount != 2 || mp.PartSize != partSize {
			t.Fatalf("multipart: %d parts of %d, want 2 of %d", mp.PartCount, mp.PartSize, partSize)
		}
		var done []issuer.Part
		for i, p := range parts {
			chunk := data[i*partSize : min((i+1)*partSize, len(data))]
			status, body, etag := sendETag(t, "PUT", p.URL, p.Headers, chunk)
			if status != http.StatusOK || etag == "" {
				t.Fatalf("part %d: %d %s (ETag %q)", p.PartNumber, status, body, etag)
			}
			done = append(done, issuer.Part{PartNumber: p.PartNumber, ETag: etag})
		}
		var c issuer.CompleteResponse
		if status, code := s.call(t, "POST", "/v1/uploads/multipart/"+mp.ID+"/complete", map[string]any{"parts": done}, &c); status != http.StatusOK {
			t.Fatalf("complete: %d %s\n%s", status, code, s.output())
		}
		if c.Key != mp.Key || c.ETag == "" {
			t.Errorf("complete: %+v, want key %s and an ETag", c, mp.Key)
		}
		download(t, s, mp.Key, data, "application/zip")
	})

	// Storage itself refuses what the URL was not issued for, and keeps
	// nothing of it.
	t.Run("refused/put-content-type", func(t *testing.T) {
		data := content(5, 1000)
		u := issueUpload(t, s, map[string]any{"filename": "a.png", "contentType": "image/png", "size": len(data)}, "PUT")
		h := clone(u.Headers)
		h["Content-Type"] = "text/html"
		refused(t, s, u.Key, "PUT of text/html with a URL for image/png", func() (int, []byte) { return send(t, u.Method, u.URL, h, data) })
	})
	t.Run("refused/put-size", func(t *testing.T) {
		data := content(6, 1000)
		u := issueUpload(t, s, map[string]any{"filename": "a.png", "contentType": "image/png", "size": len(data)}, "PUT")
		bigger := content(6, len(data)+1)
		h := clone(u.Headers)
		h["Content-Length"] = strconv.Itoa(len(bigger)) // the true length; the signed one is 1000
		refused(t, s, u.Key, "PUT of 1001 bytes with a URL for 1000", func() (int, []byte) { return send(t, u.Method, u.URL, h, bigger) })
	})
	t.Run("refused/put-checksum", func(t *testing.T) {
		data := content(7, 1000)
		sum := sha256.Sum256(data)
		u := issueUpload(t, s, map[string]any{"filename": "a.bin", "contentType": "application/octet-stream", "size": len(data),
			"checksumSHA256": base64.StdEncoding.EncodeToString(sum[:])}, "PUT")
		other := content(8, len(data))
		refused(t, s, u.Key, "PUT of other bytes than the signed checksum's", func() (int, []byte) { return send(t, u.Method, u.URL, u.Headers, other) })
	})
	t.Run("refused/post-size", func(t *testing.T) {
		data := content(9, 1000)
		u := issueUpload(t, s, map[string]any{"filename": "a.pdf", "contentType": "application/pdf", "size": len(data), "method": "POST"}, "POST")
		refused(t, s, u.Key, "POST of 1001 bytes with a form for 1000", func() (int, []byte) { return postForm(t, u, content(9, len(data)+1), nil) })
		refused(t, s, u.Key, "POST of 999 bytes with a form for 1000", func() (int, []byte) { return postForm(t, u, data[:len(data)-1], nil) })
	})
	t.Run("refused/post-content-type", func(t *testing.T) {
		data := content(10, 1000)
		u := issueUpload(t, s, map[string]any{"filename": "a.pdf", "contentType": "application/pdf", "size": len(data), "method": "POST"}, "POST")
		refused(t, s, u.Key, "POST of text/html with a form for application/pdf", func() (int, []byte) {
			return postForm(t, u, data, map[string]string{"Content-Type": "text/html"})
		})
	})
	t.Run("refused/part-size", func(t *testing.T) {
		size := multipartThreshold + 1
		mp, parts := startMultipart(t, s, "big.zip", "application/zip", size)
		chunk := content(11, partSize-1)
		h := clone(parts[0].Headers)
		h["Content-Length"] = strconv.Itoa(len(chunk))
		if status, body := send(t, "PUT", parts[0].URL, h, chunk); status/100 == 2 || s3Error(body) == "" {
			t.Errorf("part 1 of %d bytes with a URL for %d: %d %s, want refused by storage", len(chunk), partSize, status, body)
		} else {
			t.Logf("part of the wrong size: %d %s", status, s3Error(body))
		}
		if status, code := s.call(t, "DELETE", "/v1/uploads/multipart/"+mp.ID, nil, nil); status != http.StatusNoContent {
			t.Errorf("abort: %d %s", status, code)
		}
	})
}

// content returns n pseudo-random bytes, the same for the same seed.
func content(seed uint64, n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed)})
	b := make([]byte, n)
	r.Read(b)
	return b
}

func clone(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = v
	}
	return out
}

// uploadAnswer is POST /v1/uploads's answer, with the fields in order.
type uploadAnswer struct {
	issuer.UploadResponse
	Fields json.RawMessage `json:"fields"`
}

// issueUpload asks POST /v1/uploads for an upload and checks its method
// and key.
func issueUpload(t *testing.T, s *presignServer, req map[string]any, method string) *uploadAnswer {
	t.Helper()
	var u uploadAnswer
	if status, code := s.call(t, "POST", "/v1/uploads", req, &u); status != http.StatusOK {
		t.Fatalf("POST /v1/uploads %v: %d %s\n%s", req, status, code, s.output())
	}
	if u.Method != method || !strings.HasPrefix(u.Key, "e2e/") || u.URL == "" {
		t.Fatalf("POST /v1/uploads %v: method %s key %q url %q", req, u.Method, u.Key, u.URL)
	}
	return &u
}

// startMultipart starts a multipart upload and gets every part's URL.
func startMultipart(t *testing.T, s *presignServer, name, contentType string, size int) (*issuer.MultipartResponse, []issuer.PartURL) {
	t.Helper()
	var mp issuer.MultipartResponse
	if status, code := s.call(t, "POST", "/v1/uploads/multipart", map[string]any{"filename": name, "contentType": contentType, "size": size}, &mp); status != http.StatusOK {
		t.Fatalf("POST /v1/uploads/multipart: %d %s\n%s", status, code, s.output())
	}
	numbers := make([]int, mp.PartCount)
	for i := range numbers {
		numbers[i] = i + 1
	}
	var parts issuer.PartsResponse
	if status, code := s.call(t, "POST", "/v1/uploads/multipart/"+mp.ID+"/parts", map[string]any{"partNumbers": numbers}, &parts); status != http.StatusOK {
		t.Fatalf("parts: %d %s", status, code)
	}
	if len(parts.Parts) != mp.PartCount {
		t.Fatalf("parts: %d URLs for %d parts", len(parts.Parts), mp.PartCount)
	}
	return &mp, parts.Parts
}

// send makes a request with exactly the given headers, and returns the
// status and body. Content-Length must be the body's length (net/http
// sends the true length), and Host is the request's host.
func send(t *testing.T, method, url string, headers map[string]string, body []byte) (int, []byte) {
	t.Helper()
	status, b, _ := sendETag(t, method, url, headers, body)
	return status, b
}

func sendETag(t *testing.T, method, url string, headers map[string]string, body []byte) (int, []byte, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		switch textproto.CanonicalMIMEHeaderKey(k) {
		case "Content-Length":
			if v != strconv.Itoa(len(body)) {
				t.Fatalf("Content-Length %s for a body of %d bytes", v, len(body))
			}
		case "Host":
			req.Host = v
		default:
			req.Header.Set(k, v)
		}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header.Get("ETag")
}

// postForm sends a browser-style multipart/form-data POST: the API's
// fields in their order (with override's values), then the file.
func postForm(t *testing.T, u *uploadAnswer, data []byte, override map[string]string) (int, []byte) {
	t.Helper()
	fields, err := orderedFields(u.Fields)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		v := f[1]
		if o, ok := override[f[0]]; ok {
			v = o
		}
		if err := w.WriteField(f[0], v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return send(t, "POST", u.URL, map[string]string{"Content-Type": w.FormDataContentType()}, buf.Bytes())
}

// download gets a URL from POST /v1/downloads, fetches it, and compares
// the bytes and the content type.
func download(t *testing.T, s *presignServer, key string, want []byte, contentType string) {
	t.Helper()
	var d issuer.DownloadResponse
	if status, code := s.call(t, "POST", "/v1/downloads", map[string]any{"key": key}, &d); status != http.StatusOK {
		t.Fatalf("POST /v1/downloads %s: %d %s", key, status, code)
	}
	if d.Method != "GET" {
		t.Fatalf("download method %s", d.Method)
	}
	resp, err := httpClient.Get(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", key, resp.StatusCode, got)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("GET %s: %d bytes differ from the %d uploaded", key, len(got), len(want))
	}
	if ct := resp.Header.Get("Content-Type"); ct != contentType {
		t.Errorf("GET %s: Content-Type %q, want %q", key, ct, contentType)
	}
}

// refused checks that storage answers do with an S3 error (400 or 403),
// and that the object was not created.
func refused(t *testing.T, s *presignServer, key, what string, do func() (int, []byte)) {
	t.Helper()
	status, body := do()
	code := s3Error(body)
	if (status != http.StatusBadRequest && status != http.StatusForbidden) || code == "" {
		t.Errorf("%s: %d %s, want 400 or 403 with an S3 error from storage", what, status, body)
		return
	}
	t.Logf("%s: %d %s", what, status, code)
	var d issuer.DownloadResponse
	if status, code := s.call(t, "POST", "/v1/downloads", map[string]any{"key": key}, &d); status != http.StatusOK {
		t.Fatalf("POST /v1/downloads %s: %d %s", key, status, code)
	}
	resp, err := httpClient.Get(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || s3Error(b) != "NoSuchKey" {
		t.Errorf("after the refused upload, GET %s: %d %s, want 404 NoSuchKey", key, resp.StatusCode, b)
	}
}

// TestServeMinIOProbe: on a real MinIO, serve refuses to start with
// credentials it refuses or a bucket it lacks, saying which, and
// --check-config says the same in one run.
func TestServeMinIOProbe(t *testing.T) {
	m := startMinIO(t)
	const bucket = "presign-probe"
	if err := m.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	conf, _ := writeConfig(t, "")
	for _, tt := range []struct {
		name, secret, bucket, want string
	}{
		{"wrong secret", "not-the-secret-0123456789", bucket, "presign: the S3 backend refuses the service's credentials: SignatureDoesNotMatch"},
		{"no such bucket", m.Credentials.SecretAccessKey, "no-such-bucket", `presign: the S3 backend has no bucket "no-such-bucket"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"AWS_ACCESS_KEY_ID=" + m.Credentials.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + tt.secret}
			args := []string{"serve", "--addr", "127.0.0.1:0", "--config", conf, "--backend", "s3://" + tt.bucket, "--endpoint", m.Endpoint, "--path-style", "--region", "us-east-1"}
			_, errs := runCLI(t, env, 2, args...)
			if !strings.HasPrefix(errs, tt.want) {
				t.Errorf("serve: %s\nwant it to start %s", errs, tt.want)
			}
			out, _ := runCLI(t, env, 2, append(args, "--check-config")...)
			if !strings.Contains(out, strings.TrimPrefix(tt.want, "presign: ")) {
				t.Errorf("--check-config:\n%s", out)
			}
		})
	}
}
