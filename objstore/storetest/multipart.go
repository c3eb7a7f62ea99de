package storetest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

var multipartTests = []test{
	{"Multipart/Complete", testMultipartComplete},
	{"Multipart/CompleteErrors", testMultipartCompleteErrors},
	{"Multipart/ReplacePart", testMultipartReplacePart},
	{"Multipart/Abort", testMultipartAbort},
	{"Multipart/ListParts", testListParts},
	{"Multipart/ListUploads", testListUploads},
	{"Multipart/WrongUpload", testMultipartWrongUpload},
}

// multipartETag is the ETag of an object made of these parts.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		sum := md5.Sum(p)
		h.Write(sum[:])
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}

var multipartETagRE = regexp.MustCompile(`^[0-9a-f]{32}-[0-9]+$`)

// createUpload begins a multipart upload of key and returns its id.
func createUpload(t *testing.T, s objstore.Store, b, key string, meta objstore.Metadata) string {
	t.Helper()
	id, err := s.CreateMultipartUpload(t.Context(), b, key, meta)
	if err != nil {
		t.Fatalf("CreateMultipartUpload(%q): %v", key, err)
	}
	return id
}

// uploadPart uploads body as part n and checks the returned info.
func uploadPart(t *testing.T, s objstore.Store, b, key, id string, n int, body []byte) objstore.PartInfo {
	t.Helper()
	p, err := s.UploadPart(t.Context(), b, key, id, n, bytes.NewReader(body), objstore.PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("UploadPart(%d, %d bytes): %v", n, len(body), err)
	}
	if p.PartNumber != n || p.ETag != MD5(body) || p.Size != int64(len(body)) || p.LastModified.IsZero() {
		t.Fatalf("UploadPart(%d) = %+v, want ETag %s, size %d", n, p, MD5(body), len(body))
	}
	return p
}

// completeUpload uploads parts of the given sizes as one object and checks
// it; it returns the object's bytes.
func completeUpload(t *testing.T, s objstore.Store, b, key string, sizes []int, meta objstore.Metadata) []byte {
	t.Helper()
	ctx := t.Context()
	id := createUpload(t, s, b, key, meta)
	var bodies [][]byte
	var done []objstore.CompletedPart
	for i, n := range sizes {
		body := Body(fmt.Sprint(key, i), n)
		p := uploadPart(t, s, b, key, id, i+1, body)
		bodies = append(bodies, body)
		done = append(done, objstore.CompletedPart{PartNumber: i + 1, ETag: `"` + p.ETag + `"`})
	}
	info, err := s.CompleteMultipartUpload(ctx, b, key, id, done)
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	whole := bytes.Join(bodies, nil)
	if info.ETag != multipartETag(bodies...) || !multipartETagRE.MatchString(info.ETag) || info.Parts != len(sizes) || info.Size != int64(len(whole)) {
		t.Fatalf("CompleteMultipartUpload = %+v, want ETag %s, %d parts, size %d", info, multipartETag(bodies...), len(sizes), len(whole))
	}
	got := wantBody(t, s, b, key, whole)
	if !sameInfo(got, info) || !sameMeta(got.Metadata, meta) {
		t.Fatalf("HeadObject = %+v, CompleteMultipartUpload returned %+v with metadata %+v", got, info, meta)
	}
	_, _, err = s.ListParts(ctx, b, key, id, 0, 0)
	wantErr(t, "ListParts of a completed upload", err, objstore.ErrNoSuchUpload)
	return whole
}

// testMultipartComplete: parts assembled in order with the multipart
// ETag and the upload's metadata, replacing an object, and with parts
// left out.
func testMultipartComplete(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "mp-complete")
	t.Run("two parts", func(t *testing.T) {
		put(t, s, b, "k", []byte("replaced"), objstore.Metadata{ContentType: "old"})
		completeUpload(t, s, b, "k", []int{objstore.MinPartSize, 1000}, fullMeta())
		ups, err := s.ListUploads(ctx, b, "")
		if err != nil || len(ups) != 0 {
			t.Fatalf("ListUploads after completing = %+v, %v", ups, err)
		}
	})
	t.Run("one small part", func(t *testing.T) {
		completeUpload(t, s, b, "one", []int{10}, objstore.Metadata{})
	})
	t.Run("one empty part", func(t *testing.T) {
		completeUpload(t, s, b, "empty", []int{0}, objstore.Metadata{})
	})
	t.Run("parts left out", func(t *testing.T) {
		id := createUpload(t, s, b, "gaps", objstore.Metadata{})
		p1 := Body("p1", objstore.MinPartSize)
		p2, p3 := Body("p2", 100), Body("p3", 200)
		e1 := uploadPart(t, s, b, "gaps", id, 1, p1).ETag
		uploadPart(t, s, b, "gaps", id, 2, p2)
		e3 := uploadPart(t, s, b, "gaps", id, 3, p3).ETag
		info, err := s.CompleteMultipartUpload(ctx, b, "gaps", id, []objstore.CompletedPart{{PartNumber: 1, ETag: e1}, {PartNumber: 3, ETag: e3}})
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != multipartETag(p1, p3) || info.Parts != 2 {
			t.Fatalf("info = %+v, want ETag %s", info, multipartETag(p1, p3))
		}
		wantBody(t, s, b, "gaps", append(append([]byte{}, p1...), p3...))
	})
}

// testMultipartCompleteErrors: order, missing parts, wrong ETags, small
// parts, an empty list; a failed completion stores nothing and leaves the
// upload to be completed.
func testMultipartCompleteErrors(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "mp-errors")
	id := createUpload(t, s, b, "k", objstore.Metadata{})
	big, small := Body("big", objstore.MinPartSize), Body("small", 1000)
	e1 := uploadPart(t, s, b, "k", id, 1, big).ETag
	e2 := uploadPart(t, s, b, "k", id, 2, small).ETag
	e3 := uploadPart(t, s, b, "k", id, 3, small).ETag
	tests := []struct {
		name  string
		parts []objstore.CompletedPart
		want  error
	}{
		{"descending", []objstore.CompletedPart{{PartNumber: 2, ETag: e2}, {PartNumber: 1, ETag: e1}}, objstore.ErrInvalidPartOrder},
		{"repeated", []objstore.CompletedPart{{PartNumber: 1, ETag: e1}, {PartNumber: 1, ETag: e1}}, objstore.ErrInvalidPartOrder},
		{"missing part", []objstore.CompletedPart{{PartNumber: 1, ETag: e1}, {PartNumber: 4, ETag: e2}}, objstore.ErrInvalidPart},
		{"part 0", []objstore.CompletedPart{{PartNumber: 0, ETag: e1}}, objstore.ErrInvalidPart},
		{"wrong ETag", []objstore.CompletedPart{{PartNumber: 1, ETag: e1}, {PartNumber: 2, ETag: e1}}, objstore.ErrInvalidPart},
		{"empty ETag", []objstore.CompletedPart{{PartNumber: 1, ETag: ""}}, objstore.ErrInvalidPart},
		{"small part before the last", []objstore.CompletedPart{{PartNumber: 1, ETag: e1}, {PartNumber: 2, ETag: e2}, {PartNumber: 3, ETag: e3}}, objstore.ErrEntityTooSmall},
		{"no parts", nil, objstore.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CompleteMultipartUpload(ctx, b, "k", id, tt.parts)
			wantErr(t, "CompleteMultipartUpload", err, tt.want)
			wantMissing(t, s, b, "k")
		})
	}
	t.Run("then completes", func(t *testing.T) {
		info, err := s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.CompletedPart{{PartNumber: 1, ETag: `"` + e1 + `"`}, {PartNumber: 3, ETag: e3}})
		if err != nil {
			t.Fatalf("completing after failed attempts: %v", err)
		}
		if info.ETag != multipartETag(big, small) {
			t.Fatalf("ETag %s, want %s", info.ETag, multipartETag(big, small))
		}
		wantBody(t, s, b, "k", append(append([]byte{}, big...), small...))
	})
}

// testMultipartReplacePart: uploading a part number again replaces it.
func testMultipartReplacePart(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "mp-replace")
	id := createUpload(t, s, b, "k", objstore.Metadata{})
	first, second := Body("first", 1000), Body("second", 2000)
	e1 := uploadPart(t, s, b, "k", id, 1, first).ETag
	e2 := uploadPart(t, s, b, "k", id, 1, second).ETag
	parts, _, err := s.ListParts(ctx, b, "k", id, 0, 0)
	if err != nil || len(parts) != 1 || parts[0].ETag != e2 || parts[0].Size != 2000 {
		t.Fatalf("ListParts = %+v, %v; want the second upload of part 1 only", parts, err)
	}
	_, err = s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.CompletedPart{{PartNumber: 1, ETag: e1}})
	wantErr(t, "completing with the replaced part's ETag", err, objstore.ErrInvalidPart)
	if _, err := s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.CompletedPart{{PartNumber: 1, ETag: e2}}); err != nil {
		t.Fatal(err)
	}
	wantBody(t, s, b, "k", second)
}

// testMultipartAbort: an aborted upload is gone, with its parts.
func testMultipartAbort(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "mp-abort")
	id := createUpload(t, s, b, "k", objstore.Metadata{})
	e := uploadPart(t, s, b, "k", id, 1, []byte("part")).ETag
	if err := s.AbortMultipartUpload(ctx, b, "k", id); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.ListParts(ctx, b, "k", id, 0, 0)
	wantErr(t, "ListParts after abort", err, objstore.ErrNoSuchUpload)
	_, err = s.UploadPart(ctx, b, "k", id, 2, bytes.NewReader([]byte("x")), objstore.PutOptions{Size: 1})
	wantErr(t, "UploadPart after abort", err, objstore.ErrNoSuchUpload)
	_, err = s.CompleteMultipartUpload(ctx, b, "k", id, []objstore.CompletedPart{{PartNumber: 1, ETag: e}})
	wantErr(t, "CompleteMultipartUpload after abort", err, objstore.ErrNoSuchUpload)
	wantErr(t, "AbortMultipartUpload again", s.AbortMultipartUpload(ctx, b, "k", id), objstore.ErrNoSuchUpload)
	if ups, err := s.ListUploads(ctx, b, ""); err != nil || len(ups) != 0 {
		t.Fatalf("ListUploads after abort = %+v, %v", ups, err)
	}
	wantMissing(t, s, b, "k")
	if err := s.DeleteBucket(ctx, b); err != nil {
		t.Fatalf("DeleteBucket after abort: %v", err)
	}
}

// testListParts: part-number order, paging with a marker and maxParts.
func testListParts(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "mp-parts")
	id := createUpload(t, s, b, "k", objstore.Metadata{})
	nums := []int{7, 1, 10000, 3, 2, 5}
	for _, n := range nums {
		uploadPart(t, s, b, "k", id, n, Body(fmt.Sprint(n), n%97))
	}
	tests := []struct {
		marker, max int
		want        string
		truncated   bool
	}{
		{0, 0, "1,2,3,5,7,10000", false},
		{0, 2, "1,2", true},
		{2, 2, "3,5", true},
		{5, 2, "7,10000", false},
		{4, 1, "5", true},
		{0, 6, "1,2,3,5,7,10000", false},
		{10000, 0, "", false},
		{6, 1000, "7,10000", false},
	}
	for _, tt := range tests {
		parts, truncated, err := s.ListParts(ctx, b, "k", id, tt.marker, tt.max)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for i, p := range parts {
			if i > 0 {
				got += ","
			}
			got += fmt.Sprint(p.PartNumber)
			body := Body(fmt.Sprint(p.PartNumber), p.PartNumber%97)
			if p.ETag != MD5(body) || p.Size != int64(len(body)) || p.LastModified.IsZero() {
				t.Errorf("part %+v, want ETag %s size %d", p, MD5(body), len(body))
			}
		}
		if got != tt.want || truncated != tt.truncated {
			t.Errorf("ListParts(marker %d, max %d) = %s, truncated %v; want %s, %v", tt.marker, tt.max, got, truncated, tt.want, tt.truncated)
		}
	}
	for _, bad := range [][2]int{{-1, 0}, {0, -1}} {
		_, _, err := s.ListParts(ctx, b, "k", id, bad[0], bad[1])
		wantErr(t, fmt.Sprintf("ListParts(%d, %d)", bad[0], bad[1]), err, objstore.ErrInvalidArgument)
	}
}

// testListUploads: uploads by key then initiation, with their metadata;
// ids distinct and safe in a URL.
func testListUploads(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "mp-list")
	keys := []string{"b", "a", "a", "c/x", "a/b"}
	ids := map[string]string{} // id → key
	var order []string         // ids of "a" in creation order
	for i, k := range keys {
		id := createUpload(t, s, b, k, objstore.Metadata{User: map[string]string{"i": fmt.Sprint(i)}})
		if len(id) < 16 || url.PathEscape(id) != id || url.QueryEscape(id) != id {
			t.Fatalf("upload id %q is short or not URL-safe", id)
		}
		if _, dup := ids[id]; dup {
			t.Fatalf("upload id %q given twice", id)
		}
		ids[id] = k
		if k == "a" {
			order = append(order, id)
		}
	}
	ups, err := s.ListUploads(ctx, b, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range ups {
		got = append(got, u.Key)
		if ids[u.UploadID] != u.Key || u.Bucket != b || u.Initiated.IsZero() || u.Metadata.User["i"] == "" {
			t.Errorf("upload %+v", u)
		}
	}
	if fmt.Sprint(got) != "[a a a/b b c/x]" {
		t.Fatalf("ListUploads keys = %v, want [a a a/b b c/x]", got)
	}
	if ups[0].Initiated.After(ups[1].Initiated) || ups[0].Initiated.Before(ups[1].Initiated) && ups[0].UploadID != order[0] {
		t.Errorf("uploads of one key are not in initiation order: %+v", ups[:2])
	}
	ups, err = s.ListUploads(ctx, b, "a")
	if err != nil || len(ups) != 3 {
		t.Fatalf("ListUploads(prefix a) = %+v, %v; want 3", ups, err)
	}
	ups, err = s.ListUploads(ctx, b, "c/")
	if err != nil || len(ups) != 1 || ups[0].Key != "c/x" {
		t.Fatalf("ListUploads(prefix c/) = %+v, %v", ups, err)
	}
}

// testMultipartWrongUpload: an upload id that is unknown, malformed or of
// another key is ErrNoSuchUpload; a part number outside 1 to 10000 is
// ErrInvalidArgument.
func testMultipartWrongUpload(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "mp-wrong")
	id := createUpload(t, s, b, "k", objstore.Metadata{})
	e := uploadPart(t, s, b, "k", id, 1, []byte("x")).ETag
	tests := []struct{ key, id string }{
		{"other", id},
		{"k", ""},
		{"k", "no-such-upload"},
		{"k", "../../../etc"},
		{"k", id[:len(id)-1]},
		{"k", id + "x"},
	}
	for _, tt := range tests {
		_, err := s.UploadPart(ctx, b, tt.key, tt.id, 1, bytes.NewReader([]byte("y")), objstore.PutOptions{Size: 1})
		wantErr(t, fmt.Sprintf("UploadPart(%q, %q)", tt.key, tt.id), err, objstore.ErrNoSuchUpload)
		_, _, err = s.ListParts(ctx, b, tt.key, tt.id, 0, 0)
		wantErr(t, fmt.Sprintf("ListParts(%q, %q)", tt.key, tt.id), err, objstore.ErrNoSuchUpload)
		_, err = s.CompleteMultipartUpload(ctx, b, tt.key, tt.id, []objstore.CompletedPart{{PartNumber: 1, ETag: e}})
		wantErr(t, fmt.Sprintf("CompleteMultipartUpload(%q, %q)", tt.key, tt.id), err, objstore.ErrNoSuchUpload)
		wantErr(t, fmt.Sprintf("AbortMultipartUpload(%q, %q)", tt.key, tt.id), s.AbortMultipartUpload(ctx, b, tt.key, tt.id), objstore.ErrNoSuchUpload)
	}
	for _, n := range []int{0, -1, 10001} {
		_, err := s.UploadPart(ctx, b, "k", id, n, bytes.NewReader([]byte("y")), objstore.PutOptions{Size: 1})
		wantErr(t, fmt.Sprintf("UploadPart(part %d)", n), err, objstore.ErrInvalidArgument)
	}
	// The upload is untouched by all of that.
	parts, _, err := s.ListParts(ctx, b, "k", id, 0, 0)
	if err != nil || len(parts) != 1 || parts[0].ETag != e {
		t.Fatalf("ListParts = %+v, %v", parts, err)
	}
}
