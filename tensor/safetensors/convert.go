package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// convert decodes little-endian values of dtype from b into float32. len(b) is a
// multiple of the dtype size (checked by checkEntry).
func convert(dtype string, b []byte) ([]float32, error) {
	le := binary.LittleEndian
	out := make([]float32, len(b)/dtypeSize[dtype])
	switch dtype {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case "F64":
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		}
	case "F16":
		for i := range out {
			out[i] = halfToFloat32(le.Uint16(b[2*i:]))
		}
	case "BF16":
		for i := range out {
			out[i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		}
	case "I64":
		for i := range out {
			v := int64(le.Uint64(b[8*i:]))
			if v > maxExactInt || v < -maxExactInt {
				return nil, fmt.Errorf("I64 value %d at index %d is beyond ±2^24, not exact in float32", v, i)
			}
			out[i] = float32(v)
		}
	case "I32":
		for i := range out {
			v := int32(le.Uint32(b[4*i:]))
			if v > maxExactInt || v < -maxExactInt {
				return nil, fmt.Errorf("I32 value %d at index %d is beyond ±2^24, not exact in float32", v, i)
			}
			out[i] = float32(v)
		}
	case "I16":
		for i := range out {
			out[i] = float32(int16(le.Uint16(b[2*i:])))
		}
	case "I8":
		for i := range out {
			out[i] = float32(int8(b[i]))
		}
	case "U8":
		for i := range out {
			out[i] = float32(b[i])
		}
	case "BOOL":
		for i := range out {
			if b[i] > 1 {
				return nil, fmt.Errorf("BOOL byte %d at index %d is neither 0 nor 1", b[i], i)
			}
			out[i] = float32(b[i])
		}
	default:
		return nil, fmt.Errorf("unsupported dtype %q", dtype)
	}
	return out, nil
}

// halfToFloat32 converts an IEEE 754 binary16 value to float32 (exact).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0: // zero or subnormal: mant·2^-24
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 31: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	default:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
}
