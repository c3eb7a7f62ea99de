package s3server

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/postpolicy"
	"github.com/presign-dev/presign/s3err"
)

// postForm sends a form upload: the fields in order, then the file, then
// any fields after it; the body streams through a pipe.
func (ts *testServer) postForm(formURL string, fields postpolicy.Fields, filename string, file io.Reader, after postpolicy.Fields, origin string) response {
	ts.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		write := func(fs postpolicy.Fields) error {
			for _, f := range fs {
				if err := mw.WriteField(f.Name, f.Value); err != nil {
					return err
				}
			}
			return nil
		}
		err := write(fields)
		if err == nil && file != nil {
			var w io.Writer
			if w, err = mw.CreateFormFile("file", filename); err == nil {
				_, err = io.Copy(w, file)
			}
		}
		if err == nil {
			err = write(after)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	hr, err := http.NewRequest("POST", formURL, pr)
	if err != nil {
		ts.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", mw.FormDataContentType())
	if origin != "" {
		hr.Header.Set("Origin", origin)
	}
	return ts.send(hr)
}

func TestPostObject(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.MaxObjectSize = 64 << 20 })
	ts.mkBucket("bkt")
	ctx := context.Background()
	sign := func(p presign.Profile, endpoint string, in presign.PostInput) *postpolicy.Form {
		t.Helper()
		c := ts.presigner(endpoint, p, presign.AddressingAuto, testSecret)
		if in.SigningTime.IsZero() {
			in.SigningTime = testTime
		}
		f, err := c.PresignPost(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	path := "http://127.0.0.1:" + ts.port()
	virtual := "http://localhost:" + ts.port()
	file := []byte("form upload contents")

	tests := []struct {
		name     string
		profile  presign.Profile
		endpoint string
		in       presign.PostInput
		filename string
		body     []byte
		edit     func(postpolicy.Fields) postpolicy.Fields
		status   int
		code     s3err.ErrorCode
		key      string
	}{
		{"default", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "uploads/${filename}",
			Fields: []postpolicy.Field{{Name: "Content-Type", Value: "text/plain"}, {Name: "x-amz-meta-tag", Value: "v"}}},
			"a.txt", file, nil, 204, "", "uploads/a.txt"},
		{"js virtual-hosted, 201", presign.ProfileJS, virtual, presign.PostInput{Bucket: "bkt", Key: "js.txt",
			Fields: []postpolicy.Field{{Name: "success_action_status", Value: "201"}}},
			"x", file, nil, 201, "", "js.txt"},
		{"botocore, 200", presign.ProfileBotocore, path, presign.PostInput{Bucket: "bkt", Key: "boto.txt",
			Fields:     []postpolicy.Field{{Name: "success_action_status", Value: "200"}},
			Conditions: []postpolicy.Condition{postpolicy.Exact("success_action_status", "200")}},
			"x", file, nil, 200, "", "boto.txt"},
		{"redirect", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "r.txt",
			Fields: []postpolicy.Field{{Name: "success_action_redirect", Value: "https://app.example.com/done?x=1"}}},
			"x", file, nil, 303, "", "r.txt"},
		{"checksum field", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "sum.txt",
			Fields: []postpolicy.Field{{Name: "x-amz-checksum-sha256", Value: algByName("SHA256").checksumOf(file)}}},
			"x", file, nil, 204, "", "sum.txt"},
		{"wrong checksum field", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "badsum.txt",
			Fields: []postpolicy.Field{{Name: "x-amz-checksum-sha256", Value: algByName("SHA256").checksumOf(nil)}}},
			"x", file, nil, 0, s3err.BadDigest, "badsum.txt"},
		{"size range", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "big.bin",
			Conditions: []postpolicy.Condition{postpolicy.ContentLengthRange(1, 10)}},
			"x", file, nil, 0, s3err.EntityTooLarge, "big.bin"},
		{"too small", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "small.bin",
			Conditions: []postpolicy.Condition{postpolicy.ContentLengthRange(100, 1000)}},
			"x", file, nil, 0, s3err.EntityTooSmall, "small.bin"},
		{"key outside the policy", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "uploads/${filename}"},
			"x", file, func(f postpolicy.Fields) postpolicy.Fields { return setField(f, "key", "elsewhere/x") }, 0, s3err.AccessDenied, "elsewhere/x"},
		{"extra field", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "extra.txt"},
			"x", file, func(f postpolicy.Fields) postpolicy.Fields {
				return append(postpolicy.Fields{{Name: "x-amz-meta-sneaky", Value: "1"}}, f...)
			}, 0, s3err.AccessDenied, "extra.txt"},
		{"tampered policy", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "t.txt"},
			"x", file, func(f postpolicy.Fields) postpolicy.Fields {
				p, _ := f.Get("Policy")
				return setField(f, "Policy", strings.Replace(p, "A", "B", 1))
			}, 0, s3err.SignatureDoesNotMatch, "t.txt"},
		{"expired", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "old.txt", SigningTime: testTime.Add(-2 * time.Hour), Expires: time.Hour},
			"x", file, nil, 0, s3err.AccessDenied, "old.txt"},
		{"no file", presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "nofile.txt"},
			"x", nil, nil, 0, s3err.InvalidArgument, "nofile.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := sign(tt.profile, tt.endpoint, tt.in)
			fields := form.Fields
			if tt.edit != nil {
				fields = tt.edit(append(postpolicy.Fields(nil), fields...))
			}
			var body io.Reader
			if tt.body != nil {
				body = bytes.NewReader(tt.body)
			}
			res := ts.postForm(form.URL, fields, tt.filename, body, postpolicy.Fields{{Name: "after", Value: "ignored"}}, "https://app.example.com")
			if res.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
				t.Errorf("no CORS header on the response: %v", res.header)
			}
			if tt.code != "" {
				wantError(t, res, tt.code)
				wantError(t, ts.get("bkt", tt.key, nil), s3err.NoSuchKey)
				return
			}
			if res.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
			}
			etag := res.header.Get("ETag")
			g := ts.get("bkt", tt.key, nil)
			if !bytes.Equal(g.body, file) || g.header.Get("ETag") != etag {
				t.Fatalf("stored %q %s, response ETag %s", g.body, g.header.Get("ETag"), etag)
			}
			switch tt.status {
			case 201:
				var pr struct{ Location, Bucket, Key, ETag string }
				if err := xml.Unmarshal(res.body, &pr); err != nil || pr.Bucket != "bkt" || pr.Key != tt.key || pr.ETag != etag || pr.Location == "" {
					t.Errorf("PostResponse %s", res.body)
				}
			case 303:
				u, err := url.Parse(res.header.Get("Location"))
				if err != nil || u.Host != "app.example.com" || u.Query().Get("x") != "1" || u.Query().Get("key") != tt.key ||
					u.Query().Get("bucket") != "bkt" || u.Query().Get("etag") != etag {
					t.Errorf("redirect to %s", res.header.Get("Location"))
				}
			}
			if tt.name == "default" && (g.header.Get("Content-Type") != "text/plain" || g.header.Get("X-Amz-Meta-Tag") != "v") {
				t.Errorf("metadata from the form: %v", g.header)
			}
		})
	}

	// A large file streams through.
	form := sign(presign.ProfileDefault, path, presign.PostInput{Bucket: "bkt", Key: "large.bin",
		Conditions: []postpolicy.Condition{postpolicy.ContentLengthRange(0, 32<<20)}})
	const size = 24 << 20
	res := ts.postForm(form.URL, form.Fields, "large.bin", io.LimitReader(zeros{}, size), nil, "")
	if res.status != 204 {
		t.Fatalf("large upload: %d %s", res.status, res.body)
	}
	if h := ts.do(req{method: "HEAD", target: "/bkt/large.bin"}); h.header.Get("Content-Length") != itoa(size) {
		t.Errorf("large upload stored %s bytes", h.header.Get("Content-Length"))
	}
	// Fields before the file are bounded.
	res = ts.postForm(form.URL, append(postpolicy.Fields{{Name: "x-ignore-pad", Value: strings.Repeat("p", 70<<10)}}, form.Fields...), "f", strings.NewReader("x"), nil, "")
	wantError(t, res, s3err.MaxPostPreDataLengthExceeded)
	// A POST that is not a form.
	wantError(t, ts.do(req{method: "POST", target: "/bkt", body: []byte("x"), unsigned: true}), s3err.AccessDenied)
	res = ts.send(mustRequest(t, "POST", ts.url+"/bkt", "multipart/form-data", "garbage"))
	wantError(t, res, s3err.MalformedPOSTRequest)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func setField(f postpolicy.Fields, name, value string) postpolicy.Fields {
	for i := range f {
		if strings.EqualFold(f[i].Name, name) {
			f[i].Value = value
		}
	}
	return f
}

func mustRequest(t *testing.T, method, u, contentType, body string) *http.Request {
	t.Helper()
	hr, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", contentType)
	return hr
}

// TestPostTagging: a form's tagging field, a Tagging document (S3's POST
// Object: "tagging: the tag-set for the object, in XML"), tags the object
// as x-amz-tagging does a PUT.
func TestPostTagging(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mkBucket("bkt")
	c := ts.presigner("http://127.0.0.1:"+ts.port(), presign.ProfileDefault, presign.AddressingAuto, testSecret)
	tagging := `<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag><Tag><Key>tier</Key><Value>gold</Value></Tag></TagSet></Tagging>`
	form, err := c.PresignPost(context.Background(), &presign.PostInput{Bucket: "bkt", Key: "tagged.txt", SigningTime: testTime,
		Fields: []postpolicy.Field{{Name: "tagging", Value: tagging}}})
	if err != nil {
		t.Fatal(err)
	}
	if res := ts.postForm(form.URL, form.Fields, "t.txt", strings.NewReader("tagged"), nil, ""); res.status != 204 {
		t.Fatalf("POST: %d %s", res.status, res.body)
	}
	if res := ts.must(200, req{method: "HEAD", target: "/bkt/tagged.txt"}); res.header.Get("X-Amz-Tagging-Count") != "2" {
		t.Errorf("tag count %q", res.header.Get("X-Amz-Tagging-Count"))
	}
}
