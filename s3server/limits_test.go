package s3server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/internal/httpx"
	"github.com/presign-dev/presign/s3err"
)

// TestRequestLimits: a request over a size limit is refused with S3's
// error before any of it is parsed. Each case past a limit also carries a
// malformed %-escape in its query, which parsing would report as
// AuthorizationQueryParametersError: the limit's code shows that nothing
// was parsed.
func TestRequestLimits(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	presigned := ts.presignURL("GET", "/bkt/k", nil)
	_, query, _ := strings.Cut(presigned, "?")
	params := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "&p%d=", i)
		}
		return b.String()
	}
	tests := []struct {
		name   string
		target string
		header map[string]string
		code   s3err.ErrorCode
	}{
		{"URI at the limit passes the limit", "/bkt/k?" + query + "&pad=" + strings.Repeat("a", MaxRequestURI-len("/bkt/k?"+query+"&pad=")), nil, s3err.SignatureDoesNotMatch},
		{"URI one byte over", "/bkt/k?bad=%zz&" + query + "&pad=" + strings.Repeat("a", MaxRequestURI-len("/bkt/k?bad=%zz&"+query+"&pad=")+1), nil, s3err.InvalidURI},
		{"parameters at the limit", "/bkt/k?" + query + params(MaxQueryParams-strings.Count(query, "&")-1), nil, s3err.SignatureDoesNotMatch},
		{"one parameter over", "/bkt/k?bad=%zz&" + query + params(MaxQueryParams-strings.Count(query, "&")-1), nil, s3err.InvalidArgument},
		{"header section over", "/bkt/k?bad=%zz&" + query, map[string]string{"X-Pad": strings.Repeat("h", MaxHeaderSection)}, s3err.RequestHeaderSectionTooLarge},
		{"header section within", "/bkt/k?" + query, map[string]string{"X-Pad": strings.Repeat("h", MaxHeaderSection-1024)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.do(req{method: "GET", target: tt.target, header: tt.header, unsigned: true})
			if tt.code == "" {
				if res.status != http.StatusNotFound { // NoSuchKey: the request was served
					t.Fatalf("status %d\n%s", res.status, res.body)
				}
				return
			}
			wantError(t, res, tt.code)
		})
	}
}

// rawExchange sends raw bytes to the server and returns its answer.
func rawExchange(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(c, raw) // the server may answer before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// TestMalformedHTTPGetsS3XML: what net/http refuses before the handler
// runs is answered as S3 XML, with S3's codes.
func TestMalformedHTTPGetsS3XML(t *testing.T) {
	ts := newTestServer(t, nil)
	tests := []struct {
		name   string
		raw    string
		status int
		code   s3err.ErrorCode
	}{
		{"two Content-Length headers", "PUT /bkt/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, s3err.BadRequest},
		{"header over MaxHeaderBytes", "GET /bkt/k HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 2<<20) + "\r\n\r\n", 400, s3err.RequestHeaderSectionTooLarge},
		{"garbage request line", "NOT HTTP\r\n\r\n", 400, s3err.BadRequest},
		{"unknown transfer coding", "PUT /bkt/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, s3err.NotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := rawExchange(t, ts.addr, tt.raw)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/xml" {
				t.Errorf("Content-Type %q", ct)
			}
			var e errorBody
			if err := xml.Unmarshal(body, &e); err != nil || e.Code != string(tt.code) {
				t.Fatalf("body %q (%v), want code %s", body, err, tt.code)
			}
			if e.RequestID == "" || e.RequestID != resp.Header.Get("X-Amz-Request-Id") {
				t.Errorf("request id %q, header %q", e.RequestID, resp.Header.Get("X-Amz-Request-Id"))
			}
		})
	}
	// A well-formed request on the same kind of connection is untouched.
	resp := rawExchange(t, ts.addr, "GET /nobucket HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.StatusCode == 400 || resp.Header.Get("Date") == "" {
		t.Errorf("a handler's answer was rewritten: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestBodyIdleTimeout: a body that stops arriving is cut after the idle
// timeout; one that keeps arriving slowly, for longer than the timeout in
// all, is stored.
func TestBodyIdleTimeout(t *testing.T) {
	const idle = 400 * time.Millisecond
	ts := newTestServer(t, func(o *Options) { o.BodyIdleTimeout = idle })
	ts.mkBucket("bkt")
	target := ts.presignURL("PUT", "/bkt/slow", nil)

	// Slow but live: 12 bytes, one every 100 ms (1.2 s in all, 3 timeouts).
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 12; i++ {
			time.Sleep(idle / 4)
			pw.Write([]byte{'a' + byte(i)})
		}
		pw.Close()
	}()
	hr, _ := http.NewRequest("PUT", ts.url+target, pr)
	hr.ContentLength = 12
	if res := ts.send(hr); res.status != 200 {
		t.Fatalf("slow upload: %d %s", res.status, res.body)
	}
	if got := ts.must(200, req{method: "GET", target: "/bkt/slow"}).body; string(got) != "abcdefghijkl" {
		t.Fatalf("stored %q", got)
	}

	// Stalled: 2 of 10 bytes, then nothing. The server cuts the
	// connection; nothing is stored.
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 10\r\n\r\nab", ts.presignURL("PUT", "/bkt/stalled", nil), ts.addr)
	c.SetReadDeadline(time.Now().Add(20 * idle))
	start := time.Now()
	io.ReadAll(c) // until the server closes (or answers and closes)
	if waited := time.Since(start); waited >= 20*idle {
		t.Fatalf("the stalled upload was not cut in %v", waited)
	}
	wantError(t, ts.do(req{method: "GET", target: "/bkt/stalled"}), s3err.NoSuchKey)
}

// TestPostPreDataLimit: a form's fields before the file are bounded by
// S3's 20 KiB, counted before any field is evaluated; many empty fields,
// or one huge part header, are refused as cheaply.
func TestPostPreDataLimit(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	form := func(parts ...string) *http.Request {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString("--B\r\n" + p + "\r\n")
		}
		b.WriteString("--B--\r\n")
		return mustRequest(t, "POST", ts.url+"/bkt", "multipart/form-data; boundary=B", b.String())
	}
	empty := make([]string, 40000)
	for i := range empty {
		empty[i] = "Content-Disposition: form-data; name=\"f\"\r\n\r\n"
	}
	wantError(t, ts.send(form(empty...)), s3err.MaxPostPreDataLengthExceeded)
	bigHeader := "Content-Disposition: form-data; name=\"f\"\r\nX-Pad: " + strings.Repeat("p", 1<<20) + "\r\n\r\nv"
	wantError(t, ts.send(form(bigHeader)), s3err.MaxPostPreDataLengthExceeded)
	values := []string{"Content-Disposition: form-data; name=\"a\"\r\n\r\n" + strings.Repeat("v", MaxPostPreData)}
	wantError(t, ts.send(form(values...)), s3err.MaxPostPreDataLengthExceeded)
	// Within the limit, an unsigned form reaches the evaluator.
	wantError(t, ts.send(form("Content-Disposition: form-data; name=\"key\"\r\n\r\nk", "Content-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nx")), s3err.AccessDenied)
}

// presignURL returns the path and query of a presigned GET or PUT of
// path ("/bucket/key") on the test server, valid for an hour.
func (ts *testServer) presignURL(method, path string, _ map[string]string) string {
	ts.t.Helper()
	op := presign.GetObject
	if method == "PUT" {
		op = presign.PutObject
	}
	bucket, key, _ := strings.Cut(path[1:], "/")
	c := ts.presigner(ts.url, presign.ProfileDefault, presign.AddressingPath, testSecret)
	res, err := c.Presign(context.Background(), op, &presign.Input{Bucket: bucket, Key: key}, presign.Options{Expires: time.Hour})
	if err != nil {
		ts.t.Fatal(err)
	}
	u, err := url.Parse(res.URL)
	if err != nil {
		ts.t.Fatal(err)
	}
	return u.RequestURI()
}

// TestLargeRequestLane: a request with a large head, a POST form and a
// large XML body wait for the lane of large requests, and get 503
// SlowDown when no slot comes in time; small requests never wait for it.
func TestLargeRequestLane(t *testing.T) {
	lane := httpx.NewLane(1, 200*time.Millisecond)
	ts := newTestServer(t, func(o *Options) { o.Lane = lane })
	ts.mkBucket("bkt")
	ts.put("bkt", "k", []byte("v"), nil)
	large := map[string]string{"X-Pad": strings.Repeat("p", HeavyHead)}
	form := mustRequest(t, "POST", ts.url+"/bkt", "multipart/form-data; boundary=B",
		"--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--B--\r\n")
	bigXML := "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 3000) + "</Delete>"

	// Free lane: all are served.
	ts.must(200, req{method: "GET", target: "/bkt/k", header: large})
	leave, _ := lane.Enter(context.Background())
	// Full lane: the large ones wait, then SlowDown; the small one passes.
	wantError(t, ts.do(req{method: "GET", target: "/bkt/k", header: large}), s3err.SlowDown)
	wantError(t, ts.send(form), s3err.SlowDown)
	wantError(t, ts.do(req{method: "POST", target: "/bkt?delete", body: []byte(bigXML)}), s3err.SlowDown)
	ts.must(200, req{method: "GET", target: "/bkt/k"})
	leave()
	// The lane is left after each request: it is free again.
	for i := 0; i < 3; i++ {
		ts.must(200, req{method: "GET", target: "/bkt/k", header: large})
	}
	if l, ok := lane.Enter(context.Background()); !ok {
		t.Fatal("a request kept its slot after it was answered")
	} else {
		l()
	}
}
