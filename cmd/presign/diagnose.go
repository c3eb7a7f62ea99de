package main

import (
	"context"
	"errors"
	"os"

	"github.com/presign-dev/presign/inspect"
)

const diagnoseUsage = `Usage: presign diagnose URL [--response FILE] [flags]

Explains why S3 refused a presigned URL, from S3's XML error body:
SignatureDoesNotMatch (its canonical request and string to sign diffed, line
by line, against the ones the URL describes, and the cause named: a header
sent with another value than signed, a header missing, the method, the key
encoded differently, the Host or the query changed on the way, the wrong
secret or region), AccessDenied "Request has expired" and "Request is not yet
valid" (by how much, and whether a clock is off), RequestTimeTooSkewed,
AuthorizationQueryParametersError, ExpiredToken and more.

Flags:
  --response FILE     S3's error body; - or no flag reads standard input
  --method M          the method the request was sent with; default: what the
                      URL says, else what S3 saw
  --header K=V        a header the request sent (repeatable); a signed header
                      not given is taken as S3 saw it
  --json              print the inspection and the diagnosis as JSON
  --now T             inspect the URL at T (RFC 3339) instead of now

Credentials (optional: the signer's, to tell a wrong secret from a changed
request, and find the Content-Type a URL was signed with):
  --profile P         take them from this AWS profile
  --access-key ID     an access key id, with --secret-key
  --secret-key S      its secret
  --session-token T   the session token of temporary credentials

Exit status: 1 when the error is diagnosed (the request failed), 2 for a URL
that is not presigned, a body that is not S3's error XML, or a wrong command
line.

Examples:
  curl -s "$URL" | presign diagnose "$URL"
  presign diagnose "$URL" --response error.xml --method PUT --header content-type=image/png
`

// diagnoseCommand is "presign diagnose": it explains S3's refusal.
type diagnoseCommand struct {
	streams
	// stdinTerminal reports whether standard input is a terminal, where no
	// error body is coming.
	stdinTerminal func() bool
}

func newDiagnoseCommand(s streams) command {
	return &diagnoseCommand{streams: s, stdinTerminal: func() bool {
		f, ok := s.stdin.(*os.File)
		if !ok {
			return false
		}
		fi, err := f.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}}
}

// diagnoseJSON is the --json document.
type diagnoseJSON struct {
	Inspection *inspect.Inspection `json:"inspection"`
	Diagnosis  *inspect.Diagnosis  `json:"diagnosis"`
}

// maxBody bounds the error body read: S3's are a few kilobytes.
const maxBody = 1 << 20

// Run parses args, reads S3's error and explains it.
func (c *diagnoseCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("diagnose")
	response := fs.String("response", "", "")
	asJSON := fs.Bool("json", false, "")
	fromStdin := func() bool { return *response == "" || *response == "-" }
	u := urlArgs{signed: true, stdinTaken: func() error {
		if !fromStdin() {
			return nil
		}
		return usageErrorf("give the body with --response FILE, or the URL as an argument", "standard input cannot hold both the URL and S3's error body")
	}}
	in, header, err := u.read("diagnose", diagnoseUsage, fs, args, c.stdout, c.stdin)
	if err != nil {
		return err
	}
	body, err := c.readBody(*response, fromStdin())
	if err != nil {
		return err
	}
	local := inspect.Local{Header: header}
	if u.creds.given() {
		creds, err := u.creds.credentials(ctx, "diagnose", in)
		if err != nil {
			return err
		}
		local.Credentials = &creds
	}
	d, err := inspect.Diagnose(in, body, local)
	if err != nil {
		return fromInspect(err)
	}
	if err := writeOutput(c.stdout, *asJSON, diagnoseJSON{Inspection: in, Diagnosis: d}, d.WriteText); err != nil {
		return err
	}
	return &cliError{msg: "S3 refused the request: " + string(d.Code), hint: "likely cause: " + d.Causes[0].Code.String()}
}

// readBody reads S3's error body from the file or standard input.
func (c *diagnoseCommand) readBody(path string, fromStdin bool) ([]byte, error) {
	if fromStdin {
		if c.stdinTerminal != nil && c.stdinTerminal() {
			return nil, usageErrorf("give it with --response FILE, or pipe it in: curl -s URL | presign diagnose URL",
				"S3's error body is missing")
		}
		path = "-"
	}
	b, name, err := readLimited(path, c.stdin, maxBody)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return nil, usageErrorf("give the file S3's error body was saved in", "cannot read --response %s: %s", path, errText(err))
	}
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, usageErrorf("S3's error bodies are a few kilobytes", "%s holds more than 1 MiB", name)
	}
	return b, nil
}
