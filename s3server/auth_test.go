package s3server

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv2"
	"github.com/presign-dev/presign/sigv4"
)

// presigner returns a presign.Client for the test server's endpoint.
func (ts *testServer) presigner(endpoint string, p presign.Profile, addressing presign.Addressing, secret string) *presign.Client {
	ts.t.Helper()
	c, err := presign.New(presign.Config{
		Credentials: credentials.Static{AccessKeyID: testKeyID, SecretAccessKey: secret},
		Region:      "us-east-1",
		Endpoint:    endpoint,
		Profile:     p,
		Addressing:  addressing,
		Now:         func() time.Time { return testTime },
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return c
}

// presigned makes the request a presigned URL describes, with the headers
// its holder must send.
func (ts *testServer) presigned(c *presign.Client, op presign.Operation, in *presign.Input, o presign.Options, body []byte) response {
	ts.t.Helper()
	if o.Expires == 0 {
		o.Expires = time.Hour
	}
	res, err := c.Presign(context.Background(), op, in, o)
	if err != nil {
		ts.t.Fatalf("presign %s: %v", op, err)
	}
	var rb io.Reader
	if body != nil {
		rb = bytes.NewReader(body)
	}
	hr, err := http.NewRequest(res.Method, res.URL, rb)
	if err != nil {
		ts.t.Fatal(err)
	}
	for _, p := range res.Header {
		if strings.EqualFold(p.Name, "host") {
			hr.Host = p.Value
			continue
		}
		hr.Header.Add(p.Name, p.Value)
	}
	return ts.send(hr)
}

// TestPresignedURLs drives every operation the root package presigns,
// with every profile and addressing, against the server.
func TestPresignedURLs(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	cases := []struct {
		name       string
		endpoint   string
		profile    presign.Profile
		addressing presign.Addressing
	}{
		{"default path-style", "http://127.0.0.1:" + ts.port(), presign.ProfileDefault, presign.AddressingAuto},
		{"default virtual-hosted", "http://localhost:" + ts.port(), presign.ProfileDefault, presign.AddressingVirtual},
		{"js virtual-hosted", "http://localhost:" + ts.port(), presign.ProfileJS, presign.AddressingAuto},
		{"js path-style", "http://127.0.0.1:" + ts.port(), presign.ProfileJS, presign.AddressingAuto},
		{"botocore", "http://127.0.0.1:" + ts.port(), presign.ProfileBotocore, presign.AddressingAuto},
		{"botocore localhost", "http://localhost:" + ts.port(), presign.ProfileBotocore, presign.AddressingAuto},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.presigner(tc.endpoint, tc.profile, tc.addressing, testSecret)
			key := "up/" + strings.ReplaceAll(tc.name, " ", "_") + "/cat & dog.txt"
			body := []byte("contents for " + tc.name)
			n := int64(len(body))
			res := ts.presigned(c, presign.PutObject, &presign.Input{
				Bucket: "bkt", Key: key, ContentType: "text/plain", ContentLength: &n,
				Metadata: map[string]string{"owner": "alice"}, Tagging: "team=core", StorageClass: "STANDARD_IA",
				ChecksumCRC32: algByName("CRC32").checksumOf(body),
			}, presign.Options{}, body)
			if res.status != 200 {
				t.Fatalf("PUT: %d\n%s", res.status, res.body)
			}
			res = ts.presigned(c, presign.GetObject, &presign.Input{
				Bucket: "bkt", Key: key, ResponseContentDisposition: `attachment; filename="x.txt"`, ChecksumMode: "ENABLED",
			}, presign.Options{}, nil)
			if res.status != 200 || !bytes.Equal(res.body, body) {
				t.Fatalf("GET: %d %q", res.status, res.body)
			}
			for name, want := range map[string]string{
				"Content-Type": "text/plain", "X-Amz-Meta-Owner": "alice", "Content-Disposition": `attachment; filename="x.txt"`,
				"X-Amz-Tagging-Count": "1", "X-Amz-Storage-Class": "STANDARD_IA", "X-Amz-Checksum-Crc32": algByName("CRC32").checksumOf(body),
			} {
				if got := res.header.Get(name); got != want {
					t.Errorf("GET %s: %q, want %q", name, got, want)
				}
			}
			res = ts.presigned(c, presign.HeadObject, &presign.Input{Bucket: "bkt", Key: key}, presign.Options{}, nil)
			if res.status != 200 || res.header.Get("Content-Length") != itoa(n) {
				t.Errorf("HEAD: %d %v", res.status, res.header)
			}

			// A declared checksum that the body does not match: nothing is stored.
			res = ts.presigned(c, presign.PutObject, &presign.Input{
				Bucket: "bkt", Key: key + ".bad", ChecksumCRC32: algByName("CRC32").checksumOf([]byte("other")),
			}, presign.Options{}, body)
			wantError(t, res, s3err.BadDigest)
			if res := ts.presigned(c, presign.HeadObject, &presign.Input{Bucket: "bkt", Key: key + ".bad"}, presign.Options{}, nil); res.status != 404 {
				t.Errorf("HEAD of the refused upload: %d", res.status)
			}

			// Multipart through presigned URLs.
			res = ts.presigned(c, presign.CreateMultipartUpload, &presign.Input{Bucket: "bkt", Key: key + ".mp", ContentType: "text/csv"}, presign.Options{}, nil)
			var init struct {
				UploadID string `xml:"UploadId"`
			}
			if err := xml.Unmarshal(res.body, &init); err != nil || init.UploadID == "" {
				t.Fatalf("CreateMultipartUpload: %d %s", res.status, res.body)
			}
			res = ts.presigned(c, presign.UploadPart, &presign.Input{Bucket: "bkt", Key: key + ".mp", UploadID: init.UploadID, PartNumber: 1}, presign.Options{}, body)
			if res.status != 200 {
				t.Fatalf("UploadPart: %d %s", res.status, res.body)
			}
			etag := res.header.Get("ETag")
			res = ts.presigned(c, presign.ListParts, &presign.Input{Bucket: "bkt", Key: key + ".mp", UploadID: init.UploadID}, presign.Options{}, nil)
			if !strings.Contains(string(res.body), "<PartNumber>1</PartNumber>") {
				t.Errorf("ListParts: %s", res.body)
			}
			complete := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + etag + `</ETag></Part></CompleteMultipartUpload>`)
			res = ts.presigned(c, presign.CompleteMultipartUpload, &presign.Input{Bucket: "bkt", Key: key + ".mp", UploadID: init.UploadID}, presign.Options{}, complete)
			if res.status != 200 || !strings.Contains(string(res.body), "-1&#34;</ETag>") {
				t.Errorf("CompleteMultipartUpload: %d %s", res.status, res.body)
			}
			res = ts.presigned(c, presign.GetObject, &presign.Input{Bucket: "bkt", Key: key + ".mp"}, presign.Options{}, nil)
			if !bytes.Equal(res.body, body) || res.header.Get("Content-Type") != "text/csv" {
				t.Errorf("multipart object: %q %q", res.body, res.header.Get("Content-Type"))
			}
			res = ts.presigned(c, presign.CreateMultipartUpload, &presign.Input{Bucket: "bkt", Key: key + ".ab"}, presign.Options{}, nil)
			xml.Unmarshal(res.body, &init)
			if res = ts.presigned(c, presign.AbortMultipartUpload, &presign.Input{Bucket: "bkt", Key: key + ".ab", UploadID: init.UploadID}, presign.Options{}, nil); res.status != 204 {
				t.Errorf("AbortMultipartUpload: %d", res.status)
			}
			if res = ts.presigned(c, presign.DeleteObject, &presign.Input{Bucket: "bkt", Key: key}, presign.Options{}, nil); res.status != 204 {
				t.Errorf("DELETE: %d", res.status)
			}
			wantError(t, ts.presigned(c, presign.GetObject, &presign.Input{Bucket: "bkt", Key: key}, presign.Options{}, nil), s3err.NoSuchKey)
		})
	}
}

// TestHoistedHeaders checks that x-amz-* query parameters of a presigned
// URL act as headers, as the JS presigner puts them there.
func TestHoistedHeaders(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	c := ts.presigner("http://localhost:"+ts.port(), presign.ProfileJS, presign.AddressingAuto, testSecret)
	res, err := c.Presign(context.Background(), presign.PutObject, &presign.Input{
		Bucket: "bkt", Key: "hoisted", Metadata: map[string]string{"Project": "apollo", "empty": ""}, ACL: "private",
	}, presign.Options{SigningTime: testTime, Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.URL, "x-amz-meta-project=apollo") {
		t.Fatalf("the JS profile did not hoist the metadata: %s", res.URL)
	}
	hr, _ := http.NewRequest("PUT", res.URL, strings.NewReader("x"))
	if r := ts.send(hr); r.status != 200 {
		t.Fatalf("PUT %d %s", r.status, r.body)
	}
	g := ts.get("bkt", "hoisted", nil)
	if g.header.Get("X-Amz-Meta-Project") != "apollo" {
		t.Errorf("metadata %v", g.header)
	}
	if _, ok := g.header["X-Amz-Meta-Empty"]; !ok {
		t.Errorf("empty metadata value lost: %v", g.header)
	}
	// A header that the URL did not sign is refused.
	hr, _ = http.NewRequest("PUT", res.URL, strings.NewReader("x"))
	hr.Header.Set("x-amz-meta-extra", "1")
	wantError(t, ts.send(hr), s3err.AccessDenied)
}

func TestAuthErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	ts.put("bkt", "k", []byte("v"), nil)
	ep := "http://127.0.0.1:" + ts.port()
	good := ts.presigner(ep, presign.ProfileDefault, presign.AddressingAuto, testSecret)
	bad := ts.presigner(ep, presign.ProfileDefault, presign.AddressingAuto, "wrong-secret")
	get := &presign.Input{Bucket: "bkt", Key: "k"}

	tests := []struct {
		name string
		res  func() response
		code s3err.ErrorCode
	}{
		{"anonymous GET", func() response { return ts.do(req{method: "GET", target: "/bkt/k", unsigned: true}) }, s3err.AccessDenied},
		{"anonymous PUT", func() response {
			return ts.do(req{method: "PUT", target: "/bkt/k", unsigned: true, body: []byte("x")})
		}, s3err.AccessDenied},
		{"anonymous list buckets", func() response { return ts.do(req{method: "GET", target: "/", unsigned: true}) }, s3err.AccessDenied},
		{"wrong secret, presigned", func() response { return ts.presigned(bad, presign.GetObject, get, presign.Options{}, nil) }, s3err.SignatureDoesNotMatch},
		{"expired", func() response {
			return ts.presigned(good, presign.GetObject, get, presign.Options{SigningTime: testTime.Add(-2 * time.Hour), Expires: time.Hour}, nil)
		}, s3err.AccessDenied},
		{"not yet valid", func() response {
			return ts.presigned(good, presign.GetObject, get, presign.Options{SigningTime: testTime.Add(time.Hour)}, nil)
		}, s3err.AccessDenied},
		{"tampered URL", func() response {
			res, _ := good.Presign(context.Background(), presign.GetObject, get, presign.Options{Expires: time.Hour})
			hr, _ := http.NewRequest("GET", strings.Replace(res.URL, "/bkt/k", "/bkt/other", 1), nil)
			return ts.send(hr)
		}, s3err.SignatureDoesNotMatch},
		{"wrong secret, header", func() response {
			hr := ts.newRequest(req{method: "GET", target: "/bkt/k"})
			hr.Header.Set("Authorization", strings.Replace(hr.Header.Get("Authorization"), "Signature=", "Signature=0", 1)[:len(hr.Header.Get("Authorization"))])
			return ts.send(hr)
		}, s3err.SignatureDoesNotMatch},
		{"unknown key", func() response {
			hr := ts.newRequest(req{method: "GET", target: "/bkt/k"})
			hr.Header.Set("Authorization", strings.Replace(hr.Header.Get("Authorization"), testKeyID, "AKIDUNKNOWN", 1))
			return ts.send(hr)
		}, s3err.InvalidAccessKeyID},
		{"signed for another region", func() response {
			hr := ts.newRequest(req{method: "GET", target: "/bkt/k"})
			hr.Header.Set("Authorization", strings.Replace(hr.Header.Get("Authorization"), "us-east-1", "eu-west-1", 1))
			return ts.send(hr)
		}, s3err.AuthorizationHeaderMalformed},
		{"body does not match the signed hash", func() response {
			hr := ts.newRequest(req{method: "PUT", target: "/bkt/k", body: []byte("signed body")})
			hr.Body = io.NopCloser(strings.NewReader("other body!"))
			return ts.send(hr)
		}, s3err.XAmzContentSHA256Mismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.res(), tt.code)
		})
	}
	if got := string(ts.get("bkt", "k", nil).body); got != "v" {
		t.Errorf("object changed to %q", got)
	}
}

// streamingRequest builds an aws-chunked PUT signed with an Authorization
// header: mode is the x-amz-content-sha256, chunks of size bytes, with
// trailers when the mode has them; tamper, if set, changes the encoded body.
func (ts *testServer) streamingRequest(target, mode string, payload []byte, size int, trailers [][2]string, tamper func([]byte) []byte) *http.Request {
	ts.t.Helper()
	hr, err := http.NewRequest("PUT", ts.url+target, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	hr.Header.Set("Content-Encoding", "aws-chunked")
	hr.Header.Set("X-Amz-Decoded-Content-Length", itoa(int64(len(payload))))
	if len(trailers) > 0 {
		hr.Header.Set("X-Amz-Trailer", trailers[0][0])
	}
	sr, _ := sigv4.RequestFromHTTP(hr, nil)
	signed, err := sigv4.DefaultSigner.Sign(&sigv4.SignInput{
		Request: sr, Credentials: sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		Region: "us-east-1", Service: "s3", Time: testTime, PayloadHash: mode, ContentSHA256Header: true,
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	hr.Header.Set("Authorization", signed.Authorization)
	hr.Header.Set("X-Amz-Date", signed.Date)
	hr.Header.Set("X-Amz-Content-Sha256", signed.ContentSHA256)
	enc := chunkEncoder{size: size, trailers: trailers, trailerMode: mode != streamingSigned}
	if mode != streamingUnsignedTrailer {
		enc.signer = &chunkSigner{
			key:  sigv4.DeriveKey(testSecret, "20260115", "us-east-1", "s3"),
			mid:  "\n20260115T120000Z\n20260115/us-east-1/s3/aws4_request\n",
			prev: signed.Signature,
		}
	}
	body := enc.encode(payload)
	if tamper != nil {
		body = tamper(body)
	}
	hr.Body = io.NopCloser(bytes.NewReader(body))
	hr.ContentLength = int64(len(body))
	return hr
}

// TestStreamingUploads sends aws-chunked bodies in each payload mode, as
// the SDKs and the AWS CLI do, and checks what is stored.
func TestStreamingUploads(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	payload := bytes.Repeat([]byte("streaming payload "), 5000) // 90000 bytes
	crc32 := algByName("CRC32").checksumOf(payload)
	crc64 := algByName("CRC64NVME").checksumOf(payload)
	flip := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
	}
	tests := []struct {
		name     string
		mode     string
		trailers [][2]string
		tamper   func([]byte) []byte
		chunked  bool // send with Transfer-Encoding: chunked
		code     s3err.ErrorCode
		sumAlg   string
	}{
		{"signed chunks", streamingSigned, nil, nil, false, "", "CRC64NVME"},
		{"signed chunks, HTTP chunked", streamingSigned, nil, nil, true, "", "CRC64NVME"},
		{"signed chunks, tampered chunk", streamingSigned, nil, flip("payload", "paYload"), false, s3err.SignatureDoesNotMatch, ""},
		{"signed chunks, tampered signature", streamingSigned, nil, flip("chunk-signature=", "chunk-signature=0"), false, s3err.InvalidRequest, ""},
		{"signed chunks, chunk dropped", streamingSigned, nil, func(b []byte) []byte {
			i := bytes.Index(b, []byte("\r\n4000;"))
			j := bytes.Index(b[i+2:], []byte("\r\n4000;"))
			return append(b[:i+2:i+2], b[i+2+j+2:]...)
		}, false, s3err.SignatureDoesNotMatch, ""},
		{"unsigned trailer crc32", streamingUnsignedTrailer, [][2]string{{"x-amz-checksum-crc32", crc32}}, nil, false, "", "CRC32"},
		{"unsigned trailer crc64nvme", streamingUnsignedTrailer, [][2]string{{"x-amz-checksum-crc64nvme", crc64}}, nil, false, "", "CRC64NVME"},
		{"unsigned trailer crc32, HTTP chunked", streamingUnsignedTrailer, [][2]string{{"x-amz-checksum-crc32", crc32}}, nil, true, "", "CRC32"},
		{"unsigned trailer wrong crc32", streamingUnsignedTrailer, [][2]string{{"x-amz-checksum-crc32", algByName("CRC32").checksumOf([]byte("no"))}}, nil, false, s3err.BadDigest, ""},
		{"unsigned trailer wrong crc64nvme", streamingUnsignedTrailer, [][2]string{{"x-amz-checksum-crc64nvme", algByName("CRC64NVME").checksumOf(nil)}}, nil, false, s3err.BadDigest, ""},
		{"unsigned trailer, data changed", streamingUnsignedTrailer, [][2]string{{"x-amz-checksum-crc32", crc32}}, flip("payload", "paYload"), false, s3err.BadDigest, ""},
		{"signed trailer", streamingSignedTrailer, [][2]string{{"x-amz-checksum-crc32", crc32}}, nil, false, "", "CRC32"},
		{"signed trailer, tampered trailer", streamingSignedTrailer, [][2]string{{"x-amz-checksum-crc32", crc32}}, flip(crc32, algByName("CRC32").checksumOf(nil)), false, s3err.SignatureDoesNotMatch, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "stream" + itoa(int64(i))
			hr := ts.streamingRequest("/bkt/"+key, tt.mode, payload, 16384, tt.trailers, tt.tamper)
			if tt.chunked {
				hr.ContentLength = -1
			}
			res := ts.send(hr)
			if tt.code != "" {
				wantError(t, res, tt.code)
				wantError(t, ts.get("bkt", key, nil), s3err.NoSuchKey)
				return
			}
			if res.status != 200 {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			g := ts.get("bkt", key, map[string]string{"x-amz-checksum-mode": "ENABLED"})
			if !bytes.Equal(g.body, payload) {
				t.Fatalf("stored %d bytes, want %d", len(g.body), len(payload))
			}
			if g.header.Get("Content-Encoding") != "" {
				t.Errorf("Content-Encoding %q kept", g.header.Get("Content-Encoding"))
			}
			alg := algByName(tt.sumAlg)
			if got := g.header.Get(alg.header); got != alg.checksumOf(payload) {
				t.Errorf("%s %q", alg.header, got)
			}
		})
	}
	// A decoded length that disagrees with the body.
	hr := ts.streamingRequest("/bkt/short", streamingSigned, payload, 16384, nil, nil)
	hr.Header.Set("X-Amz-Decoded-Content-Length", itoa(int64(len(payload)+1)))
	res := ts.send(hr)
	if res.status != 403 && res.status != 400 {
		t.Errorf("status %d", res.status)
	}
	wantError(t, ts.get("bkt", "short", nil), s3err.NoSuchKey)
	// The decoded length is required.
	hr = ts.streamingRequest("/bkt/nolength", streamingUnsignedTrailer, payload, 16384, [][2]string{{"x-amz-checksum-crc32", crc32}}, nil)
	hr.Header.Del("X-Amz-Decoded-Content-Length")
	res = ts.send(hr)
	if res.status == 200 {
		t.Errorf("accepted without x-amz-decoded-content-length")
	}
}

// TestSigV2: Signature Version 2 presigned URLs and Authorization headers
// are verified (S3's string to sign, "Signing and authenticating REST
// requests"): a right one reads the object, a wrong one is 403
// SignatureDoesNotMatch with the string to sign; with SigV4Only both are
// refused with S3's message for regions that take SigV4 only.
func TestSigV2(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	ts.must(200, req{method: "PUT", target: "/bkt/k", body: []byte("v2")})
	exp := strconv.FormatInt(testTime.Add(time.Hour).Unix(), 10)
	sig := sigv2.Sign(testSecret, "GET\n\n\n"+exp+"\n/bkt/k")
	target := "/bkt/k?AWSAccessKeyId=" + testKeyID + "&Expires=" + exp + "&Signature=" + url.QueryEscape(sig)
	if res := ts.do(req{method: "GET", target: target, unsigned: true}); res.status != 200 || string(res.body) != "v2" {
		t.Fatalf("a SigV2 presigned URL: %d %s", res.status, res.body)
	}
	date := testTime.UTC().Format(http.TimeFormat)
	hr := ts.newRequest(req{method: "GET", target: "/bkt/k", unsigned: true})
	hr.Header.Set("Date", date)
	hr.Header.Set("Authorization", "AWS "+testKeyID+":"+sigv2.Sign(testSecret, "GET\n\n\n"+date+"\n/bkt/k"))
	if res := ts.send(hr); res.status != 200 {
		t.Fatalf("a SigV2 header: %d %s", res.status, res.body)
	}
	res := ts.do(req{method: "GET", target: strings.Replace(target, "Signature=", "Signature=x", 1), unsigned: true})
	e := wantError(t, res, s3err.SignatureDoesNotMatch)
	if !strings.Contains(string(res.body), "<StringToSign>GET") {
		t.Errorf("SignatureDoesNotMatch without the string to sign: %+v %s", e, res.body)
	}

	only := newTestServer(t, func(o *Options) { o.SigV4Only = true })
	res = only.do(req{method: "GET", target: target, unsigned: true})
	if e := wantError(t, res, s3err.InvalidRequest); !strings.Contains(e.Message, "Please use AWS4-HMAC-SHA256") {
		t.Errorf("SigV4Only: %q", e.Message)
	}
	hr = only.newRequest(req{method: "GET", target: "/bkt/k", unsigned: true})
	hr.Header.Set("Authorization", "AWS AKIDEXAMPLE:abc=")
	wantError(t, only.send(hr), s3err.InvalidRequest)
}
