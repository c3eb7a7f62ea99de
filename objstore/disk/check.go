package disk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Kinds of [Problem] that [Store.Check] finds.
const (
	// ProblemUnreadable: a file in a fan-out directory is not a whole
	// object file where its key puts it. Repair sets it aside into
	// DIR/damaged.
	ProblemUnreadable = "unreadable"
	// ProblemOrphan: no index record names a file: a write or delete that
	// a crash cut short left it, and it was never visible. Repair removes
	// it.
	ProblemOrphan = "orphan"
	// ProblemMissing: an index record names a file that is not there (or
	// not the object the record describes). Repair removes the record, so
	// the object is no longer listed.
	ProblemMissing = "missing"
	// ProblemMismatch: an index record disagrees with the header of the
	// file it names (size, ETag, time, parts). Repair rewrites the record
	// from the file.
	ProblemMismatch = "mismatch"
	// ProblemMode: a file or directory is readable or writable by others
	// than its owner. Repair tightens it to 0600 or 0700.
	ProblemMode = "mode"
)

// Problem is one disagreement between the files and the index, or one
// file that should not be there.
type Problem struct {
	Bucket string `json:"bucket"`
	// Key is the object's key, where it is known.
	Key string `json:"key,omitempty"`
	// Path is the file, relative to the data directory.
	Path string `json:"path"`
	// Kind is one of the Problem constants.
	Kind string `json:"kind"`
	// Detail says what is wrong, in words.
	Detail string `json:"detail"`
	// Repaired is set when Check fixed it.
	Repaired bool `json:"repaired"`
}

// CheckResult is what [Store.Check] found.
type CheckResult struct {
	Buckets  int       `json:"buckets"`
	Objects  int       `json:"objects"`
	Files    int       `json:"files"`
	Problems []Problem `json:"problems"`
}

// Check compares, bucket by bucket, every object file with the index, and
// every index record with its file, and reports each disagreement (see the
// Problem kinds); with repair set, it also fixes each one. It holds each
// bucket's lock for writing while it checks it, so it may run while the
// store is in use, though writes to that bucket wait. It reads the header
// of every object, so it takes as long as the building of the index.
func (s *Store) Check(ctx context.Context, repair bool) (CheckResult, error) {
	s.mu.RLock()
	buckets := make([]*bucket, 0, len(s.buckets))
	for _, b := range s.buckets {
		buckets = append(buckets, b)
	}
	s.mu.RUnlock()
	slices.SortFunc(buckets, func(x, y *bucket) int { return strings.Compare(x.name, y.name) })
	var res CheckResult
	for _, b := range buckets {
		if err := s.checkBucket(ctx, b, repair, &res); err != nil {
			return res, err
		}
		res.Buckets++
	}
	return res, nil
}

// checkBucket checks one bucket into res.
func (s *Store) checkBucket(ctx context.Context, b *bucket, repair bool, res *CheckResult) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deleted {
		return nil
	}
	report := func(key, path, kind, detail string, fix func() error) error {
		rel, _ := filepath.Rel(s.dir, path)
		p := Problem{Bucket: b.name, Key: key, Path: rel, Kind: kind, Detail: detail}
		if repair {
			if err := fix(); err != nil {
				return fmt.Errorf("disk: check: repairing %s: %w", rel, err)
			}
			p.Repaired = true
		}
		res.Problems = append(res.Problems, p)
		return nil
	}
	tightenIfWide := func(key, path string, want fs.FileMode) error {
		st, err := os.Lstat(path)
		if err != nil || st.Mode().Perm() == want || !(st.IsDir() || st.Mode().IsRegular()) {
			return nil
		}
		return report(key, path, ProblemMode, fmt.Sprintf("mode %04o, not %04o", st.Mode().Perm(), want), func() error { return tighten(path) })
	}

	// Files against the index.
	objects := filepath.Join(b.dir, objectsName)
	fans, err := os.ReadDir(objects)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("disk: check: %w", err)
	}
	for _, fan := range fans {
		if err := ctx.Err(); err != nil {
			return err
		}
		fanDir := filepath.Join(objects, fan.Name())
		if !fan.IsDir() || len(fan.Name()) != 2 {
			if err := report("", fanDir, ProblemUnreadable, "not a fan-out directory", func() error { return s.setAside(fanDir) }); err != nil {
				return err
			}
			continue
		}
		if err := tightenIfWide("", fanDir, dirMode); err != nil {
			return err
		}
		files, err := os.ReadDir(fanDir)
		if err != nil {
			return fmt.Errorf("disk: check: %w", err)
		}
		for _, file := range files {
			path := filepath.Join(fanDir, file.Name())
			res.Files++
			hash, gen, ok := parseObjectName(file.Name())
			var h *header
			if ok {
				h, err = readHeaderFile(path)
			}
			if !ok || err != nil || hash != keyHash(h.Key) || hash[:2] != fan.Name() || h.Part != 0 {
				detail := "not an object file this store wrote"
				if ok && err != nil {
					detail = fmt.Sprintf("not a whole object file (%v)", err)
				} else if ok {
					detail = "its name is not the hash of the key its header holds"
				}
				if err := report("", path, ProblemUnreadable, detail, func() error { return s.setAside(path) }); err != nil {
					return err
				}
				continue
			}
			e, err := s.lookup(b, h.Key)
			if err != nil {
				if errors.Is(err, errBadRecord) {
					e = nil // reported by the pass over the index
				} else {
					return fmt.Errorf("disk: check: %w", err)
				}
			}
			switch {
			case e == nil:
				if err := report(h.Key, path, ProblemOrphan, "no index record names this file (a write or delete cut short by a crash left it; it was never visible)", func() error { return os.Remove(path) }); err != nil {
					return err
				}
				continue
			case e.gen != gen:
				if err := report(h.Key, path, ProblemOrphan, "an older generation of the object, replaced (a crash cut its removal short)", func() error { return os.Remove(path) }); err != nil {
					return err
				}
				continue
			}
			if want := h.entry(); want.size != e.size || want.etag != e.etag || !want.modified.Equal(e.modified) || want.parts != e.parts {
				want.gen = gen
				detail := fmt.Sprintf("the index says %d bytes, ETag %s; the file says %d bytes, ETag %s", e.size, e.etag, want.size, want.etag)
				if err := report(h.Key, path, ProblemMismatch, detail, func() error { return s.putEntry(b, want) }); err != nil {
					return err
				}
			}
			if err := tightenIfWide(h.Key, path, fileMode); err != nil {
				return err
			}
		}
	}

	// The index against the files.
	var records []*entry
	var bad []string
	flush := func() error {
		for _, e := range records {
			path := b.entryPath(e)
			h, err := readHeaderFile(path)
			if err == nil && h.Key == e.key {
				continue
			}
			detail := "the file it names is not there"
			if err == nil || !errors.Is(err, fs.ErrNotExist) {
				detail = "the file it names is not this object"
			}
			key := e.key
			if err := report(key, path, ProblemMissing, detail, func() error { _, err := s.deleteEntry(b, key); return err }); err != nil {
				return err
			}
		}
		records = records[:0]
		return nil
	}
	after := ""
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Read the index in pages, so that no transaction stays open
		// (and pins its pages) across the checks and repairs.
		more := false
		err := s.db.View(func(tx *bolt.Tx) error {
			ib := tx.Bucket(indexBucket(b.name))
			if ib == nil {
				return nil
			}
			c := ib.Cursor()
			k, v := c.First()
			if !first {
				k, v = c.Seek([]byte(after))
				if k != nil && string(k) == after {
					k, v = c.Next()
				}
			}
			for ; k != nil; k, v = c.Next() {
				if len(records)+len(bad) == 1000 {
					more = true
					break
				}
				after = string(k)
				e, err := decodeEntry(k, v)
				if err != nil {
					bad = append(bad, string(k))
					continue
				}
				records = append(records, e)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("disk: check: index: %w", err)
		}
		res.Objects += len(records)
		for _, key := range bad {
			path := b.objectFile(key, "")
			if err := report(key, filepath.Dir(path), ProblemMissing, "its index record is damaged", func() error { _, err := s.deleteRecord(b, key); return err }); err != nil {
				return err
			}
		}
		bad = bad[:0]
		if err := flush(); err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
}

// putEntry writes the record e, whatever was there.
func (s *Store) putEntry(b *bucket, e *entry) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		ib := tx.Bucket(indexBucket(b.name))
		if ib == nil {
			return fmt.Errorf("no index of bucket %s", b.name)
		}
		return ib.Put([]byte(e.key), encodeEntry(e))
	})
}

// deleteRecord removes the record of key, decodable or not.
func (s *Store) deleteRecord(b *bucket, key string) (bool, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		ib := tx.Bucket(indexBucket(b.name))
		if ib == nil {
			return nil
		}
		return ib.Delete([]byte(key))
	})
	return err == nil, err
}
