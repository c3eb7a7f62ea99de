package inspect

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse panic, that a refusal is one
// clean line, and that what parses renders within TextWidth columns with
// no control characters.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"", "https://", "s3://b/k", "https://b.s3.amazonaws.com/k?",
		"https://examplebucket.s3.us-east-1.amazonaws.com/object.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e&X-Amz-SignedHeaders=host&x-id=GetObject",
		"http://127.0.0.1:9000/b/%E6%97%A5?X-Amz-Algorithm=X&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=20260115T120000Z&X-Amz-Expires=99999999999999999999&X-Amz-SignedHeaders=b;a&X-Amz-Signature=zz&uploadId=1",
		"https://[::1]:9000/b/k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AK%2F20260115%2Fs3%2Faws4_request&X-Amz-Region-Set=*&X-Amz-Date=20260115T120000Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
		"https://a.b.s3-accelerate.dualstack.amazonaws.com/%e2%80%ae%1b[31m?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=0&X-Amz-SignedHeaders=host&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e#frag",
	}
	for _, s := range seeds {
		f.Add(s, "")
	}
	f.Add(seeds[4], "PUT")
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw, method string) {
		in, err := Parse(raw, method, now)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		for _, l := range in.TextLines() {
			if w := width(l); w > TextWidth {
				t.Fatalf("line of %d columns: %q", w, l)
			}
			if !utf8.ValidString(l) {
				t.Fatalf("invalid UTF-8 in %q", l)
			}
			for _, r := range l {
				if r < ' ' || r == 0x7f || 0x80 <= r && r < 0xa0 {
					t.Fatalf("control character %U in %q", r, l)
				}
			}
		}
		if in.Method != "" {
			in.Canonical(nil, "secret")
		}
	})
}

// FuzzParseErrorXML checks that the error parser never panics and that
// what it accepts can be diagnosed.
func FuzzParseErrorXML(f *testing.F) {
	f.Add("<Error><Code>AccessDenied</Code><Message>Request has expired</Message><Expires>2018-03-29T11:17:34Z</Expires><ServerTime>2018-03-29T11:27:42Z</ServerTime></Error>")
	f.Add("<Error><Code>SignatureDoesNotMatch</Code><StringToSign>AWS4-HMAC-SHA256\n20260115T120000Z\n20260115/us-east-1/s3/aws4_request\n13e0ef6c07c3712eae8277041d205b13a7bca431c236c875719aede0aa5b6cba</StringToSign><CanonicalRequest>GET\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD</CanonicalRequest><CanonicalRequestBytes>47 45 54</CanonicalRequestBytes></Error>")
	f.Add("<Error><Code>RequestTimeTooSkewed</Code><RequestTime>20150604T232559Z</RequestTime><ServerTime>2015-06-04T22:26:16Z</ServerTime></Error>")
	f.Add("<x/>")
	f.Add("<Error><Code>a</Code><b><c/></b></Error>")
	in, err := Parse("https://examplebucket.s3.us-east-1.amazonaws.com/object.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e&X-Amz-SignedHeaders=host&x-id=GetObject", "", time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		e, err := ParseErrorXML([]byte(doc))
		if err != nil {
			return
		}
		for _, target := range []*Inspection{nil, in} {
			d := DiagnoseError(target, e, Local{})
			if len(d.Causes) == 0 {
				t.Fatal("no cause")
			}
			d.TextLines()
		}
	})
}
