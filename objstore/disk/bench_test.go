package disk

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/storetest"
)

// benchSizes are the object sizes of the benchmarks.
var benchSizes = []struct {
	name string
	size int
}{
	{"1MiB", 1 << 20},
	{"64MiB", 64 << 20},
}

// sourceFile writes size bytes to a file in dir and returns it open.
func sourceFile(b *testing.B, dir string, size int) *os.File {
	b.Helper()
	path := filepath.Join(dir, "source")
	if err := os.WriteFile(path, storetest.Body("bench", size), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// readerOnly and writerOnly hide ReadFrom and WriteTo, so that a copy goes
// through a user-space buffer as a network body does.
type readerOnly struct{ io.Reader }
type writerOnly struct{ io.Writer }

// BenchmarkPut stores an object read from a file on the same disk: MD5,
// temporary file, header, fsync, rename, directory fsync. Compare with
// BenchmarkFileCopy.
func BenchmarkPut(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			s.CreateBucket(ctx, "bench")
			src := sourceFile(b, b.TempDir(), bs.size)
			b.SetBytes(int64(bs.size))
			for b.Loop() {
				if _, err := src.Seek(0, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				if _, err := s.PutObject(ctx, "bench", "k", readerOnly{src}, objstore.Metadata{ContentType: "application/octet-stream"}, objstore.PutOptions{Size: int64(bs.size)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGet reads a whole object through a 256 KiB buffer. Compare with
// BenchmarkFileRead.
func BenchmarkGet(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			s.CreateBucket(ctx, "bench")
			src := sourceFile(b, b.TempDir(), bs.size)
			if _, err := s.PutObject(ctx, "bench", "k", src, objstore.Metadata{}, objstore.PutOptions{Size: int64(bs.size)}); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, bufSize)
			b.SetBytes(int64(bs.size))
			for b.Loop() {
				rc, _, err := s.GetObject(ctx, "bench", "k", nil)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.CopyBuffer(writerOnly{io.Discard}, readerOnly{rc}, buf); err != nil || n != int64(bs.size) {
					b.Fatal(n, err)
				}
				rc.Close()
			}
		})
	}
}

// BenchmarkFileCopy is the baseline of BenchmarkPut: copy a file of the
// same size on the same disk through a user-space buffer of the same size
// into a new file, fsync and close it, with none of the store's work
// (no MD5, no header, no rename, no directory fsync).
func BenchmarkFileCopy(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			dir := b.TempDir()
			src := sourceFile(b, dir, bs.size)
			buf := make([]byte, bufSize)
			dst := filepath.Join(dir, "copy")
			b.SetBytes(int64(bs.size))
			for b.Loop() {
				if _, err := src.Seek(0, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				f, err := os.Create(dst)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(writerOnly{f}, readerOnly{src}, buf); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkFileRead is the baseline of BenchmarkGet: read a file of the
// same size through the same buffer.
func BenchmarkFileRead(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			src := sourceFile(b, b.TempDir(), bs.size)
			path := src.Name()
			buf := make([]byte, bufSize)
			b.SetBytes(int64(bs.size))
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.CopyBuffer(writerOnly{io.Discard}, readerOnly{f}, buf); err != nil || n != int64(bs.size) {
					b.Fatal(n, err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkMD5 is the floor of BenchmarkPut: the ETag needs the MD5 of
// every byte, and crypto/md5 runs on one core.
func BenchmarkMD5(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			data := storetest.Body("bench", bs.size)
			b.SetBytes(int64(bs.size))
			for b.Loop() {
				md5.Sum(data)
			}
		})
	}
}

// BenchmarkGetSmall reads a 4 KiB object among 10,000: the index lookup,
// the open and the header of a small GET, which dominate it.
func BenchmarkGetSmall(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	s.CreateBucket(ctx, "bench")
	body := storetest.Body("small", 4096)
	for i := range 10000 {
		if _, err := s.PutObject(ctx, "bench", fmt.Sprintf("p%02d/k%05d", i%100, i), bytes.NewReader(body), objstore.Metadata{ContentType: "application/octet-stream"}, objstore.PutOptions{Size: 4096}); err != nil {
			b.Fatal(err)
		}
	}
	buf := make([]byte, 8192)
	i := 0
	for b.Loop() {
		rc, _, err := s.GetObject(ctx, "bench", fmt.Sprintf("p%02d/k%05d", i%100, i%10000), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rc, buf[:4096]); err != nil {
			b.Fatal(err)
		}
		rc.Close()
		i++
	}
}

// BenchmarkGetSmallParallel is BenchmarkGetSmall from 16 goroutines, as a
// server's handlers read.
func BenchmarkGetSmallParallel(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	s.CreateBucket(ctx, "bench")
	body := storetest.Body("small", 4096)
	for i := range 10000 {
		if _, err := s.PutObject(ctx, "bench", fmt.Sprintf("p%02d/k%05d", i%100, i), bytes.NewReader(body), objstore.Metadata{ContentType: "application/octet-stream"}, objstore.PutOptions{Size: 4096}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		i := 0
		for pb.Next() {
			rc, _, err := s.GetObject(ctx, "bench", fmt.Sprintf("p%02d/k%05d", i%100, i%10000), nil)
			if err != nil {
				b.Error(err)
				return
			}
			io.ReadFull(rc, buf)
			rc.Close()
			i += 7
		}
	})
}

// BenchmarkPutSmallParallel writes 4 KiB objects to new keys from 16
// goroutines, as a server's handlers write: the fsyncs and the index's
// group commit, not the bytes, are its cost.
func BenchmarkPutSmallParallel(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	s.CreateBucket(ctx, "bench")
	body := storetest.Body("small", 4096)
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			key := fmt.Sprintf("p%02d/k%07d", i%100, i)
			if _, err := s.PutObject(ctx, "bench", key, bytes.NewReader(body), objstore.Metadata{ContentType: "application/octet-stream"}, objstore.PutOptions{Size: 4096}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
