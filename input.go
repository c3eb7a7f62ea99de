package presign

import (
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

// field is one parameter of an operation: where it goes on the wire.
type field struct {
	param  string // the S3 API name, as in ParamOrder
	query  string // query parameter name, or
	header string // header name (lower case)
}

// value returns the wire value of the field named param in, and whether it is set.
func (in *Input) value(param string, p Profile) (string, bool) {
	str := func(s string) (string, bool) { return s, s != "" }
	switch param {
	case "VersionId":
		return str(in.VersionID)
	case "PartNumber":
		return itoa(in.PartNumber), in.PartNumber != 0
	case "UploadId":
		return str(in.UploadID)
	case "MaxParts":
		return itoa(in.MaxParts), in.MaxParts != 0
	case "PartNumberMarker":
		return str(in.PartNumberMarker)
	case "ResponseCacheControl":
		return str(in.ResponseCacheControl)
	case "ResponseContentDisposition":
		return str(in.ResponseContentDisposition)
	case "ResponseContentEncoding":
		return str(in.ResponseContentEncoding)
	case "ResponseContentLanguage":
		return str(in.ResponseContentLanguage)
	case "ResponseContentType":
		return str(in.ResponseContentType)
	case "ResponseExpires":
		if in.ResponseExpires.IsZero() {
			return "", false
		}
		return in.ResponseExpires.UTC().Format(time.RFC1123[:len(time.RFC1123)-3] + "GMT"), true
	case "Range":
		return str(in.Range)
	case "IfMatch":
		return str(in.IfMatch)
	case "IfNoneMatch":
		return str(in.IfNoneMatch)
	case "ContentType":
		return str(in.ContentType)
	case "ContentLength":
		if in.ContentLength == nil {
			return "", false
		}
		return strconv.FormatInt(*in.ContentLength, 10), true
	case "ContentMD5":
		return str(in.ContentMD5)
	case "CacheControl":
		return str(in.CacheControl)
	case "ContentDisposition":
		return str(in.ContentDisposition)
	case "ContentEncoding":
		return str(in.ContentEncoding)
	case "ContentLanguage":
		return str(in.ContentLanguage)
	case "ACL":
		return str(in.ACL)
	case "GrantRead":
		return str(in.GrantRead)
	case "StorageClass":
		return str(in.StorageClass)
	case "Tagging":
		return str(in.Tagging)
	case "WebsiteRedirectLocation":
		return str(in.WebsiteRedirectLocation)
	case "ObjectLockLegalHoldStatus":
		return str(in.ObjectLockLegalHoldStatus)
	case "ServerSideEncryption":
		return str(in.ServerSideEncryption)
	case "SSEKMSKeyId":
		return str(in.SSEKMSKeyID)
	case "SSEKMSEncryptionContext":
		return str(in.SSEKMSEncryptionContext)
	case "BucketKeyEnabled":
		return boolString(in.BucketKeyEnabled, p)
	case "SSECustomerAlgorithm":
		return str(in.SSECustomerAlgorithm)
	case "ChecksumCRC32":
		return str(in.ChecksumCRC32)
	case "ChecksumCRC32C":
		return str(in.ChecksumCRC32C)
	case "ChecksumCRC64NVME":
		return str(in.ChecksumCRC64NVME)
	case "ChecksumSHA1":
		return str(in.ChecksumSHA1)
	case "ChecksumSHA256":
		return str(in.ChecksumSHA256)
	case "ChecksumAlgorithm":
		return str(in.ChecksumAlgorithm)
	case "ChecksumType":
		return str(in.ChecksumType)
	case "ChecksumMode":
		return str(in.ChecksumMode)
	case "RequestPayer":
		return str(in.RequestPayer)
	case "ExpectedBucketOwner":
		return str(in.ExpectedBucketOwner)
	case "MFA":
		return str(in.MFA)
	case "BypassGovernanceRetention":
		return boolString(in.BypassGovernanceRetention, p)
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

func itoa(n int) string { return strconv.Itoa(n) }

// Wire names of the parameters. Metadata and SSE-C keys are handled apart.
var (
	qVersionID            = field{"VersionId", "versionId", ""}
	qPartNumber           = field{"PartNumber", "partNumber", ""}
	qUploadID             = field{"UploadId", "uploadId", ""}
	hSSECAlgorithm        = field{"SSECustomerAlgorithm", "", "x-amz-server-side-encryption-customer-algorithm"}
	hRequestPayer         = field{"RequestPayer", "", "x-amz-request-payer"}
	hExpectedOwner        = field{"ExpectedBucketOwner", "", "x-amz-expected-bucket-owner"}
	hIfMatch              = field{"IfMatch", "", "if-match"}
	hIfNoneMatch          = field{"IfNoneMatch", "", "if-none-match"}
	hContentLength        = field{"ContentLength", "", "content-length"}
	hContentMD5           = field{"ContentMD5", "", "content-md5"}
	hChecksumAlgorithm    = field{"ChecksumAlgorithm", "", "x-amz-sdk-checksum-algorithm"}
	checksumFields        = []field{{"ChecksumCRC32", "", "x-amz-checksum-crc32"}, {"ChecksumCRC32C", "", "x-amz-checksum-crc32c"}, {"ChecksumCRC64NVME", "", "x-amz-checksum-crc64nvme"}, {"ChecksumSHA1", "", "x-amz-checksum-sha1"}, {"ChecksumSHA256", "", "x-amz-checksum-sha256"}}
	objectHeaderFields    = []field{{"ACL", "", "x-amz-acl"}, {"CacheControl", "", "cache-control"}, {"ContentDisposition", "", "content-disposition"}, {"ContentEncoding", "", "content-encoding"}, {"ContentLanguage", "", "content-language"}, {"ContentType", "", "content-type"}, {"GrantRead", "", "x-amz-grant-read"}, {"ServerSideEncryption", "", "x-amz-server-side-encryption"}, {"StorageClass", "", "x-amz-storage-class"}, {"WebsiteRedirectLocation", "", "x-amz-website-redirect-location"}, hSSECAlgorithm, {"SSEKMSKeyId", "", "x-amz-server-side-encryption-aws-kms-key-id"}, {"SSEKMSEncryptionContext", "", "x-amz-server-side-encryption-context"}, {"BucketKeyEnabled", "", "x-amz-server-side-encryption-bucket-key-enabled"}, hRequestPayer, {"Tagging", "", "x-amz-tagging"}, {"ObjectLockLegalHoldStatus", "", "x-amz-object-lock-legal-hold"}, hExpectedOwner}
	getObjectQueryFields  = []field{qPartNumber, {"ResponseCacheControl", "response-cache-control", ""}, {"ResponseContentDisposition", "response-content-disposition", ""}, {"ResponseContentEncoding", "response-content-encoding", ""}, {"ResponseContentLanguage", "response-content-language", ""}, {"ResponseContentType", "response-content-type", ""}, {"ResponseExpires", "response-expires", ""}, qVersionID}
	getObjectHeaderFields = []field{hIfMatch, hIfNoneMatch, {"Range", "", "range"}, hSSECAlgorithm, hRequestPayer, hExpectedOwner, {"ChecksumMode", "", "x-amz-checksum-mode"}}
)

// opSpec describes an operation's HTTP request.
type opSpec struct {
	method  string
	xid     bool     // the JS SDK adds x-id=<Operation>
	fixed   []string // query parameters without a value, such as "uploads"
	query   []field
	headers []field
	sseC    bool // takes SSE-C key headers
	meta    bool // takes Metadata
	// contentType is the Content-Type the JS SDK sends when none is given.
	contentType string
}

var specs = map[Operation]*opSpec{
	GetObject:  {method: "GET", xid: true, query: getObjectQueryFields, headers: getObjectHeaderFields, sseC: true},
	HeadObject: {method: "HEAD", query: getObjectQueryFields, headers: getObjectHeaderFields, sseC: true},
	PutObject: {method: "PUT", xid: true, sseC: true, meta: true, contentType: "application/octet-stream",
		headers: concat(objectHeaderFields, []field{hContentLength, hContentMD5, hChecksumAlgorithm, hIfMatch, hIfNoneMatch}, checksumFields)},
	DeleteObject: {method: "DELETE", xid: true, query: []field{qVersionID},
		headers: []field{{"MFA", "", "x-amz-mfa"}, hRequestPayer, {"BypassGovernanceRetention", "", "x-amz-bypass-governance-retention"}, hExpectedOwner, hIfMatch}},
	CreateMultipartUpload: {method: "POST", fixed: []string{"uploads"}, sseC: true, meta: true,
		headers: concat(objectHeaderFields, []field{{"ChecksumAlgorithm", "", "x-amz-checksum-algorithm"}, {"ChecksumType", "", "x-amz-checksum-type"}})},
	UploadPart: {method: "PUT", xid: true, query: []field{qPartNumber, qUploadID}, sseC: true, contentType: "application/octet-stream",
		headers: concat([]field{hContentLength, hContentMD5, hChecksumAlgorithm, hSSECAlgorithm, hRequestPayer, hExpectedOwner}, checksumFields)},
	CompleteMultipartUpload: {method: "POST", query: []field{qUploadID}, sseC: true, contentType: "application/xml",
		headers: concat([]field{{"ChecksumType", "", "x-amz-checksum-type"}, hSSECAlgorithm, hRequestPayer, hExpectedOwner, hIfMatch, hIfNoneMatch}, checksumFields)},
	AbortMultipartUpload: {method: "DELETE", xid: true, query: []field{qUploadID}, headers: []field{hRequestPayer, hExpectedOwner}},
	ListParts: {method: "GET", xid: true, query: []field{{"MaxParts", "max-parts", ""}, {"PartNumberMarker", "part-number-marker", ""}, qUploadID},
		headers: []field{hSSECAlgorithm, hRequestPayer, hExpectedOwner}, sseC: true},
}

func concat(lists ...[]field) []field {
	var out []field
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// required lists the parameters an operation cannot do without.
var required = map[Operation][]string{
	UploadPart:              {"PartNumber", "UploadId"},
	CompleteMultipartUpload: {"UploadId"},
	AbortMultipartUpload:    {"UploadId"},
	ListParts:               {"UploadId"},
}

// allParams lists every parameter name Input has besides Bucket, Key,
// Metadata and the SSE-C key, for checking that a set one applies.
var allParams = []string{"VersionId", "PartNumber", "UploadId", "MaxParts", "PartNumberMarker",
	"ResponseCacheControl", "ResponseContentDisposition", "ResponseContentEncoding", "ResponseContentLanguage",
	"ResponseContentType", "ResponseExpires", "Range", "IfMatch", "IfNoneMatch", "ContentType", "ContentLength",
	"ContentMD5", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "ACL", "GrantRead",
	"StorageClass", "Tagging", "WebsiteRedirectLocation", "ObjectLockLegalHoldStatus", "ServerSideEncryption",
	"SSEKMSKeyId", "SSEKMSEncryptionContext", "BucketKeyEnabled", "SSECustomerAlgorithm", "ChecksumCRC32",
	"ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256", "ChecksumAlgorithm", "ChecksumType",
	"ChecksumMode", "RequestPayer", "ExpectedBucketOwner", "MFA", "BypassGovernanceRetention"}

// bare reports whether in sets nothing but Bucket and Key (and ParamOrder),
// the common case, which then skips every parameter look-up.
func (in *Input) bare() bool {
	return in.VersionID == "" && in.PartNumber == 0 && in.UploadID == "" && in.MaxParts == 0 &&
		in.PartNumberMarker == "" && in.ResponseCacheControl == "" && in.ResponseContentDisposition == "" &&
		in.ResponseContentEncoding == "" && in.ResponseContentLanguage == "" && in.ResponseContentType == "" &&
		in.ResponseExpires.IsZero() && in.Range == "" && in.IfMatch == "" && in.IfNoneMatch == "" &&
		in.ContentType == "" && in.ContentLength == nil && in.ContentMD5 == "" && in.CacheControl == "" &&
		in.ContentDisposition == "" && in.ContentEncoding == "" && in.ContentLanguage == "" &&
		len(in.Metadata) == 0 && in.ACL == "" && in.GrantRead == "" && in.StorageClass == "" && in.Tagging == "" &&
		in.WebsiteRedirectLocation == "" && in.ObjectLockLegalHoldStatus == "" && in.ServerSideEncryption == "" &&
		in.SSEKMSKeyID == "" && in.SSEKMSEncryptionContext == "" && in.BucketKeyEnabled == nil &&
		in.SSECustomerAlgorithm == "" && in.SSECustomerKey == "" && in.SSECustomerKeyMD5 == "" &&
		in.ChecksumCRC32 == "" && in.ChecksumCRC32C == "" && in.ChecksumCRC64NVME == "" && in.ChecksumSHA1 == "" &&
		in.ChecksumSHA256 == "" && in.ChecksumAlgorithm == "" && in.ChecksumType == "" && in.ChecksumMode == "" &&
		in.RequestPayer == "" && in.ExpectedBucketOwner == "" && in.MFA == "" && in.BypassGovernanceRetention == nil &&
		len(in.Header) == 0
}
