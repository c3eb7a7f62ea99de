//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeDataModes: whatever the umask, serve's first start and a PUT
// leave every file under the data directory 0600 and every directory 0700
// (credentials.json, upload-secret, the store's files).
func TestServeDataModes(t *testing.T) {
	for _, umask := range []int{0, 0o277} {
		t.Run(fmt.Sprintf("umask %04o", umask), func(t *testing.T) {
			testEnv(t)
			t.Setenv("PRESIGN_ACCESS_KEY_ID", "")
			t.Setenv("PRESIGN_SECRET_ACCESS_KEY", "")
			data := filepath.Join(t.TempDir(), "data")
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			s := startServe(t, "--data", data, "--quiet", "--audit-log", filepath.Join(t.TempDir(), "audit.log"))
			var kp keyPair
			b, err := os.ReadFile(filepath.Join(data, credentialsFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &kp); err != nil {
				t.Fatal(err)
			}
			roundTrip(t, s.endpoint, kp.AccessKeyID, kp.SecretAccessKey, "uploads")
			seen := map[string]bool{}
			err = filepath.WalkDir(data, func(path string, d iofs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				st, err := os.Lstat(path)
				if err != nil {
					return err
				}
				want := iofs.FileMode(0o600)
				if st.IsDir() {
					want = 0o700
				}
				if st.Mode().Perm() != want || !st.IsDir() && !st.Mode().IsRegular() {
					t.Errorf("%s has mode %v, want %04o", path, st.Mode(), want)
				}
				seen[d.Name()] = true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{credentialsFile, uploadSecretFile, "LOCK", "bucket.json"} {
				if !seen[name] {
					t.Errorf("no %s under the data directory", name)
				}
			}
			if code := s.stop(); code != 0 {
				t.Fatalf("exit %d\nstderr: %s", code, s.stderr)
			}
		})
	}
}

// TestServeMultipartExpirySetting: multipart_expiry in [store], then
// PRESIGN_MULTIPART_EXPIRY, then --multipart-expiry; "off" and 0 turn
// expiry off, and values that are not durations or shorter than an hour
// are mistakes.
func TestServeMultipartExpirySetting(t *testing.T) {
	testEnv(t)
	t.Setenv("PRESIGN_MULTIPART_EXPIRY", "")
	merge := func(file *serveFile, flag string) (time.Duration, []error) {
		fl := &serveFlags{multipartExpiry: flag}
		st, errs := mergeSettings(file, fl, map[string]bool{"multipart-expiry": flag != ""})
		return st.multipartExpiry, errs
	}
	if d, errs := merge(nil, ""); d != 0 || len(errs) != 0 {
		t.Errorf("unset: %v %v, want 0 (the store's default)", d, errs)
	}
	file := &serveFile{Store: storeFile{MultipartExpiry: "3d"}}
	if d, errs := merge(file, ""); d != 72*time.Hour || len(errs) != 0 {
		t.Errorf("from the file: %v %v", d, errs)
	}
	t.Setenv("PRESIGN_MULTIPART_EXPIRY", "off")
	if d, errs := merge(file, ""); d != -1 || len(errs) != 0 {
		t.Errorf("environment over the file: %v %v", d, errs)
	}
	if d, errs := merge(file, "36h"); d != 36*time.Hour || len(errs) != 0 {
		t.Errorf("flag over the environment: %v %v", d, errs)
	}
	t.Setenv("PRESIGN_MULTIPART_EXPIRY", "")
	for v, want := range map[string]time.Duration{"off": -1, "OFF": -1, "0": -1, "7d": 7 * 24 * time.Hour, "1h": time.Hour, "86400": 24 * time.Hour} {
		if d, errs := merge(nil, v); d != want || len(errs) != 0 {
			t.Errorf("--multipart-expiry %s: %v %v, want %v", v, d, errs, want)
		}
	}
	for _, v := range []string{"59m", "-1h", "soon", "0s"} {
		if _, errs := merge(nil, v); len(errs) != 1 {
			t.Errorf("--multipart-expiry %s: errors %v, want one", v, errs)
		}
	}
	if r := runCLI(t, "serve", "--check-config", "--multipart-expiry", "10m"); r.code != 2 || !strings.Contains(r.stdout, "--multipart-expiry \"10m\" is shorter than 1h0m0s") {
		t.Errorf("--check-config --multipart-expiry 10m: exit %d\n%s", r.code, r.stdout)
	}
	cfg := writeConfig(t, "[store]\nmultipart_expiry = \"2d\"\n")
	if r := runCLI(t, "serve", "--check-config", "--config", cfg); r.code != 0 {
		t.Errorf("a config with multipart_expiry: exit %d\n%s", r.code, r.stdout)
	}
}
