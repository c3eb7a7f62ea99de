package postpolicy

import "github.com/presign-dev/presign/internal/inputerr"

// InputError is the error of [Sign], [ParseProfile] and
// [Condition.MarshalJSON] for an input they refuse. It prints as
// "postpolicy: MSG; HINT". Code that needs to tell errors apart uses
// [errors.As] and the fields, never the text. (The errors of a policy or a
// form as S3 reads them, from [Parse], [ParseCondition] and
// [Evaluator.Evaluate], are S3's: an *[s3err.Error].) Its fields:
//
//   - Field names what is at fault as the Go API spells it, such as
//     "Bucket", "Key", "Expires", "Fields" or "Conditions"; empty when no
//     one field is.
//   - Msg says what is wrong.
//   - Hint says how to fix it, in terms of this package's API; may be empty.
//   - Err is the cause, if any, such as a *[sigv4.InputError], which
//     Unwrap returns.
type InputError = inputerr.Error[inputerr.PostPolicy]

// inputErr returns the *InputError of field with hint and a formatted message.
var inputErr = inputerr.New[inputerr.PostPolicy]

// fromSigv4 takes an error of sigv4's input checks into an *InputError.
var fromSigv4 = inputerr.FromSigv4[inputerr.PostPolicy]
