package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/presign-dev/presign/issuer"
)

// The CLI as a client of presign serve: "presign upload FILE --api URL"
// and "presign download KEY --api URL" ask the service for the URLs, under
// its policy, instead of signing them.

// transferFlags are the flags upload and download share: retries, the
// bar, the rate, and those that point a transfer at the service.
type transferFlags struct {
	retries, api, keyFile, limitRate string
	quiet                            bool
}

func (f *transferFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.retries, "retries", fmt.Sprint(defaultRetries), "")
	fs.BoolVar(&f.quiet, "quiet", false, "")
	fs.StringVar(&f.api, "api", "", "")
	fs.StringVar(&f.keyFile, "api-key-file", "", "")
	fs.StringVar(&f.limitRate, "limit-rate", "", "")
}

// parse checks the flags, sets t's rate limit and returns the retries.
func (f *transferFlags) parse(t *transfer) (int, error) {
	retries, err := parseRetries(f.retries)
	if err != nil {
		return 0, err
	}
	t.limit, err = f.limiter()
	return retries, err
}

// limiter parses --limit-rate: bytes a second, such as 20MiB; nil for none.
func (f *transferFlags) limiter() (*rate.Limiter, error) {
	if f.limitRate == "" {
		return nil, nil
	}
	n, err := parseSize("limit-rate", f.limitRate)
	if err != nil || n < 1024 {
		return nil, usageErrorf("give bytes a second, at least 1KiB: 512KiB, 20MiB, 1048576", "--limit-rate %q is not a rate", f.limitRate)
	}
	return rate.NewLimiter(rate.Limit(n), int(min(n, 1<<20))), nil
}

// apiClient calls presign serve's API with an API key.
type apiClient struct {
	base   string // scheme://host[:port][/path], no trailing slash
	key    string
	client *http.Client
	t      *transfer
}

// apiKeyEnv holds the API key, so that it stays out of the shell's history.
const apiKeyEnv = "PRESIGN_API_KEY"

// client returns the API client the flags name; the key comes from
// --api-key-file, else PRESIGN_API_KEY.
func (f *transferFlags) client(t *transfer) (*apiClient, error) {
	u, err := url.Parse(f.api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, usageErrorf("give the service's address, such as http://127.0.0.1:8080", "--api %q is not an http(s) address", shortName(f.api, 80))
	}
	key := os.Getenv(apiKeyEnv)
	if f.keyFile != "" {
		b, _, err := readLimited(f.keyFile, t.stdin, 4096)
		if err != nil {
			return nil, usageErrorf("give the file the API key is in", "cannot read --api-key-file %s: %s", f.keyFile, errText(err))
		}
		key = strings.TrimSpace(string(b))
	}
	if key == "" {
		return nil, usageErrorf("set "+apiKeyEnv+" or give --api-key-file FILE, so that the key stays out of the shell's history", "--api needs the API key")
	}
	// The API answers quickly; storage's bytes do not go through it.
	hc := &http.Client{Timeout: 60 * time.Second, Transport: t.client.Transport}
	return &apiClient{base: strings.TrimRight(f.api, "/"), key: key, client: hc, t: t}, nil
}

// apiError is a refusal of the API, as the API worded it.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (e *apiError) Error() string { return e.Message }

// cli is the refusal as the command's error: the API's message, word for
// word, and its code.
func (e *apiError) cli() error {
	return &cliError{msg: "presign serve refused: " + printableName(e.Message), hint: "the API's code: " + printableName(e.Code), err: e}
}

// call sends a JSON request and decodes a 2xx answer into out. Network
// errors and 5xx or 429 answers are retried a few times with backoff; a
// refusal is an *apiError.
func (a *apiClient) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return failf("%w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		err := a.once(ctx, method, path, body, out)
		var te *transientError
		if errors.As(err, &te) && attempt < 3 && ctx.Err() == nil {
			if a.t.wait(ctx, attempt+1) == nil {
				continue
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
}

func (a *apiClient) once(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(body))
	if err != nil {
		return failf("%w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &transientError{msg: "presign serve at " + a.base + " did not answer: " + err.Error(), err: err}
	}
	defer drain(res)
	b, err := io.ReadAll(io.LimitReader(res.Body, maxDoc))
	if err != nil {
		return &transientError{msg: "reading presign serve's answer: " + err.Error(), err: err}
	}
	if res.StatusCode/100 != 2 {
		var doc struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(b, &doc) != nil || doc.Error == nil || doc.Error.Message == "" {
			if retryableStatus(res.StatusCode) {
				return &transientError{msg: "presign serve answered " + res.Status}
			}
			return &cliError{msg: "presign serve answered " + res.Status + " with no API error", hint: "is --api " + a.base + " presign serve's address?"}
		}
		doc.Error.Status = res.StatusCode
		if res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 && doc.Error.Code != "presign_failed" {
			return &transientError{msg: "presign serve: " + doc.Error.Message, err: doc.Error}
		}
		return doc.Error
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &cliError{msg: "presign serve's answer is not the JSON expected: " + err.Error(), hint: "is --api " + a.base + " presign serve's address?"}
	}
	return nil
}

// apiErr turns an error of the API client into the command's.
func apiErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return &cliError{msg: "interrupted", hint: "run the same command again: a multipart upload resumes", err: err}
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.cli()
	}
	var te *transientError
	if errors.As(err, &te) {
		return &cliError{msg: te.msg, hint: "try again later", err: err}
	}
	return err
}

// fileType is the Content-Type to ask for: the flag's, else the one the
// file's extension names, else what its first bytes look like.
func fileType(f *os.File, name, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	return http.DetectContentType(head[:n])
}

// uploadState is what a multipart upload through the API keeps on disk
// between runs, so that a run after an interruption resumes it.
type uploadState struct {
	API     string    `json:"api"`
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	ID      string    `json:"id"`
	Key     string    `json:"key"`
}

// statePath is where the state of FILE's upload to api lives: in the
// user's cache directory, named by a hash of both.
func statePath(api, abs string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(api + "\x00" + abs))
	return filepath.Join(dir, "presign", "uploads", hex.EncodeToString(sum[:16])+".json"), nil
}

// viaAPI uploads the file through the service: one PUT or POST as the
// service answers POST /v1/uploads, or, when it says the file needs a
// multipart upload, parts sent in parallel. A multipart upload cut off is
// resumed by the next run with the same file and service: its state is in
// the user's cache directory, and the service lists the parts storage
// holds.
func (c *uploadCommand) viaAPI(ctx context.Context, a *apiClient, f *os.File, name, contentType string, retries, parallel int, quiet bool) error {
	fi, err := f.Stat()
	if err != nil {
		return failf("%w", err)
	}
	abs, err := filepath.Abs(f.Name())
	if err != nil {
		return failf("%w", err)
	}
	statePath, err := statePath(a.base, abs)
	if err != nil {
		return failf("finding the cache directory: %w", err)
	}
	st := &uploadState{API: a.base, Path: abs, Size: fi.Size(), ModTime: fi.ModTime().UTC()}
	if b, err := os.ReadFile(statePath); err == nil {
		var old uploadState
		if json.Unmarshal(b, &old) == nil && old.API == st.API && old.Path == st.Path && old.Size == st.Size && old.ModTime.Equal(st.ModTime) && old.ID != "" {
			st = &old
		} else {
			os.Remove(statePath) // the file changed: start again
		}
	}
	if st.ID == "" {
		var up issuer.UploadResponse
		err := a.call(ctx, http.MethodPost, "/v1/uploads", map[string]any{"filename": name, "contentType": contentType, "size": fi.Size()}, &up)
		var ae *apiError
		if err == nil {
			p, err := planUpload(&transferDoc{Method: up.Method, URL: up.URL, Headers: up.Headers, Fields: (*orderedFields)(&up.Fields)}, nil, false, "")
			if err != nil {
				return err
			}
			p.file, p.name, p.size, p.key = f, name, fi.Size(), up.Key
			return c.upload(ctx, p, retries, quiet)
		}
		if !errors.As(err, &ae) || ae.Code != string(issuer.CodeUseMultipart) {
			return apiErr(err)
		}
		var mp issuer.MultipartResponse
		if err := a.call(ctx, http.MethodPost, "/v1/uploads/multipart", map[string]any{"filename": name, "contentType": contentType, "size": fi.Size()}, &mp); err != nil {
			return apiErr(err)
		}
		st.ID, st.Key = mp.ID, mp.Key
		b, _ := json.Marshal(st)
		if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
			return failf("keeping the upload's state: %w", err)
		}
		if err := os.WriteFile(statePath, b, 0o600); err != nil {
			return failf("keeping the upload's state: %w", err)
		}
	}
	err = c.multipart(ctx, a, st, f, name, retries, parallel, quiet)
	if err == nil {
		os.Remove(statePath)
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) && (ae.Code == string(issuer.CodeNoSuchUpload) || ae.Code == string(issuer.CodeUploadExpired)) {
		os.Remove(statePath) // the next run starts a new upload
	}
	return err
}

// multipart sends the parts storage does not hold yet, parallel at once,
// and completes the upload.
func (c *uploadCommand) multipart(ctx context.Context, a *apiClient, st *uploadState, f *os.File, name string, retries, parallel int, quiet bool) error {
	id := url.PathEscape(st.ID)
	var list issuer.ListPartsResponse
	if err := a.call(ctx, http.MethodGet, "/v1/uploads/multipart/"+id, nil, &list); err != nil {
		return apiErr(err)
	}
	etags := make([]string, list.PartCount+1)
	var done int64
	var missing []int
	have := map[int]issuer.StoredPart{}
	for _, p := range list.Parts {
		have[p.PartNumber] = p
	}
	for n := 1; n <= list.PartCount; n++ {
		if p, ok := have[n]; ok && p.Size == partLength(st.Size, list.PartSize, list.PartCount, n) {
			etags[n] = p.ETag
			done += p.Size
			continue
		}
		missing = append(missing, n)
	}
	m := c.newMeter(quiet, st.Size, done, "upload "+name)
	if done > 0 {
		m.note("resuming the upload of %s: %d of %d parts are stored already", printableName(name), list.PartCount-len(missing), list.PartCount)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan issuer.PartURL)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range min(parallel, max(len(missing), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				etag, err := c.sendPart(ctx, p, f, partLength(st.Size, list.PartSize, list.PartCount, p.PartNumber), list.PartSize, retries, m)
				if err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				etags[p.PartNumber] = etag
				mu.Unlock()
			}
		}()
	}
	// Part URLs are asked for in batches, as they are needed: each lives
	// as long as the client's upload expiry.
	var sendErr error
feed:
	for i := 0; i < len(missing); i += 100 {
		var urls issuer.PartsResponse
		if err := a.call(ctx, http.MethodPost, "/v1/uploads/multipart/"+id+"/parts", map[string]any{"partNumbers": missing[i:min(i+100, len(missing))]}, &urls); err != nil {
			sendErr = err
			break
		}
		for _, p := range urls.Parts {
			select {
			case jobs <- p:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if cause := context.Cause(ctx); sendErr == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		sendErr = cause
	}
	if sendErr == nil && ctx.Err() != nil {
		sendErr = ctx.Err()
	}
	if sendErr != nil {
		m.abort()
		if errors.Is(sendErr, context.Canceled) {
			m.mu.Lock()
			sent := m.n
			m.mu.Unlock()
			return &cliError{msg: fmt.Sprintf("upload interrupted after %s of %s", formatBytes(sent), formatBytes(st.Size)),
				hint: "the parts sent are kept: run the same command again to resume", err: sendErr}
		}
		return apiErr(sendErr)
	}
	parts := make([]issuer.Part, 0, list.PartCount)
	for n := 1; n <= list.PartCount; n++ {
		parts = append(parts, issuer.Part{PartNumber: n, ETag: etags[n]})
	}
	var res issuer.CompleteResponse
	if err := a.call(ctx, http.MethodPost, "/v1/uploads/multipart/"+id+"/complete", map[string]any{"parts": parts}, &res); err != nil {
		m.abort()
		return apiErr(err)
	}
	m.finish()
	line := fmt.Sprintf("uploaded %s (%s) as %s, ETag %s", printableName(name), formatBytes(st.Size), printableName(res.Key), printableName(res.ETag))
	if _, err := fmt.Fprintln(c.stdout, line); err != nil {
		return failf("writing the output: %w", err)
	}
	return nil
}

// partLength is the length of part n of an upload of size bytes in
// parts of partSize.
func partLength(size, partSize int64, count, n int) int64 {
	if n < count {
		return partSize
	}
	return size - int64(count-1)*partSize
}

// sendPart PUTs one part, retrying transient failures, and returns its
// ETag. A retry takes the part's bytes off the meter again.
func (c *uploadCommand) sendPart(ctx context.Context, p issuer.PartURL, f *os.File, length, partSize int64, retries int, m *meter) (string, error) {
	offset := int64(p.PartNumber-1) * partSize
	for attempt := 0; ; attempt++ {
		sent := &countingMeter{m: m}
		etag, err := c.putPart(ctx, p, io.NewSectionReader(f, offset, length), length, sent)
		if err == nil {
			return etag, nil
		}
		m.add(-sent.n)
		var te *transientError
		if errors.As(err, &te) && attempt < retries && ctx.Err() == nil {
			m.note("part %d: %s; retrying (%d of %d)", p.PartNumber, te.msg, attempt+1, retries)
			if c.wait(ctx, attempt+1) == nil {
				continue
			}
		}
		return "", err
	}
}

// countingMeter counts what one attempt added to a meter.
type countingMeter struct {
	m *meter
	n int64
}

func (c *countingMeter) add(n int64) {
	c.n += n
	c.m.add(n)
}

func (c *uploadCommand) putPart(ctx context.Context, p issuer.PartURL, body io.Reader, length int64, sent *countingMeter) (string, error) {
	ctx, dog := watch(ctx, c.idle)
	defer dog.stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.URL, &progressReader{r: body, add: sent.add, dog: dog, limit: c.limit})
	if err != nil {
		return "", failf("%w", err)
	}
	req.ContentLength = length
	for k, v := range p.Headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	res, err := c.client.Do(req)
	if err != nil {
		return "", networkError(ctx, fmt.Sprintf("part %d failed", p.PartNumber), err)
	}
	defer drain(res)
	switch {
	case res.StatusCode/100 == 2:
		if etag := res.Header.Get("ETag"); etag != "" {
			return etag, nil
		}
		return "", &cliError{msg: fmt.Sprintf("storage stored part %d but sent no ETag", p.PartNumber), hint: "storage must answer UploadPart with an ETag header, as S3 does"}
	case retryableStatus(res.StatusCode):
		return "", &transientError{msg: "storage answered " + res.Status}
	}
	return "", c.refusal("upload of part "+fmt.Sprint(p.PartNumber), http.MethodPut, p.URL, sentHeaders(req), res)
}

// downloadURL asks the service for a download URL of key.
func downloadURL(ctx context.Context, a *apiClient, key string) (string, error) {
	var res issuer.DownloadResponse
	if err := a.call(ctx, http.MethodPost, "/v1/downloads", map[string]any{"key": key}, &res); err != nil {
		return "", apiErr(err)
	}
	return res.URL, nil
}

// runAPI is "presign upload FILE --api URL".
func (c *uploadCommand) runAPI(ctx context.Context, af *transferFlags, pos []string, set map[string]bool, contentType string, retries, parallel int, quiet bool) error {
	for _, name := range []string{"json", "form", "header", "checksum-sha256"} {
		if set[name] {
			return usageErrorf("leave --"+name+" out: the service makes the upload's URL", "--%s does not go with --api", name)
		}
	}
	switch {
	case len(pos) == 0:
		return usageErrorf("give the file to upload: presign upload FILE --api URL", "missing the FILE argument")
	case len(pos) > 1:
		return usageErrorf("give one FILE: with --api the service makes the URL", "too many arguments (%d)", len(pos))
	case pos[0] == "-":
		return usageErrorf("save the data to a file and give its name: the service needs the size first", "cannot upload standard input")
	case parallel < 1 || parallel > 64:
		return usageErrorf("give 1 to 64", "--parallel %d is not a number of parts at once", parallel)
	}
	a, err := af.client(&c.transfer)
	if err != nil {
		return err
	}
	f, _, err := openUpload(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	name := filepath.Base(pos[0])
	return c.viaAPI(ctx, a, f, name, fileType(f, name, contentType), retries, parallel, quiet)
}
