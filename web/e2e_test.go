package web_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBrowser runs the browser tests in web/e2e: Debian's Chromium, driven
// by playwright-core, against the real stack (web/e2e/server).
//
//	upload   upload.test.mjs: uploads through the upload page and downloads
//	         the files back (over 180 MiB; skipped with -short)
//	inspect  inspect.test.mjs: the inspector inspects URLs and builds them
//	         with the API, and the test uses them with fetch and curl
//	cors     cors.test.mjs: a page on a second origin uploads once a bucket
//	         CORS rule set with the AWS CLI allows it; a third origin never
//	uppy     uppy.test.mjs: the real Uppy (@uppy/aws-s3 6.3.1, bundled by
//	         esbuild) uploads through its Dashboard in companionEndpoint and
//	         signRequest modes, 101 MiB files in parts, and resumes one after
//	         a reload (over 300 MiB; skipped with -short)
//
// They are skipped when Chromium, node, curl, the AWS CLI or web/e2e/node_modules is
// missing, except under CI=true, where that is a failure:
// scripts/install-deps.sh installs them.
func TestBrowser(t *testing.T) {
	chromium := os.Getenv("PRESIGN_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	var missing []string
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, "Chromium at "+chromium+" (apt-get install chromium)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node in PATH")
	}
	if _, err := exec.LookPath("go"); err != nil {
		missing = append(missing, "go in PATH (the tests build web/e2e/server)")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		missing = append(missing, "curl in PATH (the inspector test runs the curl commands it shows)")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		missing = append(missing, "aws in PATH (the CORS test configures the bucket with the AWS CLI; apt-get install awscli)")
	}
	if _, err := os.Stat(filepath.Join("e2e", "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "web/e2e/node_modules (cd web/e2e && npm ci)")
	}
	if len(missing) > 0 {
		msg := "the browser tests need " + strings.Join(missing, ", ") + "; bash scripts/install-deps.sh installs them"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	for _, tc := range []struct {
		name, file string
		timeout    time.Duration
		short      bool // runs with -short
		minio      bool // on a MinIO server, not the embedded store
	}{
		{"upload", "upload.test.mjs", 8 * time.Minute, false, false},
		{"inspect", "inspect.test.mjs", 3 * time.Minute, true, false},
		{"cors", "cors.test.mjs", 3 * time.Minute, true, false},
		{"uppy", "uppy.test.mjs", 6 * time.Minute, false, false},
		{"uppy-minio", "uppy.test.mjs", 6 * time.Minute, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.short {
				t.Skip("the " + tc.name + " test sends over 180 MiB; skipped with -short")
			}
			var env []string
			if tc.minio {
				env = append(env, "PRESIGN_E2E_MINIO="+minioBin(t))
			}
			runNodeTest(t, node, chromium, tc.file, tc.timeout, env...)
		})
	}
}

// runNodeTest runs one test file of web/e2e with node's test runner,
// within timeout (and the test binary's own deadline).
func runNodeTest(t *testing.T, node, chromium, file string, timeout time.Duration, env ...string) {
	if d, ok := t.Deadline(); ok && time.Until(d)-30*time.Second < timeout {
		timeout = time.Until(d) - 30*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// The runner's own bound per test, below the whole run's.
	perTest := (timeout - 30*time.Second) / time.Millisecond
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-timeout="+strconv.FormatInt(int64(perTest), 10), file)
	cmd.Dir = "e2e"
	cmd.Env = append(append(os.Environ(), "PRESIGN_CHROMIUM="+chromium), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// The server and the browser stop by themselves when node goes: the
	// server when its standard input closes, Chromium when its pipe does.
	cmd.WaitDelay = 15 * time.Second
	start := time.Now()
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s did not finish in %v:\n%s", file, timeout, out.String())
	}
	if err != nil {
		t.Fatalf("%s failed (%v):\n%s", file, err, out.String())
	}
	t.Logf("%s passed in %v:\n%s", file, time.Since(start).Round(time.Millisecond), out.String())
	timings := "timings.json"
	if file != "upload.test.mjs" {
		timings = strings.TrimSuffix(file, ".test.mjs") + "-timings.json"
	}
	if b, err := os.ReadFile(filepath.Join("e2e", "out", timings)); err == nil {
		t.Logf("timings: %s", b)
	}
}

// minioBin finds the minio binary (on PATH or in $(go env GOPATH)/bin,
// where scripts/install-deps.sh builds it); without it the test is
// skipped, except under CI=true, where that is a failure.
func minioBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if p := filepath.Join(dir, "bin", "minio"); exec.Command(p, "--version").Run() == nil {
				return p
			}
		}
	}
	msg := "minio is not installed (not on PATH nor in $(go env GOPATH)/bin): run bash scripts/install-deps.sh"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
