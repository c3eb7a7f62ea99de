package issuer

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/internal/httpx"
)

// TestLargeBodyLane: a request body over 4 KiB is handled in the lane of
// large requests, and answered 503 slow_down (with Retry-After) when no
// slot comes in time; small bodies never wait for it.
func TestLargeBodyLane(t *testing.T) {
	lane := httpx.NewLane(1, 100*time.Millisecond)
	p, err := presign.New(presign.Config{Credentials: testCreds, Region: "us-east-1", Endpoint: testBaseURL})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{
		Config:  testConfig(),
		Backend: &Backend{Presigner: p, Bucket: testBucket, Now: func() time.Time { return t0 }},
		Audit:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:     func() time.Time { return t0 },
		Lane:    lane,
	})
	if err != nil {
		t.Fatal(err)
	}
	small := `{"filename":"a.jpg","contentType":"image/jpeg","size":5}`
	large := `{"filename":"a.jpg",` + strings.Repeat(" ", heavyBody) + `"contentType":"image/jpeg","size":5}`
	if w := call(t, s, "POST", "/v1/uploads", webKey, large); w.Code != http.StatusOK {
		t.Fatalf("free lane: %d %s", w.Code, w.Body)
	}
	leave, _ := lane.Enter(context.Background())
	w := call(t, s, "POST", "/v1/uploads", webKey, large)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"slow_down"`) || w.Header().Get("Retry-After") == "" {
		t.Fatalf("full lane: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := call(t, s, "POST", "/v1/uploads", webKey, small); w.Code != http.StatusOK {
		t.Fatalf("small body behind a full lane: %d %s", w.Code, w.Body)
	}
	leave()
	if w := call(t, s, "POST", "/v1/uploads", webKey, large); w.Code != http.StatusOK {
		t.Fatalf("lane left: %d %s", w.Code, w.Body)
	}
}
