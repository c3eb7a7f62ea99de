package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/presign-dev/presign/s3err"
)

// A client controls how many query parameters, headers and signed header
// names a request has, and the verifier canonicalises them before it can
// compare the signature: the work must grow as n log n at most, never as
// n². These tests count the sorts' comparisons (not time) as the input
// doubles; the benchmarks below give the time at the same sizes
// (BENCHMARKS.md).

// countComparisons runs f with the comparison counter on.
func countComparisons(t *testing.T, f func()) int {
	t.Helper()
	n := 0
	countCompare = func() { n++ }
	defer func() { countCompare = nil }()
	f()
	return n
}

// manyParams returns a presigned request with n extra query parameters,
// which are unsigned, so it fails with SignatureDoesNotMatch, after the
// full canonicalisation.
func manyParams(t testing.TB, n int) *http.Request {
	var r *http.Request
	if tt, ok := t.(*testing.T); ok {
		r = presignedRequest(tt, testCreds, 3600e9)
	} else {
		r = presignedRequest(&testing.T{}, testCreds, 3600e9)
	}
	var b strings.Builder
	b.WriteString(r.URL.RawQuery)
	for i := 0; i < n; i++ {
		// Names in a scrambled order (7919 is prime, so this is a
		// permutation of 0..n-1 for the sizes used).
		fmt.Fprintf(&b, "&p%07d=v", i*7919%n)
	}
	r.URL.RawQuery = b.String()
	return r
}

// manySignedHeaders returns a header-signed request with n extra signed
// headers, all present and signed.
func manySignedHeaders(t *testing.T, n int) *http.Request {
	in := &SignInput{
		Request:     &Request{Method: "GET", Host: "bucket.s3.us-east-1.amazonaws.com", Path: "/k"},
		Credentials: testCreds, Region: "us-east-1", Service: "s3", Time: t0, ContentSHA256Header: true,
	}
	for i := 0; i < n; i++ {
		in.Request.Header = append(in.Request.Header, Param{fmt.Sprintf("x-h%07d", i*7919%n), "v"})
	}
	s, err := DefaultSigner.Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("GET", "https://bucket.s3.us-east-1.amazonaws.com/k", nil)
	for _, h := range in.Request.Header {
		r.Header.Set(h.Name, h.Value)
	}
	r.Header.Set("Authorization", s.Authorization)
	r.Header.Set("X-Amz-Date", s.Date)
	r.Header.Set("X-Amz-Content-Sha256", s.ContentSHA256)
	return r
}

func TestVerifyWorkGrowsNLogN(t *testing.T) {
	v := testVerifier(t0)
	cases := []struct {
		name string
		req  func(n int) *http.Request
		code string
	}{
		{"query parameters", func(n int) *http.Request { return manyParams(t, n) }, "SignatureDoesNotMatch"},
		{"signed headers", func(n int) *http.Request { return manySignedHeaders(t, n) }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev := 0
			for n := 1000; n <= 16000; n *= 2 {
				r := c.req(n)
				var err error
				ops := countComparisons(t, func() { _, err = v.Verify(r) })
				if code := errCode(err); code != c.code {
					t.Fatalf("n=%d: got %q (%v), want %q", n, code, err, c.code)
				}
				if ops == 0 {
					t.Fatalf("n=%d: no comparisons counted: the O(n log n) sort did not run", n)
				}
				// n log n doubles to 2n(log n + 1): a ratio of 2.2 at
				// n = 1000 and falling; n² would give 4.
				if prev > 0 && float64(ops) > 2.5*float64(prev) {
					t.Errorf("n=%d: %d comparisons, %.2f times the %d at n=%d: worse than n log n", n, ops, float64(ops)/float64(prev), prev, n/2)
				}
				t.Logf("n=%d: %d comparisons", n, ops)
				prev = ops
			}
		})
	}
}

func errCode(err error) string {
	var e *s3err.Error
	if errors.As(err, &e) {
		return string(e.Code)
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// BenchmarkVerifyManyQueryParams verifies a presigned URL with n extra
// (unsigned) query parameters: the cost of the full canonicalisation a
// request with no valid signature can cause.
func BenchmarkVerifyManyQueryParams(b *testing.B) {
	v := testVerifier(t0)
	for _, n := range []int{1000, 2000, 4000, 8000, 16000} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			r := manyParams(b, n)
			for b.Loop() {
				v.Verify(r)
			}
		})
	}
}

// BenchmarkVerifyUnsignedAmzHeaders verifies a presigned URL that signs n
// header names, sent with n unsigned x-amz-* headers.
func BenchmarkVerifyUnsignedAmzHeaders(b *testing.B) {
	v := testVerifier(t0)
	for _, n := range []int{250, 500, 1000, 2000} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			r := presignedRequest(&testing.T{}, testCreds, 3600e9)
			var names []string
			for i := 0; i < n; i++ {
				names = append(names, fmt.Sprintf("x-amz-s%05d", i))
				r.Header.Set(fmt.Sprintf("X-Amz-U%05d", i), "v")
			}
			q := r.URL.Query()
			q.Set("X-Amz-SignedHeaders", "host;"+strings.Join(names, ";"))
			r.URL.RawQuery = q.Encode()
			for b.Loop() {
				v.Verify(r)
			}
		})
	}
}
