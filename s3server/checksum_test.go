package s3server

import (
	"encoding/base64"
	"errors"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/presign-dev/presign/s3err"
)

// TestCRC64NVMECheck checks the CRC-64/NVME check value, the CRC of
// "123456789", from the catalogue of parametrised CRC algorithms
// (reveng.sourceforge.io/crc-catalogue, CRC-64/NVME: check 0xae8b14860a799888).
func TestCRC64NVMECheck(t *testing.T) {
	if got := updateCRC64NVME(0, []byte("123456789")); got != 0xae8b14860a799888 {
		t.Fatalf("CRC-64/NVME(123456789) = %#x, want 0xae8b14860a799888", got)
	}
}

// TestCRC64NVMEMatchesStdlib compares the slicing-by-8 implementation with
// hash/crc64's table for the same reflected polynomial, at every length
// around the 8-byte stride and split across writes.
func TestCRC64NVMEMatchesStdlib(t *testing.T) {
	tab := crc64.MakeTable(crc64NVMEPoly)
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i*7 + i>>3)
	}
	for n := 0; n <= len(data); n++ {
		want := crc64.Checksum(data[:n], tab)
		if got := updateCRC64NVME(0, data[:n]); got != want {
			t.Fatalf("len %d: %#x, want %#x", n, got, want)
		}
		d := newCRC64NVME()
		d.Write(data[:n/3])
		d.Write(data[n/3 : n/2])
		d.Write(data[n/2 : n])
		if d.Sum64() != want {
			t.Fatalf("len %d in three writes: %#x, want %#x", n, d.Sum64(), want)
		}
	}
}

// TestChecksumKnownAnswers pins each algorithm's base64 checksum of
// "Hello world" and of the empty string. The SHA-256 value is the one in
// aws-sdk-go-v2's aws-chunked example; the CRC32 of "" is the AAAAAA== the
// JS SDK sends for an empty body.
func TestChecksumKnownAnswers(t *testing.T) {
	tests := []struct {
		alg, data, want string
	}{
		{"CRC32", "", "AAAAAA=="},
		{"CRC32", "Hello world", "i9aeUg=="},
		{"CRC32C", "Hello world", "crUfeA=="},
		{"CRC64NVME", "", "AAAAAAAAAAA="},
		{"CRC64NVME", "123456789", "rosUhgp5mIg="},
		{"SHA1", "Hello world", "e1AsOh9IyGCa4hLN+2Od7jlnP14="},
		{"SHA256", "Hello world", "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="},
	}
	for _, tt := range tests {
		a := algByName(tt.alg)
		if got := a.checksumOf([]byte(tt.data)); got != tt.want {
			t.Errorf("%s(%q) = %s, want %s", tt.alg, tt.data, got, tt.want)
		}
		if !a.valid(tt.want) {
			t.Errorf("%s: %s is not valid", tt.alg, tt.want)
		}
	}
}

func code(err error) s3err.ErrorCode {
	var se *s3err.Error
	if errors.As(err, &se) {
		return se.Code
	}
	if err == nil {
		return ""
	}
	return "not an s3err: " + s3err.ErrorCode(err.Error())
}

func TestParseIntegrity(t *testing.T) {
	crc := algByName("CRC32").checksumOf([]byte("abc"))
	tests := []struct {
		name    string
		header  map[string]string
		alg     string
		trailer bool
		code    s3err.ErrorCode
	}{
		{"none", nil, "", false, ""},
		{"md5", map[string]string{"Content-MD5": "kAFQmDzST7DWlj99KOF/cg=="}, "", false, ""},
		{"md5 malformed", map[string]string{"Content-MD5": "nope"}, "", false, s3err.InvalidDigest},
		{"md5 short", map[string]string{"Content-MD5": "AAAA"}, "", false, s3err.InvalidDigest},
		{"crc32", map[string]string{"x-amz-checksum-crc32": crc}, "CRC32", false, ""},
		{"crc32 malformed", map[string]string{"x-amz-checksum-crc32": "AAAAAAAA"}, "", false, s3err.InvalidRequest},
		{"two checksums", map[string]string{"x-amz-checksum-crc32": crc, "x-amz-checksum-crc32c": crc}, "", false, s3err.InvalidRequest},
		{"unknown algorithm header", map[string]string{"x-amz-checksum-md4": crc}, "", false, s3err.InvalidRequest},
		{"trailer", map[string]string{"x-amz-trailer": "x-amz-checksum-crc64nvme"}, "CRC64NVME", true, ""},
		{"trailer not a checksum", map[string]string{"x-amz-trailer": "x-amz-meta-a"}, "", false, s3err.InvalidRequest},
		{"trailer and header", map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-checksum-crc32": crc}, "", false, s3err.InvalidRequest},
		{"sdk algorithm only", map[string]string{"x-amz-sdk-checksum-algorithm": "sha256"}, "SHA256", false, ""},
		{"sdk algorithm unknown", map[string]string{"x-amz-sdk-checksum-algorithm": "MD5"}, "", false, s3err.InvalidRequest},
		{"sdk algorithm contradicts", map[string]string{"x-amz-sdk-checksum-algorithm": "SHA1", "x-amz-checksum-crc32": crc}, "", false, s3err.InvalidRequest},
		{"mode is not a checksum", map[string]string{"x-amz-checksum-mode": "ENABLED"}, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			in, err := parseIntegrity(h)
			if c := code(err); c != tt.code {
				t.Fatalf("code %q, want %q (%v)", c, tt.code, err)
			}
			if err != nil {
				return
			}
			got := ""
			if in.alg != nil {
				got = in.alg.name
			}
			if got != tt.alg || in.trailer != tt.trailer {
				t.Errorf("alg %q trailer %v, want %q %v", got, in.trailer, tt.alg, tt.trailer)
			}
		})
	}
}

func TestCheckedBody(t *testing.T) {
	const body = "Hello world"
	md5OK := "PiWWCnnbxptnTNTsZ6csYg=="
	sha := algByName("SHA256")
	tests := []struct {
		name     string
		decl     integrity
		fallback string
		trailers map[string]string
		code     s3err.ErrorCode
		sums     map[string]string
	}{
		{"nothing declared", integrity{}, "", nil, "", nil},
		{"fallback computed", integrity{}, "CRC64NVME", nil, "", map[string]string{"CRC64NVME": algByName("CRC64NVME").checksumOf([]byte(body))}},
		{"md5 ok", integrity{md5: b64(md5OK)}, "", nil, "", nil},
		{"md5 wrong", integrity{md5: b64("AAAAAAAAAAAAAAAAAAAAAA==")}, "", nil, s3err.BadDigest, nil},
		{"header ok", integrity{alg: sha, value: sha.checksumOf([]byte(body))}, "", nil, "", map[string]string{"SHA256": sha.checksumOf([]byte(body))}},
		{"header wrong", integrity{alg: sha, value: sha.checksumOf([]byte("other"))}, "", nil, s3err.BadDigest, nil},
		{"trailer ok", integrity{alg: sha, trailer: true}, "", map[string]string{"x-amz-checksum-sha256": sha.checksumOf([]byte(body))}, "", map[string]string{"SHA256": sha.checksumOf([]byte(body))}},
		{"trailer wrong", integrity{alg: sha, trailer: true}, "", map[string]string{"x-amz-checksum-sha256": sha.checksumOf([]byte("x"))}, s3err.BadDigest, nil},
		{"trailer missing", integrity{alg: sha, trailer: true}, "", map[string]string{}, s3err.IncompleteBody, nil},
		{"trailer malformed", integrity{alg: sha, trailer: true}, "", map[string]string{"x-amz-checksum-sha256": "abc"}, s3err.InvalidRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fb *checksumAlg
			if tt.fallback != "" {
				fb = algByName(tt.fallback)
			}
			lookup := func(name string) (string, bool) { v, ok := tt.trailers[name]; return v, ok }
			c := newCheckedBody(strings.NewReader(body), tt.decl, fb, lookup)
			got, err := io.ReadAll(c)
			if code(err) != tt.code {
				t.Fatalf("code %q, want %q (%v)", code(err), tt.code, err)
			}
			if string(got) != body {
				t.Errorf("read %q", got)
			}
			if sums := c.checksums(); len(sums) != len(tt.sums) || (len(sums) > 0 && sums[c.alg.name] != tt.sums[c.alg.name]) {
				t.Errorf("checksums %v, want %v", sums, tt.sums)
			}
		})
	}
}

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSHA256Body(t *testing.T) {
	const good = "64ec88ca00b268e5ba1a35678a1b5316d212f4f366b2477232534a8aeca37f3c" // "Hello world"
	for _, tt := range []struct {
		want string
		code s3err.ErrorCode
	}{{good, ""}, {strings.Repeat("0", 64), s3err.XAmzContentSHA256Mismatch}} {
		_, err := io.ReadAll(newSHA256Body(strings.NewReader("Hello world"), tt.want))
		if code(err) != tt.code {
			t.Errorf("want %s: code %q, want %q", tt.want, code(err), tt.code)
		}
	}
}
