package postpolicy

import (
	"unicode/utf16"
	"unicode/utf8"
)

// The SDKs write the same JSON value in different bytes, and the signature
// covers the bytes. encoding/json writes the value (compact, HTML
// characters unescaped); restyle then changes only what differs:
//
//   - JSON.stringify (JS) writes U+2028 and U+2029 raw, where encoding/json
//     escapes them.
//   - Python's json.dumps (botocore) separates with ", " and ": " and, with
//     ensure_ascii, escapes every character outside ASCII, and DEL, as
//     \uXXXX (lower-case hex, UTF-16 surrogate pairs above U+FFFF).
//
// The input must be encoding/json's compact output: valid UTF-8, no
// whitespace outside strings, escapes only \" \\ \b \f \n \r \t and \u00XX,
// \u2028, \u2029, \ufffd. All three writers agree on those escapes.

type jsonStyle int

const (
	styleJS jsonStyle = iota
	stylePython
)

func restyle(src []byte, style jsonStyle) []byte {
	out := make([]byte, 0, len(src)+len(src)/8)
	inString := false
	for i := 0; i < len(src); {
		c := src[i]
		if !inString {
			out = append(out, c)
			switch c {
			case '"':
				inString = true
			case ',', ':':
				if style == stylePython {
					out = append(out, ' ')
				}
			}
			i++
			continue
		}
		switch {
		case c == '"':
			inString = false
			out = append(out, c)
			i++
		case c == '\\':
			if i+1 < len(src) && src[i+1] == 'u' && i+6 <= len(src) && style == styleJS {
				switch string(src[i+2 : i+6]) {
				case "2028":
					out = utf8.AppendRune(out, '\u2028')
					i += 6
					continue
				case "2029":
					out = utf8.AppendRune(out, '\u2029')
					i += 6
					continue
				}
			}
			// Copy the escape whole: a backslash and the character after
			// it (the hex digits of \u follow as ordinary ASCII).
			out = append(out, c)
			if i+1 < len(src) {
				out = append(out, src[i+1])
			}
			i += 2
		case style == stylePython && c == 0x7f:
			out = appendU(out, 0x7f)
			i++
		case style == stylePython && c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(src[i:])
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				out = appendU(appendU(out, r1), r2)
			} else {
				out = appendU(out, r)
			}
			i += n
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}

func appendU(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
}
