package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
)

// keyID names one derived signing key. The date is the scope's yyyymmdd.
type keyID struct {
	secret, region, service string
	date                    [8]byte
}

// cachedKey is a derived key with what signing derives from it each time:
// the HMAC pad blocks, and the escaped credential of the last access key
// id used with it ("AKID%2F20260115%2Fus-east-1%2Fs3%2Faws4_request").
type cachedKey struct {
	key        [32]byte
	ipad, opad [64]byte
	// inner and outer are the marshalled SHA-256 states after the ipad and
	// opad blocks, so that each HMAC skips hashing them.
	inner, outer []byte
	cred         atomic.Pointer[credPair]
}

// credPair is an access key id and its escaped X-Amz-Credential value.
type credPair struct {
	akid       string
	credential []byte
}

func (k *cachedKey) loadCred() *credPair   { return k.cred.Load() }
func (k *cachedKey) storeCred(p *credPair) { k.cred.Store(p) }

func newCachedKey(k [32]byte) *cachedKey {
	c := &cachedKey{key: k}
	for i := 0; i < 64; i++ {
		var b byte
		if i < 32 {
			b = k[i]
		}
		c.ipad[i], c.opad[i] = b^0x36, b^0x5c
	}
	for _, m := range []struct {
		pad *[64]byte
		out *[]byte
	}{{&c.ipad, &c.inner}, {&c.opad, &c.outer}} {
		h := sha256.New()
		h.Write(m.pad[:])
		if bm, ok := h.(encoding.BinaryMarshaler); ok {
			*m.out, _ = bm.MarshalBinary()
		}
	}
	return c
}

// keyCache holds derived signing keys. A key is valid for one day, one
// region and one service, so a server or presigner sees few distinct ones;
// the cache is simply emptied when it grows past maxCachedKeys.
type keyCache struct {
	mu   sync.RWMutex
	keys map[keyID]*cachedKey
}

const maxCachedKeys = 256

func (c *keyCache) get(secret string, date []byte, region, service string) *cachedKey {
	id := keyID{secret: secret, region: region, service: service}
	copy(id.date[:], date)
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = newCachedKey(DeriveKey(secret, string(id.date[:]), region, service))
	// The cache keeps copies, so that callers' strings do not escape.
	stored := keyID{secret: strings.Clone(secret), region: strings.Clone(region), service: strings.Clone(service), date: id.date}
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedKeys {
		c.keys = make(map[keyID]*cachedKey)
	}
	c.keys[stored] = k
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

// credentialFor returns the escaped X-Amz-Credential value of akid under
// this key's scope, computing it when akid changes. Entries are shared, so
// the last value is swapped in whole under a lock-free read of an immutable
// pair.
func (k *cachedKey) credentialFor(akid string, scope []byte) []byte {
	if p := k.loadCred(); p != nil && p.akid == akid {
		return p.credential
	}
	b := AppendEscape(nil, akid, false)
	b = append(b, "%2F"...)
	b = appendEscape(b, scope, false)
	k.storeCred(&credPair{akid: strings.Clone(akid), credential: b})
	return b
}

// hmac is a pair of reusable SHA-256 digests for [hmacKey], kept in the
// pooled signing state.
type hmacDigests struct {
	inner, outer hash.Hash
}

// hmacKey computes HMAC-SHA256 with a cached key, using scratch as working
// space so that it allocates nothing. It is the RFC 2104 construction:
// SHA256((K^opad) || SHA256((K^ipad) || msg)). With digests, it resumes
// from the states after the pad blocks instead of hashing them again.
func hmacKey(k *cachedKey, msg []byte, scratch *[]byte, d *hmacDigests, sumBuf *[]byte) [32]byte {
	var out [32]byte
	if d != nil && k.inner != nil && k.outer != nil {
		if d.inner == nil {
			d.inner, d.outer = sha256.New(), sha256.New()
		}
		iu, ok1 := d.inner.(encoding.BinaryUnmarshaler)
		ou, ok2 := d.outer.(encoding.BinaryUnmarshaler)
		if ok1 && ok2 && iu.UnmarshalBinary(k.inner) == nil && ou.UnmarshalBinary(k.outer) == nil {
			// Sums go to a reused buffer: an array passed through the
			// hash.Hash interface would escape to the heap each time.
			d.inner.Write(msg)
			sum := d.inner.Sum((*sumBuf)[:0])
			d.outer.Write(sum)
			sum = d.outer.Sum(sum[:0])
			*sumBuf = sum
			copy(out[:], sum)
			return out
		}
	}
	b := append((*scratch)[:0], k.ipad[:]...)
	b = append(b, msg...)
	inner := sha256.Sum256(b)
	*scratch = b
	var outer [96]byte
	copy(outer[:64], k.opad[:])
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}
