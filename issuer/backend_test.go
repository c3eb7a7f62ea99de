package issuer

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
)

// sessionCreds are temporary credentials: the URLs the backend signs carry
// X-Amz-Security-Token.
var sessionCreds = credentials.Static{AccessKeyID: "ASIATESTSESSIONKEY", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	SessionToken: "IQoJb3JpZ2luSESSIONTOKENSECRET/with+base64=="}

// secretRE matches an unredacted secret of a signed URL, in plain or
// percent-encoded form.
var secretRE = regexp.MustCompile(`(?i)(x-amz-signature|x-amz-credential|x-amz-security-token)(=|%3D)([^R&"\s\\]|R[^E])`)

// checkNoSecrets fails if text holds any part of a signed URL's secrets.
func checkNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{sessionCreds.SessionToken, "IQoJb3JpZ2lu", "SESSIONTOKEN", sessionCreds.AccessKeyID, sessionCreds.SecretAccessKey} {
		if strings.Contains(text, s) {
			t.Errorf("%s contains %q:\n%s", what, s, text)
		}
	}
	if m := secretRE.FindString(text); m != "" {
		t.Errorf("%s contains %q:\n%s", what, m, text)
	}
}

// syncBuffer is a bytes.Buffer for a log written while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// logRecords returns the JSON records of a log.
func logRecords(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// newSessionServer returns the API on storage at endpoint, presigning with
// session credentials, with its operational log and audit log captured.
func newSessionServer(t *testing.T, endpoint string, timeout time.Duration) (s *Server, log, audit *syncBuffer) {
	t.Helper()
	p, err := presign.New(presign.Config{Credentials: sessionCreds, Region: "us-east-1", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	log, audit = &syncBuffer{}, &syncBuffer{}
	s, err = New(Options{
		Config:  testConfig(),
		Backend: &Backend{Presigner: p, Bucket: testBucket, Timeout: timeout},
		Log:     slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Audit:   slog.New(slog.NewJSONHandler(audit, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, log, audit
}

// unusedAddr returns a 127.0.0.1 address nothing listens on.
func unusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestBackendFailuresRedacted: with storage unreachable, or answering
// errors that quote the request's URL, neither the answers (the
// unauthenticated /readyz included) nor the logs carry a signature, a
// credential or the session token (issue 9, defect 3).
func TestBackendFailuresRedacted(t *testing.T) {
	// Storage that refuses everything, quoting the signed URL back.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		xml.NewEncoder(w).Encode(struct {
			XMLName xml.Name `xml:"Error"`
			Code    string
			Message string
		}{Code: "AccessDenied", Message: "denied: " + r.URL.String()})
	}))
	defer echo.Close()

	for name, endpoint := range map[string]string{"unreachable": "http://" + unusedAddr(t), "refusing": echo.URL} {
		t.Run(name, func(t *testing.T) {
			s, log, audit := newSessionServer(t, endpoint, 0)
			token := s.sealToken(&uploadToken{Key: "web/u/a.jpg", UploadID: "upload-1", Client: "web", Size: 10 << 20,
				PartSize: 5 << 20, Type: "image/jpeg", Expires: time.Now().Add(time.Hour).Unix()})
			tests := []struct {
				method, path, key, body string
				status                  int
				code                    Code
			}{
				{"GET", "/readyz", "", "", 503, "not_ready"},
				{"POST", "/v1/uploads/multipart", webKey, `{"filename":"a.jpg","contentType":"image/jpeg","size":10485760}`, 502, "storage_error"},
				{"POST", "/v1/uploads/multipart/" + token + "/complete", webKey, `{"parts":[{"partNumber":1,"etag":"a"},{"partNumber":2,"etag":"b"}]}`, 502, "storage_error"},
				{"DELETE", "/v1/uploads/multipart/" + token, webKey, "", 502, "storage_error"},
			}
			for _, tt := range tests {
				w := call(t, s, tt.method, tt.path, tt.key, tt.body)
				var body struct{ Error *Error }
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == nil || w.Code != tt.status || body.Error.Code != tt.code {
					t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path[:min(len(tt.path), 30)], w.Code, w.Body, tt.status, tt.code)
				}
				checkNoSecrets(t, tt.method+" "+tt.path[:min(len(tt.path), 30)]+" answer", w.Body.String())
			}
			checkNoSecrets(t, "the log", log.String())
			checkNoSecrets(t, "the audit log", audit.String())
			recs := logRecords(t, log.String())
			if len(recs) != len(tests) {
				t.Errorf("%d log records for %d failures, want one each:\n%s", len(recs), len(tests), log)
			}
			for _, rec := range recs {
				if rec["level"] != "WARN" || rec["err"] == nil {
					t.Errorf("a storage failure logged as %v", rec)
				}
			}
			if name == "unreachable" && !strings.Contains(log.String(), "connection refused") {
				t.Errorf("the log does not say why:\n%s", log)
			}
		})
	}
}

// TestClientCausedBackendAnswers: storage's NoSuchUpload and InvalidPart
// come from the client's request; they are answered 404 and 400 and
// logged at INFO, not ERROR (issue 9, defect 6).
func TestClientCausedBackendAnswers(t *testing.T) {
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, status := "NoSuchUpload", 404
		if r.Method == "POST" {
			code, status = "InvalidPart", 400
		}
		w.WriteHeader(status)
		w.Write([]byte("<Error><Code>" + code + "</Code><Message>as S3 says</Message></Error>"))
	}))
	defer storage.Close()
	s, log, _ := newSessionServer(t, storage.URL, 0)
	token := s.sealToken(&uploadToken{Key: "web/u/a.jpg", UploadID: "upload-1", Client: "web", Size: 1, PartSize: 5 << 20,
		Type: "image/jpeg", Expires: time.Now().Add(time.Hour).Unix()})
	if w := call(t, s, "POST", "/v1/uploads/multipart/"+token+"/complete", webKey, `{"parts":[{"partNumber":1,"etag":"a"}]}`); w.Code != 400 || !strings.Contains(w.Body.String(), "invalid_parts") {
		t.Errorf("InvalidPart: %d %s", w.Code, w.Body)
	}
	if w := call(t, s, "DELETE", "/v1/uploads/multipart/"+token, webKey, ""); w.Code != 404 || !strings.Contains(w.Body.String(), "no_such_upload") {
		t.Errorf("NoSuchUpload: %d %s", w.Code, w.Body)
	}
	recs := logRecords(t, log.String())
	if len(recs) != 2 {
		t.Fatalf("%d log records, want 2:\n%s", len(recs), log)
	}
	for _, rec := range recs {
		if rec["level"] != "INFO" {
			t.Errorf("a client-caused answer logged at %v: %v", rec["level"], rec)
		}
	}
}

// hungListener accepts connections and never answers, until the test ends.
func hungListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestHungBackend: storage that accepts and never answers gets the client
// a JSON 504 naming storage's host within the backend timeout, for every
// request the service sends to storage itself (issue 9, defect 5).
func TestHungBackend(t *testing.T) {
	addr := hungListener(t)
	const timeout = 300 * time.Millisecond
	s, log, _ := newSessionServer(t, "http://"+addr, timeout)
	token := s.sealToken(&uploadToken{Key: "web/u/a.jpg", UploadID: "upload-1", Client: "web", Size: 1, PartSize: 5 << 20,
		Type: "image/jpeg", Expires: time.Now().Add(time.Hour).Unix()})
	for _, tt := range []struct {
		method, path, body string
		status             int
		code               Code
	}{
		{"POST", "/v1/uploads/multipart", `{"filename":"a.jpg","contentType":"image/jpeg","size":10485760}`, 504, "backend_timeout"},
		{"POST", "/v1/uploads/multipart/" + token + "/complete", `{"parts":[{"partNumber":1,"etag":"a"}]}`, 504, "backend_timeout"},
		{"DELETE", "/v1/uploads/multipart/" + token, "", 504, "backend_timeout"},
		{"GET", "/readyz", "", 503, "not_ready"},
	} {
		start := time.Now()
		w := call(t, s, tt.method, tt.path, webKey, tt.body)
		took := time.Since(start)
		var body struct{ Error *Error }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == nil || w.Code != tt.status || body.Error.Code != tt.code {
			t.Errorf("%s %.30s: %d %s, want %d %s", tt.method, tt.path, w.Code, w.Body, tt.status, tt.code)
			continue
		}
		if !strings.Contains(body.Error.Message, addr) || !strings.Contains(body.Error.Message, "300ms") {
			t.Errorf("the message does not name storage and the timeout: %q", body.Error.Message)
		}
		if w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
		}
		checkNoSecrets(t, "the answer", w.Body.String())
		if took > 20*timeout {
			t.Errorf("answered after %v with a %v backend timeout", took, timeout)
		}
	}
	checkNoSecrets(t, "the log", log.String())
}

// TestBackendTimeoutDefault: the default backend timeout leaves the API
// time to answer before presign serve's 30-second write timeout.
func TestBackendTimeoutDefault(t *testing.T) {
	if (&Backend{}).timeout() != DefaultBackendTimeout || DefaultBackendTimeout > 20*time.Second {
		t.Errorf("default backend timeout %v", (&Backend{}).timeout())
	}
	if (&Backend{Timeout: time.Second}).timeout() != time.Second {
		t.Error("Backend.Timeout is ignored")
	}
}
