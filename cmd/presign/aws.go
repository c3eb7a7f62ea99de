package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/sigv4"
)

// Credentials and the region come from aws-sdk-go-v2's default chain, as
// for the AWS CLI: environment variables, AWS_PROFILE or --profile in the
// shared config and credentials files (static keys, SSO, assume-role,
// credential_process, web identity), container credentials, and last the
// EC2 instance metadata service (IMDS).
//
// Without a network the last step can hang, so it is bounded: when nothing
// else is configured and the chain falls through to IMDS, the lookup gets
// imdsTimeout (AWS_METADATA_SERVICE_TIMEOUT seconds if set, as for the AWS
// CLI), and then fails with the "no credentials" hint. IMDS answers in
// milliseconds on EC2. AWS_EC2_METADATA_DISABLED=true skips it altogether.
// Sources that need the network on purpose (SSO, STS) get networkTimeout.
// The region is never looked up in IMDS.
const (
	imdsTimeout    = 2 * time.Second
	networkTimeout = 30 * time.Second
)

// awsFlags are the flags of every command that signs: where the
// credentials, the region and the endpoint come from.
type awsFlags struct {
	profile, region, endpoint string
	pathStyle                 bool
}

// register adds --region, --profile, --endpoint and --path-style to fs.
func (f *awsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.region, "region", "", "")
	fs.StringVar(&f.profile, "profile", "", "")
	fs.StringVar(&f.endpoint, "endpoint", "", "")
	fs.BoolVar(&f.pathStyle, "path-style", false, "")
}

// signFlags are the flags "presign url" and "presign post" share.
type signFlags struct {
	awsFlags
	expires, compat, signingTime, output string
}

// register adds the flags to fs; output is --output's default.
func (f *signFlags) register(fs *flag.FlagSet, output string) {
	f.awsFlags.register(fs)
	fs.StringVar(&f.expires, "expires", "", "")
	fs.StringVar(&f.compat, "compat", "default", "")
	fs.StringVar(&f.signingTime, "signing-time", "", "")
	fs.StringVar(&f.output, "output", output, "")
}

// signing is what [signFlags.parse] makes of the flags.
type signing struct {
	expires     time.Duration // zero when --expires is not given
	signingTime time.Time     // zero when --signing-time is not given
	config      presign.Config
	output      string
}

// parse checks the flags; set holds the flags given, outputs the values
// --output accepts.
func (f *signFlags) parse(set map[string]bool, outputs ...string) (signing, error) {
	var s signing
	var err error
	if set["expires"] {
		if s.expires, err = parseExpires(f.expires); err != nil {
			return s, err
		}
	}
	if f.signingTime != "" {
		t, err := time.Parse(time.RFC3339, f.signingTime)
		if err != nil {
			return s, usageErrorf("give an RFC 3339 time such as 2026-01-15T12:00:00Z",
				"--signing-time %q is not an RFC 3339 time", f.signingTime)
		}
		s.signingTime = t.UTC()
	}
	if s.config.Profile, err = presign.ParseProfile(f.compat); err != nil {
		return s, usageErrorf("use default, js or botocore", "unknown --compat %q", f.compat)
	}
	if !slices.Contains(outputs, f.output) {
		return s, usageErrorf("use "+joinWords(outputs), "unknown --output %q", f.output)
	}
	s.output = f.output
	s.config.Endpoint = f.endpoint
	if f.pathStyle {
		s.config.Addressing = presign.AddressingPath
	}
	return s, nil
}

// joinWords joins words as a sentence does: "a, b or c".
func joinWords(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// loadAWS resolves the region and a credentials provider from the
// standard AWS sources; f overrides the profile and region. Credentials
// are retrieved later, by the provider, with the timeouts above.
func loadAWS(ctx context.Context, f awsFlags) (credentials.Provider, string, error) {
	// The SDK logs warnings (such as an IMDSv1 fallback) to stderr; the
	// command prints one line per error instead.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	ctx, cancel := context.WithTimeout(ctx, networkTimeout)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, "", &cliError{
				msg:   fmt.Sprintf("AWS profile %q is not in the shared config or credentials files", pe.Profile),
				hint:  "check --profile and AWS_PROFILE; 'aws configure list-profiles' lists the profiles",
				usage: f.profile != "", err: err,
			}
		}
		return nil, "", &cliError{msg: "cannot load the AWS configuration: " + err.Error(),
			hint: "check the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name, ~/.aws/config and ~/.aws/credentials by default", err: err}
	}
	if cfg.Region == "" {
		return nil, "", usageErrorf("give --region, set AWS_REGION, or set region in the AWS profile",
			"no AWS region is set")
	}
	if cfg.Credentials == nil {
		return nil, "", errNoCredentials(nil)
	}
	return newAWSProvider(cfg.Credentials), cfg.Region, nil
}

// awsProvider adapts an aws-sdk-go-v2 credentials provider to
// credentials.Provider, bounding each retrieval and explaining failures.
type awsProvider struct {
	p       aws.CredentialsProvider
	sources []aws.CredentialSource
	timeout time.Duration
}

func newAWSProvider(p aws.CredentialsProvider) *awsProvider {
	a := &awsProvider{p: p, timeout: networkTimeout}
	if s, ok := p.(aws.CredentialProviderSource); ok {
		a.sources = s.ProviderSources()
	}
	if a.imdsFallback() {
		a.timeout = imdsTimeout
		if v, err := strconv.ParseFloat(os.Getenv("AWS_METADATA_SERVICE_TIMEOUT"), 64); err == nil && v > 0 && v < 3600 {
			a.timeout = time.Duration(v * float64(time.Second))
		}
	}
	return a
}

// imdsFallback reports whether nothing but IMDS is configured: the chain's
// last resort, which is the usual case of no credentials at all.
func (a *awsProvider) imdsFallback() bool {
	return len(a.sources) == 1 && a.sources[0] == aws.CredentialSourceIMDS
}

// Retrieve returns the credentials, with their expiry when they can expire.
func (a *awsProvider) Retrieve(ctx context.Context) (sigv4.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	c, err := a.p.Retrieve(ctx)
	if err != nil {
		return sigv4.Credentials{}, a.explain(ctx, err)
	}
	out := sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if c.CanExpire {
		out.Expires = c.Expires
	}
	if out.Validate() != nil {
		return sigv4.Credentials{}, errNoCredentials(nil)
	}
	return out, nil
}

// errNoCredentials is the error for a machine with no credentials at all.
func errNoCredentials(cause error) error {
	return &cliError{
		msg:  "no AWS credentials found",
		hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run 'aws configure', or choose a profile with --profile",
		err:  cause,
	}
}

// explain turns a retrieval error into one line that names the source and
// the fix. Process output is never quoted: it may hold a secret.
func (a *awsProvider) explain(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &cliError{msg: "interrupted while getting AWS credentials", err: err}
	}
	if a.imdsFallback() {
		return errNoCredentials(err)
	}
	has := func(s ...aws.CredentialSource) bool {
		return slices.ContainsFunc(a.sources, func(x aws.CredentialSource) bool { return slices.Contains(s, x) })
	}
	cause := err.Error()
	if ctx.Err() != nil {
		cause = fmt.Sprintf("no answer within %v", a.timeout)
	}
	if i := strings.IndexByte(cause, '\n'); i >= 0 {
		cause = cause[:i]
	}
	if len(cause) > 300 {
		cause = cause[:300] + "..."
	}
	e := &cliError{err: err}
	switch {
	case has(aws.CredentialSourceProcess, aws.CredentialSourceProfileProcess):
		e.msg = "the profile's credential_process failed or printed no valid credentials"
		e.hint = "run the command yourself to see why"
	case has(aws.CredentialSourceSSO, aws.CredentialSourceSSOLegacy, aws.CredentialSourceProfileSSO, aws.CredentialSourceProfileSSOLegacy):
		e.msg = "cannot get AWS credentials from the SSO session: " + cause
		e.hint = "run 'aws sso login', with --profile if the profile is not the default"
	case has(aws.CredentialSourceLogin, aws.CredentialSourceProfileLogin):
		e.msg = "cannot get AWS credentials from the login session: " + cause
		e.hint = "run 'aws login', with --profile if the profile is not the default"
	case has(aws.CredentialSourceSTSAssumeRole, aws.CredentialSourceSTSAssumeRoleWebID, aws.CredentialSourceEnvVarsSTSWebIDToken, aws.CredentialSourceProfileSTSWebIDToken):
		e.msg = "cannot assume the AWS role: " + cause
		e.hint = "check the profile's role_arn and its source credentials, or AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE"
	case has(aws.CredentialSourceHTTP):
		e.msg = "cannot get AWS credentials from the container endpoint: " + cause
		e.hint = "check AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI"
	case has(aws.CredentialSourceIMDS):
		e.msg = "cannot get AWS credentials from the EC2 instance metadata service: " + cause
		e.hint = "check the instance's IAM role, or the profile's credential_source"
	default:
		return errNoCredentials(err)
	}
	return e
}

// newClient returns a presigner for cfg with the region and credentials of
// the standard AWS chain (f overriding the profile and region); cmd names
// the subcommand in errors.
func newClient(ctx context.Context, cfg presign.Config, f awsFlags, cmd string) (*presign.Client, error) {
	creds, region, err := loadAWS(ctx, f)
	if err != nil {
		return nil, err
	}
	cfg.Credentials, cfg.Region = creds, region
	client, err := presign.New(cfg)
	if err != nil {
		return nil, fromLibrary(err, cmd)
	}
	return client, nil
}
