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

// awsFlagsUsage is the usage text of awsFlags' flags, for the usage of a
// command whose flag column is width wide.
func awsFlagsUsage(width int) string {
	var b strings.Builder
	for _, l := range [][2]string{
		{"--region R", "the bucket's region; default AWS_REGION or the profile's"},
		{"--profile P", "the AWS profile to take credentials and region from"},
		{"--endpoint URL", "a custom endpoint (MinIO, Ceph, ...): http://127.0.0.1:9000"},
		{"", "default: AWS_ENDPOINT_URL_S3, the profile's services"},
		{"", "section, AWS_ENDPOINT_URL or the profile's endpoint_url"},
		{"--path-style", "name the bucket in the path, not in the host name"},
	} {
		fmt.Fprintf(&b, "  %-*s %s\n", width, l[0], l[1])
	}
	return b.String()
}

// signFlags are the flags "presign url" and "presign post" share.
type signFlags struct {
	awsFlags
	expires, compat, signingTime, output string
	set                                  map[string]bool // the flags given, of the whole command
}

// given records which flags the command line set.
func (f *signFlags) given(set map[string]bool) { f.set = set }

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

// parse checks the flags; outputs are the values --output accepts.
func (f *signFlags) parse(outputs ...string) (signing, error) {
	var s signing
	var err error
	if f.set["expires"] {
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

// awsSettings is what the standard AWS sources resolve for S3.
type awsSettings struct {
	creds  credentials.Provider
	region string
	// endpoint is --endpoint, else S3's configured endpoint, as the AWS
	// SDKs find it (see [s3Endpoint]); empty for AWS itself.
	endpoint string
	// endpointFrom names where endpoint came from, for errors.
	endpointFrom string
}

// loadAWS resolves the region, a credentials provider and S3's endpoint
// from the standard AWS sources; f overrides the profile, region and
// endpoint. Credentials are retrieved later, by the provider, with the
// timeouts above.
func loadAWS(ctx context.Context, f awsFlags) (awsSettings, error) {
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
			return awsSettings{}, &cliError{
				msg:   fmt.Sprintf("AWS profile %q is not in the shared config or credentials files", pe.Profile),
				hint:  "check --profile and AWS_PROFILE; 'aws configure list-profiles' lists the profiles",
				usage: true, err: err, // from --profile or AWS_PROFILE alike
			}
		}
		return awsSettings{}, &cliError{msg: "cannot load the AWS configuration: " + err.Error(),
			hint: "check the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name, ~/.aws/config and ~/.aws/credentials by default", err: err}
	}
	if cfg.Region == "" {
		return awsSettings{}, usageErrorf("give --region, set AWS_REGION, or set region in the AWS profile",
			"no AWS region is set")
	}
	if cfg.Credentials == nil {
		return awsSettings{}, errNoCredentials(nil)
	}
	out := awsSettings{creds: newAWSProvider(cfg.Credentials), region: cfg.Region, endpoint: f.endpoint, endpointFrom: "--endpoint"}
	if out.endpoint == "" {
		out.endpoint, out.endpointFrom = s3Endpoint(ctx, cfg)
	}
	return out, nil
}

// s3Endpoint returns S3's configured endpoint and where it is set, as the
// AWS SDKs resolve it (the "service-specific endpoints" of the AWS SDKs
// and tools reference guide): AWS_ENDPOINT_URL_S3, then the profile's
// services section (s3 = endpoint_url = ...), then AWS_ENDPOINT_URL or the
// profile's endpoint_url; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// or the profile's ignore_configured_endpoint_urls is true.
func s3Endpoint(ctx context.Context, cfg aws.Config) (string, string) {
	type ignorer interface {
		GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error)
	}
	type serviceEndpoint interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(ignorer); ok {
			if ignore, found, err := p.GetIgnoreConfiguredEndpoints(ctx); err == nil && found {
				if ignore {
					return "", ""
				}
				break
			}
		}
	}
	for _, src := range cfg.ConfigSources {
		p, ok := src.(serviceEndpoint)
		if !ok {
			continue
		}
		if v, found, err := p.GetServiceBaseEndpoint(ctx, "S3"); err == nil && found && v != "" {
			if _, env := src.(config.EnvConfig); env {
				return v, "AWS_ENDPOINT_URL_S3"
			}
			return v, "the AWS profile's services section"
		}
	}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		for _, src := range cfg.ConfigSources {
			if e, ok := src.(config.EnvConfig); ok && e.BaseEndpoint != "" {
				return *cfg.BaseEndpoint, "AWS_ENDPOINT_URL"
			}
		}
		return *cfg.BaseEndpoint, "the AWS profile's endpoint_url"
	}
	return "", ""
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

// errNoCredentials is the error for a machine with no credentials at all,
// or with half a key pair in the environment.
func errNoCredentials(cause error) error {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID") != "", os.Getenv("AWS_SECRET_ACCESS_KEY") != ""
	switch {
	case id && !secret:
		return &cliError{msg: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
			hint: "set AWS_SECRET_ACCESS_KEY too, or unset AWS_ACCESS_KEY_ID to use the profiles", usage: true, err: cause}
	case secret && !id:
		return &cliError{msg: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
			hint: "set AWS_ACCESS_KEY_ID too, or unset AWS_SECRET_ACCESS_KEY to use the profiles", usage: true, err: cause}
	}
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

// newClient returns a presigner for cfg with the region, credentials and
// endpoint of the standard AWS chain (f overriding the profile, region and
// endpoint); cmd names the subcommand in errors.
func newClient(ctx context.Context, cfg presign.Config, f awsFlags, cmd string) (*presign.Client, error) {
	st, err := loadAWS(ctx, f)
	if err != nil {
		return nil, err
	}
	cfg.Credentials, cfg.Region, cfg.Endpoint = st.creds, st.region, st.endpoint
	client, err := presign.New(cfg)
	if err != nil {
		return nil, st.endpointError(fromLibrary(err, cmd))
	}
	return client, nil
}

// endpointError names where the endpoint came from in an error about it,
// when the AWS configuration set it.
func (s awsSettings) endpointError(err error) error {
	var ce *cliError
	var ie *presign.InputError
	if s.endpointFrom == "" || s.endpointFrom == "--endpoint" || !errors.As(err, &ce) || !errors.As(err, &ie) || ie.Field != "Endpoint" {
		return err
	}
	ce.msg += " (the endpoint is set by " + s.endpointFrom + ")"
	return ce
}
