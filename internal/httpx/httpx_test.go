package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

type failingWriter struct{ http.ResponseWriter }

func (failingWriter) Write(p []byte) (int, error) { return 1, errors.New("client gone") }

func TestRecorder(t *testing.T) {
	w := &Recorder{ResponseWriter: httptest.NewRecorder()}
	w.Write([]byte("abc"))
	w.WriteHeader(http.StatusTeapot) // too late: net/http ignores it, so does the record
	if w.Status != http.StatusOK || w.Bytes != 3 || w.WriteErr != nil {
		t.Fatalf("%+v", w)
	}
	w = &Recorder{ResponseWriter: httptest.NewRecorder()}
	w.WriteHeader(http.StatusNotFound)
	if w.Status != http.StatusNotFound {
		t.Fatalf("status %d", w.Status)
	}
	w = &Recorder{ResponseWriter: failingWriter{httptest.NewRecorder()}}
	w.Write([]byte("abc"))
	w.Write([]byte("d"))
	if w.Bytes != 2 || w.WriteErr == nil || w.WriteErr.Error() != "client gone" {
		t.Fatalf("%+v", w)
	}
	if http.NewResponseController(w) == nil || w.Unwrap() == nil {
		t.Fatal("no unwrap")
	}
}
