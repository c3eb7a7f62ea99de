//go:build unix

package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/presign-dev/presign/issuer"
)

// cliBig is the size of the file "presign upload --api" sends: 20 parts of
// the tests' 5 MiB.
const cliBig = 100 << 20

// cliAPI runs "presign upload FILE --api" and "presign download KEY --api"
// against the running service with a 100 MiB file: each is killed
// (SIGKILL) part way, run again, and resumes; the bytes downloaded are the
// bytes uploaded. A refusal of the API is printed as the API worded it.
func cliAPI(t *testing.T, s *presignServer) {
	dir := t.TempDir()
	file := filepath.Join(dir, "big.bin")
	data := content(7, cliBig)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// The upload's state goes to the cache directory: the test's own.
	env := []string{"PRESIGN_API_KEY=" + s.apiKey, "XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}

	// The upload, slowed down so that it can be killed part way, once at
	// least two parts are stored.
	up := start(t, env, presignBin, "upload", file, "--api", s.api, "--limit-rate", "20MiB", "--parallel", "2", "--quiet")
	id := waitState(t, up, filepath.Join(dir, "cache", "presign", "uploads"))
	var stored int
	waitFor(t, up, "two parts stored", func() bool {
		var list issuer.ListPartsResponse
		if status, _ := s.call(t, http.MethodGet, "/v1/uploads/multipart/"+id, nil, &list); status == http.StatusOK {
			stored = len(list.Parts)
		}
		return stored >= 2
	})
	kill(t, up)

	out, errs := runCLI(t, env, 0, "upload", file, "--api", s.api, "--quiet")
	m := regexp.MustCompile(`resuming the upload of big\.bin: (\d+) of 20 parts are stored already`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("the second run did not resume the upload:\n%s", errs)
	}
	if n := m[1]; n == "0" || n == "20" {
		t.Errorf("resumed with %s of 20 parts stored, want some", n)
	}
	key := regexp.MustCompile(`^uploaded big\.bin \(100\.0 MiB\) as (e2e/\S+), ETag \S+\n$`).FindStringSubmatch(out)
	if key == nil {
		t.Fatalf("the upload's output: %q", out)
	}

	// The download, killed once part of it is saved, and run again.
	got := filepath.Join(dir, "got.bin")
	down := start(t, env, presignBin, "download", key[1], "--api", s.api, "-o", got, "--limit-rate", "20MiB", "--quiet")
	waitFor(t, down, "part of the download saved", func() bool {
		fi, err := os.Stat(got + ".part")
		return err == nil && fi.Size() > 10<<20
	})
	kill(t, down)
	out, errs = runCLI(t, env, 0, "download", key[1], "--api", s.api, "-o", got, "--quiet")
	if !strings.Contains(errs, "resuming the download at byte ") || !strings.HasPrefix(out, "downloaded "+got+" (100.0 MiB)") {
		t.Errorf("the second download run did not resume:\n%s%s", out, errs)
	}
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, data) {
		t.Errorf("the downloaded file differs from the uploaded one (%v)", err)
	}

	// A refusal, word for word: a key outside the client's prefix.
	msg := apiMessage(t, s, "/v1/downloads", `{"key":"other/x.bin"}`)
	_, errs = runCLI(t, env, 1, "download", "other/x.bin", "--api", s.api, "-o", filepath.Join(dir, "x.bin"))
	if want := "presign: presign serve refused: " + msg; !strings.HasPrefix(errs, want) {
		t.Errorf("the refusal printed is\n%s\nwant it to start\n%s", errs, want)
	}
}

// waitState waits for the upload's state file and returns its upload id.
func waitState(t *testing.T, p *process, dir string) string {
	t.Helper()
	var id string
	waitFor(t, p, "the upload's state file", func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) != 1 {
			return false
		}
		b, _ := os.ReadFile(files[0])
		var st struct{ ID string }
		json.Unmarshal(b, &st)
		id = st.ID
		return id != ""
	})
	return id
}

// waitFor polls cond every 20 ms, at most 60 s, while p runs.
func waitFor(t *testing.T, p *process, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case <-p.exited:
			t.Fatalf("%s ended before %s: %v\n%s", p.name, what, p.err, p.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 60s\n%s", what, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills p's process group and waits for it.
func kill(t *testing.T, p *process) {
	t.Helper()
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still runs 10s after SIGKILL", p.name)
	}
}

// runCLI runs presign with args, at most 2 minutes, and checks its exit
// status; it returns standard output and standard error.
func runCLI(t *testing.T, env []string, status int, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, presignBin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("presign %s: %v", strings.Join(args, " "), err)
	}
	if code != status {
		t.Fatalf("presign %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, status, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// apiMessage sends body to the API route and returns the message of its
// error answer.
func apiMessage(t *testing.T, s *presignServer, path, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.api+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e apiError
	if json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
		t.Fatalf("POST %s: %d %s, want an API error", path, resp.StatusCode, b)
	}
	return fmt.Sprint(e.Error.Message)
}
