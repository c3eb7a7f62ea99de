package presign

import (
	"errors"
	"fmt"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// InputError is the error of [New], [Client.Presign], [Client.PresignHTTP]
// and [Client.PresignPost] for a configuration or an input they refuse. It
// prints as "presign: MSG; HINT". Code that needs to tell errors apart
// uses [errors.As] and the fields, never the text.
type InputError struct {
	// Field names what is at fault: a field of the Go API, such as
	// "Region", "Endpoint", "Bucket", "Key", "Header" or "Expires", or a
	// parameter of [Input] by its S3 API name, such as "VersionId"; empty
	// when no one field is.
	Field string
	// Msg says what is wrong.
	Msg string
	// Hint says how to fix it, in terms of this package's API; may be empty.
	Hint string
	// Err is the cause, if any, such as a *[sigv4.InputError].
	Err error
}

// Error returns "presign: MSG; HINT", or "presign: MSG" without a hint.
func (e *InputError) Error() string {
	s := "presign: " + e.Msg
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(field, hint, format string, args ...any) *InputError {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// fromSigv4 takes an error of sigv4's input checks into an *InputError.
func fromSigv4(err error) error {
	var se *sigv4.InputError
	if errors.As(err, &se) {
		return &InputError{Field: se.Field, Msg: se.Msg, Err: err}
	}
	return fmt.Errorf("presign: %w", err)
}

// LifetimeError is the error for an expiry longer than temporary
// credentials allow (see [Options.CapToCredentials] and
// [Options.IgnoreCredentialLifetime]).
type LifetimeError struct {
	// Expires is the lifetime asked for.
	Expires time.Duration
	// Max is the longest the credentials allow, in whole seconds.
	Max time.Duration
	// Reason says why, such as "temporary credentials (with a session
	// token) give URLs of at most 12 hours".
	Reason string
}

// Error returns "presign: expiry EXPIRES is longer than the credentials
// allow: REASON; ask for at most MAX, or set CapToCredentials to shorten it".
func (e *LifetimeError) Error() string {
	return fmt.Sprintf("presign: expiry %v is longer than the credentials allow: %s; ask for at most %v, or set CapToCredentials to shorten it", e.Expires, e.Reason, e.Max)
}
