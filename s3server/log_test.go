package s3server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
)

func TestRedactQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"list-type=2&prefix=a", "list-type=2&prefix=a"},
		{"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc&X-Amz-Security-Token=tok",
			"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED"},
		{"x-amz-signature=abc&X%2DAmz%2DSignature=def", "x-amz-signature=REDACTED&X%2DAmz%2DSignature=REDACTED"},
		{"Signature=legacy&AWSAccessKeyId=AKID", "Signature=REDACTED&AWSAccessKeyId=REDACTED"},
	}
	for _, tt := range tests {
		if got := redactQuery(tt.in); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

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
