package inspect

import (
	"strings"
	"testing"

	"github.com/presign-dev/presign/s3err"
)

// TestDiagnosePolicyCondition: S3's refusal of a POST form by its own
// policy names the failed condition, not IAM or bucket policies.
func TestDiagnosePolicyCondition(t *testing.T) {
	for _, tt := range []struct{ msg, want string }{
		{`Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`,
			`the form's fields break its own policy: the condition ["starts-with", "$Content-Type", "image/"] failed. Send the field with a value it allows (for a Content-Type condition, the file's type), or ask for a form that fits the file`},
		{`Invalid according to Policy: Extra input fields: x-amz-meta-owner`,
			`the form has fields its policy does not cover (x-amz-meta-owner): remove them, or ask for a form that allows them`},
	} {
		d := DiagnoseError(nil, s3err.New(s3err.AccessDenied, "%s", tt.msg), Local{})
		if len(d.Causes) == 0 || d.Causes[0].Code != CausePolicyCondition || d.Causes[0].Message != tt.want {
			t.Errorf("%s:\n got %+v\nwant %s", tt.msg, d.Causes, tt.want)
		}
		for _, c := range d.Causes {
			if strings.Contains(c.Message, "IAM") {
				t.Errorf("%s: blamed on IAM: %s", tt.msg, c.Message)
			}
		}
	}
}
