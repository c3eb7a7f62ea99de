package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/disk"
)

// TestStoreCheck: presign store check reports a disagreement with exit
// status 1, --repair fixes it with status 0, and a clean store says so;
// --json gives the same result; a directory in use, or none, is refused
// with the reason.
func TestStoreCheck(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(ctx, "bkt")
	for _, k := range []string{"a", "b"} {
		if _, err := s.PutObject(ctx, "bkt", k, strings.NewReader("x"), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	// While the store is open, the check is refused.
	r := runCLI(t, "store", "check", dir)
	code, stdout, stderr := r.code, r.stdout, r.stderr
	if code != 1 || !strings.Contains(stderr, "open in another process") {
		t.Fatalf("check of a directory in use: exit %d, %s", code, stderr)
	}
	s.Close()
	// Lose one object's file.
	files, _ := filepath.Glob(filepath.Join(dir, "buckets", "bkt", "objects", "*", "*"))
	if len(files) != 2 {
		t.Fatalf("object files %q", files)
	}
	os.Remove(files[0])

	r = runCLI(t, "store", "check", dir)
	code, stdout, stderr = r.code, r.stdout, r.stderr
	if code != 1 || !strings.Contains(stdout, "missing") || !strings.Contains(stdout, "1 problems") || !strings.Contains(stderr, "--repair") {
		t.Fatalf("check: exit %d\n%s\n%s", code, stdout, stderr)
	}
	r = runCLI(t, "store", "check", dir, "--json")
	code, stdout = r.code, r.stdout
	var res disk.CheckResult
	if code != 1 || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Problems) != 1 || res.Problems[0].Kind != disk.ProblemMissing || res.Objects != 2 {
		t.Fatalf("check --json: exit %d\n%s", code, stdout)
	}
	r = runCLI(t, "store", "check", "--repair", dir)
	code, stdout, stderr = r.code, r.stdout, r.stderr
	if code != 0 || !strings.Contains(stdout, "[repaired]") || !strings.Contains(stdout, "all repaired") {
		t.Fatalf("check --repair: exit %d\n%s\n%s", code, stdout, stderr)
	}
	r = runCLI(t, "store", "check", dir)
	code, stdout = r.code, r.stdout
	if code != 0 || !strings.Contains(stdout, "checked 1 buckets, 1 objects, 1 files: files and index agree") {
		t.Fatalf("check after repair: exit %d\n%s", code, stdout)
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"store"}, 2, "needs a subcommand"},
		{[]string{"store", "fix", dir}, 2, "unknown subcommand"},
		{[]string{"store", "check"}, 2, "takes one directory"},
		{[]string{"store", "check", filepath.Join(dir, "nope")}, 1, "cannot check"},
		{[]string{"store", "check", t.TempDir()}, 1, "not a data directory"},
		{[]string{"store", "check", dir, "--reapir"}, 2, "did you mean --repair"},
	} {
		r := runCLI(t, tt.args...)
		code, stderr := r.code, r.stderr
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, %s; want %d, %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}
