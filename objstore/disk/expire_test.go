package disk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presign-dev/presign/objstore"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openWith opens a store on dir with opts, closed at the end of t.
func openWith(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := OpenWith(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// startUpload creates an upload of key in bucket with one part and returns
// its id and directory.
func startUpload(t *testing.T, s *Store, bucket, key string) (string, string) {
	t.Helper()
	ctx := context.Background()
	id, err := s.CreateMultipartUpload(ctx, bucket, key, objstore.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UploadPart(ctx, bucket, key, id, 1, strings.NewReader("part of "+key), objstore.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	return id, s.buckets[bucket].uploadDir(id)
}

// uploadIDs lists the ids of the uploads in bucket.
func uploadIDs(t *testing.T, s *Store, bucket string) []string {
	t.Helper()
	ups, err := s.ListUploads(context.Background(), bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range ups {
		ids = append(ids, u.UploadID)
	}
	return ids
}

// wantGone checks that upload id of key is gone for every call that names
// it.
func wantGone(t *testing.T, s *Store, bucket, key, id string) {
	t.Helper()
	ctx := context.Background()
	for _, id2 := range uploadIDs(t, s, bucket) {
		if id2 == id {
			t.Errorf("ListUploads still lists the expired upload of %q", key)
		}
	}
	_, err := s.UploadPart(ctx, bucket, key, id, 2, strings.NewReader("late"), objstore.PutOptions{Size: -1})
	if !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Errorf("UploadPart on an expired upload: %v, want ErrNoSuchUpload", err)
	}
	if _, _, err := s.ListParts(ctx, bucket, key, id, 0, 0); !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Errorf("ListParts on an expired upload: %v, want ErrNoSuchUpload", err)
	}
	_, err = s.CompleteMultipartUpload(ctx, bucket, key, id, []objstore.CompletedPart{{PartNumber: 1, ETag: "x"}})
	if !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Errorf("CompleteMultipartUpload on an expired upload: %v, want ErrNoSuchUpload", err)
	}
	if err := s.AbortMultipartUpload(ctx, bucket, key, id); !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Errorf("AbortMultipartUpload on an expired upload: %v, want ErrNoSuchUpload", err)
	}
}

// exists reports whether path exists.
func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// TestUploadsExpire: with the default limit, an upload 7 days old is gone
// at once for every call, its files are removed by the sweep, and a
// younger upload is untouched and can be completed.
func TestUploadsExpire(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := openWith(t, t.TempDir(), Options{Now: clock.Now})
	s.CreateBucket(ctx, "bkt")
	oldID, oldDir := startUpload(t, s, "bkt", "old")
	clock.Advance(2 * 24 * time.Hour)
	youngID, youngDir := startUpload(t, s, "bkt", "young")

	clock.Advance(DefaultMultipartExpiry - 2*24*time.Hour - time.Second)
	if ids := uploadIDs(t, s, "bkt"); len(ids) != 2 {
		t.Fatalf("a second before the limit, ListUploads = %q, want both", ids)
	}
	if n := s.sweep(ctx); n != 0 || !exists(t, oldDir) {
		t.Fatalf("a second before the limit, the sweep removed %d", n)
	}

	clock.Advance(time.Second)
	wantGone(t, s, "bkt", "old", oldID)
	if n := s.sweep(ctx); n != 1 {
		t.Fatalf("the sweep removed %d uploads, want 1", n)
	}
	if exists(t, oldDir) {
		t.Errorf("%s is still on disk after the sweep", oldDir)
	}
	if left := entries(t, s.tmp); len(left) != 0 {
		t.Errorf("after the sweep, tmp holds %q", left)
	}
	wantGone(t, s, "bkt", "old", oldID)

	if ids := uploadIDs(t, s, "bkt"); len(ids) != 1 || ids[0] != youngID || !exists(t, youngDir) {
		t.Fatalf("the younger upload: ListUploads = %q, want [%s]", ids, youngID)
	}
	parts, _, err := s.ListParts(ctx, "bkt", "young", youngID, 0, 0)
	if err != nil || len(parts) != 1 {
		t.Fatalf("ListParts of the younger upload = %+v, %v", parts, err)
	}
	info, err := s.CompleteMultipartUpload(ctx, "bkt", "young", youngID, []objstore.CompletedPart{{PartNumber: 1, ETag: parts[0].ETag}})
	if err != nil || info.Size != int64(len("part of young")) {
		t.Fatalf("completing the younger upload = %+v, %v", info, err)
	}
}

// TestUploadsExpireAtOpen: Open removes the uploads that expired while
// the store was closed, before it returns.
func TestUploadsExpireAtOpen(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	dir := t.TempDir()
	s, err := OpenWith(dir, Options{Now: clock.Now, MultipartExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(ctx, "bkt")
	oldID, oldDir := startUpload(t, s, "bkt", "old")
	clock.Advance(30 * time.Minute)
	youngID, youngDir := startUpload(t, s, "bkt", "young")
	s.Close()

	clock.Advance(30 * time.Minute)
	s = openWith(t, dir, Options{Now: clock.Now, MultipartExpiry: time.Hour})
	if exists(t, oldDir) {
		t.Errorf("%s is still on disk after Open", oldDir)
	}
	if !exists(t, youngDir) {
		t.Errorf("Open removed %s, which is 30 minutes old", youngDir)
	}
	if ids := uploadIDs(t, s, "bkt"); len(ids) != 1 || ids[0] != youngID {
		t.Errorf("after Open, ListUploads = %q, want [%s]", ids, youngID)
	}
	wantGone(t, s, "bkt", "old", oldID)
	if left := entries(t, s.tmp); len(left) != 0 {
		t.Errorf("after Open, tmp holds %q", left)
	}
}

// TestUploadsNeverExpire: a negative MultipartExpiry keeps uploads however
// old, through sweeps and reopening.
func TestUploadsNeverExpire(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	dir := t.TempDir()
	s, err := OpenWith(dir, Options{Now: clock.Now, MultipartExpiry: -1})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(ctx, "bkt")
	id, updir := startUpload(t, s, "bkt", "k")
	clock.Advance(10 * 365 * 24 * time.Hour)
	if n := s.sweep(ctx); n != 0 {
		t.Errorf("the sweep removed %d uploads", n)
	}
	s.Close()
	s = openWith(t, dir, Options{Now: clock.Now, MultipartExpiry: -1})
	if ids := uploadIDs(t, s, "bkt"); len(ids) != 1 || ids[0] != id || !exists(t, updir) {
		t.Fatalf("ten years on, ListUploads = %q, want [%s]", ids, id)
	}
	if _, err := s.UploadPart(ctx, "bkt", "k", id, 2, strings.NewReader("late"), objstore.PutOptions{Size: -1}); err != nil {
		t.Errorf("UploadPart ten years on: %v", err)
	}
}

// TestSweepRunsAndStopsAtClose: the goroutine removes expired uploads on
// its own, and Close stops it: nothing is removed after Close returns.
func TestSweepRunsAndStopsAtClose(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := openWith(t, t.TempDir(), Options{Now: clock.Now, MultipartExpiry: time.Hour, sweepEvery: time.Millisecond})
	s.CreateBucket(ctx, "bkt")
	_, updir := startUpload(t, s, "bkt", "k")
	clock.Advance(time.Hour)
	for deadline := time.Now().Add(10 * time.Second); exists(t, updir); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the sweep did not remove an expired upload within 10 s")
		}
	}

	_, updir = startUpload(t, s, "bkt", "k2")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.swept:
	default:
		t.Fatal("the sweep goroutine still runs after Close")
	}
	clock.Advance(time.Hour)
	time.Sleep(20 * time.Millisecond)
	if !exists(t, updir) {
		t.Error("an upload was removed after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestExpiryCrash: the states a crash can leave an expiry in are an
// upload whole in its place, or its directory, whole or part removed, in
// tmp; Open lists the first as before and removes the second, so a
// half-removed upload is never seen.
func TestExpiryCrash(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	dir := t.TempDir()
	s, err := OpenWith(dir, Options{Now: clock.Now, MultipartExpiry: -1})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(ctx, "bkt")
	keptID, _ := startUpload(t, s, "bkt", "kept")
	id, updir := startUpload(t, s, "bkt", "half")
	s.UploadPart(ctx, "bkt", "half", id, 2, strings.NewReader("second part"), objstore.PutOptions{Size: -1})
	s.Close()
	// The crash: renamed into tmp, and one part (then upload.json) removed.
	trash := filepath.Join(dir, tmpName, "expired-0123456789abcdef01234567")
	if err := os.Rename(updir, trash); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(trash, partName(1)))
	os.Remove(filepath.Join(trash, uploadFile))

	s = openWith(t, dir, Options{Now: clock.Now, MultipartExpiry: -1})
	if ids := uploadIDs(t, s, "bkt"); len(ids) != 1 || ids[0] != keptID {
		t.Errorf("after the crash, ListUploads = %q, want [%s]", ids, keptID)
	}
	if _, _, err := s.ListParts(ctx, "bkt", "half", id, 0, 0); !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Errorf("ListParts of the half-removed upload: %v, want ErrNoSuchUpload", err)
	}
	if left := entries(t, s.tmp); len(left) != 0 {
		t.Errorf("after Open, tmp holds %q", left)
	}
}

// TestUploadsWithoutRecordSetAside: an upload directory without a
// readable upload.json (damage: uploads are renamed into place whole) is
// set aside by Open rather than kept unlisted for ever.
func TestUploadsWithoutRecordSetAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(ctx, "bkt")
	_, updir := startUpload(t, s, "bkt", "k")
	s.Close()
	if err := os.WriteFile(filepath.Join(updir, uploadFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openWith(t, dir, Options{})
	if exists(t, updir) {
		t.Errorf("%s with a damaged upload.json is still in place", updir)
	}
	if n := len(entries(t, filepath.Join(dir, damagedName))); n != 1 {
		t.Errorf("damaged/ holds %d entries, want 1", n)
	}
}
