package disk

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

// putString puts body at key, failing the test on error.
func putString(t *testing.T, s *Store, bucketName, key, body string) {
	t.Helper()
	if _, err := s.PutObject(context.Background(), bucketName, key, strings.NewReader(body), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
}

// getString reads the object at key.
func getString(t *testing.T, s *Store, bucketName, key string) string {
	t.Helper()
	rc, _, err := s.GetObject(context.Background(), bucketName, key, nil)
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOpenReadsNoObject: Open takes what it lists from the index, not the
// files: with every object file's bytes replaced by garbage of the same
// name, the store still opens and lists every key, and only a read of an
// object finds the damage.
func TestOpenReadsNoObject(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateBucket(ctx, "bkt")
	var paths []string
	for i := range 50 {
		k := fmt.Sprintf("p%d/k%d", i%5, i)
		putString(t, s, "bkt", k, "body "+k)
		paths = append(paths, objectFilePath(t, s, "bkt", k))
	}
	s.Close()
	for _, p := range paths {
		if err := os.WriteFile(p, []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := len(listAll(t, s, "bkt")); n != 50 {
		t.Fatalf("listed %d keys, want 50", n)
	}
	if d := entries(t, filepath.Join(dir, damagedName)); len(d) != 0 {
		t.Fatalf("Open read the object files: it set aside %q", d)
	}
	if _, _, err := s.GetObject(ctx, "bkt", "p0/k0", nil); err == nil {
		t.Fatal("GetObject of a damaged file succeeded")
	}
}

// TestLegacyLayout: a data directory written before the index (object
// files named by the key's hash alone, no index.db) is indexed once at
// Open, and its objects are read, listed, replaced and deleted as any.
func TestLegacyLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateBucket(ctx, "bkt")
	for _, k := range []string{"a", "b/c", "d"} {
		putString(t, s, "bkt", k, "old "+k)
	}
	b := s.buckets["bkt"]
	var legacy []string
	for _, k := range []string{"a", "b/c", "d"} {
		p := objectFilePath(t, s, "bkt", k)
		old := b.objectFile(k, "")
		if err := os.Rename(p, old); err != nil {
			t.Fatal(err)
		}
		legacy = append(legacy, old)
	}
	s.Close()
	os.Remove(filepath.Join(dir, indexFile))

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := listAll(t, s, "bkt"); len(got) != 3 {
		t.Fatalf("listed %+v", got)
	}
	if got := getString(t, s, "bkt", "b/c"); got != "old b/c" {
		t.Fatalf("read %q", got)
	}
	putString(t, s, "bkt", "a", "new a")
	if got := getString(t, s, "bkt", "a"); got != "new a" {
		t.Fatalf("after replacing, read %q", got)
	}
	if err := s.DeleteObject(ctx, "bkt", "d"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{legacy[0], legacy[2]} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("the replaced or deleted legacy file %s is still there", p)
		}
	}
	if res, err := s.Check(ctx, false); err != nil || len(res.Problems) != 0 || res.Objects != 2 || res.Files != 2 {
		t.Fatalf("Check = %+v, %v", res, err)
	}
}

// TestCheck: each kind of disagreement between files and index is
// reported with its key and path, fixed by repair, and gone after.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	s.CreateBucket(ctx, "bkt")
	for _, k := range []string{"good", "orphaned", "missing", "mismatch", "truncated"} {
		putString(t, s, "bkt", k, "body of "+k)
	}
	b := s.buckets["bkt"]
	// An orphan: a second generation of "orphaned" that no record names.
	p := objectFilePath(t, s, "bkt", "orphaned")
	data, _ := os.ReadFile(p)
	orphan := b.objectFile("orphaned", newGen())
	os.WriteFile(orphan, data, 0o600)
	// A record whose file is gone.
	os.Remove(objectFilePath(t, s, "bkt", "missing"))
	// A record that disagrees with its file.
	e, _ := s.lookup(b, "mismatch")
	e.size++
	if err := s.putEntry(b, e); err != nil {
		t.Fatal(err)
	}
	// A file that is not whole.
	tp := objectFilePath(t, s, "bkt", "truncated")
	os.Truncate(tp, 3)

	res, err := s.Check(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, p := range res.Problems {
		kinds[p.Kind]++
		if p.Repaired || p.Path == "" || p.Detail == "" {
			t.Errorf("problem %+v", p)
		}
	}
	want := map[string]int{ProblemOrphan: 1, ProblemMissing: 2, ProblemMismatch: 1, ProblemUnreadable: 1}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("Check found %v (%+v), want %v", kinds, res.Problems, want)
	}
	if res.Buckets != 1 || res.Objects != 5 || res.Files != 5 {
		t.Fatalf("Check counted %+v", res)
	}
	if res, err = s.Check(ctx, true); err != nil || len(res.Problems) != 5 {
		t.Fatalf("repair = %+v, %v", res, err)
	}
	for _, p := range res.Problems {
		if !p.Repaired {
			t.Errorf("not repaired: %+v", p)
		}
	}
	if res, err = s.Check(ctx, false); err != nil || len(res.Problems) != 0 {
		t.Fatalf("after repair, Check = %+v, %v", res, err)
	}
	var keys []string
	for _, o := range listAll(t, s, "bkt") {
		keys = append(keys, o.Key)
	}
	if got := strings.Join(keys, " "); got != "good mismatch orphaned" {
		t.Fatalf("after repair, listed %s", got)
	}
	if got := getString(t, s, "bkt", "mismatch"); got != "body of mismatch" {
		t.Fatalf("after repair, read %q", got)
	}
}

// TestBucketConfigDurable: a bucket's configuration documents survive a
// restart, and go with the bucket.
func TestBucketConfigDurable(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateBucket(ctx, "bkt")
	if _, err := s.GetBucketConfig(ctx, "bkt", "cors"); err != objstore.ErrNoSuchConfig {
		t.Fatalf("before: %v", err)
	}
	if err := s.PutBucketConfig(ctx, "bkt", "cors", []byte("<doc/>")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBucketConfig(ctx, "nope", "cors", []byte("x")); err != objstore.ErrNoSuchBucket {
		t.Fatalf("on no bucket: %v", err)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if doc, err := s.GetBucketConfig(ctx, "bkt", "cors"); err != nil || string(doc) != "<doc/>" {
		t.Fatalf("after a restart: %q, %v", doc, err)
	}
	s.DeleteBucket(ctx, "bkt")
	s.CreateBucket(ctx, "bkt")
	if _, err := s.GetBucketConfig(ctx, "bkt", "cors"); err != objstore.ErrNoSuchConfig {
		t.Fatalf("a bucket made anew: %v", err)
	}
}
