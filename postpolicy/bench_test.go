package postpolicy

import (
	"fmt"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// benchInput is a typical browser upload form: a key prefix, a content
// type, a size range, a success status and a session token.
func benchInput(p Profile) *SignInput {
	return &SignInput{
		Profile: p,
		URL:     "https://examplebucket.s3.us-east-1.amazonaws.com/",
		Bucket:  "examplebucket", Key: "users/42/uploads/${filename}",
		Fields: []Field{{"Content-Type", "image/png"}, {"success_action_status", "201"}},
		Conditions: []Condition{
			StartsWith("Content-Type", "image/"),
			ContentLengthRange(1, 10<<20),
		},
		Credentials: evTemp, Region: "us-east-1", Time: evT0, Expires: 15 * time.Minute,
	}
}

func benchmarkSign(b *testing.B, p Profile) {
	in := benchInput(p)
	if p == ProfileBotocore {
		in.Conditions = append(in.Conditions, Exact("Content-Type", "image/png"), Exact("success_action_status", "201"))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign builds and signs a policy (default profile).
func BenchmarkSign(b *testing.B)         { benchmarkSign(b, ProfileDefault) }
func BenchmarkSignJS(b *testing.B)       { benchmarkSign(b, ProfileJS) }
func BenchmarkSignBotocore(b *testing.B) { benchmarkSign(b, ProfileBotocore) }

// BenchmarkEvaluate checks the benchInput form as a server does, signing
// key cached as it is after the first upload of the day.
func BenchmarkEvaluate(b *testing.B) {
	form, err := Sign(benchInput(ProfileDefault))
	if err != nil {
		b.Fatal(err)
	}
	ev := &Evaluator{
		Lookup: func(id string) (sigv4.Credentials, bool) { return evTemp, id == evTemp.AccessKeyID },
		Region: "us-east-1",
		Now:    func() time.Time { return evT0.Add(time.Minute) },
	}
	in := &EvaluateInput{Bucket: "examplebucket", Fields: form.Fields, Filename: "cat.png"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ev.Evaluate(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse parses the S3 documentation's example policy.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(docsPolicyB64); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateManyFields evaluates a form of n empty fields with no
// signature: the work anyone can cause without credentials. It must grow
// linearly with n (BENCHMARKS.md has the figures).
func BenchmarkEvaluateManyFields(b *testing.B) {
	ev := &Evaluator{
		Lookup: func(id string) (sigv4.Credentials, bool) { return evTemp, id == evTemp.AccessKeyID },
		Region: "us-east-1",
		Now:    func() time.Time { return evT0.Add(time.Minute) },
	}
	for _, n := range []int{1000, 2000, 4000, 8000, 16000} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			in := &EvaluateInput{Bucket: "examplebucket"}
			for i := 0; i < n; i++ {
				in.Fields = append(in.Fields, Field{fmt.Sprintf("f%d", i), ""})
			}
			for b.Loop() {
				ev.Evaluate(in)
			}
		})
	}
}
