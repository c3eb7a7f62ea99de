package inspect

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAnalyzeHost(t *testing.T) {
	for _, tc := range []struct {
		host       string
		kind       EndpointKind
		addressing Addressing
		bucket     string
		region     string
		assumed    bool
	}{
		{"s3.amazonaws.com", EndpointGlobal, AddressingPath, "", "", false},
		{"b.s3.amazonaws.com", EndpointGlobal, AddressingVirtual, "b", "", false},
		{"my.dotted.bucket.s3.amazonaws.com", EndpointGlobal, AddressingVirtual, "my.dotted.bucket", "", false},
		{"s3.eu-west-1.amazonaws.com", EndpointRegional, AddressingPath, "", "eu-west-1", false},
		{"b.s3.us-gov-west-1.amazonaws.com", EndpointRegional, AddressingVirtual, "b", "us-gov-west-1", false},
		{"b.s3.cn-north-1.amazonaws.com.cn", EndpointRegional, AddressingVirtual, "b", "cn-north-1", false},
		{"s3-eu-west-1.amazonaws.com", EndpointLegacy, AddressingPath, "", "eu-west-1", false},
		{"b.s3-external-1.amazonaws.com", EndpointLegacy, AddressingVirtual, "b", "us-east-1", false},
		{"b.s3.dualstack.ap-southeast-2.amazonaws.com", EndpointDualStack, AddressingVirtual, "b", "ap-southeast-2", false},
		{"s3-fips.dualstack.us-east-2.amazonaws.com", EndpointFIPS, AddressingPath, "", "us-east-2", false},
		{"b.s3-accelerate.amazonaws.com", EndpointAccelerate, AddressingVirtual, "b", "", false},
		{"b.s3-accelerate.dualstack.amazonaws.com", EndpointAccelerate, AddressingVirtual, "b", "", false},
		{"ap-111122223333.s3-accesspoint.us-west-2.amazonaws.com", EndpointAccessPoint, AddressingAccessPoint, "ap-111122223333", "us-west-2", false},
		{"b.s3-website-us-east-1.amazonaws.com", EndpointWebsite, AddressingVirtual, "b", "us-east-1", false},
		{"b.s3-website.eu-west-1.amazonaws.com", EndpointWebsite, AddressingVirtual, "b", "eu-west-1", false},
		{"ec2.amazonaws.com", EndpointAWSOther, AddressingPath, "", "", true},
		{"127.0.0.1", EndpointCustom, AddressingPath, "", "", false},
		{"::1", EndpointCustom, AddressingPath, "", "", false},
		{"localhost", EndpointCustom, AddressingPath, "", "", false},
		{"b.localhost", EndpointCustom, AddressingVirtual, "b", "", true},
		{"b.s3.example.com", EndpointCustom, AddressingVirtual, "b", "", true},
		{"minio.internal", EndpointCustom, AddressingPath, "", "", true},
	} {
		got := analyzeHost(tc.host)
		want := endpointInfo{kind: tc.kind, addressing: tc.addressing, bucket: tc.bucket, region: tc.region, assumed: tc.assumed}
		if got != want {
			t.Errorf("analyzeHost(%q) = %+v, want %+v", tc.host, got, want)
		}
	}
}

func TestIsRegion(t *testing.T) {
	for s, want := range map[string]bool{"us-east-1": true, "us-gov-west-1": true, "cn-north-1": true, "eu-central-2": true,
		"dualstack": false, "us-east": false, "US-east-1": false, "u-east-1": false, "us--1": false, "us-east-1a": false} {
		if got := isRegion(s); got != want {
			t.Errorf("isRegion(%q) = %v", s, got)
		}
	}
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 5 * time.Second: "5s", 900 * time.Second: "15m", 899 * time.Second: "14m59s",
		3600 * time.Second: "1h", 5400 * time.Second: "1h30m", 7 * 24 * time.Hour: "7d", 25*time.Hour + 30*time.Minute: "1d1h",
		-90 * time.Second: "1m30s", 400 * 24 * time.Hour: "1y35d", 86399 * time.Second: "23h59m",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPrintableAndWidth(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		width   int
	}{
		{"plain", "plain", 5},
		{"tab\there", `tab\there`, 9},
		{"\x1b[31mred", `\x1b[31mred`, 11},
		{"a\u202eb", `a\u202eb`, 8},
		{"\xff", `\xff`, 4},
		{"日本語", "日本語", 6},
		{"cafe\u0301", "cafe\u0301", 4},
		{"😀", "😀", 2},
		{"\u00a0", `\xa0`, 4},
	} {
		got := printable(tc.in)
		if got != tc.out {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.out)
		}
		if w := width(got); w != tc.width {
			t.Errorf("width(%q) = %d, want %d", got, w, tc.width)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want []string
	}{
		{"", 10, []string{""}},
		{"a b c", 10, []string{"a b c"}},
		{"aaaa bbbb cccc", 9, []string{"aaaa bbbb", "cccc"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"AKID/20260115/us-east-1/s3/aws4_request", 30, []string{"AKID/20260115/us-east-1/s3/", "aws4_request"}},
		{"日本語日本語", 5, []string{"日本", "語日", "本語"}},
	} {
		got := wrap(tc.in, tc.w)
		if !slices.Equal(got, tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
		for _, l := range got {
			if width(l) > tc.w {
				t.Errorf("wrap(%q, %d): line %q is too wide", tc.in, tc.w, l)
			}
		}
	}
}

func TestDiffLines(t *testing.T) {
	a := strings.Split("PUT\n/k\n\ncontent-type:image/png\nhost:h\n\ncontent-type;host\nUNSIGNED-PAYLOAD", "\n")
	b := strings.Split("PUT\n/k\n\ncontent-type:image/jpeg\nhost:h\n\ncontent-type;host\nUNSIGNED-PAYLOAD", "\n")
	var got []string
	for _, l := range diffLines(a, b) {
		got = append(got, l.Op+" "+l.Text)
	}
	want := []string{"same PUT", "same /k", "same ", "s3 content-type:image/png", "local content-type:image/jpeg",
		"same host:h", "same ", "same content-type;host", "same UNSIGNED-PAYLOAD"}
	if !slices.Equal(got, want) {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := diffLines(nil, []string{"x"}); len(d) != 1 || d[0].Op != DiffLocal {
		t.Errorf("diff from nothing: %v", d)
	}
}

func TestParseErrorXMLStrict(t *testing.T) {
	for _, tc := range []struct {
		doc, err string
	}{
		{"", "empty"},
		{"<ListBucketResult/>", "not S3's <Error>"},
		{"<Error><Message>m</Message></Error>", "no <Code>"},
		{"<Error><Code>X</Code><Details><A>b</A></Details></Error>", "without elements"},
		{"<Error><Code>X</Code></Error><Error><Code>Y</Code></Error>", "second root"},
		{"<Error><Code>X</Code>loose text</Error>", "outside the elements"},
		{"<Error><Code>X</Code>", "not well-formed"},
		{`<!DOCTYPE x [<!ENTITY a "b">]><Error><Code>X</Code></Error>`, "directive"},
		{"<Error><Code>X</Code></Error>trailing", "outside"},
		{strings.Repeat(" ", maxErrorXML+1), "bytes"},
	} {
		_, err := ParseErrorXML([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "inspect: ") {
			t.Errorf("ParseErrorXML(%.40q) = %v, want an error with %q", tc.doc, err, tc.err)
		}
	}
	e, err := ParseErrorXML([]byte("<?xml version=\"1.0\"?>\n<Error>\n  <Code>AccessDenied</Code>\n  <Message>\n    Access Denied\n  </Message>\n  <RequestId>R</RequestId>\n</Error>\n"))
	if err != nil || e.Code != "AccessDenied" || e.Message != "Access Denied" || detail(e, "RequestId") != "R" || len(e.Details) != 1 {
		t.Errorf("pretty-printed body: %+v, %v", e, err)
	}
}

// TestRealBodiesConsistent checks that the real error bodies of the corpus
// parse, and that where S3 quoted both, its string to sign ends with the
// SHA-256 of its canonical request and its byte dumps match its texts.
func TestRealBodiesConsistent(t *testing.T) {
	c := loadCorpus(t)
	for _, e := range c.Errors {
		b := mustRead(t, "testdata/errors/"+e.Name+".xml")
		se, err := ParseErrorXML(b)
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		if !strings.HasPrefix(e.Source, "https://github.com/") {
			t.Errorf("%s: source %q is not a public issue", e.Name, e.Source)
		}
		cr, crFolded, okCR := signedText(se, "CanonicalRequest")
		sts, _, okSTS := signedText(se, "StringToSign")
		if okCR && okSTS && !crFolded && stsHash(sts) != sha256Hex(cr) {
			t.Errorf("%s: the string to sign does not end with the SHA-256 of the canonical request", e.Name)
		}
		if text, ok := se.Detail("StringToSign"); ok {
			if bytes, okB := decodeSpacedHex(detail(se, "StringToSignBytes")); okB && bytes != text {
				t.Errorf("%s: StringToSignBytes is not StringToSign", e.Name)
			}
		}
	}
}

func TestMethodAndOperation(t *testing.T) {
	base := "https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e"
	bucket := strings.Replace(base, "/k?", "/?", 1)
	for _, tc := range []struct {
		url, method, wantMethod, source, op string
	}{
		{base, "", "GET", MethodAssumed, "GetObject"},
		{base, "put", "PUT", MethodGiven, "PutObject"},
		{base, "HEAD", "HEAD", MethodGiven, "HeadObject"},
		{base + "&x-id=PutObject", "", "PUT", MethodFromXID, "PutObject"},
		{base + "&uploads=", "", "POST", MethodFromSubres, "CreateMultipartUpload"},
		{base + "&uploadId=u&partNumber=3", "", "PUT", MethodFromSubres, "UploadPart"},
		{base + "&uploadId=u", "", "", MethodUnknown, ""},
		{base + "&uploadId=u", "POST", "POST", MethodGiven, "CompleteMultipartUpload"},
		{base + "&uploadId=u", "DELETE", "DELETE", MethodGiven, "AbortMultipartUpload"},
		{base + "&uploadId=u", "GET", "GET", MethodGiven, "ListParts"},
		{base + "&tagging=", "DELETE", "DELETE", MethodGiven, "DeleteObjectTagging"},
		{base + "&acl=", "", "GET", MethodAssumed, "GetObjectAcl"},
		{base + "&restore=", "", "POST", MethodFromSubres, "RestoreObject"},
		{bucket + "&list-type=2", "", "GET", MethodAssumed, "ListObjectsV2"},
		{bucket, "", "GET", MethodAssumed, "ListObjects"},
		{bucket + "&location=", "", "GET", MethodAssumed, "GetBucketLocation"},
	} {
		in, err := Parse(tc.url, tc.method, time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if in.Method != tc.wantMethod || in.MethodSource != tc.source || in.Operation != tc.op {
			t.Errorf("%s with %q: %s %s %s, want %s %s %s", tc.url[len(base)-4:], tc.method, in.Method, in.MethodSource, in.Operation,
				tc.wantMethod, tc.source, tc.op)
		}
	}
	in, _ := Parse(base+"&x-id=PutObject", "GET", time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	if in.Status != StatusWillFail || in.Findings[0].Code != CodeMethodMismatch {
		t.Errorf("x-id PutObject used with GET: %s %v", in.Status, in.Findings)
	}
}

func TestStatusAndFindings(t *testing.T) {
	u := func(q string) string {
		return "https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=7268847e774b7a3e741748daad3df1f12f693ed4d60c85e5293adb796507407e" + q
	}
	at := func(h, m int) time.Time { return time.Date(2026, 1, 15, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name, url, method string
		now               time.Time
		status            Status
		codes             []Code
	}{
		{"fresh", u("&X-Amz-Expires=900"), "", at(12, 5), StatusOK, nil},
		{"expired", u("&X-Amz-Expires=900"), "", at(13, 0), StatusExpired, []Code{CodeExpired}},
		{"future", u("&X-Amz-Expires=900"), "", at(11, 0), StatusNotYetValid, []Code{CodeNotYetValid}},
		{"skew within 15m", u("&X-Amz-Expires=900"), "", at(11, 50), StatusOK, nil},
		{"8 days", u("&X-Amz-Expires=691200"), "", at(12, 5), StatusWillFail, []Code{CodeLifetimeOver7Days}},
		{"download 2 days", u("&X-Amz-Expires=172800"), "", at(12, 5), StatusOK, []Code{CodeLifetimeOverGuide}},
		{"upload 1 hour", u("&X-Amz-Expires=3600"), "PUT", at(12, 5), StatusOK, []Code{CodeLifetimeOverGuide, CodeContentTypeUnsigned, CodeLengthUnsigned}},
		{"token", u("&X-Amz-Expires=900&X-Amz-Security-Token=t"), "", at(12, 5), StatusOK, []Code{CodeTemporary}},
		{"checksum hoisted", u("&X-Amz-Expires=900&x-amz-checksum-sha256=abc"), "PUT", at(12, 5), StatusOK,
			[]Code{CodeContentTypeUnsigned, CodeLengthUnsigned, CodeChecksumInQuery}},
	} {
		in, err := Parse(tc.url, tc.method, tc.now)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var codes []Code
		for _, f := range in.Findings {
			codes = append(codes, f.Code)
		}
		if in.Status != tc.status || !slices.Equal(codes, tc.codes) {
			t.Errorf("%s: %s %v, want %s %v", tc.name, in.Status, codes, tc.status, tc.codes)
		}
	}
	for _, tc := range []struct {
		name, url string
		code      Code
	}{
		{"region", strings.Replace(u("&X-Amz-Expires=900"), "us-east-1.amazonaws", "eu-west-1.amazonaws", 1), CodeRegionMismatch},
		{"http", strings.Replace(u("&X-Amz-Expires=900"), "https:", "http:", 1), CodePlainHTTP},
		{"path-style", strings.Replace(u("&X-Amz-Expires=900"), "b.s3.us-east-1.amazonaws.com/k", "s3.us-east-1.amazonaws.com/bucket/k", 1), CodePathStyle},
		{"dotted", strings.Replace(u("&X-Amz-Expires=900"), "b.s3.", "a.b.s3.", 1), CodeDottedBucketTLS},
		{"asia without token", strings.Replace(u("&X-Amz-Expires=900"), "AKIDEXAMPLE", "ASIAEXAMPLE", 1), CodeMissingToken},
		{"host unsigned", strings.Replace(u("&X-Amz-Expires=900"), "SignedHeaders=host", "SignedHeaders=content-type", 1), CodeHostNotSigned},
		{"unsorted", strings.Replace(u("&X-Amz-Expires=900"), "SignedHeaders=host", "SignedHeaders=host%3Bcontent-type", 1), CodeSignedHeadersBad},
		{"date", strings.Replace(u("&X-Amz-Expires=900"), "%2F20260115%2F", "%2F20260114%2F", 1), CodeCredentialDate},
		{"plus", strings.Replace(u("&X-Amz-Expires=900"), "/k?", "/a+b?", 1), CodePlusInPath},
	} {
		in, err := Parse(tc.url, "", at(12, 1))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.ContainsFunc(in.Findings, func(f Finding) bool { return f.Code == tc.code }) {
			t.Errorf("%s: no %s in %v", tc.name, tc.code, in.Findings)
		}
	}
}
