//go:build unix

package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/issuer"
)

var gatewayRE = regexp.MustCompile(`verifying gateway listening on (http://127\.0\.0\.1:\d+)`)

// TestGatewayToMinIO: with --gateway, the URLs of a service on a real MinIO
// point at the gateway, which verifies them and their grants and streams
// to MinIO: a single-use upload works once, a download works until its
// grant is revoked, a prefix revocation refuses the URLs issued before it;
// and a 1 GiB upload and download pass through in constant memory.
func TestGatewayToMinIO(t *testing.T) {
	m := startMinIO(t)
	const bucket = "presign-gateway"
	if err := m.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	conf, key := writeConfig(t, "")
	s := startPresign(t, key, []string{"AWS_ACCESS_KEY_ID=" + m.Credentials.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + m.Credentials.SecretAccessKey},
		"--config", conf, "--backend", "s3://"+bucket, "--endpoint", m.Endpoint, "--path-style", "--region", "us-east-1", "--gateway", "127.0.0.1:0")
	gm := gatewayRE.FindStringSubmatch(s.stdout.String())
	if gm == nil {
		t.Fatalf("no gateway banner\n%s", s.output())
	}
	gw := gm[1]

	// A single-use PUT, through the gateway.
	data := []byte("through the gateway")
	u := issueUpload(t, s, map[string]any{"filename": "g.txt", "contentType": "text/plain", "size": len(data), "singleUse": true}, "PUT")
	if !strings.HasPrefix(u.URL, gw+"/") {
		t.Fatalf("the upload URL %s does not point at the gateway %s", u.URL, gw)
	}
	if status, body := send(t, "PUT", u.URL, u.Headers, data); status != 200 {
		t.Fatalf("PUT through the gateway: %d %s", status, body)
	}
	if status, body := send(t, "PUT", u.URL, u.Headers, data); status != 403 || !strings.Contains(string(body), "used up") {
		t.Fatalf("a second PUT of a single-use URL: %d %s", status, body)
	}
	// The object is in MinIO; a download URL through the gateway reads it
	// until its grant is revoked.
	var d issuer.DownloadResponse
	if status, code := s.call(t, "POST", "/v1/downloads", map[string]any{"key": u.Key}, &d); status != 200 {
		t.Fatalf("download: %d %s", status, code)
	}
	get := func(url string) (int, []byte) {
		resp, err := httpClient.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, body := get(d.URL); status != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET through the gateway: %d %q", status, body)
	}
	if status, code := s.call(t, "DELETE", "/v1/grants/"+d.Grant, nil, nil); status != 200 {
		t.Fatalf("revoke: %d %s", status, code)
	}
	if status, body := get(d.URL); status != 403 || !strings.Contains(string(body), "was revoked") {
		t.Fatalf("GET after the revocation: %d %s", status, body)
	}
	// A prefix revocation.
	if status, code := s.call(t, "POST", "/v1/downloads", map[string]any{"key": u.Key}, &d); status != 200 {
		t.Fatalf("download: %d %s", status, code)
	}
	if status, code := s.call(t, "POST", "/v1/grants/revoke", map[string]any{}, nil); status != 200 {
		t.Fatalf("revoke the prefix: %d %s", status, code)
	}
	if status, _ := get(d.URL); status != 403 {
		t.Fatalf("GET after the prefix revocation: %d", status)
	}
	time.Sleep(1100 * time.Millisecond)
	if status, code := s.call(t, "POST", "/v1/downloads", map[string]any{"key": u.Key}, &d); status != 200 {
		t.Fatalf("download: %d %s", status, code)
	}
	if status, body := get(d.URL); status != 200 {
		t.Fatalf("a URL issued after the prefix revocation: %d %s", status, body)
	}

	t.Run("1 GiB in constant memory", func(t *testing.T) {
		if testing.Short() {
			t.Skip("moves 2 GiB")
		}
		const size = 1 << 30
		var p issuer.PresignResponse
		if status, code := s.call(t, "POST", "/v1/presign", map[string]any{"method": "PUT", "key": "e2e/big.bin", "contentType": "application/octet-stream", "size": size}, &p); status != 200 {
			t.Fatalf("presign: %d %s", status, code)
		}
		before := vmHWM(t, s.cmd.Process.Pid)
		req, _ := http.NewRequest("PUT", p.URL, io.LimitReader(pattern{}, size))
		req.ContentLength = size
		for k, v := range p.Headers {
			if k != "Content-Length" {
				req.Header.Set(k, v)
			}
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("1 GiB PUT: %d", resp.StatusCode)
		}
		if status, code := s.call(t, "POST", "/v1/presign", map[string]any{"method": "GET", "key": "e2e/big.bin"}, &p); status != 200 {
			t.Fatalf("presign GET: %d %s", status, code)
		}
		resp, err = httpClient.Get(p.URL)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, _ := io.Copy(h, resp.Body)
		resp.Body.Close()
		want := sha256.New()
		io.Copy(want, io.LimitReader(pattern{}, size))
		if n != size || !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
			t.Fatalf("1 GiB GET: %d bytes, digest differs: %v", n, !bytes.Equal(h.Sum(nil), want.Sum(nil)))
		}
		after := vmHWM(t, s.cmd.Process.Pid)
		t.Logf("serve's peak RSS: %d MiB before, %d MiB after 2 GiB through the gateway", before>>10, after>>10)
		if after-before > 64<<10 {
			t.Errorf("serve's peak RSS grew by %d MiB moving 1 GiB each way", (after-before)>>10)
		}
	})
}

// pattern is an endless reader of a fixed byte pattern.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return len(p), nil
}

// vmHWM is a process's peak resident set, in KiB.
func vmHWM(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatal("no VmHWM")
	return 0
}
