package disk

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/presign-dev/presign/objstore"
)

// find returns the position of key in b.idx, or where it would go.
func (b *bucket) find(key string) (int, bool) {
	return slices.BinarySearchFunc(b.idx, key, func(e *entry, k string) int { return strings.Compare(e.key, k) })
}

// after returns the position of the first key in b.idx greater than key.
func (b *bucket) after(key string) int {
	i, ok := b.find(key)
	if ok {
		i++
	}
	return i
}

// set adds or replaces the entry of e.key. The caller holds b.mu.
func (b *bucket) set(e *entry) {
	if i, ok := b.find(e.key); ok {
		b.idx[i] = e
	} else {
		b.idx = slices.Insert(b.idx, i, e)
	}
}

// remove deletes the entry of key, if any. The caller holds b.mu.
func (b *bucket) remove(key string) {
	if i, ok := b.find(key); ok {
		b.idx = slices.Delete(b.idx, i, i+1)
	}
}

// ListObjects lists from the in-memory index in byte order. A continuation
// token is the base64url of the last key or common prefix returned; the
// listing resumes after it, skipping the keys a returned common prefix
// stands for.
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

	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.deleted {
		return objstore.ListResult{}, objstore.ErrNoSuchBucket
	}
	prefix, delim := opts.Prefix, opts.Delimiter
	var res objstore.ListResult
	i, _ := b.find(prefix)
	i = max(i, b.after(marker))
	count, last := 0, ""
	for i < len(b.idx) {
		e := b.idx[i]
		if !strings.HasPrefix(e.key, prefix) {
			break // keys with the prefix are contiguous
		}
		if delim != "" {
			if j := strings.Index(e.key[len(prefix):], delim); j >= 0 {
				cp := e.key[:len(prefix)+j+len(delim)]
				if cp != marker {
					if count == limit {
						res.IsTruncated = true
						break
					}
					res.CommonPrefixes = append(res.CommonPrefixes, cp)
					count, last = count+1, cp
				}
				// Skip every key the common prefix stands for.
				if next, ok := successor(cp); ok {
					i, _ = b.find(next)
				} else {
					i = len(b.idx)
				}
				continue
			}
		}
		if count == limit {
			res.IsTruncated = true
			break
		}
		res.Objects = append(res.Objects, objstore.ObjectInfo{
			Bucket:       bucketName,
			Key:          e.key,
			Size:         e.size,
			ETag:         e.etag,
			LastModified: e.modified,
			Parts:        e.parts,
			Metadata: objstore.Metadata{
				StorageClass: e.storageClass,
				Checksums:    cloneMeta(objstore.Metadata{Checksums: e.checksums}).Checksums,
				ChecksumType: e.checksumType,
			},
		})
		count, last = count+1, e.key
		i++
	}
	if res.IsTruncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	return res, nil
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
