package s3server

import (
	"fmt"
	"sync"
	"testing"
)

// TestConditionalWriteRace: 20 writers race to create one key with
// If-None-Match: *: exactly one wins (200), the others get 412
// PreconditionFailed, and the object is the winner's. S3 documents it so
// ("If-None-Match: * ... if there's a concurrent write ... only one
// succeeds", Amazon S3 User Guide, conditional writes).
func TestConditionalWriteRace(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	const n = 20
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := ts.do(req{method: "PUT", target: "/bkt/once", header: map[string]string{"If-None-Match": "*"}, body: []byte(fmt.Sprintf("writer %02d", i))})
			statuses[i] = res.status
		}()
	}
	wg.Wait()
	won := -1
	for i, s := range statuses {
		switch s {
		case 200:
			if won >= 0 {
				t.Fatalf("writers %d and %d both won", won, i)
			}
			won = i
		case 412:
		default:
			t.Fatalf("writer %d: status %d", i, s)
		}
	}
	if won < 0 {
		t.Fatal("no writer won")
	}
	if res := ts.must(200, req{method: "GET", target: "/bkt/once"}); string(res.body) != fmt.Sprintf("writer %02d", won) {
		t.Errorf("the object is %q, not the winner's (%d)", res.body, won)
	}

	// If-Match with the current ETag: of racing updates, exactly one wins.
	etag := ts.must(200, req{method: "HEAD", target: "/bkt/once"}).header.Get("ETag")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = ts.do(req{method: "PUT", target: "/bkt/once", header: map[string]string{"If-Match": etag}, body: []byte(fmt.Sprintf("update %02d", i))}).status
		}()
	}
	wg.Wait()
	wins := 0
	for _, s := range statuses {
		if s == 200 {
			wins++
		} else if s != 412 {
			t.Fatalf("status %d", s)
		}
	}
	if wins != 1 {
		t.Errorf("%d updates won with If-Match %s, want 1", wins, etag)
	}
}
