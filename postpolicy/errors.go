package postpolicy

import (
	"errors"
	"fmt"

	"github.com/presign-dev/presign/sigv4"
)

// InputError is the error of [Sign], [ParseProfile] and
// [Condition.MarshalJSON] for an input they refuse. It prints as
// "postpolicy: MSG; HINT". Code that needs to tell errors apart uses
// [errors.As] and the fields, never the text. (The errors of a policy or a
// form as S3 reads them, from [Parse], [ParseCondition] and [Evaluate],
// are S3's: an *[s3err.Error].)
type InputError struct {
	// Field names what is at fault as the Go API spells it, such as
	// "Bucket", "Key", "Expires", "Fields" or "Conditions"; empty when no
	// one field is.
	Field string
	// Msg says what is wrong.
	Msg string
	// Hint says how to fix it, in terms of this package's API; may be empty.
	Hint string
	// Err is the cause, if any, such as a *[sigv4.InputError].
	Err error
}

// Error returns "postpolicy: MSG; HINT", or "postpolicy: MSG" without a hint.
func (e *InputError) Error() string {
	s := "postpolicy: " + e.Msg
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
	return fmt.Errorf("postpolicy: %w", err)
}
