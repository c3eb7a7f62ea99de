package presign

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// mutateByte returns s with byte i changed to another byte of the same
// class, so that the URL stays parseable and the decoded value changes: a
// hex digit of a %-escape becomes another hex digit, a letter or digit
// another letter or digit, anything else an 'x'.
func mutateByte(s string, i int, inEscape bool) string {
	c := s[i]
	var r byte
	switch {
	case inEscape && c >= '0' && c <= '8', inEscape && c >= 'A' && c <= 'E':
		r = c + 1
	case inEscape:
		r = '0'
	case c >= 'a' && c < 'z', c >= 'A' && c < 'Z', c >= '0' && c < '9':
		r = c + 1
	case c == 'z' || c == 'Z' || c == '9':
		r = c - 1
	default:
		r = 'x'
	}
	return s[:i] + string(r) + s[i+1:]
}

// escapeMask marks the hex digits of %-escapes in s.
func escapeMask(s string) []bool {
	m := make([]bool, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			m[i+1], m[i+2] = true, true
		}
	}
	return m
}

// TestVerifierRefusesEveryMutation takes every URL the SDKs made (the JS
// and botocore vectors), checks that it verifies, then changes each byte of
// its path, of each query parameter's value and of each signed header's
// value, one at a time, and checks that the verifier refuses each with the
// error code S3 gives for that part.
func TestVerifierRefusesEveryMutation(t *testing.T) {
	if testing.Short() {
		t.Skip("long: every byte of ~800 URLs")
	}
	total := 0
	for _, file := range []string{"testdata/sdk/js-presign.json", "testdata/sdk/botocore-presign.json"} {
		v := loadVectors(t, file)
		for i := range v.Cases {
			c := &v.Cases[i]
			if c.Output.Error != "" || ambiguousPayload[c.Name] || pathDeviations[c.Name] {
				continue
			}
			total += mutateCase(t, c)
		}
	}
	t.Logf("%d mutated URLs refused", total)
	if total < 100000 {
		t.Errorf("only %d mutations tried", total)
	}
}

func mutateCase(t *testing.T, c *sdkCase) int {
	t.Helper()
	ts, _ := time.Parse(time.RFC3339, c.Input.SigningDate)
	cr := c.Input.Credentials
	ver := &sigv4.Verifier{
		Lookup: func(id string) (sigv4.Credentials, bool) {
			return sigv4.Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken}, id == cr.AccessKeyID
		},
		Region: c.Input.Region,
		Now:    func() time.Time { return ts },
	}
	check := func(rawURL string, headers map[string]string) error {
		u, err := url.Parse(rawURL)
		if err != nil {
			return err
		}
		r := &http.Request{Method: c.Output.Method, URL: u, Host: u.Host, Header: http.Header{}}
		for k, v := range headers {
			if k == "host" {
				r.Host = v
			} else {
				r.Header.Set(k, v)
			}
		}
		_, err = ver.Verify(r)
		return err
	}
	if err := check(c.Output.URL, c.Output.Headers); err != nil {
		t.Errorf("%s: unmutated URL refused: %v", c.Name, err)
		return 0
	}
	n := 0
	expect := func(what string, err error, codes ...s3err.ErrorCode) {
		n++
		var se *s3err.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: %s: accepted or not an S3 error: %v", c.Name, what, err)
			return
		}
		for _, code := range codes {
			if se.Code == code {
				return
			}
		}
		t.Errorf("%s: %s: code %s, want one of %v", c.Name, what, se.Code, codes)
	}
	base, query, _ := strings.Cut(c.Output.URL, "?")
	// The path (after scheme://host).
	hostEnd := strings.Index(base[len("https://"):], "/") + len("https://")
	if strings.HasPrefix(base, "http://") {
		hostEnd = strings.Index(base[len("http://"):], "/") + len("http://")
	}
	mask := escapeMask(base)
	for i := hostEnd + 1; i < len(base); i++ {
		if base[i] == '/' || base[i] == '%' || base[i] == '.' {
			continue // separators and dot segments can change the route, not just the key
		}
		expect("path byte", check(mutateByte(base, i, mask[i])+"?"+query, c.Output.Headers), s3err.SignatureDoesNotMatch)
	}
	// Each query parameter's value.
	params := strings.Split(query, "&")
	for pi, p := range params {
		name, value, _ := strings.Cut(p, "=")
		vmask := escapeMask(value)
		for i := 0; i < len(value); i++ {
			if value[i] == '%' {
				continue
			}
			mp := append([]string(nil), params...)
			mp[pi] = name + "=" + mutateByte(value, i, vmask[i])
			err := check(base+"?"+strings.Join(mp, "&"), c.Output.Headers)
			switch name {
			case "X-Amz-Signature":
				expect(name, err, s3err.SignatureDoesNotMatch, s3err.AuthorizationQueryParametersError)
			case "X-Amz-Security-Token":
				expect(name, err, s3err.InvalidToken)
			case "X-Amz-Algorithm", "X-Amz-SignedHeaders":
				expect(name, err, s3err.AuthorizationQueryParametersError, s3err.AccessDenied, s3err.SignatureDoesNotMatch)
			case "X-Amz-Credential":
				expect(name, err, s3err.InvalidAccessKeyID, s3err.AuthorizationQueryParametersError)
			case "X-Amz-Date", "X-Amz-Expires":
				expect(name, err, s3err.AuthorizationQueryParametersError, s3err.AccessDenied, s3err.SignatureDoesNotMatch)
			default:
				expect(name, err, s3err.SignatureDoesNotMatch)
			}
		}
	}
	// Each signed header's value, and each signed header left out.
	u, _ := url.Parse(c.Output.URL)
	signed := strings.Split(u.Query().Get("X-Amz-SignedHeaders"), ";")
	for _, h := range signed {
		val, ok := c.Output.Headers[h]
		if !ok || h == "host" {
			continue
		}
		for i := 0; i < len(val); i++ {
			hs := map[string]string{}
			for k, v := range c.Output.Headers {
				hs[k] = v
			}
			hs[h] = mutateByte(val, i, false)
			if strings.Join(strings.Fields(hs[h]), " ") == strings.Join(strings.Fields(val), " ") {
				continue // only whitespace changed, which canonicalisation folds
			}
			expect("header "+h, check(c.Output.URL, hs), s3err.SignatureDoesNotMatch)
		}
		if val == "" {
			continue // SigV4 signs a missing header and an empty one alike
		}
		hs := map[string]string{}
		for k, v := range c.Output.Headers {
			if k != h {
				hs[k] = v
			}
		}
		expect("header "+h+" missing", check(c.Output.URL, hs), s3err.SignatureDoesNotMatch)
	}
	return n
}
