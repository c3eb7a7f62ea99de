package presign

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/credentials"
	"github.com/presign-dev/presign/sigv4"
)

var (
	t0     = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	static = credentials.Static{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
)

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.Credentials == nil {
		cfg.Credentials = static
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Region: "us-east-1"}, "Credentials is nil"},
		{Config{Credentials: static}, "Region is empty"},
		{Config{Credentials: static, Region: "US East"}, "not a valid region"},
		{Config{Credentials: static, Region: "us-east-1", Endpoint: "127.0.0.1:9000"}, "not an http(s) URL"},
		{Config{Credentials: static, Region: "us-east-1", Endpoint: "ftp://x"}, "not an http(s) URL"},
		{Config{Credentials: static, Region: "us-east-1", Endpoint: "http://x/?a=b"}, "must not have a query"},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
}

func TestExpiryRules(t *testing.T) {
	temp := credentials.Static{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "tok"}
	expiring := credentials.Static{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "tok", Expires: t0.Add(time.Hour)}
	tests := []struct {
		name    string
		creds   credentials.Provider
		opts    Options
		want    time.Duration // the URL's lifetime; 0 means an error
		wantErr string
	}{
		{"default 15 minutes", static, Options{}, 15 * time.Minute, ""},
		{"one second", static, Options{Expires: time.Second}, time.Second, ""},
		{"seven days", static, Options{Expires: 7 * 24 * time.Hour}, 7 * 24 * time.Hour, ""},
		{"over seven days", static, Options{Expires: 7*24*time.Hour + time.Second}, 0, "1 second to 7 days"},
		{"negative", static, Options{Expires: -time.Second}, 0, "1 second to 7 days"},
		{"fraction of a second", static, Options{Expires: 1500 * time.Millisecond}, 0, "whole number of seconds"},
		{"temporary 12 hours", temp, Options{Expires: 12 * time.Hour}, 12 * time.Hour, ""},
		{"temporary over 12 hours", temp, Options{Expires: 13 * time.Hour}, 0, "at most 12 hours"},
		{"temporary over 12 hours, capped", temp, Options{Expires: 13 * time.Hour, CapToCredentials: true}, 12 * time.Hour, ""},
		{"temporary, SDK behaviour asked for", temp, Options{Expires: 13 * time.Hour, IgnoreCredentialLifetime: true}, 13 * time.Hour, ""},
		{"outlives the credentials", expiring, Options{Expires: 2 * time.Hour}, 0, "credentials expire at 2026-01-15T13:00:00Z"},
		{"outlives the credentials, capped", expiring, Options{Expires: 2 * time.Hour, CapToCredentials: true}, time.Hour, ""},
		{"within the credentials", expiring, Options{Expires: 30 * time.Minute}, 30 * time.Minute, ""},
		{"credentials already expired", expiring, Options{SigningTime: t0.Add(2 * time.Hour)}, 0, "expired at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, Config{Credentials: tt.creds})
			o := tt.opts
			if o.SigningTime.IsZero() {
				o.SigningTime = t0
			}
			res, err := c.Presign(context.Background(), GetObject, &Input{Bucket: "b12", Key: "k"}, o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Expires.Sub(o.SigningTime); got != tt.want {
				t.Errorf("lifetime %v, want %v", got, tt.want)
			}
			u, _ := url.Parse(res.URL)
			if got := u.Query().Get("X-Amz-Expires"); got != strconv.Itoa(int(tt.want/time.Second)) {
				t.Errorf("X-Amz-Expires=%s", got)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	n := int64(-1)
	tests := []struct {
		name string
		op   Operation
		in   *Input
		want string
	}{
		{"nil input", GetObject, nil, "input is nil"},
		{"unknown operation", "CopyObject", &Input{Bucket: "b12", Key: "k"}, "unknown operation"},
		{"empty key", GetObject, &Input{Bucket: "b12"}, "key is empty"},
		{"long key", GetObject, &Input{Bucket: "b12", Key: strings.Repeat("k", 1025)}, "at most 1024 bytes"},
		{"invalid UTF-8 key", GetObject, &Input{Bucket: "b12", Key: "a\xffb"}, "not valid UTF-8"},
		{"empty bucket", GetObject, &Input{Key: "k"}, "bucket name is empty"},
		{"slash in bucket", GetObject, &Input{Bucket: "b/c", Key: "k"}, "give the bucket and the key apart"},
		{"field of another operation", GetObject, &Input{Bucket: "b12", Key: "k", ContentType: "text/plain"}, "GetObject does not take ContentType"},
		{"metadata on GET", GetObject, &Input{Bucket: "b12", Key: "k", Metadata: map[string]string{"a": "b"}}, "does not take Metadata"},
		{"upload part without upload id", UploadPart, &Input{Bucket: "b12", Key: "k", PartNumber: 1}, "needs UploadId"},
		{"part number too large", UploadPart, &Input{Bucket: "b12", Key: "k", PartNumber: 10001, UploadID: "u"}, "1 to 10000"},
		{"negative length", PutObject, &Input{Bucket: "b12", Key: "k", ContentLength: &n}, "negative"},
		{"bad metadata name", PutObject, &Input{Bucket: "b12", Key: "k", Metadata: map[string]string{"a b": "c"}}, "not a valid HTTP header name"},
		{"header injection", PutObject, &Input{Bucket: "b12", Key: "k", ContentType: "text/plain\r\nx-amz-acl: public-read"}, "line break"},
		{"extra header is Host", PutObject, &Input{Bucket: "b12", Key: "k", Header: []sigv4.Param{{Name: "Host", Value: "evil"}}}, "the presigner sets it"},
		{"extra header bad name", PutObject, &Input{Bucket: "b12", Key: "k", Header: []sigv4.Param{{Name: "a b", Value: "c"}}}, "not a valid HTTP header name"},
		{"extra header duplicates a field", PutObject, &Input{Bucket: "b12", Key: "k", ContentType: "a/b", Header: []sigv4.Param{{Name: "Content-Type", Value: "c/d"}}}, "already set by an Input field"},
	}
	c := newClient(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Presign(context.Background(), tt.op, tt.in, Options{SigningTime: t0})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "presign: ") {
				t.Errorf("err = %v, want one starting with \"presign: \" containing %q", err, tt.want)
			}
		})
	}
}

// TestDefaultProfileSignsContentType: the JS SDK leaves Content-Type
// unsigned (an uploader could store HTML where an image was meant); the
// default profile signs it when the caller gives one.
func TestDefaultProfileSignsContentType(t *testing.T) {
	in := &Input{Bucket: "uploads", Key: "cat.jpg", ContentType: "image/jpeg"}
	for _, tt := range []struct {
		p      Profile
		signed bool
	}{{ProfileDefault, true}, {ProfileJS, false}, {ProfileBotocore, true}} {
		res, err := newClient(t, Config{Profile: tt.p}).Presign(context.Background(), PutObject, in, Options{SigningTime: t0})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(strings.Join(res.SignedHeaders, ";"), "content-type"); got != tt.signed {
			t.Errorf("%v: content-type signed = %v, want %v (%v)", tt.p, got, tt.signed, res.SignedHeaders)
		}
	}
	// Checksums stay signed headers under the default profile, so that
	// storage checks them; the JS profile moves them into the query.
	sum := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	for _, tt := range []struct {
		p       Profile
		inQuery bool
	}{{ProfileDefault, false}, {ProfileJS, true}} {
		res, err := newClient(t, Config{Profile: tt.p}).Presign(context.Background(), PutObject, &Input{Bucket: "uploads", Key: "k", ChecksumSHA256: sum}, Options{SigningTime: t0})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(res.URL, "x-amz-checksum-sha256="); got != tt.inQuery {
			t.Errorf("%v: checksum in the query = %v, want %v", tt.p, got, tt.inQuery)
		}
		if !tt.inQuery && (!strings.Contains(strings.Join(res.SignedHeaders, ";"), "x-amz-checksum-sha256") || res.HTTPHeader().Get("X-Amz-Checksum-Sha256") != sum) {
			t.Errorf("%v: checksum not a signed header: %v %v", tt.p, res.SignedHeaders, res.Header)
		}
	}
	// Without a content type, the default profile invents none.
	res, _ := newClient(t, Config{}).Presign(context.Background(), PutObject, &Input{Bucket: "uploads", Key: "x"}, Options{SigningTime: t0})
	if len(res.Header) != 0 {
		t.Errorf("default profile added headers: %v", res.Header)
	}
}

func TestCustomEndpointAddressing(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Endpoint: "http://127.0.0.1:9000"}, "http://127.0.0.1:9000/bucket/k?"},
		{Config{Endpoint: "http://localhost:9000"}, "http://localhost:9000/bucket/k?"},
		{Config{Endpoint: "http://localhost:9000", Addressing: AddressingVirtual}, "http://bucket.localhost:9000/k?"},
		{Config{Endpoint: "https://s3.example.com:443/"}, "https://s3.example.com/bucket/k?"},
		{Config{Endpoint: "https://gw.example.com/storage/s3"}, "https://gw.example.com/storage/s3/bucket/k?"},
		{Config{Endpoint: "http://localhost:9000", Profile: ProfileJS}, "http://bucket.localhost:9000/k?"},
		{Config{Region: "cn-north-1"}, "https://bucket.s3.cn-north-1.amazonaws.com.cn/k?"},
		{Config{UseDualStack: true}, "https://bucket.s3.dualstack.us-east-1.amazonaws.com/k?"},
		{Config{UseAccelerate: true}, "https://bucket.s3-accelerate.amazonaws.com/k?"},
		{Config{Addressing: AddressingPath}, "https://s3.us-east-1.amazonaws.com/bucket/k?"},
	}
	for _, tt := range tests {
		res, err := newClient(t, tt.cfg).Presign(context.Background(), GetObject, &Input{Bucket: "bucket", Key: "k"}, Options{SigningTime: t0})
		if err != nil {
			t.Fatalf("%+v: %v", tt.cfg, err)
		}
		if !strings.HasPrefix(res.URL, tt.want) {
			t.Errorf("%+v: %s, want prefix %s", tt.cfg, res.URL, tt.want)
		}
	}
	for _, bucket := range []string{"my.dotted.bucket", "Upper", "under_score", "192.168.1.1"} {
		res, err := newClient(t, Config{}).Presign(context.Background(), GetObject, &Input{Bucket: bucket, Key: "k"}, Options{SigningTime: t0})
		if err != nil || !strings.HasPrefix(res.URL, "https://s3.us-east-1.amazonaws.com/"+bucket+"/k?") {
			t.Errorf("bucket %s not path-style: %v %v", bucket, res.URL, err)
		}
	}
	if _, err := newClient(t, Config{UseAccelerate: true}).Presign(context.Background(), GetObject, &Input{Bucket: "a.b.c", Key: "k"}, Options{SigningTime: t0}); err == nil {
		t.Error("accelerate with a dotted bucket accepted")
	}
}

// TestExpiresIsWholeSeconds: X-Amz-Date has whole seconds, so the URL
// expires at the signing second plus its lifetime.
func TestExpiresIsWholeSeconds(t *testing.T) {
	at := t0.Add(700 * time.Millisecond)
	res, err := newClient(t, Config{}).Presign(context.Background(), GetObject, &Input{Bucket: "b12", Key: "k"}, Options{SigningTime: at})
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(DefaultExpires); !res.Expires.Equal(want) {
		t.Errorf("Expires %v, want %v", res.Expires, want)
	}
}

// TestPresignHTTPDoesNotModify: the caller's request is left as it was.
func TestPresignHTTPDoesNotModify(t *testing.T) {
	r, _ := http.NewRequest("PUT", "https://bucket.s3.us-east-1.amazonaws.com/a%20b?versionId=1", nil)
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Set("X-Amz-Meta-Owner", "me")
	r.Header.Set("Authorization", "old")
	before := r.Clone(context.Background())
	res, err := newClient(t, Config{}).PresignHTTP(context.Background(), r, Options{SigningTime: t0})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Header, before.Header) || r.URL.String() != before.URL.String() || r.Host != before.Host {
		t.Errorf("request modified: %v %v", r.Header, r.URL)
	}
	if !strings.Contains(res.URL, "X-Amz-Meta-Owner=me") || !strings.Contains(res.URL, "versionId=1") {
		t.Errorf("URL %s lacks the hoisted header or the query", res.URL)
	}
	r2, _ := http.NewRequest("GET", res.URL, nil)
	if _, err := newClient(t, Config{}).PresignHTTP(context.Background(), r2, Options{}); err == nil {
		t.Error("presigning an already presigned URL succeeded")
	}
}

// TestSecretsNotInOutput: no secret or token appears where it should not.
func TestSecretsNotInOutput(t *testing.T) {
	creds := credentials.Static{AccessKeyID: "ASIAKEY", SecretAccessKey: "SECRETSECRET", SessionToken: "TOKENTOKEN"}
	c := newClient(t, Config{Credentials: creds})
	res, err := c.Presign(context.Background(), PutObject, &Input{Bucket: "b12", Key: "k", ContentType: "a/b"}, Options{SigningTime: t0})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.URL, "SECRETSECRET") {
		t.Error("secret in URL")
	}
	_, err = c.Presign(context.Background(), GetObject, &Input{Bucket: "b12", Key: "k"}, Options{SigningTime: t0, Expires: 20 * time.Hour})
	if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "TOKEN") {
		t.Errorf("error %v", err)
	}
	if s := sigv4.Credentials(creds).String() + sigv4.Credentials(creds).GoString(); strings.Contains(s, "SECRET") || strings.Contains(s, "TOKEN") {
		t.Errorf("credentials print their secret: %s", s)
	}
}
