package bench

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/sigv4"
)

// The request every peer presigns: the same bucket, key, region, lifetime
// and keys, so that each benchmark does the same work.
const (
	accessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	region          = "us-east-1"
	bucket          = "examplebucket"
	key             = "photos/2026/01/cat.jpg"
	contentType     = "image/jpeg"
	expires         = 15 * time.Minute
	// minioEndpoint is AWS's own regional endpoint, so that minio-go builds
	// the same virtual-hosted URL as the others. No request reaches it: the
	// transport below fails every request and counts it.
	minioEndpoint = "s3.us-east-1.amazonaws.com"
)

// signingTime is the fixed signing time of presign and aws-sdk-go-v2.
// minio-go signs at time.Now() and offers no way to change it.
var signingTime = time.Date(2026, 1, 15, 12, 30, 0, 0, time.UTC)

// networkCalls counts requests the peers tried to send; it must stay 0.
var networkCalls atomic.Int64

var errNoNetwork = errors.New("bench: peers must not touch the network")

// noNetwork is an HTTP client and transport that fails every request and
// counts it in calls.
type noNetwork struct{ calls *atomic.Int64 }

func (n noNetwork) Do(*http.Request) (*http.Response, error) {
	n.calls.Add(1)
	return nil, errNoNetwork
}

func (n noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	n.calls.Add(1)
	return nil, errNoNetwork
}

// fixedTimePresigner is aws-sdk-go-v2's own v4 signer with the signing time
// pinned, since the S3 presign middleware passes time.Now.
type fixedTimePresigner struct {
	s *v4.Signer
	t time.Time
}

func (p fixedTimePresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request,
	payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions),
) (string, http.Header, error) {
	return p.s.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.t, optFns...)
}

func newPresign(tb testing.TB) *presign.Client {
	tb.Helper()
	c, err := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey},
		Region:      region,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func presignOptions() presign.Options {
	return presign.Options{Expires: expires, SigningTime: signingTime}
}

func newAWS(tb testing.TB) *s3.PresignClient {
	tb.Helper()
	client := s3.New(s3.Options{
		Region:      region,
		Credentials: awscreds.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
		HTTPClient:  noNetwork{&networkCalls},
		// As the presign library's JS profile: no checksum is invented for
		// an upload whose body the signer never sees.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	return s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		o.Presigner = fixedTimePresigner{s: v4.NewSigner(), t: signingTime}
		o.Expires = expires
	})
}

func newMinio(tb testing.TB) *minio.Client {
	tb.Helper()
	c, err := minio.New(minioEndpoint, &minio.Options{
		Creds:     miniocreds.NewStaticV4(accessKeyID, secretAccessKey, ""),
		Region:    region, // avoids the GetBucketLocation request
		Secure:    true,
		Transport: noNetwork{&networkCalls},
	})
	if err != nil {
		tb.Fatal(err)
	}
	// minio-go turns dual-stack on for AWS endpoints; the others do not.
	c.SetS3EnableDualstack(false)
	return c
}

// presigned is one peer's presigned request: its URL and the headers the
// holder must send, in the form the peer returns them (converting them
// would add work that is not the peer's).
type presigned struct {
	url    string
	header http.Header   // aws-sdk-go-v2
	params []sigv4.Param // presign
}

// peer presigns GET and PUT of the shared request.
type peer struct {
	name     string
	get, put func(ctx context.Context) (presigned, error)
	// now is the time to verify its URLs at.
	now func() time.Time
}

func peers(tb testing.TB) []peer {
	pc, ac, mc := newPresign(tb), newAWS(tb), newMinio(tb)
	fixed := func() time.Time { return signingTime.Add(time.Minute) }
	return []peer{
		{
			name: "presign",
			get: func(ctx context.Context) (presigned, error) {
				r, err := pc.Presign(ctx, presign.GetObject, &presign.Input{Bucket: bucket, Key: key}, presignOptions())
				return presigned{url: r.URL, params: r.Header}, err
			},
			put: func(ctx context.Context) (presigned, error) {
				r, err := pc.Presign(ctx, presign.PutObject, &presign.Input{Bucket: bucket, Key: key, ContentType: contentType}, presignOptions())
				return presigned{url: r.URL, params: r.Header}, err
			},
			now: fixed,
		},
		{
			name: "awssdkgov2",
			get: func(ctx context.Context) (presigned, error) {
				r, err := ac.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				if err != nil {
					return presigned{}, err
				}
				return presigned{url: r.URL, header: r.SignedHeader}, nil
			},
			put: func(ctx context.Context) (presigned, error) {
				r, err := ac.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String(contentType)})
				if err != nil {
					return presigned{}, err
				}
				return presigned{url: r.URL, header: r.SignedHeader}, nil
			},
			now: fixed,
		},
		{
			name: "miniogo",
			get: func(ctx context.Context) (presigned, error) {
				u, err := mc.PresignedGetObject(ctx, bucket, key, expires, nil)
				if err != nil {
					return presigned{}, err
				}
				return presigned{url: u.String()}, nil
			},
			put: func(ctx context.Context) (presigned, error) {
				u, err := mc.PresignedPutObject(ctx, bucket, key, expires)
				if err != nil {
					return presigned{}, err
				}
				return presigned{url: u.String()}, nil
			},
			now: time.Now,
		},
	}
}

// request parses a presigned URL into the request its holder would send.
func request(tb testing.TB, method string, p presigned) *http.Request {
	tb.Helper()
	u, err := url.Parse(p.url)
	if err != nil {
		tb.Fatal(err)
	}
	r := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	add := func(name, value string) {
		if http.CanonicalHeaderKey(name) == "Host" {
			r.Host = value
			return
		}
		r.Header.Add(name, value)
	}
	for name, vals := range p.header {
		for _, v := range vals {
			add(name, v)
		}
	}
	for _, h := range p.params {
		add(h.Name, h.Value)
	}
	return r
}
