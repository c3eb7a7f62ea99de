package postpolicy

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

var fuzzDocs = []string{
	`{"expiration":"2026-01-15T13:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key","u/"],["content-length-range",0,1048576]]}`,
	`{"expiration": "2026-01-15T13:00:00.000Z", "conditions": [{"acl": "private"}, ["eq", "$key", "caf\u00e9"]]}`,
	`{"expiration":"2026-01-15T13:00:00Z","conditions":[["content-length-range","1","10"],{"a":"b","c":"d"}]}`,
	`{"conditions":[{"key":"k"}],"expiration":"2026-01-15T13:00:00+01:00","x":1}`,
	`{"expiration":"2026-01-15T13:00:00Z","conditions":[[],[1],null,"s",{"":""}]}`,
	`{"expiration":"2026-01-15T13:00:00Z","expiration":"x","conditions":[[[[[]]]]]}`,
}

// FuzzParse: the parser never panics, refuses with an *s3err.Error, and
// what it accepts writes back to JSON that parses to the same policy.
func FuzzParse(f *testing.F) {
	for _, d := range fuzzDocs {
		f.Add([]byte(d))
	}
	doc, _ := base64.StdEncoding.DecodeString(docsPolicyB64)
	f.Add(doc)
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParseJSON(doc)
		if err != nil {
			var se *s3err.Error
			if !errors.As(err, &se) || (se.Code != s3err.InvalidPolicyDocument && se.Code != s3err.AccessDenied) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		if len(p.Conditions) == 0 {
			t.Fatal("accepted a policy without conditions")
		}
		for _, c := range p.Conditions {
			if strings.HasPrefix(c.Field, "$") {
				return // an object-form field named "$..." cannot be built with Exact
			}
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a parsed policy: %v", err)
		}
		for _, style := range []jsonStyle{styleJS, stylePython} {
			back, err := ParseJSON(restyle(out, style))
			if err != nil {
				t.Fatalf("reparse (style %d) of %s: %v", style, out, err)
			}
			want := *p
			want.Expiration = p.Expiration.Truncate(time.Second)
			if !reflect.DeepEqual(*back, want) {
				t.Fatalf("round trip (style %d)\n got %+v\nwant %+v", style, back, want)
			}
		}
		// Parse of the base64 agrees with ParseJSON.
		if q, err := Parse(base64.StdEncoding.EncodeToString(doc)); err != nil || !reflect.DeepEqual(q, p) {
			t.Fatalf("Parse disagrees: %v", err)
		}
	})
}

// FuzzEvaluate signs a fuzzed policy, adds fuzzed fields to the form, and
// evaluates it: no panic, every refusal an *s3err.Error with an HTTP status
// of its own, and every acceptance consistent with the policy.
func FuzzEvaluate(f *testing.F) {
	for _, d := range fuzzDocs {
		f.Add(d, "key=u/${filename}\nbucket=b\nacl=private", "photo.png", int64(60))
	}
	f.Add(`{"expiration":"2026-01-15T13:00:00Z","conditions":[["starts-with","$key",""],["starts-with","$x-amz-credential",""],["starts-with","$x-amz-date",""],{"x-amz-algorithm":"AWS4-HMAC-SHA256"},["starts-with","$Content-Type","image/"]]}`,
		"key=${filename}\nContent-Type=image/png, image/gif\nx-ignore-a=1", "a.png", int64(0))
	f.Fuzz(func(t *testing.T, doc, extra, filename string, age int64) {
		b64 := base64.StdEncoding.EncodeToString([]byte(doc))
		fields := rawFormB64(b64, evCreds)
		fields = del(fields, "key")
		for _, line := range strings.Split(extra, "\n") {
			name, value, _ := strings.Cut(line, "=")
			fields = append(fields, Field{name, value})
		}
		ev := &Evaluator{
			Lookup: func(id string) (sigv4.Credentials, bool) { return evCreds, id == evCreds.AccessKeyID },
			Now:    func() time.Time { return evT0.Add(time.Duration(age) * time.Second) },
		}
		in := &EvaluateInput{Bucket: "b", Fields: fields, Filename: filename}
		up, err := ev.Evaluate(in)
		if err != nil {
			var se *s3err.Error
			if !errors.As(err, &se) || se.Status() == 500 || se.Message == "" {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		p, perr := Parse(b64)
		if perr != nil {
			t.Fatalf("accepted a form whose policy does not parse: %v", perr)
		}
		if !ev.Now().Before(p.Expiration) {
			t.Fatal("accepted an expired policy")
		}
		if up.Key == "" || len(up.Key) > 1024 {
			t.Fatalf("bad key %q", up.Key)
		}
		for _, fl := range fields {
			l := strings.ToLower(fl.Name)
			if exempt(l) {
				continue
			}
			covered := false
			for _, c := range p.Conditions {
				covered = covered || (c.Op != OpContentLengthRange && strings.EqualFold(c.Field, fl.Name))
			}
			if !covered {
				t.Fatalf("field %q has no condition but was accepted", fl.Name)
			}
		}
		if up.Limits.Max > MaxObjectSize || up.Limits.Min < 0 {
			t.Fatalf("limits %+v", up.Limits)
		}
	})
}
