package s3server

import (
	"fmt"
	"strings"
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

// TestConditionalCompleteRace: two multipart uploads of one key complete
// at once with If-None-Match: *: exactly one wins, the other gets 412
// PreconditionFailed and its upload stays (S3: "If-None-Match ... on
// CompleteMultipartUpload ... only one succeeds", User Guide, conditional
// writes); a completion with If-Match of an old ETag is refused.
func TestConditionalCompleteRace(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	type upload struct{ id, etag string }
	start := func(body string) upload {
		res := ts.must(200, req{method: "POST", target: "/bkt/mp?uploads"})
		id := between(string(res.body), "<UploadId>", "</UploadId>")
		part := ts.must(200, req{method: "PUT", target: "/bkt/mp?partNumber=1&uploadId=" + id, body: []byte(body)})
		return upload{id, part.header.Get("ETag")}
	}
	completeBody := func(u upload) []byte {
		return []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + u.etag + `</ETag></Part></CompleteMultipartUpload>`)
	}
	for round := range 5 {
		if round > 0 {
			ts.must(204, req{method: "DELETE", target: "/bkt/mp"})
		}
		a, b := start("upload a"), start("upload b")
		var wg sync.WaitGroup
		statuses := map[string]int{}
		var mu sync.Mutex
		for _, u := range []upload{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := ts.do(req{method: "POST", target: "/bkt/mp?uploadId=" + u.id, header: map[string]string{"If-None-Match": "*"}, body: completeBody(u)})
				code := res.status
				if code == 200 && strings.Contains(string(res.body), "<Error>") {
					code = 412 // refused after the keep-alive began
				}
				mu.Lock()
				statuses[u.id] = code
				mu.Unlock()
			}()
		}
		wg.Wait()
		if statuses[a.id]+statuses[b.id] != 200+412 {
			t.Fatalf("round %d: completions answered %v, want one 200 and one 412", round, statuses)
		}
		loser := a
		if statuses[a.id] == 200 {
			loser = b
		}
		// The loser's upload is still there.
		ts.must(200, req{method: "GET", target: "/bkt/mp?uploadId=" + loser.id})
		ts.must(204, req{method: "DELETE", target: "/bkt/mp?uploadId=" + loser.id})
	}
	old := ts.must(200, req{method: "HEAD", target: "/bkt/mp"}).header.Get("ETag")
	ts.must(200, req{method: "PUT", target: "/bkt/mp", body: []byte("replaced")})
	c := start("c")
	if res := ts.do(req{method: "POST", target: "/bkt/mp?uploadId=" + c.id, header: map[string]string{"If-Match": old}, body: completeBody(c)}); res.status != 412 {
		t.Errorf("completion with If-Match of an old ETag: %d %s", res.status, res.body)
	}
}

// between is the text of s between the first open and the next close.
func between(s, open, close string) string {
	_, after, _ := strings.Cut(s, open)
	v, _, _ := strings.Cut(after, close)
	return v
}
