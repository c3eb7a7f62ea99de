package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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

func TestLane(t *testing.T) {
	l := NewLane(1, 50*time.Millisecond)
	leave, ok := l.Enter(context.Background())
	if !ok {
		t.Fatal("first request refused")
	}
	if _, ok := l.Enter(context.Background()); ok {
		t.Fatal("a second request entered a full lane")
	}
	done := make(chan bool)
	go func() { _, ok := NewLane(1, time.Minute).Enter(context.Background()); done <- ok }()
	if !<-done {
		t.Fatal("an empty lane refused")
	}
	// A waiting request enters as soon as the slot is left.
	got := make(chan bool)
	go func() {
		l2 := l
		_, ok := l2.Enter(context.Background())
		got <- ok
	}()
	time.Sleep(10 * time.Millisecond)
	leave()
	leave() // twice is harmless
	if !<-got {
		t.Fatal("the waiting request did not get the slot")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := l.Enter(ctx); ok {
		t.Fatal("a cancelled request entered a full lane")
	}
	var nilLane *Lane
	if leave, ok := nilLane.Enter(context.Background()); !ok || leave == nil {
		t.Fatal("a nil lane refused")
	}
}
