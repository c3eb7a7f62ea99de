//go:build linux

package disk

import (
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMappedEvery is how often a Store drops its mappings of the index's
// pages whatever the reads (see release); writes, which do not release,
// are covered by it.
const releaseMappedEvery = time.Second

// releaseAfterPages is how many index pages reads may have touched (as
// counted by touched) before the read that passes it releases them all.
// Linux maps up to 16 pages around each page a read faults in (the
// fault-around of 64 KiB), so this bounds the index's share of the resident
// set near 256 × 64 KiB = 16 MiB, at the cost of one madvise per 256
// lookups (a few tens of microseconds) and of faulting the hot pages back.
const releaseAfterPages = 256

// touched counts pages read in tx, an estimate of the index pages a read
// touched, and releases the mapped pages once the count since the last
// release passes releaseAfterPages. tx is a read transaction the caller
// holds.
func (s *Store) touched(tx *bolt.Tx, pages int) {
	if s.mappedPages.Add(int64(pages)) < releaseAfterPages {
		return
	}
	s.mappedPages.Store(0)
	s.release(tx)
}

// releaseMapped releases the mapped pages (see release) in a read
// transaction of its own.
func (s *Store) releaseMapped() {
	s.db.View(func(tx *bolt.Tx) error {
		s.release(tx)
		return nil
	})
}

// release drops this process's page-table entries for the index's
// memory-mapped file, with madvise(MADV_DONTNEED), so that the index pages
// that listings and lookups touched stop counting in the process's
// resident set. Linux counts every mapped page in VmRSS (RssFile): without
// this a full listing of a million keys leaves most of the index (about
// 200 MiB) "resident", though it is clean page cache the kernel can
// reclaim. The pages stay in the page cache; the next read of one faults it
// back in (a minor fault, no I/O).
//
// It is safe because of two properties of bbolt's mapping. It is PROT_READ
// and MAP_SHARED (bbolt writes with pwrite, never through the mapping), so
// for such a mapping MADV_DONTNEED discards nothing: later reads see the
// file's current contents, which is what they would have seen. And the
// mapping cannot move or shrink while a read transaction is open (bbolt
// remaps only with its mmap lock held exclusively, which waits for every
// read transaction), so the range given to madvise is the index's for the
// whole call: tx must be a read transaction, held by the caller. tx.Size is
// the end of the pages in use, within the mapping.
func (s *Store) release(tx *bolt.Tx) {
	if size := uintptr(tx.Size()); size > 0 {
		syscall.Syscall(syscall.SYS_MADVISE, s.db.Info().Data, size, syscall.MADV_DONTNEED)
	}
}

// syncFS commits, with syncfs(2), every write to the file system that
// holds dir: one call instead of an fsync per file.
func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
