// Package objstore defines the storage contract of the embedded
// S3-compatible server: buckets, objects with their metadata, and multipart
// uploads, kept whole or not at all.
//
// [Store] is the contract, in MUST words; every backend runs the shared
// conformance suite in objstore/storetest. The disk backend is objstore/disk.
//
// # Division of labour
//
// The store keeps bytes and metadata. It does not authenticate, and it
// does not check what a client declared about the body (Content-MD5,
// x-amz-checksum-*, a signed payload hash): the server wraps the body in
// readers that check those as the bytes stream and fail at the end on a
// mismatch, and a failed read MUST leave nothing behind. Checks that can
// only be made at the end (a trailing checksum) run in [PutOptions.Precommit].
package objstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors a Store returns. The server maps each to its S3 error code.
var (
	ErrNoSuchBucket       = errors.New("objstore: no such bucket")
	ErrBucketExists       = errors.New("objstore: bucket already exists")
	ErrBucketNotEmpty     = errors.New("objstore: bucket is not empty")
	ErrInvalidBucketName  = errors.New("objstore: invalid bucket name")
	ErrNoSuchKey          = errors.New("objstore: no such key")
	ErrInvalidKey         = errors.New("objstore: invalid key")
	ErrNoSuchUpload       = errors.New("objstore: no such upload")
	ErrInvalidPart        = errors.New("objstore: invalid part")
	ErrInvalidPartOrder   = errors.New("objstore: parts are not in ascending order")
	ErrEntityTooSmall     = errors.New("objstore: part is smaller than the 5 MiB minimum")
	ErrInvalidRange       = errors.New("objstore: range not satisfiable")
	ErrPreconditionFailed = errors.New("objstore: precondition failed")
	// ErrIncompleteBody: the body was shorter or longer than PutOptions.Size.
	ErrIncompleteBody = errors.New("objstore: body size does not match the declared size")
	// ErrInvalidArgument: an argument outside its documented range (a part
	// number, a negative MaxKeys, a malformed continuation token, metadata
	// that is not valid UTF-8, an empty part list).
	ErrInvalidArgument = errors.New("objstore: invalid argument")
)

// Metadata is what a client sets on an object and reads back with it.
// Every string in it (map keys too) MUST be valid UTF-8; a store refuses
// other metadata with ErrInvalidArgument ([CheckMetadata]) rather than
// alter it.
type Metadata struct {
	ContentType        string `json:"contentType,omitempty"`
	ContentEncoding    string `json:"contentEncoding,omitempty"`
	ContentDisposition string `json:"contentDisposition,omitempty"`
	ContentLanguage    string `json:"contentLanguage,omitempty"`
	CacheControl       string `json:"cacheControl,omitempty"`
	Expires            string `json:"expires,omitempty"`
	// User is the x-amz-meta-* metadata, names lower case without the prefix.
	User map[string]string `json:"user,omitempty"`
	// Tagging is the URL-encoded tag set (x-amz-tagging).
	Tagging string `json:"tagging,omitempty"`
	// StorageClass is kept as given; empty means STANDARD.
	StorageClass string `json:"storageClass,omitempty"`
	// Checksums maps an algorithm ("CRC32", "CRC32C", "CRC64NVME", "SHA1",
	// "SHA256") to the base64 checksum of the whole object.
	Checksums map[string]string `json:"checksums,omitempty"`
	// ChecksumType is "FULL_OBJECT" or "COMPOSITE" for multipart checksums.
	ChecksumType string `json:"checksumType,omitempty"`
	// ChecksumAlgorithm is, for a multipart upload, the algorithm of the
	// checksum its object gets (x-amz-checksum-algorithm at creation), of
	// type ChecksumType; empty for objects.
	ChecksumAlgorithm string `json:"checksumAlgorithm,omitempty"`
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket, Key string
	// Size is the object's length in bytes.
	Size int64
	// ETag is the hex MD5 of the object, or for a multipart object the hex
	// MD5 of the parts' binary MD5s followed by "-" and the part count. It is
	// not quoted.
	ETag string
	// LastModified is when the object was written, to the second or finer.
	LastModified time.Time
	// Parts is the number of parts of a multipart object; 0 otherwise.
	Parts int
	// PartSizes are the sizes of the parts of a multipart object, in
	// order, where the store knows them (GET and HEAD ?partNumber).
	PartSizes []int64
	Metadata
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// PutOptions govern how a body is stored.
type PutOptions struct {
	// Size, when not negative, is the exact number of bytes the body must
	// have; a shorter or longer body MUST fail with ErrIncompleteBody
	// without storing anything.
	Size int64
	// Precommit, when set, MUST be called after the whole body has been
	// read and written, and before the object becomes visible, with the
	// object's info (ETag and Size filled in). When it returns an error,
	// nothing MUST become visible and that error MUST be returned as is.
	// It may change info.Metadata (to record a trailing checksum); the
	// store MUST make the object and that metadata durable together,
	// before the object becomes visible.
	Precommit func(info *ObjectInfo) error
	// IfNoneMatch, when set, MUST store the object only if the key has
	// none, and IfMatch, when not empty, only if the key's object has this
	// ETag (unquoted; ErrNoSuchKey when there is none): decided atomically
	// with the commit, so that of two racing conditional writers exactly
	// one wins. The other gets ErrPreconditionFailed and nothing stored.
	IfNoneMatch bool
	IfMatch     string
}

// Range is a byte range of an object: Start to End inclusive. A negative
// Start means the last -Start bytes (a suffix range, "bytes=-N"; End is
// then ignored, and a suffix longer than the object means all of it);
// End < 0 means to the end of the object.
//
// A range is not satisfiable (ErrInvalidRange) when it starts at or past
// the end of the object, when 0 <= End < Start, or when it is a suffix
// range on an empty object.
type Range struct {
	Start, End int64
}

// ListOptions select and page a listing.
type ListOptions struct {
	Prefix     string
	Delimiter  string
	StartAfter string
	// ContinuationToken is a token from a previous ListResult; when set,
	// StartAfter is ignored. A token the store cannot read is
	// ErrInvalidArgument.
	ContinuationToken string
	// MaxKeys is the most keys plus common prefixes to return; 0 means
	// 1000, negative is ErrInvalidArgument. The store does not cap it.
	MaxKeys int
}

// ListResult is one page of a listing.
type ListResult struct {
	// Objects have Bucket, Key, Size, ETag, LastModified, Parts,
	// StorageClass, Checksums and ChecksumType set; the rest of their
	// metadata MAY be empty (HeadObject has it).
	Objects []ObjectInfo
	// CommonPrefixes are the distinct prefixes up to and including the
	// delimiter, for keys that have the delimiter after Prefix.
	CommonPrefixes []string
	// IsTruncated is set when there are more; NextContinuationToken then
	// continues the listing.
	IsTruncated           bool
	NextContinuationToken string
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber   int
	ETag         string // hex MD5 of the part, unquoted
	Size         int64
	LastModified time.Time
	// Checksums as recorded by Precommit, if any.
	Checksums map[string]string
}

// CompletedPart names a part in CompleteMultipartUpload.
type CompletedPart struct {
	PartNumber int
	ETag       string // as the client sends it; quotes are ignored
}

// Upload describes a multipart upload in progress.
type Upload struct {
	Bucket, Key, UploadID string
	Initiated             time.Time
	Metadata              Metadata
}

// CopyInput is what [Store.CopyObject] copies, and where.
type CopyInput struct {
	// SrcBucket and SrcKey name the object to copy.
	SrcBucket, SrcKey string
	// DstBucket and DstKey name the copy; they may be the source's.
	DstBucket, DstKey string
	// Metadata, when not nil, replaces the source's metadata.
	Metadata *Metadata
}

// Store keeps buckets and objects. Implementations MUST be safe for
// concurrent use.
//
// Atomicity: PutObject, CopyObject and CompleteMultipartUpload MUST make
// the new object and its metadata visible in one step, replacing any
// previous object whole; a reader MUST see either the old object or the
// new one, never a mixture or a partial body. If the body's reader fails,
// the context is cancelled, the size does not match, Precommit fails, or
// the process dies at any point, no new object MUST become visible, and
// the store MUST NOT be left corrupt: temporary data MUST be removed, at
// the latest when the store is next opened. Concurrent writers to one key
// MUST leave exactly one of their objects, whole.
//
// Keys: any UTF-8 string of 1 to 1024 bytes MUST be storable and MUST come
// back byte for byte, including "/" runs, "." and ".." segments and leading
// slashes; no key MAY name a file outside the store's own directory. Keys
// that are empty, not valid UTF-8 or longer than 1024 bytes MUST be refused
// with ErrInvalidKey ([CheckKey]).
//
// Bucket names follow S3's rules: 3 to 63 lower-case letters, digits, dots
// and hyphens, starting and ending with a letter or digit, with no two
// adjacent dots and not formatted as an IPv4 address; others MUST be
// refused with ErrInvalidBucketName ([CheckBucketName]).
//
// Order of checks: an invalid bucket name, key or argument is reported
// before a missing bucket, and a missing bucket before a missing key or
// upload.
type Store interface {
	// CreateBucket creates a bucket; ErrBucketExists if it exists.
	CreateBucket(ctx context.Context, name string) error
	// DeleteBucket removes an empty bucket; ErrBucketNotEmpty when it holds
	// objects, ErrNoSuchBucket when there is none. Multipart uploads in
	// progress MUST be aborted with it.
	DeleteBucket(ctx context.Context, name string) error
	// HeadBucket reports whether a bucket exists (ErrNoSuchBucket if not).
	HeadBucket(ctx context.Context, name string) (BucketInfo, error)
	// ListBuckets returns every bucket, sorted by name.
	ListBuckets(ctx context.Context) ([]BucketInfo, error)

	// PutObject stores body under key, streaming it: a store MUST NOT hold a
	// whole body in memory. See the atomicity rules above.
	PutObject(ctx context.Context, bucket, key string, body io.Reader, meta Metadata, opts PutOptions) (ObjectInfo, error)
	// GetObject opens an object, or a range of it (nil for all). The
	// returned reader MUST keep reading the object that was opened even if
	// it is replaced or deleted meanwhile. ErrInvalidRange when the range
	// starts past the end; a range ending past the end is cut to it. The
	// info describes the whole object.
	GetObject(ctx context.Context, bucket, key string, rng *Range) (io.ReadCloser, ObjectInfo, error)
	// HeadObject returns an object's info.
	HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// DeleteObject removes an object; deleting a missing key is not an
	// error (S3 answers 204), but a missing bucket is.
	DeleteObject(ctx context.Context, bucket, key string) error
	// CopyObject copies an object, with in.Metadata replacing the source's
	// metadata when not nil. Source and destination may be the same. The
	// copy is a new single-part object: its ETag is the MD5 of its bytes,
	// Parts is 0 and LastModified is the time of the copy. It keeps the
	// source's full-object checksums unless meta sets Checksums (composite
	// checksums describe parts the copy does not have and are dropped).
	CopyObject(ctx context.Context, in CopyInput) (ObjectInfo, error)
	// ListObjects lists keys in UTF-8 binary order, as S3 does.
	ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	// CreateMultipartUpload starts an upload and returns its id, which MUST
	// be unguessable and safe to use in a URL. The completed object gets
	// meta. In the calls below, an upload id that is unknown, ended, or
	// started for another bucket or key is ErrNoSuchUpload. A store MAY end
	// uploads older than an age limit of its own, as S3's lifecycle rule
	// AbortIncompleteMultipartUpload does; such an upload MUST then be gone
	// for every call at once (ListUploads included), never seen in part.
	CreateMultipartUpload(ctx context.Context, bucket, key string, meta Metadata) (string, error)
	// UploadPart stores part partNumber (1 to 10000, else
	// ErrInvalidArgument), replacing a previous part of that number; the
	// same atomicity rules apply, and Precommit's checksums are kept as the
	// part's.
	UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, opts PutOptions) (PartInfo, error)
	// CompleteMultipartUpload assembles the listed parts, which MUST be in
	// strictly ascending order (ErrInvalidPartOrder) and MUST exist with
	// matching ETags (ErrInvalidPart); every part but the last MUST be at
	// least 5 MiB (ErrEntityTooSmall); an empty list is ErrInvalidArgument.
	// Parts not listed are discarded. The object becomes visible
	// atomically, with the multipart ETag, and the upload ends.
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletedPart) (ObjectInfo, error)
	// AbortMultipartUpload ends an upload and deletes its parts.
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	// ListParts lists an upload's parts in part-number order, after
	// partNumberMarker, at most maxParts (0 means 1000); truncated reports
	// whether there are more. Negative arguments are ErrInvalidArgument.
	ListParts(ctx context.Context, bucket, key, uploadID string, partNumberMarker, maxParts int) (parts []PartInfo, truncated bool, err error)
	// ListUploads lists the uploads in progress in a bucket, by key then
	// initiation time.
	ListUploads(ctx context.Context, bucket, prefix string) ([]Upload, error)
}

// MinPartSize is the smallest size of a multipart part other than the last.
const MinPartSize = 5 << 20

// ConditionalCompleter is implemented by stores that decide the write
// conditions of a CompleteMultipartUpload (If-None-Match: *, If-Match)
// atomically with the commit, as PutObject's [PutOptions] are; of opts,
// only IfNoneMatch and IfMatch are read.
type ConditionalCompleter interface {
	CompleteMultipartUploadIf(ctx context.Context, bucket, key, uploadID string, parts []CompletedPart, opts PutOptions) (ObjectInfo, error)
}
