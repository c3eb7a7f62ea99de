// Package storetest is the conformance suite of [objstore.Store]: every
// backend runs it from its tests,
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) objstore.Store { … a new, empty store … })
//	}
//
// Each subtest checks one MUST of the contract in objstore/store.go and
// says which. The suite asserts behaviour only, never timing.
package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

// Run runs the conformance suite. open MUST return a new, empty store on
// every call; it is called once per subtest, from parallel subtests, and
// should register any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) objstore.Store) {
	groups := [][]test{bucketTests, objectTests, keyTests, writeFailureTests, rangeTests, listTests, copyTests, multipartTests, concurrencyTests}
	for _, g := range groups {
		for _, tt := range g {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.run(t, open(t))
			})
		}
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	run  func(t *testing.T, s objstore.Store)
}

// Body returns n bytes that depend only on seed, so a test can regenerate
// and check every byte of an object from its seed.
func Body(seed string, n int) []byte {
	r := rand.NewChaCha8(sha256.Sum256([]byte(seed)))
	b := make([]byte, n)
	r.Read(b)
	return b
}

// MD5 returns the hex MD5 of b, the ETag of a single-part object.
func MD5(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// bucket creates a bucket in s and returns its name.
func bucket(t *testing.T, s objstore.Store, name string) string {
	t.Helper()
	if err := s.CreateBucket(t.Context(), name); err != nil {
		t.Fatalf("CreateBucket(%q): %v", name, err)
	}
	return name
}

// put stores body under key and checks the returned info.
func put(t *testing.T, s objstore.Store, b, key string, body []byte, meta objstore.Metadata) objstore.ObjectInfo {
	t.Helper()
	info, err := s.PutObject(t.Context(), b, key, bytes.NewReader(body), meta, objstore.PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("PutObject(%q, %d bytes): %v", key, len(body), err)
	}
	if info.Key != key || info.Bucket != b || info.Size != int64(len(body)) || info.ETag != MD5(body) || info.Parts != 0 || info.LastModified.IsZero() {
		t.Fatalf("PutObject(%q) info = %+v, want bucket %q, size %d, ETag %s, parts 0, a LastModified", key, info, b, len(body), MD5(body))
	}
	return info
}

// get reads a whole object.
func get(t *testing.T, s objstore.Store, b, key string, rng *objstore.Range) ([]byte, objstore.ObjectInfo) {
	t.Helper()
	rc, info, err := s.GetObject(t.Context(), b, key, rng)
	if err != nil {
		t.Fatalf("GetObject(%q, %v): %v", key, rng, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("GetObject(%q): reading: %v", key, err)
	}
	return data, info
}

// wantBody checks that key holds exactly body, through Get and Head.
func wantBody(t *testing.T, s objstore.Store, b, key string, body []byte) objstore.ObjectInfo {
	t.Helper()
	data, info := get(t, s, b, key, nil)
	if !bytes.Equal(data, body) {
		t.Fatalf("GetObject(%q) = %d bytes %.16q…, want %d bytes %.16q…", key, len(data), data, len(body), body)
	}
	if info.Size != int64(len(body)) || info.Key != key {
		t.Fatalf("GetObject(%q) info = %+v, want size %d", key, info, len(body))
	}
	head, err := s.HeadObject(t.Context(), b, key)
	if err != nil {
		t.Fatalf("HeadObject(%q): %v", key, err)
	}
	if !sameInfo(head, info) {
		t.Fatalf("HeadObject(%q) = %+v, GetObject info = %+v", key, head, info)
	}
	return info
}

// wantMissing checks that key holds nothing, through Get, Head and listing.
func wantMissing(t *testing.T, s objstore.Store, b, key string) {
	t.Helper()
	if _, err := s.HeadObject(t.Context(), b, key); !errors.Is(err, objstore.ErrNoSuchKey) {
		t.Fatalf("HeadObject(%q) error = %v, want ErrNoSuchKey", key, err)
	}
	if rc, _, err := s.GetObject(t.Context(), b, key, nil); !errors.Is(err, objstore.ErrNoSuchKey) {
		if err == nil {
			rc.Close()
		}
		t.Fatalf("GetObject(%q) error = %v, want ErrNoSuchKey", key, err)
	}
	res, err := s.ListObjects(t.Context(), b, objstore.ListOptions{Prefix: key, MaxKeys: 1})
	if err != nil {
		t.Fatalf("ListObjects(prefix %q): %v", key, err)
	}
	if len(res.Objects) > 0 && res.Objects[0].Key == key {
		t.Fatalf("ListObjects lists %q, which should not exist", key)
	}
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// sameInfo reports whether two infos describe the same object version.
func sameInfo(a, b objstore.ObjectInfo) bool {
	return a.Bucket == b.Bucket && a.Key == b.Key && a.Size == b.Size && a.ETag == b.ETag &&
		a.LastModified.Equal(b.LastModified) && a.Parts == b.Parts && sameMeta(a.Metadata, b.Metadata)
}

// sameMeta compares metadata, treating nil and empty maps alike.
func sameMeta(a, b objstore.Metadata) bool {
	eq := func(x, y map[string]string) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || w != v {
				return false
			}
		}
		return true
	}
	return eq(a.User, b.User) && eq(a.Checksums, b.Checksums) &&
		a.ContentType == b.ContentType && a.ContentEncoding == b.ContentEncoding &&
		a.ContentDisposition == b.ContentDisposition && a.ContentLanguage == b.ContentLanguage &&
		a.CacheControl == b.CacheControl && a.Expires == b.Expires && a.Tagging == b.Tagging &&
		a.StorageClass == b.StorageClass && a.ChecksumType == b.ChecksumType
}

// failingReader yields n bytes of data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// cancellingReader yields data, calling cancel once the first read is done.
type cancellingReader struct {
	data   []byte
	cancel context.CancelFunc
	reads  int
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if r.reads++; r.reads == 2 {
		r.cancel()
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data[:min(len(p), 32<<10)])
	r.data = r.data[n:]
	return n, nil
}

// slug makes a bucket name of a test name.
func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
