package disk

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/presign-dev/presign/objstore"
)

var _ objstore.BucketConfigs = (*Store)(nil)

// configBucket holds the buckets' configuration documents in the index,
// keyed by bucket name, NUL, document name.
var configBucket = []byte("bucketconfig")

func configKey(bucketName, name string) []byte { return []byte(bucketName + "\x00" + name) }

// PutBucketConfig stores the document name of a bucket in the index.
func (s *Store) PutBucketConfig(ctx context.Context, bucketName, name string, doc []byte) error {
	_, unlock, err := s.writeBucket(ctx, bucketName)
	if err != nil {
		return err
	}
	defer unlock()
	err = s.commits.do(func(tx *bolt.Tx) error {
		cb, err := tx.CreateBucketIfNotExists(configBucket)
		if err != nil {
			return err
		}
		return cb.Put(configKey(bucketName, name), doc)
	})
	if err != nil {
		return fmt.Errorf("disk: bucket configuration: %w", err)
	}
	return nil
}

// GetBucketConfig reads the document name of a bucket.
func (s *Store) GetBucketConfig(ctx context.Context, bucketName, name string) ([]byte, error) {
	if _, err := s.findBucket(ctx, bucketName); err != nil {
		return nil, err
	}
	var doc []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if cb := tx.Bucket(configBucket); cb != nil {
			if v := cb.Get(configKey(bucketName, name)); v != nil {
				doc = bytes.Clone(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("disk: bucket configuration: %w", err)
	}
	if doc == nil {
		return nil, objstore.ErrNoSuchConfig
	}
	return doc, nil
}

// DeleteBucketConfig removes the document name of a bucket.
func (s *Store) DeleteBucketConfig(ctx context.Context, bucketName, name string) error {
	if _, err := s.findBucket(ctx, bucketName); err != nil {
		return err
	}
	err := s.commits.do(func(tx *bolt.Tx) error {
		if cb := tx.Bucket(configBucket); cb != nil {
			return cb.Delete(configKey(bucketName, name))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("disk: bucket configuration: %w", err)
	}
	return nil
}

// dropBucketConfigs removes every document of a bucket, in tx: when the
// bucket is deleted or made anew.
func dropBucketConfigs(tx *bolt.Tx, bucketName string) error {
	cb := tx.Bucket(configBucket)
	if cb == nil {
		return nil
	}
	prefix := []byte(bucketName + "\x00")
	c := cb.Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := cb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
