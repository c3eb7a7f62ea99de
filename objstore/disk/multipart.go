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
	return n, err == nil && validPartNumber(n)
}

// validPartNumber reports whether n is a part number: 1 to 10000.
func validPartNumber(n int) bool { return 1 <= n && n <= 10000 }

// uploadDir is the directory of upload id in b.
func (b *bucket) uploadDir(id string) string {
	return filepath.Join(b.dir, uploadsName, id)
}

// upload is a multipart upload that exists and has not expired.
type upload struct {
	bucket *bucket
	dir    string // the upload's directory
	rec    uploadRecord
}

// openUpload finds the bucket called bucketName and in it the upload id of
// key (see loadUpload).
func (s *Store) openUpload(bucketName, key, id string) (*upload, error) {
	b, err := s.bucket(bucketName)
	if err != nil {
		return nil, err
	}
	return s.loadUpload(b, key, id)
}

// loadUpload returns the upload id of key in b: ErrNoSuchUpload if there is
// none, it is another key's, or it has expired.
func (s *Store) loadUpload(b *bucket, key, id string) (*upload, error) {
	if !validUploadID(id) {
		return nil, objstore.ErrNoSuchUpload
	}
	u := &upload{bucket: b, dir: b.uploadDir(id)}
	if err := readJSON(filepath.Join(u.dir, uploadFile), &u.rec); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, objstore.ErrNoSuchUpload
		}
		return nil, fmt.Errorf("disk: reading upload: %w", err)
	}
	if u.rec.Key != key || s.expired(u.rec.Initiated) {
		return nil, objstore.ErrNoSuchUpload
	}
	return u, nil
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
	b, err := s.findBucket(ctx, bucketName)
	if err != nil {
		return "", err
	}
	id := newUploadID()
	tmp, err := s.buildDir("upload", uploadFile, uploadRecord{Key: key, Initiated: s.now(), Meta: cloneMeta(meta)})
	if err != nil {
		return "", fmt.Errorf("disk: create multipart upload: %w", err)
	}
	err = func() error {
		b.mu.RLock()
		defer b.mu.RUnlock()
		if b.deleted {
			return objstore.ErrNoSuchBucket
		}
		return placeDir(tmp, filepath.Join(b.dir, uploadsName), id)
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
	if !validPartNumber(partNumber) {
		return objstore.PartInfo{}, objstore.ErrInvalidArgument
	}
	u, err := s.openUpload(bucketName, key, uploadID)
	if err != nil {
		return objstore.PartInfo{}, err
	}
	h := &header{Key: key, Part: partNumber}
	f, err := s.receive(ctx, bucketName, h, body, opts)
	if err != nil {
		return objstore.PartInfo{}, err
	}
	if err := u.commitPart(ctx, f, h); err != nil {
		return objstore.PartInfo{}, err
	}
	return h.partInfo(), nil
}

// commitPart finishes the temporary file f with h and renames it over the
// file of part h.Part of u, under the bucket's read lock, so that a
// deleted bucket gets no part. Until the rename, an error discards f.
func (u *upload) commitPart(ctx context.Context, f *os.File, h *header) error {
	if err := finish(ctx, f, h); err != nil {
		return err
	}
	err := func() error {
		u.bucket.mu.RLock()
		defer u.bucket.mu.RUnlock()
		if u.bucket.deleted {
			return objstore.ErrNoSuchBucket
		}
		err := os.Rename(f.Name(), filepath.Join(u.dir, partName(h.Part)))
		if errors.Is(err, fs.ErrNotExist) {
			return objstore.ErrNoSuchUpload // aborted or completed meanwhile
		}
		return err
	}()
	if err != nil {
		discard(f)
		if err == objstore.ErrNoSuchBucket || err == objstore.ErrNoSuchUpload {
			return err
		}
		return fmt.Errorf("disk: upload part: %w", err)
	}
	if err := syncDir(u.dir); err != nil {
		return fmt.Errorf("disk: upload part: %w", err)
	}
	return nil
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
	u, err := s.openUpload(bucketName, key, uploadID)
	if err != nil {
		return nil, false, err
	}
	nums, err := partNumbers(u.dir)
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
		h, err := readHeaderFile(filepath.Join(u.dir, partName(n)))
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
	return s.CompleteMultipartUploadIf(ctx, bucketName, key, uploadID, parts, objstore.PutOptions{})
}

// CompleteMultipartUploadIf is CompleteMultipartUpload with the write
// conditions of opts (IfNoneMatch, IfMatch), decided in the index
// transaction that makes the object visible, as for PutObject: of racing
// completions, exactly one wins. An upload refused so stays, to be
// completed again or aborted. opts.Precommit, if set, is called with the
// object's info before the commit and may set its checksums.
func (s *Store) CompleteMultipartUploadIf(ctx context.Context, bucketName, key, uploadID string, parts []objstore.CompletedPart, opts objstore.PutOptions) (objstore.ObjectInfo, error) {
	if err := checkObject(bucketName, key); err != nil {
		return objstore.ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return objstore.ObjectInfo{}, objstore.ErrInvalidArgument
	}
	u, err := s.openUpload(bucketName, key, uploadID)
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
	sizes := make([]int64, len(parts))
	var size int64
	for i, p := range parts {
		if !validPartNumber(p.PartNumber) {
			return objstore.ObjectInfo{}, objstore.ErrInvalidPart
		}
		h, err := readHeaderFile(filepath.Join(u.dir, partName(p.PartNumber)))
		if errors.Is(err, fs.ErrNotExist) {
			return objstore.ObjectInfo{}, missingPart(u.dir)
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
		etags[i], sizes[i] = h.ETag, h.Size
		size += h.Size
	}
	// Second pass: copy; a part replaced meanwhile fails the completion.
	f, err := s.createTemp("complete")
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("disk: complete: %w", err)
	}
	if err := u.appendParts(ctx, f, parts, etags); err != nil {
		discard(f)
		return objstore.ObjectInfo{}, err
	}
	sums := md5.New()
	for _, etag := range etags {
		raw, _ := hex.DecodeString(etag)
		sums.Write(raw)
	}
	h := &header{
		Key:       key,
		Size:      size,
		ETag:      fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(parts)),
		Modified:  s.now(),
		Parts:     len(parts),
		PartSizes: sizes,
		Meta:      u.rec.Meta,
	}
	h.Meta.ChecksumAlgorithm = "" // the upload's, not the object's
	if opts.Precommit != nil {
		// The caller sets the object's checksums (from its parts').
		info := h.info(bucketName)
		if err := opts.Precommit(&info); err != nil {
			discard(f)
			return objstore.ObjectInfo{}, err
		}
		h.Meta.Checksums, h.Meta.ChecksumType = cloneMeta(info.Metadata).Checksums, info.Metadata.ChecksumType
	}
	if err := s.commitObjectIf(ctx, u.bucket, f, h, opts); err != nil {
		return objstore.ObjectInfo{}, err
	}
	// The object is visible; end the upload. Should this fail or the
	// process die here, the upload stays and can be completed or aborted
	// again.
	s.removeUpload(u.dir, "completed")
	return h.info(bucketName), nil
}

// appendParts copies the listed parts of u to f, each provided its ETag is
// still the one in etags, checking ctx before each.
func (u *upload) appendParts(ctx context.Context, f *os.File, parts []objstore.CompletedPart, etags []string) error {
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := appendPart(f, filepath.Join(u.dir, partName(p.PartNumber)), etags[i]); err != nil {
			if err == objstore.ErrInvalidPart {
				err = missingPart(u.dir)
			}
			return err
		}
	}
	return nil
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
	b, err := s.findBucket(ctx, bucketName)
	if err != nil {
		return err
	}
	u, err := s.loadUpload(b, key, uploadID)
	if err != nil {
		return err
	}
	err = s.removeUpload(u.dir, "aborted")
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
	b, err := s.findBucket(ctx, bucketName)
	if err != nil {
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
