package disk

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/storetest"
)

// open opens a store in a new temporary directory, closed at the end of t.
func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) objstore.Store { return open(t) })
}

// listAll returns every key of bucket b.
func listAll(t *testing.T, s objstore.Store, b string) []objstore.ObjectInfo {
	t.Helper()
	var out []objstore.ObjectInfo
	opts := objstore.ListOptions{}
	for {
		res, err := s.ListObjects(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Objects...)
		if !res.IsTruncated {
			return out
		}
		opts.ContinuationToken = res.NextContinuationToken
	}
}

// entries returns the names in dir, or nil if it does not exist.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestOpenRemovesTemporaryFiles: what interrupted writes leave in tmp is
// gone after Open, and nothing else is touched.
func TestOpenRemovesTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(ctx, "keep")
	if _, err := s.PutObject(ctx, "keep", "k", strings.NewReader("kept"), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	tmp := filepath.Join(dir, tmpName)
	plant := map[string]string{
		"put-123":                   "half an object",
		"complete-456":              strings.Repeat("x", 1<<16),
		"upload-abc/upload.json":    `{"key":"k"}`,
		"deleted-def/objects/aa/bb": "an object of a deleted bucket",
		"odd name with spaces":      "",
	}
	for name, data := range plant {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if left := entries(t, tmp); len(left) != 0 {
		t.Fatalf("after Open, tmp holds %q", left)
	}
	if objs := listAll(t, s, "keep"); len(objs) != 1 || objs[0].Key != "k" {
		t.Fatalf("after Open, bucket holds %+v", objs)
	}
}

// TestFailedWritesLeaveNoTemporaryFiles: a failed write removes its
// temporary file at once, not only at the next Open.
func TestFailedWritesLeaveNoTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	s.CreateBucket(ctx, "bkt")
	boom := errors.New("boom")
	id, err := s.CreateMultipartUpload(ctx, "bkt", "k", objstore.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	fails := []func() error{
		func() error {
			_, err := s.PutObject(ctx, "bkt", "k", strings.NewReader("abc"), objstore.Metadata{}, objstore.PutOptions{Size: 4})
			return err
		},
		func() error {
			_, err := s.PutObject(ctx, "bkt", "k", strings.NewReader("abc"), objstore.Metadata{}, objstore.PutOptions{Size: -1,
				Precommit: func(*objstore.ObjectInfo) error { return boom }})
			return err
		},
		func() error {
			_, err := s.UploadPart(ctx, "bkt", "k", id, 1, strings.NewReader("abc"), objstore.PutOptions{Size: 2})
			return err
		},
		func() error {
			_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", id, []objstore.CompletedPart{{PartNumber: 1, ETag: "x"}})
			return err
		},
	}
	for i, f := range fails {
		if err := f(); err == nil {
			t.Fatalf("write %d succeeded", i)
		}
		if left := entries(t, s.tmp); len(left) != 0 {
			t.Fatalf("after failed write %d, tmp holds %q", i, left)
		}
	}
}

// TestKeysStayInside: no key, however hostile, makes a file outside the
// data directory, or a file named after the key.
func TestKeysStayInside(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	data := filepath.Join(root, "a", "data")
	s, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.CreateBucket(ctx, "bkt")
	keys := []string{"../../../escape", "../../escape2", "/etc/escape3", "..", ".", "a/../../../../escape4",
		"../../../../../../../../../../../../tmp/escape5", strings.Repeat("../", 300) + "x", "\x00", `..\..\escape6`}
	for _, k := range keys {
		if _, err := s.PutObject(ctx, "bkt", k, strings.NewReader(k), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
			t.Fatalf("PutObject(%q): %v", k, err)
		}
		id, err := s.CreateMultipartUpload(ctx, "bkt", k, objstore.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UploadPart(ctx, "bkt", k, id, 1, strings.NewReader(k), objstore.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != data && !strings.HasPrefix(path, data+string(filepath.Separator)) && path != root && path != filepath.Dir(data) {
			t.Errorf("%s is outside the data directory", path)
		}
		if strings.Contains(d.Name(), "escape") {
			t.Errorf("%s is named after a key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/tmp/escape5"); err == nil {
		t.Error("/tmp/escape5 exists")
	}
}

// TestOpenIsExclusive: a second Store cannot open a directory in use.
func TestOpenIsExclusive(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s2, err := Open(dir); err == nil {
		s2.Close()
		t.Fatal("a second Open of a directory in use succeeded")
	} else if !strings.HasPrefix(err.Error(), "disk: ") {
		t.Errorf("error %q does not start with the package name", err)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}

// TestReopen: buckets, objects with their metadata, and uploads with their
// parts are all there after Close and Open, and an upload begun before can
// be completed after.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"one", "two"} {
		if err := s.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	meta := objstore.Metadata{ContentType: "text/plain", User: map[string]string{"a": "b"}, Checksums: map[string]string{"CRC32": "AAAAAA=="}}
	for i, k := range []string{"z", "a//b", "ü", "../x", "m/n/o"} {
		if _, err := s.PutObject(ctx, "one", k, strings.NewReader(strings.Repeat(k, i+1)), meta, objstore.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	id, err := s.CreateMultipartUpload(ctx, "two", "mp", objstore.Metadata{ContentType: "mp/type"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := storetest.Body("p1", objstore.MinPartSize)
	part, err := s.UploadPart(ctx, "two", "mp", id, 1, bytes.NewReader(p1), objstore.PutOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	before := listAll(t, s, "one")
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bs, _ := s.ListBuckets(ctx)
	if len(bs) != 2 || bs[0].Name != "one" || bs[1].Name != "two" || bs[0].Created.IsZero() {
		t.Fatalf("buckets after reopening = %+v", bs)
	}
	after := listAll(t, s, "one")
	if len(after) != len(before) {
		t.Fatalf("after reopening, %d objects, before %d", len(after), len(before))
	}
	for i := range before {
		a, b := after[i], before[i]
		if a.Key != b.Key || a.ETag != b.ETag || a.Size != b.Size || !a.LastModified.Equal(b.LastModified) {
			t.Errorf("after reopening, %+v; before %+v", a, b)
		}
		h, err := s.HeadObject(ctx, "one", a.Key)
		if err != nil || h.ContentType != "text/plain" || h.User["a"] != "b" || h.Checksums["CRC32"] != "AAAAAA==" {
			t.Errorf("HeadObject(%q) after reopening = %+v, %v", a.Key, h, err)
		}
	}
	ups, err := s.ListUploads(ctx, "two", "")
	if err != nil || len(ups) != 1 || ups[0].UploadID != id || ups[0].Metadata.ContentType != "mp/type" {
		t.Fatalf("uploads after reopening = %+v, %v", ups, err)
	}
	p2 := []byte("tail")
	part2, err := s.UploadPart(ctx, "two", "mp", id, 2, bytes.NewReader(p2), objstore.PutOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.CompleteMultipartUpload(ctx, "two", "mp", id, []objstore.CompletedPart{{PartNumber: 1, ETag: part.ETag}, {PartNumber: 2, ETag: part2.ETag}})
	if err != nil || info.Size != int64(len(p1)+len(p2)) || info.ContentType != "mp/type" {
		t.Fatalf("completing after reopening = %+v, %v", info, err)
	}
}

// TestDamagedFilesSetAside: when Open builds the index from the files,
// files that are not whole objects, or not where their key puts them, are
// moved to damaged/ and not listed.
func TestDamagedFilesSetAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(ctx, "bkt")
	for _, k := range []string{"good", "truncated", "moved"} {
		if _, err := s.PutObject(ctx, "bkt", k, strings.NewReader("body of "+k), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	b := s.buckets["bkt"]
	trunc, moved := objectFilePath(t, s, "bkt", "truncated"), objectFilePath(t, s, "bkt", "moved")
	s.Close()
	// Lose the index, so that Open builds it from the files.
	if err := os.Remove(filepath.Join(dir, indexFile)); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(trunc)
	if err := os.Truncate(trunc, st.Size()-1); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(moved, filepath.Join(filepath.Dir(moved), keyHash("elsewhere"))); err != nil {
		t.Fatal(err)
	}
	garbage := b.objectFile("garbage", "")
	os.MkdirAll(filepath.Dir(garbage), 0o755)
	os.WriteFile(garbage, []byte("not an object"), 0o644)

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	objs := listAll(t, s, "bkt")
	if len(objs) != 1 || objs[0].Key != "good" {
		t.Fatalf("listing after damage = %+v, want only good", objs)
	}
	if n := len(entries(t, filepath.Join(dir, damagedName))); n != 3 {
		t.Fatalf("damaged/ holds %d files, want 3", n)
	}
}

// objectFilePath is the path of the file the index names for key.
func objectFilePath(t testing.TB, s *Store, bucketName, key string) string {
	t.Helper()
	b := s.buckets[bucketName]
	e, err := s.lookup(b, key)
	if err != nil || e == nil {
		t.Fatalf("no record of %q: %v", key, err)
	}
	return b.entryPath(e)
}
