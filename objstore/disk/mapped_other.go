//go:build !linux

package disk

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// releaseMappedEvery is zero: only Linux counts the index's mapped pages in
// the process's resident set in a way worth undoing (see mapped_linux.go).
const releaseMappedEvery time.Duration = 0

// touched does nothing here.
func (s *Store) touched(tx *bolt.Tx, pages int) {}

// releaseMapped does nothing here.
func (s *Store) releaseMapped() {}

// syncFS is not supported here: the flusher fsyncs file by file.
func syncFS(dir string) error { return errors.ErrUnsupported }
