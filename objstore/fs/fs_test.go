package fs

import (
	"testing"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/objstore/storetest"
)

// open opens a store in a new temporary directory, closed at the end of t.
func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) objstore.Store { return open(t) })
}
