// Package s3err defines the error codes Amazon S3 puts on the wire, the HTTP
// status each one carries, and the XML error body S3 sends.
//
// An [Error] is what every layer of presign returns when a request must be
// refused the way S3 would refuse it: the signature verifier, the POST
// policy evaluator and the embedded server all speak it, and one place (the
// server's adapter) turns it into a response with [Error.WriteXML].
package s3err

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
)

// ErrorCode is an S3 error code exactly as it appears in the <Code> element
// of an S3 error response, such as "NoSuchKey" or "SignatureDoesNotMatch".
type ErrorCode string

// The error codes presign produces. The list follows the Amazon S3 API
// Reference, "Error responses".
const (
	AccessDenied                      ErrorCode = "AccessDenied"
	AccessForbidden                   ErrorCode = "AccessForbidden"
	AuthorizationHeaderMalformed      ErrorCode = "AuthorizationHeaderMalformed"
	AuthorizationQueryParametersError ErrorCode = "AuthorizationQueryParametersError"
	BadDigest                         ErrorCode = "BadDigest"
	BadRequest                        ErrorCode = "BadRequest"
	BucketAlreadyOwnedByYou           ErrorCode = "BucketAlreadyOwnedByYou"
	BucketNotEmpty                    ErrorCode = "BucketNotEmpty"
	EntityTooLarge                    ErrorCode = "EntityTooLarge"
	EntityTooSmall                    ErrorCode = "EntityTooSmall"
	ExpiredToken                      ErrorCode = "ExpiredToken"
	IncompleteBody                    ErrorCode = "IncompleteBody"
	IllegalLocationConstraint         ErrorCode = "IllegalLocationConstraintException"
	InternalError                     ErrorCode = "InternalError"
	InvalidAccessKeyID                ErrorCode = "InvalidAccessKeyId"
	InvalidArgument                   ErrorCode = "InvalidArgument"
	InvalidBucketName                 ErrorCode = "InvalidBucketName"
	InvalidDigest                     ErrorCode = "InvalidDigest"
	InvalidPart                       ErrorCode = "InvalidPart"
	InvalidPartOrder                  ErrorCode = "InvalidPartOrder"
	InvalidPolicyDocument             ErrorCode = "InvalidPolicyDocument"
	InvalidRange                      ErrorCode = "InvalidRange"
	InvalidPartNumber                 ErrorCode = "InvalidPartNumber"
	NoSSEConfiguration                ErrorCode = "ServerSideEncryptionConfigurationNotFoundError"
	ServiceUnavailable                ErrorCode = "ServiceUnavailable"
	InvalidRequest                    ErrorCode = "InvalidRequest"
	InvalidStorageClass               ErrorCode = "InvalidStorageClass"
	InvalidToken                      ErrorCode = "InvalidToken"
	InvalidURI                        ErrorCode = "InvalidURI"
	KeyTooLongError                   ErrorCode = "KeyTooLongError"
	MalformedPOSTRequest              ErrorCode = "MalformedPOSTRequest"
	MalformedXML                      ErrorCode = "MalformedXML"
	NoSuchCORSConfiguration           ErrorCode = "NoSuchCORSConfiguration"
	MaxPostPreDataLengthExceeded      ErrorCode = "MaxPostPreDataLengthExceededError"
	MetadataTooLarge                  ErrorCode = "MetadataTooLarge"
	MethodNotAllowed                  ErrorCode = "MethodNotAllowed"
	MissingContentLength              ErrorCode = "MissingContentLength"
	MissingSecurityHeader             ErrorCode = "MissingSecurityHeader"
	NoSuchBucket                      ErrorCode = "NoSuchBucket"
	NoSuchKey                         ErrorCode = "NoSuchKey"
	NoSuchUpload                      ErrorCode = "NoSuchUpload"
	NoSuchVersion                     ErrorCode = "NoSuchVersion"
	NotImplemented                    ErrorCode = "NotImplemented"
	PreconditionFailed                ErrorCode = "PreconditionFailed"
	RequestHeaderSectionTooLarge      ErrorCode = "RequestHeaderSectionTooLarge"
	RequestTimeTooSkewed              ErrorCode = "RequestTimeTooSkewed"
	SignatureDoesNotMatch             ErrorCode = "SignatureDoesNotMatch"
	SlowDown                          ErrorCode = "SlowDown"
	XAmzContentSHA256Mismatch         ErrorCode = "XAmzContentSHA256Mismatch"
)

var statuses = map[ErrorCode]int{
	AccessDenied:                      http.StatusForbidden,
	AccessForbidden:                   http.StatusForbidden,
	AuthorizationHeaderMalformed:      http.StatusBadRequest,
	AuthorizationQueryParametersError: http.StatusBadRequest,
	BadDigest:                         http.StatusBadRequest,
	BadRequest:                        http.StatusBadRequest,
	BucketAlreadyOwnedByYou:           http.StatusConflict,
	BucketNotEmpty:                    http.StatusConflict,
	EntityTooLarge:                    http.StatusBadRequest,
	EntityTooSmall:                    http.StatusBadRequest,
	ExpiredToken:                      http.StatusBadRequest,
	IncompleteBody:                    http.StatusBadRequest,
	IllegalLocationConstraint:         http.StatusBadRequest,
	InternalError:                     http.StatusInternalServerError,
	InvalidAccessKeyID:                http.StatusForbidden,
	InvalidArgument:                   http.StatusBadRequest,
	InvalidBucketName:                 http.StatusBadRequest,
	InvalidDigest:                     http.StatusBadRequest,
	InvalidPart:                       http.StatusBadRequest,
	InvalidPartOrder:                  http.StatusBadRequest,
	InvalidPolicyDocument:             http.StatusBadRequest,
	InvalidRange:                      http.StatusRequestedRangeNotSatisfiable,
	InvalidRequest:                    http.StatusBadRequest,
	InvalidStorageClass:               http.StatusBadRequest,
	InvalidToken:                      http.StatusBadRequest,
	InvalidURI:                        http.StatusBadRequest,
	KeyTooLongError:                   http.StatusBadRequest,
	MalformedPOSTRequest:              http.StatusBadRequest,
	MalformedXML:                      http.StatusBadRequest,
	InvalidPartNumber:                 http.StatusRequestedRangeNotSatisfiable,
	NoSSEConfiguration:                http.StatusNotFound,
	ServiceUnavailable:                http.StatusServiceUnavailable,
	NoSuchCORSConfiguration:           http.StatusNotFound,
	MaxPostPreDataLengthExceeded:      http.StatusBadRequest,
	MetadataTooLarge:                  http.StatusBadRequest,
	MethodNotAllowed:                  http.StatusMethodNotAllowed,
	MissingContentLength:              http.StatusLengthRequired,
	MissingSecurityHeader:             http.StatusBadRequest,
	NoSuchBucket:                      http.StatusNotFound,
	NoSuchKey:                         http.StatusNotFound,
	NoSuchUpload:                      http.StatusNotFound,
	NoSuchVersion:                     http.StatusNotFound,
	NotImplemented:                    http.StatusNotImplemented,
	PreconditionFailed:                http.StatusPreconditionFailed,
	RequestHeaderSectionTooLarge:      http.StatusBadRequest,
	RequestTimeTooSkewed:              http.StatusForbidden,
	SignatureDoesNotMatch:             http.StatusForbidden,
	SlowDown:                          http.StatusServiceUnavailable,
	XAmzContentSHA256Mismatch:         http.StatusBadRequest,
}

// Status returns the HTTP status S3 sends with c, or 500 for a code this
// package does not know.
func (c ErrorCode) Status() int {
	return cmp.Or(statuses[c], http.StatusInternalServerError)
}

// Detail is one extra element of an S3 error body, such as <Expires> on an
// expired presigned URL or <StringToSign> on a signature mismatch.
type Detail struct {
	Name  string
	Value string
}

// Error is an S3 error: its code, its human message and the extra elements
// S3 adds for that code, in the order S3 writes them.
type Error struct {
	Code    ErrorCode
	Message string
	Details []Detail
}

// New returns an *Error with code c and the message built from format and args.
func New(c ErrorCode, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Error returns "Code: Message".
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Status returns the HTTP status of e's code.
func (e *Error) Status() int { return e.Code.Status() }

// With returns e with one more detail element appended. It modifies e.
func (e *Error) With(name, value string) *Error {
	e.Details = append(e.Details, Detail{Name: name, Value: value})
	return e
}

// Detail returns the value of the detail element called name and whether
// there is one.
func (e *Error) Detail(name string) (string, bool) {
	for _, d := range e.Details {
		if d.Name == name {
			return d.Value, true
		}
	}
	return "", false
}

// MarshalXML writes e as S3's <Error> document body.
func (e *Error) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: "Error"}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	elems := append([]Detail{{"Code", string(e.Code)}, {"Message", e.Message}}, e.Details...)
	for _, d := range elems {
		if err := enc.EncodeElement(d.Value, xml.StartElement{Name: xml.Name{Local: d.Name}}); err != nil {
			return err
		}
	}
	return enc.EncodeToken(start.End())
}

// WriteXML writes the XML declaration and e's <Error> document to w, adding
// <Resource> and <RequestId> elements when they are not empty.
func (e *Error) WriteXML(w io.Writer, resource, requestID string) error {
	out := *e
	out.Details = append([]Detail(nil), e.Details...)
	if resource != "" {
		out.Details = append(out.Details, Detail{"Resource", resource})
	}
	if requestID != "" {
		out.Details = append(out.Details, Detail{"RequestId", requestID})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	return xml.NewEncoder(w).Encode(&out)
}
