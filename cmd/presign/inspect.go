package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/presign-dev/presign/inspect"
	"github.com/presign-dev/presign/sigv4"
)

const inspectUsage = `Usage: presign inspect URL [flags]

Explains a presigned S3 URL: every X-Amz-* parameter decoded, with what it
means; the bucket, key, addressing style, endpoint and operation; when it
expires; and what makes it risky or sure to fail. It needs no credentials and
sends nothing. URL - reads the URL from standard input, which spares quoting
it in the shell (an unquoted & cuts it).

Flags:
  --method M    the HTTP method the URL is used with; default: what the URL
                says (x-id, the sub-resources), else GET
  --json        print the inspection as JSON
  --now T       judge the expiry at T (RFC 3339) instead of now

Exit status: 0 when nothing found stops the URL from working (its signature
is not checked: see presign verify), 1 when it is expired or will fail, 2 when
it is not a presigned URL or the command line is wrong.

Examples:
  presign inspect 'https://bucket.s3.eu-west-1.amazonaws.com/k?X-Amz-Algorithm=...'
  presign inspect --method PUT --json - < url.txt
`

// inspectCommand is "presign inspect": it explains a presigned URL.
type inspectCommand struct {
	streams
}

func newInspectCommand(s streams) command { return &inspectCommand{streams: s} }

// Run parses args, inspects the URL and prints the inspection.
func (c *inspectCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("inspect")
	asJSON := fs.Bool("json", false, "")
	var u urlArgs
	in, _, err := u.read("inspect", inspectUsage, fs, args, c.stdout, c.stdin)
	if err != nil {
		return err
	}
	if err := writeOutput(c.stdout, *asJSON, in, in.WriteText); err != nil {
		return err
	}
	return inspectionError(in)
}

// urlArgs are the flags of the commands that read a presigned URL
// (inspect, verify, diagnose): --method, --now and, for the commands that
// check a signature, the headers the request was sent with and the
// signer's credentials.
type urlArgs struct {
	method, now string
	headers     listFlag
	creds       credFlags
	// signed adds --header and the credential flags.
	signed bool
	// stdinTaken, when set, is the error for "-" as the URL: standard
	// input holds something else.
	stdinTaken func() error
}

// read parses a URL-reading command's arguments, fs holding the command's
// own flags, and parses the URL argument (read from stdin for "-"),
// returning the inspection and the headers given.
func (u *urlArgs) read(name, usage string, fs *flag.FlagSet, args []string, out io.Writer, stdin io.Reader) (*inspect.Inspection, []sigv4.Param, error) {
	fs.StringVar(&u.method, "method", "", "")
	fs.StringVar(&u.now, "now", "", "")
	if u.signed {
		fs.Var(&u.headers, "header", "")
		u.creds.register(fs)
	}
	pos, _, err := parseCommand(name, usage, fs, args, out)
	if err != nil {
		return nil, nil, err
	}
	if u.stdinTaken != nil && len(pos) == 1 && pos[0] == "-" {
		if err := u.stdinTaken(); err != nil {
			return nil, nil, err
		}
	}
	now, err := parseNow(u.now)
	if err != nil {
		return nil, nil, err
	}
	header, err := parseHeaders(u.headers)
	if err != nil {
		return nil, nil, err
	}
	raw, err := urlArg(pos, stdin)
	if err != nil {
		return nil, nil, err
	}
	in, err := inspect.Parse(raw, u.method, now)
	if err != nil {
		return nil, nil, fromInspect(err)
	}
	return in, header, nil
}

// writeOutput writes v as JSON when asJSON is set, and with text otherwise.
func writeOutput(w io.Writer, asJSON bool, v any, text func(io.Writer) error) error {
	var err error
	if asJSON {
		err = writeJSON(w, v)
	} else {
		err = text(w)
	}
	if err != nil {
		return failf("writing the output: %w", err)
	}
	return nil
}

// inspectionError is the error that sets the exit status of a URL that
// is expired or will fail: one line naming the first reason.
func inspectionError(in *inspect.Inspection) error {
	for _, f := range in.Findings {
		if f.Severity != inspect.SeverityError {
			continue
		}
		switch in.Status {
		case inspect.StatusExpired:
			return &cliError{msg: "the URL has expired", hint: "make a new one"}
		case inspect.StatusNotYetValid:
			return &cliError{msg: "the URL is not valid yet: it is signed in the future", hint: "check the clock of the machine that signed it"}
		}
		return &cliError{msg: "S3 will refuse this URL: " + string(f.Code), hint: "see the findings"}
	}
	return nil
}

// urlArg returns the URL argument: the one positional argument, or the
// first line of stdin for "-".
func urlArg(pos []string, stdin io.Reader) (string, error) {
	switch len(pos) {
	case 0:
		return "", usageErrorf("give the presigned URL in quotes, or - to read it from standard input", "missing the URL argument")
	case 1:
	default:
		return "", usageErrorf("give one URL, in quotes: an unquoted & or space splits it", "too many arguments (%d)", len(pos))
	}
	if pos[0] != "-" {
		return pos[0], nil
	}
	r := bufio.NewReader(io.LimitReader(stdin, 1<<20))
	line, err := r.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", failf("reading the URL from standard input: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", usageErrorf("pipe the URL in, one line", "standard input has no URL")
	}
	return line, nil
}

// parseNow parses --now; empty means the current time.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageErrorf("give an RFC 3339 time such as 2026-01-15T12:00:00Z", "--now %q is not an RFC 3339 time", s)
	}
	return t, nil
}

// fromInspect turns an error of package inspect into a one-line usage
// error: a *[inspect.ParseError]'s message and hint.
func fromInspect(err error) error {
	var pe *inspect.ParseError
	if errors.As(err, &pe) {
		return &cliError{msg: pe.Msg, hint: pe.Hint, usage: true, err: err}
	}
	return &cliError{msg: err.Error(), usage: true, err: err}
}

// writeJSON writes v indented, without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
