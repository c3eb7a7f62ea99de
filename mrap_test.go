package presign

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

const testMRAP = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"

// TestMultiRegionAccessPoint: an MRAP ARN as the bucket is presigned at the
// access point's global host with SigV4a for every region, every
// operation, and the URL verifies (sigv4.Verifier) for any region; a region
// set given in Options is signed instead.
func TestMultiRegionAccessPoint(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	c := newClient(t, Config{Region: "eu-west-1"})
	creds, _ := static.Retrieve(ctx)
	for _, tt := range []struct {
		op        Operation
		in        Input
		regionSet []string
		wantSet   string
	}{
		{GetObject, Input{Key: "photos/cat 1.jpg"}, nil, "%2A"},
		{PutObject, Input{Key: "in/a.bin", ContentType: "application/octet-stream"}, nil, "%2A"},
		{HeadObject, Input{Key: "k"}, []string{"us-east-1", "eu-west-1"}, "us-east-1%2Ceu-west-1"},
		{DeleteObject, Input{Key: "k"}, nil, "%2A"},
		{UploadPart, Input{Key: "k", UploadID: "u1", PartNumber: 3}, nil, "%2A"},
		{CreateMultipartUpload, Input{Key: "k"}, nil, "%2A"},
	} {
		t.Run(string(tt.op), func(t *testing.T) {
			in := tt.in
			in.Bucket = testMRAP
			res, err := c.Presign(ctx, tt.op, &in, Options{Expires: time.Hour, SigningTime: t0, RegionSet: tt.regionSet})
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(res.URL)
			if err != nil {
				t.Fatal(err)
			}
			if u.Host != "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com" || u.Scheme != "https" {
				t.Errorf("URL %s: want the access point's global host", res.URL)
			}
			for _, want := range []string{"X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", "X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fs3%2Faws4_request",
				"X-Amz-Region-Set=" + tt.wantSet} {
				if !strings.Contains(res.URL, want) {
					t.Errorf("URL %s lacks %s", res.URL, want)
				}
			}
			for _, region := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
				if tt.regionSet != nil && !strings.Contains(strings.Join(tt.regionSet, ","), region) {
					continue
				}
				v := &sigv4.Verifier{Lookup: func(string) (sigv4.Credentials, bool) { return creds, true }, Region: region,
					Now: func() time.Time { return t0.Add(time.Minute) }}
				r := &http.Request{Method: res.Method, URL: u, Host: u.Host, Header: http.Header{}}
				for _, h := range res.Header {
					r.Header.Set(h.Name, h.Value)
				}
				a, err := v.Verify(r)
				if err != nil {
					t.Errorf("verify in %s: %v", region, err)
				} else if a.Algorithm != sigv4.AlgorithmV4a {
					t.Errorf("verified as %s", a.Algorithm)
				}
			}
		})
	}
	// Deterministic: the same input gives the same URL.
	in := Input{Bucket: testMRAP, Key: "k"}
	a, _ := c.Presign(ctx, GetObject, &in, Options{SigningTime: t0})
	b, _ := c.Presign(ctx, GetObject, &in, Options{SigningTime: t0})
	if a.URL != b.URL {
		t.Errorf("two presigns of one input differ:\n%s\n%s", a.URL, b.URL)
	}
}

// TestMultiRegionAccessPointRefused: ARNs that are not MRAPs, and MRAPs
// with settings that cannot reach them, are refused naming the bucket.
func TestMultiRegionAccessPointRefused(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		cfg    Config
		bucket string
		want   string
	}{
		{"single-region access point", Config{}, "arn:aws:s3:us-west-2:123456789012:accesspoint/reports", "single-region access point"},
		{"not an access point", Config{}, "arn:aws:s3:::bucket", "does not name an access point"},
		{"not S3", Config{}, "arn:aws:sqs:us-east-1:123456789012:q", "is not an S3 ARN"},
		{"other partition", Config{}, "arn:aws-cn:s3::123456789012:accesspoint/x.mrap", "only in the aws partition"},
		{"bad account", Config{}, "arn:aws:s3::12345:accesspoint/x.mrap", "not 12 digits"},
		{"bad alias", Config{}, "arn:aws:s3::123456789012:accesspoint/a_b.mrap", "not a host name label"},
		{"custom endpoint", Config{Endpoint: "http://127.0.0.1:9000"}, testMRAP, "its own global endpoint"},
		{"accelerate", Config{UseAccelerate: true}, testMRAP, "neither Transfer Acceleration nor dual-stack"},
		{"path-style", Config{Addressing: AddressingPath}, testMRAP, "path-style addressing does not apply"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.cfg)
			_, err := c.Presign(ctx, GetObject, &Input{Bucket: tt.bucket, Key: "k"}, Options{})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != "Bucket" || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an InputError on Bucket saying %q", err, tt.want)
			}
		})
	}
	c := newClient(t, Config{})
	if _, err := c.PresignPost(ctx, &PostInput{Bucket: testMRAP, Key: "k"}); err == nil || !strings.Contains(err.Error(), "no POST form uploads") {
		t.Errorf("a POST form for an MRAP: %v", err)
	}
	if _, err := c.Presign(ctx, GetObject, &Input{Bucket: "b", Key: "k"}, Options{RegionSet: []string{"us east"}}); err == nil {
		t.Error("a malformed region set was signed")
	}
}
