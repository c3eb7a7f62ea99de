package sigv4

// InputError is the error of [Credentials.Validate] and [CheckExpires] for
// an input that cannot be signed. It prints as "sigv4: MSG"; packages that
// check their inputs with these functions take Msg into errors of their own
// rather than trimming the text.
type InputError struct {
	// Field names the input at fault as the Go API spells it, such as
	// "AccessKeyID" or "Expires".
	Field string
	// Msg says what is wrong.
	Msg string
}

// Error returns "sigv4: MSG".
func (e *InputError) Error() string { return "sigv4: " + e.Msg }
