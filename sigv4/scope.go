package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"time"
)

// Terminal is the last part of every SigV4 credential scope.
const Terminal = "aws4_request"

// Scope is a credential scope: the day, region and service a signing key
// is derived for. A SigV4a scope has no region.
type Scope struct {
	// Date is the day, yyyymmdd.
	Date string
	// Region is the region, such as "us-east-1"; empty in a SigV4a scope.
	Region string
	// Service is the service, such as "s3".
	Service string
}

// String returns the scope as signed: "yyyymmdd/region/service/aws4_request",
// or "yyyymmdd/service/aws4_request" for SigV4a (no region).
func (s Scope) String() string {
	if s.Region == "" {
		return s.Date + "/" + s.Service + "/" + Terminal
	}
	return s.Date + "/" + s.Region + "/" + s.Service + "/" + Terminal
}

// Credential is a parsed X-Amz-Credential (or the Credential of an
// Authorization header): "AKID/yyyymmdd/region/service/aws4_request".
type Credential struct {
	// AccessKeyID names the key that signed.
	AccessKeyID string
	// Scope is the rest of the credential.
	Scope Scope
	// Terminal is the last part as given, which S3 requires to be
	// [Terminal].
	Terminal string
}

// Errors of [ParseCredential], told apart with errors.Is.
var (
	// ErrCredentialShape: the credential is not five parts separated by
	// '/' with a non-empty access key id.
	ErrCredentialShape = errors.New("sigv4: the credential is not AKID/yyyymmdd/region/service/aws4_request")
	// ErrCredentialDate: the credential's date is not yyyymmdd.
	ErrCredentialDate = errors.New("sigv4: the credential's date is not yyyymmdd")
)

// ParseCredential splits a credential into its parts. It checks only its
// shape and its date; the caller checks the region, the service and the
// terminal against what it serves, and words the refusal its own way. Its
// errors are [ErrCredentialShape] and [ErrCredentialDate].
func ParseCredential(s string) (Credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 || parts[0] == "" {
		return Credential{}, ErrCredentialShape
	}
	c := Credential{AccessKeyID: parts[0], Scope: Scope{Date: parts[1], Region: parts[2], Service: parts[3]}, Terminal: parts[4]}
	if len(c.Scope.Date) != 8 {
		return c, ErrCredentialDate
	}
	if _, err := time.Parse("20060102", c.Scope.Date); err != nil {
		return c, ErrCredentialDate
	}
	return c, nil
}

// ParseCredentialV4a is [ParseCredential] for SigV4a, whose scope has no
// region: "AKID/yyyymmdd/service/aws4_request".
func ParseCredentialV4a(s string) (Credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 4 || parts[0] == "" {
		return Credential{}, ErrCredentialShape
	}
	c := Credential{AccessKeyID: parts[0], Scope: Scope{Date: parts[1], Service: parts[2]}, Terminal: parts[3]}
	if _, err := time.Parse("20060102", c.Scope.Date); err != nil || len(c.Scope.Date) != 8 {
		return c, ErrCredentialDate
	}
	return c, nil
}

// SigningKey returns the derived signing key of secret for scope, from the
// signer's cache.
func (s *Signer) SigningKey(secret string, scope Scope) [32]byte {
	return s.keys.get(secret, []byte(scope.Date), scope.Region, scope.Service).key
}

// SignString returns the hex signature of msg under a derived signing key,
// such as a base64 POST policy. It is the last step of SigV4.
func SignString(key [32]byte, msg string) string {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(msg))
	return string(appendHex(make([]byte, 0, 64), m.Sum(nil)))
}

// CheckString reports whether signature is the hex signature of msg under
// key, comparing in constant time.
func CheckString(key [32]byte, msg, signature string) bool {
	return hmac.Equal([]byte(SignString(key, msg)), []byte(signature))
}
