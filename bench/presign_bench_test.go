package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/presign-dev/presign/sigv4"
)

var sink string

func benchPeers(b *testing.B, op func(peer) func(context.Context) (presigned, error)) {
	ctx := context.Background()
	for _, p := range peers(b) {
		f := op(p)
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := f(ctx)
				if err != nil {
					b.Fatal(err)
				}
				sink = r.url
			}
		})
	}
	if n := networkCalls.Load(); n != 0 {
		b.Fatalf("the peers made %d network calls", n)
	}
}

// BenchmarkPresignGet presigns GetObject of one key, 15 minutes, with each peer.
func BenchmarkPresignGet(b *testing.B) {
	benchPeers(b, func(p peer) func(context.Context) (presigned, error) { return p.get })
}

// BenchmarkPresignPut presigns PutObject of one key with Content-Type
// image/jpeg (presign, aws-sdk-go-v2; minio-go's PresignedPutObject takes none).
func BenchmarkPresignPut(b *testing.B) {
	benchPeers(b, func(p peer) func(context.Context) (presigned, error) { return p.put })
}

// floorInput is the real work of one presigned GET: its canonical request,
// its string to sign and the cached signing key.
type floorInput struct {
	canonical, stringToSign []byte
	key                     [32]byte
	signature               string
}

// presignFloor rebuilds the canonical request of presign's GET URL with
// sigv4.Signer.Explain and checks that it gives the URL's signature.
func presignFloor(tb testing.TB) floorInput {
	tb.Helper()
	r, err := peers(tb)[0].get(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(r.url)
	if err != nil {
		tb.Fatal(err)
	}
	all, err := sigv4.ParseQuery(u.RawQuery)
	if err != nil {
		tb.Fatal(err)
	}
	var query []sigv4.Param
	var want string
	for _, p := range all {
		switch p.Name {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders":
		case "X-Amz-Signature":
			want = p.Value
		default:
			query = append(query, p)
		}
	}
	in := &sigv4.SignInput{
		Request:     &sigv4.Request{Method: "GET", Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.EscapedPath(), Query: query},
		Credentials: sigv4.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey},
		Region:      region,
		Service:     "s3",
		Time:        signingTime,
		Expires:     expires,
		PayloadHash: sigv4.UnsignedPayload,
	}
	ex, err := sigv4.NewSigner().Explain(in, true)
	if err != nil {
		tb.Fatal(err)
	}
	if ex.Signature != want {
		tb.Fatalf("rebuilt canonical request signs %s, the URL carries %s:\n%s", ex.Signature, want, ex.CanonicalRequest)
	}
	return floorInput{
		canonical:    []byte(ex.CanonicalRequest),
		stringToSign: []byte(ex.StringToSign),
		key:          sigv4.DeriveKey(secretAccessKey, signingTime.Format("20060102"), region, "s3"),
		signature:    want,
	}
}

// BenchmarkCryptoFloor is the least any SigV4 presigner must do per URL: a
// SHA-256 of the canonical request (written, in hex, into the string to
// sign) and one HMAC-SHA256 of the string to sign under the cached key.
func BenchmarkCryptoFloor(b *testing.B) {
	f := presignFloor(b)
	b.Logf("canonical request: %d bytes, string to sign: %d bytes", len(f.canonical), len(f.stringToSign))
	sts := append([]byte(nil), f.stringToSign...)
	hashAt := len(sts) - 64
	var out [32]byte

	check := func(b *testing.B) {
		if hex.EncodeToString(out[:]) != f.signature {
			b.Fatalf("floor computed %x, want %s", out, f.signature)
		}
	}
	b.Run("floor/hmac-new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(f.canonical)
			hex.Encode(sts[hashAt:], sum[:])
			m := hmac.New(sha256.New, f.key[:])
			m.Write(sts)
			m.Sum(out[:0])
		}
		check(b)
	})
	b.Run("floor/hmac-reset", func(b *testing.B) {
		m := hmac.New(sha256.New, f.key[:])
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(f.canonical)
			hex.Encode(sts[hashAt:], sum[:])
			m.Reset()
			m.Write(sts)
			m.Sum(out[:0])
		}
		check(b)
	})
	// The construction sigv4's hmacKey uses today: RFC 2104 from the raw key
	// each time, two SHA-256 blocks more than a precomputed HMAC.
	b.Run("floor/hmac-rfc2104", func(b *testing.B) {
		scratch := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(f.canonical)
			hex.Encode(sts[hashAt:], sum[:])
			out = rfc2104(&f.key, sts, &scratch)
		}
		check(b)
	})
}

// rfc2104 is HMAC-SHA256 with a 32-byte key built from the raw key each
// call, as sigv4.hmacKey does.
func rfc2104(key *[32]byte, msg []byte, scratch *[]byte) [32]byte {
	b := (*scratch)[:0]
	for i := 0; i < 64; i++ {
		var k byte
		if i < 32 {
			k = key[i]
		}
		b = append(b, k^0x36)
	}
	b = append(b, msg...)
	inner := sha256.Sum256(b)
	*scratch = b
	var outer [96]byte
	for i := 0; i < 64; i++ {
		var k byte
		if i < 32 {
			k = key[i]
		}
		outer[i] = k ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}

// TestPeersVerify proves that the benchmarks compare equal work: every
// peer's GET and PUT URLs are valid SigV4 presigned URLs for the same
// bucket, key and lifetime, accepted by sigv4.Verifier, and no peer
// touched the network.
func TestPeersVerify(t *testing.T) {
	ctx := context.Background()
	for _, p := range peers(t) {
		for _, op := range []struct {
			method string
			f      func(context.Context) (presigned, error)
		}{{"GET", p.get}, {"PUT", p.put}} {
			t.Run(p.name+"/"+op.method, func(t *testing.T) {
				r, err := op.f(ctx)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s\n%v %v", r.url, r.header, r.params)
				req := request(t, op.method, r)
				if want := bucket + ".s3.us-east-1.amazonaws.com"; req.URL.Host != want {
					t.Errorf("host %q, want %q", req.URL.Host, want)
				}
				if want := "/" + key; req.URL.Path != want {
					t.Errorf("path %q, want %q", req.URL.Path, want)
				}
				if got := req.URL.Query().Get("X-Amz-Expires"); got != "900" {
					t.Errorf("X-Amz-Expires=%s, want 900", got)
				}
				v := &sigv4.Verifier{
					Lookup: func(id string) (sigv4.Credentials, bool) {
						return sigv4.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey}, id == accessKeyID
					},
					Region: region,
					Now:    p.now,
				}
				auth, err := v.Verify(req)
				if err != nil {
					t.Fatalf("sigv4.Verifier refused %s: %v", r.url, err)
				}
				if !auth.Presigned || auth.Expires.Sub(auth.Time) != expires {
					t.Errorf("verified %+v, want a presigned URL living %v", auth, expires)
				}
				tampered := request(t, op.method, r)
				q := tampered.URL.Query()
				q.Set("X-Amz-Expires", "901")
				tampered.URL.RawQuery = q.Encode()
				if _, err := v.Verify(tampered); err == nil {
					t.Errorf("sigv4.Verifier accepted a URL with X-Amz-Expires changed")
				}
				if op.method == "PUT" && p.name != "miniogo" && !strings.Contains(strings.Join(auth.SignedHeaders, ";"), "content-type") {
					t.Errorf("PUT signs %v, want content-type among them", auth.SignedHeaders)
				}
			})
		}
	}
	if n := networkCalls.Load(); n != 0 {
		t.Fatalf("the peers made %d network calls", n)
	}
}

// TestNoNetworkGuard shows that the guard catches a peer that does go to
// the network: minio-go given neither a region nor a regional endpoint asks
// S3 for the bucket's location.
func TestNoNetworkGuard(t *testing.T) {
	var calls atomic.Int64
	c, err := minio.New("s3.amazonaws.com", &minio.Options{
		Creds:      miniocreds.NewStaticV4(accessKeyID, secretAccessKey, ""),
		Secure:     true,
		Transport:  noNetwork{&calls},
		MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PresignedGetObject(context.Background(), bucket, key, expires, nil); err == nil {
		t.Error("minio-go without a region presigned without its location request")
	}
	if calls.Load() == 0 {
		t.Error("minio-go without a region made no request: the guard proves nothing")
	}
}
