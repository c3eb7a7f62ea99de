//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeAuditLogReopenedOnSIGHUP: after the audit log is moved away
// (as logrotate does) and serve gets SIGHUP, the next lines go to a new
// file at the configured path, and none is lost in between.
func TestServeAuditLogReopenedOnSIGHUP(t *testing.T) {
	testEnv(t)
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.log")
	s := startServe(t, "--data", filepath.Join(dir, "data"), "--audit-log", audit)
	key := apiKeyRE.FindStringSubmatch(s.stdout.String())[1]
	upload := func() {
		t.Helper()
		if code, out := apiCall(t, s.api, key, "/v1/uploads", `{"filename":"a.txt","contentType":"text/plain","size":5}`); code != 200 {
			t.Fatalf("upload URL: %d %v", code, out)
		}
	}
	upload()
	if err := os.Rename(audit, audit+".1"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The signal is handled on its own goroutine: upload until a line
	// reaches the new file (a bounded number of times), then count.
	uploads := 1
	var cur []byte
	for ; uploads < 50; uploads++ {
		upload()
		if cur, _ = os.ReadFile(audit); len(cur) > 0 {
			uploads++
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	old, _ := os.ReadFile(audit + ".1")
	if len(cur) == 0 {
		t.Fatalf("no line in a new audit log after SIGHUP and %d uploads", uploads)
	}
	if n := bytes.Count(old, []byte("\n")) + bytes.Count(cur, []byte("\n")); n != uploads {
		t.Errorf("%d lines in the two files for %d uploads:\n%s\n--\n%s", n, uploads, old, cur)
	}
}

// TestServeAccessLogJSON: --access-log sends the embedded store's access
// lines to a destination of their own, as JSON lines like the audit's.
func TestServeAccessLogJSON(t *testing.T) {
	testEnv(t)
	dir := t.TempDir()
	access := filepath.Join(dir, "access.log")
	s := startServe(t, "--data", filepath.Join(dir, "data"), "--access-log", access)
	resp, err := http.Get(s.endpoint + "/uploads/nothing-here")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var line map[string]any
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile(access); len(b) > 0 {
			first, _, _ := bytes.Cut(b, []byte("\n"))
			if err := json.Unmarshal(first, &line); err != nil {
				t.Fatalf("not a JSON line: %s", first)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if line == nil {
		t.Fatal("no access line in the file")
	}
	if line["status"] != float64(403) || line["method"] != "GET" {
		t.Errorf("access line %v", line)
	}
	if strings.Contains(s.stderr.String(), "nothing-here") {
		t.Errorf("the access line went to stderr too:\n%s", s.stderr.String())
	}
}
