package sigv4

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// v4aCase is one case of the SigV4a part of the AWS signing test suite
// (awslabs/aws-c-auth tests/aws-signing-test-suite/v4a).
type v4aCase struct {
	name, dir string
	in        SignInput
	ctx       suiteContext
}

// answered reports whether the case has the suite's answers (38 of the 40
// have; get-vanilla-query-order-key and -value give the request alone).
func (c *v4aCase) answered() bool {
	_, err := os.Stat(filepath.Join(c.dir, "header-canonical-request.txt"))
	return err == nil
}

func v4aCases(t *testing.T) []*v4aCase {
	t.Helper()
	dir := vectorPath(t, "aws-signing-test-suite", "v4a")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []*v4aCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := &v4aCase{name: e.Name(), dir: filepath.Join(dir, e.Name())}
		c.ctx, c.in = suiteInput(t, c.dir)
		c.in.RegionSet, c.in.Region = []string{c.ctx.Region}, ""
		cases = append(cases, c)
	}
	if len(cases) != 40 {
		t.Fatalf("found %d cases of the SigV4a suite, want 40", len(cases))
	}
	return cases
}

// TestSigV4aSuite runs every case of the SigV4a suite, header and query:
// the key pair derived from the secret is the suite's (public-key.json),
// the canonical request and the string to sign are byte-identical, the
// suite's signatures (randomised: its -signature.txt and those of its
// signed requests) verify under our derived key, and ours verify too,
// are deterministic and low-S.
func TestSigV4aSuite(t *testing.T) {
	withKey, answered := 0, 0
	defer func() {
		if withKey != 38 || answered != 2*38 {
			t.Errorf("%d cases checked the derived public key and %d variants the suite's answers, want 38 and 76", withKey, answered)
		}
	}()
	for _, c := range v4aCases(t) {
		t.Run(c.name, func(t *testing.T) {
			key, err := DeriveV4aKey(c.in.Credentials.AccessKeyID, c.in.Credentials.SecretAccessKey)
			if err != nil {
				t.Fatal(err)
			}
			// 38 of the 40 cases give the public key of their credentials.
			if text, err := os.ReadFile(filepath.Join(c.dir, "public-key.json")); err == nil {
				var pub struct{ X, Y string }
				if err := json.Unmarshal(text, &pub); err != nil {
					t.Fatal(err)
				}
				b, _ := key.PublicKey.Bytes()
				if got := hex.EncodeToString(b[1:33]) + "," + hex.EncodeToString(b[33:]); got != pub.X+","+pub.Y {
					t.Errorf("derived public key %s, want %s,%s", got, pub.X, pub.Y)
				}
				withKey++
			}
			for _, variant := range []string{"header", "query"} {
				got, err := DefaultSigner.Explain(&c.in, variant == "query")
				if err != nil {
					t.Fatal(err)
				}
				if !c.answered() {
					// Two cases give the request alone: ours must still
					// verify, and be deterministic.
					if again, _ := DefaultSigner.Explain(&c.in, variant == "query"); !VerifyV4a(&key.PublicKey, got.StringToSign, got.Signature) || again != got {
						t.Errorf("%s: our signature does not verify, or differs from one run to the next", variant)
					}
					continue
				}
				answered++
				wantCR := readFile(t, filepath.Join(c.dir, variant+"-canonical-request.txt"))
				wantSTS := readFile(t, filepath.Join(c.dir, variant+"-string-to-sign.txt"))
				if got.CanonicalRequest != wantCR || got.StringToSign != wantSTS {
					t.Errorf("%s:\n got canonical request:\n%s\nwant:\n%s\n got string to sign:\n%s\nwant:\n%s",
						variant, got.CanonicalRequest, wantCR, got.StringToSign, wantSTS)
				}
				theirs := strings.TrimSpace(readFile(t, filepath.Join(c.dir, variant+"-signature.txt")))
				if !VerifyV4a(&key.PublicKey, wantSTS, theirs) {
					t.Errorf("%s: the suite's signature does not verify under the derived key", variant)
				}
				if !VerifyV4a(&key.PublicKey, wantSTS, got.Signature) {
					t.Errorf("%s: our signature does not verify", variant)
				}
				again, _ := DefaultSigner.Explain(&c.in, variant == "query")
				if again.Signature != got.Signature {
					t.Errorf("%s: two signatures of one request differ: not deterministic", variant)
				}
				if !lowS(t, got.Signature) {
					t.Errorf("%s: our signature is not low-S", variant)
				}
			}
		})
	}
}

// lowS reports whether the hex DER signature's s is at most n/2.
func lowS(t *testing.T, sig string) bool {
	der, err := hex.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		t.Fatal(err)
	}
	return rs.S.Cmp(halfN) <= 0
}

// TestSigV4aVerifierSuite: the Verifier accepts the suite's signed requests
// (header-signed-request.txt and query-signed-request.txt, signed by the
// CRT) and our own, and refuses them under another region set.
func TestSigV4aVerifierSuite(t *testing.T) {
	for _, c := range v4aCases(t) {
		t.Run(c.name, func(t *testing.T) {
			v := &Verifier{
				Lookup: func(id string) (Credentials, bool) {
					return Credentials{AccessKeyID: id, SecretAccessKey: c.in.Credentials.SecretAccessKey, SessionToken: c.in.Credentials.SessionToken}, id == c.in.Credentials.AccessKeyID
				},
				Region: c.ctx.Region, Service: c.ctx.Service, Now: func() time.Time { return c.in.Time.Add(time.Minute) },
				DoubleEncodePath: true, NormalizePath: c.ctx.Normalize,
			}
			if !c.answered() {
				t.Skip("the suite gives no signed request for this case")
			}
			for _, variant := range []string{"header", "query"} {
				if variant == "query" && (c.in.UnsignedSessionToken || c.in.PayloadHash != EmptyPayloadHash) {
					// A presigned URL says nothing of its body's hash, nor
					// of a token added unsigned: S3 signs neither way (it
					// signs UNSIGNED-PAYLOAD and the token).
					continue
				}
				r := rawHTTP(t, readFile(t, filepath.Join(c.dir, variant+"-signed-request.txt")))
				a, err := v.Verify(r)
				if err != nil {
					t.Errorf("%s: the suite's signed request is refused: %v", variant, err)
					continue
				}
				if a.Algorithm != AlgorithmV4a || strings.Join(a.RegionSet, ",") != c.ctx.Region {
					t.Errorf("%s: verified as %s for %v", variant, a.Algorithm, a.RegionSet)
				}
				other := *v
				other.Region = "eu-west-3"
				if _, err := other.Verify(rawHTTP(t, readFile(t, filepath.Join(c.dir, variant+"-signed-request.txt")))); err == nil {
					t.Errorf("%s: verified for a region outside its region set", variant)
				}
			}
		})
	}
}

// rawHTTP parses a signed-request file of the suite into an http.Request.
func rawHTTP(t *testing.T, text string) *http.Request {
	t.Helper()
	raw := parseRawRequest(t, text)
	r := &http.Request{Method: raw.method, Header: http.Header{}, RequestURI: raw.target}
	for _, h := range raw.headers {
		if strings.EqualFold(h.Name, "host") {
			r.Host = h.Value
			continue
		}
		r.Header.Add(h.Name, h.Value)
	}
	u, err := url.ParseRequestURI(raw.target)
	if err != nil {
		t.Fatal(err)
	}
	r.URL = u
	if raw.body != "" {
		r.ContentLength = int64(len(raw.body))
		r.Body = http.NoBody
	}
	return r
}

// TestSigV4aPresignVerifyRoundTrip presigns and header-signs S3 requests
// with SigV4a (region set "*" and a list) and verifies them; every
// one-byte change to the signed URL is refused.
func TestSigV4aPresignVerifyRoundTrip(t *testing.T) {
	creds := testCreds
	v := testVerifier(t0.Add(time.Minute))
	for _, set := range [][]string{{"*"}, {"us-west-2", "us-east-1"}} {
		in := &SignInput{
			Request: &Request{Method: "GET", Scheme: "https", Host: "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com", Path: "/photos/cat 1.jpg",
				Query: []Param{{"x-id", "GetObject"}}},
			Credentials: creds, Service: "s3", Time: t0, Expires: time.Hour, RegionSet: set,
		}
		p, err := DefaultSigner.Presign(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.URL, "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256") || !strings.Contains(p.URL, "X-Amz-Region-Set="+url.QueryEscape(strings.Join(set, ","))) ||
			!strings.Contains(p.URL, "X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fs3%2Faws4_request") {
			t.Fatalf("URL %s", p.URL)
		}
		get := func(raw string) *http.Request {
			u, err := url.Parse(raw)
			if err != nil {
				return nil
			}
			return &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}}
		}
		a, err := v.Verify(get(p.URL))
		if err != nil {
			t.Fatalf("region set %v: %v", set, err)
		}
		if a.Algorithm != AlgorithmV4a || a.Scope() != "20260115/s3/aws4_request" {
			t.Errorf("auth %+v", a)
		}
		for i := len("https://"); i < len(p.URL); i++ {
			if p.URL[i] == '?' || p.URL[i] == '&' || p.URL[i] == '=' {
				continue
			}
			mutated := []byte(p.URL)
			mutated[i] ^= 1
			if r := get(string(mutated)); r != nil && r.URL.Host == "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com" {
				if _, err := v.Verify(r); err == nil {
					t.Errorf("a one-byte change at %d verifies: %s", i, mutated)
				}
			}
		}

		// Header signing.
		hin := *in
		hin.Expires, hin.ContentSHA256Header = 0, true
		s, err := DefaultSigner.Sign(&hin)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse("https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/photos/cat%201.jpg?x-id=GetObject")
		r := &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}}
		r.Header.Set("Authorization", s.Authorization)
		r.Header.Set("X-Amz-Date", s.Date)
		r.Header.Set("X-Amz-Content-Sha256", s.ContentSHA256)
		r.Header.Set("X-Amz-Region-Set", s.RegionSet)
		if _, err := v.Verify(r); err != nil {
			t.Errorf("header-signed, region set %v: %v", set, err)
		}
		r.Header.Set("X-Amz-Region-Set", "eu-west-1")
		if _, err := v.Verify(r); err == nil {
			t.Errorf("a changed region set verifies")
		}
	}
}

// TestSigV4aInputErrors: a malformed region set is refused before signing.
func TestSigV4aInputErrors(t *testing.T) {
	for _, set := range [][]string{{""}, {"us-east-1,eu-west-1"}, {"us east"}} {
		in := &SignInput{Request: &Request{Method: "GET", Host: "h", Path: "/"}, Credentials: testCreds, Service: "s3", Time: t0,
			Expires: time.Minute, RegionSet: set}
		if _, err := DefaultSigner.Presign(in); err == nil {
			t.Errorf("region set %q was signed", set)
		}
	}
	if !bytes.Equal([]byte(AlgorithmV4a), algorithmV4aBytes) {
		t.Error("algorithm bytes")
	}
}
