package disk

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/objstore"
)

// FuzzReadHeader: whatever bytes an object file holds, parseHeader returns
// an error or a header that agrees with the file's length; it never
// panics or allocates more than maxHeader.
func FuzzReadHeader(f *testing.F) {
	dir := f.TempDir()
	s, err := Open(filepath.Join(dir, "store"))
	if err != nil {
		f.Fatal(err)
	}
	s.CreateBucket(context.Background(), "seed")
	s.PutObject(context.Background(), "seed", "k", strings.NewReader("body"), objstore.Metadata{User: map[string]string{"a": "b"}}, objstore.PutOptions{Size: -1})
	valid, err := os.ReadFile(objectFilePath(f, s, "seed", "k"))
	if err != nil {
		f.Fatal(err)
	}
	s.Close()
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte(magic))
	f.Add(append([]byte("{}\x00\x00\x00\x02"), magic...))
	f.Add(append([]byte("\xff\xff\xff\xff"), magic...))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseHeader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		js := int64(len(data)) - int64(tailSize) - h.Size
		if h.Size < 0 || js < 0 || js > maxHeader || objstore.CheckKey(h.Key) != nil {
			t.Fatalf("accepted a header %+v for a file of %d bytes", h, len(data))
		}
	})
}

// FuzzKeyAndToken: any valid key maps to a path inside its bucket's
// objects directory and round-trips through a put, a get and a listing
// resumed from a token; any continuation token is read or refused, never
// a panic.
func FuzzKeyAndToken(f *testing.F) {
	for _, k := range []string{"a", "../x", "a//b", "/", "..", "\x00", "ü/🙂", strings.Repeat("../", 300)} {
		f.Add(k, "")
	}
	f.Add("k", "%%%")
	f.Add("k", "Li4v")
	s, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()
	s.CreateBucket(ctx, "fuzz")
	b := s.buckets["fuzz"]
	objects := filepath.Join(b.dir, objectsName) + string(filepath.Separator)
	f.Fuzz(func(t *testing.T, key, token string) {
		if _, err := s.ListObjects(ctx, "fuzz", objstore.ListOptions{ContinuationToken: token, Delimiter: "/"}); err != nil && err != objstore.ErrInvalidArgument {
			t.Fatalf("ListObjects(token %q): %v", token, err)
		}
		if objstore.CheckKey(key) != nil {
			return
		}
		if p := b.objectFile(key, newGen()); !strings.HasPrefix(p, objects) || filepath.Clean(p) != p {
			t.Fatalf("key %q maps to %s, outside %s", key, p, objects)
		}
		if _, err := s.PutObject(ctx, "fuzz", key, strings.NewReader(key), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
		defer s.DeleteObject(ctx, "fuzz", key)
		rc, info, err := s.GetObject(ctx, "fuzz", key, nil)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if info.Key != key || info.Size != int64(len(key)) {
			t.Fatalf("GetObject(%q) = %+v", key, info)
		}
		res, err := s.ListObjects(ctx, "fuzz", objstore.ListOptions{Prefix: key, MaxKeys: 1})
		if err != nil || len(res.Objects) != 1 || res.Objects[0].Key != key {
			t.Fatalf("ListObjects(prefix %q) = %+v, %v", key, res, err)
		}
	})
}

// FuzzDecodeEntry: whatever bytes an index record holds, decodeEntry
// returns an error or an entry that encodes back to the same bytes; it
// never panics.
func FuzzDecodeEntry(f *testing.F) {
	f.Add([]byte("k"), encodeEntry(&entry{key: "k", gen: newGen(), size: 5, etag: "0123456789abcdef0123456789abcdef", modified: time.Unix(1700000000, 5).UTC()}))
	f.Add([]byte("a/b"), encodeEntry(&entry{key: "a/b", size: 1 << 40, etag: "x-3", parts: 3, storageClass: "STANDARD", checksumType: "COMPOSITE",
		checksums: map[string]string{"CRC32": "AAAAAA==", "SHA256": "x"}, modified: time.Unix(0, 0).UTC()}))
	f.Add([]byte("k"), []byte{recordVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte("k"), []byte{})
	f.Fuzz(func(t *testing.T, key, val []byte) {
		e, err := decodeEntry(key, val)
		if err != nil {
			return
		}
		if got := encodeEntry(e); !bytes.Equal(got, val) && len(e.checksums) < 2 {
			t.Fatalf("decodeEntry(%x) = %+v, which encodes to %x", val, e, got)
		}
		if e.size < 0 || e.parts < 0 || !validGen(e.gen) {
			t.Fatalf("accepted %+v", e)
		}
	})
}
