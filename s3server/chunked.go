package s3server

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// The payload modes of aws-chunked bodies (x-amz-content-sha256).
const (
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// Limits of the aws-chunked framing.
const (
	// maxChunkLine is the longest chunk header or trailer line, CRLF included.
	maxChunkLine = 4096
	// maxTrailers is the most trailing headers a body may carry.
	maxTrailers = 16
	// maxChunkSize bounds one chunk's declared size, far above any object.
	maxChunkSize = 1 << 42
	// trailerSignatureName is the trailing header of the trailer signature.
	trailerSignatureName = "x-amz-trailer-signature"
)

// chunkSigner computes the signatures of an aws-chunked body signed with
// SigV4 ("Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks"): each chunk's signature covers the previous
// one, starting from the request's seed signature.
type chunkSigner struct {
	key [32]byte
	// mid is "\n<X-Amz-Date>\n<scope>\n".
	mid string
	// prev is the previous signature: the seed signature at first.
	prev string
}

// newChunkSigner returns a signer that continues from a's signature.
func newChunkSigner(a *sigv4.Auth) *chunkSigner {
	return &chunkSigner{
		key:  a.SigningKey(),
		mid:  "\n" + a.Time.UTC().Format(sigv4.TimeFormat) + "\n" + a.Scope() + "\n",
		prev: a.Signature,
	}
}

// chunk returns the signature of a chunk whose SHA-256 is sum and makes it
// the previous one.
func (s *chunkSigner) chunk(sum []byte) string {
	sig := sigv4.SignString(s.key, "AWS4-HMAC-SHA256-PAYLOAD"+s.mid+s.prev+"\n"+sigv4.EmptyPayloadHash+"\n"+hex.EncodeToString(sum))
	s.prev = sig
	return sig
}

// trailer returns the signature of the trailing headers whose canonical
// form ("name:value\n" each) has SHA-256 sum.
func (s *chunkSigner) trailer(sum []byte) string {
	sig := sigv4.SignString(s.key, "AWS4-HMAC-SHA256-TRAILER"+s.mid+s.prev+"\n"+hex.EncodeToString(sum))
	s.prev = sig
	return sig
}

// chunkedReader decodes an aws-chunked body:
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//	[<trailer name>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]]\r\n
//
// It returns the decoded data and checks each chunk's signature when the
// body is signed, the trailer signature when it has one, and the decoded
// length against x-amz-decoded-content-length. Every error it returns is an
// *s3err.Error; it returns io.EOF only after the last chunk and the
// trailers were read and verified.
type chunkedReader struct {
	br *bufio.Reader
	// signer is nil for an unsigned body.
	signer *chunkSigner
	// trailers allows trailing headers after the last chunk.
	trailers bool
	// want is the declared decoded length; negative when unknown.
	want int64

	left    int64     // data bytes left in the current chunk
	inChunk bool      // a chunk's data is being read
	sig     string    // the current chunk's claimed signature
	h       hash.Hash // SHA-256 of the current chunk, when signed
	n       int64     // decoded bytes so far
	trailer map[string]string
	err     error
}

// newChunkedReader returns a decoder of r. signer is nil for the unsigned
// mode; trailers allows trailing headers; want is the decoded length, or
// -1 when unknown.
func newChunkedReader(r io.Reader, signer *chunkSigner, trailers bool, want int64) *chunkedReader {
	c := &chunkedReader{br: bufio.NewReaderSize(r, maxChunkLine), signer: signer, trailers: trailers, want: want}
	if signer != nil {
		c.h = sha256.New()
	}
	return c
}

func malformedChunk(format string, args ...any) *s3err.Error {
	return s3err.New(s3err.InvalidRequest, "The aws-chunked request body is malformed: "+format, args...)
}

var errTruncated = s3err.New(s3err.IncompleteBody, "The request body ended before the aws-chunked encoding did.")

// Trailer returns the value of the trailing header name (lower case) once
// the body has been read to its end.
func (c *chunkedReader) Trailer(name string) (string, bool) {
	v, ok := c.trailer[name]
	return v, ok
}

// Read returns decoded data.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		if !c.inChunk {
			c.err = c.next()
			continue
		}
		if c.left == 0 {
			c.err = c.endChunk()
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		if int64(len(p)) > c.left {
			p = p[:c.left]
		}
		n, err := c.br.Read(p)
		c.left -= int64(n)
		c.n += int64(n)
		if c.h != nil {
			c.h.Write(p[:n])
		}
		if err == io.EOF {
			err = nil
			if n == 0 {
				c.err = errTruncated
				continue
			}
		}
		if err != nil {
			c.err = err
			return n, err
		}
		return n, nil
	}
	return 0, c.err
}

// readLine returns the next line without its CRLF. At the end of the
// body it returns io.EOF when eofOK and nothing was read.
func (c *chunkedReader) readLine(eofOK bool) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, malformedChunk("a line is longer than %d bytes.", maxChunkLine)
	case err == io.EOF && len(line) == 0 && eofOK:
		return nil, io.EOF
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errTruncated
	case err != nil:
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, malformedChunk("a line does not end with CRLF.")
	}
	return line[:len(line)-2], nil
}

// next reads a chunk header; for the last chunk it also reads the
// trailers and ends the body.
func (c *chunkedReader) next() error {
	line, err := c.readLine(false)
	if err != nil {
		return err
	}
	sizeText, ext, hasExt := bytes.Cut(line, []byte(";"))
	size, ok := parseHexSize(sizeText)
	if !ok {
		return malformedChunk("the chunk size %q is not a hexadecimal number.", truncate(sizeText))
	}
	c.sig = ""
	switch {
	case c.signer != nil:
		sig, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
		if !hasExt || !ok || len(sig) != 64 {
			return malformedChunk("a chunk of a signed body lacks its chunk-signature.")
		}
		c.sig = string(sig)
	case hasExt:
		return malformedChunk("a chunk of an unsigned body has an extension %q.", truncate(ext))
	}
	if c.want >= 0 && c.n+size > c.want {
		return s3err.New(s3err.InvalidRequest, "The aws-chunked body has more data than x-amz-decoded-content-length declares (%d bytes).", c.want)
	}
	c.left, c.inChunk = size, true
	if size > 0 {
		return nil
	}
	// The last chunk: an empty chunk, then the trailers, then CRLF.
	if err := c.verifyChunk(); err != nil {
		return err
	}
	if c.want >= 0 && c.n != c.want {
		return s3err.New(s3err.IncompleteBody, "You did not provide the number of bytes specified by x-amz-decoded-content-length.").
			With("NumberBytesExpected", itoa(c.want)).With("NumberBytesProvided", itoa(c.n))
	}
	if err := c.readTrailers(); err != nil {
		return err
	}
	return io.EOF
}

// endChunk reads the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	line, err := c.readLine(false)
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return malformedChunk("a chunk's data is longer than its size.")
	}
	c.inChunk = false
	return c.verifyChunk()
}

// verifyChunk checks the signature of the chunk just read.
func (c *chunkedReader) verifyChunk() error {
	if c.signer == nil {
		return nil
	}
	want := c.signer.chunk(c.h.Sum(nil))
	c.h.Reset()
	if !hmac.Equal([]byte(want), []byte(c.sig)) {
		return s3err.New(s3err.SignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided for a chunk of the body.").
			With("SignatureProvided", c.sig)
	}
	return nil
}

// readTrailers reads the trailing headers after the last chunk and the
// final CRLF. A body that ends right after the last chunk, without the
// final CRLF, is accepted, as S3 accepts it.
func (c *chunkedReader) readTrailers() error {
	var canonical []byte
	signed := false
	for {
		line, err := c.readLine(true)
		if err == io.EOF {
			break
		}
		if err == nil && len(line) == 0 {
			// The final CRLF ends the body: anything after it, within the
			// request's length, is refused rather than ignored.
			if _, err := c.br.ReadByte(); err != io.EOF {
				if err != nil {
					return err
				}
				return malformedChunk("the body has data after the final CRLF of its last chunk.")
			}
			break
		}
		if err != nil {
			return err
		}
		if !c.trailers {
			return malformedChunk("a body without trailers has data after its last chunk.")
		}
		if signed {
			return malformedChunk("a trailing header follows the trailer signature.")
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 {
			return malformedChunk("the trailing header %q is not name:value.", truncate(line))
		}
		n := strings.ToLower(string(bytes.TrimSpace(name)))
		v := string(bytes.TrimSpace(value))
		if n == trailerSignatureName {
			if c.signer == nil {
				return malformedChunk("an unsigned body has a trailer signature.")
			}
			sum := sha256.Sum256(canonical)
			if want := c.signer.trailer(sum[:]); !hmac.Equal([]byte(want), []byte(v)) {
				return s3err.New(s3err.SignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided for the trailing headers.").
					With("SignatureProvided", v)
			}
			signed = true
			continue
		}
		if _, dup := c.trailer[n]; dup || len(c.trailer) >= maxTrailers {
			return malformedChunk("the trailing header %q is repeated, or there are more than %d.", n, maxTrailers)
		}
		if c.trailer == nil {
			c.trailer = map[string]string{}
		}
		c.trailer[n] = v
		canonical = append(append(append(append(canonical, n...), ':'), v...), '\n')
	}
	if c.signer != nil && c.trailers && !signed {
		return s3err.New(s3err.SignatureDoesNotMatch, "The signed aws-chunked body has no x-amz-trailer-signature.")
	}
	return nil
}

// parseHexSize parses a chunk size: 1 to 16 hex digits, at most maxChunkSize.
func parseHexSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		var d byte
		switch {
		case '0' <= ch && ch <= '9':
			d = ch - '0'
		case 'a' <= ch && ch <= 'f':
			d = ch - 'a' + 10
		case 'A' <= ch && ch <= 'F':
			d = ch - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
		if n > maxChunkSize {
			return 0, false
		}
	}
	return n, true
}

// itoa formats n in decimal.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// truncate shortens b for an error message.
func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}
