package sigv4_test

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// Presign a request at a fixed time, then verify it as a server would.
func ExampleVerifier() {
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	signedAt := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	p, err := sigv4.DefaultSigner.Presign(&sigv4.SignInput{
		Request:     &sigv4.Request{Method: "GET", Scheme: "http", Host: "127.0.0.1:9000", Path: "/bucket/report.pdf"},
		Credentials: creds, Region: "us-east-1", Service: "s3",
		Time: signedAt, Expires: 10 * time.Minute,
	})
	if err != nil {
		panic(err)
	}

	v := &sigv4.Verifier{
		Lookup: func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID },
		Region: "us-east-1",
		Now:    func() time.Time { return signedAt.Add(5 * time.Minute) },
	}
	u, _ := url.Parse(p.URL)
	auth, err := v.Verify(&http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}})
	fmt.Println(auth.AccessKeyID, auth.Expires, err)

	late := &sigv4.Verifier{Lookup: v.Lookup, Now: func() time.Time { return signedAt.Add(time.Hour) }}
	_, err = late.Verify(&http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}})
	fmt.Println(err)
	// Output:
	// AKIDEXAMPLE 2026-01-15 12:10:00 +0000 UTC <nil>
	// AccessDenied: Request has expired
}
