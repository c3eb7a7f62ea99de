package inspect_test

import (
	"fmt"
	"os"
	"time"

	"github.com/presign-dev/presign/inspect"
)

// A URL the AWS SDK for JavaScript v3 made, inspected two minutes after it
// was signed.
const jsURL = "https://examplebucket.s3.us-east-1.amazonaws.com/object.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e&X-Amz-SignedHeaders=host&x-id=GetObject"

func ExampleParse() {
	in, err := inspect.Parse(jsURL, "", time.Date(2026, 1, 15, 12, 2, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println(in.Operation, in.Method, in.Bucket, in.Key, in.Addressing, in.Scope.Region)
	fmt.Println(in.Status, in.ExpiresAt, in.SecondsLeft)
	for _, p := range in.Params[:2] {
		fmt.Printf("%s=%s: %s\n", p.Name, p.Value, p.Meaning)
	}
	// Output:
	// GetObject GET examplebucket object.txt virtual-hosted us-east-1
	// ok 2026-01-15 12:15:00 +0000 UTC 780
	// X-Amz-Algorithm=AWS4-HMAC-SHA256: Signature Version 4, with HMAC-SHA256
	// X-Amz-Content-Sha256=UNSIGNED-PAYLOAD: the body is not signed: any body is accepted
}

// The findings of an expired URL that was signed with temporary
// credentials.
func ExampleInspection_Findings() {
	u := "https://examplebucket.s3.eu-central-1.amazonaws.com/object.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20150830%2Feu-central-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD%2Bex%2Fam%2Bple%3D%3D&X-Amz-Signature=0ea4acc9bf07189da712c714a86d5620c76372afd251f6968d83ff59900c36f0&X-Amz-SignedHeaders=host&x-id=GetObject"
	in, _ := inspect.Parse(u, "", time.Date(2015, 8, 30, 15, 0, 0, 0, time.UTC))
	for _, f := range in.Findings {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// error expired
	// warning temporary-credentials
}

// The canonical request S3 computes for a URL needs no secret: only the
// signature does.
func ExampleInspection_Canonical() {
	in, _ := inspect.Parse(jsURL, "", time.Date(2026, 1, 15, 12, 2, 0, 0, time.UTC))
	exp, _ := in.Canonical(nil, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	fmt.Println(exp.CanonicalRequest)
	fmt.Println(exp.Signature == in.Signature)
	// Output:
	// GET
	// /object.txt
	// X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&x-id=GetObject
	// host:examplebucket.s3.us-east-1.amazonaws.com
	//
	// host
	// UNSIGNED-PAYLOAD
	// true
}

// S3's answer to a URL used ten minutes after it expired, as quoted in
// https://github.com/lukejacksonn/react-slack-clone/issues/27.
func ExampleDiagnose() {
	body := `<Error>
<Code>AccessDenied</Code>
<Message>Request has expired</Message>
<X-Amz-Expires>60</X-Amz-Expires>
<Expires>2018-03-29T11:17:34Z</Expires>
<ServerTime>2018-03-29T11:27:42Z</ServerTime>
<RequestId>FED2CBD7BC00CFFC</RequestId>
</Error>`
	d, err := inspect.Diagnose(nil, []byte(body), inspect.Local{})
	if err != nil {
		panic(err)
	}
	for _, c := range d.Causes {
		fmt.Println(c.Code)
	}
	d.WriteText(os.Stdout)
	// Output:
	// expired
	// short-lifetime
	// clock-skew
	// S3 said: AccessDenied: Request has expired
	//
	// Likely cause: the URL expired at 2018-03-29 11:17:34 UTC and reached S3 at
	//               2018-03-29 11:27:42 UTC, 10m8s late: make a new URL, closer to
	//               when it is used [expired]
	// Other possible causes:
	//   - the URL lived only 1m: a page left open, a retry or a queue outlives that;
	//     make the URL when it is used, or give it a longer lifetime [short-lifetime]
	//   - if the URL was used as soon as it was made, the clock of the machine that
	//     signed it is 11m8s slow (X-Amz-Date 2018-03-29 11:16:34 UTC, S3's time
	//     2018-03-29 11:27:42 UTC): set it by NTP [clock-skew]
	//
	// Details:
	//   X-Amz-Expires              60
	//   Expires                    2018-03-29T11:17:34Z
	//   ServerTime                 2018-03-29T11:27:42Z
	//   RequestId                  FED2CBD7BC00CFFC
}
