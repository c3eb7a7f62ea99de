package issuer_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/issuer"
)

// download asks for a download URL of key with the extra members of body.
func (e *uppyEnv) downloadURL(t *testing.T, apiKey, key, extra string) issuer.DownloadResponse {
	t.Helper()
	var d issuer.DownloadResponse
	ok(t, "POST /v1/downloads", e.call(t, "POST", "/v1/downloads", apiKey, fmt.Sprintf(`{"key":%q%s}`, key, extra)), &d)
	if len(d.Grant) != grant.Len || !strings.Contains(d.URL, grant.Param+"="+d.Grant) {
		t.Fatalf("download %s: grant %q, URL %s", key, d.Grant, d.URL)
	}
	return d
}

// putObject uploads data as key for the web client and returns its key.
func (e *uppyEnv) putObject(t *testing.T, name string, data []byte) string {
	t.Helper()
	var u issuer.UploadResponse
	ok(t, "POST /v1/uploads", e.call(t, "POST", "/v1/uploads", uppyWebKey, fmt.Sprintf(`{"filename":%q,"contentType":"text/plain","size":%d}`, name, len(data))), &u)
	r := send(t, "PUT", u.URL, bytes.NewReader(data), "Content-Type", "text/plain")
	if r.status != 200 {
		t.Fatalf("PUT: %s", r)
	}
	return u.Key
}

// fetchURL fetches u and returns the answer.
func fetchURL(t *testing.T, u string) reply { t.Helper(); return send(t, "GET", u, nil) }

// TestGrantsSingleUseDownload: of 50 concurrent GETs of a single-use URL
// exactly one gets the object; every later one is refused, saying why; a
// URL of maxUses 3 works three times.
func TestGrantsSingleUseDownload(t *testing.T) {
	e := newUppyEnv(t)
	key := e.putObject(t, "once.txt", []byte("read me once"))
	d := e.downloadURL(t, uppyWebKey, key, `,"singleUse":true`)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := http.Get(d.URL)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if codes[200] != 1 || codes[403] != 49 {
		t.Fatalf("50 concurrent GETs of a single-use URL: %v, want one 200 and 49 403", codes)
	}
	r := fetchURL(t, d.URL)
	if r.status != 403 || !bytes.Contains(r.body, []byte("AccessDenied")) || !bytes.Contains(r.body, []byte("all spent")) {
		t.Fatalf("a GET after the use: %s", r)
	}

	three := e.downloadURL(t, uppyWebKey, key, `,"maxUses":3`)
	for i := range 3 {
		if r := fetchURL(t, three.URL); r.status != 200 || string(r.body) != "read me once" {
			t.Fatalf("use %d: %s", i+1, r)
		}
	}
	if r := fetchURL(t, three.URL); r.status != 403 {
		t.Fatalf("use 4: %s", r)
	}
	// A URL with no limit works as often as asked.
	free := e.downloadURL(t, uppyWebKey, key, "")
	for range 5 {
		if r := fetchURL(t, free.URL); r.status != 200 {
			t.Fatalf("unlimited: %s", r)
		}
	}
	for _, body := range []string{`,"singleUse":true,"maxUses":2`, `,"maxUses":-1`, `,"maxUses":1000001`, `,"singleUse":"yes"`} {
		if r := e.call(t, "POST", "/v1/downloads", uppyWebKey, fmt.Sprintf(`{"key":%q%s}`, key, body)); r.status != 400 {
			t.Errorf("%s: %s, want 400", body, r)
		}
	}
}

// TestGrantsSingleUsePut: a single-use PUT URL whose body is cut off
// mid-way is not spent; the upload that then succeeds spends it.
func TestGrantsSingleUsePut(t *testing.T) {
	e := newUppyEnv(t)
	data := bytes.Repeat([]byte("p"), 256<<10)
	var u issuer.UploadResponse
	ok(t, "POST /v1/uploads", e.call(t, "POST", "/v1/uploads", uppyWebKey, fmt.Sprintf(`{"filename":"once.txt","contentType":"text/plain","size":%d,"singleUse":true}`, len(data))), &u)
	if u.Grant == "" {
		t.Fatal("no grant")
	}
	// Half the body, then the connection closes.
	pu, _ := url.Parse(u.URL)
	conn, err := net.Dial("tcp", pu.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", pu.RequestURI(), pu.Host, len(data))
	conn.Write(data[:len(data)/2])
	conn.Close()
	time.Sleep(100 * time.Millisecond) // the store notices the cut
	e.wantNotStored(t, uppyWebKey, u.Key)
	if r := send(t, "PUT", u.URL, bytes.NewReader(data), "Content-Type", "text/plain"); r.status != 200 {
		t.Fatalf("the PUT after a cut one: %s", r)
	}
	if r := send(t, "PUT", u.URL, bytes.NewReader(data), "Content-Type", "text/plain"); r.status != 403 {
		t.Fatalf("a second PUT: %s", r)
	}
	e.wantStored(t, uppyWebKey, u.Key, data, "text/plain")
}

// TestGrantsRevoke: a revocation refuses the very next request; a client
// cannot revoke another's grant (an admin key can); a prefix revocation
// refuses every URL issued until then under the prefix, and not later
// ones; a prefix outside the client's own is refused.
func TestGrantsRevoke(t *testing.T) {
	e := newUppyEnv(t)
	key := e.putObject(t, "r.txt", []byte("revocable"))
	d := e.downloadURL(t, uppyWebKey, key, "")
	if r := fetchURL(t, d.URL); r.status != 200 {
		t.Fatalf("before: %s", r)
	}
	if r := e.call(t, "DELETE", "/v1/grants/"+d.Grant, uppyOtherKey, ""); r.status != 404 || !bytes.Contains(r.body, []byte("no_such_grant")) {
		t.Fatalf("another client revoking: %s", r)
	}
	if r := fetchURL(t, d.URL); r.status != 200 {
		t.Fatalf("after another client's attempt: %s", r)
	}
	var rev issuer.RevokeResponse
	ok(t, "DELETE /v1/grants", e.call(t, "DELETE", "/v1/grants/"+d.Grant, uppyWebKey, ""), &rev)
	if rev.Grant != d.Grant {
		t.Fatalf("revoked %+v", rev)
	}
	if r := fetchURL(t, d.URL); r.status != 403 || !bytes.Contains(r.body, []byte("was revoked")) {
		t.Fatalf("the GET right after the revocation: %s", r)
	}
	// An administrator revokes any client's grant.
	d2 := e.downloadURL(t, uppyWebKey, key, "")
	ok(t, "admin DELETE", e.call(t, "DELETE", "/v1/grants/"+d2.Grant, uppyAdminKey, ""), nil)
	if r := fetchURL(t, d2.URL); r.status != 403 {
		t.Fatalf("after the admin's revocation: %s", r)
	}
	for _, id := range []string{"nope", strings.Repeat("A", grant.Len)} {
		if r := e.call(t, "DELETE", "/v1/grants/"+id, uppyWebKey, ""); r.status != 404 {
			t.Errorf("DELETE /v1/grants/%s: %s", id, r)
		}
	}

	// Every URL of the client so far, by prefix.
	a, b := e.downloadURL(t, uppyWebKey, key, ""), e.downloadURL(t, uppyWebKey, key, "")
	if r := e.call(t, "POST", "/v1/grants/revoke", uppyWebKey, `{"prefix":"other/"}`); r.status != 400 {
		t.Fatalf("revoking another's prefix: %s", r)
	}
	ok(t, "POST /v1/grants/revoke", e.call(t, "POST", "/v1/grants/revoke", uppyWebKey, `{}`), &rev)
	if rev.Prefix != "web/" {
		t.Fatalf("revoked %+v", rev)
	}
	for _, u := range []string{a.URL, b.URL} {
		if r := fetchURL(t, u); r.status != 403 || !bytes.Contains(r.body, []byte(`under the prefix &#34;web/&#34;`)) && !bytes.Contains(r.body, []byte("under the prefix")) {
			t.Fatalf("a URL issued before the prefix revocation: %s", r)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the next second
	later := e.downloadURL(t, uppyWebKey, key, "")
	if r := fetchURL(t, later.URL); r.status != 200 {
		t.Fatalf("a URL issued after the prefix revocation: %s", r)
	}
}

// TestGrantsOnUploadParts: part URLs carry grants too, and a part URL
// revoked is refused.
func TestGrantsOnUploadParts(t *testing.T) {
	e := newUppyEnv(t)
	var mp issuer.MultipartResponse
	ok(t, "create", e.call(t, "POST", "/v1/uploads/multipart", uppyWebKey, `{"filename":"big.txt","contentType":"text/plain","size":7340032}`), &mp)
	var parts issuer.PartsResponse
	ok(t, "parts", e.call(t, "POST", "/v1/uploads/multipart/"+mp.ID+"/parts", uppyWebKey, `{"partNumbers":[1]}`), &parts)
	p := parts.Parts[0]
	if len(p.Grant) != grant.Len {
		t.Fatalf("part URL grant %q", p.Grant)
	}
	ok(t, "revoke", e.call(t, "DELETE", "/v1/grants/"+p.Grant, uppyWebKey, ""), nil)
	r := send(t, "PUT", p.URL, bytes.NewReader(make([]byte, 5<<20)))
	if r.status != 403 {
		t.Fatalf("a revoked part URL: %s", r)
	}
	if r := e.call(t, "POST", "/v1/uploads/multipart", uppyWebKey, `{"filename":"big.txt","contentType":"text/plain","size":7340032,"singleUse":true}`); r.status != 400 {
		t.Fatalf("singleUse on multipart create: %s", r)
	}
}
