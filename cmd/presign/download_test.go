package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
)

func TestDownload(t *testing.T) {
	ts := newTestStore(t)
	data := testData(700<<10, 7)
	info := ts.put(t, "photos/2026/cat.jpg", data)
	get := ts.presign(t, presign.GetObject, presign.Input{Key: "photos/2026/cat.jpg"}, presign.Options{})
	dir := t.TempDir()
	t.Chdir(dir)

	// The default name is the key's last segment.
	r := runTransfer(t, "download", get.URL)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "cat.jpg")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("cat.jpg: %d bytes, %v", len(got), err)
	}
	if want := "downloaded cat.jpg (700.0 KiB), ETag \"" + info.ETag + "\"\n"; r.stdout != want || r.stderr != "" {
		t.Errorf("stdout %q, want %q; stderr %q", r.stdout, want, r.stderr)
	}
	for _, leftover := range []string{"cat.jpg.part", "cat.jpg.part.etag"} {
		if _, err := os.Stat(leftover); err == nil {
			t.Errorf("%s left behind", leftover)
		}
	}

	// An existing file is kept unless --force.
	if err := os.WriteFile("cat.jpg", []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runTransfer(t, "download", get.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "cat.jpg exists (give --force to replace it, or -o another name)") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got, _ := os.ReadFile("cat.jpg"); string(got) != "mine" {
		t.Error("cat.jpg was replaced without --force")
	}
	if r := runTransfer(t, "download", get.URL, "--force"); r.code != 0 {
		t.Errorf("--force: exit %d, stderr %q", r.code, r.stderr)
	}
	if got, _ := os.ReadFile("cat.jpg"); !bytes.Equal(got, data) {
		t.Error("--force did not replace cat.jpg")
	}

	// -o FILE, and -o DIR/ for the default name in it.
	if r := runTransfer(t, "download", "-o", "other.bin", get.URL); r.code != 0 {
		t.Errorf("-o: exit %d, stderr %q", r.code, r.stderr)
	}
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if r := runTransfer(t, "download", get.URL, "--output", "sub"); r.code != 0 {
		t.Errorf("-o DIR: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, name := range []string{"other.bin", "sub/cat.jpg"} {
		if got, _ := os.ReadFile(name); !bytes.Equal(got, data) {
			t.Errorf("%s does not hold the object", name)
		}
	}

	// --sha256, hex or base64.
	sum := sha256.Sum256(data)
	if r := runTransfer(t, "download", get.URL, "-o", "sum1", "--sha256", sha256Hex(data)); r.code != 0 {
		t.Errorf("--sha256 hex: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runTransfer(t, "download", get.URL, "-o", "sum2", "--sha256", base64.StdEncoding.EncodeToString(sum[:])); r.code != 0 {
		t.Errorf("--sha256 base64: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runTransfer(t, "download", get.URL, "-o", "sum3", "--sha256", sha256Hex([]byte("other")))
	if r.code != 1 || !strings.Contains(r.stderr, "the download's SHA-256 is "+sha256Hex(data)) {
		t.Errorf("wrong --sha256: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat("sum3"); err == nil {
		t.Error("a download whose SHA-256 is wrong was moved into place")
	}
}

func TestDownloadName(t *testing.T) {
	ts := newTestStore(t)
	ts.put(t, "a/evil\u202eexe.txt", []byte("x"))
	ts.put(t, "dir/", []byte("x"))
	t.Chdir(t.TempDir())
	get := ts.presign(t, presign.GetObject, presign.Input{Key: "a/evil\u202eexe.txt"}, presign.Options{})
	if r := runTransfer(t, "download", get.URL); r.code != 0 || !strings.Contains(r.stdout, "downloaded evil_exe.txt") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	get = ts.presign(t, presign.GetObject, presign.Input{Key: "dir/"}, presign.Options{})
	if r := runTransfer(t, "download", get.URL); r.code != 2 || !strings.Contains(r.stderr, "the URL's path names no file (give the file to save it in with -o FILE)") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDownloadResume cuts the connection part way through, once, and
// checks that the download resumes with a Range from where it stopped, on
// the ETag it started with: in the same run (a retry), and in the next run
// after a run that gave up.
func TestDownloadResume(t *testing.T) {
	ts := newTestStore(t)
	data := testData(3<<20, 8)
	info := ts.put(t, "big.bin", data)
	get := ts.presign(t, presign.GetObject, presign.Input{Key: "big.bin"}, presign.Options{})
	dir := t.TempDir()
	const cut = 1<<20 + 12345

	checkResumed := func(t *testing.T, reqs []*http.Request) {
		t.Helper()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		if rng, im := reqs[0].Header.Get("Range"), reqs[0].Header.Get("If-Match"); rng != "bytes=1060921-" || im != `"`+info.ETag+`"` {
			t.Errorf("resumed with Range %q If-Match %q", rng, im)
		}
	}

	t.Run("same run", func(t *testing.T) {
		out := filepath.Join(dir, "a.bin")
		ts.setWrap(cutAfter(cut))
		defer ts.setWrap(nil)
		r := runTransfer(t, "download", get.URL, "-o", out)
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatal("the resumed download differs from the object")
		}
		if !strings.Contains(r.stderr, "presign: the connection broke") || !strings.Contains(r.stderr, "resuming (retry 1 of 5)") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		reqs := ts.requests()
		if len(reqs) != 2 || reqs[0].Header.Get("Range") != "" {
			t.Fatalf("requests: %d", len(reqs))
		}
		checkResumed(t, reqs[1:])
	})

	t.Run("next run", func(t *testing.T) {
		out := filepath.Join(dir, "b.bin")
		ts.setWrap(cutAfter(cut))
		r := runTransfer(t, "download", get.URL, "-o", out, "--retries", "0")
		ts.setWrap(nil)
		if r.code != 1 || !strings.Contains(r.stderr, "b.bin.part is kept: run the same command again to resume") {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if part, _ := os.ReadFile(out + ".part"); !bytes.Equal(part, data[:cut]) {
			t.Fatalf("b.bin.part holds %d bytes, want the %d sent", len(part), cut)
		}
		if etag, _ := os.ReadFile(out + ".part.etag"); strings.TrimSpace(string(etag)) != `"`+info.ETag+`"` {
			t.Fatalf("b.bin.part.etag holds %q", etag)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("b.bin exists after a failed download")
		}
		ts.requests()
		r = runTransfer(t, "download", get.URL, "-o", out, "--sha256", sha256Hex(data))
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatal("the resumed download differs from the object")
		}
		if want := fmt.Sprintf("presign: resuming the download at byte %d (%s of %s, kept in %s.part)\n", cut, formatBytes(int64(cut)), formatBytes(int64(len(data))), out); r.stderr != want {
			t.Errorf("the resumed run says %q, want %q", r.stderr, want)
		}
		checkResumed(t, ts.requests())
		if _, err := os.Stat(out + ".part.etag"); err == nil {
			t.Error("b.bin.part.etag left behind")
		}
	})

	t.Run("stalled", func(t *testing.T) {
		out := filepath.Join(dir, "s.bin")
		ts.setWrap(stallAfter(cut))
		defer ts.setWrap(nil)
		r := runConfigured(t, nil, func(tr *transfer) { tr.idle = 300 * time.Millisecond }, "download", get.URL, "-o", out)
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatal("the download resumed after a stall differs from the object")
		}
		if !strings.Contains(r.stderr, "presign: the connection broke: no data moved for 300ms; resuming (retry 1 of 5)") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		checkResumed(t, ts.requests()[1:])
	})

	t.Run("object changed", func(t *testing.T) {
		out := filepath.Join(dir, "c.bin")
		ts.setWrap(cutAfter(cut))
		r := runTransfer(t, "download", get.URL, "-o", out, "--retries", "0")
		ts.setWrap(nil)
		if r.code != 1 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		changed := testData(2<<20, 9)
		ts.put(t, "big.bin", changed)
		ts.requests()
		r = runTransfer(t, "download", get.URL, "-o", out)
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, changed) {
			t.Fatal("the download after a change is not the new object")
		}
		if !strings.Contains(r.stderr, "the object changed since "+out+".part was started; downloading it again from the start") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		reqs := ts.requests()
		if len(reqs) != 2 || reqs[0].Header.Get("If-Match") == "" || reqs[1].Header.Get("Range") != "" {
			t.Errorf("requests: %d", len(reqs))
		}
		ts.put(t, "big.bin", data)
	})

	t.Run("part already whole", func(t *testing.T) {
		// A run that stopped between the last byte and the rename.
		out := filepath.Join(dir, "d.bin")
		os.WriteFile(out+".part", data, 0o644)
		info, _ := ts.store.HeadObject(t.Context(), storeBucket, "big.bin")
		os.WriteFile(out+".part.etag", []byte(`"`+info.ETag+`"`+"\n"), 0o644)
		ts.requests()
		r := runTransfer(t, "download", get.URL, "-o", out)
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatal("d.bin differs from the object")
		}
		if reqs := ts.requests(); len(reqs) != 1 || reqs[0].Header.Get("Range") != "bytes=3145728-" {
			t.Errorf("requests: %d", len(reqs))
		}
	})
}

func TestDownloadRefused(t *testing.T) {
	ts := newTestStore(t)
	ts.put(t, "k.bin", []byte("data"))
	dir := t.TempDir()
	expired := ts.presign(t, presign.GetObject, presign.Input{Key: "k.bin"},
		presign.Options{SigningTime: time.Now().Add(-2 * time.Hour), Expires: time.Hour})
	fresh := ts.presign(t, presign.GetObject, presign.Input{Key: "k.bin"}, presign.Options{})
	tampered := strings.Replace(fresh.URL, "X-Amz-Expires=900", "X-Amz-Expires=901", 1)
	missing := ts.presign(t, presign.GetObject, presign.Input{Key: "nope.bin"}, presign.Options{})
	for _, tt := range []struct {
		name, url string
		want      []string
	}{
		{"expired", expired.URL, []string{"S3 said: AccessDenied: Request has expired", "[expired]", "presign: storage refused the download: 403 Forbidden AccessDenied"}},
		{"tampered", tampered, []string{"S3 said: SignatureDoesNotMatch", "presign: storage refused the download: 403 Forbidden SignatureDoesNotMatch"}},
		{"missing", missing.URL, []string{"S3 said: NoSuchKey", "presign: storage refused the download: 404 Not Found NoSuchKey"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, tt.name)
			r := runTransfer(t, "download", tt.url, "-o", out)
			t.Logf("stderr:\n%s", r.stderr)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			for _, name := range []string{out, out + ".part", out + ".part.etag"} {
				if fi, err := os.Stat(name); err == nil && fi.Size() > 0 {
					t.Errorf("%s written for a refused download", name)
				}
			}
		})
	}
}

func TestDownloadBadArguments(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"download"}, "missing the URL argument"},
		{[]string{"download", "a", "b"}, "too many arguments"},
		{[]string{"download", "s3://b/k"}, "is not an http(s) URL"},
		{[]string{"download", "http://h/k", "--sha256", "abc"}, "--sha256 \"abc\" is not a SHA-256"},
		{[]string{"download", "http://h/k", "--retries", "-1"}, "--retries"},
		{[]string{"download", "http://h/k", "-x"}, "flag provided but not defined: --x"},
	} {
		r := runTransfer(t, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args[1:], r.code, r.stderr, tt.want)
		}
	}
	if r := runTransfer(t, "download", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Usage: presign download") {
		t.Errorf("download --help: exit %d\n%s", r.code, r.stdout)
	}
}
