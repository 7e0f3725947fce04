package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// TIFFCompression selects how [WriteTIFF] compresses pixel data.
type TIFFCompression uint8

// The compressions [WriteTIFF] can write. The zero value is uncompressed.
const (
	TIFFUncompressed TIFFCompression = iota // Compression 1
	TIFFDeflate                             // Compression 8 (zlib), level 6 like tifffile
)

// TIFFOptions are the settings of [WriteTIFF]; the zero value writes uncompressed data.
type TIFFOptions struct {
	Compression TIFFCompression // pixel-data compression; zero value: TIFFUncompressed
	bigTIFF     bool            // force BigTIFF (tests); files past 4 GiB switch automatically
}

// tiffStripTarget is the approximate decoded size of one written strip.
const tiffStripTarget = 1 << 16

// WriteTIFF writes m to path atomically (a temporary file in the same folder, renamed
// into place). 2-D images become one page, 3-D images one page per z, each page holding
// C chunky samples per pixel in m.DType (all [DType]s are supported; integer types are
// cast as [DType.Cast] does: truncated toward zero, saturated). The file is
// little-endian classic TIFF (BigTIFF past 4 GiB). 3-D images with one channel (or
// three uint8 channels, shown as RGB) carry an ImageJ description (images=Z, slices=Z),
// so ImageJ/Fiji and tifffile see a Z stack; other 3-D images and 2-D images with more
// than one channel (other than RGB) carry tifffile's {"shape": [...]} description.
// [ReadTIFF] reads every such file back to the same shape, dtype and values.
func WriteTIFF(path string, m *Image, opt TIFFOptions) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("data: WriteTIFF %s: %w", path, err)
	}
	if err := writeAtomic(path, func(w io.Writer) error { return EncodeTIFF(w, m, opt) }); err != nil {
		return fmt.Errorf("data: WriteTIFF %s: %w", path, err)
	}
	return nil
}

// EncodeTIFF writes m as a TIFF file to w; see [WriteTIFF].
func EncodeTIFF(w io.Writer, m *Image, opt TIFFOptions) error {
	if err := m.Validate(); err != nil {
		return err
	}
	Z, H, W, C := m.Depth(), m.Height(), m.Width(), m.Channels()
	size := m.DType.Bits() / 8
	rowBytes := W * C * size
	rps := max(1, min(H, tiffStripTarget/rowBytes))
	nstrips := (H + rps - 1) / rps
	// Encode every strip of every page; strips are independent, so in parallel.
	strips := make([][]byte, Z*nstrips)
	errs := make([]error, len(strips))
	parallel.For(len(strips), 1, func(lo, hi int) {
		var raw []byte
		for s := lo; s < hi; s++ {
			z, k := s/nstrips, s%nstrips
			y0, y1 := k*rps, min(H, (k+1)*rps)
			n := (y1 - y0) * W * C
			start := (z*H + y0) * W * C
			if cap(raw) < n*size {
				raw = make([]byte, n*size)
			}
			raw = raw[:n*size]
			encodeTIFFSamples(raw, m.Data[start:start+n], m.DType)
			if opt.Compression == TIFFDeflate {
				strips[s], errs[s] = deflateBytes(raw)
			} else {
				strips[s] = append([]byte(nil), raw...)
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var dataBytes uint64
	for _, s := range strips {
		dataBytes += uint64(len(s))
	}
	big := opt.bigTIFF || dataBytes+uint64(Z)*(1024+16*uint64(nstrips)) >= math.MaxUint32
	header := 8
	if big {
		header = 16
	}
	// Layout: header | all strips, pages in order (contiguous, as ImageJ expects) | IFDs.
	offsets := make([]uint64, len(strips))
	pos := uint64(header)
	for i, s := range strips {
		offsets[i] = pos
		pos += uint64(len(s))
	}
	pos += pos & 1 // IFDs start on a word boundary
	var ifds bytes.Buffer
	ifdStart := pos
	desc := tiffDescription(m)
	for z := range Z {
		e := tiffEntries{}
		e.add(tagImageWidth, tiffLong, uint64(W))
		e.add(tagImageLength, tiffLong, uint64(H))
		e.add(tagBitsPerSample, tiffShort, repeatU64(uint64(size*8), C)...)
		comp := uint64(1)
		if opt.Compression == TIFFDeflate {
			comp = 8
		}
		e.add(tagCompression, tiffShort, comp)
		photometric := uint64(1)
		if C == 3 && (m.DType == Uint8 || m.DType == Uint16) {
			photometric = 2
		}
		e.add(tagPhotometric, tiffShort, photometric)
		if z == 0 && desc != "" {
			e.addASCII(tagImageDescription, desc)
		}
		counts := make([]uint64, nstrips)
		for k := range counts {
			counts[k] = uint64(len(strips[z*nstrips+k]))
		}
		offType := uint16(tiffLong)
		if big {
			offType = tiffLong8
		}
		e.add(tagStripOffsets, offType, offsets[z*nstrips:(z+1)*nstrips]...)
		e.add(tagSamplesPerPixel, tiffShort, uint64(C))
		e.add(tagRowsPerStrip, tiffLong, uint64(rps))
		e.add(tagStripByteCounts, offType, counts...)
		e.addRational(tagXResolution, 1, 1)
		e.addRational(tagYResolution, 1, 1)
		e.add(tagPlanarConfig, tiffShort, 1)
		e.add(tagResolutionUnit, tiffShort, 1)
		if photometric == 1 && C > 1 {
			e.add(tagExtraSamples, tiffShort, repeatU64(0, C-1)...) // unspecified
		}
		format := uint64(1)
		switch m.DType {
		case Int8, Int16, Int32:
			format = 2
		case Float32, Float64:
			format = 3
		}
		e.add(tagSampleFormat, tiffShort, repeatU64(format, C)...)
		next := uint64(0)
		b := e.encode(ifdStart+uint64(ifds.Len()), big)
		if z < Z-1 {
			next = ifdStart + uint64(ifds.Len()+len(b))
		}
		putOffset(b[e.nextAt:], next, big)
		ifds.Write(b)
	}
	hdr := make([]byte, header)
	copy(hdr, "II")
	if big {
		binary.LittleEndian.PutUint16(hdr[2:], 43)
		binary.LittleEndian.PutUint16(hdr[4:], 8)
		binary.LittleEndian.PutUint64(hdr[8:], ifdStart)
	} else {
		binary.LittleEndian.PutUint16(hdr[2:], 42)
		binary.LittleEndian.PutUint32(hdr[4:], uint32(ifdStart))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	for _, s := range strips {
		if _, err := w.Write(s); err != nil {
			return err
		}
	}
	if ifdStart != offsets[len(offsets)-1]+uint64(len(strips[len(strips)-1])) {
		if _, err := w.Write([]byte{0}); err != nil {
			return err
		}
	}
	_, err := w.Write(ifds.Bytes())
	return err
}

// tiffDescription returns the ImageDescription WriteTIFF stores for m ("" for none).
func tiffDescription(m *Image) string {
	C := m.Channels()
	rgb := C == 3 && m.DType == Uint8
	if m.Is3D() && (C == 1 || rgb) {
		Z := m.Depth()
		return fmt.Sprintf("ImageJ=1.11a\nimages=%d\nslices=%d\nloop=false\n", Z, Z)
	}
	if m.Is3D() || (C > 1 && !rgb) {
		b, _ := json.Marshal(map[string][]int{"shape": m.Shape})
		return string(b)
	}
	return ""
}

// encodeTIFFSamples writes src as little-endian samples of type dt into dst.
func encodeTIFFSamples(dst []byte, src []float32, dt DType) {
	le := binary.LittleEndian
	switch dt {
	case Uint8:
		for i, v := range src {
			dst[i] = uint8(dt.Cast(v))
		}
	case Int8:
		for i, v := range src {
			dst[i] = uint8(int8(dt.Cast(v)))
		}
	case Uint16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], uint16(dt.Cast(v)))
		}
	case Int16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], uint16(int16(dt.Cast(v))))
		}
	case Uint32:
		for i, v := range src {
			le.PutUint32(dst[4*i:], uint32(dt.Cast(v)))
		}
	case Int32:
		for i, v := range src {
			le.PutUint32(dst[4*i:], uint32(int32(dt.Cast(v))))
		}
	case Float32:
		for i, v := range src {
			le.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case Float64:
		for i, v := range src {
			le.PutUint64(dst[8*i:], math.Float64bits(float64(v)))
		}
	}
}

func deflateBytes(raw []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := zlib.NewWriterLevel(&b, 6)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func repeatU64(v uint64, n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func putOffset(b []byte, v uint64, big bool) {
	if big {
		binary.LittleEndian.PutUint64(b, v)
	} else {
		binary.LittleEndian.PutUint32(b, uint32(v))
	}
}

// tiffEntry is one IFD entry being written: its values already little-endian encoded.
type tiffEntry struct {
	tag, typ uint16
	count    uint64
	raw      []byte
}

// tiffEntries collects the entries of one IFD in increasing tag order (callers add
// them in that order). nextAt is set by encode to where the next-IFD offset goes.
type tiffEntries struct {
	list   []tiffEntry
	nextAt int
}

func (e *tiffEntries) add(tag, typ uint16, vals ...uint64) {
	size := tiffTypeSize(typ)
	raw := make([]byte, size*len(vals))
	for i, v := range vals {
		switch size {
		case 2:
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
		case 8:
			binary.LittleEndian.PutUint64(raw[8*i:], v)
		}
	}
	e.list = append(e.list, tiffEntry{tag, typ, uint64(len(vals)), raw})
}

func (e *tiffEntries) addASCII(tag uint16, s string) {
	raw := append([]byte(s), 0)
	e.list = append(e.list, tiffEntry{tag, tiffASCII, uint64(len(raw)), raw})
}

func (e *tiffEntries) addRational(tag uint16, num, den uint32) {
	raw := binary.LittleEndian.AppendUint32(nil, num)
	raw = binary.LittleEndian.AppendUint32(raw, den)
	e.list = append(e.list, tiffEntry{tag, tiffRational, 1, raw})
}

// encode lays the IFD out at file offset at: count, entries, next offset (left 0, its
// position in nextAt), then the values that do not fit inline, word-aligned.
func (e *tiffEntries) encode(at uint64, big bool) []byte {
	countSize, entrySize, inline := 2, 12, 4
	if big {
		countSize, entrySize, inline = 8, 20, 8
	}
	n := len(e.list)
	head := countSize + n*entrySize + inline
	b := make([]byte, head, head+256)
	if big {
		binary.LittleEndian.PutUint64(b, uint64(n))
	} else {
		binary.LittleEndian.PutUint16(b, uint16(n))
	}
	for i, en := range e.list {
		at0 := countSize + i*entrySize
		binary.LittleEndian.PutUint16(b[at0:], en.tag)
		binary.LittleEndian.PutUint16(b[at0+2:], en.typ)
		slot := at0 + 8
		if big {
			binary.LittleEndian.PutUint64(b[at0+4:], en.count)
			slot = at0 + 12
		} else {
			binary.LittleEndian.PutUint32(b[at0+4:], uint32(en.count))
		}
		if len(en.raw) <= inline {
			copy(b[slot:slot+inline], en.raw)
			continue
		}
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		putOffset(b[slot:], at+uint64(len(b)), big)
		b = append(b, en.raw...)
	}
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	e.nextAt = countSize + n*entrySize
	return b
}
