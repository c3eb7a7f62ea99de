package s3server

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// chunkEncoder writes aws-chunked bodies, as the SDKs do, for the tests:
// signed ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]") when signer is
// set, unsigned otherwise, with trailers after the last chunk when the
// mode has them.
type chunkEncoder struct {
	signer   *chunkSigner // nil for unsigned
	trailers [][2]string  // name, value
	// trailerMode writes the trailer section (and its signature when signed).
	trailerMode bool
	// size is the data length of each chunk but the last.
	size int
}

// encode returns payload aws-chunked.
func (e chunkEncoder) encode(payload []byte) []byte {
	var b bytes.Buffer
	chunk := func(data []byte) {
		fmt.Fprintf(&b, "%x", len(data))
		if e.signer != nil {
			sum := sha256.Sum256(data)
			fmt.Fprintf(&b, ";chunk-signature=%s", e.signer.chunk(sum[:]))
		}
		b.WriteString("\r\n")
		b.Write(data)
		if len(data) > 0 {
			b.WriteString("\r\n")
		}
	}
	for len(payload) > 0 {
		n := min(e.size, len(payload))
		chunk(payload[:n])
		payload = payload[n:]
	}
	chunk(nil)
	if e.trailerMode {
		var canonical []byte
		for _, t := range e.trailers {
			fmt.Fprintf(&b, "%s:%s\r\n", t[0], t[1])
			canonical = append(canonical, t[0]+":"+t[1]+"\n"...)
		}
		if e.signer != nil {
			sum := sha256.Sum256(canonical)
			fmt.Fprintf(&b, "%s:%s\r\n", trailerSignatureName, e.signer.trailer(sum[:]))
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// testSeedAuth is the verified request a signed test body continues: the
// example of "Signature Calculations for the Authorization Header:
// Transferring Payload in Multiple Chunks" in the S3 API reference.
func testSeedSigner() *chunkSigner {
	key := sigv4.DeriveKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
	return &chunkSigner{
		key:  key,
		mid:  "\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n",
		prev: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	}
}

// TestChunkSignaturesS3Example checks the chunk signatures of the S3 API
// reference's example: a 65 KiB body of 'a' in 64 KiB and 1 KiB chunks,
// signed with the documentation's example key on 2013-05-24.
func TestChunkSignaturesS3Example(t *testing.T) {
	s := testSeedSigner()
	body := bytes.Repeat([]byte{'a'}, 65*1024)
	var got []string
	for _, part := range [][]byte{body[:64*1024], body[64*1024:], nil} {
		sum := sha256.Sum256(part)
		got = append(got, s.chunk(sum[:]))
	}
	want := []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("chunk %d signature %s, want %s", i, got[i], want[i])
		}
	}
}

func decodeAll(body []byte, signer *chunkSigner, trailers bool, want int64) ([]byte, *chunkedReader, error) {
	cr := newChunkedReader(bytes.NewReader(body), signer, trailers, want)
	out, err := io.ReadAll(cr)
	return out, cr, err
}

func TestChunkedReader(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16000 bytes
	crc := algByName("CRC32").checksumOf(payload)
	signedBody := chunkEncoder{signer: testSeedSigner(), size: 8192}.encode(payload)
	unsignedTrailer := chunkEncoder{size: 4096, trailerMode: true, trailers: [][2]string{{"x-amz-checksum-crc32", crc}}}.encode(payload)
	signedTrailer := chunkEncoder{signer: testSeedSigner(), size: 5000, trailerMode: true, trailers: [][2]string{{"x-amz-checksum-crc32", crc}}}.encode(payload)

	tamper := func(b []byte, old, new string) []byte {
		return bytes.Replace(append([]byte(nil), b...), []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name     string
		body     []byte
		signed   bool
		trailers bool
		want     int64
		code     s3err.ErrorCode
	}{
		{"signed", signedBody, true, false, int64(len(payload)), ""},
		{"signed, unknown length", signedBody, true, false, -1, ""},
		{"signed, tampered data", tamper(signedBody, "0123", "0124"), true, false, -1, s3err.SignatureDoesNotMatch},
		{"signed, as unsigned", signedBody, false, false, -1, s3err.InvalidRequest},
		{"signed, length too short", signedBody, true, false, 100, s3err.InvalidRequest},
		{"signed, length too long", signedBody, true, false, int64(len(payload)) + 1, s3err.IncompleteBody},
		{"signed, truncated", signedBody[:len(signedBody)-200], true, false, -1, s3err.IncompleteBody},
		{"signed, no final CRLF", signedBody[:len(signedBody)-2], true, false, -1, ""},
		{"unsigned trailer", unsignedTrailer, false, true, int64(len(payload)), ""},
		{"unsigned trailer without it", chunkEncoder{size: 4096, trailerMode: true}.encode(payload), false, true, -1, ""},
		{"unsigned, chunk signature", tamper(unsignedTrailer, "1000\r\n", "1000;chunk-signature=x\r\n"), false, true, -1, s3err.InvalidRequest},
		{"unsigned, size not hex", tamper(unsignedTrailer, "1000\r\n", "10g0\r\n"), false, true, -1, s3err.InvalidRequest},
		{"unsigned, data longer than size", tamper(unsignedTrailer, "1000\r\n", "fff\r\n"), false, true, -1, s3err.InvalidRequest},
		{"unsigned, LF only", tamper(unsignedTrailer, "1000\r\n", "1000\n"), false, true, -1, s3err.InvalidRequest},
		{"unsigned, trailer without colon", tamper(unsignedTrailer, "x-amz-checksum-crc32:", "x-amz-checksum-crc32="), false, true, -1, s3err.InvalidRequest},
		{"trailers where none are allowed", unsignedTrailer, false, false, -1, s3err.InvalidRequest},
		{"signed trailer", signedTrailer, true, true, int64(len(payload)), ""},
		{"signed trailer, tampered trailer", tamper(signedTrailer, crc, "AAAAAA=="), true, true, -1, s3err.SignatureDoesNotMatch},
		{"signed trailer, no trailer signature", chunkEncoder{signer: testSeedSigner(), size: 5000, trailerMode: false}.encode(payload), true, true, -1, s3err.SignatureDoesNotMatch},
		{"empty", chunkEncoder{size: 10}.encode(nil), false, false, 0, ""},
		// Bytes after the final CRLF, within the request's length, are
		// refused, not ignored.
		{"signed, data after the final CRLF", append(append([]byte(nil), signedBody...), "junk"...), true, false, -1, s3err.InvalidRequest},
		{"signed trailer, data after the final CRLF", append(append([]byte(nil), signedTrailer...), "\r\n"...), true, true, -1, s3err.InvalidRequest},
		{"unsigned trailer, data after the final CRLF", append(append([]byte(nil), unsignedTrailer...), '0'), false, true, -1, s3err.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var signer *chunkSigner
			if tt.signed {
				signer = testSeedSigner()
			}
			got, cr, err := decodeAll(tt.body, signer, tt.trailers, tt.want)
			if c := code(err); c != tt.code {
				t.Fatalf("code %q, want %q (%v)", c, tt.code, err)
			}
			if err != nil {
				return
			}
			want := payload
			if tt.want == 0 {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("decoded %d bytes, want %d", len(got), len(want))
			}
			if tt.trailers && bytes.Contains(tt.body, []byte("x-amz-checksum-crc32:")) {
				if v, ok := cr.Trailer("x-amz-checksum-crc32"); !ok || v != crc {
					t.Errorf("trailer %q %v, want %q", v, ok, crc)
				}
			}
		})
	}
}

// TestChunkedReaderSmallReads reads a signed body a few bytes at a time,
// to cross every boundary of the framing mid-read.
func TestChunkedReaderSmallReads(t *testing.T) {
	payload := []byte(strings.Repeat("presign ", 300))
	body := chunkEncoder{signer: testSeedSigner(), size: 700, trailerMode: true, trailers: [][2]string{{"x-amz-checksum-crc64nvme", algByName("CRC64NVME").checksumOf(payload)}}}.encode(payload)
	for _, n := range []int{1, 2, 3, 7, 64} {
		cr := newChunkedReader(&oneByteReader{bytes.NewReader(body)}, testSeedSigner(), true, int64(len(payload)))
		var out []byte
		buf := make([]byte, n)
		for i := 0; ; i++ {
			if i > 1<<20 {
				t.Fatal("no progress")
			}
			k, err := cr.Read(buf)
			out = append(out, buf[:k]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read size %d: %v", n, err)
			}
		}
		if !bytes.Equal(out, payload) {
			t.Fatalf("read size %d: payload differs", n)
		}
	}
}

// oneByteReader returns at most one byte per Read.
type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestNewChunkSigner(t *testing.T) {
	// The seed of a verified request continues into the chunk signatures.
	a := &sigv4.Auth{Time: time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC), Region: "us-east-1", Service: "s3",
		Signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"}
	s := newChunkSigner(a)
	if s.mid != testSeedSigner().mid || s.prev != a.Signature {
		t.Fatalf("signer %q %q", s.mid, s.prev)
	}
}

// FuzzChunkedReader feeds arbitrary bodies to the aws-chunked decoder in
// each mode: it must not panic or loop, must return only *s3err.Errors, and
// must never return more bytes than the body has.
func FuzzChunkedReader(f *testing.F) {
	payload := []byte("Hello world, this is an aws-chunked body.")
	f.Add(chunkEncoder{size: 8}.encode(payload), uint8(0))
	f.Add(chunkEncoder{size: 16, trailerMode: true, trailers: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}}.encode(payload), uint8(1))
	f.Add(chunkEncoder{signer: testSeedSigner(), size: 10}.encode(payload), uint8(2))
	f.Add(chunkEncoder{signer: testSeedSigner(), size: 10, trailerMode: true, trailers: [][2]string{{"x-amz-checksum-sha1", "x"}}}.encode(payload), uint8(3))
	f.Add([]byte("0\r\n\r\n"), uint8(0))
	f.Add([]byte("ffffffffffffffff\r\n"), uint8(0))
	f.Add([]byte("1;chunk-signature=\r\na\r\n"), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		var signer *chunkSigner
		if mode&2 != 0 {
			signer = testSeedSigner()
		}
		trailers := mode&1 != 0
		want := int64(-1)
		if mode&4 != 0 {
			want = int64(len(payload))
		}
		cr := newChunkedReader(bytes.NewReader(body), signer, trailers, want)
		var n int
		buf := make([]byte, 7)
		for i := 0; ; i++ {
			if i > len(body)+10 {
				t.Fatalf("no progress after %d reads", i)
			}
			k, err := cr.Read(buf)
			n += k
			if err == io.EOF {
				break
			}
			if err != nil {
				var se *s3err.Error
				if !errors.As(err, &se) {
					t.Fatalf("error %T %v is not an s3err", err, err)
				}
				break
			}
		}
		if n > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte body", n, len(body))
		}
	})
}

// FuzzChunkedRoundTrip checks that whatever the encoder writes, in any
// mode and chunk size, decodes to the payload.
func FuzzChunkedRoundTrip(f *testing.F) {
	f.Add([]byte("Hello world"), uint16(3), uint8(0))
	f.Add([]byte{}, uint16(1), uint8(3))
	f.Fuzz(func(t *testing.T, payload []byte, size uint16, mode uint8) {
		if size == 0 {
			size = 1
		}
		enc := chunkEncoder{size: int(size), trailerMode: mode&1 != 0}
		var signer *chunkSigner
		if mode&2 != 0 {
			enc.signer, signer = testSeedSigner(), testSeedSigner()
		}
		if enc.trailerMode {
			enc.trailers = [][2]string{{"x-amz-checksum-crc32", algByName("CRC32").checksumOf(payload)}}
		}
		got, _, err := decodeAll(enc.encode(payload), signer, enc.trailerMode, int64(len(payload)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("decoded %x, want %x", got, payload)
		}
	})
}
