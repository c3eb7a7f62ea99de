package objstore

import (
	"strings"
	"unicode/utf8"
)

// MaxKeyLength is the longest key in bytes.
const MaxKeyLength = 1024

// CheckKey returns ErrInvalidKey unless key is 1 to [MaxKeyLength] bytes of
// valid UTF-8. Every other string is a key, "/" runs, "." and ".." segments
// and control characters included.
func CheckKey(key string) error {
	if key == "" || len(key) > MaxKeyLength || !utf8.ValidString(key) {
		return ErrInvalidKey
	}
	return nil
}

// CheckBucketName returns ErrInvalidBucketName unless name follows S3's
// rules for bucket names: 3 to 63 lower-case letters, digits, dots and
// hyphens, starting and ending with a letter or digit, with no two adjacent
// dots, and not formatted as an IPv4 address. Such a name is also a safe
// single path element: it is never "", "." or "..", and holds no separator.
func CheckBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return ErrInvalidBucketName
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return ErrInvalidBucketName
			}
		default:
			return ErrInvalidBucketName
		}
	}
	if strings.Contains(name, "..") || isIPv4(name) {
		return ErrInvalidBucketName
	}
	return nil
}

// isIPv4 reports whether s is four dot-separated runs of 1 to 3 digits, the
// shape S3 refuses (it does not check that each is at most 255).
func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

// CheckMetadata returns ErrInvalidArgument unless every string in m, map
// keys included, is valid UTF-8.
func CheckMetadata(m *Metadata) error {
	for _, s := range []string{m.ContentType, m.ContentEncoding, m.ContentDisposition,
		m.ContentLanguage, m.CacheControl, m.Expires, m.Tagging, m.StorageClass, m.ChecksumType} {
		if !utf8.ValidString(s) {
			return ErrInvalidArgument
		}
	}
	for _, mm := range []map[string]string{m.User, m.Checksums} {
		for k, v := range mm {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return ErrInvalidArgument
			}
		}
	}
	return nil
}
