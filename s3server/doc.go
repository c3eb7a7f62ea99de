// Package s3server is an [http.Handler] that speaks the Amazon S3 REST API
// over an [objstore.Store], so that presigned URLs, POST forms and the real
// AWS SDKs and CLI work against local disk with no cloud account.
//
// # Operations
//
// Buckets: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
// GetBucketLocation, ListObjectsV2, ListObjects (v1), ListMultipartUploads
// and DeleteObjects. Objects: GetObject (Range, If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since, response-* overrides), HeadObject,
// PutObject, CopyObject, DeleteObject, POST object (browser form uploads
// checked with [postpolicy]), and the multipart steps CreateMultipartUpload,
// UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload
// and ListParts. Other subresources (?acl, ?tagging, ?versioning, ...) are
// answered with NotImplemented.
//
// Requests name the bucket in the path (http://127.0.0.1:9000/bucket/key)
// or in the host (http://bucket.localhost:9000/key) under one of
// [Options.BaseDomains].
//
// # Authentication
//
// Every request but a CORS preflight and a POST form is checked by a
// [sigv4.Verifier]: presigned URLs and Authorization headers. Anonymous
// requests are refused. x-amz-* parameters in a presigned URL's query
// (x-amz-meta-*, x-amz-acl, x-amz-checksum-*, x-amz-tagging, ...), which the
// JavaScript presigner moves there from the headers, count as headers.
//
// The body is checked as it streams, never buffered whole:
//
//   - a hex x-amz-content-sha256: the body's SHA-256 (XAmzContentSHA256Mismatch);
//   - UNSIGNED-PAYLOAD: nothing;
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD: aws-chunked, every chunk's
//     signature chained from the request's (SignatureDoesNotMatch);
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same, with trailing
//     headers and their x-amz-trailer-signature;
//   - STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked without signatures,
//     with a trailing checksum named by x-amz-trailer.
//
// Content-MD5 and the x-amz-checksum-* checksums (CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256), as headers, hoisted query parameters, trailers
// or form fields, are verified against the bytes (BadDigest). A body that
// fails a check fails at its end, and the store keeps nothing of it.
// Objects keep their checksum (CRC64NVME when the client sent none), and
// GetObject and HeadObject return it with x-amz-checksum-mode: ENABLED.
//
// # Responses
//
// Handlers return an error; one adapter writes it as S3's XML error body
// with S3's code and status, the request's path as Resource and its id as
// RequestId. Every response has x-amz-request-id, x-amz-id-2 and Server
// headers. CORS preflights are answered from [Options.CORS], without
// authentication, and responses expose ETag and the other headers a browser
// upload needs.
//
// Access logs go to [Options.Logger]; the signature, credential and
// security token of presigned URLs are redacted, and no header or body is
// logged.
package s3server
