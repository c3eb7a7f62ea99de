package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/presign-dev/presign"
)

// TestTransferMemoryBounded moves a 200 MiB file up (PUT and POST form)
// and down, and checks that the process allocated far less than the file:
// the transfers stream. The store runs in the same process, so its
// allocations count too; the bound is loose on purpose, and no time is
// measured.
func TestTransferMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 600 MiB through the local disk")
	}
	testEnv(t)
	ts := newTestStore(t)
	const size = 200 << 20
	dir := t.TempDir()
	file := filepath.Join(dir, "big.bin")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	chunk := testData(1<<20, 10)
	for range size >> 20 {
		f.Write(chunk)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	const bound = 32 << 20
	measure := func(name string, run func() result) {
		t.Helper()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := run()
		runtime.ReadMemStats(&after)
		if r.code != 0 {
			t.Fatalf("%s: exit %d, stderr:\n%s", name, r.code, r.stderr)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s of %s: %s allocated in all", name, formatBytes(size), formatBytes(int64(alloc)))
		if alloc > bound {
			t.Errorf("%s of %s allocated %s, more than %s: it does not stream", name, formatBytes(size), formatBytes(int64(alloc)), formatBytes(bound))
		}
	}

	put := ts.presign(t, presign.PutObject, presign.Input{Key: "big.bin"}, presign.Options{})
	measure("PUT upload", func() result { return runTransfer(t, "upload", file, put.URL) })
	post := runCLI(t, "post", "s3://uploads/form.bin", "--endpoint", ts.url, "--path-style")
	measure("POST upload", func() result { return runCommand(t, strings.NewReader(post.stdout), "upload", file, "--form", "-") })
	get := ts.presign(t, presign.GetObject, presign.Input{Key: "form.bin"}, presign.Options{})
	out := filepath.Join(dir, "back.bin")
	measure("download", func() result { return runTransfer(t, "download", get.URL, "-o", out) })

	a, _ := os.Open(file)
	defer a.Close()
	b, _ := os.Open(out)
	defer b.Close()
	if !sameContent(t, a, b) {
		t.Error("the downloaded file differs from the uploaded one")
	}
}

func sameContent(t *testing.T, a, b io.Reader) bool {
	t.Helper()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(a, ba)
		nb, eb := io.ReadFull(b, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil || eb != nil {
			return (ea == io.EOF || ea == io.ErrUnexpectedEOF) && ea == eb
		}
	}
}
