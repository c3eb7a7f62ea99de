package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// # Small objects: the index holds their bytes until their files are synced
//
// A write of a small object (a body of at most inlineMax bytes) does not wait for its own file's fsync, which is most of
// a small PUT's time: it places its file unsynced and commits, in the one
// transaction that makes the object visible, its record and a pending
// entry holding the file's bytes. The index commit (fsynced, and shared
// with the writes that queued meanwhile) is then what makes the object
// durable: a PUT is acknowledged only after it. A flusher fsyncs the files
// and their directories of the pending entries in the background, a
// fraction of a second later, many at a time, and then drops the entries.
//
// The invariant gains one clause: a record names a file that is whole, or
// the index holds the bytes of that file in a pending entry of the same
// generation. While the process lives the file is whole (the page cache
// has it); only a crash of the machine can lose an unsynced file, and Open
// then rewrites it from its pending entry (see restorePending) before it
// serves anything. Close flushes every pending entry, so a data directory
// closed cleanly has none.
//
// Larger objects and multipart parts keep the plain order: fsync the file,
// place it, fsync the directory, commit.

// inlineMax is the largest object body whose file's bytes (body and
// header) a write commits to the index instead of waiting for the file's
// fsync. MinIO inlines objects up to 128 KiB in their xl.meta for the same
// reason; 64 KiB keeps an index commit of 16 such writes near 1 MiB.
const inlineMax = 64 << 10

// flushDelay is how long after a small write the flusher syncs the files
// of the pending entries: it gathers the writes of that time into one
// round of fsyncs and one commit.
const flushDelay = 250 * time.Millisecond

// flushWorkers bounds the fsyncs of one flush round under way at once.
const flushWorkers = 16

// pendingBucket holds the pending entries, keyed by bucket name, "/" and
// object key (a bucket name has no "/"); a value is the generation, as a
// length-prefixed string, then the bytes of its file.
var pendingBucket = []byte("pending")

// pendingKey is the key of the pending entry of key in the bucket called
// bucketName.
func pendingKey(bucketName, key string) []byte {
	return []byte(bucketName + "/" + key)
}

// encodePending is the value of the pending entry of generation gen whose
// file holds data.
func encodePending(gen string, data []byte) []byte {
	v := appendString(make([]byte, 0, 1+len(gen)+len(data)), gen)
	return append(v, data...)
}

// decodePending splits a pending entry's key and value.
func decodePending(k, v []byte) (bucketName, key, gen string, data []byte, err error) {
	bucketName, key, ok := strings.Cut(string(k), "/")
	r := &recordReader{b: v}
	gen = r.string()
	if !ok || r.err != nil || !validGen(gen) {
		return "", "", "", nil, errBadRecord
	}
	return bucketName, key, gen, r.b, nil
}

// setPending records, in the write transaction tx, the pending entry of
// generation gen of key in b, holding data; with data nil it drops any
// pending entry of key (a write that synced its own file, or a delete).
func setPending(tx *bolt.Tx, b *bucket, key, gen string, data []byte) error {
	if data == nil {
		if pb := tx.Bucket(pendingBucket); pb != nil {
			return pb.Delete(pendingKey(b.name, key))
		}
		return nil
	}
	pb, err := tx.CreateBucketIfNotExists(pendingBucket)
	if err != nil {
		return err
	}
	return pb.Put(pendingKey(b.name, key), encodePending(gen, data))
}

// kickFlush tells the flusher that there is a pending entry to flush.
func (s *Store) kickFlush() {
	select {
	case s.flushKick <- struct{}{}:
	default: // a kick is waiting already
	}
}

// pendingFile is the file of one pending entry.
type pendingFile struct {
	bucketName, key, gen string
	path                 string
	data                 []byte // only when restoring
	err                  error
}

// readPending lists the pending entries, with their bytes if withData.
func (s *Store) readPending(withData bool) ([]*pendingFile, error) {
	var out []*pendingFile
	err := s.db.View(func(tx *bolt.Tx) error {
		pb := tx.Bucket(pendingBucket)
		if pb == nil {
			return nil
		}
		return pb.ForEach(func(k, v []byte) error {
			bn, key, gen, data, err := decodePending(k, v)
			if err != nil {
				return fmt.Errorf("pending entry %q: %w", k, err)
			}
			p := &pendingFile{bucketName: bn, key: key, gen: gen}
			if withData {
				p.data = bytes.Clone(data)
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// flushPending fsyncs the files of the pending entries, and their
// directories, then drops the entries in one commit (each only if it
// still names the generation synced). A file that is gone was replaced or
// deleted meanwhile, and its entry with it. A failure is logged and the
// entry kept, for the next round or the next Open.
func (s *Store) flushPending() {
	files, err := s.readPending(false)
	if err != nil {
		s.warn("disk: flushing small objects", "err", err)
		return
	}
	if len(files) == 0 {
		return
	}
	s.mu.RLock()
	for _, p := range files {
		if b := s.buckets[p.bucketName]; b != nil {
			p.path = b.objectFile(p.key, p.gen)
		} else {
			p.err = fs.ErrNotExist // the bucket is gone, and its objects
		}
	}
	s.mu.RUnlock()
	if err := syncFS(s.dir); err == nil {
		// One syncfs(2) synced every file and directory at once.
	} else if !errors.Is(err, errors.ErrUnsupported) {
		s.warn("disk: flushing small objects", "err", err)
		return
	} else {
		syncAll(files)
		if !s.syncDirsOf(files) {
			return
		}
	}
	err = s.commits.do(func(tx *bolt.Tx) error { return dropSynced(tx, files) })
	if err != nil {
		s.warn("disk: flushing small objects", "err", err)
	}
}

// syncAll fsyncs every file not failed already, flushWorkers at a
// time, and records its error.
func syncAll(files []*pendingFile) {
	work := make(chan *pendingFile)
	var wg sync.WaitGroup
	for range min(flushWorkers, len(files)) {
		wg.Go(func() {
			for p := range work {
				p.err = syncFile(p.path)
			}
		})
	}
	for _, p := range files {
		if p.err == nil {
			work <- p
		}
	}
	close(work)
	wg.Wait()
}

// syncDirsOf fsyncs the directory of each file synced, once each, and
// reports whether all succeeded (else it logs the failure).
func (s *Store) syncDirsOf(files []*pendingFile) bool {
	dirs := map[string]bool{}
	for _, p := range files {
		if p.err == nil {
			dirs[filepath.Dir(p.path)] = true
		}
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			s.warn("disk: flushing small objects", "err", err)
			return false
		}
	}
	return true
}

// dropSynced drops, in tx, the pending entry of each file whose sync
// succeeded, or that is gone, if the entry still names its generation.
func dropSynced(tx *bolt.Tx, files []*pendingFile) error {
	pb := tx.Bucket(pendingBucket)
	if pb == nil {
		return nil
	}
	for _, p := range files {
		if p.err != nil && !errors.Is(p.err, fs.ErrNotExist) {
			continue
		}
		k := pendingKey(p.bucketName, p.key)
		v := pb.Get(k)
		if v == nil {
			continue
		}
		if _, _, gen, _, err := decodePending(k, v); err == nil && gen != p.gen {
			continue // written again since: that write's entry
		}
		if err := pb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// restorePending, at Open, makes the file of every pending entry whose
// record still names it whole again: a file that does not hold the
// entry's bytes (a crash of the machine lost it, or part of it) is
// rewritten from them, fsynced and placed; a file that does is fsynced.
// Entries no record names any more are dropped. Then every entry is
// dropped: each file is durable.
func (s *Store) restorePending() error {
	files, err := s.readPending(true)
	if err != nil || len(files) == 0 {
		return err
	}
	for _, p := range files {
		b := s.buckets[p.bucketName]
		if b == nil {
			continue // the bucket is gone: drop the entry
		}
		e, err := s.lookup(b, p.key)
		if err != nil {
			return fmt.Errorf("disk: open: restoring %q: %w", p.key, err)
		}
		if e == nil || e.gen != p.gen {
			continue // deleted or replaced: drop the entry
		}
		p.path = b.entryPath(e)
		if err := s.restoreFile(p); err != nil {
			return fmt.Errorf("disk: open: restoring %q from the index: %w", p.key, err)
		}
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(pendingBucket) == nil {
			return nil
		}
		return tx.DeleteBucket(pendingBucket)
	})
	if err != nil {
		return fmt.Errorf("disk: open: index: %w", err)
	}
	return nil
}

// restoreFile makes p.path hold p.data, durably.
func (s *Store) restoreFile(p *pendingFile) error {
	if cur, err := os.ReadFile(p.path); err == nil && bytes.Equal(cur, p.data) {
		if err := syncFile(p.path); err != nil {
			return err
		}
		return syncDir(filepath.Dir(p.path))
	}
	tmp, err := s.createTemp("restore")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(p.data); err != nil {
		discard(tmp)
		return err
	}
	if err := tmp.Sync(); err != nil {
		discard(tmp)
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	dir := filepath.Dir(p.path)
	if err := mkdir(dir); err == nil {
		err = syncDir(filepath.Dir(dir))
	} else if !errors.Is(err, fs.ErrExist) {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p.path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return syncDir(dir)
}
