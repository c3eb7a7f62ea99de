package s3server

import (
	"context"
	"errors"
	"sync"

	"github.com/presign-dev/presign/objstore"
)

// maxCachedBuckets is how many buckets a configCache holds before it
// forgets them all.
const maxCachedBuckets = 10000

// configCache caches, by bucket, a value made from one configuration
// document the store keeps (objstore.BucketConfigs): the ACLs (acl.go)
// and the CORS rules (bucketcors.go).
type configCache[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// lookup returns the value of bucket's document name, made by parse from
// the document (found false: the bucket or the document does not exist),
// or from the cache. ok is false, and nothing is cached, when the store
// keeps no documents, bucket is "", or the store failed: it is asked
// again next time.
func (c *configCache[T]) lookup(ctx context.Context, store objstore.Store, bucket, name string, parse func(doc []byte, found bool) T) (v T, ok bool) {
	bc, ok := store.(objstore.BucketConfigs)
	if !ok || bucket == "" {
		return v, false
	}
	c.mu.Lock()
	v, cached := c.m[bucket]
	c.mu.Unlock()
	if cached {
		return v, true
	}
	doc, err := bc.GetBucketConfig(ctx, bucket, name)
	switch {
	case err == nil:
		v = parse(doc, true)
	case errors.Is(err, objstore.ErrNoSuchConfig), errors.Is(err, objstore.ErrNoSuchBucket):
		v = parse(nil, false)
	default:
		return v, false
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > maxCachedBuckets {
		c.m = map[string]T{}
	}
	c.m[bucket] = v
	c.mu.Unlock()
	return v, true
}

// forget drops the cached value of bucket.
func (c *configCache[T]) forget(bucket string) {
	c.mu.Lock()
	delete(c.m, bucket)
	c.mu.Unlock()
}
