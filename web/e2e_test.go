package web_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrowser runs the browser test, web/e2e/upload.test.mjs: Debian's
// Chromium, driven by playwright-core, uploads through the page to the
// real stack (web/e2e/server) and downloads the files back. It is skipped
// when Chromium, node or web/e2e/node_modules is missing, except under
// CI=true, where that is a failure: scripts/install-deps.sh installs them.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test uploads over 180 MiB; skipped with -short")
	}
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
		missing = append(missing, "go in PATH (the test builds web/e2e/server)")
	}
	if _, err := os.Stat(filepath.Join("e2e", "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "web/e2e/node_modules (cd web/e2e && npm ci)")
	}
	if len(missing) > 0 {
		msg := "the browser test needs " + strings.Join(missing, ", ") + "; bash scripts/install-deps.sh installs them"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	timeout := 8 * time.Minute
	if d, ok := t.Deadline(); ok && time.Until(d)-30*time.Second < timeout {
		timeout = time.Until(d) - 30*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-timeout=420000", "upload.test.mjs")
	cmd.Dir = "e2e"
	cmd.Env = append(os.Environ(), "PRESIGN_CHROMIUM="+chromium)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// The server and the browser stop by themselves when node goes: the
	// server when its standard input closes, Chromium when its pipe does.
	cmd.WaitDelay = 15 * time.Second
	start := time.Now()
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("the browser test did not finish in %v:\n%s", timeout, out.String())
	}
	if err != nil {
		t.Fatalf("the browser test failed (%v):\n%s", err, out.String())
	}
	t.Logf("browser test passed in %v:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	if timings, err := os.ReadFile(filepath.Join("e2e", "out", "timings.json")); err == nil {
		t.Logf("timings: %s", timings)
	}
}
