package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presign-dev/presign/s3err"
)

// Op is the operator of a [Condition].
type Op string

// The operators S3 knows.
const (
	// OpEq requires a field to equal a value: {"acl": "public-read"} or
	// ["eq", "$acl", "public-read"].
	OpEq Op = "eq"
	// OpStartsWith requires a field to start with a prefix; an empty prefix
	// allows any value: ["starts-with", "$key", "uploads/"].
	OpStartsWith Op = "starts-with"
	// OpContentLengthRange bounds the size of the uploaded file, in bytes,
	// both ends included: ["content-length-range", 1, 10485760].
	OpContentLengthRange Op = "content-length-range"
)

// Condition is one entry of a policy's conditions.
type Condition struct {
	// Op is the operator.
	Op Op
	// Field is the form field the condition is about, without the leading
	// "$", such as "key" or "Content-Type". Names are case-insensitive.
	// Empty for OpContentLengthRange.
	Field string
	// Value is the value (OpEq) or prefix (OpStartsWith).
	Value string
	// Min and Max are the size bounds of OpContentLengthRange.
	Min, Max int64
	// Object writes an OpEq condition in its object form {"field": "value"}
	// rather than ["eq", "$field", "value"]. The two mean the same.
	Object bool
}

// Exact returns the exact-match condition {"field": "value"}.
func Exact(field, value string) Condition {
	return Condition{Op: OpEq, Field: field, Value: value, Object: true}
}

// Eq returns the exact-match condition ["eq", "$field", "value"].
func Eq(field, value string) Condition { return Condition{Op: OpEq, Field: field, Value: value} }

// StartsWith returns ["starts-with", "$field", "prefix"]. An empty prefix
// allows any value of the field.
func StartsWith(field, prefix string) Condition {
	return Condition{Op: OpStartsWith, Field: field, Value: prefix}
}

// ContentLengthRange returns ["content-length-range", min, max]: the
// uploaded file must be min to max bytes long, both included.
func ContentLengthRange(min, max int64) Condition {
	return Condition{Op: OpContentLengthRange, Min: min, Max: max}
}

// check reports what makes c impossible to write.
func (c Condition) check() error {
	switch c.Op {
	case OpEq, OpStartsWith:
		if c.Field == "" {
			return inputErr("Conditions", "", "%s condition has no field name", c.Op)
		}
		if strings.HasPrefix(c.Field, "$") {
			return inputErr("Conditions", "", "condition field %q must be given without the leading '$'", c.Field)
		}
		if c.Object && c.Op != OpEq {
			return inputErr("Conditions", "", "only an eq condition has an object form")
		}
		if !utf8.ValidString(c.Field) || !utf8.ValidString(c.Value) {
			return inputErr("Conditions", "", "condition on %q is not valid UTF-8", c.Field)
		}
	case OpContentLengthRange:
		if c.Min < 0 || c.Max < c.Min {
			return inputErr("Conditions", "give 0 <= min <= max", "content-length-range %d to %d is not a range", c.Min, c.Max)
		}
	default:
		return inputErr("Conditions", "use eq, starts-with or content-length-range", "unknown condition operator %q", c.Op)
	}
	return nil
}

// MarshalJSON writes c as S3 reads it: {"field":"value"},
// ["eq","$field","value"], ["starts-with","$field","prefix"] or
// ["content-length-range",min,max]. HTML characters are not escaped.
func (c Condition) MarshalJSON() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	switch {
	case c.Op == OpContentLengthRange:
		return marshal([]any{string(c.Op), c.Min, c.Max})
	case c.Object:
		return marshal(map[string]string{c.Field: c.Value})
	}
	return marshal([]any{string(c.Op), "$" + c.Field, c.Value})
}

// String returns c the way S3 quotes a condition in an error message:
// ["eq", "$key", "a.txt"] (an object form is quoted in its list form).
func (c Condition) String() string {
	var parts []any
	if c.Op == OpContentLengthRange {
		parts = []any{string(c.Op), c.Min, c.Max}
	} else {
		parts = []any{string(c.Op), "$" + c.Field, c.Value}
	}
	s := make([]string, len(parts))
	for i, p := range parts {
		b, err := marshal(p)
		if err != nil {
			return "[?]"
		}
		s[i] = string(b)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// Matches reports whether a field value meets an eq or starts-with
// condition. As S3 does, a starts-with on Content-Type holding a
// comma-separated list requires every entry to start with the prefix.
func (c Condition) Matches(value string) bool {
	switch c.Op {
	case OpEq:
		return value == c.Value
	case OpStartsWith:
		if c.Value != "" && strings.EqualFold(c.Field, "content-type") && strings.Contains(value, ",") {
			for _, part := range strings.Split(value, ",") {
				if !strings.HasPrefix(strings.TrimSpace(part), c.Value) {
					return false
				}
			}
			return true
		}
		return strings.HasPrefix(value, c.Value)
	}
	return false
}

// Policy is a POST policy document.
type Policy struct {
	// Expiration is when the policy stops allowing uploads.
	Expiration time.Time
	// Conditions are the rules every form must meet.
	Conditions []Condition
}

// ExpirationFormat is how the SDKs write the expiration: ISO 8601 in UTC,
// whole seconds.
const ExpirationFormat = "2006-01-02T15:04:05Z"

// policyJSON fixes the order of the document's two members.
type policyJSON struct {
	Expiration string      `json:"expiration"`
	Conditions []Condition `json:"conditions"`
}

// rawPolicyJSON is policyJSON with the conditions already written.
type rawPolicyJSON struct {
	Expiration string            `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

// MarshalJSON writes p compactly, expiration first, in whole seconds.
func (p *Policy) MarshalJSON() ([]byte, error) {
	conds := p.Conditions
	if conds == nil {
		conds = []Condition{}
	}
	return marshal(policyJSON{Expiration: p.Expiration.UTC().Format(ExpirationFormat), Conditions: conds})
}

// marshal is json.Marshal without HTML escaping, which the SDKs do not do.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Errors of a malformed policy, with S3's messages.
func invalidPolicy(format string, args ...any) *s3err.Error {
	return s3err.New(s3err.InvalidPolicyDocument, "Invalid Policy: "+format, args...)
}

const errInvalidJSON = "Invalid JSON."

// Parse decodes a base64 policy, the value of a form's Policy field, and
// parses it with [ParseJSON]. Padding is optional. Errors are *[s3err.Error]s
// with the code InvalidPolicyDocument.
func Parse(b64 string) (*Policy, error) {
	if b64 == "" {
		return nil, invalidPolicy("Expecting '{' but found End-of-Input")
	}
	doc, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		doc, err = base64.RawStdEncoding.Strict().DecodeString(b64)
	}
	if err != nil {
		return nil, invalidPolicy("invalid Base64 encoding.")
	}
	return ParseJSON(doc)
}

// ParseJSON parses a policy document strictly: it must be UTF-8 JSON, one
// object with exactly the members "expiration" (an ISO 8601 time) and
// "conditions" (a non-empty list), no member twice, and every condition
// well-formed (see [ParseCondition]). Whitespace, line breaks (the S3
// documentation's example has CRLF) and fractional seconds are accepted.
func ParseJSON(doc []byte) (*Policy, error) {
	if !utf8.Valid(doc) {
		return nil, invalidPolicy("%s", errInvalidJSON)
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, invalidPolicy("Expecting '{' but found End-of-Input")
	}
	v, err := decodeStrict(doc)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(object)
	if !ok {
		return nil, invalidPolicy("%s", errInvalidJSON)
	}
	var exp, conds any
	var haveExp, haveConds bool
	for _, m := range obj {
		switch m.name {
		case "expiration":
			exp, haveExp = m.value, true
		case "conditions":
			conds, haveConds = m.value, true
		default:
			return nil, invalidPolicy("Unexpected: %q", m.name)
		}
	}
	if !haveExp {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	p := &Policy{}
	es, ok := exp.(string)
	if !ok {
		return nil, invalidPolicy("Invalid 'expiration' value: '%s'", rawText(exp))
	}
	t, err := time.Parse(time.RFC3339Nano, es)
	if err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '%s'", es)
	}
	p.Expiration = t.UTC()
	if !haveConds {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	list, ok := conds.([]any)
	if !ok {
		return nil, invalidPolicy("Invalid 'conditions' value: must be a List.")
	}
	if len(list) == 0 {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	p.Conditions = make([]Condition, 0, len(list))
	for _, item := range list {
		c, err := conditionFrom(item)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, c)
	}
	return p, nil
}

// ParseCondition parses one condition strictly: an object with exactly one
// member whose value is a string, or a list ["eq" | "starts-with",
// "$field", "value"] or ["content-length-range", min, max] where min and
// max are integers (or strings of digits) with 0 <= min <= max. Operators
// are case-sensitive. Errors are *[s3err.Error]s.
func ParseCondition(data []byte) (Condition, error) {
	if !utf8.Valid(data) {
		return Condition{}, invalidPolicy("%s", errInvalidJSON)
	}
	v, err := decodeStrict(data)
	if err != nil {
		return Condition{}, err
	}
	return conditionFrom(v)
}

func conditionFrom(v any) (Condition, error) {
	switch x := v.(type) {
	case object:
		if len(x) != 1 {
			return Condition{}, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		val, ok := x[0].value.(string)
		if !ok {
			return Condition{}, invalidPolicy("Invalid Simple-Condition: value must be a string.")
		}
		if x[0].name == "" {
			return Condition{}, invalidPolicy("Invalid Simple-Condition: the field name is empty.")
		}
		return Exact(x[0].name, val), nil
	case []any:
		if len(x) == 0 {
			return Condition{}, invalidPolicy("Invalid Condition: missing operation identifier.")
		}
		op, ok := x[0].(string)
		if !ok {
			return Condition{}, invalidPolicy("%s", errInvalidJSON)
		}
		switch Op(op) {
		case OpEq, OpStartsWith:
			if len(x) != 3 {
				return Condition{}, invalidPolicy("Invalid %s: wrong number of arguments.", op)
			}
			ref, ok1 := x[1].(string)
			val, ok2 := x[2].(string)
			if !ok1 || !ok2 {
				return Condition{}, invalidPolicy("%s", errInvalidJSON)
			}
			c := Condition{Op: Op(op), Field: strings.TrimPrefix(ref, "$"), Value: val}
			if !strings.HasPrefix(ref, "$") || len(ref) == 1 {
				return Condition{}, conditionFailed(c)
			}
			return c, nil
		case OpContentLengthRange:
			if len(x) != 3 {
				return Condition{}, invalidPolicy("Invalid %s: wrong number of arguments.", op)
			}
			min, ok1 := integer(x[1])
			max, ok2 := integer(x[2])
			if !ok1 || !ok2 {
				return Condition{}, invalidPolicy("%s", errInvalidJSON)
			}
			if min < 0 || max < min {
				return Condition{}, invalidPolicy("Invalid content-length-range: expecting 0 <= min <= max, found %d and %d.", min, max)
			}
			return ContentLengthRange(min, max), nil
		}
		return Condition{}, invalidPolicy("Invalid Condition: unknown operation '%s'.", op)
	}
	return Condition{}, invalidPolicy("Invalid condition test: must be a List or Object.")
}

func conditionFailed(c Condition) *s3err.Error {
	return s3err.New(s3err.AccessDenied, "Invalid according to Policy: Policy Condition failed: %s", c.String())
}

// integer accepts a JSON integer or a string of decimal digits.
func integer(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// rawText renders a decoded value for an error message.
func rawText(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	case string:
		return x
	}
	return fmt.Sprintf("%T", v)
}

// object is a decoded JSON object with its members in document order.
type object []member

type member struct {
	name  string
	value any
}

// maxDepth bounds nesting; a policy needs three levels.
const maxDepth = 16

// decodeStrict decodes one JSON value and nothing after it, refusing
// duplicate object members. Objects become object, arrays []any, numbers
// json.Number.
func decodeStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidPolicy("%s", errInvalidJSON)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, invalidPolicy("%s", errInvalidJSON)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, invalidPolicy("%s", errInvalidJSON)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj object
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, invalidPolicy("%s", errInvalidJSON)
				}
				name, ok := k.(string)
				if !ok {
					return nil, invalidPolicy("%s", errInvalidJSON)
				}
				for _, m := range obj {
					if m.name == name {
						if depth == 0 {
							return nil, invalidPolicy("Duplicate key %q.", name)
						}
						return nil, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
					}
				}
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj = append(obj, member{name, val})
			}
			if _, err := dec.Token(); err != nil {
				return nil, invalidPolicy("%s", errInvalidJSON)
			}
			if obj == nil {
				obj = object{}
			}
			return obj, nil
		case '[':
			list := []any{}
			for dec.More() {
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, invalidPolicy("%s", errInvalidJSON)
			}
			return list, nil
		}
		return nil, invalidPolicy("%s", errInvalidJSON)
	}
	return tok, nil
}
