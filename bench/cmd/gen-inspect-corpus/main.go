// Command gen-inspect-corpus writes ../testdata/inspect/go-sdks.json:
// presigned URLs made by aws-sdk-go-v2 and minio-go, for the golden tests
// of package inspect (go test ./inspect). It runs from the bench module,
// which depends on both SDKs, so that the presign module does not.
//
//	cd bench && go run ./cmd/gen-inspect-corpus
//
// aws-sdk-go-v2 signs at a fixed time: its presign client takes the
// presigner as an option, and a wrapper passes the fixed time on. minio-go
// reads time.Now() inside PreSignV4 and has no way to set it, so its URLs
// are signed when the command runs; each case records the time it used (its
// X-Amz-Date) as signingDate, with signingTimeFixed false, and the golden
// inspections are made relative to that time.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// The credentials and time of the JS and botocore corpora.
const (
	keyID        = "AKIDEXAMPLE"
	secret       = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tokenKeyID   = "AKIAIOSFODNN7EXAMPLE"
	tokenSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sessionToken = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+ex/am+ple=="
)

var signingTime = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// The corpus file: the shape of testdata/sdk/*.json, with the maker of each
// case.
type file struct {
	Generator string            `json:"generator"`
	Note      string            `json:"note"`
	SDK       map[string]string `json:"sdk"`
	Cases     []testCase        `json:"cases"`
}

type testCase struct {
	Name   string `json:"name"`
	Maker  string `json:"maker"`
	Note   string `json:"note,omitempty"`
	Input  input  `json:"input"`
	Output output `json:"output"`
}

type input struct {
	Operation        string            `json:"operation"`
	Params           map[string]string `json:"params"`
	Region           string            `json:"region"`
	Endpoint         string            `json:"endpoint,omitempty"`
	Options          []string          `json:"options,omitempty"`
	Credentials      creds             `json:"credentials"`
	SigningDate      string            `json:"signingDate"`
	SigningTimeFixed bool              `json:"signingTimeFixed"`
	ExpiresIn        int64             `json:"expiresIn"`
}

type creds struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken,omitempty"`
}

type output struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// fixedTime is a presigner that signs at signingTime whatever time the
// client passes. Its signer must be configured as the S3 client's own
// (newDefaultV4Signer): with DisableURIPathEscaping, as S3 signs the path
// encoded once.
type fixedTime struct{ *v4.Signer }

func (f fixedTime) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string,
	_ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return f.Signer.PresignHTTP(ctx, c, r, payloadHash, service, region, signingTime, optFns...)
}

func main() {
	out := flag.String("o", "../testdata/inspect/go-sdks.json", "the file to write")
	flag.Parse()
	f := file{
		Generator: "bench/cmd/gen-inspect-corpus",
		Note:      "aws-sdk-go-v2 URLs are signed at signingDate; minio-go signs at time.Now() and cannot be told otherwise, so its cases record the time it used (signingTimeFixed false) and change when this file is generated again",
		SDK:       versions(),
	}
	ctx := context.Background()
	var err error
	if f.Cases, err = goV2Cases(ctx); err != nil {
		fatal(err)
	}
	mc, err := minioCases(ctx)
	if err != nil {
		fatal(err)
	}
	f.Cases = append(f.Cases, mc...)
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		fatal(err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "gen-inspect-corpus: %d cases written to %s\n", len(f.Cases), *out)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gen-inspect-corpus:", err)
	os.Exit(1)
}

// versions returns the versions of the SDK modules this binary is built
// with.
func versions() map[string]string {
	out := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	for _, m := range bi.Deps {
		switch m.Path {
		case "github.com/aws/aws-sdk-go-v2", "github.com/aws/aws-sdk-go-v2/service/s3", "github.com/minio/minio-go/v7":
			out[m.Path] = m.Version
		}
	}
	return out
}

func headers(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[strings.ToLower(k)] = strings.Join(v, ",")
	}
	return out
}

// goV2Case is one PresignClient call.
type goV2Case struct {
	name, op, region, endpoint string
	params                     map[string]string
	options                    []string
	token                      bool
	expires                    time.Duration
	presign                    func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

func goV2Cases(ctx context.Context) ([]testCase, error) {
	bucket, key := "examplebucket", "object.txt"
	cases := []goV2Case{
		{name: "go-v2-get-object", op: "GetObject", region: "us-east-1", expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": key},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, opt)
			}},
		{name: "go-v2-get-object-path-style-eu-west-1", op: "GetObject", region: "eu-west-1", options: []string{"UsePathStyle"}, expires: time.Hour,
			params: map[string]string{"Bucket": bucket, "Key": "photos/2026/cat photo+1.jpg"},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("photos/2026/cat photo+1.jpg")}, opt)
			}},
		{name: "go-v2-get-object-response-overrides", op: "GetObject", region: "us-west-2", expires: 24 * time.Hour,
			params: map[string]string{"Bucket": bucket, "Key": "reports/2026.pdf", "ResponseContentDisposition": `attachment; filename="report 2026.pdf"`, "VersionId": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("reports/2026.pdf"),
					ResponseContentDisposition: aws.String(`attachment; filename="report 2026.pdf"`), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")}, opt)
			}},
		{name: "go-v2-put-object", op: "PutObject", region: "us-east-1", expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": "uploads/cat.jpg"},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/cat.jpg")}, opt)
			}},
		{name: "go-v2-put-object-content-type-length", op: "PutObject", region: "us-east-1", expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": "uploads/cat.jpg", "ContentType": "image/jpeg", "ContentLength": "1024"},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/cat.jpg"),
					ContentType: aws.String("image/jpeg"), ContentLength: aws.Int64(1024)}, opt)
			}},
		{name: "go-v2-put-object-checksum-sha256", op: "PutObject", region: "us-east-1", expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": "uploads/data.bin", "ChecksumSHA256": "PJ0IgUudbJE6exbKQ24r4WVDYaUQlvNBuP/BfauORDc="},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/data.bin"),
					ChecksumSHA256: aws.String("PJ0IgUudbJE6exbKQ24r4WVDYaUQlvNBuP/BfauORDc=")}, opt)
			}},
		{name: "go-v2-head-object", op: "HeadObject", region: "ap-southeast-2", expires: 5 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": key},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, opt)
			}},
		{name: "go-v2-delete-object", op: "DeleteObject", region: "us-east-1", expires: time.Hour,
			params: map[string]string{"Bucket": bucket, "Key": key},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignDeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, opt)
			}},
		{name: "go-v2-upload-part", op: "UploadPart", region: "us-east-1", expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": "big.iso", "UploadId": "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA", "PartNumber": "3"},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("big.iso"),
					UploadId: aws.String("VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"), PartNumber: aws.Int32(3)}, opt)
			}},
		{name: "go-v2-custom-endpoint", op: "GetObject", region: "us-east-1", endpoint: "http://127.0.0.1:9000", options: []string{"UsePathStyle"}, expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": "café/naïve résumé.txt"},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("café/naïve résumé.txt")}, opt)
			}},
		{name: "go-v2-session-token", op: "GetObject", region: "eu-central-1", token: true, expires: 12 * time.Hour,
			params: map[string]string{"Bucket": bucket, "Key": key},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, opt)
			}},
		{name: "go-v2-dualstack", op: "GetObject", region: "us-west-2", options: []string{"UseDualStackEndpoint"}, expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": key},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, opt)
			}},
		{name: "go-v2-accelerate", op: "PutObject", region: "us-east-1", options: []string{"UseAccelerate"}, expires: 15 * time.Minute,
			params: map[string]string{"Bucket": bucket, "Key": "uploads/video.mp4", "ContentType": "video/mp4"},
			presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
				return pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/video.mp4"), ContentType: aws.String("video/mp4")}, opt)
			}},
	}
	// The S3 client's own presigner, as newDefaultV4Signer makes it.
	s3Signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	// A presigner made with v4.NewSigner() and its defaults, as a caller who
	// sets PresignOptions.Presigner may: it encodes the path a second time,
	// as services other than S3 want, and S3 refuses the URL for any key
	// with a character to escape.
	cases = append(cases, goV2Case{name: "go-v2-own-signer-double-encoded", op: "GetObject", region: "us-east-1", expires: 15 * time.Minute,
		params: map[string]string{"Bucket": bucket, "Key": "my file.txt"}, options: []string{"Presigner: v4.NewSigner()"},
		presign: func(ctx context.Context, pc *s3.PresignClient, opt func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
			return pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("my file.txt")}, opt,
				func(o *s3.PresignOptions) { o.Presigner = fixedTime{v4.NewSigner()} })
		}})
	var out []testCase
	for _, c := range cases {
		cr := creds{AccessKeyID: keyID, SecretAccessKey: secret}
		if c.token {
			cr = creds{AccessKeyID: tokenKeyID, SecretAccessKey: tokenSecret, SessionToken: sessionToken}
		}
		client := s3.New(s3.Options{
			Region:      c.region,
			Credentials: awscreds.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken),
		}, func(o *s3.Options) {
			if c.endpoint != "" {
				o.BaseEndpoint = aws.String(c.endpoint)
			}
			for _, opt := range c.options {
				switch opt {
				case "UsePathStyle":
					o.UsePathStyle = true
				case "UseDualStackEndpoint":
					o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
				case "UseAccelerate":
					o.UseAccelerate = true
				}
			}
		})
		pc := s3.NewPresignClient(client)
		req, err := c.presign(ctx, pc, func(o *s3.PresignOptions) {
			o.Presigner = fixedTime{s3Signer}
			o.Expires = c.expires
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		note := ""
		if strings.HasSuffix(c.name, "-double-encoded") {
			note = "S3 refuses this URL: its signature covers the path encoded twice (my%2520file.txt)"
		}
		out = append(out, testCase{
			Name:  c.name,
			Maker: "aws-sdk-go-v2 service/s3 PresignClient",
			Note:  note,
			Input: input{Operation: c.op, Params: c.params, Region: c.region, Endpoint: c.endpoint, Options: c.options, Credentials: cr,
				SigningDate: signingTime.Format(time.RFC3339), SigningTimeFixed: true, ExpiresIn: int64(c.expires / time.Second)},
			Output: output{Method: req.Method, URL: req.URL, Headers: headers(req.SignedHeader)},
		})
	}

	// The signer alone, on a request built by hand, as versitygw's issue
	// 2116 does: X-Amz-Expires is the caller's to set.
	r, err := http.NewRequest(http.MethodPut, "https://examplebucket.s3.amazonaws.com/my-object?X-Amz-Expires=900", nil)
	if err != nil {
		return nil, err
	}
	u, hdr, err := s3Signer.PresignHTTP(ctx, aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, r,
		"UNSIGNED-PAYLOAD", "s3", "us-east-1", signingTime)
	if err != nil {
		return nil, err
	}
	out = append(out, testCase{
		Name:  "go-v2-signer-presign-http-put",
		Maker: "aws-sdk-go-v2 aws/signer/v4 Signer.PresignHTTP",
		Input: input{Operation: "PutObject", Params: map[string]string{"Bucket": "examplebucket", "Key": "my-object"}, Region: "us-east-1",
			Credentials: creds{AccessKeyID: keyID, SecretAccessKey: secret}, SigningDate: signingTime.Format(time.RFC3339), SigningTimeFixed: true, ExpiresIn: 900},
		Output: output{Method: http.MethodPut, URL: u, Headers: headers(hdr)},
	})
	return out, nil
}

// minioCases presigns with minio-go, which signs at time.Now().
func minioCases(ctx context.Context) ([]testCase, error) {
	type mcase struct {
		name, op, endpoint, region, method string
		secure, token                      bool
		expires                            time.Duration
		key                                string
		params                             url.Values
		header                             http.Header
	}
	cases := []mcase{
		{name: "minio-get-object", op: "GetObject", endpoint: "s3.amazonaws.com", region: "us-east-1", method: "GET", secure: true, expires: 15 * time.Minute, key: "object.txt"},
		{name: "minio-get-object-response-content-disposition", op: "GetObject", endpoint: "s3.amazonaws.com", region: "eu-west-1", method: "GET", secure: true,
			expires: 7 * 24 * time.Hour, key: "docs/report 2026.pdf", params: url.Values{"response-content-disposition": {`attachment; filename="report.pdf"`}}},
		{name: "minio-put-object", op: "PutObject", endpoint: "s3.amazonaws.com", region: "us-east-1", method: "PUT", secure: true, expires: time.Hour, key: "uploads/cat.jpg"},
		{name: "minio-head-object", op: "HeadObject", endpoint: "s3.amazonaws.com", region: "us-east-1", method: "HEAD", secure: true, expires: 15 * time.Minute, key: "object.txt"},
		{name: "minio-custom-endpoint", op: "GetObject", endpoint: "127.0.0.1:9000", region: "us-east-1", method: "GET", expires: 15 * time.Minute, key: "日本語/ファイル名.txt"},
		{name: "minio-presign-header-put", op: "PutObject", endpoint: "play.min.io", region: "us-east-1", method: "PUT", secure: true, expires: 15 * time.Minute,
			key: "uploads/cat.png", header: http.Header{"Content-Type": {"image/png"}}},
		{name: "minio-session-token", op: "GetObject", endpoint: "s3.amazonaws.com", region: "us-east-1", method: "GET", secure: true, token: true, expires: time.Hour, key: "object.txt"},
	}
	var out []testCase
	for _, c := range cases {
		cr := creds{AccessKeyID: keyID, SecretAccessKey: secret}
		if c.token {
			cr = creds{AccessKeyID: tokenKeyID, SecretAccessKey: tokenSecret, SessionToken: sessionToken}
		}
		client, err := minio.New(c.endpoint, &minio.Options{
			Creds:  miniocreds.NewStaticV4(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken),
			Secure: c.secure,
			Region: c.region,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		var u *url.URL
		if c.header != nil {
			u, err = client.PresignHeader(ctx, c.method, "examplebucket", c.key, c.expires, c.params, c.header)
		} else {
			u, err = client.Presign(ctx, c.method, "examplebucket", c.key, c.expires, c.params)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		date := u.Query().Get("X-Amz-Date")
		t, err := time.Parse("20060102T150405Z", date)
		if err != nil {
			return nil, fmt.Errorf("%s: X-Amz-Date %q: %w", c.name, date, err)
		}
		params := map[string]string{"Bucket": "examplebucket", "Key": c.key}
		var keys []string
		for k := range c.params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			params[k] = c.params.Get(k)
		}
		hdr := map[string]string{}
		for k, v := range c.header {
			hdr[strings.ToLower(k)] = strings.Join(v, ",")
		}
		out = append(out, testCase{
			Name:  c.name,
			Maker: "minio-go Client.Presign",
			Input: input{Operation: c.op, Params: params, Region: c.region, Endpoint: c.endpoint, Credentials: cr,
				SigningDate: t.Format(time.RFC3339), SigningTimeFixed: false, ExpiresIn: int64(c.expires / time.Second)},
			Output: output{Method: c.method, URL: u.String(), Headers: hdr},
		})
	}
	return out, nil
}
