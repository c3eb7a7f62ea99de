package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

const downloadUsage = `Usage: presign download URL [-o FILE] [flags]
       presign download KEY --api URL [-o FILE] [flags]

Downloads the object of a presigned GET URL into FILE, streaming it, with a
progress bar on standard error when it is a terminal. URL - reads the URL
from standard input. Flags may come before or after the argument.

The data goes to FILE.part, and the object's ETag to FILE.part.etag; FILE
appears, whole, at the end. A download cut off (the network, Ctrl-C) keeps
them: the same command resumes it where it stopped, with a Range request
that only an unchanged object answers (If-Match: the ETag). An object that
changed since is downloaded again from the start. Network errors and 5xx
answers are retried, resuming, with backoff.

When storage refuses the download, S3's error and its explanation (as
"presign diagnose" gives it) are printed on standard error.

Flags:
  -o, --output FILE   where to save the object; default: the last segment of the
                      URL's path (the key's), in the current directory; a
                      directory means that name in it
  --force             replace FILE if it exists
  --sha256 SUM        check that the object's SHA-256 is SUM (hex or base64)
                      before FILE appears
  --retries N         retries after a network error or a 5xx answer; default 5
  --quiet             no progress bar
  --limit-rate R      receive at most R bytes a second, such as 20MiB
  --api URL           ask presign serve (such as http://127.0.0.1:8080) for the
                      URL of KEY; the API key comes from PRESIGN_API_KEY or
                      --api-key-file. A run after an interruption asks again
                      and resumes as with a URL
  --api-key-file F    the file the API key is in

Output: one line on standard output, the file written, its size and ETag.

Exit status: 0 when downloaded, 1 when storage refused the download or it
failed, 2 for a wrong command line.

Examples:
  presign download "$URL"
  presign download "$URL" -o backups/ --sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
`

// downloadCommand is "presign download": it saves the object of a
// presigned GET URL, resuming an interrupted download.
type downloadCommand struct{ transfer }

func newDownloadCommand(s streams) command { return &downloadCommand{newTransfer(s)} }

// download is one download's state.
type download struct {
	url                  string
	final, part, etagOut string
	force                bool
	m                    *meter
	// etag and total are the object's, once known; total is -1 when the
	// answer has no length.
	etag  string
	total int64
	// restarts counts starts over, which do not count as retries.
	restarts int
	// resumed is set once a part file's bytes were kept: said once.
	resumed bool
}

// Run parses args and downloads.
func (c *downloadCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("download")
	var out string
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	force := fs.Bool("force", false, "")
	sumFlag := fs.String("sha256", "", "")
	var tf transferFlags
	tf.register(fs)
	pos, set, err := parseCommand("download", downloadUsage, fs, args, c.stdout)
	if err != nil {
		return err
	}
	retries, err := tf.parse(&c.transfer)
	if err != nil {
		return err
	}
	if set["api-key-file"] && !set["api"] {
		return usageErrorf("add --api URL: the service makes the download's URL", "--api-key-file goes with --api")
	}
	var wantSum []byte
	if *sumFlag != "" {
		if wantSum, err = parseSHA256(*sumFlag); err != nil {
			return err
		}
	}
	var raw string
	if set["api"] {
		// The argument is the object's key; the service makes its URL.
		if len(pos) != 1 || pos[0] == "" {
			return usageErrorf("give the object's key: presign download KEY --api URL", "give one KEY argument with --api")
		}
		a, err := tf.client(&c.transfer)
		if err != nil {
			return err
		}
		if raw, err = downloadURL(ctx, a, pos[0]); err != nil {
			return err
		}
	} else if raw, err = urlArg(pos, c.stdin); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("give the http(s) URL presign url made, in quotes", "%q is not an http(s) URL", shortName(raw, 80))
	}
	final, err := outputPath(out, u)
	if err != nil {
		return err
	}
	d := &download{url: raw, final: final, part: final + ".part", etagOut: final + ".part.etag", force: *force, total: -1}
	if !d.force {
		if err := d.checkFree(); err != nil {
			return err
		}
	}

	for attempt := 0; ; {
		err := c.attempt(ctx, d, tf.quiet)
		if err == nil {
			break
		}
		if errors.Is(err, errRestart) {
			continue
		}
		var te *transientError
		if errors.As(err, &te) && attempt < retries && ctx.Err() == nil {
			attempt++
			d.note(c, "%s; resuming (retry %d of %d)", te.msg, attempt, retries)
			if c.wait(ctx, attempt) == nil {
				continue
			}
		}
		if d.m != nil {
			d.m.abort()
		}
		if ctx.Err() != nil {
			return d.interrupted(ctx.Err())
		}
		var ce *cliError
		if errors.As(err, &te) && !errors.As(err, &ce) {
			return d.interrupted(err)
		}
		return err
	}
	d.meter(c, tf.quiet).finish()
	return c.finish(d, wantSum)
}

// interrupted is the error of a download that stopped part way: what is
// kept and how to go on.
func (d *download) interrupted(cause error) error {
	msg := "download interrupted"
	if te := (*transientError)(nil); errors.As(cause, &te) {
		msg = "download failed: " + te.msg
	}
	fi, err := os.Stat(d.part)
	if err != nil || fi.Size() == 0 {
		return &cliError{msg: msg, hint: "run the command again", err: cause}
	}
	if _, err := os.Stat(d.etagOut); err != nil {
		return &cliError{msg: msg, hint: "the answer had no ETag, so " + d.part + " cannot be resumed; run the command again", err: cause}
	}
	done := formatBytes(fi.Size())
	if d.total >= 0 {
		done += " of " + formatBytes(d.total)
	}
	return &cliError{msg: msg + " after " + done, hint: d.part + " is kept: run the same command again to resume", err: cause}
}

// meter returns the download's meter, made at the first answer with the
// object's length.
func (d *download) meter(c *downloadCommand, quiet bool) *meter {
	if d.m == nil {
		d.m = c.newMeter(quiet, d.total, 0, "download "+filepath.Base(d.final))
	}
	return d.m
}

// note prints a line on stderr, through the meter if there is one.
func (d *download) note(c *downloadCommand, format string, args ...any) {
	if d.m != nil {
		d.m.note(format, args...)
		return
	}
	fmt.Fprintf(c.stderr, "presign: "+format+"\n", args...)
}

// checkFree refuses to replace an existing FILE.
func (d *download) checkFree() error {
	if _, err := os.Lstat(d.final); err == nil {
		return &cliError{msg: d.final + " exists", hint: "give --force to replace it, or -o another name"}
	}
	return nil
}

// errRestart asks for the download to start over at once: the object
// changed, or the server ignored the Range.
var errRestart = errors.New("presign: start over")

// maxRestarts bounds the starts over of one run: an object that keeps
// changing under the download.
const maxRestarts = 3

// restart truncates the part file and forgets the ETag, and returns
// errRestart, or an error when the download started over too often.
func (d *download) restart(why string, note func(string, ...any)) error {
	if err := os.Remove(d.etagOut); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return failf("%w", err)
	}
	if err := os.Truncate(d.part, 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return failf("%w", err)
	}
	d.restarts++
	if d.restarts > maxRestarts {
		return &cliError{msg: "the object kept changing during the download", hint: "try again once it is no longer being written"}
	}
	note("%s; downloading it again from the start", why)
	return errRestart
}

// resumePoint returns how much of the object the part file holds and the
// ETag it is of, when it can be resumed; otherwise it empties the part
// file and returns 0.
func (d *download) resumePoint() (int64, string, error) {
	fi, err := os.Stat(d.part)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", failf("%w", err)
	}
	etag, err := os.ReadFile(d.etagOut)
	if err == nil && fi.Size() > 0 && len(strings.TrimSpace(string(etag))) > 0 {
		return fi.Size(), strings.TrimSpace(string(etag)), nil
	}
	if err := os.Truncate(d.part, 0); err != nil {
		return 0, "", failf("%w", err)
	}
	return 0, "", nil
}

// attempt sends one GET, from where the part file ends, and appends the
// answer to it.
func (c *downloadCommand) attempt(ctx context.Context, d *download, quiet bool) error {
	offset, etag, err := d.resumePoint()
	if err != nil {
		return err
	}
	ctx, dog := watch(ctx, c.idle)
	defer dog.stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return usageErrorf("give the URL presign url made, in quotes", "the URL cannot be used: %v", err)
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
		req.Header.Set("If-Match", etag)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return networkError(ctx, "the download failed", err)
	}
	defer drain(res)
	note := func(format string, args ...any) { d.note(c, format, args...) }

	switch {
	case res.StatusCode == http.StatusOK:
		if offset > 0 {
			// The server ignored the Range: take the whole object.
			if err := os.Truncate(d.part, 0); err != nil {
				return failf("%w", err)
			}
			offset = 0
		}
		d.total, d.resumed = res.ContentLength, true
		if err := d.saveETag(res.Header.Get("ETag")); err != nil {
			return err
		}
	case res.StatusCode == http.StatusPartialContent && offset > 0:
		start, total, ok := parseContentRange(res.Header.Get("Content-Range"))
		if !ok || start != offset || res.Header.Get("ETag") != "" && res.Header.Get("ETag") != etag {
			return d.restart("storage answered another range than asked", note)
		}
		d.total, d.etag = total, etag
		if !d.resumed {
			d.resumed = true
			note("resuming the download at byte %d (%s of %s, kept in %s)", offset, formatBytes(offset), formatBytes(total), d.part)
		}
	case res.StatusCode == http.StatusPreconditionFailed && offset > 0:
		return d.restart("the object changed since "+d.part+" was started", note)
	case res.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		// Nothing left to read: the part is whole if it is the object's
		// length (If-Match, which is checked first, held).
		if _, total, ok := parseContentRange(res.Header.Get("Content-Range")); ok && total == offset {
			d.total, d.etag = total, etag
			d.meter(c, quiet).set(offset)
			return nil
		}
		return d.restart(d.part+" is longer than the object", note)
	case retryableStatus(res.StatusCode):
		return &transientError{msg: "storage answered " + res.Status}
	default:
		return c.refusal("download", http.MethodGet, d.url, sentHeaders(req), res)
	}

	m := d.meter(c, quiet)
	m.setTotal(d.total)
	m.set(offset)
	f, err := os.OpenFile(d.part, os.O_WRONLY|os.O_CREATE, 0o666)
	if err != nil {
		return &cliError{msg: "cannot write " + d.part + ": " + errText(err), hint: "give -o a writable place", err: err}
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return failf("%w", err)
	}
	n, err := io.CopyBuffer(f, &progressReader{r: res.Body, add: m.add, dog: dog, limit: c.limit}, make([]byte, 256<<10))
	if cerr := f.Close(); err == nil && cerr != nil {
		return failf("writing %s: %w", d.part, cerr)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return failf("writing %s: %w", d.part, pe.Err)
		}
		return networkError(ctx, "the connection broke", err)
	}
	if d.total >= 0 && offset+n != d.total {
		return &transientError{msg: fmt.Sprintf("the connection broke after %s of %s", formatBytes(offset+n), formatBytes(d.total))}
	}
	return nil
}

// saveETag records the ETag beside the part file, so that a later run can
// resume; without one, a later run starts over.
func (d *download) saveETag(etag string) error {
	var err error
	if etag == "" {
		err = os.Remove(d.etagOut)
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	} else {
		err = os.WriteFile(d.etagOut, []byte(etag+"\n"), 0o666)
	}
	if err != nil {
		return &cliError{msg: "cannot write " + d.etagOut + ": " + errText(err), hint: "give -o a writable place", err: err}
	}
	d.etag = etag
	return nil
}

// parseContentRange parses "bytes START-END/TOTAL" or "bytes */TOTAL";
// total is -1 for "*".
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		n, err := strconv.ParseInt(tot, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		total = n
	}
	if rng == "*" {
		return -1, total, total >= 0
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start || total >= 0 && end != total-1 {
		return 0, 0, false
	}
	return start, total, true
}

// finish checks the part file and moves it into place.
func (c *downloadCommand) finish(d *download, wantSum []byte) error {
	fi, err := os.Stat(d.part)
	if err != nil {
		return failf("%w", err)
	}
	if wantSum != nil {
		got, err := fileSum(d.part)
		if err != nil {
			return err
		}
		if string(got) != string(wantSum) {
			os.Remove(d.etagOut) // the next run starts over
			return &cliError{msg: fmt.Sprintf("the download's SHA-256 is %x, not %x", got, wantSum),
				hint: d.part + " is kept to look at; check the --sha256 value and the URL"}
		}
	}
	if f, err := os.OpenFile(d.part, os.O_RDWR, 0); err == nil {
		err = f.Sync()
		f.Close()
		if err != nil {
			return failf("writing %s: %w", d.part, err)
		}
	}
	if !d.force {
		if err := d.checkFree(); err != nil {
			return err
		}
	}
	if err := os.Rename(d.part, d.final); err != nil {
		return failf("%w", err)
	}
	os.Remove(d.etagOut)
	line := fmt.Sprintf("downloaded %s (%s)", printableName(d.final), formatBytes(fi.Size()))
	if d.etag != "" {
		line += ", ETag " + printableName(d.etag)
	}
	if _, err := fmt.Fprintln(c.stdout, line); err != nil {
		return failf("writing the output: %w", err)
	}
	return nil
}

// fileSum returns the SHA-256 of the file.
func fileSum(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, failf("%w", err)
	}
	defer f.Close()
	sum, err := sha256Of(f)
	if err != nil {
		return nil, failf("reading %s: %w", name, err)
	}
	return sum, nil
}

// sha256Of returns the SHA-256 of all that r reads.
func sha256Of(r io.Reader) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// parseSHA256 parses --sha256: 64 hex digits or 44 base64 characters.
func parseSHA256(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == sha256.Size {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == sha256.Size {
		return b, nil
	}
	return nil, usageErrorf("give 64 hex digits, as sha256sum prints, or the base64 of x-amz-checksum-sha256", "--sha256 %q is not a SHA-256", s)
}

// outputPath returns the file to save the object in: out, out/NAME when
// out is a directory, or NAME, the last segment of the URL's path.
func outputPath(out string, u *url.URL) (string, error) {
	if out != "" {
		if fi, err := os.Stat(out); (err == nil && fi.IsDir()) || strings.HasSuffix(out, "/") {
			name, err := keyFileName(u)
			if err != nil {
				return "", err
			}
			return filepath.Join(out, name), nil
		}
		return out, nil
	}
	return keyFileName(u)
}

// keyFileName is the last segment of the URL's path, decoded, made safe
// for a file name: no separators, control or bidirectional-control
// characters. It is an error when that leaves no name.
func keyFileName(u *url.URL) (string, error) {
	p := u.Path
	if strings.HasSuffix(p, "/") {
		p = ""
	}
	name := path.Base(p)
	name = strings.Map(func(r rune) rune {
		if r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, printableName(name))
	if name == "" || name == "." || name == ".." || name == "/" {
		return "", usageErrorf("give the file to save it in with -o FILE", "the URL's path names no file")
	}
	return name, nil
}
