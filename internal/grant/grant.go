// Package grant makes and reads the grant ids of presign serve: the id
// every URL the service issues is signed under (as the query parameter
// [Param]), so that the embedded store can refuse a URL whose grant was
// revoked or used up.
//
// An id is 24 bytes in unpadded base64url: 8 random bytes, the grant's
// expiry in Unix seconds (4 bytes, big-endian; the URL's own), and the
// first 12 bytes of an HMAC-SHA256, under the service's upload secret, of
// the two and the name of the client it was issued to. The expiry lets a
// store forget a grant once its URL is dead without asking the issuer;
// the MAC lets any replica check, without state, that a client revoking
// an id owns it.
package grant

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Param is the query parameter that carries a URL's grant id. It is not
// an x-amz-* name, so S3 and MinIO ignore it; the URL's signature covers
// it, so it cannot be removed or changed.
const Param = "presign-grant"

const (
	randomLen = 8
	macLen    = 12
	rawLen    = randomLen + 4 + macLen
	// Len is the length of an id.
	Len = (rawLen*8 + 5) / 6
)

var enc = base64.RawURLEncoding.Strict()

// New returns a fresh id for a grant to client that ends at expires.
func New(secret []byte, client string, expires time.Time) string {
	var raw [rawLen]byte
	rand.Read(raw[:randomLen])
	binary.BigEndian.PutUint32(raw[randomLen:], uint32(expires.Unix()))
	copy(raw[randomLen+4:], mac(secret, raw[:randomLen+4], client))
	return enc.EncodeToString(raw[:])
}

func mac(secret, head []byte, client string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("presign-grant\x00"))
	m.Write(head)
	m.Write([]byte(client))
	return m.Sum(nil)[:macLen]
}

// decode returns the bytes of an id of the right shape.
func decode(id string) ([]byte, bool) {
	if len(id) != Len {
		return nil, false
	}
	raw, err := enc.DecodeString(id)
	return raw, err == nil && len(raw) == rawLen
}

// Expires returns when the grant of id ends, if id has the shape of an
// id. It does not check the MAC.
func Expires(id string) (time.Time, bool) {
	raw, ok := decode(id)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint32(raw[randomLen:])), 0), true
}

// Owns reports whether id was issued to client under secret; the
// comparison takes constant time.
func Owns(secret []byte, id, client string) bool {
	raw, ok := decode(id)
	if !ok {
		return false
	}
	return hmac.Equal(raw[randomLen+4:], mac(secret, raw[:randomLen+4], client))
}
