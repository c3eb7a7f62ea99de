package presign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/sigv4"
)

func benchClient(b *testing.B) *Client {
	c, err := New(Config{
		Credentials: credentials.Static{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Region:      "us-east-1",
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

var signingTime = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// BenchmarkPresignGet presigns a GetObject: the hot path of a URL-issuing
// service. Compare with bench/ for the SDK peers and the crypto floor.
func BenchmarkPresignGet(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	in := &Input{Bucket: "examplebucket", Key: "photos/2026/cat.jpg"}
	o := Options{SigningTime: signingTime}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Presign(ctx, GetObject, in, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPresignPut presigns a PutObject with a signed Content-Type.
func BenchmarkPresignPut(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	in := &Input{Bucket: "examplebucket", Key: "uploads/cat.jpg", ContentType: "image/jpeg"}
	o := Options{SigningTime: signingTime}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Presign(ctx, PutObject, in, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCryptoFloor is the least any presigner must do: hash a
// ~300-byte canonical request and one HMAC-SHA256 with a cached key.
func BenchmarkCryptoFloor(b *testing.B) {
	cr := []byte("GET\n/photos/2026/cat.jpg\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&x-id=GetObject\nhost:examplebucket.s3.us-east-1.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD")
	key := sigv4.DeriveKey("secret", "20260115", "us-east-1", "s3")
	sts := []byte("AWS4-HMAC-SHA256\n20260115T120000Z\n20260115/us-east-1/s3/aws4_request\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(cr)
		m := hmac.New(sha256.New, key[:])
		m.Write(sts)
		m.Sum(sum[:0])
	}
}
