//go:build unix

package disk

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/storetest"
)

// checkModes fails t for every directory under root (root included) whose
// mode is not 0700 and every file whose mode is not 0600.
func checkModes(t *testing.T, root, when string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(path)
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if st.IsDir() {
			want = 0o700
		} else if !st.Mode().IsRegular() {
			t.Errorf("%s: %s is neither a file nor a directory (%v)", when, path, st.Mode())
			return nil
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: %s has mode %04o, want %04o", when, path, st.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("%s: walked only %d entries", when, n)
	}
}

// TestModes: whatever the umask, every file the store writes is 0600 and
// every directory 0700: after a PUT and a copy, with a multipart upload in
// progress and one completed, with damaged files set aside; and Open and
// Check's repair tighten the modes of data written wider.
func TestModes(t *testing.T) {
	for _, umask := range []int{0, 0o022, 0o277} {
		t.Run(fmt.Sprintf("umask %04o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			ctx := context.Background()
			data := filepath.Join(t.TempDir(), "data")
			s, err := Open(data)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close() }()
			checkModes(t, data, "after Open")
			if err := s.CreateBucket(ctx, "bkt"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutObject(ctx, "bkt", "a/b", strings.NewReader("hello"), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: "bkt", SrcKey: "a/b", DstBucket: "bkt", DstKey: "copy"}); err != nil {
				t.Fatal(err)
			}
			checkModes(t, data, "after a PUT and a copy")

			id, err := s.CreateMultipartUpload(ctx, "bkt", "mp", objstore.Metadata{ContentType: "x/y"})
			if err != nil {
				t.Fatal(err)
			}
			p1, err := s.UploadPart(ctx, "bkt", "mp", id, 1, bytes.NewReader(storetest.Body("p1", objstore.MinPartSize)), objstore.PutOptions{Size: -1})
			if err != nil {
				t.Fatal(err)
			}
			p2, err := s.UploadPart(ctx, "bkt", "mp", id, 2, strings.NewReader("tail"), objstore.PutOptions{Size: -1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateMultipartUpload(ctx, "bkt", "open", objstore.Metadata{}); err != nil {
				t.Fatal(err)
			}
			checkModes(t, data, "with multipart uploads in progress")
			parts := []objstore.CompletedPart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag}}
			if _, err := s.CompleteMultipartUpload(ctx, "bkt", "mp", id, parts); err != nil {
				t.Fatal(err)
			}
			checkModes(t, data, "after a multipart upload completed")

			// Data written wide, by an earlier version or by hand, and
			// files Open sets aside.
			s.Close()
			syscall.Umask(0)
			err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					return os.Chmod(path, 0o755)
				}
				return os.Chmod(path, 0o644)
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(data, bucketsName, "NOT_A_BUCKET"), []byte("x"), 0o666); err != nil {
				t.Fatal(err)
			}
			syscall.Umask(umask)
			if s, err = Open(data); err != nil {
				t.Fatal(err)
			}
			if len(entries(t, filepath.Join(data, damagedName))) != 1 {
				t.Fatal("nothing was set aside")
			}
			// Open tightens every directory, which keeps everyone else
			// out of the object files without reading them; Check
			// reports the files' own modes, and its repair tightens them.
			res, err := s.Check(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Problems) == 0 || res.Problems[0].Kind != ProblemMode {
				t.Fatalf("Check found %+v, want the wide object files", res.Problems)
			}
			if _, err := s.Check(ctx, true); err != nil {
				t.Fatal(err)
			}
			checkModes(t, data, "after reopening data written wide and repairing it")
		})
	}
}
