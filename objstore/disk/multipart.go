package disk

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presign-dev/presign/objstore"
)

// uploadRecord is the content of upload.json.
type uploadRecord struct {
	Key       string            `json:"key"`
	Initiated time.Time         `json:"initiated"`
	Meta      objstore.Metadata `json:"meta"`
}

// uploadIDBytes is the number of random bytes in an upload id.
const uploadIDBytes = 32

// uploadIDLen is the length of an upload id: base64url of uploadIDBytes.
var uploadIDLen = base64.RawURLEncoding.EncodedLen(uploadIDBytes)

// newUploadID returns 256 random bits in unpadded base64url.
func newUploadID() string {
	b := make([]byte, uploadIDBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validUploadID reports whether id has the shape newUploadID makes, and so
// is a safe path element.
func validUploadID(id string) bool {
	if len(id) != uploadIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// partName is the file name of part n.
func partName(n int) string { return fmt.Sprintf("part-%05d", n) }

// parsePartName returns the part number a file name stands for.
func parsePartName(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "part-")
	if !ok || len(s) != 5 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= 10000
}

// uploadDir is the directory of upload id in b.
func (b *bucket) uploadDir(id string) string {
	return filepath.Join(b.dir, uploadsName, id)
}

// loadUpload returns the upload id of key in b, and its directory.
func (s *Store) loadUpload(b *bucket, key, id string) (*uploadRecord, string, error) {
	if !validUploadID(id) {
		return nil, "", objstore.ErrNoSuchUpload
	}
	dir := b.uploadDir(id)
	var rec uploadRecord
	if err := readJSON(filepath.Join(dir, uploadFile), &rec); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", objstore.ErrNoSuchUpload
		}
		return nil, "", fmt.Errorf("disk: reading upload: %w", err)
	}
	if rec.Key != key || s.expired(rec.Initiated) {
		return nil, "", objstore.ErrNoSuchUpload
	}
	return &rec, dir, nil
}

// CreateMultipartUpload builds the upload's directory in tmp and renames
// it into the bucket.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucketName, key string, meta objstore.Metadata) (string, error) {
	if err := checkObject(bucketName, key); err != nil {
		return "", err
	}
	if err := objstore.CheckMetadata(&meta); err != nil {
		return "", err
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	id := newUploadID()
	tmp := s.tmpPath("upload")
	err = func() error {
		if err := mkdir(tmp); err != nil {
			return err
		}
		rec := uploadRecord{Key: key, Initiated: s.now(), Meta: cloneMeta(meta)}
		if err := writeJSONFile(filepath.Join(tmp, uploadFile), rec); err != nil {
			return err
		}
		if err := syncDir(tmp); err != nil {
			return err
		}
		b.mu.RLock()
		defer b.mu.RUnlock()
		if b.deleted {
			return objstore.ErrNoSuchBucket
		}
		uploads := filepath.Join(b.dir, uploadsName)
		if err := os.Rename(tmp, filepath.Join(uploads, id)); err != nil {
			return err
		}
		return syncDir(uploads)
	}()
	if err != nil {
		os.RemoveAll(tmp)
		if err == objstore.ErrNoSuchBucket {
			return "", err
		}
		return "", fmt.Errorf("disk: create multipart upload: %w", err)
	}
	return id, nil
}

// UploadPart writes the part like an object, into the upload's directory.
func (s *Store) UploadPart(ctx context.Context, bucketName, key, uploadID string, partNumber int, body io.Reader, opts objstore.PutOptions) (objstore.PartInfo, error) {
	if err := checkObject(bucketName, key); err != nil {
		return objstore.PartInfo{}, err
	}
	if partNumber < 1 || partNumber > 10000 {
		return objstore.PartInfo{}, objstore.ErrInvalidArgument
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return objstore.PartInfo{}, err
	}
	_, dir, err := s.loadUpload(b, key, uploadID)
	if err != nil {
		return objstore.PartInfo{}, err
	}
	f, n, sum, err := s.spool(ctx, body, opts.Size)
	if err != nil {
		return objstore.PartInfo{}, err
	}
	committed := false
	defer func() {
		if !committed {
			discard(f)
		}
	}()
	h := &header{Key: key, Part: partNumber, Size: n, ETag: hex.EncodeToString(sum[:]), Modified: s.now()}
	if opts.Precommit != nil {
		info := h.info(bucketName)
		if err := opts.Precommit(&info); err != nil {
			return objstore.PartInfo{}, err
		}
		if err := objstore.CheckMetadata(&info.Metadata); err != nil {
			return objstore.PartInfo{}, err
		}
		h.Meta.Checksums = cloneMeta(info.Metadata).Checksums
	}
	if err := finish(f, h); err != nil {
		return objstore.PartInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return objstore.PartInfo{}, err
	}
	err = func() error {
		b.mu.RLock()
		defer b.mu.RUnlock()
		if b.deleted {
			return objstore.ErrNoSuchBucket
		}
		err := os.Rename(f.Name(), filepath.Join(dir, partName(partNumber)))
		if errors.Is(err, fs.ErrNotExist) {
			return objstore.ErrNoSuchUpload // aborted or completed meanwhile
		}
		return err
	}()
	if err == objstore.ErrNoSuchBucket || err == objstore.ErrNoSuchUpload {
		return objstore.PartInfo{}, err
	}
	if err != nil {
		return objstore.PartInfo{}, fmt.Errorf("disk: upload part: %w", err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return objstore.PartInfo{}, fmt.Errorf("disk: upload part: %w", err)
	}
	return h.partInfo(), nil
}

// partInfo is the PartInfo of a part with this header.
func (h *header) partInfo() objstore.PartInfo {
	return objstore.PartInfo{PartNumber: h.Part, ETag: h.ETag, Size: h.Size, LastModified: h.Modified, Checksums: h.Meta.Checksums}
}

// partNumbers returns the numbers of the parts in an upload directory,
// sorted.
func partNumbers(dir string) ([]int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, objstore.ErrNoSuchUpload
		}
		return nil, fmt.Errorf("disk: %w", err)
	}
	var nums []int
	for _, e := range ents {
		if n, ok := parsePartName(e.Name()); ok {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	return nums, nil
}

// ListParts reads the parts' headers from the upload's directory.
func (s *Store) ListParts(ctx context.Context, bucketName, key, uploadID string, partNumberMarker, maxParts int) ([]objstore.PartInfo, bool, error) {
	if err := checkObject(bucketName, key); err != nil {
		return nil, false, err
	}
	if partNumberMarker < 0 || maxParts < 0 {
		return nil, false, objstore.ErrInvalidArgument
	}
	if maxParts == 0 {
		maxParts = 1000
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return nil, false, err
	}
	_, dir, err := s.loadUpload(b, key, uploadID)
	if err != nil {
		return nil, false, err
	}
	nums, err := partNumbers(dir)
	if err != nil {
		return nil, false, err
	}
	var parts []objstore.PartInfo
	for _, n := range nums {
		if n <= partNumberMarker {
			continue
		}
		if len(parts) == maxParts {
			return parts, true, nil
		}
		h, err := readHeaderFile(filepath.Join(dir, partName(n)))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, false, objstore.ErrNoSuchUpload
			}
			return nil, false, fmt.Errorf("disk: reading part %d: %w", n, err)
		}
		parts = append(parts, h.partInfo())
	}
	return parts, false, nil
}

// CompleteMultipartUpload checks every listed part's header, then streams
// the parts (copy_file_range(2) where the kernel can) into one temporary
// object file, commits it like PutObject, and removes the upload.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucketName, key, uploadID string, parts []objstore.CompletedPart) (objstore.ObjectInfo, error) {
	if err := checkObject(bucketName, key); err != nil {
		return objstore.ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return objstore.ObjectInfo{}, objstore.ErrInvalidArgument
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	rec, dir, err := s.loadUpload(b, key, uploadID)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			return objstore.ObjectInfo{}, objstore.ErrInvalidPartOrder
		}
	}
	// First pass: every part exists with its ETag and size.
	etags := make([]string, len(parts))
	var size int64
	for i, p := range parts {
		if p.PartNumber < 1 || p.PartNumber > 10000 {
			return objstore.ObjectInfo{}, objstore.ErrInvalidPart
		}
		h, err := readHeaderFile(filepath.Join(dir, partName(p.PartNumber)))
		if errors.Is(err, fs.ErrNotExist) {
			return objstore.ObjectInfo{}, missingPart(dir)
		}
		if err != nil {
			return objstore.ObjectInfo{}, fmt.Errorf("disk: reading part %d: %w", p.PartNumber, err)
		}
		if !strings.EqualFold(strings.Trim(p.ETag, `"`), h.ETag) {
			return objstore.ObjectInfo{}, objstore.ErrInvalidPart
		}
		if i < len(parts)-1 && h.Size < objstore.MinPartSize {
			return objstore.ObjectInfo{}, objstore.ErrEntityTooSmall
		}
		etags[i] = h.ETag
		size += h.Size
	}
	// Second pass: copy; a part replaced meanwhile fails the completion.
	f, err := createTemp(s.tmp, "complete-*")
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("disk: complete: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			discard(f)
		}
	}()
	sums := md5.New()
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return objstore.ObjectInfo{}, err
		}
		if err := appendPart(f, filepath.Join(dir, partName(p.PartNumber)), etags[i]); err != nil {
			if err == objstore.ErrInvalidPart {
				err = missingPart(dir)
			}
			return objstore.ObjectInfo{}, err
		}
		raw, _ := hex.DecodeString(etags[i])
		sums.Write(raw)
	}
	h := &header{
		Key:      key,
		Size:     size,
		ETag:     fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(parts)),
		Modified: s.now(),
		Parts:    len(parts),
		Meta:     rec.Meta,
	}
	if err := s.commitObject(ctx, b, f, h); err != nil {
		return objstore.ObjectInfo{}, err
	}
	committed = true
	// The object is visible; end the upload. Should this fail or the
	// process die here, the upload stays and can be completed or aborted
	// again.
	s.removeUpload(dir, "completed")
	return h.info(bucketName), nil
}

// missingPart is the error for a part that is not in the upload directory
// dir: ErrInvalidPart, or ErrNoSuchUpload if the upload itself has gone
// (aborted or completed meanwhile).
func missingPart(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, uploadFile)); errors.Is(err, fs.ErrNotExist) {
		return objstore.ErrNoSuchUpload
	}
	return objstore.ErrInvalidPart
}

// appendPart copies the bytes of the part file at path to f, provided its
// ETag is still etag.
func appendPart(f *os.File, path, etag string) error {
	pf, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return objstore.ErrInvalidPart
	}
	if err != nil {
		return fmt.Errorf("disk: complete: %w", err)
	}
	defer pf.Close()
	h, err := readHeader(pf)
	if err != nil {
		return fmt.Errorf("disk: complete: %w", err)
	}
	if h.ETag != etag {
		return objstore.ErrInvalidPart
	}
	n, err := io.Copy(f, &io.LimitedReader{R: pf, N: h.Size})
	if err == nil && n != h.Size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("disk: complete: %w", err)
	}
	return nil
}

// AbortMultipartUpload moves the upload's directory into tmp and removes
// it.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucketName, key, uploadID string) error {
	if err := checkObject(bucketName, key); err != nil {
		return err
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, dir, err := s.loadUpload(b, key, uploadID)
	if err != nil {
		return err
	}
	err = s.removeUpload(dir, "aborted")
	if err != nil && err != objstore.ErrNoSuchUpload {
		return fmt.Errorf("disk: abort: %w", err)
	}
	return err
}

// removeUpload ends the upload whose directory is dir: one rename moves
// the directory into tmp (kind names it there), which is the step that
// ends the upload whole; the rename is made durable before the files are
// removed, and what a crash leaves of them in tmp is removed by the next
// Open. It is objstore.ErrNoSuchUpload if the directory has gone.
func (s *Store) removeUpload(dir, kind string) error {
	trash := s.tmpPath(kind)
	if err := os.Rename(dir, trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return objstore.ErrNoSuchUpload
		}
		return err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	os.RemoveAll(trash)
	return nil
}

// ListUploads reads every upload record of the bucket, leaving out the
// uploads that have expired.
func (s *Store) ListUploads(ctx context.Context, bucketName, prefix string) ([]objstore.Upload, error) {
	if err := objstore.CheckBucketName(bucketName); err != nil {
		return nil, err
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(b.dir, uploadsName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, objstore.ErrNoSuchBucket // deleted meanwhile
		}
		return nil, fmt.Errorf("disk: list uploads: %w", err)
	}
	var out []objstore.Upload
	for _, e := range ents {
		if !validUploadID(e.Name()) {
			continue
		}
		var rec uploadRecord
		if err := readJSON(filepath.Join(b.dir, uploadsName, e.Name(), uploadFile), &rec); err != nil {
			continue // ended meanwhile
		}
		if !strings.HasPrefix(rec.Key, prefix) || s.expired(rec.Initiated) {
			continue
		}
		out = append(out, objstore.Upload{Bucket: bucketName, Key: rec.Key, UploadID: e.Name(), Initiated: rec.Initiated, Metadata: rec.Meta})
	}
	slices.SortFunc(out, func(x, y objstore.Upload) int {
		if c := strings.Compare(x.Key, y.Key); c != 0 {
			return c
		}
		if c := x.Initiated.Compare(y.Initiated); c != 0 {
			return c
		}
		return strings.Compare(x.UploadID, y.UploadID)
	})
	return out, nil
}
