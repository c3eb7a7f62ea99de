package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

func TestRedactURL(t *testing.T) {
	const presigned = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z" +
		"&X-Amz-Expires=60&X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2BtOKEN%3D&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	const redacted = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=REDACTED&X-Amz-Date=20260115T120000Z" +
		"&X-Amz-Expires=60&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=REDACTED"
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"query without secrets", "list-type=2&prefix=a", "list-type=2&prefix=a"},
		{"presigned URL", presigned, redacted},
		{"raw query string", "X-Amz-Signature=abc&X-Amz-Credential=AKID%2Fx&X-Amz-Security-Token=tok",
			"X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED"},
		{"lower case", "/k?x-amz-signature=abc&x-amz-credential=c&x-amz-security-token=t",
			"/k?x-amz-signature=REDACTED&x-amz-credential=REDACTED&x-amz-security-token=REDACTED"},
		{"mixed case", "/k?x-AMZ-sEcUrItY-tOkEn=t&a=b", "/k?x-AMZ-sEcUrItY-tOkEn=REDACTED&a=b"},
		{"percent-encoded names", "x-amz-signature=abc&X%2DAmz%2DSignature=def&%58-amz-credential=c",
			"x-amz-signature=REDACTED&X%2DAmz%2DSignature=REDACTED&%58-amz-credential=REDACTED"},
		{"SigV2", "/b/k?AWSAccessKeyId=AKID&Expires=1700000000&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
			"/b/k?AWSAccessKeyId=REDACTED&Expires=1700000000&Signature=REDACTED"},
		{"net/http error message",
			`Get "http://127.0.0.1:1/b/.probe?X-Amz-Credential=AKID%2F20260115&X-Amz-Security-Token=tok&X-Amz-Signature=abc": dial tcp 127.0.0.1:1: connect: connection refused`,
			`Get "http://127.0.0.1:1/b/.probe?X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED": dial tcp 127.0.0.1:1: connect: connection refused`},
		{"two URLs in one text", "first http://h/a?X-Amz-Signature=111 then https://h/b?uploadId=u&X-Amz-Signature=222 done",
			"first http://h/a?X-Amz-Signature=REDACTED then https://h/b?uploadId=u&X-Amz-Signature=REDACTED done"},
		{"URL inside a query, encoded once", "https://app/cb?next=https%3A%2F%2Fs3%2Fk%3FX-Amz-Signature%3Dabc%26x%3D1",
			"https://app/cb?next=https%3A%2F%2Fs3%2Fk%3FX-Amz-Signature%3DREDACTED%26x%3D1"},
		{"encoded twice", "a=%253FX-Amz-Signature%253Dabc%2526b%253D1", "a=%253FX-Amz-Signature%253DREDACTED%2526b%253D1"},
		{"JSON escape of &", `{"url":"http://h/k?a=1\u0026X-Amz-Signature=abc\u0026b=2"}`, `{"url":"http://h/k?a=1\u0026X-Amz-Signature=REDACTED\u0026b=2"}`},
		{"HTML escape of &", `<a href="/k?a=1&amp;X-Amz-Signature=abc">`, `<a href="/k?a=1&amp;X-Amz-Signature=REDACTED">`},
		{"quoted in a log line", `err="Get \"http://h/k?X-Amz-Security-Token=tok%2Bx\": EOF"`, `err="Get \"http://h/k?X-Amz-Security-Token=REDACTED\": EOF"`},
		{"fragment", "http://h/k?X-Amz-Signature=abc#top", "http://h/k?X-Amz-Signature=REDACTED#top"},
		{"Authorization header", "AWS4-HMAC-SHA256 Credential=AKID/20260115/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
			"AWS4-HMAC-SHA256 Credential=AKID/20260115/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=REDACTED"},
		{"empty value", "X-Amz-Signature=&a=b", "X-Amz-Signature=&a=b"},
		{"name without =", "/k?X-Amz-Signature&a=b", "/k?X-Amz-Signature&a=b"},
		{"other names", "XSignature=a&my-signature=b&Signature2=c&x-amz-signatures=d&X-Amz-SignedHeaders=host",
			"XSignature=a&my-signature=b&Signature2=c&x-amz-signatures=d&X-Amz-SignedHeaders=host"},
		{"S3 error text", "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.",
			"SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided."},
		{"prose", "a signature = nothing; Signature is a word, 5 € and %zz and %", "a signature = nothing; Signature is a word, 5 € and %zz and %"},
		{"truncated escape", "X-Amz-Signature%3", "X-Amz-Signature%3"},
		{"deeply encoded", "a=%2525252525253FX-Amz-Signature%3Dabc", "a=%2525252525253FX-Amz-Signature%3Dabc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactURL(tt.in)
			if got != tt.want {
				t.Errorf("RedactURL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := RedactURL(got); again != got {
				t.Errorf("not idempotent: %q", again)
			}
		})
	}
}

// TestRedactURLLinear: the bytes read grow with the input's length, not
// its square, for inputs made to defeat a scanner: many candidate names,
// long escape runs, many values (counted, not timed).
func TestRedactURLLinear(t *testing.T) {
	for _, unit := range []string{"X-Amz-Signature=a&", "x%2D", "%25%25", "%252525", "s", "&X-Amz-Signature%253",
		"&x-amz-security-tokeN", "Signature=" + strings.Repeat("f", 64) + " ", "=&"} {
		perByte := func(n int) float64 {
			s := strings.Repeat(unit, n)
			var steps int
			redactURL(s, &steps)
			return float64(steps) / float64(len(s))
		}
		small, large := perByte(1000), perByte(8000)
		if large > small*1.01 || large > 200 {
			t.Errorf("%q: %.1f bytes read per input byte at 1000 units, %.1f at 8000", unit, small, large)
		}
	}
}

func TestRedactError(t *testing.T) {
	if RedactError(nil) != nil {
		t.Error("RedactError(nil) is not nil")
	}
	plain := errors.New("sigv4: nothing secret")
	if RedactError(plain) != plain {
		t.Error("an error with nothing to redact was replaced")
	}

	// A real *url.Error from net/http: an unused port refuses the
	// connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	raw := "http://" + addr + "/b/k?X-Amz-Credential=AKID%2F20260115&X-Amz-Security-Token=SESSIONTOKEN&X-Amz-Signature=0123abcd"
	req, _ := http.NewRequestWithContext(context.Background(), "GET", raw, nil)
	_, httpErr := http.DefaultClient.Do(req)
	if httpErr == nil {
		t.Fatal("the unused port answered")
	}
	for name, err := range map[string]error{
		"url.Error":   httpErr,
		"wrapped":     fmt.Errorf("storage unreachable: %w", httpErr),
		"joined":      errors.Join(errors.New("first"), fmt.Errorf("second: %w", httpErr)),
		"wrapped url": &url.Error{Op: "Get", URL: raw, Err: fmt.Errorf("inner %s: %w", raw, context.DeadlineExceeded)},
	} {
		t.Run(name, func(t *testing.T) {
			red := RedactError(err)
			msg := red.Error()
			for _, secret := range []string{"SESSIONTOKEN", "0123abcd", "AKID%2F"} {
				if strings.Contains(msg, secret) {
					t.Errorf("message keeps %q: %s", secret, msg)
				}
			}
			if !strings.Contains(msg, "X-Amz-Signature=REDACTED") {
				t.Errorf("message %q", msg)
			}
			var ue *url.Error
			if !errors.As(red, &ue) {
				t.Fatalf("errors.As finds no *url.Error in %T", red)
			}
			if strings.Contains(ue.URL, "0123abcd") || strings.Contains(ue.Error(), "SESSIONTOKEN") {
				t.Errorf("errors.As finds an unredacted *url.Error: %s", ue)
			}
			if name == "wrapped url" {
				if !errors.Is(red, context.DeadlineExceeded) {
					t.Error("the deadline is lost")
				}
			} else if !errors.Is(red, syscall.ECONNREFUSED) {
				t.Errorf("errors.Is(ECONNREFUSED) is false for %v", red)
			}
		})
	}
}

func FuzzRedactURL(f *testing.F) {
	f.Add("https://h/k?a=1", "b=2")
	f.Add("X%2DAmz%2D", "%253D")
	f.Add(`Get "http://h/k?X-Amz-Credential=`, `": EOF`)
	f.Fuzz(func(t *testing.T, prefix, suffix string) {
		const secret = "deadbeef00112233"
		out := RedactURL(prefix + "&X-Amz-Signature=" + secret + "&" + suffix)
		if strings.Contains(out, secret) && !strings.Contains(prefix+suffix, secret) {
			t.Errorf("the signature survives: %q", out)
		}
		if again := RedactURL(out); again != out {
			t.Errorf("not idempotent: %q then %q", out, again)
		}
		s := prefix + suffix
		if red := RedactURL(s); !strings.Contains(s, "=") && red != s {
			t.Errorf("text without '=' changed: %q", red)
		}
	})
}
