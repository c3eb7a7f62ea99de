package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

var objectTests = []test{
	{"Objects/RoundTrip", testRoundTrip},
	{"Objects/Delete", testDelete},
	{"Objects/ReplaceWithMetadata", testReplaceWithMetadata},
	{"Objects/MetadataNotShared", testMetadataNotShared},
	{"Objects/ReaderSurvivesReplaceAndDelete", testReaderSurvives},
}

// fullMeta sets every field of Metadata.
func fullMeta() objstore.Metadata {
	return objstore.Metadata{
		ContentType:        "text/plain; charset=utf-8",
		ContentEncoding:    "gzip",
		ContentDisposition: `attachment; filename="ü.txt"`,
		ContentLanguage:    "de-CH",
		CacheControl:       "max-age=60",
		Expires:            "Thu, 01 Jan 2037 00:00:00 GMT",
		User:               map[string]string{"color": "blue", "empty": "", "ünï": "cödé"},
		Tagging:            "a=1&b=two",
		StorageClass:       "REDUCED_REDUNDANCY",
		Checksums:          map[string]string{"SHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		ChecksumType:       "FULL_OBJECT",
	}
}

// testRoundTrip: what PutObject stores, GetObject and HeadObject return,
// bytes and metadata alike.
func testRoundTrip(t *testing.T, s objstore.Store) {
	b := bucket(t, s, "round-trip")
	tests := []struct {
		name string
		body []byte
		meta objstore.Metadata
	}{
		{"empty", nil, objstore.Metadata{}},
		{"one byte", []byte{0}, objstore.Metadata{ContentType: "application/octet-stream"}},
		{"full metadata", []byte("hello"), fullMeta()},
		{"over a MiB", Body("big", 1<<20+7), objstore.Metadata{User: map[string]string{"k": "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "obj/" + tt.name
			pinfo := put(t, s, b, key, tt.body, tt.meta)
			if !sameMeta(pinfo.Metadata, tt.meta) {
				t.Errorf("PutObject info metadata = %+v, want %+v", pinfo.Metadata, tt.meta)
			}
			ginfo := wantBody(t, s, b, key, tt.body)
			if !sameInfo(ginfo, pinfo) {
				t.Errorf("GetObject info = %+v, want PutObject's %+v", ginfo, pinfo)
			}
		})
	}
}

// testDelete: deleting removes the object; deleting a missing key is not
// an error.
func testDelete(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "delete")
	put(t, s, b, "gone", []byte("bye"), objstore.Metadata{})
	put(t, s, b, "stays", []byte("hi"), objstore.Metadata{})
	if err := s.DeleteObject(ctx, b, "gone"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, b, "gone")
	wantBody(t, s, b, "stays", []byte("hi"))
	if err := s.DeleteObject(ctx, b, "gone"); err != nil {
		t.Fatalf("DeleteObject of a missing key = %v, want nil", err)
	}
	if err := s.DeleteObject(ctx, b, "never"); err != nil {
		t.Fatalf("DeleteObject of a never-stored key = %v, want nil", err)
	}
}

// testReplaceWithMetadata: a new version replaces the old one's bytes and
// metadata together; nothing of the old metadata survives.
func testReplaceWithMetadata(t *testing.T, s objstore.Store) {
	b := bucket(t, s, "replace")
	put(t, s, b, "k", Body("v1", 1000), fullMeta())
	v2 := objstore.Metadata{ContentType: "image/png", User: map[string]string{"only": "this"}}
	put(t, s, b, "k", Body("v2", 10), v2)
	info := wantBody(t, s, b, "k", Body("v2", 10))
	if !sameMeta(info.Metadata, v2) {
		t.Fatalf("metadata after replacing = %+v, want exactly %+v", info.Metadata, v2)
	}
	res, err := s.ListObjects(t.Context(), b, objstore.ListOptions{})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].ETag != MD5(Body("v2", 10)) || res.Objects[0].Size != 10 {
		t.Fatalf("listing after replacing = %+v, %v; want the new version only", res.Objects, err)
	}
}

// testMetadataNotShared: the store keeps its own copy of the caller's maps,
// and refuses metadata that is not valid UTF-8 rather than alter it.
func testMetadataNotShared(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "meta")
	meta := objstore.Metadata{User: map[string]string{"a": "1"}}
	put(t, s, b, "k", []byte("x"), meta)
	meta.User["a"] = "changed"
	info, err := s.HeadObject(ctx, b, "k")
	if err != nil || info.User["a"] != "1" {
		t.Fatalf("HeadObject after the caller changed its map = %+v, %v; want user a=1", info.User, err)
	}
	for _, bad := range []objstore.Metadata{
		{User: map[string]string{"k": "\xff"}},
		{User: map[string]string{"\xfe": "v"}},
		{ContentType: "text/\xc3"},
	} {
		_, err := s.PutObject(ctx, b, "bad", bytes.NewReader([]byte("x")), bad, objstore.PutOptions{Size: 1})
		wantErr(t, fmt.Sprintf("PutObject with metadata %+v", bad), err, objstore.ErrInvalidArgument)
		wantMissing(t, s, b, "bad")
	}
}

// testReaderSurvives: "The returned reader MUST keep reading the object
// that was opened even if it is replaced or deleted meanwhile."
func testReaderSurvives(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "survive")
	old := Body("old", 3<<20)
	tests := []struct {
		name  string
		rng   *objstore.Range
		want  []byte
		after func(t *testing.T)
	}{
		{"replaced", nil, old, func(t *testing.T) { put(t, s, b, "k", Body("new", 3<<20), objstore.Metadata{}) }},
		{"deleted", nil, old, func(t *testing.T) {
			if err := s.DeleteObject(ctx, b, "k"); err != nil {
				t.Fatal(err)
			}
		}},
		{"range, replaced", &objstore.Range{Start: 1000, End: 2<<20 + 99}, old[1000 : 2<<20+100], func(t *testing.T) {
			put(t, s, b, "k", []byte("short"), objstore.Metadata{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put(t, s, b, "k", old, objstore.Metadata{ContentType: "old/type"})
			rc, info, err := s.GetObject(ctx, b, "k", tt.rng)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			first := make([]byte, 1000)
			if _, err := io.ReadFull(rc, first); err != nil {
				t.Fatal(err)
			}
			tt.after(t)
			rest, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("reading on after the object was %s: %v", tt.name, err)
			}
			if got := append(first, rest...); !bytes.Equal(got, tt.want) {
				t.Fatalf("reader saw %d bytes after the object was %s, not the %d bytes it opened", len(got), tt.name, len(tt.want))
			}
			if info.ContentType != "old/type" || info.Size != int64(len(old)) {
				t.Fatalf("info = %+v, want the old object's", info)
			}
		})
	}
}

var keyTests = []test{
	{"Keys/Awkward", testAwkwardKeys},
	{"Keys/Invalid", testInvalidKeys},
}

// awkwardKeys are valid keys that are not valid, or not safe, file names.
var awkwardKeys = []string{
	"a//b",
	"a/b",
	"a/./b",
	"../x",
	"../../../../../../../../etc/passwd",
	"..",
	".",
	"./",
	"/lead",
	"//",
	"/",
	"trailing/",
	"dir/..",
	`back\slash\..\x`,
	"C:\\x",
	"CON",
	"nul",
	"Key",
	"key",
	"sp ace ",
	"tab\tnew\nline\r",
	"nul\x00byte",
	"%2F%2e%2e",
	"ünïcödé/日本語/🙂",
	"\u202eright-to-left",
	"e\u0301", // e + combining accent: not normalised
	"\u00e9",  // é precomposed
	"\u007f\u0001",
	strings.Repeat("k", 1024),
	strings.Repeat("é", 512),               // 1024 bytes
	strings.Repeat("a/", 511) + "zz",       // 1024 bytes, 511 segments
	strings.Repeat("🙂", 256),               // 1024 bytes
	strings.Repeat("x", 255) + "/" + "255", // longer than a file name
}

// testAwkwardKeys: "any UTF-8 string of 1 to 1024 bytes MUST be storable
// and MUST come back byte for byte".
func testAwkwardKeys(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "keys")
	for i, k := range awkwardKeys {
		put(t, s, b, k, []byte(fmt.Sprintf("%d:%q", i, k)), objstore.Metadata{User: map[string]string{"i": fmt.Sprint(i)}})
	}
	for i, k := range awkwardKeys {
		info := wantBody(t, s, b, k, []byte(fmt.Sprintf("%d:%q", i, k)))
		if info.User["i"] != fmt.Sprint(i) {
			t.Errorf("key %q has the metadata of another key: %v", k, info.User)
		}
	}
	res, err := s.ListObjects(ctx, b, objstore.ListOptions{MaxKeys: len(awkwardKeys) + 1})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(awkwardKeys)
	slices.Sort(want)
	var got []string
	for _, o := range res.Objects {
		got = append(got, o.Key)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListObjects = %q\nwant (byte order) %q", got, want)
	}
	for _, k := range awkwardKeys {
		if err := s.DeleteObject(ctx, b, k); err != nil {
			t.Fatalf("DeleteObject(%q): %v", k, err)
		}
		wantMissing(t, s, b, k)
	}
	if err := s.DeleteBucket(ctx, b); err != nil {
		t.Fatalf("DeleteBucket after deleting every key: %v", err)
	}
}

// testInvalidKeys: "Keys that are empty, not valid UTF-8 or longer than
// 1024 bytes MUST be refused with ErrInvalidKey", on every call.
func testInvalidKeys(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "bad-keys")
	put(t, s, b, "ok", []byte("x"), objstore.Metadata{})
	keys := []string{
		"",
		strings.Repeat("k", 1025),
		strings.Repeat("é", 512) + "x",
		"\xff",
		"a\xc3",
		"\xed\xa0\x80", // a UTF-16 surrogate
		"\xc0\xaf",     // an overlong "/"
	}
	for _, k := range keys {
		calls := []struct {
			name string
			call func() error
		}{
			{"PutObject", func() error {
				_, err := s.PutObject(ctx, b, k, bytes.NewReader([]byte("x")), objstore.Metadata{}, objstore.PutOptions{Size: -1})
				return err
			}},
			{"GetObject", func() error {
				rc, _, err := s.GetObject(ctx, b, k, nil)
				if err == nil {
					rc.Close()
				}
				return err
			}},
			{"HeadObject", func() error { _, err := s.HeadObject(ctx, b, k); return err }},
			{"DeleteObject", func() error { return s.DeleteObject(ctx, b, k) }},
			{"CopyObject from", func() error {
				_, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: b, SrcKey: k, DstBucket: b, DstKey: "ok2"})
				return err
			}},
			{"CopyObject to", func() error {
				_, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: b, SrcKey: "ok", DstBucket: b, DstKey: k})
				return err
			}},
			{"CreateMultipartUpload", func() error {
				_, err := s.CreateMultipartUpload(ctx, b, k, objstore.Metadata{})
				return err
			}},
		}
		for _, c := range calls {
			wantErr(t, fmt.Sprintf("%s(%.20q)", c.name, k), c.call(), objstore.ErrInvalidKey)
		}
	}
	res, err := s.ListObjects(ctx, b, objstore.ListOptions{})
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("ListObjects after refused keys = %+v, %v; want only %q", res.Objects, err, "ok")
	}
}

var writeFailureTests = []test{
	{"Writes/SizeMismatch", testSizeMismatch},
	{"Writes/FailingReader", testFailingReader},
	{"Writes/CancelledContext", testCancelledContext},
	{"Writes/Precommit", testPrecommit},
}

// failedWrite runs write against a new key and against an existing one,
// and checks that it fails with want and leaves nothing new behind.
func failedWrite(t *testing.T, s objstore.Store, b string, want error, write func(key string) error) {
	t.Helper()
	if err := write("new"); !errors.Is(err, want) {
		t.Fatalf("write of a new key: error = %v, want %v", err, want)
	}
	wantMissing(t, s, b, "new")
	old := Body("old "+t.Name(), 1000)
	put(t, s, b, "old", old, objstore.Metadata{ContentType: "old"})
	if err := write("old"); !errors.Is(err, want) {
		t.Fatalf("write over an existing key: error = %v, want %v", err, want)
	}
	if info := wantBody(t, s, b, "old", old); info.ContentType != "old" {
		t.Fatalf("metadata after a failed write = %+v, want the old", info.Metadata)
	}
}

// testSizeMismatch: "a shorter or longer body MUST fail with
// ErrIncompleteBody without storing anything".
func testSizeMismatch(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		body []byte
		size int64
	}{
		{"short", Body("s", 999), 1000},
		{"long", Body("l", 1001), 1000},
		{"empty but declared", nil, 1},
		{"long by a buffer", Body("lb", 1<<20), 1},
		{"short by a buffer", Body("sb", 1), 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bucket(t, s, slug("size-"+tt.name))
			failedWrite(t, s, b, objstore.ErrIncompleteBody, func(key string) error {
				_, err := s.PutObject(ctx, b, key, bytes.NewReader(tt.body), objstore.Metadata{}, objstore.PutOptions{Size: tt.size})
				return err
			})
			id := createUpload(t, s, b, "mp", objstore.Metadata{})
			_, err := s.UploadPart(ctx, b, "mp", id, 1, bytes.NewReader(tt.body), objstore.PutOptions{Size: tt.size})
			wantErr(t, "UploadPart", err, objstore.ErrIncompleteBody)
			if parts, _, err := s.ListParts(ctx, b, "mp", id, 0, 0); err != nil || len(parts) != 0 {
				t.Fatalf("ListParts after a failed UploadPart = %+v, %v; want none", parts, err)
			}
		})
	}
	b := bucket(t, s, "size-exact")
	for _, size := range []int64{-1, 5} {
		if _, err := s.PutObject(ctx, b, "k", bytes.NewReader([]byte("12345")), objstore.Metadata{}, objstore.PutOptions{Size: size}); err != nil {
			t.Fatalf("PutObject with Size %d and 5 bytes: %v", size, err)
		}
	}
}

// testFailingReader: "If the body's reader fails ... no new object MUST
// become visible", and the reader's error comes back.
func testFailingReader(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	errBoom := errors.New("storetest: boom")
	tests := []struct {
		name string
		data []byte
		err  error
		size int64
	}{
		{"at once", nil, errBoom, -1},
		{"after 300 KiB", Body("f", 300<<10), errBoom, -1},
		{"after 3 MiB, size known", Body("f", 3<<20), errBoom, 4 << 20},
		{"unexpected EOF", Body("u", 100<<10), io.ErrUnexpectedEOF, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bucket(t, s, slug("fail-"+tt.name))
			failedWrite(t, s, b, tt.err, func(key string) error {
				_, err := s.PutObject(ctx, b, key, &failingReader{data: tt.data, err: tt.err}, objstore.Metadata{}, objstore.PutOptions{Size: tt.size})
				return err
			})
			id := createUpload(t, s, b, "mp", objstore.Metadata{})
			_, err := s.UploadPart(ctx, b, "mp", id, 1, &failingReader{data: tt.data, err: tt.err}, objstore.PutOptions{Size: tt.size})
			wantErr(t, "UploadPart", err, tt.err)
			if parts, _, err := s.ListParts(ctx, b, "mp", id, 0, 0); err != nil || len(parts) != 0 {
				t.Fatalf("ListParts after a failed UploadPart = %+v, %v; want none", parts, err)
			}
		})
	}
}

// testCancelledContext: "If ... the context is cancelled ... no new object
// MUST become visible."
func testCancelledContext(t *testing.T, s objstore.Store) {
	t.Run("before", func(t *testing.T) {
		b := bucket(t, s, "cancel-before")
		failedWrite(t, s, b, context.Canceled, func(key string) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := s.PutObject(ctx, b, key, bytes.NewReader([]byte("x")), objstore.Metadata{}, objstore.PutOptions{Size: 1})
			return err
		})
	})
	t.Run("during", func(t *testing.T) {
		b := bucket(t, s, "cancel-during")
		failedWrite(t, s, b, context.Canceled, func(key string) error {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			body := &cancellingReader{data: Body("c", 4<<20), cancel: cancel}
			_, err := s.PutObject(ctx, b, key, body, objstore.Metadata{}, objstore.PutOptions{Size: 4 << 20})
			return err
		})
	})
}

// testPrecommit: Precommit runs with the ETag and Size filled in; its
// error is returned as is and stores nothing; the metadata it sets is
// stored with the object (and with a part, its checksums).
func testPrecommit(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	body := Body("pre", 100<<10)
	t.Run("error", func(t *testing.T) {
		b := bucket(t, s, "precommit-error")
		errBad := errors.New("storetest: bad digest")
		failedWrite(t, s, b, errBad, func(key string) error {
			_, err := s.PutObject(ctx, b, key, bytes.NewReader(body), objstore.Metadata{}, objstore.PutOptions{
				Size:      -1,
				Precommit: func(*objstore.ObjectInfo) error { return errBad },
			})
			return err
		})
	})
	t.Run("sees info, sets checksum", func(t *testing.T) {
		b := bucket(t, s, "precommit-ok")
		called := 0
		info, err := s.PutObject(ctx, b, "k", bytes.NewReader(body), objstore.Metadata{ContentType: "x/y"}, objstore.PutOptions{
			Size: -1,
			Precommit: func(info *objstore.ObjectInfo) error {
				called++
				if info.Size != int64(len(body)) || info.ETag != MD5(body) || info.Key != "k" || info.Bucket != b || info.ContentType != "x/y" {
					return fmt.Errorf("storetest: Precommit saw %+v", info)
				}
				if _, err := s.HeadObject(ctx, b, "k"); !errors.Is(err, objstore.ErrNoSuchKey) {
					return fmt.Errorf("storetest: object visible during Precommit (HeadObject: %v)", err)
				}
				info.Checksums = map[string]string{"CRC32": "AAAAAA=="}
				info.ChecksumType = "FULL_OBJECT"
				return nil
			},
		})
		if err != nil || called != 1 {
			t.Fatalf("PutObject with Precommit: %v (Precommit called %d times)", err, called)
		}
		if info.Checksums["CRC32"] != "AAAAAA==" {
			t.Errorf("PutObject info lacks the checksum Precommit set: %+v", info.Metadata)
		}
		got := wantBody(t, s, b, "k", body)
		if got.Checksums["CRC32"] != "AAAAAA==" || got.ChecksumType != "FULL_OBJECT" || got.ContentType != "x/y" {
			t.Fatalf("stored metadata = %+v, want the checksum Precommit set", got.Metadata)
		}
	})
	t.Run("part", func(t *testing.T) {
		b := bucket(t, s, "precommit-part")
		id := createUpload(t, s, b, "k", objstore.Metadata{})
		errBad := errors.New("storetest: bad part")
		_, err := s.UploadPart(ctx, b, "k", id, 1, bytes.NewReader(body), objstore.PutOptions{Size: -1, Precommit: func(*objstore.ObjectInfo) error { return errBad }})
		wantErr(t, "UploadPart with a failing Precommit", err, errBad)
		if parts, _, err := s.ListParts(ctx, b, "k", id, 0, 0); err != nil || len(parts) != 0 {
			t.Fatalf("ListParts after a failed Precommit = %+v, %v; want none", parts, err)
		}
		p, err := s.UploadPart(ctx, b, "k", id, 1, bytes.NewReader(body), objstore.PutOptions{Size: -1, Precommit: func(info *objstore.ObjectInfo) error {
			if info.Size != int64(len(body)) || info.ETag != MD5(body) {
				return fmt.Errorf("storetest: Precommit saw %+v", info)
			}
			info.Checksums = map[string]string{"SHA1": "2jmj7l5rSw0yVb/vlWAYkK/YBwk="}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		parts, _, err := s.ListParts(ctx, b, "k", id, 0, 0)
		if err != nil || len(parts) != 1 || parts[0].Checksums["SHA1"] != "2jmj7l5rSw0yVb/vlWAYkK/YBwk=" || p.Checksums["SHA1"] == "" {
			t.Fatalf("ListParts = %+v, %v; UploadPart = %+v; want the part's checksum", parts, err, p)
		}
	})
}

var rangeTests = []test{
	{"Ranges", testRanges},
}

// testRanges: start-end, open end, suffix, cut at the end, and the ranges
// that are not satisfiable.
func testRanges(t *testing.T, s objstore.Store) {
	b := bucket(t, s, "ranges")
	body := Body("r", 1000)
	put(t, s, b, "k", body, objstore.Metadata{})
	put(t, s, b, "empty", nil, objstore.Metadata{})
	tests := []struct {
		name       string
		key        string
		rng        objstore.Range
		start, end int // want body[start:end]; start < 0 means ErrInvalidRange
	}{
		{"first byte", "k", objstore.Range{Start: 0, End: 0}, 0, 1},
		{"start-end", "k", objstore.Range{Start: 10, End: 99}, 10, 100},
		{"last byte", "k", objstore.Range{Start: 999, End: 999}, 999, 1000},
		{"open end", "k", objstore.Range{Start: 10, End: -1}, 10, 1000},
		{"end past the end", "k", objstore.Range{Start: 990, End: 5000}, 990, 1000},
		{"whole", "k", objstore.Range{Start: 0, End: -1}, 0, 1000},
		{"suffix", "k", objstore.Range{Start: -100}, 900, 1000},
		{"suffix ignores End", "k", objstore.Range{Start: -100, End: 3}, 900, 1000},
		{"suffix longer than the object", "k", objstore.Range{Start: -2000}, 0, 1000},
		{"start at the end", "k", objstore.Range{Start: 1000, End: -1}, -1, 0},
		{"start past the end", "k", objstore.Range{Start: 5000, End: 6000}, -1, 0},
		{"end before start", "k", objstore.Range{Start: 5, End: 4}, -1, 0},
		{"empty object, open", "empty", objstore.Range{Start: 0, End: -1}, -1, 0},
		{"empty object, suffix", "empty", objstore.Range{Start: -5}, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := tt.rng
			if tt.start < 0 {
				rc, _, err := s.GetObject(t.Context(), b, tt.key, &rng)
				if err == nil {
					rc.Close()
				}
				wantErr(t, fmt.Sprintf("GetObject(%+v)", rng), err, objstore.ErrInvalidRange)
				return
			}
			data, info := get(t, s, b, tt.key, &rng)
			if !bytes.Equal(data, body[tt.start:tt.end]) {
				t.Errorf("GetObject(%+v) = %d bytes, want bytes %d to %d", rng, len(data), tt.start, tt.end)
			}
			if info.Size != 1000 || info.ETag != MD5(body) {
				t.Errorf("GetObject(%+v) info = %+v, want the whole object's", rng, info)
			}
		})
	}
	if data, _ := get(t, s, b, "empty", nil); len(data) != 0 {
		t.Errorf("GetObject(empty, nil) = %d bytes", len(data))
	}
}

var copyTests = []test{
	{"Copy", testCopy},
}

// testCopy: copies within and across buckets, onto the source itself with
// new metadata, of a multipart object, and of a missing source.
func testCopy(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b1, b2 := bucket(t, s, "copy-from"), bucket(t, s, "copy-to")
	body := Body("copy", 200<<10)
	src := put(t, s, b1, "src", body, fullMeta())
	newMeta := &objstore.Metadata{ContentType: "new/type", User: map[string]string{"new": "1"}}
	tests := []struct {
		name      string
		dstBucket string
		dstKey    string
		meta      *objstore.Metadata
		want      objstore.Metadata
	}{
		{"same bucket, keep metadata", b1, "dst", nil, fullMeta()},
		{"other bucket", b2, "a/b/../dst", nil, fullMeta()},
		{"replace metadata keeps checksums", b2, "dst2", newMeta, objstore.Metadata{
			ContentType: "new/type", User: map[string]string{"new": "1"},
			Checksums: fullMeta().Checksums, ChecksumType: "FULL_OBJECT"}},
		{"onto itself with new metadata", b1, "src", &objstore.Metadata{ContentType: "self/type", Checksums: map[string]string{"CRC32": "AAAAAA=="}},
			objstore.Metadata{ContentType: "self/type", Checksums: map[string]string{"CRC32": "AAAAAA=="}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: b1, SrcKey: "src", DstBucket: tt.dstBucket, DstKey: tt.dstKey, Metadata: tt.meta})
			if err != nil {
				t.Fatal(err)
			}
			if info.ETag != src.ETag || info.Size != src.Size || info.Parts != 0 || info.Key != tt.dstKey || info.Bucket != tt.dstBucket {
				t.Fatalf("CopyObject info = %+v", info)
			}
			got := wantBody(t, s, tt.dstBucket, tt.dstKey, body)
			if !sameMeta(got.Metadata, tt.want) {
				t.Fatalf("copy's metadata = %+v\nwant %+v", got.Metadata, tt.want)
			}
			if !sameInfo(got, info) {
				t.Fatalf("HeadObject of the copy = %+v, CopyObject returned %+v", got, info)
			}
		})
	}
	t.Run("missing source", func(t *testing.T) {
		_, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: b1, SrcKey: "nope", DstBucket: b2, DstKey: "x"})
		wantErr(t, "CopyObject of a missing key", err, objstore.ErrNoSuchKey)
		wantMissing(t, s, b2, "x")
	})
	t.Run("multipart source", func(t *testing.T) {
		mpBody := completeUpload(t, s, b1, "mp", []int{objstore.MinPartSize, 10}, objstore.Metadata{ContentType: "mp"})
		info, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: b1, SrcKey: "mp", DstBucket: b2, DstKey: "mp-copy"})
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != MD5(mpBody) || info.Parts != 0 {
			t.Fatalf("copy of a multipart object: ETag %s parts %d, want a single-part ETag %s, 0", info.ETag, info.Parts, MD5(mpBody))
		}
		if got := wantBody(t, s, b2, "mp-copy", mpBody); got.ContentType != "mp" {
			t.Fatalf("copy's metadata = %+v", got.Metadata)
		}
	})
}
