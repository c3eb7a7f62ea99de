package issuer

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
)

// Code is an API error's machine code: the "code" member of an error body,
// stable for clients to branch on. Its HTTP status is [Code.Status],
// defined in one table.
type Code string

// The API's error codes.
const (
	// CodeUnauthorized: no API key, or one that is not valid (401).
	CodeUnauthorized Code = "unauthorized"
	// CodeForbidden: the API key may not use the operation (403).
	CodeForbidden Code = "forbidden"
	// CodeRateLimited: the API key's rate limit is spent; retry shortly (429).
	CodeRateLimited Code = "rate_limited"
	// CodeSlowDown: too many large requests are being handled; retry
	// shortly (503).
	CodeSlowDown Code = "slow_down"
	// CodeUnsupportedMediaType: the request body is not JSON (415).
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	// CodeRequestTooLarge: the request body is over the service's limit (413).
	CodeRequestTooLarge Code = "request_too_large"
	// CodeInvalidJSON: the body is not one JSON object of the route's shape (400).
	CodeInvalidJSON Code = "invalid_json"
	// CodeInvalidField: a member of the body has a value the route refuses
	// (400); [Error.Field] names it.
	CodeInvalidField Code = "invalid_field"
	// CodeInvalidKey: an object key is malformed (400), or well-formed but
	// outside the API key's prefix (403; see [Error.Status]).
	CodeInvalidKey Code = "invalid_key"
	// CodeContentTypeNotAllowed: the API key may not upload that media type (415).
	CodeContentTypeNotAllowed Code = "content_type_not_allowed"
	// CodeTooLarge: the file is over the API key's size limit (413).
	CodeTooLarge Code = "too_large"
	// CodeUseMultipart: the file is too large for one PUT or POST (400).
	CodeUseMultipart Code = "use_multipart"
	// CodeNoSuchUpload: the multipart upload id is not one of the API key's
	// uploads, or storage no longer knows it (404).
	CodeNoSuchUpload Code = "no_such_upload"
	// CodeUploadExpired: the multipart upload's time is over (410).
	CodeUploadExpired Code = "upload_expired"
	// CodeInvalidParts: the parts listed to complete an upload are wrong,
	// or storage refused them (400).
	CodeInvalidParts Code = "invalid_parts"
	// CodeNotPresigned: the URL given to inspect is not a presigned URL (422).
	CodeNotPresigned Code = "not_presigned"
	// CodeStorageError: storage refused the service's request or could
	// not be reached (502).
	CodeStorageError Code = "storage_error"
	// CodeBackendTimeout: storage did not answer within the backend's
	// timeout (504).
	CodeBackendTimeout Code = "backend_timeout"
	// CodeNotReady: storage is not ready, from GET /readyz (503).
	CodeNotReady Code = "not_ready"
	// CodePresignFailed: the service could not sign: its configuration or
	// credentials are at fault (500).
	CodePresignFailed Code = "presign_failed"
	// CodeNoCredentials: the service hands no AWS credentials to
	// browsers (Companion's GET /s3/sts) (403).
	CodeNoCredentials Code = "no_credentials"
	// CodeNotFound: no route has this path (404).
	CodeNotFound Code = "not_found"
	// CodeMethodNotAllowed: the path takes other methods, listed in the
	// Allow header (405).
	CodeMethodNotAllowed Code = "method_not_allowed"
	// CodeInvalidPath: the path has '.', '..' or empty segments (400).
	CodeInvalidPath Code = "invalid_path"
	// CodeInternal: any other failure of the service (500).
	CodeInternal Code = "internal"
	// CodeGrantsUnsupported: a single-use or use-limited URL, or a
	// revocation, asked of a service whose store cannot enforce it (S3).
	CodeGrantsUnsupported Code = "grants_unsupported"
	// CodeNoSuchGrant: the grant id is not one, or not the client's.
	CodeNoSuchGrant Code = "no_such_grant"
)

// statuses is the HTTP status of each code: the one place that says it.
var statuses = map[Code]int{
	CodeUnauthorized:          http.StatusUnauthorized,
	CodeForbidden:             http.StatusForbidden,
	CodeRateLimited:           http.StatusTooManyRequests,
	CodeSlowDown:              http.StatusServiceUnavailable,
	CodeUnsupportedMediaType:  http.StatusUnsupportedMediaType,
	CodeRequestTooLarge:       http.StatusRequestEntityTooLarge,
	CodeInvalidJSON:           http.StatusBadRequest,
	CodeInvalidField:          http.StatusBadRequest,
	CodeInvalidKey:            http.StatusBadRequest,
	CodeContentTypeNotAllowed: http.StatusUnsupportedMediaType,
	CodeTooLarge:              http.StatusRequestEntityTooLarge,
	CodeUseMultipart:          http.StatusBadRequest,
	CodeNoSuchUpload:          http.StatusNotFound,
	CodeUploadExpired:         http.StatusGone,
	CodeInvalidParts:          http.StatusBadRequest,
	CodeNotPresigned:          http.StatusUnprocessableEntity,
	CodeStorageError:          http.StatusBadGateway,
	CodeBackendTimeout:        http.StatusGatewayTimeout,
	CodeNotReady:              http.StatusServiceUnavailable,
	CodePresignFailed:         http.StatusInternalServerError,
	CodeNoCredentials:         http.StatusForbidden,
	CodeNotFound:              http.StatusNotFound,
	CodeMethodNotAllowed:      http.StatusMethodNotAllowed,
	CodeInvalidPath:           http.StatusBadRequest,
	CodeInternal:              http.StatusInternalServerError,
	CodeGrantsUnsupported:     http.StatusNotImplemented,
	CodeNoSuchGrant:           http.StatusNotFound,
}

// Status returns the HTTP status of answers with code c; 500 for a code
// that is not one of the API's.
func (c Code) Status() int {
	return cmp.Or(statuses[c], http.StatusInternalServerError)
}

// Error is an API error, the shape of tailscale tsweb's HTTPError: a
// stable code, a message for the client, and, apart from both, the cause,
// which only the log sees. Handlers return it; the route adapter writes
// the body {"error": {"code", "message"[, "field"]}} with [Error.Status]
// and logs the cause, once.
type Error struct {
	// Code is the machine code; it decides the status.
	Code Code `json:"code"`
	// Message says what was refused and how to fix it, for people.
	Message string `json:"message"`
	// Field names the request member refused, for CodeInvalidField; empty
	// otherwise.
	Field string `json:"field,omitempty"`
	// Err is the cause, for the log; nil for a plain refusal, which is not
	// logged.
	Err error `json:"-"`
	// reason is the typed reason of a plain refusal, where it decides the
	// status (a *KeyError); it is not logged.
	reason error
}

// Error returns the code and the message (not the cause).
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Status returns the HTTP status of the answer: its code's
// ([Code.Status]), except that a well-formed key outside the API key's
// prefix ([ErrOutsidePrefix]) is 403 Forbidden, its code still
// invalid_key.
func (e *Error) Status() int {
	if e.Code == CodeInvalidKey && errors.Is(e.reason, ErrOutsidePrefix) {
		return http.StatusForbidden
	}
	return e.Code.Status()
}

// apiErr returns a plain refusal with code and a message.
func apiErr(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalidField returns the refusal of the request member field, with a
// message that names it.
func invalidField(field, format string, args ...any) *Error {
	e := apiErr(CodeInvalidField, format, args...)
	e.Field = field
	return e
}

// forbidden refuses an operation the API key has no right to.
func forbidden(op string) *Error {
	return apiErr(CodeForbidden, "this API key may not use %s", op)
}

// keyErr answers a key [CheckKey] refused: invalid_key with its reason,
// 403 when the key lies outside the prefix ([Error.Status]).
func keyErr(err error) *Error {
	e := &Error{Code: CodeInvalidKey, Message: err.Error(), reason: err}
	var ke *KeyError
	if errors.As(err, &ke) {
		e.Message = ke.Msg
	}
	return e
}

// withCause returns e with cause err, for the log.
func withCause(e *Error, err error) *Error {
	e.Err = err
	return e
}

// ErrOutsidePrefix is matched (errors.Is) by the error of [CheckKey] for a
// well-formed key that does not lie under the client's prefix.
var ErrOutsidePrefix = errors.New("issuer: key is outside the client's prefix")

// KeyError is why [CheckKey] refused a key.
type KeyError struct {
	// Msg says what is wrong with the key, for the client, such as
	// "key has an empty path segment ('//' or a trailing '/')".
	Msg string
	// Prefix is the client's prefix with its trailing '/', set when the
	// key is well-formed but lies outside it; the error then matches
	// [ErrOutsidePrefix].
	Prefix string
}

// Error returns the message, after the package name.
func (e *KeyError) Error() string { return "issuer: " + e.Msg }

// Is reports whether target is [ErrOutsidePrefix] and the key lies
// outside the prefix.
func (e *KeyError) Is(target error) bool { return target == ErrOutsidePrefix && e.Prefix != "" }
