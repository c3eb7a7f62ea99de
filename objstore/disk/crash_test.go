package disk

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/storetest"
)

// The crash test re-executes the test binary as a child that runs
// TestCrashChild against a data directory and kills it with SIGKILL at a
// random moment, then checks the directory.
const (
	crashDirEnv  = "PRESIGN_FS_CRASH_DIR"
	crashSeedEnv = "PRESIGN_FS_CRASH_SEED"
	// crashAtEnv is "POINT N": the child kills itself at the Nth time a
	// write reaches testHook(POINT).
	crashAtEnv  = "PRESIGN_FS_CRASH_AT"
	crashBucket = "crash"
	crashOps    = 100
	crashKeys   = 40
)

// TestCrash: "a child process killed with SIGKILL at random points during
// 100 uploads leaves no partial or corrupt object". Every object the store
// shows afterwards must be one a child wrote, whole, with a header and
// ETag that agree with its bytes; no temporary file may survive Open.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const rounds = 10
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	totalDone, totalTemps, finished := 0, 0, 0
	for round := range rounds {
		// Kill the child a random 0-40 ms after it reports a random number
		// of operations done, so that kills land throughout its run
		// however fast the machine is.
		after, delay := r.IntN(crashOps), time.Duration(r.IntN(40_000))*time.Microsecond
		start := time.Now()
		done, ok, how := runCrashChild(t, dir, seed+uint64(round), after, delay)
		if ok {
			finished++
		}
		ran := time.Since(start)
		temps := len(entries(t, filepath.Join(dir, tmpName)))
		totalDone += done
		totalTemps += temps
		start = time.Now()
		objects, uploads, _ := checkCrashDir(t, dir)
		t.Logf("round %d: killed %s: %d of %d operations done, %d temporary files left (child ran %v); after Open %d objects, %d uploads, all whole (checked in %v)",
			round, how, done, crashOps, temps, ran.Round(time.Millisecond), objects, uploads, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("%d rounds: %d operations completed, %d children finished before the kill, %d temporary files removed by Open",
		rounds, totalDone, finished, totalTemps)
}

// runCrashChild runs TestCrashChild on dir and kills it delay after it
// reports after operations done. It returns how many operations the child
// reported done, whether it finished them all before the kill, and when
// the kill came.
func runCrashChild(t *testing.T, dir string, seed uint64, after int, delay time.Duration) (done int, finished bool, how string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(60 * time.Second)
	// kill fires delay after the chosen operation, or 3 s after the child
	// is ready, whichever is first, so that a round stays short on a slow
	// or busy disk.
	kill := make(<-chan time.Time)
	var latest <-chan time.Time
	for {
		select {
		case line, open := <-lines:
			switch {
			case !open:
				err := cmd.Wait()
				if !finished && (kill != nil || err == nil || !strings.Contains(err.Error(), "killed")) {
					t.Fatalf("child ended without finishing and without being killed: %v\n%s", err, stderr.Bytes())
				}
				return done, finished, how
			case line == "ready":
				latest = time.After(3 * time.Second)
				if after == 0 {
					kill, how = time.After(delay), fmt.Sprintf("%v after the store opened", delay)
				}
			case strings.HasPrefix(line, "done "):
				if done++; done == after {
					kill, how = time.After(delay), fmt.Sprintf("%v after operation %d", delay, after)
				}
			case line == "finished":
				finished = true
			case strings.HasPrefix(line, "error "):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child: %s\n%s", line, stderr.Bytes())
			}
		case <-kill:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !finished {
				t.Fatal(err)
			}
			kill, latest = nil, nil
		case <-latest:
			kill, how = time.After(0), fmt.Sprintf("at the 3 s limit, before operation %d", after)
			latest = nil
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("child did not end in time\n%s", stderr.Bytes())
		}
	}
}

// TestCrashChild is the child of TestCrash: it makes 100 changes to the
// store at $PRESIGN_FS_CRASH_DIR (puts of bodies from a few bytes to
// 4 MiB, multipart uploads, copies, deletes, uploads left open), printing
// "done N" after each, until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	r := rand.New(rand.NewPCG(seed, 1))
	if at := os.Getenv(crashAtEnv); at != "" {
		point, n, _ := strings.Cut(at, " ")
		left, _ := strconv.Atoi(n)
		testHook = func(p string) {
			if p == point {
				if left--; left < 0 {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
					select {}
				}
			}
		}
	}
	fail := func(err error) {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		fail(err)
	}
	if err := s.CreateBucket(ctx, crashBucket); err != nil && err != objstore.ErrBucketExists {
		fail(err)
	}
	fmt.Println("ready")
	key := func() string { return fmt.Sprintf("obj/%02d", r.IntN(crashKeys)) }
	for i := range crashOps {
		k := key()
		tag := fmt.Sprintf("%d/%d", seed, i)
		switch op := r.IntN(20); {
		case op < 3: // multipart, completed
			sizes := []int{objstore.MinPartSize, r.IntN(512 << 10)}
			if err := crashMultipart(ctx, s, k, tag, sizes, true); err != nil {
				fail(err)
			}
		case op < 4: // multipart, left open
			if err := crashMultipart(ctx, s, k, tag, []int{r.IntN(64 << 10)}, false); err != nil {
				fail(err)
			}
		case op < 5:
			if err := s.DeleteObject(ctx, crashBucket, k); err != nil {
				fail(err)
			}
		case op < 7: // the copy keeps the source's metadata, so it stays checkable
			if _, err := s.CopyObject(ctx, objstore.CopyInput{SrcBucket: crashBucket, SrcKey: key(), DstBucket: crashBucket, DstKey: k}); err != nil && err != objstore.ErrNoSuchKey {
				fail(err)
			}
		default:
			var size int
			switch c := r.IntN(20); {
			case c < 14:
				size = r.IntN(64 << 10)
			case c < 19:
				size = r.IntN(1 << 20)
			default:
				size = r.IntN(4 << 20)
			}
			meta := objstore.Metadata{ContentType: "crash/test", User: map[string]string{"seed": tag, "sizes": strconv.Itoa(size)}}
			if _, err := s.PutObject(ctx, crashBucket, k, bytes.NewReader(storetest.Body(tag, size)), meta, objstore.PutOptions{Size: int64(size)}); err != nil {
				fail(err)
			}
		}
		fmt.Printf("done %d\n", i)
	}
	fmt.Println("finished")
}

// crashMultipart uploads parts of the given sizes for key and completes
// the upload if complete is set. Part i's bytes are Body(tag/i).
func crashMultipart(ctx context.Context, s *Store, key, tag string, sizes []int, complete bool) error {
	var ss []string
	for _, n := range sizes {
		ss = append(ss, strconv.Itoa(n))
	}
	meta := objstore.Metadata{ContentType: "crash/multipart", User: map[string]string{"seed": tag, "sizes": strings.Join(ss, ",")}}
	id, err := s.CreateMultipartUpload(ctx, crashBucket, key, meta)
	if err != nil {
		return err
	}
	var parts []objstore.CompletedPart
	for i, n := range sizes {
		p, err := s.UploadPart(ctx, crashBucket, key, id, i+1, bytes.NewReader(storetest.Body(fmt.Sprintf("%s/%d", tag, i), n)), objstore.PutOptions{Size: int64(n)})
		if err != nil {
			return err
		}
		parts = append(parts, objstore.CompletedPart{PartNumber: i + 1, ETag: p.ETag})
	}
	if !complete {
		return nil
	}
	_, err = s.CompleteMultipartUpload(ctx, crashBucket, key, id, parts)
	return err
}

// checkCrashDir opens dir after a crash and checks every object and
// upload in it; it returns how many there are.
func checkCrashDir(t *testing.T, dir string) (objects, uploads, orphans int) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after a crash: %v", err)
	}
	defer s.Close()
	if left := entries(t, filepath.Join(dir, tmpName)); len(left) != 0 {
		t.Fatalf("after Open, tmp holds %q", left)
	}
	if d := entries(t, filepath.Join(dir, damagedName)); len(d) != 0 {
		t.Fatalf("Open found damaged files: %q", d)
	}
	if _, err := s.HeadBucket(ctx, crashBucket); err != nil {
		return 0, 0, 0 // killed before the bucket was made
	}
	listed := listAll(t, s, crashBucket)
	if len(listed) > crashKeys {
		t.Fatalf("%d objects listed, more than the %d keys", len(listed), crashKeys)
	}
	for _, o := range listed {
		rc, info, err := s.GetObject(ctx, crashBucket, o.Key, nil)
		if err != nil {
			t.Fatalf("listed %q, but GetObject: %v", o.Key, err)
		}
		var data bytes.Buffer
		_, err = data.ReadFrom(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != o.ETag || info.Size != o.Size || !info.LastModified.Equal(o.LastModified) {
			t.Fatalf("%q: listing says %+v, header says %+v", o.Key, o, info)
		}
		tag, sizes := info.User["seed"], strings.Split(info.User["sizes"], ",")
		var want [][]byte
		for i, n := range sizes {
			size, err := strconv.Atoi(n)
			if err != nil || tag == "" {
				t.Fatalf("%q: metadata %+v is not a child's", o.Key, info.Metadata)
			}
			seed := tag
			if info.ContentType == "crash/multipart" {
				seed = fmt.Sprintf("%s/%d", tag, i)
			}
			want = append(want, storetest.Body(seed, size))
		}
		whole := bytes.Join(want, nil)
		if !bytes.Equal(data.Bytes(), whole) {
			t.Fatalf("%q: %d bytes, not the %d bytes its metadata (%v) describes", o.Key, data.Len(), len(whole), info.User)
		}
		etag := storetest.MD5(whole)
		if info.Parts > 0 {
			h := md5.New()
			for _, p := range want {
				sum := md5.Sum(p)
				h.Write(sum[:])
			}
			etag = fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(want))
		}
		if info.ETag != etag || info.Size != int64(len(whole)) {
			t.Fatalf("%q: ETag %s size %d, want %s %d", o.Key, info.ETag, info.Size, etag, len(whole))
		}
	}
	ups, err := s.ListUploads(ctx, crashBucket, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		parts, _, err := s.ListParts(ctx, crashBucket, u.Key, u.UploadID, 0, 0)
		if err != nil {
			t.Fatalf("upload %s of %q: ListParts: %v", u.UploadID, u.Key, err)
		}
		for _, p := range parts {
			body := storetest.Body(fmt.Sprintf("%s/%d", u.Metadata.User["seed"], p.PartNumber-1), int(p.Size))
			if p.ETag != storetest.MD5(body) {
				t.Fatalf("upload of %q: part %d has ETag %s, not its bytes'", u.Key, p.PartNumber, p.ETag)
			}
		}
		// Keep the directory small: end the uploads the children left.
		if err := s.AbortMultipartUpload(ctx, crashBucket, u.Key, u.UploadID); err != nil {
			t.Fatal(err)
		}
	}
	orphans = checkIndexAfterCrash(t, s)
	// The store still works.
	if _, err := s.PutObject(ctx, crashBucket, "probe", strings.NewReader("probe"), objstore.Metadata{}, objstore.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, crashBucket, "probe"); err != nil {
		t.Fatal(err)
	}
	return len(listed), len(ups), orphans
}

// checkIndexAfterCrash: after a crash, files and index disagree only by
// files that no record names (never visible), which Check's repair
// removes; a record never names a missing or partial file.
func checkIndexAfterCrash(t *testing.T, s *Store) (orphans int) {
	t.Helper()
	ctx := context.Background()
	res, err := s.Check(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		if p.Kind != ProblemOrphan {
			t.Fatalf("after a crash, Check found %+v", p)
		}
	}
	again, err := s.Check(ctx, false)
	if err != nil || len(again.Problems) != 0 {
		t.Fatalf("after repair, Check found %+v, %v", again.Problems, err)
	}
	return len(res.Problems)
}

// losePendingFiles empties the files of the small objects whose bytes the
// index of the data directory dir still holds (see pending.go), as a power
// loss may leave files not synced yet, and returns how many it emptied.
func losePendingFiles(t *testing.T, dir string) int {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, indexFile), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		pb := tx.Bucket(pendingBucket)
		if pb == nil {
			return nil
		}
		return pb.ForEach(func(k, v []byte) error {
			bn, key, gen, _, err := decodePending(k, v)
			if err != nil {
				return err
			}
			b := &bucket{name: bn, dir: filepath.Join(dir, bucketsName, bn)}
			if err := os.Truncate(b.objectFile(key, gen), 0); err != nil {
				return err
			}
			n++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCrashInIndexUpdate kills a writer at the two points around its
// index commit: after its new file is placed and before the commit (the
// object must stay as it was, and the new file is an orphan), and after
// the commit, before the replaced file is removed (the new object is
// visible, and the old file is the orphan). After a kill at the commit,
// the files of small objects not synced yet are emptied, as a power loss
// may leave them: Open restores them from the index. TestCrash's kills at random
// moments land inside bbolt's commits as well.
func TestCrashInIndexUpdate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, tc := range []struct {
		point string
		n     int
	}{{"placed", 0}, {"placed", 5}, {"placed", 23}, {"committed", 0}, {"committed", 7}, {"committed", 31}} {
		t.Run(fmt.Sprintf("%s-%d", tc.point, tc.n), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"=7", fmt.Sprintf("%s=%s %d", crashAtEnv, tc.point, tc.n))
			out, err := cmd.Output()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die at %s %d: %v\n%s", tc.point, tc.n, err, out)
			}
			done := strings.Count(string(out), "done ")
			lost := 0
			if tc.point == "committed" {
				lost = losePendingFiles(t, dir)
			}
			objects, _, orphans := checkCrashDir(t, dir)
			if tc.point == "placed" && orphans != 1 || orphans > 1 {
				t.Fatalf("killed at %s: %d files no record names, want the one of the write cut short", tc.point, orphans)
			}
			if tc.point == "committed" && lost == 0 {
				t.Fatal("killed after a commit, no small object's file was left unsynced: the test of their restore tested nothing")
			}
			t.Logf("killed at %s #%d after %d operations: %d objects, all whole (%d unsynced files emptied, as a power loss may, and restored); %d orphan file removed by Check", tc.point, tc.n, done, objects, lost, orphans)
		})
	}
}
