package disk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/presign-dev/presign/objstore"
)

// expired reports whether an upload initiated then has expired by the
// Store's clock: it is at least MultipartExpiry old.
func (s *Store) expired(initiated time.Time) bool {
	return s.expiry > 0 && s.clock().Sub(initiated) >= s.expiry
}

// loadUploads checks the upload directories of b at Open: what is not an
// upload directory with a readable upload.json is set aside into damaged,
// and the modes of the rest and of their files are tightened.
func (s *Store) loadUploads(b *bucket) error {
	isUpload := func(dir, name string) bool {
		var rec uploadRecord
		return validUploadID(name) && readJSON(filepath.Join(dir, uploadFile), &rec) == nil
	}
	return s.loadDirs(filepath.Join(b.dir, uploadsName), isUpload, func(dir string, files []fs.DirEntry) error {
		for _, f := range files {
			if err := tighten(filepath.Join(dir, f.Name())); err != nil {
				return fmt.Errorf("disk: open: %w", err)
			}
		}
		return nil
	})
}

// sweep removes every upload that has expired, each with one rename (see
// removeUpload), and returns how many it removed. It stops early when ctx
// is done. A failure to remove one upload does not stop it: it logs the
// failure, and the next sweep tries again.
func (s *Store) sweep(ctx context.Context) int {
	s.mu.RLock()
	buckets := make([]*bucket, 0, len(s.buckets))
	for _, b := range s.buckets {
		buckets = append(buckets, b)
	}
	s.mu.RUnlock()
	removed := 0
	for _, b := range buckets {
		uploads := filepath.Join(b.dir, uploadsName)
		ents, err := os.ReadDir(uploads)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) { // else deleted meanwhile
				s.warn("disk: expiring multipart uploads", "bucket", b.name, "err", err)
			}
			continue
		}
		for _, e := range ents {
			if ctx.Err() != nil {
				return removed
			}
			if !validUploadID(e.Name()) {
				continue
			}
			dir := filepath.Join(uploads, e.Name())
			var rec uploadRecord
			if readJSON(filepath.Join(dir, uploadFile), &rec) != nil || !s.expired(rec.Initiated) {
				continue // ended meanwhile, or not expired
			}
			if err := s.removeUpload(dir, "expired"); err != nil {
				if err != objstore.ErrNoSuchUpload {
					s.warn("disk: expiring a multipart upload", "bucket", b.name, "key", rec.Key, "upload", e.Name(), "err", err)
				}
				continue
			}
			removed++
			if s.log != nil {
				s.log.Info("disk: expired a multipart upload", "bucket", b.name, "key", rec.Key, "upload", e.Name(),
					"initiated", rec.Initiated, "expiry", s.expiry)
			}
		}
	}
	return removed
}

// sweepLoop sweeps every interval, flushes the pending entries flushDelay
// after a small write (see pending.go) and releases the index's mapped
// pages every releaseMappedEvery, until ctx is done; then it closes
// s.swept.
func (s *Store) sweepLoop(ctx context.Context, every time.Duration) {
	defer close(s.swept)
	t := time.NewTicker(every)
	defer t.Stop()
	var release <-chan time.Time // nil: never
	if releaseMappedEvery > 0 {
		r := time.NewTicker(releaseMappedEvery)
		defer r.Stop()
		release = r.C
	}
	var flush <-chan time.Time // nil: no small write to flush
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.flushKick:
			if flush == nil {
				flush = time.After(s.flushAfter)
			}
		case <-flush:
			flush = nil
			s.flushPending()
		case <-release:
			s.releaseMapped()
		case <-t.C:
			if s.expiry > 0 {
				s.sweep(ctx)
			}
			s.prune()
		}
	}
}

// prune forgets the grants no live URL can concern, logging a failure.
func (s *Store) prune() {
	if _, err := s.pruneGrants(s.clock()); err != nil {
		s.warn("disk: pruning grants", "err", err)
	}
}

// warn logs a failure, if the Store has a logger.
func (s *Store) warn(msg string, args ...any) {
	if s.log != nil {
		s.log.Warn(msg, args...)
	}
}
