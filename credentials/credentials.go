// Package credentials supplies AWS credentials to the presigner.
//
// A [Provider] returns the credentials to sign with. [Static] holds fixed
// ones and [Env] reads the standard environment variables. Any other
// source, such as aws-sdk-go-v2's whole default chain (shared files, SSO,
// IMDS, web identity), fits through a few-line adapter:
//
//	type awsProvider struct{ p aws.CredentialsProvider }
//
//	func (a awsProvider) Retrieve(ctx context.Context) (sigv4.Credentials, error) {
//		c, err := a.p.Retrieve(ctx)
//		if err != nil {
//			return sigv4.Credentials{}, err
//		}
//		out := sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
//		if c.CanExpire {
//			out.Expires = c.Expires
//		}
//		return out, nil
//	}
//
// The package uses only the standard library.
package credentials

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// Provider returns credentials to sign with. Retrieve may be called for
// every URL, so a provider that fetches credentials over the network must
// cache them. Implementations MUST be safe for concurrent use and MUST
// return an error, never empty credentials, when they have none.
type Provider interface {
	Retrieve(ctx context.Context) (sigv4.Credentials, error)
}

// Static is a Provider of fixed credentials.
type Static sigv4.Credentials

// Retrieve returns the credentials, or an error when the key id or secret
// is empty.
func (s Static) Retrieve(context.Context) (sigv4.Credentials, error) {
	c := sigv4.Credentials(s)
	if err := c.Validate(); err != nil {
		return sigv4.Credentials{}, err
	}
	return c, nil
}

// ProviderFunc adapts a function to a Provider.
type ProviderFunc func(ctx context.Context) (sigv4.Credentials, error)

// Retrieve calls f.
func (f ProviderFunc) Retrieve(ctx context.Context) (sigv4.Credentials, error) { return f(ctx) }

// ErrNoEnvCredentials is returned by [Env] when the environment has no key.
var ErrNoEnvCredentials = errors.New("credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set in the environment")

// Env is a Provider that reads AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY),
// AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY), AWS_SESSION_TOKEN and
// AWS_CREDENTIAL_EXPIRATION (RFC 3339) at each call.
type Env struct{}

// Retrieve reads the environment.
func (Env) Retrieve(context.Context) (sigv4.Credentials, error) {
	get := func(names ...string) string {
		for _, n := range names {
			if v := os.Getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	c := sigv4.Credentials{
		AccessKeyID:     get("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"),
		SecretAccessKey: get("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
		SessionToken:    get("AWS_SESSION_TOKEN"),
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return sigv4.Credentials{}, ErrNoEnvCredentials
	}
	if e := os.Getenv("AWS_CREDENTIAL_EXPIRATION"); e != "" {
		t, err := time.Parse(time.RFC3339, e)
		if err != nil {
			return sigv4.Credentials{}, errors.New("credentials: AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time such as 2026-01-15T12:00:00Z")
		}
		c.Expires = t
	}
	return c, nil
}
