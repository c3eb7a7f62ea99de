package issuer

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestSanitizeFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cat.jpg", "cat.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\report.pdf`, "report.pdf"},
		{"/absolute/path.txt", "path.txt"},
		{"a\x00b\x1fc\x7f.txt", "abc.txt"},
		{"  many   spaces\tand\ttabs .png ", "many spaces and tabs .png"},
		{"...hidden", "hidden"},
		{"name.", "name"},
		{`we"ird<>|:*?#%{}^~[]` + "`&$@=;+,'!.txt", "weird.txt"},
		{"cafe\u0301.txt", "café.txt"}, // NFD becomes NFC
		{"日本語 ファイル.pdf", "日本語 ファイル.pdf"},
		{"emoji 😀.gif", "emoji 😀.gif"},
		{"right\u202eto\u200bleft.txt", "righttoleft.txt"}, // format characters (bidi override, zero width)
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"..", ""},
		{"/", ""},
		{"", ""},
		{"\x00\x01", ""},
	}
	for _, tt := range tests {
		if got := SanitizeFilename(tt.in); got != tt.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", 150) + ".jpeg"
	got := SanitizeFilename(long)
	if len(got) > MaxFilenameBytes || !strings.HasSuffix(got, ".jpeg") || !utf8.ValidString(got) {
		t.Errorf("long name: %d bytes %q", len(got), got)
	}
}

func TestCheckKey(t *testing.T) {
	const p = "tenants/acme"
	ok := []string{"tenants/acme/x", "tenants/acme/a/b/c.txt", "tenants/acme/日本.txt", "tenants/acme/%2e%2e/x"}
	bad := map[string]string{
		"":                            "empty",
		"tenants/acme":                "outside",
		"tenants/acmeX/x":             "outside",
		"tenants/other/x":             "outside",
		"/tenants/acme/x":             "absolute",
		"tenants/acme/../other/x":     `".." segment`,
		"tenants/acme/./x":            `"." segment`,
		"tenants/acme//x":             "empty path segment",
		"tenants/acme/x/":             "empty path segment",
		`tenants/acme\..\other`:       "backslash",
		"tenants/acme/\x00":           "control",
		"tenants/acme/a\u202eb":       "format",
		"tenants/acme/\xff":           "UTF-8",
		"tenants/acme/cafe\u0301":     "normal form",
		"tenants/аcme/x":              "outside", // Cyrillic а: a look-alike prefix
		strings.Repeat("a", 1025):     "1024",
		"tenants/acme/" + "../../etc": `".." segment`,
	}
	for _, k := range ok {
		if err := CheckKey(p, k); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", k, err)
		}
	}
	for k, want := range bad {
		err := CheckKey(p, k)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckKey(%q) = %v, want an error containing %q", k, err, want)
		}
		var ke *KeyError
		if !errors.As(err, &ke) || !strings.Contains(ke.Msg, want) || !strings.HasPrefix(err.Error(), "issuer: ") {
			t.Errorf("CheckKey(%q) = %#v, want a *KeyError", k, err)
			continue
		}
		if outside := want == "outside"; errors.Is(err, ErrOutsidePrefix) != outside || (ke.Prefix == p+"/") != outside {
			t.Errorf("CheckKey(%q): errors.Is(ErrOutsidePrefix) = %v, Prefix %q", k, errors.Is(err, ErrOutsidePrefix), ke.Prefix)
		}
	}
}

func TestUploadKey(t *testing.T) {
	k1, err := uploadKey("web", "../x/cat.jpg")
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := uploadKey("web", "cat.jpg")
	if k1 == k2 || !strings.HasPrefix(k1, "web/") || !strings.HasSuffix(k1, "/cat.jpg") {
		t.Errorf("keys %q %q", k1, k2)
	}
	if err := CheckKey("web", k1); err != nil {
		t.Errorf("generated key %q fails CheckKey: %v", k1, err)
	}
	if _, err := uploadKey("web", "/../"); err == nil {
		t.Error("empty file name accepted")
	}
}

// FuzzSanitizeFilename: whatever a client sends, the sanitised name is a
// single safe path segment and the key built from it passes CheckKey.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"cat.jpg", "../../x", `a\b`, "\x00", "é\u0301", "..", strings.Repeat("ab", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s := SanitizeFilename(name)
		if s == "" {
			return
		}
		if strings.ContainsAny(s, `/\`) || s == "." || s == ".." || len(s) > MaxFilenameBytes ||
			!utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || SanitizeFilename(s) != s {
			t.Fatalf("SanitizeFilename(%q) = %q", name, s)
		}
		if err := CheckKey("p", "p/"+newID()+"/"+s); err != nil {
			t.Fatalf("key from %q refused: %v", name, err)
		}
	})
}

// TestSanitizeFilenameLong: a name far over the limit (the API's whole
// 64 KiB body) is cut before it is normalised, keeping its extension, so
// its cost does not grow with it (BENCHMARKS.md, hostile requests).
func TestSanitizeFilenameLong(t *testing.T) {
	for _, name := range []string{
		strings.Repeat("e\u0301", 16<<10) + ".jpg",
		strings.Repeat("a", 64<<10) + ".tar.gz",
		strings.Repeat("\x01", 64<<10) + "x.png",
	} {
		got := SanitizeFilename(name)
		if len(got) > MaxFilenameBytes || !utf8.ValidString(got) {
			t.Errorf("%d bytes in: %d bytes out (%q...)", len(name), len(got), got[:min(len(got), 20)])
		}
		if ext := name[strings.LastIndexByte(name, '.'):]; !strings.HasSuffix(got, ext) {
			t.Errorf("%d bytes in: %q lost the extension %q", len(name), got, ext)
		}
	}
}
