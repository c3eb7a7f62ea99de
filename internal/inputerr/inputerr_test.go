package inputerr

import (
	"errors"
	"testing"

	"github.com/presign-dev/presign/sigv4"
)

// TestInstances pins what the aliases of the core packages rely on: each
// instance prints with its own prefix, and errors.As tells them apart.
func TestInstances(t *testing.T) {
	var err error = New[Presign]("Key", "give one", "key %q is empty", "")
	if got, want := err.Error(), `presign: key "" is empty; give one`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var pe *Error[PostPolicy]
	if errors.As(err, &pe) {
		t.Errorf("a presign error is taken for a postpolicy one")
	}
	var pp error = &Error[PostPolicy]{Msg: "region is empty"}
	if got, want := pp.Error(), "postpolicy: region is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	cause := &sigv4.InputError{Field: "Expires", Msg: "expiry is out of range"}
	err = FromSigv4[PostPolicy](cause)
	var se *sigv4.InputError
	if !errors.As(err, &pe) || pe.Field != "Expires" || !errors.As(err, &se) || err.Error() != "postpolicy: expiry is out of range" {
		t.Errorf("FromSigv4(sigv4 error) = %#v", err)
	}
	other := errors.New("boom")
	if err := FromSigv4[Presign](other); !errors.Is(err, other) || err.Error() != "presign: boom" {
		t.Errorf("FromSigv4(other) = %#v", err)
	}
}
