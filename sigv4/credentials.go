package sigv4

import "time"

// Credentials are an AWS access key pair, with a session token and an
// expiry for temporary credentials.
type Credentials struct {
	// AccessKeyID names the key, such as "AKIAIOSFODNN7EXAMPLE".
	AccessKeyID string
	// SecretAccessKey is the secret half. It never appears in output.
	SecretAccessKey string
	// SessionToken is set for temporary credentials (STS, SSO, roles).
	SessionToken string
	// Expires is when temporary credentials stop working; zero when they
	// do not expire.
	Expires time.Time
}

// Temporary reports whether c are temporary credentials: they carry a
// session token or an expiry.
func (c Credentials) Temporary() bool { return c.SessionToken != "" || !c.Expires.IsZero() }

// Validate reports an *[InputError] when c cannot sign: an empty key id or
// secret.
func (c Credentials) Validate() error {
	if c.AccessKeyID == "" {
		return &InputError{Field: "AccessKeyID", Msg: "credentials have no access key id"}
	}
	if c.SecretAccessKey == "" {
		return &InputError{Field: "SecretAccessKey", Msg: "credentials have no secret access key"}
	}
	return nil
}

// String describes c without the secret or the token.
func (c Credentials) String() string {
	s := "access key " + c.AccessKeyID
	if c.SessionToken != "" {
		s += " (temporary)"
	}
	return s
}

// GoString is like String, so that %#v does not print the secret.
func (c Credentials) GoString() string { return "sigv4.Credentials{" + c.String() + "}" }
