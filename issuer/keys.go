package issuer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxFilenameBytes bounds the sanitised file name in a key.
const MaxFilenameBytes = 200

// maxFilenameInput is how much of a client's file name is sanitised: four
// times the result, room for removed characters and decomposed forms.
const maxFilenameInput = 4 * MaxFilenameBytes

// reserved are the bytes removed from file names: path separators, the
// characters S3's documentation lists as needing special handling or best
// avoided, and those that are trouble in URLs and shells.
const reserved = "/\\:*?\"<>|#%{}^~[]`&$@=;+,'!"

// SanitizeFilename turns a client's file name into one safe to put in an
// object key: the last path element only (either separator), NFC-normalised,
// with control characters, reserved characters and Unicode format
// characters removed, whitespace runs folded to one space, leading dots and
// spaces trimmed, and at most MaxFilenameBytes bytes, cut on a character
// boundary and keeping the extension. It returns "" when nothing is left.
func SanitizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	// A name far longer than the result is cut before any normalisation,
	// keeping its head and its tail (where the extension is), so that the
	// work is bounded whatever the client sends (a 64 KiB name cost 7 ms
	// of NFC).
	if len(name) > maxFilenameInput {
		tail := len(name) - MaxFilenameBytes
		for tail < len(name) && !utf8.RuneStart(name[tail]) {
			tail++
		}
		name = truncateUTF8(name, maxFilenameInput-MaxFilenameBytes) + name[tail:]
	}
	name = strings.ToValidUTF8(name, "")
	name = norm.NFC.String(name)
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r < 0x20 || r == 0x7f || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r) || r == utf8.RuneError:
			continue
		case r < 0x80 && strings.ContainsRune(reserved, r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	// Removing characters can bring a letter next to a combining mark:
	// normalise again, then trim and bound until nothing changes.
	out := b.String()
	for range 8 { // converges in one or two rounds; bounded all the same
		prev := out
		out = norm.NFC.String(out)
		out = strings.Trim(out, ". ")
		if len(out) > MaxFilenameBytes {
			ext := ""
			if i := strings.LastIndexByte(out, '.'); i > 0 && len(out)-i <= 16 {
				ext = out[i:]
			}
			out = truncateUTF8(out[:len(out)-len(ext)], MaxFilenameBytes-len(ext)) + ext
		}
		if out == prev {
			break
		}
	}
	return out
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// newID returns a random version-4 UUID.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("issuer: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// uploadKey returns a new, unique key for a client's upload:
// "<prefix>/<uuid>/<sanitised filename>".
func uploadKey(prefix, filename string) (string, error) {
	name := SanitizeFilename(filename)
	if name == "" {
		return "", errors.New("the file name is empty once path parts, control and reserved characters are removed")
	}
	return prefix + "/" + newID() + "/" + name, nil
}

// CheckKey reports why key may not be used by a client whose keys live
// under prefix, or nil. It refuses anything that is not plainly a key under
// "prefix/": other prefixes, absolute keys, "." and ".." segments, empty
// segments, backslashes, control characters, invalid UTF-8 and keys that
// are not in NFC (so no two spellings of one name exist). The error is a
// [*KeyError]; for a well-formed key under another prefix it matches
// [ErrOutsidePrefix].
func CheckKey(prefix, key string) error {
	bad := func(format string, args ...any) error { return &KeyError{Msg: fmt.Sprintf(format, args...)} }
	switch {
	case key == "":
		return bad("key is empty")
	case len(key) > 1024:
		return bad("key is %d bytes long; keys are at most 1024", len(key))
	case !utf8.ValidString(key):
		return bad("key is not valid UTF-8")
	case !norm.NFC.IsNormalString(key):
		return bad("key is not in Unicode normal form C")
	case strings.HasPrefix(key, "/"):
		return bad("key is absolute (starts with '/'); keys are relative to your prefix")
	case strings.ContainsRune(key, '\\'):
		return bad("key contains a backslash")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return bad("key contains a control or format character")
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return bad("key has an empty path segment ('//' or a trailing '/')")
		case ".", "..":
			return bad("key has a %q segment", seg)
		}
	}
	if !strings.HasPrefix(key, prefix+"/") {
		return &KeyError{Msg: fmt.Sprintf("key is outside your prefix %q", prefix+"/"), Prefix: prefix + "/"}
	}
	return nil
}
