package inspect

import (
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/internal/grant"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// TestGrantURL: a URL presign serve issued shows its grant id and what it
// means; the store's refusals of a revoked or used-up grant are explained
// as such, not as IAM.
func TestGrantURL(t *testing.T) {
	id := grant.New([]byte("secret"), "web", time.Now().Add(time.Hour))
	p, err := sigv4.NewSigner().Presign(&sigv4.SignInput{
		Request:     &sigv4.Request{Method: "GET", Scheme: "http", Host: "127.0.0.1:9000", Path: "/uploads/web/a.txt", Query: []sigv4.Param{{Name: grant.Param, Value: id}}},
		Credentials: sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, Region: "us-east-1", Service: "s3",
		Time: time.Now(), Expires: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err := Parse(p.URL, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if in.Grant != id {
		t.Fatalf("Grant = %q, want %q", in.Grant, id)
	}
	var text strings.Builder
	if err := in.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "the grant presign serve issued the URL under") || !strings.Contains(text.String(), "/v1/grants/"+id) {
		t.Fatalf("the text does not explain the grant:\n%s", text.String())
	}
	for _, tt := range []struct {
		msg  string
		code Code
	}{
		{"Access Denied: the grant was revoked: the grant " + id + " was revoked.", CauseGrantRevoked},
		{`Access Denied: the grant was revoked: every grant under the prefix "web/" was revoked at 2026-12-04T03:00:00Z.`, CauseGrantRevoked},
		{"Access Denied: the grant is used up: the grant " + id + " allows 1 uses, all spent.", CauseGrantUsedUp},
	} {
		d := DiagnoseError(in, s3err.New(s3err.AccessDenied, "%s", tt.msg), Local{})
		if len(d.Causes) != 1 || d.Causes[0].Code != tt.code || strings.Contains(d.Causes[0].Message, "IAM") {
			t.Errorf("%s: %+v", tt.msg, d.Causes)
		}
	}
}
