package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

var concurrencyTests = []test{
	{"Concurrency/WritersToOneKey", testConcurrentWriters},
	{"Concurrency/UploadsToOneKey", testConcurrentCompletions},
}

// testConcurrentWriters: "Concurrent writers to one key MUST leave exactly
// one of their objects, whole", and a reader meanwhile sees one whole
// version or none, never a mixture.
func testConcurrentWriters(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "writers")
	const writers, rounds = 8, 3
	bodies := map[string][]byte{} // ETag → body
	var all [][]byte
	for w := range writers {
		for r := range rounds {
			// Different lengths too, so that a mixture cannot hide.
			body := Body(fmt.Sprint(w, r), 256<<10+w*4096+r)
			bodies[MD5(body)] = body
			all = append(all, body)
		}
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				body := all[w*rounds+r]
				meta := objstore.Metadata{User: map[string]string{"etag": MD5(body)}}
				if _, err := s.PutObject(ctx, b, "k", bytes.NewReader(body), meta, objstore.PutOptions{Size: int64(len(body))}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var readers sync.WaitGroup
	reads := 0
	readers.Go(func() {
		for !done.Load() {
			rc, info, err := s.GetObject(ctx, b, "k", nil)
			if errors.Is(err, objstore.ErrNoSuchKey) {
				continue
			}
			if err != nil {
				errs <- err
				return
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				errs <- err
				return
			}
			reads++
			if want, ok := bodies[info.ETag]; !ok || !bytes.Equal(data, want) || info.User["etag"] != info.ETag || info.Size != int64(len(data)) {
				errs <- fmt.Errorf("a reader got %d bytes (MD5 %s) with info %+v: not one whole version", len(data), MD5(data), info)
				return
			}
		}
	})
	wg.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	head := wantOneOf(t, s, b, "k", bodies)
	if head.User["etag"] != head.ETag {
		t.Fatalf("after concurrent writers, HeadObject = %+v: its metadata is not its own writer's", head)
	}
	res, err := s.ListObjects(ctx, b, objstore.ListOptions{})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].ETag != head.ETag || res.Objects[0].Size != head.Size {
		t.Fatalf("listing after concurrent writers = %+v, %v; want the one version HeadObject shows", res.Objects, err)
	}
	t.Logf("%d whole reads during the writes", reads)
}

// testConcurrentCompletions: multipart completions and plain writes racing
// for one key leave one whole object.
func testConcurrentCompletions(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "completions")
	const uploads = 4
	bodies := map[string][]byte{}
	type upload struct {
		id    string
		parts []objstore.CompletedPart
	}
	var ups []upload
	for u := range uploads {
		id := createUpload(t, s, b, "k", objstore.Metadata{})
		var ps [][]byte
		var done []objstore.CompletedPart
		for i, n := range []int{objstore.MinPartSize, 1000 + u} {
			body := Body(fmt.Sprint("up", u, i), n)
			p := uploadPart(t, s, b, "k", id, i+1, body)
			ps = append(ps, body)
			done = append(done, objstore.CompletedPart{PartNumber: i + 1, ETag: p.ETag})
		}
		bodies[multipartETag(ps...)] = bytes.Join(ps, nil)
		ups = append(ups, upload{id, done})
	}
	plain := Body("plain", 3<<20)
	bodies[MD5(plain)] = plain
	var wg sync.WaitGroup
	errs := make(chan error, uploads+1)
	for _, u := range ups {
		wg.Go(func() {
			if _, err := s.CompleteMultipartUpload(ctx, b, "k", u.id, u.parts); err != nil {
				errs <- err
			}
		})
	}
	wg.Go(func() {
		if _, err := s.PutObject(ctx, b, "k", bytes.NewReader(plain), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantOneOf(t, s, b, "k", bodies)
	if ups, err := s.ListUploads(ctx, b, ""); err != nil || len(ups) != 0 {
		t.Fatalf("ListUploads after completing all = %+v, %v", ups, err)
	}
}

// wantOneOf checks that key holds one of bodies (found by its ETag), whole,
// and returns its info.
func wantOneOf(t *testing.T, s objstore.Store, b, key string, bodies map[string][]byte) objstore.ObjectInfo {
	t.Helper()
	head, err := s.HeadObject(t.Context(), b, key)
	if err != nil {
		t.Fatalf("HeadObject(%q): %v", key, err)
	}
	want, ok := bodies[head.ETag]
	if !ok {
		t.Fatalf("HeadObject(%q) = %+v: not one of the writers' objects", key, head)
	}
	wantBody(t, s, b, key, want)
	return head
}
