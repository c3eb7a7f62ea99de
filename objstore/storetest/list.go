package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/presign-dev/presign/objstore"
)

var listTests = []test{
	{"List/Cases", testListCases},
	{"List/Pagination", testListPagination},
	{"List/InvalidArguments", testListInvalid},
}

// testListCases: prefix, delimiter, start-after and MaxKeys on a small
// set of keys, against answers written out by hand.
func testListCases(t *testing.T, s objstore.Store) {
	b := bucket(t, s, "list")
	keys := []string{"a", "a/b", "a/b/c", "a/c", "a//d", "b", "b/", "c/x/y", "d", "z", "é"}
	for _, k := range keys {
		put(t, s, b, k, []byte(k), objstore.Metadata{StorageClass: "STANDARD_IA"})
	}
	tests := []struct {
		name      string
		opts      objstore.ListOptions
		objects   string // comma-separated keys
		prefixes  string // comma-separated common prefixes
		truncated bool
	}{
		{"all, byte order", objstore.ListOptions{}, "a,a//d,a/b,a/b/c,a/c,b,b/,c/x/y,d,z,é", "", false},
		{"prefix", objstore.ListOptions{Prefix: "a/"}, "a//d,a/b,a/b/c,a/c", "", false},
		{"prefix that is a key", objstore.ListOptions{Prefix: "a/b"}, "a/b,a/b/c", "", false},
		{"unicode prefix", objstore.ListOptions{Prefix: "é"}, "é", "", false},
		{"no match", objstore.ListOptions{Prefix: "nope"}, "", "", false},
		{"delimiter", objstore.ListOptions{Delimiter: "/"}, "a,b,d,z,é", "a/,b/,c/", false},
		{"prefix and delimiter", objstore.ListOptions{Prefix: "a/", Delimiter: "/"}, "a/b,a/c", "a//,a/b/", false},
		{"prefix that is a key, delimiter", objstore.ListOptions{Prefix: "a/b", Delimiter: "/"}, "a/b", "a/b/", false},
		{"other delimiter", objstore.ListOptions{Delimiter: "b"}, "a,a//d,a/c,c/x/y,d,z,é", "a/b,b", false},
		{"two-byte delimiter", objstore.ListOptions{Delimiter: "//"}, "a,a/b,a/b/c,a/c,b,b/,c/x/y,d,z,é", "a//", false},
		{"start-after", objstore.ListOptions{StartAfter: "b"}, "b/,c/x/y,d,z,é", "", false},
		{"start-after a missing key", objstore.ListOptions{StartAfter: "c"}, "c/x/y,d,z,é", "", false},
		{"start-after the last key", objstore.ListOptions{StartAfter: "é"}, "", "", false},
		{"start-after inside a prefix", objstore.ListOptions{Prefix: "a/", Delimiter: "/", StartAfter: "a/b"}, "a/c", "a/b/", false},
		{"start-after a common prefix skips it", objstore.ListOptions{Delimiter: "/", StartAfter: "a/"}, "b,d,z,é", "b/,c/", false},
		{"max keys", objstore.ListOptions{MaxKeys: 2}, "a,a//d", "", true},
		{"max keys exactly all", objstore.ListOptions{MaxKeys: 11}, "a,a//d,a/b,a/b/c,a/c,b,b/,c/x/y,d,z,é", "", false},
		{"common prefixes count toward max keys", objstore.ListOptions{Delimiter: "/", MaxKeys: 2}, "a", "a/", true},
		{"max keys ends on a common prefix", objstore.ListOptions{Delimiter: "/", MaxKeys: 4}, "a,b", "a/,b/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.ListObjects(t.Context(), b, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var objs []string
			for _, o := range res.Objects {
				objs = append(objs, o.Key)
				if o.Bucket != b || o.Size != int64(len(o.Key)) || o.ETag != MD5([]byte(o.Key)) || o.LastModified.IsZero() || o.StorageClass != "STANDARD_IA" {
					t.Errorf("listed %+v, want size, ETag, LastModified and storage class set", o)
				}
			}
			if got := strings.Join(objs, ","); got != tt.objects {
				t.Errorf("objects = %s\nwant      %s", got, tt.objects)
			}
			if got := strings.Join(res.CommonPrefixes, ","); got != tt.prefixes {
				t.Errorf("common prefixes = %s, want %s", got, tt.prefixes)
			}
			if res.IsTruncated != tt.truncated || (res.IsTruncated != (res.NextContinuationToken != "")) {
				t.Errorf("IsTruncated = %v, token %q; want truncated %v with a token exactly when truncated", res.IsTruncated, res.NextContinuationToken, tt.truncated)
			}
		})
	}
}

// refList is the reference listing: every object and common prefix of
// sorted keys that a listing with these options shows, over all pages.
func refList(keys []string, prefix, delim, startAfter string) (objs, prefixes []string) {
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= startAfter {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if cp != startAfter && (len(prefixes) == 0 || prefixes[len(prefixes)-1] != cp) {
					prefixes = append(prefixes, cp)
				}
				continue
			}
		}
		objs = append(objs, k)
	}
	return objs, prefixes
}

// testListPagination: listings of 2500 keys paged with continuation
// tokens, against the reference listing, with common prefixes counting
// toward MaxKeys.
func testListPagination(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	b := bucket(t, s, "pages")
	var keys []string
	for d := range 50 {
		for k := range 40 {
			keys = append(keys, fmt.Sprintf("d%02d/k%02d", d, k))
		}
	}
	for i := range 500 {
		keys = append(keys, fmt.Sprintf("top%03d", i))
	}
	slices.Sort(keys)
	// Concurrent writers, so that a store that syncs every write is not slow.
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	work := make(chan string)
	for range 16 {
		wg.Go(func() {
			for k := range work {
				if _, err := s.PutObject(ctx, b, k, bytes.NewReader([]byte(k)), objstore.Metadata{}, objstore.PutOptions{Size: int64(len(k))}); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	type opts struct {
		prefix, delim, startAfter string
		max                       int
	}
	cases := []opts{
		{"", "", "", 0},
		{"", "/", "", 7},
		{"d1", "/", "", 3},
		{"d07/", "", "d07/k20", 13},
		{"", "/", "d10/", 1},
		{"", "1", "", 50},
		{"top", "", "top250", 1000},
		{"zzz", "/", "", 5},
	}
	r := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"", "d", "d0", "d3", "d49/", "t", "top1"}
	delims := []string{"", "/", "0", "k"}
	for range 20 {
		cases = append(cases, opts{
			prefix:     prefixes[r.IntN(len(prefixes))],
			delim:      delims[r.IntN(len(delims))],
			startAfter: []string{"", keys[r.IntN(len(keys))], "d2"}[r.IntN(3)],
			max:        []int{1, 2, 9, 100, 1000}[r.IntN(5)],
		})
	}
	for _, c := range cases {
		name := fmt.Sprintf("prefix=%q,delim=%q,start-after=%q,max=%d", c.prefix, c.delim, c.startAfter, c.max)
		t.Run(name, func(t *testing.T) {
			wantObjs, wantPrefixes := refList(keys, c.prefix, c.delim, c.startAfter)
			limit := c.max
			if limit == 0 {
				limit = 1000
			}
			var objs, cps []string
			o := objstore.ListOptions{Prefix: c.prefix, Delimiter: c.delim, StartAfter: c.startAfter, MaxKeys: c.max}
			for page := 0; ; page++ {
				if page > len(keys)+1 {
					t.Fatal("listing does not end")
				}
				res, err := s.ListObjects(ctx, b, o)
				if err != nil {
					t.Fatal(err)
				}
				n := len(res.Objects) + len(res.CommonPrefixes)
				if n > limit {
					t.Fatalf("page %d has %d keys and common prefixes, more than MaxKeys %d", page, n, limit)
				}
				if res.IsTruncated && (n == 0 || res.NextContinuationToken == "") {
					t.Fatalf("page %d is truncated with %d entries and token %q", page, n, res.NextContinuationToken)
				}
				for _, obj := range res.Objects {
					objs = append(objs, obj.Key)
					if obj.Size != int64(len(obj.Key)) || obj.ETag != MD5([]byte(obj.Key)) {
						t.Fatalf("listed %+v", obj)
					}
				}
				cps = append(cps, res.CommonPrefixes...)
				if !res.IsTruncated {
					break
				}
				o.ContinuationToken = res.NextContinuationToken
			}
			if !slices.Equal(objs, wantObjs) {
				t.Errorf("paged objects: %d, want %d\ngot  %.10q…\nwant %.10q…", len(objs), len(wantObjs), objs, wantObjs)
			}
			if !slices.Equal(cps, wantPrefixes) {
				t.Errorf("paged common prefixes: %q\nwant %q", cps, wantPrefixes)
			}
		})
	}
	t.Run("default MaxKeys is 1000", func(t *testing.T) {
		res, err := s.ListObjects(ctx, b, objstore.ListOptions{})
		if err != nil || len(res.Objects) != 1000 || !res.IsTruncated {
			t.Fatalf("ListObjects() = %d objects, truncated %v, %v; want 1000, true", len(res.Objects), res.IsTruncated, err)
		}
	})
}

// testListInvalid: a negative MaxKeys and a token the store did not make
// are ErrInvalidArgument.
func testListInvalid(t *testing.T, s objstore.Store) {
	b := bucket(t, s, "list-invalid")
	put(t, s, b, "k", nil, objstore.Metadata{})
	for _, o := range []objstore.ListOptions{{MaxKeys: -1}, {ContinuationToken: "%%% not a token %%%"}} {
		_, err := s.ListObjects(t.Context(), b, o)
		wantErr(t, fmt.Sprintf("ListObjects(%+v)", o), err, objstore.ErrInvalidArgument)
	}
}
