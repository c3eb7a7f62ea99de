// Package bench compares the presign library with aws-sdk-go-v2 and
// minio-go on the same presigning work, and measures the cryptographic
// floor of a SigV4 presigned URL. It is a module of its own so that the
// peers never enter the presign module's dependencies; see README.md.
package bench
