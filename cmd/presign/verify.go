package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/presign-dev/presign/inspect"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

const verifyUsage = `Usage: presign verify URL [flags]

Checks a presigned URL's signature with the credentials that signed it, as
S3 would, for a request with the method and headers given: says valid, or
exactly why not. URL - reads the URL from standard input.

Flags:
  --method M          the HTTP method the request uses; default: what the URL
                      says (x-id, the sub-resources), else GET
  --header K=V        a header the request sends (repeatable); a signed header
                      not given is checked as absent
  --explain           print the canonical request and the string to sign
  --now T             verify at T (RFC 3339) instead of now

Credentials (the signer's; by default the standard AWS sources, as for
presign url):
  --profile P         the AWS profile to take them from
  --access-key ID     an access key id, with --secret-key
  --secret-key S      its secret; prefer AWS_SECRET_ACCESS_KEY, which other
                      users of the machine cannot see in the process list
  --session-token T   the session token of temporary credentials; default:
                      the URL's

Exit status: 0 when the signature is valid and the URL usable, 1 when it is
not (the reason is printed), 2 for a URL that is not presigned or a wrong
command line.

Examples:
  presign verify "$URL" --method PUT --header content-type=image/jpeg
  AWS_PROFILE=uploader presign verify "$URL" --explain
`

// verifyCommand is "presign verify": it checks a URL's signature.
type verifyCommand struct {
	streams
}

func newVerifyCommand(s streams) command { return &verifyCommand{streams: s} }

// credFlags are the credential flags of verify and diagnose.
type credFlags struct {
	profile, accessKey, secretKey, sessionToken string
}

func (f *credFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "")
	fs.StringVar(&f.accessKey, "access-key", "", "")
	fs.StringVar(&f.secretKey, "secret-key", "", "")
	fs.StringVar(&f.sessionToken, "session-token", "", "")
}

// given reports whether any credential flag was given.
func (f *credFlags) given() bool {
	return f.profile != "" || f.accessKey != "" || f.secretKey != "" || f.sessionToken != ""
}

// credentials returns the signer's credentials for the URL: from the
// flags, or from the standard AWS sources.
func (f *credFlags) credentials(ctx context.Context, cmd string, in *inspect.Inspection) (sigv4.Credentials, error) {
	switch {
	case f.accessKey != "" || f.secretKey != "":
		if f.accessKey == "" || f.secretKey == "" {
			return sigv4.Credentials{}, usageErrorf("give both --access-key and --secret-key, or neither to use the AWS sources",
				"--access-key and --secret-key go together")
		}
		if f.profile != "" {
			return sigv4.Credentials{}, usageErrorf("give a profile or keys", "--profile and --access-key both name credentials")
		}
		return sigv4.Credentials{AccessKeyID: f.accessKey, SecretAccessKey: f.secretKey, SessionToken: f.sessionToken}, nil
	}
	// The region does not matter to the signature check; the URL's spares
	// a configuration without one.
	aws, err := loadAWS(ctx, awsFlags{profile: f.profile, region: in.Scope.Region})
	if err != nil {
		return sigv4.Credentials{}, err
	}
	creds, err := aws.creds.Retrieve(ctx)
	if err != nil {
		return sigv4.Credentials{}, err
	}
	if f.sessionToken != "" {
		creds.SessionToken = f.sessionToken
	}
	return creds, nil
}

// parseHeaders turns --header K=V flags into parameters.
func parseHeaders(list listFlag) ([]sigv4.Param, error) {
	var out []sigv4.Param
	for _, kv := range list {
		k, v, err := splitKV("header", kv)
		if err != nil {
			return nil, err
		}
		if !validHeaderName(k) {
			return nil, usageErrorf("header names are letters, digits and !#$%&'*+-.^_`|~", "--header %q is not a valid header name", k)
		}
		out = append(out, sigv4.Param{Name: strings.ToLower(k), Value: v})
	}
	return out, nil
}

// Run parses args and checks the signature.
func (c *verifyCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("verify")
	explain := fs.Bool("explain", false, "")
	u := urlArgs{signed: true}
	in, header, err := u.read("verify", verifyUsage, fs, args, c.stdout, c.stdin)
	if err != nil {
		return err
	}
	if in.Method == "" {
		return usageErrorf("add --method POST, DELETE or GET", "the URL does not say its method: it is CompleteMultipartUpload, AbortMultipartUpload or ListParts")
	}
	creds, err := u.creds.credentials(ctx, "verify", in)
	if err != nil {
		return err
	}
	if creds.AccessKeyID != in.AccessKeyID {
		return &cliError{msg: fmt.Sprintf("the URL was signed by %s, but the credentials are for %s", in.AccessKeyID, creds.AccessKeyID),
			hint: "give the signer's credentials: --profile, or --access-key and --secret-key"}
	}
	if *explain {
		if err := c.explain(in, header, creds.SecretAccessKey); err != nil {
			return err
		}
	}
	auth, err := in.Verify(creds, header)
	var se *s3err.Error
	switch {
	case err == nil:
	case errors.As(err, &se):
		d := inspect.DiagnoseError(in, se, inspect.Local{Header: header, Credentials: &creds})
		d.From = "presign verify"
		// The verifier computes here too: its texts are ours (see --explain).
		d.CanonicalRequest, d.StringToSign = nil, nil
		if werr := d.WriteText(c.stdout); werr != nil {
			return failf("writing the output: %w", werr)
		}
		return &cliError{msg: "the URL is not valid: " + string(se.Code), hint: d.Causes[0].Code.String()}
	default:
		var pe *inspect.ParseError
		if errors.As(err, &pe) {
			return &cliError{msg: pe.Msg, hint: pe.Hint, err: err}
		}
		return failf("%w", err)
	}
	fmt.Fprintf(c.stdout, "valid: the signature is right for %s %s/%s\n", in.Method, printableArg(in.Bucket), printableArg(in.Key))
	if auth.Algorithm == inspect.AlgorithmV2 {
		fmt.Fprintf(c.stdout, "  signed by %s with Signature Version 2 (legacy: S3 refuses it in newer regions; presign with SigV4)\n", auth.AccessKeyID)
	} else {
		fmt.Fprintf(c.stdout, "  signed by %s, scope %s\n", auth.AccessKeyID, auth.Scope())
		fmt.Fprintf(c.stdout, "  signed headers: %s\n", strings.Join(auth.SignedHeaders, ", "))
	}
	fmt.Fprintf(c.stdout, "  expires at %s (%s)\n", auth.Expires.UTC().Format("2006-01-02 15:04:05 UTC"), timeLeft(in))
	if err := inspectionError(in); err != nil {
		for _, f := range in.Findings {
			if f.Severity == inspect.SeverityError {
				fmt.Fprintf(c.stdout, "but S3 will refuse it: %s\n", f.Message)
				break
			}
		}
		return err
	}
	return nil
}

// explain prints the canonical request and string to sign of the URL.
func (c *verifyCommand) explain(in *inspect.Inspection, header []sigv4.Param, secret string) error {
	exp, err := in.Canonical(header, secret)
	if err != nil {
		return fromInspect(err)
	}
	fmt.Fprintf(c.stdout, "Canonical request:\n%s\n\nString to sign:\n%s\n\n", exp.CanonicalRequest, exp.StringToSign)
	fmt.Fprintf(c.stdout, "Signature computed: %s\nSignature in URL:   %s\n\n", exp.Signature, in.Signature)
	return nil
}

func timeLeft(in *inspect.Inspection) string {
	d := in.ExpiresAt.Sub(in.Now).Round(1e9)
	if d <= 0 {
		return "expired " + (-d).String() + " ago"
	}
	return "in " + d.String()
}

// printableArg quotes s when it holds characters a terminal would act on.
func printableArg(s string) string {
	for _, r := range s {
		if r < ' ' || r == 0x7f || 0x80 <= r && r < 0xa0 || r == 0x202e || r == 0x202d {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
