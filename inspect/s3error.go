package inspect

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"io"
	"strings"

	"github.com/presign-dev/presign/s3err"
)

// maxErrorXML bounds an error document: S3's are a few kilobytes, with the
// canonical request written twice (as text and as hex bytes).
const maxErrorXML = 1 << 20

// ParseErrorXML reads S3's error document: an <Error> root whose children
// are text elements (Code, Message, and the details S3 adds for the code,
// such as StringToSign, Expires or Region). It is strict: another root, an
// element inside a detail, a second document or text outside the elements
// is an error. Values are trimmed of surrounding white space, which
// browsers and pretty-printers add when the body is copied.
//
// The details keep S3's order; Code and Message are not among them. Its
// errors are *[ParseError]s.
func ParseErrorXML(doc []byte) (*s3err.Error, error) {
	if len(doc) > maxErrorXML {
		return nil, parseErr("S3's are a few kilobytes", "the error document is %d bytes", len(doc))
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, parseErr("S3 sends its error as XML in the response body", "the error document is empty")
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var out *s3err.Error
	var cur string // the open detail element
	var text strings.Builder
	depth := 0
	seenCode := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, parseErr("", "the error document is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch depth {
			case 0:
				if out != nil {
					return nil, parseErr("", "the error document has a second root element after </Error>")
				}
				if t.Name.Local != "Error" {
					return nil, parseErr("", "the document's root is <%s>, not S3's <Error>", short(t.Name.Local))
				}
				out = &s3err.Error{}
			case 1:
				cur = t.Name.Local
				text.Reset()
			default:
				return nil, parseErr("", "<%s> in <%s>: S3's error details are text, without elements", short(t.Name.Local), cur)
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 1 {
				v := strings.TrimSpace(text.String())
				switch cur {
				case "Code":
					out.Code = s3err.ErrorCode(v)
					seenCode = true
				case "Message":
					out.Message = v
				default:
					out.Details = append(out.Details, s3err.Detail{Name: cur, Value: v})
				}
			}
		case xml.CharData:
			switch depth {
			case 2:
				text.Write(t)
			case 1, 0:
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, parseErr("", "text %q outside the elements of <Error>", short(strings.TrimSpace(string(t))))
				}
			}
		case xml.Directive:
			return nil, parseErr("S3's has none", "the error document has a <!DOCTYPE> or other directive")
		}
	}
	if out == nil {
		return nil, parseErr("", "the document has no <Error> element")
	}
	if !seenCode || out.Code == "" {
		return nil, parseErr("", "the <Error> has no <Code>")
	}
	return out, nil
}

// detail returns a detail's value, or "".
func detail(e *s3err.Error, name string) string {
	v, _ := e.Detail(name)
	return v
}

// decodeSpacedHex decodes S3's "41 57 53 34 ..." byte dumps. It reports
// false for anything else, such as a dump cut short.
func decodeSpacedHex(s string) (string, bool) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return "", false
	}
	out := make([]byte, len(fields))
	for i, f := range fields {
		if len(f) != 2 {
			return "", false
		}
		b, err := hex.DecodeString(f)
		if err != nil {
			return "", false
		}
		out[i] = b[0]
	}
	return string(out), true
}

// signedText returns S3's canonical request or string to sign from the
// error: the decoded byte dump when it is whole (it keeps every byte), else
// the text element. folded reports a text that lost its line breaks, as a
// copy from a browser's XML view does.
func signedText(e *s3err.Error, name string) (text string, folded, ok bool) {
	t, hasText := e.Detail(name)
	if b, okBytes := decodeSpacedHex(detail(e, name+"Bytes")); okBytes {
		return b, false, true
	}
	if !hasText || t == "" {
		return "", false, false
	}
	return t, !strings.Contains(t, "\n"), true
}
