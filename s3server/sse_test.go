package s3server

import (
	"bytes"
	"context"
	"testing"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/s3err"
)

// TestEncryptionRefused: the store does not encrypt, so a request that
// asks for server-side encryption, on PUT, multipart, copy or a POST form,
// is refused with S3's NotImplemented naming the header, and nothing is
// stored in plain text as if it were encrypted. (S3 answers a header it
// does not implement so: "A header you provided implies functionality
// that is not implemented", with the header's name.)
func TestEncryptionRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	ts.must(200, req{method: "PUT", target: "/bkt/src", body: []byte("source")})
	for _, tt := range []struct {
		name, method, target string
		header               map[string]string
		want                 string
	}{
		{"SSE-S3 on PUT", "PUT", "/bkt/a", map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}, "x-amz-server-side-encryption"},
		{"SSE-KMS on PUT", "PUT", "/bkt/a", map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "k"}, "x-amz-server-side-encryption"},
		{"SSE-C on PUT", "PUT", "/bkt/a", map[string]string{"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256"}, "x-amz-server-side-encryption-customer-algorithm"},
		{"SSE on CreateMultipartUpload", "POST", "/bkt/a?uploads", map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}, "x-amz-server-side-encryption"},
		{"SSE on a copy", "PUT", "/bkt/a", map[string]string{"X-Amz-Copy-Source": "/bkt/src", "X-Amz-Server-Side-Encryption": "AES256"}, "x-amz-server-side-encryption"},
		{"SSE-C copy source", "PUT", "/bkt/a", map[string]string{"X-Amz-Copy-Source": "/bkt/src", "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm": "AES256"}, "x-amz-copy-source-server-side-encryption-customer-algorithm"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.do(req{method: tt.method, target: tt.target, header: tt.header, body: []byte("secret data")})
			e := wantError(t, res, s3err.NotImplemented)
			if res.status != 501 || !bytes.Contains(res.body, []byte("<Header>"+tt.want+"</Header>")) {
				t.Errorf("%d %s (%+v)", res.status, res.body, e)
			}
		})
	}
	if res := ts.do(req{method: "GET", target: "/bkt/a"}); res.status != 404 {
		t.Errorf("an object was stored: %d", res.status)
	}

	// A POST form with SSE-C fields: refused, and nothing stored.
	c := ts.presigner("http://127.0.0.1:"+ts.port(), presign.ProfileDefault, presign.AddressingAuto, testSecret)
	form, err := c.PresignPost(context.Background(), &presign.PostInput{Bucket: "bkt", Key: "form.txt", SigningTime: testTime,
		Fields: []postpolicy.Field{{Name: "x-amz-server-side-encryption-customer-algorithm", Value: "AES256"},
			{Name: "x-amz-server-side-encryption-customer-key", Value: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}}})
	if err != nil {
		t.Fatal(err)
	}
	res := ts.postForm(form.URL, form.Fields, "f.txt", bytes.NewReader([]byte("secret data")), nil, "")
	if res.status != 501 || !bytes.Contains(res.body, []byte("<Code>NotImplemented</Code>")) {
		t.Errorf("a POST form with SSE-C: %d %s", res.status, res.body)
	}
	if res := ts.do(req{method: "GET", target: "/bkt/form.txt"}); res.status != 404 {
		t.Errorf("the form's object was stored in plain text: %d", res.status)
	}
}

// TestBucketEncryptionRefused: the store encrypts nothing, so it takes no
// default bucket encryption (PutBucketEncryption: 501 NotImplemented),
// reports none (GetBucketEncryption: 404
// ServerSideEncryptionConfigurationNotFoundError, as S3 answered for a
// bucket without one before 2023) and deleting it is a no-op.
func TestBucketEncryptionRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	put := ts.do(req{method: "PUT", target: "/bkt?encryption", body: []byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`)})
	if put.status != 501 || !bytes.Contains(put.body, []byte("does not encrypt")) {
		t.Errorf("PutBucketEncryption: %d %s", put.status, put.body)
	}
	get := ts.do(req{method: "GET", target: "/bkt?encryption"})
	if get.status != 404 || !bytes.Contains(get.body, []byte("<Code>ServerSideEncryptionConfigurationNotFoundError</Code>")) {
		t.Errorf("GetBucketEncryption: %d %s", get.status, get.body)
	}
	ts.must(204, req{method: "DELETE", target: "/bkt?encryption"})
	if res := ts.do(req{method: "GET", target: "/none?encryption"}); res.status != 404 || !bytes.Contains(res.body, []byte("NoSuchBucket")) {
		t.Errorf("GetBucketEncryption of no bucket: %d %s", res.status, res.body)
	}
}
