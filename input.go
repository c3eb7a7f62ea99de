package presign

import (
	"slices"
	"strconv"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// Operation is an S3 API operation that can be presigned.
type Operation string

// The operations presign knows. Their names are the S3 API's.
const (
	GetObject               Operation = "GetObject"
	HeadObject              Operation = "HeadObject"
	PutObject               Operation = "PutObject"
	DeleteObject            Operation = "DeleteObject"
	CreateMultipartUpload   Operation = "CreateMultipartUpload"
	UploadPart              Operation = "UploadPart"
	CompleteMultipartUpload Operation = "CompleteMultipartUpload"
	AbortMultipartUpload    Operation = "AbortMultipartUpload"
	ListParts               Operation = "ListParts"
)

// Operations lists every [Operation], in the order above.
var Operations = []Operation{GetObject, HeadObject, PutObject, DeleteObject, CreateMultipartUpload,
	UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts}

// Input holds the parameters of an operation, named as in the S3 API. Only
// Bucket and Key are always required; setting a field the operation does
// not take is an error that names it.
type Input struct {
	// Bucket is the bucket name. Required.
	Bucket string
	// Key is the object key, any UTF-8 of up to 1024 bytes. Required.
	Key string

	// VersionID selects an object version (GetObject, HeadObject, DeleteObject).
	VersionID string
	// PartNumber is the part to read (GetObject, HeadObject) or upload (UploadPart).
	PartNumber int
	// UploadID names a multipart upload (UploadPart, CompleteMultipartUpload,
	// AbortMultipartUpload, ListParts).
	UploadID string
	// MaxParts and PartNumberMarker page a ListParts.
	MaxParts         int
	PartNumberMarker string

	// Response header overrides of GetObject and HeadObject: the
	// response-* query parameters.
	ResponseCacheControl       string
	ResponseContentDisposition string
	ResponseContentEncoding    string
	ResponseContentLanguage    string
	ResponseContentType        string
	ResponseExpires            time.Time

	// Conditional and range headers of GetObject and HeadObject (IfMatch and
	// IfNoneMatch also on PutObject).
	Range       string
	IfMatch     string
	IfNoneMatch string

	// Object headers of PutObject (and CreateMultipartUpload, except the
	// Content-Length and Content-MD5; UploadPart takes those two).
	ContentType        string
	ContentLength      *int64
	ContentMD5         string
	CacheControl       string
	ContentDisposition string
	ContentEncoding    string
	ContentLanguage    string
	// Metadata becomes x-amz-meta-* headers; names are case-insensitive.
	Metadata                map[string]string
	ACL                     string
	GrantRead               string
	StorageClass            string
	Tagging                 string
	WebsiteRedirectLocation string
	// ObjectLockLegalHoldStatus is "ON" or "OFF".
	ObjectLockLegalHoldStatus string

	// Server-side encryption: "AES256", "aws:kms" or "aws:kms:dsse".
	ServerSideEncryption string
	// SSEKMSKeyID is the KMS key id or ARN with aws:kms.
	SSEKMSKeyID string
	// SSEKMSEncryptionContext is the base64 JSON encryption context.
	SSEKMSEncryptionContext string
	// BucketKeyEnabled asks for an S3 Bucket Key with aws:kms.
	BucketKeyEnabled *bool
	// SSE-C: the algorithm ("AES256") and the 32-byte key, raw; its base64
	// form and MD5 are computed unless SSECustomerKeyMD5 is given.
	SSECustomerAlgorithm string
	SSECustomerKey       string
	SSECustomerKeyMD5    string

	// Checksums of the body, base64, that the upload must match.
	ChecksumCRC32     string
	ChecksumCRC32C    string
	ChecksumCRC64NVME string
	ChecksumSHA1      string
	ChecksumSHA256    string
	// ChecksumAlgorithm names the checksum of a multipart upload
	// (CreateMultipartUpload) or of an upload's body (PutObject, UploadPart).
	ChecksumAlgorithm string
	// ChecksumType is "COMPOSITE" or "FULL_OBJECT" (multipart uploads).
	ChecksumType string
	// ChecksumMode "ENABLED" asks GetObject/HeadObject to return checksums.
	ChecksumMode string

	// RequestPayer "requester" acknowledges requester-pays charges.
	RequestPayer string
	// ExpectedBucketOwner is the account id the bucket must belong to.
	ExpectedBucketOwner string
	// MFA is the "serial code" of a DeleteObject on an MFA-delete bucket.
	MFA string
	// BypassGovernanceRetention lets DeleteObject bypass governance-mode locks.
	BypassGovernanceRetention *bool

	// Header holds further headers for the request, such as a custom one
	// the uploader must send. They follow the profile's rules like the
	// modelled ones: x-amz-* headers move into the query under the JS and
	// default profiles, and the others are signed (see Options).
	Header []sigv4.Param

	// ParamOrder, for the botocore profile only, is the order in which the
	// parameters were given (S3 API names such as "VersionId"): botocore
	// writes query parameters in that order. Empty means field order.
	ParamOrder []string
}

// param is one parameter of Input besides Bucket, Key, Metadata, the
// SSE-C key and Header: its S3 API name, where it goes on the wire, and how
// to read it. The table [params] is the one list of them: the operations'
// specs, the check that a set parameter applies, the fast path for an
// Input with none set and the URL's query and headers all read it, so that
// adding a parameter is a field of Input and a row here (and its place in
// the specs of the operations that take it).
type param struct {
	name   string // the S3 API name, as in ParamOrder
	query  string // the query parameter, or
	header string // the header (lower case)
	// get returns the wire value in in, and whether it is set.
	get func(in *Input, p Profile) (string, bool)
}

// str reads a string field: set when not empty.
func str(f func(*Input) string) func(*Input, Profile) (string, bool) {
	return func(in *Input, _ Profile) (string, bool) { v := f(in); return v, v != "" }
}

// num reads an int field: set when not zero.
func num(f func(*Input) int) func(*Input, Profile) (string, bool) {
	return func(in *Input, _ Profile) (string, bool) { v := f(in); return strconv.Itoa(v), v != 0 }
}

// boolean reads a *bool field: set when not nil; see boolString.
func boolean(f func(*Input) *bool) func(*Input, Profile) (string, bool) {
	return func(in *Input, p Profile) (string, bool) { return boolString(f(in), p) }
}

// params is every parameter. A name may appear twice when operations send
// it under different wire names (ChecksumAlgorithm).
var params = []*param{
	{"VersionId", "versionId", "", str(func(in *Input) string { return in.VersionID })},
	{"PartNumber", "partNumber", "", num(func(in *Input) int { return in.PartNumber })},
	{"UploadId", "uploadId", "", str(func(in *Input) string { return in.UploadID })},
	{"MaxParts", "max-parts", "", num(func(in *Input) int { return in.MaxParts })},
	{"PartNumberMarker", "part-number-marker", "", str(func(in *Input) string { return in.PartNumberMarker })},
	{"ResponseCacheControl", "response-cache-control", "", str(func(in *Input) string { return in.ResponseCacheControl })},
	{"ResponseContentDisposition", "response-content-disposition", "", str(func(in *Input) string { return in.ResponseContentDisposition })},
	{"ResponseContentEncoding", "response-content-encoding", "", str(func(in *Input) string { return in.ResponseContentEncoding })},
	{"ResponseContentLanguage", "response-content-language", "", str(func(in *Input) string { return in.ResponseContentLanguage })},
	{"ResponseContentType", "response-content-type", "", str(func(in *Input) string { return in.ResponseContentType })},
	{"ResponseExpires", "response-expires", "", func(in *Input, _ Profile) (string, bool) {
		if in.ResponseExpires.IsZero() {
			return "", false
		}
		return in.ResponseExpires.UTC().Format(time.RFC1123[:len(time.RFC1123)-3] + "GMT"), true
	}},
	{"Range", "", "range", str(func(in *Input) string { return in.Range })},
	{"IfMatch", "", "if-match", str(func(in *Input) string { return in.IfMatch })},
	{"IfNoneMatch", "", "if-none-match", str(func(in *Input) string { return in.IfNoneMatch })},
	{"ContentType", "", "content-type", str(func(in *Input) string { return in.ContentType })},
	{"ContentLength", "", "content-length", func(in *Input, _ Profile) (string, bool) {
		if in.ContentLength == nil {
			return "", false
		}
		return strconv.FormatInt(*in.ContentLength, 10), true
	}},
	{"ContentMD5", "", "content-md5", str(func(in *Input) string { return in.ContentMD5 })},
	{"CacheControl", "", "cache-control", str(func(in *Input) string { return in.CacheControl })},
	{"ContentDisposition", "", "content-disposition", str(func(in *Input) string { return in.ContentDisposition })},
	{"ContentEncoding", "", "content-encoding", str(func(in *Input) string { return in.ContentEncoding })},
	{"ContentLanguage", "", "content-language", str(func(in *Input) string { return in.ContentLanguage })},
	{"ACL", "", "x-amz-acl", str(func(in *Input) string { return in.ACL })},
	{"GrantRead", "", "x-amz-grant-read", str(func(in *Input) string { return in.GrantRead })},
	{"StorageClass", "", "x-amz-storage-class", str(func(in *Input) string { return in.StorageClass })},
	{"Tagging", "", "x-amz-tagging", str(func(in *Input) string { return in.Tagging })},
	{"WebsiteRedirectLocation", "", "x-amz-website-redirect-location", str(func(in *Input) string { return in.WebsiteRedirectLocation })},
	{"ObjectLockLegalHoldStatus", "", "x-amz-object-lock-legal-hold", str(func(in *Input) string { return in.ObjectLockLegalHoldStatus })},
	{"ServerSideEncryption", "", "x-amz-server-side-encryption", str(func(in *Input) string { return in.ServerSideEncryption })},
	{"SSEKMSKeyId", "", "x-amz-server-side-encryption-aws-kms-key-id", str(func(in *Input) string { return in.SSEKMSKeyID })},
	{"SSEKMSEncryptionContext", "", "x-amz-server-side-encryption-context", str(func(in *Input) string { return in.SSEKMSEncryptionContext })},
	{"BucketKeyEnabled", "", "x-amz-server-side-encryption-bucket-key-enabled", boolean(func(in *Input) *bool { return in.BucketKeyEnabled })},
	{"SSECustomerAlgorithm", "", "x-amz-server-side-encryption-customer-algorithm", str(func(in *Input) string { return in.SSECustomerAlgorithm })},
	{"ChecksumCRC32", "", "x-amz-checksum-crc32", str(func(in *Input) string { return in.ChecksumCRC32 })},
	{"ChecksumCRC32C", "", "x-amz-checksum-crc32c", str(func(in *Input) string { return in.ChecksumCRC32C })},
	{"ChecksumCRC64NVME", "", "x-amz-checksum-crc64nvme", str(func(in *Input) string { return in.ChecksumCRC64NVME })},
	{"ChecksumSHA1", "", "x-amz-checksum-sha1", str(func(in *Input) string { return in.ChecksumSHA1 })},
	{"ChecksumSHA256", "", "x-amz-checksum-sha256", str(func(in *Input) string { return in.ChecksumSHA256 })},
	// The checksum of an upload's body (PutObject, UploadPart) ...
	{"ChecksumAlgorithm", "", "x-amz-sdk-checksum-algorithm", str(func(in *Input) string { return in.ChecksumAlgorithm })},
	// ... and of a multipart upload (CreateMultipartUpload).
	{"ChecksumAlgorithm", "", "x-amz-checksum-algorithm", str(func(in *Input) string { return in.ChecksumAlgorithm })},
	{"ChecksumType", "", "x-amz-checksum-type", str(func(in *Input) string { return in.ChecksumType })},
	{"ChecksumMode", "", "x-amz-checksum-mode", str(func(in *Input) string { return in.ChecksumMode })},
	{"RequestPayer", "", "x-amz-request-payer", str(func(in *Input) string { return in.RequestPayer })},
	{"ExpectedBucketOwner", "", "x-amz-expected-bucket-owner", str(func(in *Input) string { return in.ExpectedBucketOwner })},
	{"MFA", "", "x-amz-mfa", str(func(in *Input) string { return in.MFA })},
	{"BypassGovernanceRetention", "", "x-amz-bypass-governance-retention", boolean(func(in *Input) *bool { return in.BypassGovernanceRetention })},
}

// wire returns the params with these wire names (query parameters or
// headers), in order, for the operations' specs.
func wire(names ...string) []*param {
	out := make([]*param, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(params, func(p *param) bool { return p.query == n || p.header == n })
		if i < 0 {
			panic("presign: no parameter goes on the wire as " + n)
		}
		out = append(out, params[i])
	}
	return out
}

// value returns the wire value of the parameter named name in in, and
// whether it is set.
func (in *Input) value(name string, p Profile) (string, bool) {
	for _, f := range params {
		if f.name == name {
			return f.get(in, p)
		}
	}
	return "", false
}

// boolString writes a boolean header the way the profile's SDK does:
// botocore 1.29 writes Python's "True".
func boolString(b *bool, p Profile) (string, bool) {
	if b == nil {
		return "", false
	}
	if p == ProfileBotocore {
		if *b {
			return "True", true
		}
		return "False", true
	}
	if *b {
		return "true", true
	}
	return "false", true
}

// Wire names the operations share.
var (
	checksumHeaders     = []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"}
	objectHeaders       = []string{"x-amz-acl", "cache-control", "content-disposition", "content-encoding", "content-language", "content-type", "x-amz-grant-read", "x-amz-server-side-encryption", "x-amz-storage-class", "x-amz-website-redirect-location", "x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-context", "x-amz-server-side-encryption-bucket-key-enabled", "x-amz-request-payer", "x-amz-tagging", "x-amz-object-lock-legal-hold", "x-amz-expected-bucket-owner"}
	getObjectQuery      = []string{"partNumber", "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language", "response-content-type", "response-expires", "versionId"}
	getObjectHeaders    = []string{"if-match", "if-none-match", "range", "x-amz-server-side-encryption-customer-algorithm", "x-amz-request-payer", "x-amz-expected-bucket-owner", "x-amz-checksum-mode"}
	uploadHeaders       = []string{"content-length", "content-md5", "x-amz-sdk-checksum-algorithm"}
	sseCPayerOwner      = []string{"x-amz-server-side-encryption-customer-algorithm", "x-amz-request-payer", "x-amz-expected-bucket-owner"}
	payerOwner          = []string{"x-amz-request-payer", "x-amz-expected-bucket-owner"}
	conditionalHeaders  = []string{"if-match", "if-none-match"}
	multipartChecksums  = []string{"x-amz-checksum-algorithm", "x-amz-checksum-type"}
	deleteObjectHeaders = []string{"x-amz-mfa", "x-amz-request-payer", "x-amz-bypass-governance-retention", "x-amz-expected-bucket-owner", "if-match"}
)

// opSpec describes an operation's HTTP request.
type opSpec struct {
	method  string
	xid     bool     // the JS SDK adds x-id=<Operation>
	fixed   []string // query parameters without a value, such as "uploads"
	query   []*param
	headers []*param
	sseC    bool // takes SSE-C key headers
	meta    bool // takes Metadata
	// contentType is the Content-Type the JS SDK sends when none is given.
	contentType string
}

var specs = map[Operation]*opSpec{
	GetObject:  {method: "GET", xid: true, query: wire(getObjectQuery...), headers: wire(getObjectHeaders...), sseC: true},
	HeadObject: {method: "HEAD", query: wire(getObjectQuery...), headers: wire(getObjectHeaders...), sseC: true},
	PutObject: {method: "PUT", xid: true, sseC: true, meta: true, contentType: "application/octet-stream",
		headers: wire(slices.Concat(objectHeaders, uploadHeaders, conditionalHeaders, checksumHeaders)...)},
	DeleteObject: {method: "DELETE", xid: true, query: wire("versionId"), headers: wire(deleteObjectHeaders...)},
	CreateMultipartUpload: {method: "POST", fixed: []string{"uploads"}, sseC: true, meta: true,
		headers: wire(slices.Concat(objectHeaders, multipartChecksums)...)},
	UploadPart: {method: "PUT", xid: true, query: wire("partNumber", "uploadId"), sseC: true, contentType: "application/octet-stream",
		headers: wire(slices.Concat(uploadHeaders, sseCPayerOwner, checksumHeaders)...)},
	CompleteMultipartUpload: {method: "POST", query: wire("uploadId"), sseC: true, contentType: "application/xml",
		headers: wire(slices.Concat([]string{"x-amz-checksum-type"}, sseCPayerOwner, conditionalHeaders, checksumHeaders)...)},
	AbortMultipartUpload: {method: "DELETE", xid: true, query: wire("uploadId"), headers: wire(payerOwner...)},
	ListParts: {method: "GET", xid: true, query: wire("max-parts", "part-number-marker", "uploadId"),
		headers: wire(sseCPayerOwner...), sseC: true},
}

// required lists the parameters an operation cannot do without.
var required = map[Operation][]string{
	UploadPart:              {"PartNumber", "UploadId"},
	CompleteMultipartUpload: {"UploadId"},
	AbortMultipartUpload:    {"UploadId"},
	ListParts:               {"UploadId"},
}

// bare reports whether in sets nothing but Bucket and Key (and ParamOrder),
// the common case, which then skips every parameter look-up.
func (in *Input) bare() bool {
	if len(in.Metadata) > 0 || in.SSECustomerKey != "" || in.SSECustomerKeyMD5 != "" || len(in.Header) > 0 {
		return false
	}
	for _, f := range params {
		if _, set := f.get(in, ProfileDefault); set {
			return false
		}
	}
	return true
}
