package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/sigv4"
)

// The benchmarks move objects through presigned URLs (this module's
// presigner, default profile, a URL signed per request) to the server on
// 127.0.0.1, in this process, over a disk.Store in a temporary directory;
// and, for comparison in the same run, copy and read files of the same
// sizes in a temporary directory on the same disk. Figures and commands
// are in BENCHMARKS.md.

var benchSizes = []struct {
	name string
	size int
}{
	{"1MiB", 1 << 20},
	{"64MiB", 64 << 20},
}

// benchServer starts a quiet server with a bucket, and returns it with its
// presigner and an HTTP client.
func benchServer(b *testing.B) (*testServer, *presign.Client, *http.Client) {
	ts := startServer(b, true)
	if err := ts.store.CreateBucket(context.Background(), "bench"); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	b.Cleanup(client.CloseIdleConnections)
	return ts, ts.presigner(b, goodCreds, presign.ProfileDefault), client
}

// do sends a presigned request and drains the response; the status must
// be 200.
func do(b *testing.B, client *http.Client, r presign.Result, body io.Reader, size int64) {
	req, err := http.NewRequest(r.Method, r.URL, body)
	if err != nil {
		b.Fatal(err)
	}
	req.Header = r.HTTPHeader()
	if body != nil {
		req.ContentLength = size
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("%s: %s, %v", r.Method, resp.Status, err)
	}
	if r.Method == http.MethodGet && n != size {
		b.Fatalf("GET: %d bytes, want %d", n, size)
	}
}

// BenchmarkPresignedPut uploads an object (replacing it) through a
// presigned PUT URL: presign, send, the server verifies the signature,
// writes, hashes (MD5 for the ETag, CRC64NVME), fsyncs and renames.
func BenchmarkPresignedPut(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			_, c, client := benchServer(b)
			data := testData(s.size, 1)
			in := &presign.Input{Bucket: "bench", Key: "object"}
			body := bytes.NewReader(data)
			b.SetBytes(int64(s.size))
			for b.Loop() {
				r, err := c.Presign(context.Background(), presign.PutObject, in, presign.Options{Expires: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				body.Reset(data)
				do(b, client, r, body, int64(s.size))
			}
		})
	}
}

// BenchmarkPresignedGet downloads an object through a presigned GET URL.
func BenchmarkPresignedGet(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			ts, c, client := benchServer(b)
			data := testData(s.size, 2)
			if _, err := ts.store.PutObject(context.Background(), "bench", "object", bytes.NewReader(data), objstore.Metadata{}, objstore.PutOptions{Size: int64(s.size)}); err != nil {
				b.Fatal(err)
			}
			in := &presign.Input{Bucket: "bench", Key: "object"}
			b.SetBytes(int64(s.size))
			for b.Loop() {
				r, err := c.Presign(context.Background(), presign.GetObject, in, presign.Options{Expires: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				do(b, client, r, nil, int64(s.size))
			}
		})
	}
}

// BenchmarkFileCopy copies a file as the store writes an object, on the
// same disk: read it, write a new file, fsync it, rename it over the
// destination. The comparison for BenchmarkPresignedPut.
func BenchmarkFileCopy(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			dir := b.TempDir()
			src := filepath.Join(dir, "src")
			if err := os.WriteFile(src, testData(s.size, 3), 0o600); err != nil {
				b.Fatal(err)
			}
			dst, tmp := filepath.Join(dir, "dst"), filepath.Join(dir, "dst.tmp")
			b.SetBytes(int64(s.size))
			for b.Loop() {
				in, err := os.Open(src)
				if err != nil {
					b.Fatal(err)
				}
				out, err := os.Create(tmp)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(out, in); err != nil {
					b.Fatal(err)
				}
				in.Close()
				if err := out.Sync(); err != nil {
					b.Fatal(err)
				}
				if err := out.Close(); err != nil {
					b.Fatal(err)
				}
				if err := os.Rename(tmp, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFileRead reads a file of the same sizes from the page cache, as
// a GET does: the comparison for BenchmarkPresignedGet.
func BenchmarkFileRead(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			src := filepath.Join(b.TempDir(), "src")
			if err := os.WriteFile(src, testData(s.size, 4), 0o600); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(s.size))
			for b.Loop() {
				f, err := os.Open(src)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, f); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkPresignedGetGrant: a presigned GET of a 4 KiB object, with no
// grant id, with the grant id every URL of presign serve carries (checked
// against the prefix revocations and the grant records), and under a
// grant limited to a million uses, each of which is written to disk.
func BenchmarkPresignedGetGrant(b *testing.B) {
	for _, mode := range []string{"none", "grant", "limited"} {
		b.Run(mode, func(b *testing.B) {
			ts, c, client := benchServer(b)
			ctx := context.Background()
			data := testData(4096, 4)
			if _, err := ts.store.PutObject(ctx, "bench", "object", bytes.NewReader(data), objstore.Metadata{}, objstore.PutOptions{Size: 4096}); err != nil {
				b.Fatal(err)
			}
			// A few prefix revocations elsewhere, as a service that
			// revokes now and then keeps.
			for i := range 8 {
				ts.store.RevokeGrants(ctx, "bench", fmt.Sprintf("other/%d/", i), time.Now())
			}
			var o presign.Options
			if mode != "none" {
				id := grant.New([]byte("bench secret"), "bench", time.Now().Add(time.Hour))
				if mode == "limited" {
					ts.store.LimitGrant(ctx, id, 1_000_000, time.Now().Add(time.Hour))
				}
				o.Query = []sigv4.Param{{Name: grant.Param, Value: id}}
			}
			in := &presign.Input{Bucket: "bench", Key: "object"}
			b.SetBytes(4096)
			for b.Loop() {
				o.Expires = time.Hour
				r, err := c.Presign(ctx, presign.GetObject, in, o)
				if err != nil {
					b.Fatal(err)
				}
				do(b, client, r, nil, 4096)
			}
		})
	}
}
