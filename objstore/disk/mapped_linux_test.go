//go:build linux

package disk

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// mappedIndexRSS is the resident size, in bytes, of this process's
// mappings of the index file of s, from /proc/self/smaps.
func mappedIndexRSS(t *testing.T, s *Store) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	path := s.db.Path()
	var total int64
	in, found := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[len(fields)-1] == path
			found = found || in
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatalf("smaps: %q: %v", line, err)
			}
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no mapping of %s in /proc/self/smaps", path)
	}
	return total
}

// TestReleaseMapped: after a walk has touched every page of a 20,000-key
// index, releaseMapped leaves (almost) none of the index's
// mapped pages resident in the process, and the index reads the same
// afterwards: a second listing returns the same keys, sizes and ETags
// (and, counting its pages, leaves at most half the index resident), as
// does a third one and a write made while releases run in a loop.
func TestReleaseMapped(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	// Records straight into the index (no object files): listings read
	// only the index, and 20,000 fsynced PUTs would take minutes.
	err = s.db.Update(func(tx *bolt.Tx) error {
		ib := tx.Bucket(indexBucket("bkt"))
		for i := range n {
			e := &entry{key: fmt.Sprintf("prefix-%03d/key-%06d", i%100, i), gen: fmt.Sprintf("%016x", i), size: int64(i),
				etag: fmt.Sprintf(`"%032x"`, i), modified: time.Unix(1e9, 0)}
			if err := ib.Put([]byte(e.key), encodeEntry(e)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	first := listAll(t, s, "bkt")
	if len(first) != n {
		t.Fatalf("listed %d keys, want %d", len(first), n)
	}
	// A walk of every record that does not count what it touches (as
	// listings and lookups do): it maps the whole index.
	s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(indexBucket("bkt")).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			_ = v[0]
		}
		return nil
	})
	before := mappedIndexRSS(t, s)
	if before < 1<<20 {
		t.Fatalf("the walk left %d bytes of the index resident; want over 1 MiB for the test to mean anything", before)
	}
	s.releaseMapped()
	after := mappedIndexRSS(t, s)
	// The sweep goroutine may touch a page or two meanwhile; nothing else
	// reads the index.
	if after > 64<<10 {
		t.Fatalf("after releaseMapped %d bytes of the index are resident (%d before); want at most 64 KiB", after, before)
	}
	second := listAll(t, s, "bkt")
	if len(second) != n {
		t.Fatalf("listed %d keys after the release, want %d", len(second), n)
	}
	// A listing counts its pages and releases them every
	// releaseAfterPages: some 4,000 of the 20,000 records.
	if listed := mappedIndexRSS(t, s); listed > before/2 {
		t.Fatalf("a full listing left %d bytes of the index resident, the uncounted walk %d; want at most half", listed, before)
	}
	for i := range first {
		a, b := first[i], second[i]
		if a.Key != b.Key || a.Size != b.Size || a.ETag != b.ETag {
			t.Fatalf("key %d: %+v before the release, %+v after", i, a, b)
		}
	}
	// Releases racing listings and writes read the same index too.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			s.releaseMapped()
		}
	}()
	putString(t, s, "bkt", "zz/written-while-releasing", "x")
	third := listAll(t, s, "bkt")
	<-done
	if len(third) != n+1 || third[n].Key != "zz/written-while-releasing" {
		t.Fatalf("listed %d keys while releasing (last %q), want %d", len(third), third[len(third)-1].Key, n+1)
	}
	for i := range first {
		if first[i].Key != third[i].Key || first[i].ETag != third[i].ETag {
			t.Fatalf("key %d: %+v before the releases, %+v during them", i, first[i], third[i])
		}
	}
	t.Logf("index pages resident: %d KiB after the walk, %d KiB after releaseMapped", before>>10, after>>10)
}
