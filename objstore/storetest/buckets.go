package storetest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

var bucketTests = []test{
	{"Buckets/Lifecycle", testBucketLifecycle},
	{"Buckets/Names", testBucketNames},
	{"Buckets/Missing", testMissingBucket},
	{"Buckets/DeleteAbortsUploads", testDeleteBucketAbortsUploads},
}

// testBucketLifecycle: CreateBucket, ErrBucketExists, HeadBucket,
// ListBuckets sorted, DeleteBucket refusing a non-empty bucket, and a
// deleted bucket coming back empty.
func testBucketLifecycle(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	if bs, err := s.ListBuckets(ctx); err != nil || len(bs) != 0 {
		t.Fatalf("ListBuckets on a new store = %v, %v; want none", bs, err)
	}
	for _, n := range []string{"b-two", "c.three", "a-one"} {
		bucket(t, s, n)
	}
	wantErr(t, "CreateBucket of an existing bucket", s.CreateBucket(ctx, "b-two"), objstore.ErrBucketExists)
	bs, err := s.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
		if b.Created.IsZero() {
			t.Errorf("bucket %q has no creation time", b.Name)
		}
	}
	if got := strings.Join(names, ","); got != "a-one,b-two,c.three" {
		t.Fatalf("ListBuckets = %s, want a-one,b-two,c.three (sorted)", got)
	}
	info, err := s.HeadBucket(ctx, "a-one")
	if err != nil || info.Name != "a-one" || info.Created.IsZero() {
		t.Fatalf("HeadBucket(a-one) = %+v, %v", info, err)
	}
	_, err = s.HeadBucket(ctx, "no-such")
	wantErr(t, "HeadBucket(no-such)", err, objstore.ErrNoSuchBucket)
	wantErr(t, "DeleteBucket(no-such)", s.DeleteBucket(ctx, "no-such"), objstore.ErrNoSuchBucket)

	put(t, s, "a-one", "k", []byte("x"), objstore.Metadata{})
	wantErr(t, "DeleteBucket of a bucket with an object", s.DeleteBucket(ctx, "a-one"), objstore.ErrBucketNotEmpty)
	wantBody(t, s, "a-one", "k", []byte("x"))
	if err := s.DeleteObject(ctx, "a-one", "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "a-one"); err != nil {
		t.Fatalf("DeleteBucket of an emptied bucket: %v", err)
	}
	_, err = s.HeadBucket(ctx, "a-one")
	wantErr(t, "HeadBucket of a deleted bucket", err, objstore.ErrNoSuchBucket)
	_, err = s.ListObjects(ctx, "a-one", objstore.ListOptions{})
	wantErr(t, "ListObjects of a deleted bucket", err, objstore.ErrNoSuchBucket)
	if bs, _ := s.ListBuckets(ctx); len(bs) != 2 {
		t.Fatalf("ListBuckets after a delete = %v, want 2", bs)
	}
	bucket(t, s, "a-one")
	res, err := s.ListObjects(ctx, "a-one", objstore.ListOptions{})
	if err != nil || len(res.Objects) != 0 {
		t.Fatalf("a re-created bucket lists %v, %v; want nothing", res.Objects, err)
	}
}

// testBucketNames: S3's naming rules, enforced on every call that takes a
// bucket name.
func testBucketNames(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	tests := []struct {
		name  string
		valid bool
	}{
		{"abc", true},
		{"a.b-c", true},
		{"0bucket9", true},
		{"my.bucket.name", true},
		{"1.2.3", true},
		{"1.2.3.4a", true},
		{strings.Repeat("a", 63), true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"Abc", false},
		{"a_bc", false},
		{"a bc", false},
		{"-abc", false},
		{"abc-", false},
		{".abc", false},
		{"abc.", false},
		{"a..bc", false},
		{"192.168.1.10", false},
		{"a/b/c", false},
		{"../abc", false},
		{"bücket", false},
		{"abc\x00", false},
	}
	for _, tt := range tests {
		err := s.CreateBucket(ctx, tt.name)
		if tt.valid {
			if err != nil {
				t.Errorf("CreateBucket(%q) = %v, want success", tt.name, err)
			}
			continue
		}
		wantErr(t, "CreateBucket("+tt.name+")", err, objstore.ErrInvalidBucketName)
		_, err = s.HeadBucket(ctx, tt.name)
		wantErr(t, "HeadBucket("+tt.name+")", err, objstore.ErrInvalidBucketName)
		wantErr(t, "DeleteBucket("+tt.name+")", s.DeleteBucket(ctx, tt.name), objstore.ErrInvalidBucketName)
		_, err = s.PutObject(ctx, tt.name, "k", bytes.NewReader(nil), objstore.Metadata{}, objstore.PutOptions{Size: -1})
		wantErr(t, "PutObject("+tt.name+")", err, objstore.ErrInvalidBucketName)
		_, err = s.ListObjects(ctx, tt.name, objstore.ListOptions{})
		wantErr(t, "ListObjects("+tt.name+")", err, objstore.ErrInvalidBucketName)
	}
	bs, err := s.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	valid := 0
	for _, tt := range tests {
		if tt.valid {
			valid++
		}
	}
	if len(bs) != valid {
		t.Errorf("ListBuckets = %d buckets, want the %d valid ones", len(bs), valid)
	}
}

// testMissingBucket: every call on a bucket that does not exist is
// ErrNoSuchBucket.
func testMissingBucket(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	bucket(t, s, "here")
	put(t, s, "here", "k", []byte("x"), objstore.Metadata{})
	const b = "not-here"
	calls := []struct {
		name string
		call func() error
	}{
		{"PutObject", func() error {
			_, err := s.PutObject(ctx, b, "k", bytes.NewReader([]byte("x")), objstore.Metadata{}, objstore.PutOptions{Size: -1})
			return err
		}},
		{"GetObject", func() error {
			rc, _, err := s.GetObject(ctx, b, "k", nil)
			if err == nil {
				rc.Close()
			}
			return err
		}},
		{"HeadObject", func() error { _, err := s.HeadObject(ctx, b, "k"); return err }},
		{"DeleteObject", func() error { return s.DeleteObject(ctx, b, "k") }},
		{"CopyObject from", func() error {
			_, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: b, SrcKey: "k", DstBucket: "here", DstKey: "k2"})
			return err
		}},
		{"CopyObject to", func() error {
			_, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: "here", SrcKey: "k", DstBucket: b, DstKey: "k2"})
			return err
		}},
		{"ListObjects", func() error { _, err := s.ListObjects(ctx, b, objstore.ListOptions{}); return err }},
		{"CreateMultipartUpload", func() error {
			_, err := s.CreateMultipartUpload(ctx, b, "k", objstore.Metadata{})
			return err
		}},
		{"ListUploads", func() error { _, err := s.ListUploads(ctx, b, ""); return err }},
	}
	for _, c := range calls {
		wantErr(t, c.name, c.call(), objstore.ErrNoSuchBucket)
	}
}

// testDeleteBucketAbortsUploads: "Multipart uploads in progress MUST be
// aborted with it."
func testDeleteBucketAbortsUploads(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "uploads")
	id := createUpload(t, s, b, "k", objstore.Metadata{})
	if _, err := s.UploadPart(ctx, b, "k", id, 1, bytes.NewReader([]byte("part")), objstore.PutOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, b); err != nil {
		t.Fatalf("DeleteBucket with an upload in progress: %v", err)
	}
	bucket(t, s, b)
	ups, err := s.ListUploads(ctx, b, "")
	if err != nil || len(ups) != 0 {
		t.Fatalf("ListUploads of the re-created bucket = %v, %v; want none", ups, err)
	}
	_, _, err = s.ListParts(ctx, b, "k", id, 0, 0)
	wantErr(t, "ListParts of an upload of a deleted bucket", err, objstore.ErrNoSuchUpload)
	_, err = s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.CompletedPart{{PartNumber: 1, ETag: MD5([]byte("part"))}})
	wantErr(t, "CompleteMultipartUpload of an upload of a deleted bucket", err, objstore.ErrNoSuchUpload)
	wantMissing(t, s, b, "k")
}
