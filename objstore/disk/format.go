package disk

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/presign-dev/presign/objstore"
)

// magic ends every object and part file.
const magic = "PSOBJ\x00v1"

// tailSize is the length of what follows the header: its length and magic.
const tailSize = 4 + len(magic)

// maxHeader bounds a header's length, so a damaged file cannot make Open
// allocate much.
const maxHeader = 1 << 20

// errDamaged reports a file that is not in the object format.
var errDamaged = errors.New("disk: damaged object file")

// header is the JSON that follows the bytes of an object or part.
type header struct {
	// Key is the object's key (for a part, the key of its upload).
	Key string `json:"key"`
	// Size is the number of bytes before the header.
	Size int64 `json:"size"`
	// ETag is unquoted, as in [objstore.ObjectInfo].
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
	// Parts is the part count of a multipart object, and PartSizes the
	// size of each part, in order (for GET ?partNumber; absent in objects
	// completed before it was recorded).
	Parts     int     `json:"parts,omitempty"`
	PartSizes []int64 `json:"partSizes,omitempty"`
	// Part is the part number of a part file; 0 in an object file.
	Part int               `json:"part,omitempty"`
	Meta objstore.Metadata `json:"meta"`
}

// entry is the listing entry of an object with this header.
func (h *header) entry() *entry {
	return &entry{
		key:          h.Key,
		size:         h.Size,
		etag:         h.ETag,
		modified:     h.Modified,
		parts:        h.Parts,
		storageClass: h.Meta.StorageClass,
		checksums:    h.Meta.Checksums,
		checksumType: h.Meta.ChecksumType,
	}
}

// info is the ObjectInfo of an object with this header: a listing's
// (see entry.info), with every part size and all the metadata.
func (h *header) info(bucket string) objstore.ObjectInfo {
	info := h.entry().info(bucket)
	info.PartSizes, info.Metadata = h.PartSizes, h.Meta
	return info
}

// readHeader reads the header of the object file f.
func readHeader(f *os.File) (*header, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return parseHeader(f, st.Size())
}

// parseHeader reads the header at the end of the total bytes of f.
func parseHeader(f io.ReaderAt, total int64) (*header, error) {
	if total < int64(tailSize) {
		return nil, errDamaged
	}
	var tail [tailSize]byte
	if _, err := f.ReadAt(tail[:], total-int64(tailSize)); err != nil {
		return nil, err
	}
	if string(tail[4:]) != magic {
		return nil, errDamaged
	}
	n := int64(binary.BigEndian.Uint32(tail[:4]))
	if n > maxHeader || n > total-int64(tailSize) {
		return nil, errDamaged
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, total-int64(tailSize)-n); err != nil {
		return nil, err
	}
	h := new(header)
	if err := decodeJSON(buf, h); err != nil {
		return nil, errDamaged
	}
	if h.Size != total-int64(tailSize)-n || objstore.CheckKey(h.Key) != nil {
		return nil, errDamaged
	}
	return h, nil
}

// readHeaderFile reads the header of the object file at path.
func readHeaderFile(path string) (*header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readHeader(f)
}

// loadObjectFile reads the header of the object file at path, as Open
// does: it also sets the file's mode to fileMode if it is not that.
func loadObjectFile(path string) (*header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() && st.Mode().Perm() != fileMode {
		if err := f.Chmod(fileMode); err != nil {
			return nil, err
		}
	}
	return parseHeader(f, st.Size())
}

// appendHeader writes h after the h.Size bytes already in f.
func appendHeader(f *os.File, h *header) error {
	js, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("disk: encoding header: %w", err)
	}
	var tail [tailSize]byte
	binary.BigEndian.PutUint32(tail[:4], uint32(len(js)))
	copy(tail[4:], magic)
	if _, err := f.Write(append(js, tail[:]...)); err != nil {
		return fmt.Errorf("disk: writing header: %w", err)
	}
	return nil
}

// finish appends h to the temporary file f, fsyncs and closes it, and
// then checks ctx a last time before the rename that will make the file
// visible. On error it discards f.
func finish(ctx context.Context, f *os.File, h *header) (err error) {
	defer func() {
		if err != nil {
			discard(f)
		}
	}()
	if err := appendHeader(f, h); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("disk: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("disk: close: %w", err)
	}
	return ctx.Err()
}

// finishInline appends h to the temporary file f and closes it without
// fsyncing it, and returns the file's bytes, for a pending entry; then it
// checks ctx a last time. On error it discards f.
func finishInline(ctx context.Context, f *os.File, h *header) (data []byte, err error) {
	defer func() {
		if err != nil {
			discard(f)
		}
	}()
	if err := appendHeader(f, h); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("disk: %w", err)
	}
	data = make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("disk: reading back: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("disk: close: %w", err)
	}
	return data, ctx.Err()
}

// syncFile fsyncs the file (or directory) at path.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// discard closes and removes a temporary file that will not be committed.
func discard(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// bufSize is the size of the buffers bodies are copied through.
const bufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// spool streams body into a new temporary file, checking ctx between
// buffers, and returns the file, positioned after the body, with the
// body's length and MD5. When want is not negative the body must have
// exactly want bytes (objstore.ErrIncompleteBody). On error nothing is
// left behind, and the body's own error is returned as is.
//
// Two buffers alternate: while one is hashed by a second goroutine, the
// next is read and written, so that MD5, the slowest step, overlaps the
// I/O.
func (s *Store) spool(ctx context.Context, body io.Reader, want int64) (f *os.File, n int64, sum [md5.Size]byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, sum, err
	}
	tmp, err := s.createTemp("put")
	if err != nil {
		return nil, 0, sum, fmt.Errorf("disk: %w", err)
	}
	defer func() {
		if err != nil {
			discard(tmp)
		}
	}()
	b1, b2 := bufPool.Get().(*[]byte), bufPool.Get().(*[]byte)
	hash := md5.New()
	work, hashed := make(chan []byte), make(chan struct{})
	go func() {
		for b := range work {
			hash.Write(b)
			hashed <- struct{}{}
		}
		close(hashed)
	}()
	pending := false
	defer func() {
		if pending {
			<-hashed
		}
		close(work)
		<-hashed
		bufPool.Put(b1)
		bufPool.Put(b2)
	}()
	buf, next := *b1, *b2
	for eof := false; !eof; buf, next = next, buf {
		if err := ctx.Err(); err != nil {
			return nil, 0, sum, err
		}
		m, rerr := fill(body, buf)
		if rerr == io.EOF {
			eof = true
		} else if rerr != nil {
			return nil, 0, sum, rerr
		}
		n += int64(m)
		if want >= 0 && n > want {
			return nil, 0, sum, objstore.ErrIncompleteBody
		}
		if _, err := tmp.Write(buf[:m]); err != nil {
			return nil, 0, sum, fmt.Errorf("disk: %w", err)
		}
		if pending {
			<-hashed // next is free again
		}
		work <- buf[:m]
		pending = true
	}
	if want >= 0 && n != want {
		return nil, 0, sum, objstore.ErrIncompleteBody
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, sum, err
	}
	<-hashed
	pending = false
	hash.Sum(sum[:0])
	return tmp, n, sum, nil
}

// fill reads from r until buf is full or r fails; it returns io.EOF only
// for a clean end of r (unlike io.ReadFull, it does not turn a reader's
// own io.ErrUnexpectedEOF into a clean end).
func fill(r io.Reader, buf []byte) (int, error) {
	n, idle := 0, 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			if idle++; idle > 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// cloneMeta returns m with its maps copied, so a store never shares a
// caller's maps.
func cloneMeta(m objstore.Metadata) objstore.Metadata {
	m.User = maps.Clone(m.User)
	m.Checksums = maps.Clone(m.Checksums)
	return m
}
