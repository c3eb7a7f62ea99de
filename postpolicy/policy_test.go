package postpolicy

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

func TestParseJSONErrors(t *testing.T) {
	const exp = `"expiration":"2026-01-15T13:00:00Z"`
	cases := []struct {
		name, doc string
		code      s3err.ErrorCode
		msg       string
	}{
		{"empty", ``, s3err.InvalidPolicyDocument, "Invalid Policy: Expecting '{' but found End-of-Input"},
		{"blank", " \r\n", s3err.InvalidPolicyDocument, "End-of-Input"},
		{"truncated", `{` + exp, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid JSON."},
		{"not-object", `[]`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"trailing-data", `{` + exp + `,"conditions":[{"a":"b"}]} {}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"trailing-comma", `{` + exp + `,"conditions":[{"a":"b"},]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"invalid-utf8", "{\"expiration\":\"\xff\",\"conditions\":[]}", s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"unknown-member", `{` + exp + `,"conditions":[{"a":"b"}],"Version":"2012"}`, s3err.InvalidPolicyDocument, `Invalid Policy: Unexpected: "Version"`},
		{"member-case", `{"Expiration":"2026-01-15T13:00:00Z","conditions":[{"a":"b"}]}`, s3err.InvalidPolicyDocument, `Unexpected: "Expiration"`},
		{"duplicate-conditions", `{` + exp + `,"conditions":[{"a":"b"}],"conditions":[]}`, s3err.InvalidPolicyDocument, `Duplicate key "conditions"`},
		{"no-expiration", `{"conditions":[{"a":"b"}]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Policy missing expiration."},
		{"expiration-number", `{"expiration":1767000000,"conditions":[{"a":"b"}]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid 'expiration' value: '1767000000'"},
		{"expiration-not-iso", `{"expiration":"Thu, 15 Jan 2026 13:00:00 GMT","conditions":[{"a":"b"}]}`, s3err.InvalidPolicyDocument, "Invalid 'expiration' value: 'Thu, 15 Jan 2026 13:00:00 GMT'"},
		{"expiration-date-only", `{"expiration":"2026-01-15","conditions":[{"a":"b"}]}`, s3err.InvalidPolicyDocument, "Invalid 'expiration' value"},
		{"no-conditions", `{` + exp + `}`, s3err.InvalidPolicyDocument, "Invalid Policy: Policy missing conditions."},
		{"empty-conditions", `{` + exp + `,"conditions":[]}`, s3err.InvalidPolicyDocument, "Policy missing conditions."},
		{"conditions-object", `{` + exp + `,"conditions":{"a":"b"}}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid 'conditions' value: must be a List."},
		{"condition-string", `{` + exp + `,"conditions":["eq"]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid condition test: must be a List or Object."},
		{"condition-null", `{` + exp + `,"conditions":[null]}`, s3err.InvalidPolicyDocument, "must be a List or Object."},
		{"object-two-members", `{` + exp + `,"conditions":[{"a":"b","c":"d"}]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{"object-duplicate-member", `{` + exp + `,"conditions":[{"a":"b","a":"b"}]}`, s3err.InvalidPolicyDocument, "exactly one property"},
		{"object-empty", `{` + exp + `,"conditions":[{}]}`, s3err.InvalidPolicyDocument, "exactly one property"},
		{"object-number", `{` + exp + `,"conditions":[{"success_action_status":201}]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid Simple-Condition: value must be a string."},
		{"object-empty-name", `{` + exp + `,"conditions":[{"":"x"}]}`, s3err.InvalidPolicyDocument, "field name is empty"},
		{"list-empty", `{` + exp + `,"conditions":[[]]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid Condition: missing operation identifier."},
		{"list-op-number", `{` + exp + `,"conditions":[[1,"$key","a"]]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"unknown-op", `{` + exp + `,"conditions":[["ends-with","$key","a"]]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid Condition: unknown operation 'ends-with'."},
		{"op-case", `{` + exp + `,"conditions":[["Starts-With","$key","a"]]}`, s3err.InvalidPolicyDocument, "unknown operation 'Starts-With'."},
		{"eq-two-args", `{` + exp + `,"conditions":[["eq","$key"]]}`, s3err.InvalidPolicyDocument, "Invalid Policy: Invalid eq: wrong number of arguments."},
		{"starts-with-four-args", `{` + exp + `,"conditions":[["starts-with","$key","a","b"]]}`, s3err.InvalidPolicyDocument, "Invalid starts-with: wrong number of arguments."},
		{"eq-number", `{` + exp + `,"conditions":[["eq","$success_action_status",201]]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"no-dollar", `{` + exp + `,"conditions":[["starts-with","key","a/"]]}`, s3err.AccessDenied, `Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "a/"]`},
		{"dollar-only", `{` + exp + `,"conditions":[["eq","$",""]]}`, s3err.AccessDenied, `Policy Condition failed: ["eq", "$", ""]`},
		{"range-one-arg", `{` + exp + `,"conditions":[["content-length-range",1]]}`, s3err.InvalidPolicyDocument, "Invalid content-length-range: wrong number of arguments."},
		{"range-float", `{` + exp + `,"conditions":[["content-length-range",1.5,10]]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"range-exponent", `{` + exp + `,"conditions":[["content-length-range",0,1e6]]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"range-word", `{` + exp + `,"conditions":[["content-length-range","one",10]]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"range-negative", `{` + exp + `,"conditions":[["content-length-range",-1,10]]}`, s3err.InvalidPolicyDocument, "0 <= min <= max"},
		{"range-inverted", `{` + exp + `,"conditions":[["content-length-range",10,1]]}`, s3err.InvalidPolicyDocument, "found 10 and 1"},
		{"range-overflow", `{` + exp + `,"conditions":[["content-length-range",0,99999999999999999999]]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
		{"too-deep", `{` + exp + `,"conditions":[` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `]}`, s3err.InvalidPolicyDocument, "Invalid JSON."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseJSON([]byte(tc.doc))
			if err == nil {
				t.Fatalf("parsed: %+v", p)
			}
			checkCode(t, err, tc.code, tc.msg)
			// The same through base64.
			_, err = Parse(base64.StdEncoding.EncodeToString([]byte(tc.doc)))
			checkCode(t, err, tc.code, tc.msg)
		})
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name, doc string
		want      Policy
	}{
		{"compact-js", `{"expiration":"2026-01-15T13:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key","u/"],["content-length-range",0,1048576]]}`,
			Policy{time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), []Condition{Exact("bucket", "b"), StartsWith("key", "u/"), ContentLengthRange(0, 1048576)}}},
		{"python-spacing", "{\"expiration\": \"2026-01-15T13:00:00Z\", \"conditions\": [{\"acl\": \"private\"}, [\"eq\", \"$key\", \"caf\\u00e9\"]]}",
			Policy{time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), []Condition{Exact("acl", "private"), Eq("key", "café")}}},
		{"milliseconds-crlf", "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",\r\n \"conditions\": [\r\n {\"key\": \"k\" }\r\n ]\r\n}",
			Policy{time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC), []Condition{Exact("key", "k")}}},
		{"offset-expiration", `{"expiration":"2026-01-15T14:00:00+01:00","conditions":[{"key":"k"}]}`,
			Policy{time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), []Condition{Exact("key", "k")}}},
		{"string-range", `{"expiration":"2026-01-15T13:00:00Z","conditions":[["content-length-range","1","10"]]}`,
			Policy{time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), []Condition{ContentLengthRange(1, 10)}}},
		{"conditions-first", `{"conditions":[{"key":"k"}],"expiration":"2026-01-15T13:00:00Z"}`,
			Policy{time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), []Condition{Exact("key", "k")}}},
		{"escapes-and-unicode", `{"expiration":"2026-01-15T13:00:00Z","conditions":[{"x-amz-meta-q":"\"q\" \\ \u2028 \ud83d\ude00 <&>"}]}`,
			Policy{time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), []Condition{Exact("x-amz-meta-q", "\"q\" \\ \u2028 😀 <&>")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseJSON([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*p, tc.want) {
				t.Errorf("got %+v\nwant %+v", *p, tc.want)
			}
		})
	}
	// Unpadded base64 is accepted too.
	doc := `{"expiration":"2026-01-15T13:00:00Z","conditions":[{"key":"k"}]}`
	if _, err := Parse(base64.RawStdEncoding.EncodeToString([]byte(doc))); err != nil {
		t.Errorf("unpadded base64: %v", err)
	}
}

// TestPolicyRoundTrip writes conditions with awkward text in each profile's
// JSON and parses them back.
func TestPolicyRoundTrip(t *testing.T) {
	awkward := []string{"", "plain", `"quoted"`, `back\slash`, "<html> & 'amp'", "line\nbreak\ttab\r\x00\x1f\x7f",
		"\u2028\u2029", "café 日本語 😀 \U0010ffff", "\ufffd", "${filename}", "$key"}
	var conds []Condition
	for i, s := range awkward {
		conds = append(conds, Exact("x-amz-meta-"+s, s), Eq("f"+s+"x", s), StartsWith("f"+s, s), ContentLengthRange(int64(i), int64(i)<<40))
	}
	p := &Policy{Expiration: time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), Conditions: conds}
	doc, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, style := range []jsonStyle{styleJS, stylePython} {
		styled := restyle(doc, style)
		got, err := ParseJSON(styled)
		if err != nil {
			t.Fatalf("style %d: %v\n%s", style, err, styled)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("style %d: round trip\n got %+v\nwant %+v", style, got, p)
		}
		var generic any
		if err := json.Unmarshal(styled, &generic); err != nil {
			t.Errorf("style %d: encoding/json cannot read it: %v", style, err)
		}
	}
}

// Known answers of the three JSON writers for the same value, from
// JSON.stringify (Node 20) and json.dumps (Python 3.11).
func TestRestyle(t *testing.T) {
	v := []any{"a\b\f\x01\x7f<>&\u2028\u2029é😀\"\\/", map[string]any{"k": int64(1)}}
	doc, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		style jsonStyle
		want  string
	}{
		{styleJS, "[\"a\\b\\f\\u0001\x7f<>&\u2028\u2029é😀\\\"\\\\/\",{\"k\":1}]"},
		{stylePython, `["a\b\f\u0001\u007f<>&\u2028\u2029\u00e9\ud83d\ude00\"\\/", {"k": 1}]`},
	} {
		if got := string(restyle(doc, tc.style)); got != tc.want {
			t.Errorf("style %d\n got %s\nwant %s", tc.style, got, tc.want)
		}
	}
	// A backslash followed by "u2028" as text is not an escape.
	doc, _ = marshal(`\u2028`)
	if got := string(restyle(doc, styleJS)); got != `"\\u2028"` {
		t.Errorf("literal text: %s", got)
	}
}

func TestConditionJSON(t *testing.T) {
	for _, tc := range []struct {
		c    Condition
		json string
		str  string
	}{
		{Exact("acl", "public-read"), `{"acl":"public-read"}`, `["eq", "$acl", "public-read"]`},
		{Eq("acl", "a<b>"), `["eq","$acl","a<b>"]`, `["eq", "$acl", "a<b>"]`},
		{StartsWith("Content-Type", ""), `["starts-with","$Content-Type",""]`, `["starts-with", "$Content-Type", ""]`},
		{ContentLengthRange(0, 5368709120), `["content-length-range",0,5368709120]`, `["content-length-range", 0, 5368709120]`},
		{Exact(`q"`, "\\"), `{"q\"":"\\"}`, `["eq", "$q\"", "\\"]`},
	} {
		b, err := json.Marshal(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		// json.Marshal escapes HTML in what MarshalJSON returns; compare
		// MarshalJSON itself.
		b, _ = tc.c.MarshalJSON()
		if string(b) != tc.json {
			t.Errorf("%+v: JSON %s, want %s", tc.c, b, tc.json)
		}
		if s := tc.c.String(); s != tc.str {
			t.Errorf("%+v: String %s, want %s", tc.c, s, tc.str)
		}
		back, err := ParseCondition(b)
		if err != nil || !reflect.DeepEqual(back, tc.c) {
			t.Errorf("%s: parsed back as %+v, %v", b, back, err)
		}
	}
	for _, bad := range []Condition{
		{Op: OpEq}, {Op: "ends-with", Field: "key"}, {Op: OpEq, Field: "$key"}, ContentLengthRange(5, 4),
		ContentLengthRange(-1, 4), {Op: OpStartsWith, Field: "k", Object: true}, Exact("k", "\xff"),
	} {
		if _, err := bad.MarshalJSON(); err == nil || !strings.HasPrefix(err.Error(), "postpolicy: ") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestConditionMatches(t *testing.T) {
	for _, tc := range []struct {
		c     Condition
		value string
		want  bool
	}{
		{Exact("acl", "private"), "private", true},
		{Exact("acl", "private"), "Private", false},
		{Exact("acl", ""), "", true},
		{StartsWith("key", ""), "anything", true},
		{StartsWith("key", "a/"), "a/b", true},
		{StartsWith("key", "a/"), "b/a/", false},
		{StartsWith("Content-Type", "image/"), "image/png,image/gif", true},
		{StartsWith("content-type", "image/"), "image/png, text/plain", false},
		{StartsWith("Content-Type", ""), "a, b", true},
		{StartsWith("x-amz-meta-list", "a"), "a1, b2", true},
		{ContentLengthRange(0, 1), "0", false},
	} {
		if got := tc.c.Matches(tc.value); got != tc.want {
			t.Errorf("%v matches %q = %v, want %v", tc.c, tc.value, got, tc.want)
		}
	}
}

func TestSignInputErrors(t *testing.T) {
	ok := func() *SignInput {
		return &SignInput{Bucket: "b", Key: "k", Credentials: evCreds, Region: "us-east-1", Time: evT0}
	}
	for _, tc := range []struct {
		name string
		mod  func(*SignInput)
		msg  string
	}{
		{"no-bucket", func(in *SignInput) { in.Bucket = "" }, "bucket name is empty"},
		{"no-key", func(in *SignInput) { in.Key = "" }, "object key is empty"},
		{"long-key", func(in *SignInput) { in.Key = strings.Repeat("k", 1025) }, "1025 bytes"},
		{"bad-utf8-key", func(in *SignInput) { in.Key = "\xff" }, "not valid UTF-8"},
		{"no-region", func(in *SignInput) { in.Region = "" }, "region is empty"},
		{"no-time", func(in *SignInput) { in.Time = time.Time{} }, "signing time is zero"},
		{"no-secret", func(in *SignInput) { in.Credentials.SecretAccessKey = "" }, "no secret access key"},
		{"no-key-id", func(in *SignInput) { in.Credentials.AccessKeyID = "" }, "no access key id"},
		{"expires-short", func(in *SignInput) { in.Expires = time.Millisecond }, "out of range"},
		{"expires-long", func(in *SignInput) { in.Expires = MaxExpires + time.Second }, "out of range"},
		{"expires-negative", func(in *SignInput) { in.Expires = -time.Hour }, "out of range"},
		{"profile", func(in *SignInput) { in.Profile = 7 }, "unknown profile"},
		{"field-key", func(in *SignInput) { in.Fields = []Field{{"Key", "x"}} }, "set by the signer"},
		{"field-policy", func(in *SignInput) { in.Fields = []Field{{"policy", "x"}} }, "set by the signer"},
		{"field-signature", func(in *SignInput) { in.Fields = []Field{{"X-Amz-Signature", "x"}} }, "set by the signer"},
		{"field-twice", func(in *SignInput) { in.Fields = []Field{{"acl", "a"}, {"ACL", "b"}} }, "given twice"},
		{"field-no-name", func(in *SignInput) { in.Fields = []Field{{"", "a"}} }, "empty name"},
		{"field-bad-utf8", func(in *SignInput) { in.Fields = []Field{{"x-amz-meta-a", "\xfe"}} }, "not valid UTF-8"},
		{"condition-bad", func(in *SignInput) { in.Conditions = []Condition{ContentLengthRange(2, 1)} }, "not a range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.mod(in)
			_, err := Sign(in)
			if err == nil || !strings.HasPrefix(err.Error(), "postpolicy: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want one with %q", err, tc.msg)
			}
		})
	}
	if _, err := Sign(nil); err == nil {
		t.Error("Sign(nil) succeeded")
	}
	// The SDK profiles take the caller's fields as they are.
	in := ok()
	in.Profile = ProfileJS
	in.Fields = []Field{{"key", "x"}, {"acl", "a"}, {"acl", "b"}}
	if _, err := Sign(in); err != nil {
		t.Errorf("JS profile: %v", err)
	}
}

// TestSignDefaultProfile shows where the default profile differs from JS:
// "${filename}" anywhere in the key.
func TestSignDefaultProfile(t *testing.T) {
	for _, tc := range []struct {
		key  string
		p    Profile
		want Condition
	}{
		{"a/${filename}", ProfileDefault, StartsWith("key", "a/")},
		{"a/${filename}", ProfileJS, StartsWith("key", "a/")},
		{"a/${filename}/b", ProfileDefault, StartsWith("key", "a/")},
		{"a/${filename}/b", ProfileJS, Exact("key", "a/${filename}/b")},
		{"a/${filename}/b", ProfileBotocore, Exact("key", "a/${filename}/b")},
		{"a/${filename}/${filename}", ProfileDefault, StartsWith("key", "a/")},
		{"a/${filename}/${filename}", ProfileJS, StartsWith("key", "a/${filename}/")},
		{"a/b", ProfileDefault, Exact("key", "a/b")},
	} {
		form, err := Sign(&SignInput{Profile: tc.p, Bucket: "b", Key: tc.key, Credentials: evCreds, Region: "us-east-1", Time: evT0})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range form.Policy.Conditions {
			found = found || reflect.DeepEqual(c, tc.want)
		}
		if !found {
			t.Errorf("%s %s: no %v in %v", tc.p, tc.key, tc.want, form.Policy.Conditions)
		}
	}
}

func TestFieldsJSON(t *testing.T) {
	f := Fields{{"z", "1"}, {"a", "<&>"}, {"é", "\"q\""}}
	b, err := json.Marshal(struct {
		F Fields `json:"f"`
	}{f})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"f":{"z":"1","a":"\u003c\u0026\u003e","é":"\"q\""}}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	if v, ok := f.Get("É"); !ok || v != `"q"` {
		t.Errorf("Get(É) = %q, %v", v, ok)
	}
	if v, ok := f.Get("Z"); !ok || v != "1" {
		t.Errorf("Get(Z) = %q, %v", v, ok)
	}
}

func TestProfileString(t *testing.T) {
	for p, want := range map[Profile]string{ProfileDefault: "default", ProfileJS: "js", ProfileBotocore: "botocore"} {
		if p.String() != want {
			t.Errorf("%d: %s", p, p.String())
		}
	}
}

// TestSignIsDeterministic: the same input gives the same bytes, and the
// signature is the SigV4 HMAC of the Policy field.
func TestSignIsDeterministic(t *testing.T) {
	in := &SignInput{Bucket: "b", Key: "k/${filename}", Fields: []Field{{"acl", "private"}}, Credentials: evTemp, Region: "eu-west-1", Time: evT0, Expires: 10 * time.Minute}
	a, err := Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Sign(in)
	if !reflect.DeepEqual(a, b) {
		t.Error("two signatures of one input differ")
	}
	pol, _ := a.Fields.Get("Policy")
	sig, _ := a.Fields.Get("X-Amz-Signature")
	if want := sigv4.SignString(sigv4.DeriveKey(evTemp.SecretAccessKey, "20260115", "eu-west-1", "s3"), pol); sig != want {
		t.Errorf("signature %s, want %s", sig, want)
	}
	if !a.Expires.Equal(evT0.Add(10 * time.Minute)) {
		t.Errorf("expires %v", a.Expires)
	}
	if tok, _ := a.Fields.Get("X-Amz-Security-Token"); tok != evTemp.SessionToken {
		t.Errorf("token %q", tok)
	}
}
