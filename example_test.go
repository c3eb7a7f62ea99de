package presign_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
)

// A download link valid for one hour, signed at a fixed time so that the
// output is reproducible.
func ExampleClient_Presign_get() {
	c, err := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Region:      "eu-west-1",
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Presign(context.Background(), presign.GetObject, &presign.Input{
		Bucket:                     "reports",
		Key:                        "2026/q1.pdf",
		ResponseContentDisposition: `attachment; filename="q1.pdf"`,
	}, presign.Options{
		Expires:     time.Hour,
		SigningTime: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Method)
	fmt.Println(res.URL)
	fmt.Println(res.Expires)
	// Output:
	// GET
	// https://reports.s3.eu-west-1.amazonaws.com/2026/q1.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=3600&X-Amz-Signature=61763ecbef6b8c7c80c052762076cf468929a97bacb230defaec8d8841d92abc&X-Amz-SignedHeaders=host&response-content-disposition=attachment%3B%20filename%3D%22q1.pdf%22&x-id=GetObject
	// 2026-01-15 13:00:00 +0000 UTC
}

// An upload link: the uploader must send the signed Content-Type, so it
// cannot store anything but a JPEG, and the metadata travels in the URL.
func ExampleClient_Presign_put() {
	c, _ := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Region:      "us-east-1",
		Endpoint:    "http://127.0.0.1:9000",
	})
	size := int64(48213)
	res, err := c.Presign(context.Background(), presign.PutObject, &presign.Input{
		Bucket: "uploads", Key: "u/42/cat.jpg", ContentType: "image/jpeg", ContentLength: &size,
		Metadata: map[string]string{"owner": "42"},
	}, presign.Options{Expires: 15 * time.Minute, SigningTime: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Method, res.URL)
	for _, h := range res.Header {
		fmt.Printf("%s: %s\n", h.Name, h.Value)
	}
	fmt.Println(res.SignedHeaders)
	// Output:
	// PUT http://127.0.0.1:9000/uploads/u/42/cat.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Signature=7100fdd30c7f052846c24f0b7a7b27c1dd6a0c77dfb378dd5ad10564455c7ccc&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&x-amz-meta-owner=42&x-id=PutObject
	// content-length: 48213
	// content-type: image/jpeg
	// [content-length content-type host]
}

// A download link through a Multi-Region Access Point: the ARN is the
// bucket, and the URL is signed with SigV4a for every region, so S3 may
// route it to the closest copy. SigV4a signatures are deterministic here.
func ExampleClient_Presign_multiRegionAccessPoint() {
	c, err := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Region:      "eu-west-1",
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Presign(context.Background(), presign.GetObject, &presign.Input{
		Bucket: "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap",
		Key:    "2026/q1.pdf",
	}, presign.Options{
		Expires:     time.Hour,
		SigningTime: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.URL)
	// Output:
	// https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/2026/q1.pdf?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=3600&X-Amz-Region-Set=%2A&X-Amz-Signature=3044022010a0e50d8717ca429a880588d7efac5c1bb608f7c82145654f9ef7f30155044e022011d52632987d23a6c331b39e7a87a33fb53d735e2b5efa387e833db9f03d9b66&X-Amz-SignedHeaders=host&x-id=GetObject
}
