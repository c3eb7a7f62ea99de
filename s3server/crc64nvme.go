package s3server

import (
	"encoding/binary"
	"hash"
	"sync"
)

// crc64NVMEPoly is the CRC-64/NVME polynomial 0xad93d23594c93659 in its
// reflected (bit-reversed) form, as the reflected algorithm uses it.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// crc64NVMETables are the slicing-by-8 tables of CRC-64/NVME: table 0 is
// the classic byte-at-a-time table, table k advances a byte through k
// further zero bytes.
var (
	crc64NVMETables     *[8][256]uint64
	crc64NVMETablesOnce sync.Once
)

func nvmeTables() *[8][256]uint64 {
	crc64NVMETablesOnce.Do(func() {
		t := new([8][256]uint64)
		for i := range 256 {
			crc := uint64(i)
			for range 8 {
				if crc&1 == 1 {
					crc = crc>>1 ^ crc64NVMEPoly
				} else {
					crc >>= 1
				}
			}
			t[0][i] = crc
		}
		for i := range 256 {
			crc := t[0][i]
			for k := 1; k < 8; k++ {
				crc = t[0][crc&0xff] ^ crc>>8
				t[k][i] = crc
			}
		}
		crc64NVMETables = t
	})
	return crc64NVMETables
}

// updateCRC64NVME returns crc (a finished CRC-64/NVME value, 0 for none
// yet) extended by p. Like hash/crc64 it inverts the register on entry and
// exit, which gives the algorithm's initial value and final XOR of all ones.
func updateCRC64NVME(crc uint64, p []byte) uint64 {
	t := nvmeTables()
	crc = ^crc
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

// crc64NVME is a hash.Hash64 computing CRC-64/NVME (width 64, reflected
// polynomial 0x9a6c9329ac4bc9b5, initial value and final XOR all ones), the
// CRC64NVME checksum of S3. Sum appends the big-endian value.
type crc64NVME struct{ crc uint64 }

var _ hash.Hash64 = (*crc64NVME)(nil)

func newCRC64NVME() *crc64NVME { return &crc64NVME{} }

func (d *crc64NVME) Write(p []byte) (int, error) {
	d.crc = updateCRC64NVME(d.crc, p)
	return len(p), nil
}

func (d *crc64NVME) Sum(b []byte) []byte { return binary.BigEndian.AppendUint64(b, d.crc) }
func (d *crc64NVME) Reset()              { d.crc = 0 }
func (d *crc64NVME) Size() int           { return 8 }
func (d *crc64NVME) BlockSize() int      { return 1 }
func (d *crc64NVME) Sum64() uint64       { return d.crc }
