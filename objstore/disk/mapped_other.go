//go:build !linux

package disk

import (
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
