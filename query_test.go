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

// TestExtraQuery: Options.Query parameters are signed into the URL after
// the operation's own, so that the URL verifies with them and not
// without; S3's names and repeats are refused with the field and a fix.
func TestExtraQuery(t *testing.T) {
	c := newClient(t, Config{})
	ctx := context.Background()
	extra := []sigv4.Param{{Name: "presign-grant", Value: "g1 2/3"}}
	res, err := c.Presign(ctx, GetObject, &Input{Bucket: "b", Key: "k"}, Options{SigningTime: t0, Query: extra})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.URL, "&presign-grant=g1%202%2F3&") {
		t.Fatalf("URL %s lacks the parameter", res.URL)
	}
	verify := func(raw string) error {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		v := &sigv4.Verifier{Lookup: func(string) (sigv4.Credentials, bool) {
			return sigv4.Credentials{AccessKeyID: static.AccessKeyID, SecretAccessKey: static.SecretAccessKey}, true
		}, Region: "us-east-1", Now: func() time.Time { return t0.Add(time.Minute) }}
		_, err = v.Verify(&http.Request{Method: res.Method, URL: u, Host: u.Host, Header: http.Header{}})
		return err
	}
	if err := verify(res.URL); err != nil {
		t.Fatalf("the URL does not verify: %v", err)
	}
	for _, edit := range []string{"presign-grant=g1%202%2F4", "presign-grant=g1%202%2F3x"} {
		if err := verify(strings.Replace(res.URL, "presign-grant=g1%202%2F3", edit, 1)); err == nil {
			t.Errorf("verified with %s", edit)
		}
	}
	if err := verify(strings.Replace(res.URL, "&presign-grant=g1%202%2F3", "", 1)); err == nil {
		t.Error("verified without the parameter")
	}
	// Without the option, nothing changes.
	plain, _ := c.Presign(ctx, GetObject, &Input{Bucket: "b", Key: "k"}, Options{SigningTime: t0})
	if strings.Contains(plain.URL, "presign-grant") {
		t.Fatal(plain.URL)
	}

	for _, tt := range []struct {
		query []sigv4.Param
		want  string
	}{
		{[]sigv4.Param{{Name: ""}}, "has no name"},
		{[]sigv4.Param{{Name: "X-Amz-Date", Value: "x"}}, "x-amz-* name"},
		{[]sigv4.Param{{Name: "x-id", Value: "x"}}, `repeats the parameter "x-id"`},
		{[]sigv4.Param{{Name: "a"}, {Name: "a"}}, `names "a" twice`},
	} {
		_, err := c.Presign(ctx, GetObject, &Input{Bucket: "b", Key: "k"}, Options{SigningTime: t0, Query: tt.query})
		var ie *InputError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ie) || ie.Field != "Options.Query" {
			t.Errorf("Query %+v: %v, want an InputError of Options.Query with %q", tt.query, err, tt.want)
		}
	}
}
