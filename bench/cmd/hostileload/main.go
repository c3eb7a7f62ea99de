// Command hostileload is the load run of issue 9: does a stream of hostile
// requests, each as large as presign serve's limits let through, slow
// down normal traffic? The criterion: 4 hostile requests of each
// kind at the limit, in parallel with normal traffic, change the normal
// p50 latency by less than 2×.
//
// It runs against a running presign serve (local mode, with known static
// store credentials; scripts/hostile-loadrun.sh starts one), on 127.0.0.1
// only, in phases of -duration each:
//
//	baseline   normal traffic alone: -normal clients doing presigned GETs
//	           of a 1 KiB object on the store (a fresh presign each time)
//	           and -normal clients doing POST /v1/uploads on the API
//	limit      the same normal traffic, and -hostile clients for each
//	           hostile kind below sending requests just within the limit,
//	           so that they are fully processed, in a loop
//	over       the same with requests one step over the limit, which are
//	           refused before their contents are parsed
//	baseline   normal traffic alone again: how much the machine drifted
//
// The hostile kinds, each at the limit (and over it):
//
//	query-params    a presigned GET with unsigned parameters added up to
//	                s3server.MaxQueryParams parameters and exactly
//	                s3server.MaxRequestURI bytes of request target
//	                (403 SignatureDoesNotMatch; over: one parameter more,
//	                400 InvalidArgument)
//	signed-names    a presigned GET whose X-Amz-SignedHeaders lists as many
//	                names as the request target holds, sent with unsigned
//	                X-Amz-Meta-* headers filling exactly
//	                s3server.MaxHeaderSection bytes (403 AccessDenied,
//	                HeadersNotSigned; over: one byte more, 400
//	                RequestHeaderSectionTooLarge)
//	header-auth     a GET signed by an Authorization header (wrong
//	                signature) whose SignedHeaders lists as many names as
//	                fit in the header section (403 SignatureDoesNotMatch;
//	                over: one byte more, 400 RequestHeaderSectionTooLarge)
//	post-fields     a POST form upload with the signature fields (wrong
//	                signature) and as many empty fields as the store reads
//	                before the file: the count is found at start by
//	                bisection (403 SignatureDoesNotMatch; over: one field
//	                more, 400 MaxPostPreDataLengthExceededError)
//	api-json        POST /v1/uploads with the API key and a JSON body of
//	                exactly -api-body-limit bytes: a file name of
//	                decomposed characters, which the API normalises (200;
//	                over: one byte more, 413 request_too_large)
//	complete-parts  a presigned CompleteMultipartUpload listing
//	                s3server.MaxParts parts on a real upload, one upload per
//	                client (400 InvalidPart: no part was uploaded; over: one
//	                part more, 400 InvalidArgument)
//
// Every client loops until the phase's end or -max-requests, one request at
// a time on its own connection. The normal clients are paced (-normal-rate,
// 100 requests a second each by default) so that the baseline measures the
// latency of an unloaded server, not the queue of a saturated one; with
// -normal-rate 0 they run flat out. The hostile clients run flat out, as
// many requests as the server answers, unless -hostile-rate paces them.
// Every answer's status and S3 (or API) error code
// is counted: an answer a kind should not get is marked UNEXPECTED, which
// means the kind was built wrongly (or the server changed).
//
// It prints a table of the hostile requests and their answers, the normal
// latencies per phase with the p50 ratio to the first baseline and PASS or
// FAIL against 2×, and, with -pid, the server's CPU use.
//
//	cd bench && go run ./cmd/hostileload -store http://127.0.0.1:9000 \
//	    -api http://127.0.0.1:8080 -api-key psk_... \
//	    -access-key AKIAIOSFODNN7EXAMPLE -secret-key ... -duration 10s
//
// Exit status: 0 when every answer was the expected one and every ratio
// passed, 2 when a ratio failed, 1 otherwise.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/s3server"
	"github.com/presign-dev/presign/sigv4"
)

// options are the command's flags.
type options struct {
	store, api, apiKey      string
	accessKey, secretKey    string
	region, bucket, key     string
	duration, warmup        time.Duration
	timeout                 time.Duration
	normal, hostile         int
	normalRate, hostileRate float64
	maxRequests             int
	apiBodyLimit            int
	pid                     int
	phases, kinds           string
	cpuProfile              string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("hostileload", flag.ContinueOnError)
	fs.StringVar(&o.store, "store", "", "the embedded store's URL, such as http://127.0.0.1:9000 (required)")
	fs.StringVar(&o.api, "api", "", "the API's URL, such as http://127.0.0.1:8080 (required)")
	fs.StringVar(&o.apiKey, "api-key", os.Getenv("API_KEY"), "the API key (psk_...); default $API_KEY")
	fs.StringVar(&o.accessKey, "access-key", os.Getenv("AWS_ACCESS_KEY_ID"), "the store's access key id; default $AWS_ACCESS_KEY_ID")
	fs.StringVar(&o.secretKey, "secret-key", os.Getenv("AWS_SECRET_ACCESS_KEY"), "its secret; default $AWS_SECRET_ACCESS_KEY")
	fs.StringVar(&o.region, "region", "us-east-1", "the store's region")
	fs.StringVar(&o.bucket, "bucket", "uploads", "the bucket (created if missing)")
	fs.StringVar(&o.key, "key", "local/hostileload/object-1k", "the key of the 1 KiB object the normal GETs read")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "the length of each phase")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "normal traffic before the first phase, not measured")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "the longest any one request may take")
	fs.IntVar(&o.normal, "normal", 4, "normal clients of each kind (store GET, API POST /v1/uploads)")
	fs.IntVar(&o.hostile, "hostile", 4, "hostile clients per kind")
	fs.Float64Var(&o.normalRate, "normal-rate", 100, "requests per second of each normal client; 0 runs them flat out")
	fs.Float64Var(&o.hostileRate, "hostile-rate", 0, "requests per second of each hostile client; 0 (the issue's run) runs them flat out")
	fs.IntVar(&o.maxRequests, "max-requests", 200000, "the most requests any one client sends in a phase")
	fs.IntVar(&o.apiBodyLimit, "api-body-limit", 64<<10, "the API's request body limit (issuer Config.MaxRequestBytes; default 64 KiB)")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, to report its CPU use from /proc (optional)")
	fs.StringVar(&o.phases, "phases", "baseline,limit,over,baseline",
		"the phases, in order: baseline, limit, over, limit:KIND, over:KIND (one hostile kind alone)")
	fs.StringVar(&o.kinds, "kinds", "", "the hostile kinds of the limit and over phases, comma-separated; default all")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write this program's CPU profile to the file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.store == "" || o.api == "":
		return nil, errors.New("-store and -api are required (the URLs presign serve prints)")
	case o.apiKey == "":
		return nil, errors.New("-api-key (or $API_KEY) is required: the psk_ key presign serve prints")
	case o.accessKey == "" || o.secretKey == "":
		return nil, errors.New("-access-key and -secret-key are required: the store credentials presign serve was started with")
	case o.normal < 1 || o.hostile < 0 || o.maxRequests < 1 || o.duration <= 0:
		return nil, errors.New("-normal and -max-requests must be at least 1, -hostile at least 0, -duration positive")
	}
	for _, u := range []string{o.store, o.api} {
		if err := loopback(u); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// loopback refuses a URL whose host is not a loopback address: this
// program sends hostile traffic, and only to the local machine.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("%q is not an http:// URL", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q: hostileload sends only to a loopback address such as 127.0.0.1", raw)
	}
	return nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostileload:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hostileload:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "hostileload:", err)
			os.Exit(1)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	code, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostileload:", err)
		code = 1
	}
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}

// env is what every phase shares: the flags, the presigner, the store's
// address and the uploads the complete-parts clients complete.
type env struct {
	o         *options
	store     *url.URL
	presigner *presign.Client
	uploadIDs []string
	postCount int // the most empty fields a POST form may carry
}

// newClient returns an HTTP client with a connection of its own: every
// load client gets one, as separate users would.
func (e *env) newClient() *http.Client {
	return &http.Client{
		Timeout: e.o.timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true, // no Accept-Encoding: the header sections are counted exactly
			IdleConnTimeout:     time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// userAgent is the User-Agent of every request, counted in the header
// sections built to the limit.
const userAgent = "hostileload"

// answer is what a request got: the status and the error code of its body
// (S3's <Code> or the API's "code"), or the transport error.
type answer struct {
	status int
	code   string
	err    error
}

func (a answer) String() string {
	switch {
	case a.err != nil:
		return "error: " + shortErr(a.err)
	case a.code != "":
		return strconv.Itoa(a.status) + " " + a.code
	}
	return strconv.Itoa(a.status)
}

func shortErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// do sends req with c, reads the whole answer and returns its status and
// error code.
func do(c *http.Client, req *http.Request) answer {
	req.Header.Set("User-Agent", userAgent)
	res, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return answer{status: res.StatusCode, err: err}
	}
	return answer{status: res.StatusCode, code: errorCode(res.Header.Get("Content-Type"), body)}
}

// errorCode returns the error code of an S3 XML error body or an API JSON
// error body, or "" for a body that is neither.
func errorCode(contentType string, body []byte) string {
	switch {
	case strings.Contains(contentType, "xml"):
		_, rest, ok := bytes.Cut(body, []byte("<Code>"))
		if !ok {
			return ""
		}
		code, _, ok := bytes.Cut(rest, []byte("</Code>"))
		if !ok || len(code) > 64 {
			return ""
		}
		return string(code)
	case strings.Contains(contentType, "json"):
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil {
			return e.Error.Code
		}
	}
	return ""
}

// presignURL presigns op on the bucket's key for a few hours, long
// enough for any run.
func (e *env) presignURL(ctx context.Context, op presign.Operation, in *presign.Input) (presign.Result, error) {
	if in.Bucket == "" {
		in.Bucket = e.o.bucket
	}
	if in.Key == "" {
		in.Key = e.o.key
	}
	return e.presigner.Presign(ctx, op, in, presign.Options{Expires: 6 * time.Hour})
}

// send builds and sends one presigned request, for the setup.
func (e *env) send(ctx context.Context, c *http.Client, res presign.Result, body []byte) (answer, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, res.Method, res.URL, bytes.NewReader(body))
	if err != nil {
		return answer{}, nil, err
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = res.HTTPHeader()
	req.Header.Set("User-Agent", userAgent)
	r, err := c.Do(req)
	if err != nil {
		return answer{err: err}, nil, err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return answer{status: r.StatusCode, code: errorCode(r.Header.Get("Content-Type"), b)}, b, err
}

// setup makes the bucket if it is missing, uploads the 1 KiB object and
// reads it back, checks the API key, creates the multipart uploads of the
// complete-parts clients, and finds how many fields a POST form may carry.
func (e *env) setup(ctx context.Context, w io.Writer) error {
	c := e.newClient()
	defer c.CloseIdleConnections()
	bucketURL := e.store.JoinPath(e.o.bucket).String()
	head, err := http.NewRequest(http.MethodHead, bucketURL, nil)
	if err != nil {
		return err
	}
	hr, err := e.presigner.PresignHTTP(ctx, head, presign.Options{})
	if err != nil {
		return err
	}
	a, _, err := e.send(ctx, c, hr, nil)
	if err != nil {
		return fmt.Errorf("HEAD bucket: %w", err)
	}
	switch a.status {
	case http.StatusOK:
	case http.StatusNotFound:
		put, _ := http.NewRequest(http.MethodPut, bucketURL, nil)
		pr, err := e.presigner.PresignHTTP(ctx, put, presign.Options{})
		if err != nil {
			return err
		}
		if a, _, err := e.send(ctx, c, pr, nil); err != nil || a.status != http.StatusOK {
			return fmt.Errorf("cannot create bucket %s: %v %v", e.o.bucket, a, err)
		}
		fmt.Fprintf(w, "  created bucket %s\n", e.o.bucket)
	default:
		return fmt.Errorf("HEAD bucket %s answered %v", e.o.bucket, a)
	}

	object := bytes.Repeat([]byte("0123456789abcdef"), 64)
	size := int64(len(object))
	put, err := e.presignURL(ctx, presign.PutObject, &presign.Input{ContentType: "application/octet-stream", ContentLength: &size})
	if err != nil {
		return err
	}
	if a, _, err := e.send(ctx, c, put, object); err != nil || a.status != http.StatusOK {
		return fmt.Errorf("upload of %s through a presigned PUT: %v %v", e.o.key, a, err)
	}
	get, err := e.presignURL(ctx, presign.GetObject, &presign.Input{})
	if err != nil {
		return err
	}
	if a, b, err := e.send(ctx, c, get, nil); err != nil || a.status != http.StatusOK || !bytes.Equal(b, object) {
		return fmt.Errorf("presigned GET of %s: %v %v (%d bytes)", e.o.key, a, err, len(b))
	}
	fmt.Fprintf(w, "  s3://%s/%s: %d bytes uploaded and read back through presigned URLs\n", e.o.bucket, e.o.key, size)

	req, err := e.apiRequest(ctx, []byte(normalUploadBody))
	if err != nil {
		return err
	}
	if a := do(c, req); a.status != http.StatusOK {
		return fmt.Errorf("POST /v1/uploads with the API key: %v", a)
	}

	for i := 0; i < e.o.hostile; i++ {
		res, err := e.presignURL(ctx, presign.CreateMultipartUpload, &presign.Input{Key: fmt.Sprintf("local/hostileload/complete-%d", i)})
		if err != nil {
			return err
		}
		a, b, err := e.send(ctx, c, res, nil)
		var out struct {
			UploadID string `xml:"UploadId"`
		}
		if err != nil || a.status != http.StatusOK || xml.Unmarshal(b, &out) != nil || out.UploadID == "" {
			return fmt.Errorf("CreateMultipartUpload: %v %v", a, err)
		}
		e.uploadIDs = append(e.uploadIDs, out.UploadID)
	}
	if len(e.uploadIDs) > 0 {
		fmt.Fprintf(w, "  %d multipart uploads created for the complete-parts clients\n", len(e.uploadIDs))
	}

	n, err := e.calibratePost(ctx, c)
	if err != nil {
		return err
	}
	e.postCount = n
	body, _ := e.postForm(n)
	fmt.Fprintf(w, "  POST form: at most %d empty fields before the file (%d bytes before the file part's content)\n", n, len(body)-len(postTail))
	return nil
}

// cleanup aborts the multipart uploads of the complete-parts clients.
func (e *env) cleanup(ctx context.Context) {
	c := e.newClient()
	defer c.CloseIdleConnections()
	for i, id := range e.uploadIDs {
		res, err := e.presignURL(ctx, presign.AbortMultipartUpload, &presign.Input{Key: fmt.Sprintf("local/hostileload/complete-%d", i), UploadID: id})
		if err == nil {
			e.send(ctx, c, res, nil)
		}
	}
}

// normalUploadBody is the API request of the normal clients, the one of
// scripts/loadrun.sh.
const normalUploadBody = `{"filename":"cat.jpg","contentType":"image/jpeg","size":48213}`

func (e *env) apiRequest(ctx context.Context, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(e.o.api, "/")+"/v1/uploads", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.o.apiKey)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// A maker builds the next request of a client.
type maker func(ctx context.Context) (*http.Request, error)

// A kind is one shape of hostile request.
type kind struct {
	name string
	// at and over are the answers expected at the limit and over it.
	at, over string
	// prepare returns the request maker of client i, at the limit or one
	// step over it, and what its requests are like.
	prepare func(e *env, over bool, i int) (maker, string, error)
}

var kinds = []*kind{
	{name: "query-params", at: "403 SignatureDoesNotMatch", over: "400 InvalidArgument", prepare: (*env).queryParams},
	{name: "signed-names", at: "403 AccessDenied", over: "400 RequestHeaderSectionTooLarge", prepare: (*env).signedNames},
	{name: "header-auth", at: "403 SignatureDoesNotMatch", over: "400 RequestHeaderSectionTooLarge", prepare: (*env).headerAuth},
	{name: "post-fields", at: "403 SignatureDoesNotMatch", over: "400 MaxPostPreDataLengthExceededError", prepare: (*env).postFields},
	{name: "api-json", at: "200", over: "413 request_too_large", prepare: (*env).apiJSON},
	{name: "complete-parts", at: "400 InvalidPart", over: "400 InvalidArgument", prepare: (*env).completeParts},
}

func kindNamed(name string) *kind {
	for _, k := range kinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// letters returns n pseudo-random lower-case letters.
func letters(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}

// requestURI is the request target of u as sent: path and query.
func requestURI(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	return p.RequestURI(), nil
}

// fixedGET returns a maker of GET requests of one URL with fixed headers.
func fixedGET(u string, h http.Header) maker {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range h {
			req.Header[k] = v
		}
		return req, nil
	}
}

// queryParams: a presigned GET of the object with unsigned parameters
// added, up to MaxQueryParams parameters and MaxRequestURI bytes of
// target; over the limit, one parameter more in the same bytes. Every
// parameter is sorted and canonicalised before the signature is found
// wrong.
func (e *env) queryParams(over bool, i int) (maker, string, error) {
	res, err := e.presignURL(context.Background(), presign.GetObject, &presign.Input{})
	if err != nil {
		return nil, "", err
	}
	uri, err := requestURI(res.URL)
	if err != nil {
		return nil, "", err
	}
	have := strings.Count(uri, "&") + 1
	extra := s3server.MaxQueryParams - have
	if over {
		extra++
	}
	room := s3server.MaxRequestURI - len(uri)
	const nameLen = 6
	per := room / extra
	if per < len("&=")+nameLen+1 {
		return nil, "", fmt.Errorf("query-params: %d bytes leave no room for %d parameters", room, extra)
	}
	rng := rand.New(rand.NewPCG(1, uint64(i)))
	var b strings.Builder
	b.WriteString(res.URL)
	for j := range extra {
		vlen := per - len("&=") - nameLen
		if j < room%extra {
			vlen++
		}
		b.WriteString("&" + letters(rng, nameLen) + "=" + letters(rng, vlen))
	}
	u := b.String()
	uri, _ = requestURI(u)
	n := strings.Count(uri, "&") + 1
	if over != (n > s3server.MaxQueryParams) || len(uri) != s3server.MaxRequestURI {
		return nil, "", fmt.Errorf("query-params: built %d parameters in %d bytes", n, len(uri))
	}
	return fixedGET(u, nil), fmt.Sprintf("%d params, %d-byte target", n, len(uri)), nil
}

// headerSection counts the header section of a request to host with
// headers h and a body of n bytes (none when n < 0) as s3server does:
// "Name: value" and CRLF for each field, Host included, and the
// Content-Length net/http adds for a body.
func headerSection(host string, h http.Header, n int) int {
	size := len("Host: \r\n") + len(host)
	for name, vals := range h {
		for _, v := range vals {
			size += len(name) + len(v) + 4
		}
	}
	if n >= 0 {
		size += len("Content-Length") + len(strconv.Itoa(n)) + 4
	}
	return size
}

// fillHeaders adds headers named prefix0000, prefix0001, ... with value
// "x" to h until the header section is exactly target bytes, the last
// value taking the remainder.
func fillHeaders(host string, h http.Header, prefix string, target int) error {
	for j := 0; ; j++ {
		name := fmt.Sprintf("%s%04d", prefix, j)
		left := target - headerSection(host, h, -1)
		line := len(name) + 4 + 1
		if left < line {
			return fmt.Errorf("no room for header %s", name)
		}
		if left < 2*line {
			h.Set(name, strings.Repeat("x", left-len(name)-4))
			break
		}
		h.Set(name, "x")
	}
	if got := headerSection(host, h, -1); got != target {
		return fmt.Errorf("built a %d-byte header section, not %d", got, target)
	}
	return nil
}

// signedNames: a presigned GET whose X-Amz-SignedHeaders lists as many
// x-amz-meta-* names as the request target holds, sent with unsigned
// X-Amz-Meta-* headers filling the header section to the limit: the
// verifier looks each header up in the signed names before it refuses
// the unsigned ones. Over the limit, the header section is one byte
// longer.
func (e *env) signedNames(over bool, i int) (maker, string, error) {
	res, err := e.presignURL(context.Background(), presign.GetObject, &presign.Input{})
	if err != nil {
		return nil, "", err
	}
	const param = "X-Amz-SignedHeaders=host"
	if !strings.Contains(res.URL, param) {
		return nil, "", fmt.Errorf("signed-names: %s is not in the presigned URL", param)
	}
	uri, err := requestURI(res.URL)
	if err != nil {
		return nil, "", err
	}
	room := s3server.MaxRequestURI - len(uri)
	var names strings.Builder
	n := 0
	for ; ; n++ {
		name := fmt.Sprintf("%%3Bx-amz-meta-s%04d", n)
		if names.Len()+len(name) > room {
			break
		}
		names.WriteString(name)
	}
	// The last name takes the bytes left, so the target is exactly at
	// the limit (it still sorts after the one before it).
	names.WriteString(strings.Repeat("z", room-names.Len()))
	u := strings.Replace(res.URL, param, param+names.String(), 1)
	if uri, _ = requestURI(u); len(uri) != s3server.MaxRequestURI {
		return nil, "", fmt.Errorf("signed-names: built a %d-byte target", len(uri))
	}
	h := http.Header{"User-Agent": {userAgent}}
	target := s3server.MaxHeaderSection
	if over {
		target++
	}
	if err := fillHeaders(e.store.Host, h, "X-Amz-Meta-U", target); err != nil {
		return nil, "", fmt.Errorf("signed-names: %w", err)
	}
	return fixedGET(u, h), fmt.Sprintf("%d signed names, %d unsigned headers, %d-byte header section", n+1, len(h)-1, target), nil
}

// credential is the access key's credential for S3 in the region on the
// day of date, an X-Amz-Date: "AKID/yyyymmdd/region/s3/aws4_request".
func (e *env) credential(date string) string {
	return e.o.accessKey + "/" + sigv4.Scope{Date: date[:8], Region: e.o.region, Service: "s3"}.String()
}

// headerAuth: a GET of the object signed (wrongly) by an Authorization
// header whose SignedHeaders lists as many names as fit in the header
// section; none of them is sent, so each is signed with an empty value,
// as S3 does. Over the limit, the header section is one byte longer.
func (e *env) headerAuth(over bool, i int) (maker, string, error) {
	u := e.store.JoinPath(e.o.bucket, e.o.key).String()
	target := s3server.MaxHeaderSection
	if over {
		target++
	}
	date := time.Now().UTC().Format(sigv4.TimeFormat)
	auth := func(date string, names string) string {
		return sigv4.Algorithm + " Credential=" + e.credential(date) + ", SignedHeaders=" +
			names + ", Signature=" + strings.Repeat("0", 64)
	}
	base := http.Header{
		"User-Agent":           {userAgent},
		"X-Amz-Date":           {date},
		"X-Amz-Content-Sha256": {sigv4.UnsignedPayload},
	}
	names := []string{"host", "x-amz-content-sha256", "x-amz-date"}
	size := func(names []string) int {
		h := base.Clone()
		h.Set("Authorization", auth(date, strings.Join(names, ";")))
		return headerSection(e.store.Host, h, -1)
	}
	// Names of five letters, two sets apart so none is a real header.
	for j := 0; ; j++ {
		name := "n" + fmt.Sprintf("%04d", j)
		next := append(names, name)
		if size(next) > target-len("X-Pad: x\r\n") {
			break
		}
		names = next
	}
	sort.Strings(names)
	signed := strings.Join(names, ";")
	h := base.Clone()
	h.Set("Authorization", auth(date, signed))
	h.Set("X-Pad", strings.Repeat("x", target-headerSection(e.store.Host, h, -1)-len("X-Pad")-4))
	if got := headerSection(e.store.Host, h, -1); got != target {
		return nil, "", fmt.Errorf("header-auth: built a %d-byte header section, not %d", got, target)
	}
	pad := h.Get("X-Pad")
	mk := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		// A fresh date, within the allowed skew; the same length.
		d := time.Now().UTC().Format(sigv4.TimeFormat)
		req.Header = http.Header{
			"User-Agent":           {userAgent},
			"X-Amz-Date":           {d},
			"X-Amz-Content-Sha256": {sigv4.UnsignedPayload},
			"Authorization":        {auth(d, signed)},
			"X-Pad":                {pad},
		}
		return req, nil
	}
	return mk, fmt.Sprintf("%d signed names, %d-byte header section", len(names), target), nil
}

// postTail is the file part that ends every hostile form.
const postTail = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"

// postForm returns a multipart form (boundary "b") with the signature
// fields of a POST upload, a wrong signature, n empty fields of short
// distinct names, and a one-byte file.
func (e *env) postForm(n int) ([]byte, string) {
	now := time.Now().UTC()
	date := now.Format(sigv4.TimeFormat)
	policy, _ := json.Marshal(map[string]any{
		"expiration": now.Add(6 * time.Hour).Format("2006-01-02T15:04:05.000Z"),
		"conditions": []any{map[string]string{"bucket": e.o.bucket}, []string{"starts-with", "$key", "local/"}},
	})
	var b bytes.Buffer
	field := func(name, value string) {
		b.WriteString("--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n")
	}
	field("key", "local/hostileload/post")
	field("policy", base64.StdEncoding.EncodeToString(policy))
	field("x-amz-algorithm", sigv4.Algorithm)
	field("x-amz-credential", e.credential(date))
	field("x-amz-date", date)
	field("x-amz-signature", strings.Repeat("0", 64))
	for j := range n {
		field(strconv.FormatInt(int64(j), 36), "")
	}
	b.WriteString(postTail)
	return b.Bytes(), "multipart/form-data; boundary=b"
}

func (e *env) postRequest(ctx context.Context, body []byte, contentType string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.store.JoinPath(e.o.bucket).String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return req, nil
}

// calibratePost finds by bisection the most empty fields a form may have
// before the store refuses it as MaxPostPreDataLengthExceededError: with empty
// fields, the store's bound on all the bytes before the file (part
// headers and boundaries included) binds before the 20 KiB of names and
// values.
func (e *env) calibratePost(ctx context.Context, c *http.Client) (int, error) {
	refused := func(n int) (bool, error) {
		body, ct := e.postForm(n)
		req, err := e.postRequest(ctx, body, ct)
		if err != nil {
			return false, err
		}
		a := do(c, req)
		switch a.String() {
		case "400 MaxPostPreDataLengthExceededError":
			return true, nil
		case "403 SignatureDoesNotMatch":
			return false, nil
		}
		return false, fmt.Errorf("a form of %d empty fields got %v", n, a)
	}
	lo, hi := 0, 1<<15 // lo accepted, hi refused
	if r, err := refused(lo); err != nil || r {
		return 0, fmt.Errorf("post-fields: a form of no extra fields: refused %v, %v", r, err)
	}
	if r, err := refused(hi); err != nil || !r {
		return 0, fmt.Errorf("post-fields: a form of %d empty fields: refused %v, %v", hi, r, err)
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		r, err := refused(mid)
		if err != nil {
			return 0, err
		}
		if r {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo, nil
}

// postFields: a POST form upload with as many empty fields as the store
// reads before the file (one more over the limit), a wrong signature.
func (e *env) postFields(over bool, i int) (maker, string, error) {
	n := e.postCount
	if over {
		n++
	}
	body, ct := e.postForm(n)
	pre := 0
	// Pre-data as S3 counts it: field names and values.
	for _, line := range strings.Split(string(body), "\r\n") {
		if name, ok := strings.CutPrefix(line, "Content-Disposition: form-data; name=\""); ok && !strings.Contains(name, "filename") {
			pre += len(name) - 1
		}
	}
	return func(ctx context.Context) (*http.Request, error) {
		return e.postRequest(ctx, body, ct)
	}, fmt.Sprintf("%d fields (%d empty), %d bytes before the file, %d of names", n+6, n, len(body)-len(postTail), pre), nil
}

// apiJSON: POST /v1/uploads with a body of exactly the API's limit (one
// byte more over it): a file name of decomposed characters (e and a
// combining acute accent), which the API normalises to NFC and cuts.
func (e *env) apiJSON(over bool, i int) (maker, string, error) {
	size := e.o.apiBodyLimit
	if over {
		size++
	}
	const head, tail = `{"filename":"`, `.txt","contentType":"text/plain","size":1}`
	room := size - len(head) - len(tail)
	name := strings.Repeat("e\u0301", room/3) + strings.Repeat("x", room%3)
	body := []byte(head + name + tail)
	if len(body) != size || !json.Valid(body) {
		return nil, "", fmt.Errorf("api-json: built %d bytes", len(body))
	}
	return func(ctx context.Context) (*http.Request, error) {
		return e.apiRequest(ctx, body)
	}, fmt.Sprintf("%d-byte JSON body", size), nil
}

// completeParts: a presigned CompleteMultipartUpload of client i's
// upload listing MaxParts parts (one more over the limit), none of which
// was uploaded.
func (e *env) completeParts(over bool, i int) (maker, string, error) {
	if i >= len(e.uploadIDs) {
		return nil, "", fmt.Errorf("complete-parts: no upload for client %d", i)
	}
	res, err := e.presignURL(context.Background(), presign.CompleteMultipartUpload,
		&presign.Input{Key: fmt.Sprintf("local/hostileload/complete-%d", i), UploadID: e.uploadIDs[i]})
	if err != nil {
		return nil, "", err
	}
	n := s3server.MaxParts
	if over {
		n++
	}
	var b bytes.Buffer
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for p := 1; p <= n; p++ {
		sum := sha256.Sum256([]byte(strconv.Itoa(p)))
		fmt.Fprintf(&b, `<Part><PartNumber>%d</PartNumber><ETag>"%s"</ETag></Part>`, p, hex.EncodeToString(sum[:16]))
	}
	b.WriteString(`</CompleteMultipartUpload>`)
	body := b.Bytes()
	hdr := res.HTTPHeader()
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, res.Method, res.URL, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", "application/xml")
		return req, nil
	}, fmt.Sprintf("%d parts, %d-byte XML", n, len(body)), nil
}

// The normal traffic.
const (
	normalGET = "store GET 1 KiB"
	normalAPI = "API POST /v1/uploads"
)

func (e *env) normalMaker(name string) maker {
	if name == normalAPI {
		body := []byte(normalUploadBody)
		return func(ctx context.Context) (*http.Request, error) { return e.apiRequest(ctx, body) }
	}
	return func(ctx context.Context) (*http.Request, error) {
		res, err := e.presigner.Presign(ctx, presign.GetObject, &presign.Input{Bucket: e.o.bucket, Key: e.o.key}, presign.Options{})
		if err != nil {
			return nil, err
		}
		return http.NewRequestWithContext(ctx, http.MethodGet, res.URL, nil)
	}
}

// tally is what the clients of one traffic kind saw in a phase.
type tally struct {
	desc    string
	clients int
	answers map[string]int
	lat     []time.Duration // normal traffic only
}

func (t *tally) add(o *tally) {
	if t.answers == nil {
		t.answers = map[string]int{}
	}
	for k, v := range o.answers {
		t.answers[k] += v
	}
	t.lat = append(t.lat, o.lat...)
	t.clients += o.clients
}

func (t *tally) requests() int {
	n := 0
	for _, v := range t.answers {
		n += v
	}
	return n
}

// answersString lists the answers, most frequent first.
func (t *tally) answersString() string {
	keys := make([]string, 0, len(t.answers))
	for k := range t.answers {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if t.answers[keys[i]] != t.answers[keys[j]] {
			return t.answers[keys[i]] > t.answers[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, t.answers[k]))
	}
	return strings.Join(parts, ", ")
}

// percentile returns the p-th percentile (0 < p < 100) of sorted, by the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// client runs one load client until the deadline or max requests: it
// sends the requests of mk one at a time on c, paced by interval when
// it is not zero, and counts their answers (and latencies, if keep).
func client(ctx context.Context, c *http.Client, mk maker, deadline time.Time, maxReq int, interval, offset time.Duration, keep bool) *tally {
	t := &tally{answers: map[string]int{}, clients: 1}
	next := time.Now().Add(offset)
	for n := 0; n < maxReq && ctx.Err() == nil; n++ {
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			next = next.Add(interval)
		}
		if !time.Now().Before(deadline) {
			break
		}
		req, err := mk(ctx)
		if err != nil {
			t.answers["error: "+shortErr(err)]++
			continue
		}
		start := time.Now()
		a := do(c, req)
		d := time.Since(start)
		t.answers[a.String()]++
		if keep {
			t.lat = append(t.lat, d)
		}
	}
	c.CloseIdleConnections()
	return t
}

// cpu is a reading of process and machine CPU time, in clock ticks.
type cpu struct {
	server, self, busy int64
	at                 time.Time
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on Linux.
const clockTicks = 100

// procTicks returns the user + system CPU time of a process, in ticks,
// from /proc/PID/stat; -1 when it cannot be read.
func procTicks(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return -1
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + s
}

// busyTicks is the CPU time the whole machine spent busy, from /proc/stat.
func busyTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return -1
	}
	var n int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		v, _ := strconv.ParseInt(f[i], 10, 64)
		n += v
	}
	return n
}

func (e *env) readCPU() cpu {
	c := cpu{server: -1, self: procTicks("self"), busy: busyTicks(), at: time.Now()}
	if e.o.pid > 0 {
		c.server = procTicks(strconv.Itoa(e.o.pid))
	}
	return c
}

// cores turns a tick difference over d into cores used; "-" if unknown.
func cores(a, b int64, d time.Duration) string {
	if a < 0 || b < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(b-a)/clockTicks/d.Seconds())
}

// phase is one run of -duration.
type phase struct {
	name    string
	hostile []*kind
	over    bool
	// results
	normal  map[string]*tally
	attacks []*tally
	kinds   []*kind
	elapsed time.Duration
	cpu     [2]cpu
}

func (p *phase) baseline() bool { return len(p.hostile) == 0 }

func parsePhases(spec, kindList string) ([]*phase, error) {
	var all []*kind
	if kindList == "" {
		all = kinds
	} else {
		for _, n := range strings.Split(kindList, ",") {
			k := kindNamed(strings.TrimSpace(n))
			if k == nil {
				return nil, fmt.Errorf("no hostile kind %q; the kinds: %s", n, kindNames())
			}
			all = append(all, k)
		}
	}
	var out []*phase
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		name, only, _ := strings.Cut(s, ":")
		p := &phase{name: s}
		switch name {
		case "baseline":
		case "limit", "over":
			p.over = name == "over"
			p.hostile = all
			if only != "" {
				k := kindNamed(only)
				if k == nil {
					return nil, fmt.Errorf("phase %q: no hostile kind %q; the kinds: %s", s, only, kindNames())
				}
				p.hostile = []*kind{k}
			}
		default:
			return nil, fmt.Errorf("no phase %q: baseline, limit, over, limit:KIND or over:KIND", s)
		}
		out = append(out, p)
	}
	if len(out) == 0 || !out[0].baseline() {
		return nil, errors.New("-phases must start with baseline: the ratios are to the first baseline")
	}
	return out, nil
}

func kindNames() string {
	var n []string
	for _, k := range kinds {
		n = append(n, k.name)
	}
	return strings.Join(n, ", ")
}

// runPhase runs the normal clients, and the hostile clients of p, for the
// duration; the phase ends when the last request in flight is answered.
func (e *env) runPhase(ctx context.Context, p *phase, w io.Writer) error {
	o := e.o
	type job struct {
		normal string // the normal traffic kind, or "" for hostile client
		kind   int    // index into p.hostile
		mk     maker
		c      *http.Client
		i      int
	}
	var jobs []job
	for _, name := range []string{normalGET, normalAPI} {
		for i := range o.normal {
			jobs = append(jobs, job{normal: name, mk: e.normalMaker(name), c: e.newClient(), i: i})
		}
	}
	p.kinds = p.hostile
	p.attacks = make([]*tally, len(p.hostile))
	for ki, k := range p.hostile {
		p.attacks[ki] = &tally{answers: map[string]int{}}
		for i := range o.hostile {
			mk, desc, err := k.prepare(e, p.over, i)
			if err != nil {
				return err
			}
			p.attacks[ki].desc = desc
			jobs = append(jobs, job{kind: ki, mk: mk, c: e.newClient(), i: i})
		}
	}
	var interval, hostileInterval time.Duration
	if o.normalRate > 0 {
		interval = time.Duration(float64(time.Second) / o.normalRate)
	}
	if o.hostileRate > 0 {
		hostileInterval = time.Duration(float64(time.Second) / o.hostileRate)
	}
	results := make([]*tally, len(jobs))
	var wg sync.WaitGroup
	p.cpu[0] = e.readCPU()
	deadline := p.cpu[0].at.Add(o.duration)
	for j, jb := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if jb.normal != "" {
				// Paced clients start spread over one interval.
				offset := time.Duration(0)
				if interval > 0 {
					offset = interval * time.Duration(jb.i) / time.Duration(o.normal)
				}
				results[j] = client(ctx, jb.c, jb.mk, deadline, o.maxRequests, interval, offset, true)
			} else {
				offset := hostileInterval * time.Duration(jb.i) / time.Duration(max(1, o.hostile))
				results[j] = client(ctx, jb.c, jb.mk, deadline, o.maxRequests, hostileInterval, offset, false)
			}
		}()
	}
	wg.Wait()
	p.cpu[1] = e.readCPU()
	p.elapsed = p.cpu[1].at.Sub(p.cpu[0].at)
	p.normal = map[string]*tally{normalGET: {}, normalAPI: {}}
	for j, jb := range jobs {
		if jb.normal != "" {
			p.normal[jb.normal].add(results[j])
		} else {
			p.attacks[jb.kind].add(results[j])
		}
	}
	for _, t := range p.normal {
		slices.Sort(t.lat)
	}
	g, a := p.normal[normalGET], p.normal[normalAPI]
	fmt.Fprintf(w, "  %-22s %5.1fs  GET p50 %s (%d)  API p50 %s (%d)  server %s cores\n", p.name, p.elapsed.Seconds(),
		ms(percentile(g.lat, 50)), g.requests(), ms(percentile(a.lat, 50)), a.requests(), cores(p.cpu[0].server, p.cpu[1].server, p.elapsed))
	return ctx.Err()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// expected reports whether every answer in t is want.
func expected(t *tally, want string) bool {
	for k := range t.answers {
		if k != want {
			return false
		}
	}
	return len(t.answers) > 0
}

func run(ctx context.Context, o *options, w io.Writer) (int, error) {
	phases, err := parsePhases(o.phases, o.kinds)
	if err != nil {
		return 1, err
	}
	store, err := url.Parse(strings.TrimSuffix(o.store, "/"))
	if err != nil {
		return 1, err
	}
	p, err := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: o.accessKey, SecretAccessKey: o.secretKey},
		Region:      o.region, Endpoint: store.String(), Addressing: presign.AddressingPath,
	})
	if err != nil {
		return 1, err
	}
	e := &env{o: o, store: store, presigner: p}
	fmt.Fprintf(w, "== setup (store %s, API %s)\n", o.store, o.api)
	err = e.setup(ctx, w)
	defer e.cleanup(context.Background())
	if err != nil {
		return 1, err
	}
	if o.warmup > 0 {
		warm := &phase{name: "warm-up"}
		d := o.duration
		o.duration = o.warmup
		err := e.runPhase(ctx, warm, io.Discard)
		o.duration = d
		if err != nil {
			return 1, err
		}
	}
	pace := func(rate float64) string {
		if rate > 0 {
			return fmt.Sprintf("%g req/s each", rate)
		}
		return "flat out"
	}
	fmt.Fprintf(w, "== phases of %s: %d normal clients of each kind (%s), %d hostile clients per kind (%s); %d CPUs\n",
		o.duration, o.normal, pace(o.normalRate), o.hostile, pace(o.hostileRate), runtime.NumCPU())
	for _, p := range phases {
		if err := e.runPhase(ctx, p, w); err != nil {
			return 1, err
		}
	}
	return report(w, e, phases), nil
}

// report prints the tables and returns the exit status.
func report(w io.Writer, e *env, phases []*phase) int {
	status := 0
	fmt.Fprintf(w, "\n== results (%s, %d CPUs, %s)\n\n", time.Now().UTC().Format("2006-01-02T15:04Z"), runtime.NumCPU(), loadavg())
	fmt.Fprintln(w, "Hostile requests (each kind: its clients, one request at a time each):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| phase | kind | request | clients | requests | req/s | answers | expected |")
	fmt.Fprintln(w, "| --- | --- | --- | ---: | ---: | ---: | --- | --- |")
	for _, p := range phases {
		for i, k := range p.kinds {
			t := p.attacks[i]
			want := k.at
			if p.over {
				want = k.over
			}
			ok := "yes"
			if !expected(t, want) {
				ok, status = "**UNEXPECTED** (want "+want+")", 1
			}
			fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %.0f | %s | %s |\n", p.name, k.name, t.desc, t.clients, t.requests(),
				float64(t.requests())/p.elapsed.Seconds(), t.answersString(), ok)
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Normal traffic (latency of each request, send to last byte of the answer):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| traffic | phase | requests | req/s | not 200 | p50 ms | p90 ms | p99 ms | p50 / baseline | < 2× |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	failed := false
	for _, name := range []string{normalGET, normalAPI} {
		base := percentile(phases[0].normal[name].lat, 50)
		for _, p := range phases {
			t := p.normal[name]
			p50 := percentile(t.lat, 50)
			bad := t.requests() - t.answers["200"]
			if bad > 0 {
				status = 1
			}
			ratio, verdict := "-", "-"
			if base > 0 && p != phases[0] {
				r := float64(p50) / float64(base)
				ratio = fmt.Sprintf("%.2f×", r)
				if !p.baseline() {
					verdict = "PASS"
					if r >= 2 {
						verdict, failed = "**FAIL**", true
					}
				}
			}
			fmt.Fprintf(w, "| %s | %s | %d | %.0f | %d | %s | %s | %s | %s | %s |\n", name, p.name, t.requests(),
				float64(t.requests())/p.elapsed.Seconds(), bad, ms(p50), ms(percentile(t.lat, 90)), ms(percentile(t.lat, 99)), ratio, verdict)
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU (cores used over the phase, from /proc; the machine's includes every other job). The server's")
	fmt.Fprintln(w, "CPU per hostile request is an estimate: the phase's server CPU, less the normal requests at the")
	fmt.Fprintln(w, "first baseline's CPU per request, over the hostile requests (of all kinds in the phase).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| phase | seconds | server | hostileload | machine | server µs / normal req | server µs / hostile req (est.) |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	normalReqs := func(p *phase) int { return p.normal[normalGET].requests() + p.normal[normalAPI].requests() }
	serverTicks := func(p *phase) int64 { return p.cpu[1].server - p.cpu[0].server }
	perNormal := -1.0
	if b := phases[0]; b.cpu[0].server >= 0 && normalReqs(b) > 0 {
		perNormal = float64(serverTicks(b)) / clockTicks * 1e6 / float64(normalReqs(b))
	}
	for _, p := range phases {
		pn, ph := "-", "-"
		if perNormal >= 0 {
			if p.baseline() {
				pn = fmt.Sprintf("%.0f", float64(serverTicks(p))/clockTicks*1e6/float64(max(1, normalReqs(p))))
			} else {
				n := 0
				for _, t := range p.attacks {
					n += t.requests()
				}
				us := float64(serverTicks(p))/clockTicks*1e6 - perNormal*float64(normalReqs(p))
				ph = fmt.Sprintf("%.0f", us/float64(max(1, n)))
			}
		}
		fmt.Fprintf(w, "| %s | %.1f | %s | %s | %s | %s | %s |\n", p.name, p.elapsed.Seconds(), cores(p.cpu[0].server, p.cpu[1].server, p.elapsed),
			cores(p.cpu[0].self, p.cpu[1].self, p.elapsed), cores(p.cpu[0].busy, p.cpu[1].busy, p.elapsed), pn, ph)
	}
	fmt.Fprintln(w)
	switch {
	case status != 0:
		fmt.Fprintln(w, "verdict: some answers were not the expected ones (see above); the ratios do not count")
	case failed:
		fmt.Fprintln(w, "verdict: FAIL: hostile requests moved a normal p50 by 2× or more")
		status = 2
	default:
		fmt.Fprintln(w, "verdict: PASS: every normal p50 under hostile load is within 2× of the baseline")
	}
	return status
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load average unknown"
	}
	return "load average " + strings.Join(f[:3], " ")
}
