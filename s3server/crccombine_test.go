package s3server

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestCRCCombine: the combination of the CRCs of two pieces is the CRC of
// the whole, for CRC-32, CRC-32C and CRC-64/NVME, at lengths from 0 to
// beyond a part.
func TestCRCCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		alg   string
		poly  uint64
		width int
	}{{"CRC32", polyCRC32, 32}, {"CRC32C", polyCRC32C, 32}, {"CRC64NVME", polyCRC64NVME, 64}} {
		a := algByName(tc.alg)
		sum := func(b []byte) uint64 {
			h := a.new()
			h.Write(b)
			d := h.Sum(nil)
			if tc.width == 32 {
				return uint64(binary.BigEndian.Uint32(d))
			}
			return binary.BigEndian.Uint64(d)
		}
		for _, n := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {3, 5}, {1000, 1}, {17, 4096}, {5 << 20, 12345}} {
			x, y := make([]byte, n[0]), make([]byte, n[1])
			for i := range x {
				x[i] = byte(r.Uint32())
			}
			for i := range y {
				y[i] = byte(r.Uint32())
			}
			whole := sum(append(append([]byte(nil), x...), y...))
			if got := crcCombine(sum(x), sum(y), int64(len(y)), tc.poly, tc.width); got != whole {
				t.Errorf("%s %v: combined %x, want %x", tc.alg, n, got, whole)
			}
		}
	}
}
