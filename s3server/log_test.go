package s3server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
)

// TestAccessLog checks that each request is logged once, with its id and
// status, and that no secret of a presigned URL reaches the log.
func TestAccessLog(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	c, err := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: "SESSIONTOKEN"},
		Region:      "us-east-1", Endpoint: ts.url,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Presign(context.Background(), presign.GetObject, &presign.Input{Bucket: "bkt", Key: "k"},
		presign.Options{SigningTime: testTime, Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest("GET", res.URL, nil)
	r := ts.send(hr) // refused: the server does not know the token
	sig := res.URL[strings.Index(res.URL, "X-Amz-Signature=")+len("X-Amz-Signature="):]
	logs := ts.logs.String()
	for _, secret := range []string{sig, "SESSIONTOKEN", testSecret, "AKIDEXAMPLE%2F", res.URL} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q:\n%s", secret, logs)
		}
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["request_id"] == r.header.Get("X-Amz-Request-Id") {
			found = true
			if rec["status"] != float64(r.status) || rec["code"] != "InvalidToken" || rec["path"] != "/bkt/k" {
				t.Errorf("log record %v", rec)
			}
		}
	}
	if !found {
		t.Errorf("no log record for request %s:\n%s", r.header.Get("X-Amz-Request-Id"), logs)
	}
}

// TestAccessLogClientGone: a client that goes away in the middle of a
// download is no internal error: one access log record at INFO, status
// 200, marked client_gone, with no error code, and nothing at ERROR; a
// client's 4xx is logged at INFO too (issue 9, defect 6).
func TestAccessLogClientGone(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	ts.put("bkt", "big", bytes.Repeat([]byte("0123456789abcdef"), 2<<20), nil) // 32 MiB: more than the sockets buffer
	wantError(t, ts.get("bkt", "missing", nil), "NoSuchKey")

	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.newRequest(req{method: "GET", target: "/bkt/big"}).Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %v %v", err, resp)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, 64<<10); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	var rec map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for rec == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		for _, line := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
			var r map[string]any
			if json.Unmarshal([]byte(line), &r) == nil && r["path"] == "/bkt/big" && r["method"] == "GET" {
				rec = r
			}
		}
	}
	if rec == nil {
		t.Fatalf("no access log record for the download:\n%s", ts.logs)
	}
	if rec["level"] != "INFO" || rec["status"] != float64(200) || rec["client_gone"] != true || rec["code"] != nil {
		t.Errorf("the cut download is logged as %v", rec)
	}
	for _, line := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
		var r map[string]any
		json.Unmarshal([]byte(line), &r)
		if r["level"] == "ERROR" || strings.Contains(line, "InternalError") || r["status"] == float64(404) && r["level"] != "INFO" {
			t.Errorf("log line %s", line)
		}
	}
}
