package sigv4

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/big"
	"sync"
)

// SigV4a (AWS4-ECDSA-P256-SHA256) is SigV4 with an ECDSA P-256 signature
// in place of the HMAC, a credential scope with no region, and the regions
// the signature is good for in X-Amz-Region-Set: what S3 Multi-Region
// Access Points require. The canonical request is SigV4's, built by the
// same code, with X-Amz-Region-Set signed. Set [SignInput.RegionSet] to
// sign with it.
//
// The key pair is derived from the secret access key (and the access key
// id) as the SigV4a specification has it: a counter-mode HMAC-SHA256 KDF
// (NIST SP 800-108) over "AWS4A" + secret, retried with the next counter
// while the candidate is out of the curve's range. Signatures are
// deterministic (RFC 6979, Go's crypto/ecdsa with no random source) and
// low-S, as @smithy/signature-v4a makes them; verification accepts either
// S, as S3 does.

// AlgorithmV4a is the algorithm name of SigV4a.
const AlgorithmV4a = "AWS4-ECDSA-P256-SHA256"

// v4aKDFLabel is the label of the key derivation: the algorithm's name.
const v4aKDFLabel = AlgorithmV4a

var (
	p256 = elliptic.P256()
	// nMinusTwo bounds a candidate private key: d = candidate + 1 must lie
	// in [1, n-1].
	nMinusTwo = new(big.Int).Sub(p256.Params().N, big.NewInt(2))
	halfN     = new(big.Int).Rsh(p256.Params().N, 1)
)

// DeriveV4aKey derives the SigV4a private key of an access key pair.
func DeriveV4aKey(accessKeyID, secretAccessKey string) (*ecdsa.PrivateKey, error) {
	input := []byte("AWS4A" + secretAccessKey)
	// Fixed input of the one-block KDF: i (32 bits, 1) || label || 0x00 ||
	// context (access key id || counter byte) || L (32 bits, 256).
	fixed := make([]byte, 0, 4+len(v4aKDFLabel)+1+len(accessKeyID)+1+4)
	for counter := 1; counter <= 254; counter++ {
		fixed = binary.BigEndian.AppendUint32(fixed[:0], 1)
		fixed = append(fixed, v4aKDFLabel...)
		fixed = append(fixed, 0)
		fixed = append(fixed, accessKeyID...)
		fixed = append(fixed, byte(counter))
		fixed = binary.BigEndian.AppendUint32(fixed, 256)
		m := hmac.New(sha256.New, input)
		m.Write(fixed)
		c := new(big.Int).SetBytes(m.Sum(nil))
		if c.Cmp(nMinusTwo) > 0 {
			continue
		}
		d := c.Add(c, big.NewInt(1))
		return ecdsa.ParseRawPrivateKey(p256, d.FillBytes(make([]byte, 32)))
	}
	return nil, errors.New("sigv4: no SigV4a key could be derived from these credentials")
}

// v4aKeys caches derived SigV4a keys by access key pair: the derivation is
// an HMAC or two and a scalar multiplication.
type v4aKeys struct {
	mu sync.Mutex
	m  map[[2]string]*ecdsa.PrivateKey
}

func (c *v4aKeys) get(accessKeyID, secret string) (*ecdsa.PrivateKey, error) {
	id := [2]string{accessKeyID, secret}
	c.mu.Lock()
	k := c.m[id]
	c.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err := DeriveV4aKey(accessKeyID, secret)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = map[[2]string]*ecdsa.PrivateKey{}
	}
	c.m[id] = k
	c.mu.Unlock()
	return k, nil
}

// V4aKey returns the SigV4a private key of an access key pair, from the
// signer's cache.
func (s *Signer) V4aKey(accessKeyID, secretAccessKey string) (*ecdsa.PrivateKey, error) {
	return s.v4a.get(accessKeyID, secretAccessKey)
}

// signV4a signs a string to sign with key: the hex DER of a deterministic,
// low-S ECDSA signature of its SHA-256.
func signV4a(key *ecdsa.PrivateKey, sts []byte) ([]byte, error) {
	digest := sha256.Sum256(sts)
	der, err := key.Sign(nil, digest[:], crypto.SHA256) // nil random: RFC 6979
	if err != nil {
		return nil, err
	}
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return nil, err
	}
	if sig.S.Cmp(halfN) > 0 {
		sig.S.Sub(p256.Params().N, sig.S)
		if der, err = asn1.Marshal(sig); err != nil {
			return nil, err
		}
	}
	return hex.AppendEncode(nil, der), nil
}

// VerifyV4a reports whether signature, hex DER, is a valid ECDSA P-256
// signature of the SHA-256 of stringToSign under pub.
func VerifyV4a(pub *ecdsa.PublicKey, stringToSign, signature string) bool {
	der, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	digest := sha256.Sum256([]byte(stringToSign))
	return ecdsa.VerifyASN1(pub, digest[:], der)
}

// appendScopeV4a appends the SigV4a credential scope: no region.
func appendScopeV4a(dst, date []byte, service string) []byte {
	dst = append(dst, date...)
	dst = append(dst, '/')
	dst = append(dst, service...)
	return append(dst, "/aws4_request"...)
}

// isV4aSignature reports whether s can be the hex DER of a P-256 ECDSA
// signature: lower-case hex, of a DER sequence of at most 72 bytes.
func isV4aSignature(s string) bool {
	if len(s) < 16 || len(s) > 144 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok || ('A' <= s[i] && s[i] <= 'F') {
			return false
		}
	}
	return true
}
