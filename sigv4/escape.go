package sigv4

import (
	"strings"
	"unicode/utf8"
)

// unreserved marks the bytes SigV4 leaves as they are when URI-encoding:
// A-Z, a-z, 0-9, '-', '.', '_' and '~' (RFC 3986 section 2.3).
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~" {
		t[c] = true
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// AppendEscape appends s to dst URI-encoded the SigV4 way: every byte
// except the unreserved ones becomes %XX with upper-case hex digits. With
// keepSlash, '/' is left as it is (for paths).
func AppendEscape(dst []byte, s string, keepSlash bool) []byte {
	return appendEscape(dst, s, keepSlash)
}

// appendEscape is [AppendEscape] for a string or a byte slice: the one
// percent-encoder of the package.
func appendEscape[T string | []byte](dst []byte, s T, keepSlash bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || (keepSlash && c == '/') {
			continue
		}
		// Copy the run of plain bytes in one go, then the escape.
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// Escape returns s URI-encoded the SigV4 way; see [AppendEscape].
func Escape(s string, keepSlash bool) string {
	for i := 0; i < len(s); i++ {
		if !unreserved[s[i]] && !(keepSlash && s[i] == '/') {
			return string(AppendEscape(make([]byte, 0, len(s)+16), s, keepSlash))
		}
	}
	return s
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescape decodes %XX sequences in s; with plusSpace, '+' decodes to a
// space (query strings). It reports false for a malformed escape.
func unescape(s string, plusSpace bool) (string, bool) {
	n := strings.IndexByte(s, '%')
	p := -1
	if plusSpace {
		p = strings.IndexByte(s, '+')
	}
	if n < 0 && p < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) {
				return "", false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			b = append(b, hi<<4|lo)
			i += 2
		case c == '+' && plusSpace:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

// normalizePath removes "." and ".." segments and empty segments from an
// absolute path, keeping a trailing slash, as SigV4 does for services other
// than S3.
func normalizePath(orig string) string {
	if orig == "" {
		return "/"
	}
	// Work on a copy (a new variable: escape analysis is per variable): the
	// segments below live on the heap, and splitting the caller's string
	// would make it move every request there.
	p := strings.Clone(orig)
	trailing := strings.HasSuffix(p, "/")
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	if len(out) == 0 {
		return "/"
	}
	s := "/" + strings.Join(out, "/")
	if trailing {
		s += "/"
	}
	return s
}

// appendFolded appends v trimmed, with each run of white space inside it
// replaced by one space, as SigV4 canonical header values require. White
// space is what the JavaScript SDK's value.trim().replace(/\s+/g, " ")
// takes it to be (ECMAScript's WhiteSpace and LineTerminator: ASCII tab,
// line feed, vertical tab, form feed, carriage return and space, U+00A0,
// U+FEFF, U+2028, U+2029 and the Zs category), so that a header signed by
// that SDK verifies here and one signed here verifies at S3 as the SDK's
// does.
func appendFolded(dst []byte, v string) []byte {
	plain := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return append(dst, v...)
	}
	v = strings.TrimFunc(v, isSpace)
	space := false
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		if isSpace(r) {
			space = true
			i += n
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		// The bytes as given: invalid UTF-8 is kept, not replaced.
		dst = append(dst, v[i:i+n]...)
		i += n
	}
	return dst
}

// isSpace reports whether r is white space to ECMAScript's trim and \s.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff':
		return true
	}
	return '\u2000' <= r && r <= '\u200a'
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
