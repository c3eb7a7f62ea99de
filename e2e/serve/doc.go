// Package serve holds the end-to-end tests of "presign serve" against real
// storage: the embedded store and a real MinIO server.
//
// Each test builds the presign binary once, starts it (and MinIO) on
// ephemeral ports on 127.0.0.1, and plays a client of the URL-issuing API:
// it asks for a PUT URL, a POST form and a multipart upload, uploads with
// exactly the method, headers and fields the API returned, downloads
// through a URL from /v1/downloads, and compares the bytes. It also checks
// that storage itself refuses an upload of another content type or size
// than the one the URL was issued for.
//
// MinIO is the binary "minio" on PATH or in $(go env GOPATH)/bin, which
// scripts/install-deps.sh builds from the Go module proxy. Without it the
// MinIO test is skipped, except under CI=true, where it fails.
package serve
