package disk

import (
	"bytes"
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/storetest"
)

// abandon drops s as a crash of the machine would find it: the index as
// last committed, no flush of the pending entries, no Close.
func abandon(t *testing.T, s *Store) {
	t.Helper()
	s.stopSweep()
	<-s.swept
	s.commits.stop()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	s.lock.Close()
	s.lock = nil
}

// pendingKeys lists the keys of the pending entries of s, with their
// generations.
func pendingKeys(t *testing.T, s *Store) map[string]string {
	t.Helper()
	files, err := s.readPending(false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range files {
		out[p.bucketName+"/"+p.key] = p.gen
	}
	return out
}

// TestPendingRestored: the small objects a machine crash caught before
// their files were synced are whole after Open, from the bytes the index
// kept, whatever the crash left of their files (nothing, an empty file,
// zeros); an object overwritten keeps its last write, a deleted one stays
// deleted, and a large object (synced file by file) is not pending at all.
func TestPendingRestored(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenWith(dir, Options{flushDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateBucket(ctx, "bkt")
	put := func(key, body, ctype string) {
		t.Helper()
		if _, err := s.PutObject(ctx, "bkt", key, strings.NewReader(body), objstore.Metadata{ContentType: ctype, User: map[string]string{"k": key}}, objstore.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	bodies := map[string]string{}
	for _, k := range []string{"k0", "k1", "k2", "k3", "k4"} {
		bodies[k] = "first " + k
		put(k, bodies[k], "text/plain")
	}
	bodies["k1"] = "second k1, longer than the first"
	put("k1", bodies["k1"], "text/x-second")
	if err := s.DeleteObject(ctx, "bkt", "k2"); err != nil {
		t.Fatal(err)
	}
	delete(bodies, "k2")
	large := string(storetest.Body("large", inlineMax+1))
	put("large", large, "application/octet-stream")
	bodies["large"] = large

	pend := pendingKeys(t, s)
	if got, want := slices.Sorted(maps.Keys(pend)), []string{"bkt/k0", "bkt/k1", "bkt/k3", "bkt/k4"}; !slices.Equal(got, want) {
		t.Fatalf("pending entries %q, want %q", got, want)
	}
	paths := map[string]string{}
	for _, k := range []string{"k0", "k1", "k3", "k4"} {
		paths[k] = objectFilePath(t, s, "bkt", k)
	}
	abandon(t, s)

	// What a power loss can leave of unsynced files.
	if err := os.Truncate(paths["k0"], 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(paths["k3"]); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(paths["k4"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths["k4"], make([]byte, st.Size()), 0o600); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p := pendingKeys(t, s); len(p) != 0 {
		t.Fatalf("pending entries left after Open: %v", p)
	}
	for k, want := range bodies {
		if got := getString(t, s, "bkt", k); got != want {
			t.Fatalf("%s reads %q, want %q", k, got, want)
		}
	}
	info, err := s.HeadObject(ctx, "bkt", "k1")
	if err != nil {
		t.Fatal(err)
	}
	if info.Metadata.ContentType != "text/x-second" || info.Metadata.User["k"] != "k1" {
		t.Fatalf("k1's metadata after the restore: %+v", info.Metadata)
	}
	if _, err := s.HeadObject(ctx, "bkt", "k2"); err != objstore.ErrNoSuchKey {
		t.Fatalf("deleted k2 after the restore: %v, want ErrNoSuchKey", err)
	}
	res, err := s.Check(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Fatalf("Check after the restore: %+v", res.Problems)
	}
}

// TestPendingFlushed: the flusher syncs the files of small writes and
// drops their pending entries, and a write that lands after the flush
// read the entries keeps its own (a flush drops only the generation it
// synced); Close flushes what is left.
func TestPendingFlushed(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenWith(dir, Options{flushDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateBucket(ctx, "bkt")
	for i := range 20 {
		putString(t, s, "bkt", "k"+string(rune('a'+i)), strings.Repeat("x", i))
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(pendingKeys(t, s)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pending entries not flushed after 10 s: %v", pendingKeys(t, s))
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A flush that synced generation 1 of a key keeps the entry of
	// generation 2, written meanwhile.
	putString(t, s, "bkt", "race", "one")
	files, err := s.readPending(false)
	if err != nil {
		t.Fatal(err)
	}
	var first *pendingFile
	for _, p := range files {
		if p.key == "race" {
			first = p
		}
	}
	if first == nil {
		t.Fatal("no pending entry for the write just made")
	}
	putString(t, s, "bkt", "race", "two")
	if err := s.commits.do(func(tx *bolt.Tx) error { return dropSynced(tx, []*pendingFile{first}) }); err != nil {
		t.Fatal(err)
	}
	if gen, ok := pendingKeys(t, s)["bkt/race"]; !ok || gen == first.gen {
		t.Fatalf("after dropping generation %s, the entry of the second write is %q (present %v)", first.gen, gen, ok)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = OpenWith(dir, Options{flushDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p := pendingKeys(t, s); len(p) != 0 {
		t.Fatalf("pending entries after Close and Open: %v", p)
	}
	if got := getString(t, s, "bkt", "race"); got != "two" {
		t.Fatalf("race reads %q, want \"two\"", got)
	}
}

// TestPendingBytes: a pending entry holds exactly the bytes of its file.
func TestPendingBytes(t *testing.T) {
	s, err := OpenWith(t.TempDir(), Options{flushDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	s.CreateBucket(ctx, "bkt")
	putString(t, s, "bkt", "k", "some bytes")
	files, err := s.readPending(true)
	if err != nil || len(files) != 1 {
		t.Fatalf("readPending: %d entries, %v", len(files), err)
	}
	onDisk, err := os.ReadFile(objectFilePath(t, s, "bkt", "k"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files[0].data, onDisk) {
		t.Fatalf("pending entry holds %d bytes, the file %d", len(files[0].data), len(onDisk))
	}
}
