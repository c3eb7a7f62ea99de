package presign

import (
	"reflect"
	"slices"
	"strconv"
	"time"
	"unsafe"

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
// SSE-C key and Header: its S3 API name, where it goes on the wire, and the
// Input field that holds it. The table [params] is the one list of them:
// the operations' specs, the check that a set parameter applies, the fast
// path for an Input with none set and the URL's query and headers all read
// it, so that adding a parameter is a field of Input and a row here (and
// its place in the specs of the operations that take it).
//
// A row names its field; init finds the field's offset and type by
// reflection, once, and get reads it through the offset. Reading by offset
// rather than through a function value per row keeps the Input on the
// caller's stack: a function value would make every *Input escape.
type param struct {
	name   string // the S3 API name, as in ParamOrder
	query  string // the query parameter, or
	header string // the header (lower case)
	field  string // the Input field, by its Go name

	off  uintptr   // the field's offset in Input, set by init
	kind paramKind // the field's type, set by init
}

// paramKind is the Go type of a parameter's field.
type paramKind uint8

const (
	kindString   paramKind = iota + 1 // string: set when not empty
	kindInt                           // int: set when not zero
	kindInt64Ptr                      // *int64: set when not nil
	kindBoolPtr                       // *bool: set when not nil
	kindTime                          // time.Time: set when not zero
)

// params is every parameter. A name may appear twice when operations send
// it under different wire names (ChecksumAlgorithm).
var params = []*param{
	{name: "VersionId", query: "versionId", header: "", field: "VersionID"},
	{name: "PartNumber", query: "partNumber", header: "", field: "PartNumber"},
	{name: "UploadId", query: "uploadId", header: "", field: "UploadID"},
	{name: "MaxParts", query: "max-parts", header: "", field: "MaxParts"},
	{name: "PartNumberMarker", query: "part-number-marker", header: "", field: "PartNumberMarker"},
	{name: "ResponseCacheControl", query: "response-cache-control", header: "", field: "ResponseCacheControl"},
	{name: "ResponseContentDisposition", query: "response-content-disposition", header: "", field: "ResponseContentDisposition"},
	{name: "ResponseContentEncoding", query: "response-content-encoding", header: "", field: "ResponseContentEncoding"},
	{name: "ResponseContentLanguage", query: "response-content-language", header: "", field: "ResponseContentLanguage"},
	{name: "ResponseContentType", query: "response-content-type", header: "", field: "ResponseContentType"},
	{name: "ResponseExpires", query: "response-expires", header: "", field: "ResponseExpires"},
	{name: "Range", query: "", header: "range", field: "Range"},
	{name: "IfMatch", query: "", header: "if-match", field: "IfMatch"},
	{name: "IfNoneMatch", query: "", header: "if-none-match", field: "IfNoneMatch"},
	{name: "ContentType", query: "", header: "content-type", field: "ContentType"},
	{name: "ContentLength", query: "", header: "content-length", field: "ContentLength"},
	{name: "ContentMD5", query: "", header: "content-md5", field: "ContentMD5"},
	{name: "CacheControl", query: "", header: "cache-control", field: "CacheControl"},
	{name: "ContentDisposition", query: "", header: "content-disposition", field: "ContentDisposition"},
	{name: "ContentEncoding", query: "", header: "content-encoding", field: "ContentEncoding"},
	{name: "ContentLanguage", query: "", header: "content-language", field: "ContentLanguage"},
	{name: "ACL", query: "", header: "x-amz-acl", field: "ACL"},
	{name: "GrantRead", query: "", header: "x-amz-grant-read", field: "GrantRead"},
	{name: "StorageClass", query: "", header: "x-amz-storage-class", field: "StorageClass"},
	{name: "Tagging", query: "", header: "x-amz-tagging", field: "Tagging"},
	{name: "WebsiteRedirectLocation", query: "", header: "x-amz-website-redirect-location", field: "WebsiteRedirectLocation"},
	{name: "ObjectLockLegalHoldStatus", query: "", header: "x-amz-object-lock-legal-hold", field: "ObjectLockLegalHoldStatus"},
	{name: "ServerSideEncryption", query: "", header: "x-amz-server-side-encryption", field: "ServerSideEncryption"},
	{name: "SSEKMSKeyId", query: "", header: "x-amz-server-side-encryption-aws-kms-key-id", field: "SSEKMSKeyID"},
	{name: "SSEKMSEncryptionContext", query: "", header: "x-amz-server-side-encryption-context", field: "SSEKMSEncryptionContext"},
	{name: "BucketKeyEnabled", query: "", header: "x-amz-server-side-encryption-bucket-key-enabled", field: "BucketKeyEnabled"},
	{name: "SSECustomerAlgorithm", query: "", header: "x-amz-server-side-encryption-customer-algorithm", field: "SSECustomerAlgorithm"},
	{name: "ChecksumCRC32", query: "", header: "x-amz-checksum-crc32", field: "ChecksumCRC32"},
	{name: "ChecksumCRC32C", query: "", header: "x-amz-checksum-crc32c", field: "ChecksumCRC32C"},
	{name: "ChecksumCRC64NVME", query: "", header: "x-amz-checksum-crc64nvme", field: "ChecksumCRC64NVME"},
	{name: "ChecksumSHA1", query: "", header: "x-amz-checksum-sha1", field: "ChecksumSHA1"},
	{name: "ChecksumSHA256", query: "", header: "x-amz-checksum-sha256", field: "ChecksumSHA256"},
	// The checksum of an upload's body (PutObject, UploadPart) ...
	{name: "ChecksumAlgorithm", query: "", header: "x-amz-sdk-checksum-algorithm", field: "ChecksumAlgorithm"},
	// ... and of a multipart upload (CreateMultipartUpload).
	{name: "ChecksumAlgorithm", query: "", header: "x-amz-checksum-algorithm", field: "ChecksumAlgorithm"},
	{name: "ChecksumType", query: "", header: "x-amz-checksum-type", field: "ChecksumType"},
	{name: "ChecksumMode", query: "", header: "x-amz-checksum-mode", field: "ChecksumMode"},
	{name: "RequestPayer", query: "", header: "x-amz-request-payer", field: "RequestPayer"},
	{name: "ExpectedBucketOwner", query: "", header: "x-amz-expected-bucket-owner", field: "ExpectedBucketOwner"},
	{name: "MFA", query: "", header: "x-amz-mfa", field: "MFA"},
	{name: "BypassGovernanceRetention", query: "", header: "x-amz-bypass-governance-retention", field: "BypassGovernanceRetention"},
}

func init() {
	kinds := map[reflect.Type]paramKind{
		reflect.TypeFor[string](): kindString, reflect.TypeFor[int](): kindInt, reflect.TypeFor[*int64](): kindInt64Ptr,
		reflect.TypeFor[*bool](): kindBoolPtr, reflect.TypeFor[time.Time](): kindTime,
	}
	t := reflect.TypeFor[Input]()
	for _, p := range params {
		f, ok := t.FieldByName(p.field)
		if !ok || kinds[f.Type] == 0 {
			panic("presign: parameter " + p.name + " names no Input field of a known type: " + p.field)
		}
		p.off, p.kind = f.Offset, kinds[f.Type]
	}
}

// get returns the parameter's wire value in in, and whether it is set.
func (f *param) get(in *Input, p Profile) (string, bool) {
	ptr := unsafe.Add(unsafe.Pointer(in), f.off)
	switch f.kind {
	case kindString:
		v := *(*string)(ptr)
		return v, v != ""
	case kindInt:
		if v := *(*int)(ptr); v != 0 {
			return strconv.Itoa(v), true
		}
	case kindInt64Ptr:
		if v := *(**int64)(ptr); v != nil {
			return strconv.FormatInt(*v, 10), true
		}
	case kindBoolPtr:
		return boolString(*(**bool)(ptr), p)
	case kindTime:
		if v := *(*time.Time)(ptr); !v.IsZero() {
			return v.UTC().Format(time.RFC1123[:len(time.RFC1123)-3] + "GMT"), true
		}
	}
	return "", false
}

// set reports whether the parameter is set in in, without formatting it.
func (f *param) set(in *Input) bool {
	ptr := unsafe.Add(unsafe.Pointer(in), f.off)
	switch f.kind {
	case kindString:
		return *(*string)(ptr) != ""
	case kindInt:
		return *(*int)(ptr) != 0
	case kindInt64Ptr:
		return *(**int64)(ptr) != nil
	case kindBoolPtr:
		return *(**bool)(ptr) != nil
	case kindTime:
		return !(*time.Time)(ptr).IsZero()
	}
	return false
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
		if f.set(in) {
			return false
		}
	}
	return true
}
