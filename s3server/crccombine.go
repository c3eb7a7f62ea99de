package s3server

// crcCombine returns the CRC of A followed by B from crcA, crcB and the
// length of B, for a reflected CRC of width bits (32 or 64) with
// polynomial poly (reflected), initial value and final xor all ones: the
// CRC-32, CRC-32C and CRC-64/NVME that S3 combines into a multipart
// object's full-object checksum. It is zlib's crc32_combine, made generic:
// appending lenB zero bytes is a linear map on the CRC register, applied
// by squaring the matrix of one zero bit (GF(2)).
func crcCombine(crcA, crcB uint64, lenB int64, poly uint64, width int) uint64 {
	if lenB <= 0 {
		return crcA
	}
	times := func(mat []uint64, vec uint64) uint64 {
		var sum uint64
		for i := 0; vec != 0; i, vec = i+1, vec>>1 {
			if vec&1 != 0 {
				sum ^= mat[i]
			}
		}
		return sum
	}
	square := func(dst, mat []uint64) {
		for n := range width {
			dst[n] = times(mat, mat[n])
		}
	}
	odd, even := make([]uint64, width), make([]uint64, width)
	odd[0] = poly // the operator of one zero bit
	row := uint64(1)
	for n := 1; n < width; n++ {
		odd[n] = row
		row <<= 1
	}
	square(even, odd) // two zero bits
	square(odd, even) // four zero bits
	for {
		square(even, odd) // the first squaring gives one zero byte
		if lenB&1 != 0 {
			crcA = times(even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		square(odd, even)
		if lenB&1 != 0 {
			crcA = times(odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

// Reflected polynomials of the CRCs S3 combines.
const (
	polyCRC32     = 0xEDB88320
	polyCRC32C    = 0x82F63B78
	polyCRC64NVME = 0x9A6C9329AC4BC9B5
)
