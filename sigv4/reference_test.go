package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file is the plain twin of the optimised signer: the canonical
// request and string to sign written only for clarity, from the SigV4
// specification ("Create a canonical request", "Create a string to sign"),
// six lines joined as smithy-go's aws-http-auth does. It shares no code
// with sign.go; FuzzReferenceCanonical compares the two on random
// requests, so that a canonicalisation bug in the fast path cannot hide
// behind a signer and a verifier that share it.

// refEscape is URI encoding per the SigV4 specification: every byte but
// A-Z a-z 0-9 - . _ ~ becomes %XY with upper-case hex; '/' is kept in
// paths.
func refEscape(s string, path bool) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case path && c == '/':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// refTrim trims a header value and collapses each run of white space
// inside it to one space: the JavaScript SDK's
// value.trim().replace(/\s+/g, " "), whose white space is ECMAScript's
// (ASCII tab, LF, VT, FF, CR and space, U+00A0, U+1680, U+2000 to U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF).
func refTrim(v string) string {
	js := func(r rune) bool {
		return strings.ContainsRune("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff", r) || 0x2000 <= r && r <= 0x200a
	}
	return strings.Join(strings.FieldsFunc(v, js), " ")
}

// refCanonical returns the canonical request and string to sign of in, for
// presigning when presign is true and header signing otherwise. It covers
// S3's rules: no path normalisation, no double encoding.
func refCanonical(in *SignInput, presign bool) (creq, sts string) {
	r := in.Request
	date := in.Time.UTC().Format(TimeFormat)
	scope := date[:8] + "/" + in.Region + "/" + in.Service + "/aws4_request"
	payload := in.PayloadHash
	if payload == "" {
		if presign {
			payload = UnsignedPayload
		} else {
			payload = EmptyPayloadHash
		}
	}
	token := in.Credentials.SessionToken

	// Headers: lower-case names, values trimmed, repeats joined by commas.
	headers := map[string][]string{"host": {r.Host}}
	for _, h := range r.Header {
		n := strings.ToLower(h.Name)
		if n == "host" {
			continue
		}
		headers[n] = append(headers[n], h.Value)
	}
	if !presign {
		headers["x-amz-date"] = append(headers["x-amz-date"], date)
		if token != "" && !in.UnsignedSessionToken {
			headers["x-amz-security-token"] = append(headers["x-amz-security-token"], token)
		}
		if in.ContentSHA256Header {
			headers["x-amz-content-sha256"] = append(headers["x-amz-content-sha256"], payload)
		}
	}
	var names []string
	for n := range headers {
		names = append(names, n)
	}
	sort.Strings(names)
	var canonHeaders strings.Builder
	for _, n := range names {
		var vals []string
		for _, v := range headers[n] {
			vals = append(vals, refTrim(v))
		}
		canonHeaders.WriteString(n + ":" + strings.Join(vals, ",") + "\n")
	}
	signedHeaders := strings.Join(names, ";")

	// Query: every parameter escaped, sorted by name, then value.
	params := append([]Param(nil), r.Query...)
	if presign {
		params = append(params,
			Param{"X-Amz-Algorithm", Algorithm},
			Param{"X-Amz-Credential", in.Credentials.AccessKeyID + "/" + scope},
			Param{"X-Amz-Date", date},
			Param{"X-Amz-Expires", strconv.FormatInt(int64(in.Expires/time.Second), 10)},
			Param{"X-Amz-SignedHeaders", signedHeaders})
		if token != "" && !in.UnsignedSessionToken {
			params = append(params, Param{"X-Amz-Security-Token", token})
		}
	}
	var pairs []string
	for _, p := range params {
		pairs = append(pairs, refEscape(p.Name, false)+"="+refEscape(p.Value, false))
	}
	sort.Slice(pairs, func(i, j int) bool {
		ni, vi, _ := strings.Cut(pairs[i], "=")
		nj, vj, _ := strings.Cut(pairs[j], "=")
		if ni != nj {
			return ni < nj
		}
		return vi < vj
	})

	path := r.Path
	if r.Key != "" {
		path += "/" + r.Key
	}
	uri := refEscape(path, true)
	if r.RawPath != "" {
		uri = r.RawPath
	}
	if uri == "" {
		uri = "/"
	}

	creq = strings.Join([]string{
		r.Method,
		uri,
		strings.Join(pairs, "&"),
		canonHeaders.String(),
		signedHeaders,
		payload,
	}, "\n")
	sum := sha256.Sum256([]byte(creq))
	sts = strings.Join([]string{Algorithm, date, scope, hex.EncodeToString(sum[:])}, "\n")
	return creq, sts
}

// TestReferenceCanonicalExamples checks the plain twin itself against the
// S3 documentation's worked example, so that the fuzz target compares the
// fast path with something known to be right.
func TestReferenceCanonicalExamples(t *testing.T) {
	in := &SignInput{
		Request:     &Request{Method: "GET", Host: "examplebucket.s3.amazonaws.com", Path: "/test.txt"},
		Credentials: Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Region:      "us-east-1", Service: "s3",
		Time:    time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC),
		Expires: 86400 * time.Second,
	}
	// The S3 documentation's presigned GET (testdata/vectors/s3-docs-presigned-get.json).
	const wantCreq = "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
	creq, _ := refCanonical(in, true)
	if creq != wantCreq {
		t.Fatalf("reference canonical request:\n%s\nwant:\n%s", creq, wantCreq)
	}
	ex, err := DefaultSigner.Explain(in, true)
	if err != nil {
		t.Fatal(err)
	}
	if ex.CanonicalRequest != creq {
		t.Fatalf("signer and reference differ:\n%s\n---\n%s", ex.CanonicalRequest, creq)
	}
}

// FuzzReferenceCanonical compares the optimised signer with the plain
// twin on random requests, for presigning and for header signing: the
// canonical request and the string to sign must be the same bytes.
func FuzzReferenceCanonical(f *testing.F) {
	f.Add("GET", "/photos/cat 1.jpg", "", "x-id", "GetObject", "content-type", "image/jpeg", "X-Amz-Meta-A", "  b  c ", "", true, uint8(3))
	f.Add("PUT", "", "k/é", "uploadId", "a+b/c", "x-amz-meta-x", "1", "x-amz-meta-x", "2", "tok/en+=", false, uint8(200))
	f.Add("DELETE", "/a//b/../c", "", "", "", "Host", "other", "X-Amz-Date", "d", "", true, uint8(0))
	f.Add("POST", "/b", "", "a", "", "a", "", "a", "", "", false, uint8(77))
	f.Fuzz(func(t *testing.T, method, path, key, qn, qv, h1n, h1v, h2n, h2v, token string, presign bool, extra uint8) {
		if method == "" {
			method = "GET"
		}
		for _, n := range []string{h1n, h2n} {
			// Header names are tokens on the wire; a name with a colon,
			// a newline or an upper/lower-case variant outside ASCII is
			// not something either side is asked to sign.
			for _, c := range []byte(n) {
				if c <= ' ' || c == ':' || c >= 0x7f {
					return
				}
			}
		}
		r := &Request{Method: method, Host: "bucket.s3.us-east-1.amazonaws.com", Path: path, Key: key}
		if qn != "" || qv != "" {
			r.Query = append(r.Query, Param{qn, qv})
		}
		// extra adds more parameters, past the insertion-sort threshold
		// when it is large, so that both sorts are compared.
		for i := 0; i < int(extra)%64; i++ {
			r.Query = append(r.Query, Param{fmt.Sprintf("p%d", (int(extra)*(i+7))%53), strconv.Itoa(i % 5)})
		}
		if h1n != "" {
			r.Header = append(r.Header, Param{h1n, h1v})
		}
		if h2n != "" {
			r.Header = append(r.Header, Param{h2n, h2v})
		}
		in := &SignInput{
			Request:     r,
			Credentials: Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: token},
			Region:      "us-east-1", Service: "s3", Time: t0, Expires: 900 * time.Second,
			ContentSHA256Header: !presign,
		}
		ex, err := DefaultSigner.Explain(in, presign)
		if err != nil {
			t.Fatalf("Explain: %v", err)
		}
		creq, sts := refCanonical(in, presign)
		if ex.CanonicalRequest != creq {
			t.Fatalf("canonical requests differ:\nsigner:\n%s\nreference:\n%s", ex.CanonicalRequest, creq)
		}
		if ex.StringToSign != sts {
			t.Fatalf("strings to sign differ:\nsigner:\n%s\nreference:\n%s", ex.StringToSign, sts)
		}
	})
}

// TestFoldedHeaderValues pins the white space rules of canonical header
// values, the JavaScript SDK's trim().replace(/\s+/g, " ") (found by
// FuzzReferenceCanonical: U+2008 was trimmed after an ASCII space only).
func TestFoldedHeaderValues(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"  a   b  ", "a b"},
		{"a\t\r\n\v\fb", "a b"},
		{"\u2008x", "x"},
		{" \u2008x", "x"},
		{"a\u00a0\u00a0b\u3000", "a b"},
		{"a\ufeffb", "a b"},
		{"\u0085x", "\u0085x"},  // NEL is not white space to ECMAScript
		{"a\xff  b", "a\xff b"}, // invalid UTF-8 is kept byte for byte
		{"é  ü", "é ü"},
	}
	for _, tt := range tests {
		if got := string(appendFolded(nil, tt.in)); got != tt.want {
			t.Errorf("appendFolded(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := refTrim(tt.in); got != tt.want {
			t.Errorf("refTrim(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
