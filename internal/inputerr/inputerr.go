// Package inputerr owns the input error of the core packages: the error
// the presign and postpolicy packages return for a configuration or an
// input they refuse. Each of them names its own instance of [Error] (such
// as presign.InputError, an alias of Error[Presign]), so that the type
// tells them apart with errors.As and the text starts with the package's
// name, while the fields, the text and the taking in of sigv4's input
// errors have this one owner.
package inputerr

import (
	"errors"
	"fmt"

	"github.com/presign-dev/presign/sigv4"
)

// Package names the package an [Error] belongs to: Prefix is the start of
// its text, such as "presign".
type Package interface{ Prefix() string }

// Presign is the package github.com/presign-dev/presign.
type Presign struct{}

// Prefix returns "presign".
func (Presign) Prefix() string { return "presign" }

// PostPolicy is the package github.com/presign-dev/presign/postpolicy.
type PostPolicy struct{}

// Prefix returns "postpolicy".
func (PostPolicy) Prefix() string { return "postpolicy" }

// Error is the input error of package P. It prints as "PREFIX: MSG; HINT".
// Code that needs to tell errors apart uses [errors.As] and the fields,
// never the text.
type Error[P Package] struct {
	// Field names what is at fault, as the package's API spells it; empty
	// when no one field is.
	Field string
	// Msg says what is wrong.
	Msg string
	// Hint says how to fix it, in terms of the package's API; may be empty.
	Hint string
	// Err is the cause, if any, such as a *[sigv4.InputError].
	Err error
}

// Error returns "PREFIX: MSG; HINT", or "PREFIX: MSG" without a hint.
func (e *Error[P]) Error() string {
	var p P
	s := p.Prefix() + ": " + e.Msg
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns the cause.
func (e *Error[P]) Unwrap() error { return e.Err }

// New returns the error of field with hint and a message formatted from
// format and args.
func New[P Package](field, hint, format string, args ...any) *Error[P] {
	return &Error[P]{Field: field, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// FromSigv4 takes an error of sigv4's input checks into an *Error[P], its
// cause; any other error it wraps after "PREFIX: ".
func FromSigv4[P Package](err error) error {
	var se *sigv4.InputError
	if errors.As(err, &se) {
		return &Error[P]{Field: se.Field, Msg: se.Msg, Err: err}
	}
	var p P
	return fmt.Errorf("%s: %w", p.Prefix(), err)
}
