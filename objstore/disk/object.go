package disk

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/presign-dev/presign/objstore"
)

// PutObject streams body into a temporary file, calls opts.Precommit,
// appends the header and commits the file with one rename.
func (s *Store) PutObject(ctx context.Context, bucketName, key string, body io.Reader, meta objstore.Metadata, opts objstore.PutOptions) (objstore.ObjectInfo, error) {
	if err := checkObject(bucketName, key); err != nil {
		return objstore.ObjectInfo{}, err
	}
	if err := objstore.CheckMetadata(&meta); err != nil {
		return objstore.ObjectInfo{}, err
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	h := &header{Key: key, Meta: cloneMeta(meta)}
	f, err := s.receive(ctx, bucketName, h, body, opts)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	if err := s.commitObjectIf(ctx, b, f, h, opts); err != nil {
		return objstore.ObjectInfo{}, err
	}
	return h.info(bucketName), nil
}

// receive spools body into a temporary file for the object or part h (see
// spool), fills in h's Size, ETag and Modified, and then calls
// opts.Precommit, if set, with the info of the object h in bucketName. Of
// the metadata Precommit leaves, an object keeps all and a part (h.Part
// not 0) its checksums only. On error nothing is left behind.
func (s *Store) receive(ctx context.Context, bucketName string, h *header, body io.Reader, opts objstore.PutOptions) (*os.File, error) {
	f, n, sum, err := s.spool(ctx, body, opts.Size)
	if err != nil {
		return nil, err
	}
	h.Size, h.ETag, h.Modified = n, hex.EncodeToString(sum[:]), s.now()
	if opts.Precommit == nil {
		return f, nil
	}
	kept := false
	defer func() {
		if !kept {
			discard(f) // Precommit failed, or panicked
		}
	}()
	info := h.info(bucketName)
	if err := opts.Precommit(&info); err != nil {
		return nil, err
	}
	if err := objstore.CheckMetadata(&info.Metadata); err != nil {
		return nil, err
	}
	if h.Part == 0 {
		h.Meta = cloneMeta(info.Metadata)
	} else {
		h.Meta.Checksums = cloneMeta(info.Metadata).Checksums
	}
	kept = true
	return f, nil
}

// commitObject finishes the temporary file f with h, places it as a new
// generation of the object's file and commits its index record (see
// index.go). Until the commit, an error leaves the object as it was.
func (s *Store) commitObject(ctx context.Context, b *bucket, f *os.File, h *header) error {
	return s.commitObjectIf(ctx, b, f, h, objstore.PutOptions{})
}

// commitObjectIf is commitObject with opts' write conditions, checked
// against the index in the transaction that commits: atomic.
func (s *Store) commitObjectIf(ctx context.Context, b *bucket, f *os.File, h *header, opts objstore.PutOptions) error {
	// A small object's bytes go to the index with its record, and its
	// file is synced later (see pending.go).
	var inline []byte
	if h.Size <= inlineMax {
		var err error
		if inline, err = finishInline(ctx, f, h); err != nil {
			return err
		}
	} else if err := finish(ctx, f, h); err != nil {
		return err
	}
	e := h.entry()
	e.gen = newGen()
	final := b.entryPath(e)
	dir := filepath.Dir(final)
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.deleted {
		discard(f)
		return objstore.ErrNoSuchBucket
	}
	err := os.Rename(f.Name(), final)
	if errors.Is(err, fs.ErrNotExist) {
		// The fan-out directory is made on first use.
		if err = mkdir(dir); err == nil || errors.Is(err, fs.ErrExist) {
			if err = syncDir(filepath.Dir(dir)); err == nil {
				err = os.Rename(f.Name(), final)
			}
		}
	}
	if err != nil {
		discard(f)
		return fmt.Errorf("disk: commit: %w", err)
	}
	// The file's name must be durable before a record names it, or the
	// index hold the file's bytes.
	if inline == nil {
		if err := syncDir(dir); err != nil {
			os.Remove(final)
			return fmt.Errorf("disk: commit: %w", err)
		}
	}
	testHook("placed")
	old, err := s.commitEntry(b, e, opts, inline)
	if err != nil {
		os.Remove(final)
		return err
	}
	if inline != nil {
		s.kickFlush()
	}
	testHook("committed")
	b.removeReplaced(old, e)
	return nil
}

// testHook is called at the named points of a write; the crash test sets
// it to die there.
var testHook = func(point string) {}

// openObject finds the bucket called bucketName, checks ctx, looks up the
// record of key and opens the file it names, reading its header. If a
// write replaces the object between the lookup and the open, it looks
// again.
func (s *Store) openObject(ctx context.Context, bucketName, key string) (*os.File, *header, error) {
	b, err := s.findBucket(ctx, bucketName)
	if err != nil {
		return nil, nil, err
	}
	for try := 0; ; try++ {
		e, err := s.lookup(b, key)
		if err != nil {
			return nil, nil, err
		}
		if e == nil {
			return nil, nil, objstore.ErrNoSuchKey
		}
		f, err := os.Open(b.entryPath(e))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && try < 3 {
				continue // replaced or deleted since the lookup
			}
			return nil, nil, fmt.Errorf("disk: reading %q: %w", key, err)
		}
		h, err := readHeader(f)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("disk: reading %q: %w", key, err)
		}
		if h.Key != key || h.Part != 0 || h.Size != e.size || h.ETag != e.etag {
			f.Close()
			return nil, nil, fmt.Errorf("disk: reading %q: %w", key, errDamaged)
		}
		return f, h, nil
	}
}

// GetObject opens the object's file; the reader reads from that open file,
// whatever happens to the object afterwards.
func (s *Store) GetObject(ctx context.Context, bucketName, key string, rng *objstore.Range) (io.ReadCloser, objstore.ObjectInfo, error) {
	if err := checkObject(bucketName, key); err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	f, h, err := s.openObject(ctx, bucketName, key)
	if err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	start, length, err := resolveRange(rng, h.Size)
	if err != nil {
		f.Close()
		return nil, objstore.ObjectInfo{}, err
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		f.Close()
		return nil, objstore.ObjectInfo{}, fmt.Errorf("disk: %w", err)
	}
	return &objectReader{f: f, r: io.LimitedReader{R: f, N: length}}, h.info(bucketName), nil
}

// resolveRange returns the offset and length rng selects in an object of
// size bytes.
func resolveRange(rng *objstore.Range, size int64) (start, length int64, err error) {
	switch {
	case rng == nil:
		return 0, size, nil
	case rng.Start < 0:
		n := -rng.Start
		if size == 0 {
			return 0, 0, objstore.ErrInvalidRange
		}
		return size - min(n, size), min(n, size), nil
	case rng.Start >= size, rng.End >= 0 && rng.End < rng.Start:
		return 0, 0, objstore.ErrInvalidRange
	case rng.End < 0 || rng.End >= size:
		return rng.Start, size - rng.Start, nil
	default:
		return rng.Start, rng.End - rng.Start + 1, nil
	}
}

// objectReader reads a range of an open object file.
type objectReader struct {
	f *os.File
	r io.LimitedReader
}

// Read reads the object.
func (o *objectReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// WriteTo copies the rest of the range to w. It hands w an
// *io.LimitedReader of an *os.File, which lets a TCP connection (and so
// net/http) send it with sendfile(2).
func (o *objectReader) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, &o.r) }

// Close closes the file.
func (o *objectReader) Close() error { return o.f.Close() }

// HeadObject reads the object's header.
func (s *Store) HeadObject(ctx context.Context, bucketName, key string) (objstore.ObjectInfo, error) {
	if err := checkObject(bucketName, key); err != nil {
		return objstore.ObjectInfo{}, err
	}
	f, h, err := s.openObject(ctx, bucketName, key)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	f.Close()
	return h.info(bucketName), nil
}

// writeBucket finds the bucket called bucketName, checks ctx, and holds
// the bucket's lock for reading, as a write does, until unlock: the bucket
// is not deleted meanwhile.
func (s *Store) writeBucket(ctx context.Context, bucketName string) (b *bucket, unlock func(), err error) {
	if b, err = s.findBucket(ctx, bucketName); err != nil {
		return nil, nil, err
	}
	b.mu.RLock()
	if b.deleted {
		b.mu.RUnlock()
		return nil, nil, objstore.ErrNoSuchBucket
	}
	return b, b.mu.RUnlock, nil
}

// DeleteObject removes the object's index record and then its file.
func (s *Store) DeleteObject(ctx context.Context, bucketName, key string) error {
	if err := checkObject(bucketName, key); err != nil {
		return err
	}
	b, unlock, err := s.writeBucket(ctx, bucketName)
	if err != nil {
		return err
	}
	defer unlock()
	old, err := s.deleteEntry(b, key)
	if err != nil {
		return err
	}
	b.removeReplaced(old, nil)
	return nil
}

// CopyObject copies the source's bytes into a temporary file (in the
// kernel where it can: copy_file_range(2)) and commits it as a new object.
func (s *Store) CopyObject(ctx context.Context, in objstore.CopyInput) (objstore.ObjectInfo, error) {
	srcBucket, srcKey, dstBucket, dstKey, meta := in.SrcBucket, in.SrcKey, in.DstBucket, in.DstKey, in.Metadata
	if err := checkObject(srcBucket, srcKey); err != nil {
		return objstore.ObjectInfo{}, err
	}
	if err := checkObject(dstBucket, dstKey); err != nil {
		return objstore.ObjectInfo{}, err
	}
	if meta != nil {
		if err := objstore.CheckMetadata(meta); err != nil {
			return objstore.ObjectInfo{}, err
		}
	}
	// The destination bucket is looked up before the source's (in
	// openObject): a missing one, of either, is the same ErrNoSuchBucket,
	// reported before ctx is checked.
	db, err := s.bucket(dstBucket)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	src, sh, err := s.openObject(ctx, srcBucket, srcKey)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	defer src.Close()

	var f *os.File
	etag := sh.ETag
	if sh.Parts == 0 {
		// The ETag of a single-part object is the MD5 of its bytes already.
		if f, err = s.createTemp("copy"); err != nil {
			return objstore.ObjectInfo{}, fmt.Errorf("disk: copy: %w", err)
		}
		n, err := io.Copy(f, &io.LimitedReader{R: src, N: sh.Size})
		if err == nil && n != sh.Size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			discard(f)
			return objstore.ObjectInfo{}, fmt.Errorf("disk: copy: %w", err)
		}
	} else {
		var sum [md5.Size]byte
		if f, _, sum, err = s.spool(ctx, io.LimitReader(src, sh.Size), sh.Size); err != nil {
			return objstore.ObjectInfo{}, fmt.Errorf("disk: copy: %w", err)
		}
		etag = hex.EncodeToString(sum[:])
	}

	var m objstore.Metadata
	if meta == nil {
		m = cloneMeta(sh.Meta)
	} else {
		m = cloneMeta(*meta)
		if m.Checksums == nil {
			m.Checksums, m.ChecksumType = cloneMeta(sh.Meta).Checksums, sh.Meta.ChecksumType
		}
	}
	if m.ChecksumType == "COMPOSITE" {
		m.Checksums, m.ChecksumType = nil, ""
	}
	h := &header{Key: dstKey, Size: sh.Size, ETag: etag, Modified: s.now(), Meta: m}
	if err := s.commitObject(ctx, db, f, h); err != nil {
		return objstore.ObjectInfo{}, err
	}
	return h.info(dstBucket), nil
}

// checkObject checks a bucket name and a key.
func checkObject(bucket, key string) error {
	if err := objstore.CheckBucketName(bucket); err != nil {
		return err
	}
	return objstore.CheckKey(key)
}
