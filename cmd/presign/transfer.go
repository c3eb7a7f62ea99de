package main

import (
	"golang.org/x/time/rate"
	"syscall"

	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/presign-dev/presign/inspect"
	"github.com/presign-dev/presign/sigv4"
)

// This file holds what "presign upload" and "presign download" share: the
// HTTP client, retries with backoff, a stall watchdog, the progress bar,
// and the explanation of storage's refusals.

// Defaults of the transfer commands.
const (
	defaultRetries = 5
	// transferIdle is how long a transfer may go without moving a byte
	// before it is taken as broken (and retried).
	transferIdle = 60 * time.Second
	// responseTimeout bounds the wait for the response headers once the
	// request, body included, has been sent.
	responseTimeout = 5 * time.Minute
)

// transfer is the machinery of one transfer command.
type transfer struct {
	streams
	client *http.Client
	// terminal reports whether stderr is a terminal, where the progress
	// bar is drawn.
	terminal func() bool
	// backoff is the wait before retry n (1 for the first).
	backoff func(n int) time.Duration
	// idle is the stall timeout; see transferIdle.
	idle time.Duration
	// limit, when set, bounds the bytes a second (--limit-rate).
	limit *rate.Limiter
}

func newTransfer(s streams) transfer {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Ask before sending a body, so that a refused upload is refused
	// before the file is sent.
	tr.ExpectContinueTimeout = time.Second
	tr.ResponseHeaderTimeout = responseTimeout
	// Save the object's bytes as stored: no transparent gzip decoding.
	tr.DisableCompression = true
	return transfer{
		streams: s,
		client: &http.Client{
			Transport: tr,
			// A presigned URL is signed for its host: never send the
			// request, or the file, elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		terminal: func() bool { return isTerminal(s.stderr) },
		backoff:  defaultBackoff,
		idle:     transferIdle,
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// defaultBackoff doubles from 500ms to at most 8s, with up to 50% jitter.
func defaultBackoff(n int) time.Duration {
	d := 500 * time.Millisecond << min(n-1, 4)
	return d + rand.N(d/2+1)
}

// wait sleeps for the backoff before retry n, or until ctx is done.
func (t *transfer) wait(ctx context.Context, n int) error {
	d := t.backoff(n)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parseRetries parses --retries.
func parseRetries(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100 {
		return 0, usageErrorf("give a number from 0 to 100", "--retries %q is not a number of retries", s)
	}
	return n, nil
}

// transientError is a failure worth retrying: the network, a stall, or a
// 5xx answer (S3's InternalError, SlowDown, ServiceUnavailable).
type transientError struct {
	msg string
	err error
}

func (e *transientError) Error() string { return e.msg }
func (e *transientError) Unwrap() error { return e.err }

// networkError wraps an error of the HTTP client as a transientError, or
// returns the interruption when ctx, the attempt's, was cancelled other
// than by its watchdog.
func networkError(ctx context.Context, what string, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
		return &transientError{msg: what + ": " + cause.Error(), err: cause}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	var ue *url.Error
	host := ""
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
			if u.Port() == "" {
				host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
			}
		}
		err = ue.Err // drop the URL, which holds the signature
	}
	// What no retry mends fails at once: nothing listens there, or the
	// host name is unknown.
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED) && host != "":
		return &cliError{msg: fmt.Sprintf("%s: nothing listens at %s (connection refused)", what, host),
			hint: "check the URL's host and port, or start the server there", err: err}
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return &cliError{msg: fmt.Sprintf("%s: the host %s is unknown (no such host in DNS)", what, dnsErr.Name),
			hint: "check the URL's host name", err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &transientError{msg: what + ": timed out", err: err}
	}
	return &transientError{msg: what + ": " + err.Error(), err: err}
}

// retryableStatus reports whether an HTTP status is worth retrying.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// errStalled is the cause of a transfer that moved no byte for the idle
// timeout.
var errStalled = errors.New("no data moved")

// watchdog cancels a transfer that moves no byte for a while.
type watchdog struct {
	timer  *time.Timer
	idle   time.Duration
	cancel context.CancelCauseFunc
}

// watch returns a context that is cancelled with errStalled when touch is
// not called for idle, and the watchdog; stop it when the transfer ends.
func watch(ctx context.Context, idle time.Duration) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{idle: idle, cancel: cancel}
	w.timer = time.AfterFunc(idle, func() { cancel(fmt.Errorf("%w for %s", errStalled, idle)) })
	return ctx, w
}

func (w *watchdog) touch() { w.timer.Reset(w.idle) }

// pause stops the watchdog until the next touch: while waiting for the
// response to a fully sent request, which responseTimeout bounds.
func (w *watchdog) pause() { w.timer.Stop() }

func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// meter shows a transfer's progress: a bar on stderr when it is a
// terminal, nothing otherwise (the command prints one line at the end).
type meter struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	w   io.Writer
	n   int64
}

// newMeter returns a meter for total bytes (-1 when unknown), of which
// start are done already. desc names the transfer, such as "download
// cat.jpg".
func (t *transfer) newMeter(quiet bool, total, start int64, desc string) *meter {
	m := &meter{w: t.stderr, n: start}
	if quiet || total == 0 || !t.terminal() {
		return m
	}
	m.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(t.stderr),
		progressbar.OptionSetDescription(shortName(desc, 28)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionShowCount(),
		progressbar.OptionFullWidth(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(t.stderr) }),
	)
	if start > 0 {
		m.bar.Set64(start)
	} else {
		m.bar.RenderBlank()
	}
	return m
}

// Write counts p as transferred.
func (m *meter) Write(p []byte) (int, error) {
	m.add(int64(len(p)))
	return len(p), nil
}

func (m *meter) add(n int64) {
	m.mu.Lock()
	m.n += n
	m.mu.Unlock()
	if m.bar != nil {
		m.bar.Add64(n)
	}
}

// set moves the meter to n bytes done: after a restart or a resume.
func (m *meter) set(n int64) {
	m.mu.Lock()
	m.n = n
	m.mu.Unlock()
	if m.bar != nil {
		m.bar.Set64(n)
	}
}

// setTotal changes the length the bar goes to: the object's, once known.
func (m *meter) setTotal(total int64) {
	if m.bar != nil && total > 0 && total != m.bar.GetMax64() {
		m.bar.ChangeMax64(total)
	}
}

// note prints a line on stderr without garbling the bar, which is drawn
// again at the next progress.
func (m *meter) note(format string, args ...any) {
	if m.bar != nil {
		m.bar.Clear()
	}
	fmt.Fprintf(m.w, "presign: "+format+"\n", args...)
}

// finish draws the bar full and ends its line.
func (m *meter) finish() {
	if m.bar != nil {
		m.bar.Finish()
	}
}

// abort ends the bar's line where it is, for an error to follow.
func (m *meter) abort() {
	if m.bar != nil && !m.bar.IsFinished() {
		m.bar.Exit()
	}
}

// shortName shortens s to at most n runes, with an ellipsis in the middle,
// and replaces control characters.
func shortName(s string, n int) string {
	s = printableName(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	half := (n - 1) / 2
	return string(r[:half]) + "…" + string(r[len(r)-(n-1-half):])
}

// printableName replaces control and bidirectional-control characters,
// which would let a key rewrite the terminal or the name's look, with '_'.
func printableName(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == unicode.ReplacementChar {
			return '_'
		}
		return r
	}, s)
}

// formatBytes writes n bytes for people: 512 B, 1.5 KiB, 12.0 MiB.
func formatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, unit := float64(n), ""
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		v /= 1024
		unit = u
		if v < 1024 {
			break
		}
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}

// withoutQuery returns the URL without its query, where the signature is:
// what the commands print to say where an object went.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the URL"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// maxErrorBody bounds the error body read: S3's are a few kilobytes.
const maxErrorBody = 1 << 20

// refusal turns a response that is neither a success nor worth retrying
// into the command's error. When the body is S3's XML error, the diagnosis
// of the inspect package (the one "presign diagnose" prints) is written to
// stderr first: S3's code and message, the likely causes, the details.
// what names the transfer ("upload", "download"); rawURL and method are
// the request's, and sent are the headers it was sent with.
func (t *transfer) refusal(what, method, rawURL string, sent []sigv4.Param, res *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	status := res.Status
	if e, err := inspect.ParseErrorXML(body); err == nil {
		// The URL need not be presigned (a POST form's is not): then the
		// diagnosis rests on S3's error alone.
		in, err := inspect.Parse(rawURL, method, time.Time{})
		if err != nil {
			in = nil
		}
		d := inspect.DiagnoseError(in, e, inspect.Local{Header: sent})
		d.WriteText(t.stderr)
		hint := "likely cause: " + d.Causes[0].Code.String() + "; the explanation is above"
		if d.Causes[0].Code == inspect.CauseNotAuth && e.Message != "" {
			hint = e.Message
		}
		return &cliError{msg: fmt.Sprintf("storage refused the %s: %s %s", what, status, e.Code), hint: hint}
	}
	hint := "the answer is not S3's XML error"
	if s := strings.TrimSpace(printableName(string(body))); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		hint += ": " + s
	} else {
		hint += "; the body was empty"
	}
	return &cliError{msg: fmt.Sprintf("storage answered the %s with %s", what, status), hint: hint}
}

// sentHeaders lists the headers of req, names lower case, for a diagnosis.
func sentHeaders(req *http.Request) []sigv4.Param {
	var out []sigv4.Param
	for name, vs := range req.Header {
		if strings.EqualFold(name, "Expect") {
			continue
		}
		out = append(out, sigv4.Param{Name: strings.ToLower(name), Value: strings.Join(vs, ",")})
	}
	if req.ContentLength > 0 {
		out = append(out, sigv4.Param{Name: "content-length", Value: strconv.FormatInt(req.ContentLength, 10)})
	}
	if req.Host != "" {
		out = append(out, sigv4.Param{Name: "host", Value: req.Host})
	}
	return out
}

// drain reads what is left of a response body, within bounds, so that the
// connection can be used again, and closes it.
func drain(res *http.Response) {
	io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
	res.Body.Close()
}
