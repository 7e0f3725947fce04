package data

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// tiffSpec describes a synthetic TIFF for the reader tests: layout choices the writer
// never makes (big-endian, BigTIFF, tiles, planar, LZW, PackBits, predictors).
type tiffSpec struct {
	bigEndian   bool
	big         bool
	dtype       DType
	pages       int // default 1
	H, W, spp   int
	planar      bool
	tileW       int // 0: strips
	tileH       int
	rps         int // rows per strip, default H
	compression uint64
	predictor   uint64
	photometric uint64 // default 1 (or 2 for spp 3)
	desc        string
	tagH        int // ImageLength written instead of H when > 0
}

// buildTIFF encodes vals (pages×H×W×spp, chunky order) as described by s.
func buildTIFF(t testing.TB, s tiffSpec, vals []float32) []byte {
	t.Helper()
	if s.pages == 0 {
		s.pages = 1
	}
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	if s.bigEndian {
		bo = binary.BigEndian
	}
	if len(vals) != s.pages*s.H*s.W*s.spp {
		t.Fatalf("buildTIFF: %d values for %+v", len(vals), s)
	}
	size := s.dtype.Bits() / 8
	cw, ch := s.W, s.rps
	if ch == 0 {
		ch = s.H
	}
	if s.tileW > 0 {
		cw, ch = s.tileW, s.tileH
	}
	across, down := (s.W+cw-1)/cw, (s.H+ch-1)/ch
	planes, cs := 1, s.spp
	if s.planar {
		planes, cs = s.spp, 1
	}
	head := 8
	if s.big {
		head = 16
	}
	out := make([]byte, head)
	type pageInfo struct{ offs, counts []uint64 }
	var infos []pageInfo
	for p := range s.pages {
		var info pageInfo
		for pl := range planes {
			for cy := range down {
				for cx := range across {
					rows := ch
					if s.tileW == 0 {
						rows = min(ch, s.H-cy*ch)
					}
					raw := make([]byte, rows*cw*cs*size)
					for r := range rows {
						for x := range cw {
							for c := range cs {
								y, xx := cy*ch+r, cx*cw+x
								if y >= s.H || xx >= s.W {
									continue
								}
								ch := c
								if s.planar {
									ch = pl
								}
								v := vals[((p*s.H+y)*s.W+xx)*s.spp+ch]
								putSample(raw[((r*cw+x)*cs+c)*size:], v, s.dtype, bo)
							}
						}
					}
					rowBytes := cw * cs * size
					for r := 0; r < len(raw); r += rowBytes {
						switch s.predictor {
						case 2:
							applyHorizontal(raw[r:r+rowBytes], cs, size, bo)
						case 3:
							applyFloatPredictor(raw[r:r+rowBytes], cs, size, bo)
						}
					}
					enc := compressChunk(t, raw, s.compression)
					info.offs = append(info.offs, uint64(len(out)))
					info.counts = append(info.counts, uint64(len(enc)))
					out = append(out, enc...)
				}
			}
		}
		infos = append(infos, info)
	}
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	// IFDs.
	copy(out, "II")
	if s.bigEndian {
		copy(out, "MM")
	}
	if s.big {
		bo.PutUint16(out[2:], 43)
		bo.PutUint16(out[4:], 8)
		bo.PutUint64(out[8:], uint64(len(out)))
	} else {
		bo.PutUint16(out[2:], 42)
		bo.PutUint32(out[4:], uint32(len(out)))
	}
	format := uint64(1)
	switch s.dtype {
	case Int8, Int16, Int32:
		format = 2
	case Float32, Float64:
		format = 3
	}
	photometric := s.photometric
	if photometric == 0 {
		photometric = 1
		if s.spp == 3 {
			photometric = 2
		}
	}
	for p, info := range infos {
		e := []testEntry{
			{tagImageWidth, tiffLong, []uint64{uint64(s.W)}, ""},
			{tagImageLength, tiffShort, []uint64{uint64(cmp.Or(s.tagH, s.H))}, ""},
			{tagBitsPerSample, tiffShort, repeatU64(uint64(size*8), s.spp), ""},
			{tagCompression, tiffShort, []uint64{max(s.compression, 1)}, ""},
			{tagPhotometric, tiffShort, []uint64{photometric}, ""},
		}
		if p == 0 && s.desc != "" {
			e = append(e, testEntry{tag: tagImageDescription, typ: tiffASCII, str: s.desc})
		}
		offType := uint16(tiffLong)
		if s.big {
			offType = tiffLong8
		}
		if s.tileW == 0 {
			e = append(e, testEntry{tagStripOffsets, offType, info.offs, ""},
				testEntry{tagSamplesPerPixel, tiffShort, []uint64{uint64(s.spp)}, ""},
				testEntry{tagRowsPerStrip, tiffLong, []uint64{uint64(ch)}, ""},
				testEntry{tagStripByteCounts, tiffLong, info.counts, ""})
		} else {
			e = append(e, testEntry{tagSamplesPerPixel, tiffShort, []uint64{uint64(s.spp)}, ""})
		}
		planar := uint64(1)
		if s.planar {
			planar = 2
		}
		e = append(e, testEntry{tagPlanarConfig, tiffShort, []uint64{planar}, ""})
		if s.predictor > 1 {
			e = append(e, testEntry{tagPredictor, tiffShort, []uint64{s.predictor}, ""})
		}
		if s.tileW > 0 {
			e = append(e, testEntry{tagTileWidth, tiffLong, []uint64{uint64(cw)}, ""},
				testEntry{tagTileLength, tiffLong, []uint64{uint64(ch)}, ""},
				testEntry{tagTileOffsets, offType, info.offs, ""},
				testEntry{tagTileByteCounts, tiffLong, info.counts, ""})
		}
		e = append(e, testEntry{tagSampleFormat, tiffShort, repeatU64(format, s.spp), ""})
		ifd := encodeTestIFD(e, uint64(len(out)), s.big, bo)
		if p < len(infos)-1 {
			next := uint64(len(out) + len(ifd))
			if s.big {
				bo.PutUint64(ifd[8+len(e)*20:], next)
			} else {
				bo.PutUint32(ifd[2+len(e)*12:], uint32(next))
			}
		}
		out = append(out, ifd...)
	}
	return out
}

type testEntry struct {
	tag, typ uint16
	ints     []uint64
	str      string
}

// encodeTestIFD lays out an IFD at offset at in byte order bo (next offset left 0).
func encodeTestIFD(es []testEntry, at uint64, big bool, bo interface {
	binary.ByteOrder
	binary.AppendByteOrder
}) []byte {
	countSize, entrySize, inline := 2, 12, 4
	if big {
		countSize, entrySize, inline = 8, 20, 8
	}
	b := make([]byte, countSize+len(es)*entrySize+inline)
	if big {
		bo.PutUint64(b, uint64(len(es)))
	} else {
		bo.PutUint16(b, uint16(len(es)))
	}
	for i, e := range es {
		var raw []byte
		count := uint64(len(e.ints))
		if e.typ == tiffASCII {
			raw = append([]byte(e.str), 0)
			count = uint64(len(raw))
		}
		for _, v := range e.ints {
			switch tiffTypeSize(e.typ) {
			case 2:
				raw = bo.AppendUint16(raw, uint16(v))
			case 4:
				raw = bo.AppendUint32(raw, uint32(v))
			case 8:
				raw = bo.AppendUint64(raw, v)
			}
		}
		p := countSize + i*entrySize
		bo.PutUint16(b[p:], e.tag)
		bo.PutUint16(b[p+2:], e.typ)
		slot := p + 8
		if big {
			bo.PutUint64(b[p+4:], count)
			slot = p + 12
		} else {
			bo.PutUint32(b[p+4:], uint32(count))
		}
		if len(raw) <= inline {
			copy(b[slot:], raw)
			continue
		}
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		if big {
			bo.PutUint64(b[slot:], at+uint64(len(b)))
		} else {
			bo.PutUint32(b[slot:], uint32(at+uint64(len(b))))
		}
		b = append(b, raw...)
	}
	return b
}

func putSample(b []byte, v float32, dt DType, bo binary.ByteOrder) {
	switch dt {
	case Uint8, Int8:
		b[0] = byte(int64(v))
	case Uint16, Int16:
		bo.PutUint16(b, uint16(int64(v)))
	case Uint32, Int32:
		bo.PutUint32(b, uint32(int64(v)))
	case Float32:
		bo.PutUint32(b, math.Float32bits(v))
	case Float64:
		bo.PutUint64(b, math.Float64bits(float64(v)))
	}
}

func applyHorizontal(row []byte, stride, size int, bo binary.ByteOrder) {
	n := len(row) / size
	for i := n - 1; i >= stride; i-- {
		switch size {
		case 1:
			row[i] -= row[i-stride]
		case 2:
			bo.PutUint16(row[2*i:], bo.Uint16(row[2*i:])-bo.Uint16(row[2*(i-stride):]))
		case 4:
			bo.PutUint32(row[4*i:], bo.Uint32(row[4*i:])-bo.Uint32(row[4*(i-stride):]))
		case 8:
			bo.PutUint64(row[8*i:], bo.Uint64(row[8*i:])-bo.Uint64(row[8*(i-stride):]))
		}
	}
}

func applyFloatPredictor(row []byte, stride, size int, bo binary.ByteOrder) {
	wc := len(row) / size
	tmp := slices.Clone(row)
	for k := range wc {
		for b := range size {
			src := tmp[k*size+b] // big-endian byte b
			if bo == binary.ByteOrder(binary.LittleEndian) {
				src = tmp[k*size+size-1-b]
			}
			row[b*wc+k] = src
		}
	}
	for i := len(row) - 1; i >= stride; i-- {
		row[i] -= row[i-stride]
	}
}

// testZlib is reused across chunks: a new zlib writer costs ~1 MB of allocation.
var testZlib = zlib.NewWriter(nil)

func compressChunk(t testing.TB, raw []byte, compression uint64) []byte {
	switch compression {
	case 0, 1:
		return raw
	case 5:
		return lzwEncodeTIFF(raw)
	case 8, 32946:
		var b bytes.Buffer
		testZlib.Reset(&b)
		testZlib.Write(raw)
		testZlib.Close()
		return b.Bytes()
	case 32773:
		return packBits(raw)
	}
	t.Fatalf("compressChunk: compression %d", compression)
	return nil
}

// lzwEncodeTIFF is a minimal TIFF-flavoured LZW encoder (MSB first, early change).
func lzwEncodeTIFF(src []byte) []byte {
	var out []byte
	var acc uint64
	var nacc uint
	width, hi := uint(9), 257
	put := func(code int) {
		acc = acc<<width | uint64(code)
		nacc += width
		for nacc >= 8 {
			out = append(out, byte(acc>>(nacc-8)))
			nacc -= 8
		}
	}
	emit := func(code int) {
		put(code)
		hi++
		if hi+1 >= 1<<width && width < 12 {
			width++
		}
	}
	dict := map[int]int{}
	next := 258
	clearCode := func() {
		put(256)
		width, hi, next = 9, 257, 258
		dict = map[int]int{}
	}
	clearCode()
	w := -1
	for _, c := range src {
		if w < 0 {
			w = int(c)
			continue
		}
		key := w<<8 | int(c)
		if code, ok := dict[key]; ok {
			w = code
			continue
		}
		emit(w)
		dict[key] = next
		next++
		w = int(c)
		if next >= 4000 {
			emit(w)
			clearCode()
			w = -1
		}
	}
	if w >= 0 {
		emit(w)
	}
	put(257)
	if nacc > 0 {
		out = append(out, byte(acc<<(8-nacc)))
	}
	return out
}

// packBits is a simple PackBits encoder: repeat runs of two or more, literals otherwise.
func packBits(src []byte) []byte {
	var out []byte
	for i := 0; i < len(src); {
		r := 1
		for i+r < len(src) && r < 128 && src[i+r] == src[i] {
			r++
		}
		if r >= 2 {
			out = append(out, byte(int8(1-r)), src[i])
			i += r
			continue
		}
		j := i + 1
		for j < len(src) && j-i < 128 && (j+1 >= len(src) || src[j] != src[j+1]) {
			j++
		}
		out = append(out, byte(j-i-1))
		out = append(out, src[i:j]...)
		i = j
	}
	return out
}
