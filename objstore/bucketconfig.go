package objstore

import (
	"context"
	"errors"
)

// ErrNoSuchConfig reports a bucket configuration that was never set.
var ErrNoSuchConfig = errors.New("objstore: no such bucket configuration")

// BucketConfigs is implemented by stores that keep configuration
// documents per bucket for the S3 API (its CORS rules, say), durably and
// with the bucket: deleting the bucket deletes them.
type BucketConfigs interface {
	// PutBucketConfig sets the document called name of bucket.
	PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error
	// GetBucketConfig returns it, or ErrNoSuchConfig.
	GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error)
	// DeleteBucketConfig removes it; removing one never set is no error.
	DeleteBucketConfig(ctx context.Context, bucket, name string) error
}
