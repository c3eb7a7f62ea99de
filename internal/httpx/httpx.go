// Package httpx holds small net/http helpers that the servers of presign
// share and that no one outside the module should import.
package httpx

import "net/http"

// Recorder is an http.ResponseWriter that records what was written
// through it: the status (200 when the handler wrote without WriteHeader),
// the bytes of the body, and the first error writing to the client. It
// unwraps for http.ResponseController.
type Recorder struct {
	http.ResponseWriter
	// Status is the status written; 0 until the handler writes.
	Status int
	// Bytes counts the body bytes written.
	Bytes int64
	// WriteErr is the first error writing to the client.
	WriteErr error
}

// WriteHeader records the status and writes it.
func (w *Recorder) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the size, the status 200 of a response written without
// WriteHeader, and the first error.
func (w *Recorder) Write(p []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.Bytes += int64(n)
	if err != nil && w.WriteErr == nil {
		w.WriteErr = err
	}
	return n, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
