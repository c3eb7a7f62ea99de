// Package disk is the disk backend of [objstore.Store]: buckets are
// directories, and each object is one file holding its bytes followed by a
// small JSON header, so that one rename(2) replaces the data and the
// metadata together.
//
// # Layout
//
//	DIR/LOCK                              flock(2)ed while a Store has DIR open
//	DIR/index.db                          the index of every bucket's objects (bbolt)
//	DIR/tmp/                              files being written; emptied by Open
//	DIR/damaged/                          files Open could not read, set aside
//	DIR/buckets/NAME/bucket.json          the bucket's creation time
//	DIR/buckets/NAME/objects/HH/HASH.GEN  one object; HASH is hex SHA-256 of the key,
//	                                      GEN its generation (none for files written
//	                                      before the index)
//	DIR/buckets/NAME/uploads/ID/upload.json   a multipart upload: key, metadata
//	DIR/buckets/NAME/uploads/ID/part-NNNNN    one part, in the object format
//
// Every file the store writes is mode 0600 and every directory 0700,
// whatever the umask: the data is its owner's alone. Open tightens what an
// earlier version or a hand left wider.
//
// Bucket names are checked by [objstore.CheckBucketName] before they name a
// directory, so they are always one safe path element. Keys never name
// files: an object's file is named by the SHA-256 of its key, which the
// header also holds, so any key (".." segments, "/" runs, NUL, 1024 bytes)
// maps to a fixed-shape path inside DIR. Upload ids are checked to be the
// shape this package makes before they name a directory.
//
// # Object files
//
// An object file is the object's bytes, then its header as JSON (key,
// size, ETag, modification time, part count, metadata), then the header's
// length as a 4-byte big-endian integer, then the 8-byte magic
// "PSOBJ\x00v1". The header goes last so that a body can be streamed in one
// pass and its ETag, and the checksums [objstore.PutOptions.Precommit]
// records, written once they are known.
//
// # Atomicity
//
// A write streams into a new file in DIR/tmp (same file system as the
// buckets), appends the header, fsyncs the file, renames it to the path of
// a new generation, fsyncs the directory and commits the index record
// that names it. The commit is the single step that makes the object and
// its metadata visible; until then the object that was there stays, and
// Open deletes whatever is left in DIR/tmp. A reader holds an open file descriptor, so it keeps reading
// the file it opened after the object is replaced or deleted. Bucket and
// upload directories are likewise built in DIR/tmp and renamed into
// place, and removed by renaming them into DIR/tmp first.
//
// # Abandoned uploads
//
// A multipart upload older than [Options.MultipartExpiry] (by default
// [DefaultMultipartExpiry]) is gone: from that moment no call sees it, and
// a sweep at Open and every hour after removes its directory, with the same
// rename into DIR/tmp that AbortMultipartUpload makes, so that an upload is
// never seen half removed.
//
// # Index
//
// Which objects exist, and what a listing shows of them, is kept in
// DIR/index.db (see index.go for its invariant with the files), so that
// Open reads nothing per object and memory does not grow with their
// number. An object's file is named by the SHA-256 of its key and a
// generation, objects/HH/HASH.GEN, new for each write; the index record
// names the generation that is visible.
package disk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"

	"github.com/presign-dev/presign/objstore"
)

var _ objstore.Store = (*Store)(nil)

// Names of the files and directories in a data directory.
const (
	lockName    = "LOCK"
	tmpName     = "tmp"
	damagedName = "damaged"
	bucketsName = "buckets"
	bucketFile  = "bucket.json"
	objectsName = "objects"
	uploadsName = "uploads"
	uploadFile  = "upload.json"
)

// Modes of everything the store makes under its directory, whatever the
// umask: readable and writable by the owner alone.
const (
	fileMode fs.FileMode = 0o600
	dirMode  fs.FileMode = 0o700
)

// Store is an [objstore.Store] on a local directory. It is safe for
// concurrent use. Only one Store at a time, in any process, may have a
// directory open.
type Store struct {
	dir, tmp string
	lock     *os.File
	clock    func() time.Time
	expiry   time.Duration // 0: uploads never expire
	log      *slog.Logger

	// stopSweep ends the sweep goroutine, which closes swept when done.
	stopSweep context.CancelFunc
	swept     chan struct{}
	// flushKick wakes the flusher of pending entries (see pending.go),
	// which flushes them flushAfter later.
	flushKick  chan struct{}
	flushAfter time.Duration
	// mappedPages counts the index pages reads touched since their
	// mappings were last released (see mapped_linux.go).
	mappedPages atomic.Int64

	// db is the index; commits runs its object writes.
	db      *bolt.DB
	commits *committer
	// grants is the in-memory part of the grant state (grants.go).
	grants grantState

	mu      sync.RWMutex
	buckets map[string]*bucket
}

// Options configure a Store; the zero value is the defaults.
type Options struct {
	// Now is the clock: the time objects are written and uploads begin, and
	// against which uploads expire. Nil means time.Now.
	Now func() time.Time
	// MultipartExpiry is how long a multipart upload may stay neither
	// completed nor aborted, counted from its initiation, like S3's
	// lifecycle rule AbortIncompleteMultipartUpload (DaysAfterInitiation).
	// An upload that old is treated as aborted: ListUploads omits it, the
	// calls that name it answer objstore.ErrNoSuchUpload, and its parts are
	// removed. Zero means [DefaultMultipartExpiry]; negative means uploads
	// never expire.
	MultipartExpiry time.Duration
	// Logger receives a line for each upload expired and for each failed
	// sweep. Nil means no logging.
	Logger *slog.Logger

	// sweepEvery is how often expired uploads are removed; 0 means
	// sweepInterval. Tests set it.
	sweepEvery time.Duration
	// flushDelay is how long after a small write its file is synced; 0
	// means the constant flushDelay. Tests set it.
	flushDelay time.Duration
}

// DefaultMultipartExpiry is the default [Options.MultipartExpiry]: 7 days.
// It is the figure AWS's own lifecycle examples give for
// AbortIncompleteMultipartUpload, and the longest a SigV4 presigned URL can
// live (X-Amz-Expires is at most 604800 seconds), so that no part URL
// issued when an upload began outlives it; an upload still open after a
// week is, in practice, abandoned, and its parts only take up disk.
const DefaultMultipartExpiry = 7 * 24 * time.Hour

// sweepInterval is how often a Store removes expired uploads, after the
// sweep at Open.
const sweepInterval = time.Hour

// bucket is an open bucket: its directory.
type bucket struct {
	name    string
	dir     string
	created time.Time

	// mu guards deleted. A write holds it for reading from placing its
	// file until its index commit; DeleteBucket and Check hold it for
	// writing, so that they never see a file placed and not yet committed.
	mu      sync.RWMutex
	deleted bool
}

// entry is the index record of an object: what a listing shows of it, and
// the generation of its file.
type entry struct {
	key          string
	gen          string
	size         int64
	etag         string
	modified     time.Time
	parts        int
	storageClass string
	checksums    map[string]string
	checksumType string
}

// bucketRecord is the content of bucket.json.
type bucketRecord struct {
	Created time.Time `json:"created"`
}

// Open opens the data directory dir with the default [Options]; see
// [OpenWith].
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith opens the data directory dir, creating it if need be. It takes
// an exclusive lock on the directory (an error if another Store holds it),
// deletes temporary files that interrupted writes left behind, sets aside
// files it cannot read into dir/damaged, tightens to 0600 and 0700 the
// modes of the files and directories that are the store's (dir itself
// included, unless it belongs to someone else), loads the index of every
// bucket, and removes the multipart uploads that have expired. Unless
// uploads never expire, it then removes expired uploads every hour, in a
// goroutine that Close stops. Close releases the directory.
func OpenWith(dir string, opts Options) (*Store, error) {
	dir = filepath.Clean(dir)
	s := &Store{dir: dir, tmp: filepath.Join(dir, tmpName), buckets: map[string]*bucket{},
		clock: opts.Now, expiry: opts.MultipartExpiry, log: opts.Logger, flushKick: make(chan struct{}, 1), flushAfter: opts.flushDelay}
	if s.flushAfter <= 0 {
		s.flushAfter = flushDelay
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	switch {
	case s.expiry == 0:
		s.expiry = DefaultMultipartExpiry
	case s.expiry < 0:
		s.expiry = 0
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	// The directory may be a mount point or made by someone else for us;
	// what it holds is ours either way.
	if err := tighten(dir); err != nil && !errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	for _, d := range []string{s.tmp, filepath.Join(dir, bucketsName)} {
		if err := mkdir(d); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("disk: open: %w", err)
		}
		if err := tighten(d); err != nil {
			return nil, fmt.Errorf("disk: open: %w", err)
		}
	}
	lock, err := lockFile(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("disk: open %s: %w", dir, err)
	}
	s.lock = lock
	if err := s.load(); err != nil {
		lock.Close()
		return nil, err
	}
	if s.expiry > 0 {
		s.sweep(context.Background())
	}
	s.prune()
	every := opts.sweepEvery
	if every <= 0 {
		every = sweepInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweep, s.swept = cancel, make(chan struct{})
	go s.sweepLoop(ctx, every)
	return s, nil
}

// Close stops the sweep of expired uploads, waiting for one under way to
// end, syncs the files of small objects not synced yet (see pending.go),
// and releases the data directory. The Store must not be used after.
func (s *Store) Close() error {
	if s.stopSweep != nil {
		s.stopSweep()
		<-s.swept
	}
	s.mu.RLock()
	open := s.lock != nil
	s.mu.RUnlock()
	if open {
		s.flushPending() // (it takes s.mu)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil
	}
	s.commits.stop()
	err := s.db.Close()
	if lerr := s.lock.Close(); err == nil {
		err = lerr
	}
	s.lock = nil
	return err
}

// load empties tmp, opens the index and reads every bucket: its record
// and its uploads, and its objects only if the index has not been built.
func (s *Store) load() error {
	tmps, err := os.ReadDir(s.tmp)
	if err != nil {
		return fmt.Errorf("disk: open: %w", err)
	}
	for _, e := range tmps {
		if err := os.RemoveAll(filepath.Join(s.tmp, e.Name())); err != nil {
			return fmt.Errorf("disk: open: removing temporary data: %w", err)
		}
	}
	db, build, err := openIndex(s.dir)
	if err != nil {
		return err
	}
	s.db, s.commits = db, newCommitter(db)
	root := filepath.Join(s.dir, bucketsName)
	dirs, err := os.ReadDir(root)
	if err != nil {
		s.commits.stop()
		db.Close()
		return fmt.Errorf("disk: open: %w", err)
	}
	err = s.loadBuckets(root, dirs, build)
	if err == nil {
		err = s.restorePending()
	}
	if err == nil {
		err = s.loadGrants()
	}
	if err != nil {
		s.commits.stop()
		db.Close()
		return err
	}
	return nil
}

// loadBuckets reads the bucket directories dirs of root at Open, building
// the index of those that need it (all of them if build is set), and
// drops the index of buckets whose directory is gone.
func (s *Store) loadBuckets(root string, dirs []fs.DirEntry, build bool) error {
	for _, d := range dirs {
		path := filepath.Join(root, d.Name())
		if !d.IsDir() || objstore.CheckBucketName(d.Name()) != nil {
			if err := s.setAside(path); err != nil {
				return err
			}
			continue
		}
		var rec bucketRecord
		if err := readJSON(filepath.Join(path, bucketFile), &rec); err != nil {
			if err := s.setAside(path); err != nil {
				return err
			}
			continue
		}
		for _, p := range []string{path, filepath.Join(path, bucketFile), filepath.Join(path, objectsName), filepath.Join(path, uploadsName)} {
			if err := tighten(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("disk: open: %w", err)
			}
		}
		b := &bucket{name: d.Name(), dir: path, created: rec.Created}
		if err := s.loadFanOut(b); err != nil {
			return err
		}
		if build || !s.indexed(b) {
			if err := s.buildIndex(b); err != nil {
				return err
			}
		}
		if err := s.loadUploads(b); err != nil {
			return err
		}
		s.buckets[b.name] = b
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		var gone [][]byte
		err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if n, ok := strings.CutPrefix(string(name), "objects/"); ok && s.buckets[n] == nil {
				gone = append(gone, name) // DeleteBucket cut short
			}
			return nil
		})
		for _, name := range gone {
			if err == nil {
				err = tx.DeleteBucket(name)
			}
			if err == nil {
				err = dropBucketConfigs(tx, strings.TrimPrefix(string(name), "objects/"))
			}
		}
		if err == nil && build {
			err = tx.Bucket(metaBucket).Put(builtKey, []byte{1})
		}
		if err != nil {
			return fmt.Errorf("disk: open: index: %w", err)
		}
		return nil
	})
}

// indexed reports whether the index has the records of b.
func (s *Store) indexed(b *bucket) bool {
	ok := false
	s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(indexBucket(b.name)) != nil
		return nil
	})
	return ok
}

// loadFanOut tightens the modes of the fan-out directories of b at Open,
// which keep everyone else out of the object files, without reading the
// files.
func (s *Store) loadFanOut(b *bucket) error {
	objects := filepath.Join(b.dir, objectsName)
	ents, err := readOpenDir(objects)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := tighten(filepath.Join(objects, e.Name())); err != nil {
			return fmt.Errorf("disk: open: %w", err)
		}
	}
	return nil
}

// readOpenDir lists the directory dir at Open: nothing if it does not
// exist.
func readOpenDir(dir string) ([]fs.DirEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	return ents, nil
}

// loadDirs walks, at Open, a directory of directories, parent (none if it
// does not exist): a file, or a directory whose path and name valid
// refuses, is set aside into damaged; each other directory has its mode
// tightened and is handed to load with its entries.
func (s *Store) loadDirs(parent string, valid func(dir, name string) bool, load func(dir string, files []fs.DirEntry) error) error {
	ents, err := readOpenDir(parent)
	if err != nil {
		return err
	}
	for _, e := range ents {
		dir := filepath.Join(parent, e.Name())
		if !e.IsDir() || !valid(dir, e.Name()) {
			if err := s.setAside(dir); err != nil {
				return err
			}
			continue
		}
		if err := tighten(dir); err != nil {
			return fmt.Errorf("disk: open: %w", err)
		}
		files, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("disk: open: %w", err)
		}
		if err := load(dir, files); err != nil {
			return err
		}
	}
	return nil
}

// setAside moves a file or directory Open cannot make sense of into
// dir/damaged, so that it neither breaks the store nor is lost, and
// tightens the modes of what it moved.
func (s *Store) setAside(path string) error {
	damaged := filepath.Join(s.dir, damagedName)
	if err := mkdir(damaged); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("disk: open: %w", err)
	}
	if err := tighten(damaged); err != nil {
		return fmt.Errorf("disk: open: %w", err)
	}
	rel, _ := filepath.Rel(s.dir, path)
	name := strings.ReplaceAll(rel, string(filepath.Separator), "_") + "." + randomHex(4)
	aside := filepath.Join(damaged, name)
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("disk: open: setting aside %s: %w", path, err)
	}
	err := filepath.WalkDir(aside, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return tighten(p)
	})
	if err != nil {
		return fmt.Errorf("disk: open: setting aside %s: %w", path, err)
	}
	return nil
}

// bucket returns the open bucket called name, which must be valid.
func (s *Store) bucket(name string) (*bucket, error) {
	s.mu.RLock()
	b := s.buckets[name]
	s.mu.RUnlock()
	if b == nil {
		return nil, objstore.ErrNoSuchBucket
	}
	return b, nil
}

// findBucket returns the open bucket called name, which must be valid,
// and then checks ctx: a missing bucket is reported before ctx's error.
func (s *Store) findBucket(ctx context.Context, name string) (*bucket, error) {
	b, err := s.bucket(name)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b, nil
}

// CreateBucket creates a bucket; its directory is built in tmp and renamed
// into place.
func (s *Store) CreateBucket(ctx context.Context, name string) error {
	unlock, err := s.lockBuckets(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if s.buckets[name] != nil {
		return objstore.ErrBucketExists
	}
	created := s.now()
	tmp, err := s.buildDir("bucket", bucketFile, bucketRecord{Created: created}, objectsName, uploadsName)
	if err != nil {
		return fmt.Errorf("disk: create bucket: %w", err)
	}
	if err := placeDir(tmp, filepath.Join(s.dir, bucketsName), name); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("disk: create bucket: %w", err)
	}
	// A crash before this commit leaves a directory without records, which
	// Open indexes (it is empty).
	err = s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(indexBucket(name)) != nil {
			if err := tx.DeleteBucket(indexBucket(name)); err != nil {
				return err
			}
		}
		if err := dropBucketConfigs(tx, name); err != nil {
			return err
		}
		_, err := tx.CreateBucket(indexBucket(name))
		return err
	})
	if err != nil {
		return fmt.Errorf("disk: create bucket: index: %w", err)
	}
	s.buckets[name] = &bucket{name: name, dir: filepath.Join(s.dir, bucketsName, name), created: created}
	return nil
}

// DeleteBucket removes an empty bucket with its multipart uploads.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	unlock, err := s.lockBuckets(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	b := s.buckets[name]
	if b == nil {
		return objstore.ErrNoSuchBucket
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	empty, err := s.bucketEmpty(b)
	if err != nil {
		return fmt.Errorf("disk: delete bucket: index: %w", err)
	}
	if !empty {
		return objstore.ErrBucketNotEmpty
	}
	trash := s.tmpPath("deleted")
	if err := os.Rename(b.dir, trash); err != nil {
		return fmt.Errorf("disk: delete bucket: %w", err)
	}
	b.deleted = true
	delete(s.buckets, name)
	if err := syncDir(filepath.Join(s.dir, bucketsName)); err != nil {
		return fmt.Errorf("disk: delete bucket: %w", err)
	}
	// A crash before this commit leaves records without a directory, which
	// Open drops.
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := dropBucketConfigs(tx, name); err != nil {
			return err
		}
		return tx.DeleteBucket(indexBucket(name))
	})
	if err != nil && !errors.Is(err, bolterr.ErrBucketNotFound) {
		return fmt.Errorf("disk: delete bucket: index: %w", err)
	}
	os.RemoveAll(trash) // what is left is removed at the next Open
	return nil
}

// lockBuckets checks the bucket name and ctx, in that order, and then
// locks s.mu for a change to the set of buckets; unlock unlocks it.
func (s *Store) lockBuckets(ctx context.Context, name string) (unlock func(), err error) {
	if err := objstore.CheckBucketName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	return s.mu.Unlock, nil
}

// buildDir makes a new directory in tmp (kind names it there) holding the
// JSON file name with record and the empty directories subdirs, fsyncs it
// and returns its path, for placeDir to move into place. On error nothing
// is left behind.
func (s *Store) buildDir(kind, name string, record any, subdirs ...string) (string, error) {
	tmp := s.tmpPath(kind)
	if err := mkdir(tmp); err != nil {
		return "", err
	}
	err := func() error {
		for _, d := range subdirs {
			if err := mkdir(filepath.Join(tmp, d)); err != nil {
				return err
			}
		}
		if err := writeJSONFile(filepath.Join(tmp, name), record); err != nil {
			return err
		}
		return syncDir(tmp)
	}()
	if err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return tmp, nil
}

// placeDir renames the directory tmp to parent/name, the one step that
// makes it visible, and fsyncs parent.
func placeDir(tmp, parent, name string) error {
	if err := os.Rename(tmp, filepath.Join(parent, name)); err != nil {
		return err
	}
	return syncDir(parent)
}

// HeadBucket reports whether a bucket exists.
func (s *Store) HeadBucket(ctx context.Context, name string) (objstore.BucketInfo, error) {
	if err := objstore.CheckBucketName(name); err != nil {
		return objstore.BucketInfo{}, err
	}
	b, err := s.bucket(name)
	if err != nil {
		return objstore.BucketInfo{}, err
	}
	return objstore.BucketInfo{Name: b.name, Created: b.created}, nil
}

// ListBuckets returns every bucket, sorted by name.
func (s *Store) ListBuckets(ctx context.Context) ([]objstore.BucketInfo, error) {
	s.mu.RLock()
	out := make([]objstore.BucketInfo, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, objstore.BucketInfo{Name: b.name, Created: b.created})
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(x, y objstore.BucketInfo) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// now is the time a write takes effect, by the Store's clock, in UTC,
// without a monotonic reading.
func (s *Store) now() time.Time { return s.clock().UTC() }

// keyHash names the file of the object with this key.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// tmpPath is a fresh path in tmp.
func (s *Store) tmpPath(kind string) string {
	return filepath.Join(s.tmp, kind+"-"+randomHex(12))
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// readJSON decodes the JSON file at path into v, refusing unknown fields.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return decodeJSON(data, v)
}

// decodeJSON decodes data into v, refusing unknown fields and trailing data.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("disk: trailing data after JSON")
	}
	return nil
}

// writeJSONFile writes v as JSON to a new file at path, with fileMode, and
// fsyncs it.
func writeJSONFile(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := openFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mkdir makes the directory path with dirMode, whatever the umask.
func mkdir(path string) error {
	if err := os.Mkdir(path, dirMode); err != nil {
		return err
	}
	return os.Chmod(path, dirMode)
}

// openFile opens path as os.OpenFile does with flag, and sets the file's
// mode to fileMode, whatever the umask. If it cannot, it closes the file,
// and removes it if flag has os.O_EXCL (the file is one it made).
func openFile(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag, fileMode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		if flag&os.O_EXCL != 0 {
			os.Remove(path)
		}
		return nil, err
	}
	return f, nil
}

// createTemp makes a new file, for reading and writing, at a fresh path
// in tmp (see tmpPath), with fileMode whatever the umask.
func (s *Store) createTemp(kind string) (*os.File, error) {
	return openFile(s.tmpPath(kind), os.O_RDWR|os.O_CREATE|os.O_EXCL)
}

// tighten sets the mode of the directory or regular file at path to
// dirMode or fileMode, if it is not that already. It does not follow a
// symbolic link, and leaves alone what is neither.
func tighten(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	want := fileMode
	switch {
	case st.IsDir():
		want = dirMode
	case !st.Mode().IsRegular():
		return nil
	}
	if st.Mode().Perm() == want {
		return nil
	}
	return os.Chmod(path, want)
}
