package sigv4

import (
	"errors"
	"net/url"
)

// Redacted is what [RedactURL] writes in place of a secret value.
const Redacted = "REDACTED"

// redactedParams are the query parameters whose values, with the rest of
// the URL, let whoever reads them replay a signed request or learn a
// credential, lower case: SigV4's signature, credential scope and session
// token, and SigV2's signature and access key id.
var redactedParams = [...]string{"x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature", "awsaccesskeyid"}

// maxEncodingDepth is how many times over a percent-encoded name or
// separator is still recognised ("%3D", "%253D", ...): a URL inside a URL's
// query, inside another. It bounds the work per position.
const maxEncodingDepth = 4

// RedactURL returns s with the value of every X-Amz-Signature,
// X-Amz-Credential, X-Amz-Security-Token, Signature and AWSAccessKeyId
// query parameter replaced by [Redacted]. s may be a URL, a raw query
// string, or any text that contains URLs, such as an error message (a
// net/http *url.Error quotes the URL it failed on) or a log line.
//
// Parameter names match in any letter case, and a name, its '=' and the
// separator before it may be percent-encoded (a URL within a URL's query,
// up to four levels deep) or, for the separator, written as JSON's \u0026.
// A value ends at '&', '#', white space, a quote, '<', '>', '\' or an
// encoded '&'. Text with no such parameter is returned unchanged, and the
// work is linear in len(s).
func RedactURL(s string) string {
	var steps int
	return redactURL(s, &steps)
}

// redactURL is RedactURL, adding to *steps the bytes it reads, for the
// test that the work is linear.
func redactURL(s string, steps *int) string {
	var out []byte // nil until the first value is replaced
	last := 0
	for i := 0; i < len(s); i++ {
		if c := lower(s[i]); c != 'x' && c != 's' && c != 'a' && c != '%' {
			continue // no name starts with anything else
		}
		valStart, ok := matchSecretName(s, i, steps)
		if !ok || !atParamStart(s, i) {
			continue
		}
		valEnd := valueEnd(s, valStart, steps)
		if valEnd == valStart {
			continue // an empty value hides nothing
		}
		out = append(out, s[last:valStart]...)
		out = append(out, Redacted...)
		last = valEnd
		i = valEnd - 1
	}
	if out == nil {
		return s
	}
	return string(append(out, s[last:]...))
}

// matchSecretName reports whether one of redactedParams and its '=' start
// at s[i], and where the value begins.
func matchSecretName(s string, i int, steps *int) (int, bool) {
	for _, name := range redactedParams {
		j, ok := i, true
		for k := 0; k < len(name) && ok; k++ {
			var c byte
			start := j
			c, j, ok = decodeByte(s, j)
			ok = ok && lower(c) == name[k]
			*steps += max(j-start, 1)
		}
		if !ok {
			continue
		}
		c, end, ok := decodeByte(s, j)
		*steps += max(end-j, 1)
		if ok && c == '=' {
			return end, true
		}
	}
	return 0, false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// decodeByte returns the byte at s[i], decoding a percent-escape that may
// itself be escaped up to maxEncodingDepth times ("%2D", "%252D"), and the
// position after it.
func decodeByte(s string, i int) (byte, int, bool) {
	if i >= len(s) {
		return 0, i, false
	}
	if s[i] != '%' {
		return s[i], i + 1, true
	}
	j := i + 1
	for depth := 0; depth < maxEncodingDepth && j+1 < len(s) && s[j] == '2' && s[j+1] == '5'; depth++ {
		j += 2
	}
	if j+1 >= len(s) {
		return 0, i, false
	}
	hi, ok1 := unhex(s[j])
	lo, ok2 := unhex(s[j+1])
	if !ok1 || !ok2 {
		return 0, i, false
	}
	return hi<<4 | lo, j + 2, true
}

// atParamStart reports whether a query parameter's name may start at s[i]:
// at the start of s, after a byte that cannot be part of a name (such as
// '?', '&', a quote or a space), or after an encoded '?' or '&'.
func atParamStart(s string, i int) bool {
	if i == 0 {
		return true
	}
	if p := s[i-1]; !unreserved[p] && p != '%' && p != '+' {
		return true
	}
	if len(s[:i]) >= 6 && (s[i-6:i] == `\u0026` || s[i-6:i] == `\u003f` || s[i-6:i] == `\u003F`) {
		return true
	}
	return encodedSeparatorBefore(s, i)
}

// encodedSeparatorBefore reports whether s[:i] ends with a percent-encoded
// '&' or '?' ("%26", "%3F", "%2526", ...).
func encodedSeparatorBefore(s string, i int) bool {
	if i < 3 {
		return false
	}
	hex := s[i-2 : i]
	if hex != "26" && hex != "3F" && hex != "3f" {
		return false
	}
	j := i - 2
	for depth := 0; depth < maxEncodingDepth && j >= 3 && s[j-2:j] == "25"; depth++ {
		j -= 2
	}
	return s[j-1] == '%'
}

// valueEnd returns where the value starting at s[i] ends.
func valueEnd(s string, i int, steps *int) int {
	for ; i < len(s); i++ {
		*steps++
		switch c := s[i]; {
		case c <= ' ', c == 0x7f, c == '&', c == '#', c == '"', c == '\'', c == '<', c == '>', c == '\\', c == '`':
			return i
		case c == '%':
			if b, _, ok := decodeByte(s, i); ok && b == '&' {
				return i
			}
		}
	}
	return i
}

// RedactError returns err with [RedactURL] applied to its message, or err
// itself when the message has nothing to redact. A *url.Error (what
// net/http's Client returns) becomes a *url.Error with its URL redacted,
// and other errors a wrapper with the redacted message; the errors they
// wrap are redacted in turn, so errors.As finds only redacted values, and
// errors.Is sees the original chain (context.DeadlineExceeded, a sentinel).
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := RedactURL(msg)
	if red == msg {
		return err
	}
	switch e := err.(type) {
	case *url.Error:
		return &url.Error{Op: e.Op, URL: RedactURL(e.URL), Err: RedactError(e.Err)}
	case interface{ Unwrap() []error }:
		errs := e.Unwrap()
		out := make([]error, len(errs))
		for i, x := range errs {
			out[i] = RedactError(x)
		}
		return &redactedErrors{msg: red, orig: err, errs: out}
	}
	return &redactedError{msg: red, orig: err, next: RedactError(errors.Unwrap(err))}
}

// redactedError is an error whose message had secrets, redacted.
type redactedError struct {
	msg  string
	orig error
	next error // the redacted next error of orig's chain
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Unwrap() error        { return e.next }
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// Timeout reports what the original error's Timeout method does, as
// url.Error.Timeout asks its Err.
func (e *redactedError) Timeout() bool {
	t, ok := e.orig.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

// redactedErrors is redactedError for an error that wraps several.
type redactedErrors struct {
	msg  string
	orig error
	errs []error
}

func (e *redactedErrors) Error() string        { return e.msg }
func (e *redactedErrors) Unwrap() []error      { return e.errs }
func (e *redactedErrors) Is(target error) bool { return errors.Is(e.orig, target) }
