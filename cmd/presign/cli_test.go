package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/postpolicy"
)

// TestReportLibraryErrors pins how errors are printed and their exit
// status, decided by their types: the library's typed errors give their
// message and hint, untyped ones are quoted whole, the command's own are
// printed after "presign: " once.
func TestReportLibraryErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
		code int
	}{
		{fromLibrary(&presign.InputError{Field: "Key", Msg: "object key is empty"}, "url"),
			"presign: object key is empty (see 'presign url -h')", 2},
		{fromLibrary(&presign.InputError{Field: "Bucket", Msg: "bucket name \"a/b\" contains '/', '?' or '#'", Hint: "give the bucket and the key apart"}, "url"),
			"presign: bucket name \"a/b\" contains '/', '?' or '#' (give the bucket and the key apart)", 2},
		{fromLibrary(&postpolicy.InputError{Field: "Region", Msg: "region is empty", Hint: "give the bucket's region, such as us-east-1"}, "post"),
			"presign: region is empty (give the bucket's region, such as us-east-1)", 2},
		{fromLibrary(errors.New("presign: credentials: no key"), "post"),
			"presign: credentials: no key (see 'presign post -h')", 2},
		{fromLibrary(usageErrorf("fix it", "bad"), "url"), "presign: bad (fix it)", 2},
		{failf("writing the output: %w", errors.New("disk full")), "presign: writing the output: disk full", 1},
		{errors.New("context canceled"), "presign: context canceled", 1},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		code := report(&stderr, tt.err)
		if got := stderr.String(); got != tt.want+"\n" || code != tt.code {
			t.Errorf("report(%#v) = %q, %d; want %q, %d", tt.err, got, code, tt.want, tt.code)
		}
	}
	cause := errors.New("disk full")
	if err := failf("writing: %w", cause); !errors.Is(err, cause) {
		t.Errorf("failf does not wrap its cause: %#v", err)
	}
}
