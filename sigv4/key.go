package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// keyID names one derived signing key. The date is the scope's yyyymmdd.
type keyID struct {
	secret, region, service string
	date                    [8]byte
}

// keyCache holds derived signing keys. A key is valid for one day, one
// region and one service, so a server or presigner sees few distinct ones;
// the cache is simply emptied when it grows past maxCachedKeys.
type keyCache struct {
	mu   sync.RWMutex
	keys map[keyID][32]byte
}

const maxCachedKeys = 256

func (c *keyCache) get(id keyID) [32]byte {
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = DeriveKey(id.secret, string(id.date[:]), id.region, id.service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedKeys {
		c.keys = make(map[keyID][32]byte)
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

// DeriveKey returns the SigV4 signing key for a secret access key and a
// scope: HMAC chained over the date (yyyymmdd), region, service and
// "aws4_request". It does not cache; [Signer] does.
func DeriveKey(secret, date, region, service string) [32]byte {
	k := hmacOnce([]byte("AWS4"+secret), date)
	k = hmacOnce(k, region)
	k = hmacOnce(k, service)
	k = hmacOnce(k, "aws4_request")
	var out [32]byte
	copy(out[:], k)
	return out
}

func hmacOnce(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// hmacKey computes HMAC-SHA256 with a 32-byte key in place, using scratch
// as working space so that it allocates nothing. It is the RFC 2104
// construction: SHA256((K^opad) || SHA256((K^ipad) || msg)).
func hmacKey(key *[32]byte, msg []byte, scratch *[]byte) [32]byte {
	b := (*scratch)[:0]
	for i := 0; i < 64; i++ {
		var k byte
		if i < 32 {
			k = key[i]
		}
		b = append(b, k^0x36)
	}
	b = append(b, msg...)
	inner := sha256.Sum256(b)
	*scratch = b
	var outer [96]byte
	for i := 0; i < 64; i++ {
		var k byte
		if i < 32 {
			k = key[i]
		}
		outer[i] = k ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}

// SignString returns the hex signature of msg under a derived signing key,
// such as a base64 POST policy. It is the last step of SigV4.
func SignString(key [32]byte, msg string) string {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(msg))
	return hexString(m.Sum(nil))
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, len(b)*2)
	for i, c := range b {
		out[i*2] = digits[c>>4]
		out[i*2+1] = digits[c&15]
	}
	return string(out)
}
