package presign

import (
	"fmt"
	"time"

	"github.com/presign-dev/presign/internal/inputerr"
)

// InputError is the error of [New], [Client.Presign], [Client.PresignHTTP]
// and [Client.PresignPost] for a configuration or an input they refuse. It
// prints as "presign: MSG; HINT". Code that needs to tell errors apart
// uses [errors.As] and the fields, never the text. Its fields:
//
//   - Field names what is at fault: a field of the Go API, such as
//     "Region", "Endpoint", "Bucket", "Key", "Header" or "Expires", or a
//     parameter of [Input] by its S3 API name, such as "VersionId"; empty
//     when no one field is.
//   - Msg says what is wrong.
//   - Hint says how to fix it, in terms of this package's API; may be empty.
//   - Err is the cause, if any, such as a *[sigv4.InputError], which
//     Unwrap returns.
//
// It is the one input error type of the core packages, instanced for this
// package: a *[postpolicy.InputError] has the same fields but is another
// type, and prints as "postpolicy: MSG; HINT".
type InputError = inputerr.Error[inputerr.Presign]

// inputErr returns the *InputError of field with hint and a formatted message.
var inputErr = inputerr.New[inputerr.Presign]

// fromSigv4 takes an error of sigv4's input checks into an *InputError.
var fromSigv4 = inputerr.FromSigv4[inputerr.Presign]

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
