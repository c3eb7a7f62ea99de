package disk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/presign-dev/presign/objstore"
)

// # The index
//
// DIR/index.db is a bbolt database (a B+tree in one memory-mapped file,
// with copy-on-write pages and one fsynced meta page per transaction, so
// that a transaction is applied whole or not at all, whatever kills the
// process). It holds, for each bucket, one record per object, keyed by the
// object's key, so keys come out of a cursor in S3's byte order: a listing
// is a seek and a walk, and opening the store reads nothing per object.
//
// The invariant between files and index: an object is visible (listed,
// readable) exactly when the index has a record for its key, and the
// record names the object's file by its generation, a random suffix that
// each write of a key gets anew (objects/HH/HASH.GEN). A file is never
// changed once the index names it. A write places its new file, fsyncs
// the directory, and then commits the record in one transaction: the
// commit is the single step that makes the object visible, with its
// metadata, and a reader that looked up the old record keeps the old
// file. After the commit, the file of the generation it replaced (or
// deleted) is removed.
//
// A crash can so leave only files that no record names: a new file whose
// commit did not happen (the write was never acknowledged), or an old one
// whose removal did not. They are invisible, and [Store.Check] reports and
// removes them. A record never names a file that is not whole: the file is
// fsynced, and its directory entry with it, before the commit; or, for a
// small object, the commit also writes the file's bytes to the index,
// which keeps them until the file is synced and restores the file from
// them at Open if a crash of the machine lost it (see pending.go).
//
// A data directory written before the index existed (or whose index.db is
// lost) is indexed once from its files at Open, bucket by bucket, which
// reads the header of every object, as every Open did before.

// indexFile is the name of the index in a data directory.
const indexFile = "index.db"

// Top-level bbolt buckets and keys of the index.
var (
	metaBucket = []byte("meta")
	// builtKey is set once every bucket's records were built from the
	// files; until then Open builds them (again).
	builtKey = []byte("built")
)

// recordVersion is the first byte of every record.
const recordVersion = 1

// errBadRecord reports an index record that does not decode.
var errBadRecord = errors.New("disk: damaged index record")

// indexBucket is the name of the bbolt bucket holding the records of the
// objects of the bucket called name.
func indexBucket(name string) []byte { return []byte("objects/" + name) }

// openIndex opens (or creates) the index of the data directory dir, and
// reports whether it must be built from the files.
func openIndex(dir string) (db *bolt.DB, build bool, err error) {
	path := filepath.Join(dir, indexFile)
	db, err = bolt.Open(path, fileMode, &bolt.Options{
		Timeout:      time.Second,
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		return nil, false, fmt.Errorf("disk: open index %s: %w (if it is damaged, move it away: Open rebuilds it from the objects)", path, err)
	}
	if err := tighten(path); err != nil {
		db.Close()
		return nil, false, fmt.Errorf("disk: open index: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		build = m.Get(builtKey) == nil
		return nil
	})
	if err != nil {
		db.Close()
		return nil, false, fmt.Errorf("disk: open index: %w", err)
	}
	return db, build, nil
}

// appendString appends s with its length.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodeEntry is the record of e: a version byte, then the generation,
// size, ETag, modification time (Unix nanoseconds), part count, storage
// class, checksum type and checksums, as varints and length-prefixed
// strings.
func encodeEntry(e *entry) []byte {
	b := make([]byte, 0, 64+len(e.etag)+len(e.gen))
	b = append(b, recordVersion)
	b = appendString(b, e.gen)
	b = binary.AppendVarint(b, e.size)
	b = appendString(b, e.etag)
	b = binary.AppendVarint(b, e.modified.UnixNano())
	b = binary.AppendUvarint(b, uint64(e.parts))
	b = appendString(b, e.storageClass)
	b = appendString(b, e.checksumType)
	b = binary.AppendUvarint(b, uint64(len(e.checksums)))
	for _, k := range slices.Sorted(maps.Keys(e.checksums)) {
		b = appendString(b, k)
		b = appendString(b, e.checksums[k])
	}
	return b
}

// recordReader reads the fields of a record, remembering the first error.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	r.advance(n)
	return v
}

func (r *recordReader) varint() int64 {
	v, n := binary.Varint(r.b)
	r.advance(n)
	return v
}

// advance moves past a varint of n bytes (n <= 0: none could be read).
func (r *recordReader) advance(n int) {
	switch {
	case r.err != nil:
	case n <= 0:
		r.err = errBadRecord
	default:
		r.b = r.b[n:]
	}
}

func (r *recordReader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errBadRecord
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// decodeEntry decodes the record val of key. It never keeps val, which
// bbolt owns only for the transaction.
func decodeEntry(key, val []byte) (*entry, error) {
	if len(val) == 0 || val[0] != recordVersion {
		return nil, errBadRecord
	}
	r := &recordReader{b: val[1:]}
	e := &entry{key: string(key)}
	e.gen = r.string()
	e.size = r.varint()
	e.etag = r.string()
	e.modified = time.Unix(0, r.varint()).UTC()
	parts := r.uvarint()
	e.storageClass = r.string()
	e.checksumType = r.string()
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = errBadRecord // each checksum takes two bytes at least
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		if e.checksums == nil {
			e.checksums = make(map[string]string, n)
		}
		k := r.string()
		e.checksums[k] = r.string()
	}
	if r.err != nil || len(r.b) != 0 || e.size < 0 || parts > 10000 || !validGen(e.gen) {
		return nil, errBadRecord
	}
	e.parts = int(parts)
	return e, nil
}

// newGen is a fresh generation: 16 hex digits.
func newGen() string { return randomHex(8) }

// validGen reports whether gen is a generation this package makes, or ""
// (the file of an object written before generations existed).
func validGen(gen string) bool {
	if gen == "" {
		return true
	}
	if len(gen) != 16 {
		return false
	}
	for _, c := range []byte(gen) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseObjectName splits the name of a file in a fan-out directory into
// the key hash and the generation.
func parseObjectName(name string) (hash, gen string, ok bool) {
	hash, gen, _ = strings.Cut(name, ".")
	if len(hash) != 64 || !validGen(gen) || (gen == "" && strings.Contains(name, ".")) {
		return "", "", false
	}
	for _, c := range []byte(hash) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", "", false
		}
	}
	return hash, gen, true
}

// objectName is the name of the file of generation gen of the object key.
func objectName(key, gen string) string {
	if gen == "" {
		return keyHash(key)
	}
	return keyHash(key) + "." + gen
}

// entryPath is the path of the file e names.
func (b *bucket) entryPath(e *entry) string { return b.objectFile(e.key, e.gen) }

// objectFile is the path of the file of generation gen of key.
func (b *bucket) objectFile(key, gen string) string {
	name := objectName(key, gen)
	return filepath.Join(b.dir, objectsName, name[:2], name)
}

// recordIn returns the index bucket of b in tx and the record of key
// there (nil if there is none); objstore.ErrNoSuchBucket without the
// index bucket.
func recordIn(tx *bolt.Tx, b *bucket, key string) (*bolt.Bucket, *entry, error) {
	ib := tx.Bucket(indexBucket(b.name))
	if ib == nil {
		return nil, nil, objstore.ErrNoSuchBucket
	}
	v := ib.Get([]byte(key))
	if v == nil {
		return ib, nil, nil
	}
	e, err := decodeEntry([]byte(key), v)
	return ib, e, err
}

// lookup returns the record of key in b, or nil.
func (s *Store) lookup(b *bucket, key string) (*entry, error) {
	var e *entry
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		_, e, err = recordIn(tx, b, key)
		s.touched(tx, 1)
		return err
	})
	if err != nil {
		if errors.Is(err, objstore.ErrNoSuchBucket) {
			return nil, err
		}
		return nil, fmt.Errorf("disk: index: %q: %w", key, err)
	}
	return e, nil
}

// errCondition carries a failed write condition out of a transaction.
type errCondition struct{ err error }

func (e errCondition) Error() string { return e.err.Error() }

// commitEntry makes e the record of its key in b, if opts' conditions
// hold against the record there, in one transaction, and returns the
// record it replaced. Concurrent commits share a transaction (and its
// fsyncs): see committer. inline, if not nil, is the bytes of e's file,
// not yet synced, kept in a pending entry until it is (see pending.go).
func (s *Store) commitEntry(b *bucket, e *entry, opts objstore.PutOptions, inline []byte) (old *entry, err error) {
	rec := encodeEntry(e)
	err = s.commits.do(func(tx *bolt.Tx) error {
		// (A shared commit that fails runs this again alone: old is set
		// anew each time.)
		ib, cur, err := recordIn(tx, b, e.key)
		if old = cur; err != nil {
			return err
		}
		var cerr error
		switch {
		case opts.IfNoneMatch && old != nil:
			cerr = objstore.ErrPreconditionFailed
		case opts.IfMatch != "" && old == nil:
			cerr = objstore.ErrNoSuchKey
		case opts.IfMatch != "" && opts.IfMatch != "*" && old.etag != opts.IfMatch:
			cerr = objstore.ErrPreconditionFailed
		}
		if cerr != nil {
			return errCondition{cerr}
		}
		if err := setPending(tx, b, e.key, e.gen, inline); err != nil {
			return err
		}
		return ib.Put([]byte(e.key), rec)
	})
	var ce errCondition
	switch {
	case errors.As(err, &ce):
		return nil, ce.err
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("disk: index: %w", err)
	}
	return old, nil
}

// deleteEntry removes the record of key from b and returns it (nil if
// there was none).
func (s *Store) deleteEntry(b *bucket, key string) (old *entry, err error) {
	err = s.commits.do(func(tx *bolt.Tx) error {
		ib, cur, err := recordIn(tx, b, key)
		if old = cur; err != nil || cur == nil {
			return err
		}
		if err := setPending(tx, b, key, "", nil); err != nil {
			return err
		}
		return ib.Delete([]byte(key))
	})
	if err != nil && !errors.Is(err, objstore.ErrNoSuchBucket) {
		err = fmt.Errorf("disk: index: %w", err)
	}
	return old, err
}

// removeReplaced removes the file of old, the record a commit replaced or
// deleted, unless it is the file of now (nil: none). A failure leaves a
// file no record names, which Check removes.
func (b *bucket) removeReplaced(old, now *entry) {
	if old == nil || (now != nil && old.gen == now.gen) {
		return
	}
	os.Remove(b.entryPath(old))
}

// ListObjects lists from the index, in byte order. A continuation token
// is the base64url of the last key or common prefix returned; the listing
// resumes after it, skipping the keys a returned common prefix stands for.
func (s *Store) ListObjects(ctx context.Context, bucketName string, opts objstore.ListOptions) (objstore.ListResult, error) {
	if err := objstore.CheckBucketName(bucketName); err != nil {
		return objstore.ListResult{}, err
	}
	limit := opts.MaxKeys
	if limit < 0 {
		return objstore.ListResult{}, objstore.ErrInvalidArgument
	}
	if limit == 0 {
		limit = 1000
	}
	marker := opts.StartAfter
	if opts.ContinuationToken != "" {
		m, err := base64.RawURLEncoding.DecodeString(opts.ContinuationToken)
		if err != nil {
			return objstore.ListResult{}, objstore.ErrInvalidArgument
		}
		marker = string(m)
	}
	b, err := s.findBucket(ctx, bucketName)
	if err != nil {
		return objstore.ListResult{}, err
	}
	var res objstore.ListResult
	err = s.db.View(func(tx *bolt.Tx) error {
		ib := tx.Bucket(indexBucket(b.name))
		if ib == nil {
			return objstore.ErrNoSuchBucket
		}
		res, err = listIndex(ctx, ib.Cursor(), bucketName, opts.Prefix, opts.Delimiter, marker, limit)
		s.touched(tx, 1+(len(res.Objects)+len(res.CommonPrefixes))/16) // some 16 records a page
		return err
	})
	if err != nil {
		if errors.Is(err, objstore.ErrNoSuchBucket) || errors.Is(err, ctx.Err()) {
			return objstore.ListResult{}, err
		}
		return objstore.ListResult{}, fmt.Errorf("disk: index: %w", err)
	}
	return res, nil
}

// listIndex is one page of a listing, read with cursor c.
func listIndex(ctx context.Context, c *bolt.Cursor, bucketName, prefix, delim, marker string, limit int) (objstore.ListResult, error) {
	var res objstore.ListResult
	pfx := []byte(prefix)
	// Start at the first key with the prefix that is after the marker.
	k, v := c.Seek(pfx)
	if marker >= prefix {
		k, v = c.Seek([]byte(marker))
		if k != nil && string(k) == marker {
			k, v = c.Next()
		}
	}
	count, last := 0, ""
	for ; k != nil; count++ {
		if count%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		if !bytes.HasPrefix(k, pfx) {
			break // keys with the prefix are contiguous
		}
		if delim != "" {
			if j := bytes.Index(k[len(pfx):], []byte(delim)); j >= 0 {
				cp := string(k[:len(pfx)+j+len(delim)])
				if cp != marker {
					if len(res.Objects)+len(res.CommonPrefixes) == limit {
						res.IsTruncated = true
						break
					}
					res.CommonPrefixes = append(res.CommonPrefixes, cp)
					last = cp
				}
				// Skip every key the common prefix stands for.
				next, ok := successor(cp)
				if !ok {
					break
				}
				k, v = c.Seek([]byte(next))
				continue
			}
		}
		if len(res.Objects)+len(res.CommonPrefixes) == limit {
			res.IsTruncated = true
			break
		}
		e, err := decodeEntry(k, v)
		if err != nil {
			return res, fmt.Errorf("%q: %w", k, err)
		}
		res.Objects = append(res.Objects, e.info(bucketName))
		last = e.key
		k, v = c.Next()
	}
	if res.IsTruncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	return res, nil
}

// info is what a listing shows of the object of e.
func (e *entry) info(bucketName string) objstore.ObjectInfo {
	return objstore.ObjectInfo{
		Bucket:       bucketName,
		Key:          e.key,
		Size:         e.size,
		ETag:         e.etag,
		LastModified: e.modified,
		Parts:        e.parts,
		Metadata: objstore.Metadata{
			StorageClass: e.storageClass,
			Checksums:    e.checksums,
			ChecksumType: e.checksumType,
		},
	}
}

// successor returns the least string greater than every string that has
// prefix p, if there is one.
func successor(p string) (string, bool) {
	b := []byte(p)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}

// buildIndex makes the records of b from its files, replacing any it had:
// at Open of a data directory without a (complete) index. A file that is
// not a whole object where its key puts it is set aside into damaged; of
// two generations of one key, the newer is kept and the older set aside.
func (s *Store) buildIndex(b *bucket) error {
	const chunk = 10000
	var pending []*entry
	flush := func() error {
		err := s.db.Update(func(tx *bolt.Tx) error {
			ib, err := tx.CreateBucketIfNotExists(indexBucket(b.name))
			if err != nil {
				return err
			}
			for _, e := range pending {
				if v := ib.Get([]byte(e.key)); v != nil {
					cur, err := decodeEntry([]byte(e.key), v)
					if err == nil && !newer(e, cur) {
						if err := s.setAside(b.entryPath(e)); err != nil {
							return err
						}
						continue
					}
					if err == nil {
						if err := s.setAside(b.entryPath(cur)); err != nil {
							return err
						}
					}
				}
				if err := ib.Put([]byte(e.key), encodeEntry(e)); err != nil {
					return err
				}
			}
			return nil
		})
		pending = pending[:0]
		if err != nil {
			return fmt.Errorf("disk: open: building the index of %s: %w", b.name, err)
		}
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(indexBucket(b.name)) != nil {
			if err := tx.DeleteBucket(indexBucket(b.name)); err != nil {
				return err
			}
		}
		_, err := tx.CreateBucket(indexBucket(b.name))
		return err
	})
	if err != nil {
		return fmt.Errorf("disk: open: building the index of %s: %w", b.name, err)
	}
	fanOut := func(_, name string) bool { return len(name) == 2 }
	err = s.loadDirs(filepath.Join(b.dir, objectsName), fanOut, func(fan string, files []fs.DirEntry) error {
		for _, file := range files {
			path := filepath.Join(fan, file.Name())
			hash, gen, ok := parseObjectName(file.Name())
			var h *header
			var err error
			if ok {
				h, err = loadObjectFile(path)
			}
			if !ok || err != nil || hash != keyHash(h.Key) || filepath.Base(fan) != hash[:2] || h.Part != 0 {
				if err := s.setAside(path); err != nil {
					return err
				}
				continue
			}
			e := h.entry()
			e.gen = gen
			if pending = append(pending, e); len(pending) == chunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// newer reports whether e is a later write of its key than cur.
func newer(e, cur *entry) bool {
	if !e.modified.Equal(cur.modified) {
		return e.modified.After(cur.modified)
	}
	return e.gen > cur.gen
}

// bucketEmpty reports whether the index of b has no record.
func (s *Store) bucketEmpty(b *bucket) (bool, error) {
	empty := true
	err := s.db.View(func(tx *bolt.Tx) error {
		if ib := tx.Bucket(indexBucket(b.name)); ib != nil {
			k, _ := ib.Cursor().First()
			empty = k == nil
		}
		return nil
	})
	return empty, err
}

// committer runs the index writes of concurrent callers in shared
// transactions (group commit): a write waits only for the commit under
// way, if any, and then commits together with every write that queued
// meanwhile, so one commit's fsyncs serve them all, and a lone write adds
// no delay. (bbolt's own Batch waits up to MaxBatchDelay for company,
// 10 ms by default, which is most of a small PUT's time.)
type committer struct {
	db      *bolt.DB
	calls   chan *commitCall // unbuffered: a send is taken by the loop
	closing chan struct{}
	closed  chan struct{}
}

// commitCall is one write waiting for its commit.
type commitCall struct {
	fn   func(*bolt.Tx) error
	err  error
	done chan struct{}
}

// maxGroup bounds the writes of one transaction.
const maxGroup = 1000

// errClosed answers a write to a Store that is closing.
var errClosed = errors.New("disk: the store is closed")

// newCommitter starts the commit loop of db; stop ends it.
func newCommitter(db *bolt.DB) *committer {
	c := &committer{db: db, calls: make(chan *commitCall), closing: make(chan struct{}), closed: make(chan struct{})}
	go c.loop()
	return c
}

// do runs fn in a write transaction, shared with other callers'. fn must
// change nothing when it returns an error of a write refused
// (errCondition, objstore.ErrNoSuchBucket): the others' writes commit
// regardless. Any other error rolls the shared transaction back, and each
// of its writes is then run again in a transaction of its own, so fn may
// run twice.
func (c *committer) do(fn func(*bolt.Tx) error) error {
	call := &commitCall{fn: fn, done: make(chan struct{})}
	select {
	case c.calls <- call:
	case <-c.closed:
		return errClosed
	}
	<-call.done
	return call.err
}

func (c *committer) loop() {
	defer close(c.closed)
	for {
		var first *commitCall
		select {
		case first = <-c.calls:
		case <-c.closing:
			return
		}
		group := []*commitCall{first}
	more:
		for len(group) < maxGroup {
			select {
			case call := <-c.calls:
				group = append(group, call)
			default:
				break more
			}
		}
		c.commit(group)
	}
}

// refused reports whether err refuses one write without failing the
// transaction.
func refused(err error) bool {
	var ce errCondition
	return errors.As(err, &ce) || errors.Is(err, objstore.ErrNoSuchBucket)
}

// commit runs group in one transaction, or each alone if that fails.
func (c *committer) commit(group []*commitCall) {
	err := c.db.Update(func(tx *bolt.Tx) error {
		for _, call := range group {
			if call.err = call.fn(tx); call.err != nil && !refused(call.err) {
				return call.err
			}
		}
		return nil
	})
	if err != nil {
		for _, call := range group {
			if len(group) == 1 {
				call.err = err
				break
			}
			call.err = c.db.Update(call.fn)
		}
	}
	for _, call := range group {
		close(call.done)
	}
}

// stop ends the loop once the commit under way is done; later writes get
// errClosed.
func (c *committer) stop() {
	close(c.closing)
	<-c.closed
}
