package data

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// TIFF tag numbers used by the reader and writer.
const (
	tagNewSubfileType   = 254
	tagImageWidth       = 256
	tagImageLength      = 257
	tagBitsPerSample    = 258
	tagCompression      = 259
	tagPhotometric      = 262
	tagFillOrder        = 266
	tagImageDescription = 270
	tagStripOffsets     = 273
	tagSamplesPerPixel  = 277
	tagRowsPerStrip     = 278
	tagStripByteCounts  = 279
	tagXResolution      = 282
	tagYResolution      = 283
	tagPlanarConfig     = 284
	tagResolutionUnit   = 296
	tagSoftware         = 305
	tagPredictor        = 317
	tagColorMap         = 320
	tagTileWidth        = 322
	tagTileLength       = 323
	tagTileOffsets      = 324
	tagTileByteCounts   = 325
	tagExtraSamples     = 338
	tagSampleFormat     = 339
)

// TIFF field types.
const (
	tiffByte      = 1
	tiffASCII     = 2
	tiffShort     = 3
	tiffLong      = 4
	tiffRational  = 5
	tiffSByte     = 6
	tiffUndefined = 7
	tiffSShort    = 8
	tiffSLong     = 9
	tiffSRational = 10
	tiffFloat     = 11
	tiffDouble    = 12
	tiffIFD4      = 13
	tiffLong8     = 16
	tiffSLong8    = 17
	tiffIFD8      = 18
)

// tiffTypeSize returns the byte size of one value of field type typ (0 if unknown).
func tiffTypeSize(typ uint16) int {
	switch typ {
	case tiffByte, tiffASCII, tiffSByte, tiffUndefined:
		return 1
	case tiffShort, tiffSShort:
		return 2
	case tiffLong, tiffSLong, tiffFloat, tiffIFD4:
		return 4
	case tiffRational, tiffSRational, tiffDouble, tiffLong8, tiffSLong8, tiffIFD8:
		return 8
	}
	return 0
}

// Limits that keep a corrupt file from making the reader allocate or loop without bound.
const (
	tiffMaxPages      = 1 << 20 // IFDs in one file
	tiffMaxDim        = 1 << 24 // width, height, tile sizes
	tiffMaxSPP        = 1 << 10 // samples per pixel
	tiffMaxIFDEntries = 1 << 12 // entries in one IFD
)

// tiffMaxSamples caps the samples of one image (16 GiB as float32). A variable so the
// fuzz target can lower it: large legitimate images (a few KiB of Deflate can declare
// megabytes of zeros) slow fuzzing without exercising other code.
var tiffMaxSamples uint64 = 1 << 32

// tiffFile is a TIFF file held in memory, with its byte order and variant.
type tiffFile struct {
	b   []byte
	bo  binary.ByteOrder
	big bool // BigTIFF (version 43)
}

// tiffField is one decoded IFD entry: integer values in ints (any integer type),
// text in str (ASCII).
type tiffField struct {
	typ  uint16
	ints []uint64
	str  string
}

// tiffIFD is the decoded tags of one IFD (page), keyed by tag number.
type tiffIFD map[uint16]tiffField

// span returns b[off:off+n] or an error when it lies outside the file.
func (f *tiffFile) span(off, n uint64, what string) ([]byte, error) {
	if off > uint64(len(f.b)) || n > uint64(len(f.b))-off {
		return nil, fmt.Errorf("%s at offset %d (%d bytes) lies outside the file (%d bytes): truncated or corrupt", what, off, n, len(f.b))
	}
	return f.b[off : off+n], nil
}

// parseTIFFHeader checks the 8- or 16-byte header and returns the file and the offset
// of the first IFD.
func parseTIFFHeader(b []byte) (*tiffFile, uint64, error) {
	if len(b) < 8 {
		return nil, 0, errors.New("not a TIFF file: shorter than a TIFF header")
	}
	f := &tiffFile{b: b}
	switch string(b[:2]) {
	case "II":
		f.bo = binary.LittleEndian
	case "MM":
		f.bo = binary.BigEndian
	default:
		return nil, 0, errors.New("not a TIFF file: byte-order mark is not II or MM")
	}
	switch v := f.bo.Uint16(b[2:]); v {
	case 42:
		return f, uint64(f.bo.Uint32(b[4:])), nil
	case 43:
		if len(b) < 16 {
			return nil, 0, errors.New("truncated BigTIFF header")
		}
		if f.bo.Uint16(b[4:]) != 8 || f.bo.Uint16(b[6:]) != 0 {
			return nil, 0, errors.New("corrupt BigTIFF header: offset size is not 8")
		}
		f.big = true
		return f, f.bo.Uint64(b[8:]), nil
	default:
		return nil, 0, fmt.Errorf("not a TIFF file: version %d (want 42 or BigTIFF 43)", v)
	}
}

// readIFDs follows the IFD chain from off and decodes every IFD, stopping at offset 0.
// A chain that revisits an offset is an error (a cycle), as is one longer than
// tiffMaxPages.
func (f *tiffFile) readIFDs(off uint64) ([]tiffIFD, error) {
	var ifds []tiffIFD
	seen := map[uint64]bool{}
	for off != 0 {
		if seen[off] {
			return nil, fmt.Errorf("IFD chain loops back to offset %d", off)
		}
		if len(ifds) >= tiffMaxPages {
			return nil, fmt.Errorf("more than %d IFDs", tiffMaxPages)
		}
		seen[off] = true
		ifd, next, err := f.readIFD(off)
		if err != nil {
			return nil, fmt.Errorf("IFD %d: %w", len(ifds), err)
		}
		ifds = append(ifds, ifd)
		off = next
	}
	if len(ifds) == 0 {
		return nil, errors.New("no image (first IFD offset is 0)")
	}
	return ifds, nil
}

// readIFD decodes the IFD at off and returns it with the offset of the next one.
func (f *tiffFile) readIFD(off uint64) (tiffIFD, uint64, error) {
	countSize, entrySize, nextSize := uint64(2), uint64(12), uint64(4)
	if f.big {
		countSize, entrySize, nextSize = 8, 20, 8
	}
	cb, err := f.span(off, countSize, "IFD entry count")
	if err != nil {
		return nil, 0, err
	}
	var n uint64
	if f.big {
		n = f.bo.Uint64(cb)
	} else {
		n = uint64(f.bo.Uint16(cb))
	}
	if n == 0 || n > tiffMaxIFDEntries {
		return nil, 0, fmt.Errorf("IFD at offset %d has %d entries", off, n)
	}
	entries, err := f.span(off+countSize, n*entrySize+nextSize, "IFD entries")
	if err != nil {
		return nil, 0, err
	}
	ifd := tiffIFD{}
	for i := uint64(0); i < n; i++ {
		e := entries[i*entrySize : (i+1)*entrySize]
		tag, typ := f.bo.Uint16(e), f.bo.Uint16(e[2:])
		size := uint64(tiffTypeSize(typ))
		if size == 0 {
			continue // unknown field type: skip, as the specification asks
		}
		var count uint64
		var inline []byte
		if f.big {
			count, inline = f.bo.Uint64(e[4:]), e[12:20]
		} else {
			count, inline = uint64(f.bo.Uint32(e[4:])), e[8:12]
		}
		if count > uint64(len(f.b)) { // every value takes at least one byte of the file
			return nil, 0, fmt.Errorf("tag %d: count %d exceeds the file size", tag, count)
		}
		raw := inline[:0]
		if total := count * size; total <= uint64(len(inline)) {
			raw = inline[:total]
		} else {
			var vo uint64
			if f.big {
				vo = f.bo.Uint64(inline)
			} else {
				vo = uint64(f.bo.Uint32(inline))
			}
			if raw, err = f.span(vo, total, fmt.Sprintf("tag %d values", tag)); err != nil {
				return nil, 0, err
			}
		}
		ifd[tag] = f.decodeField(typ, int(count), raw)
	}
	nb := entries[n*entrySize:]
	var next uint64
	if f.big {
		next = f.bo.Uint64(nb)
	} else {
		next = uint64(f.bo.Uint32(nb))
	}
	return ifd, next, nil
}

// decodeField converts the raw bytes of count values of field type typ. Integer types
// land in ints (signed values sign-extended), ASCII in str; other types keep only typ.
func (f *tiffFile) decodeField(typ uint16, count int, raw []byte) tiffField {
	fd := tiffField{typ: typ}
	switch typ {
	case tiffASCII:
		s := raw
		for i, c := range s {
			if c == 0 {
				s = s[:i]
				break
			}
		}
		fd.str = string(s)
	case tiffByte, tiffUndefined, tiffSByte, tiffShort, tiffSShort, tiffLong, tiffSLong, tiffIFD4, tiffLong8, tiffSLong8, tiffIFD8:
		fd.ints = make([]uint64, count)
		size := tiffTypeSize(typ)
		for i := range fd.ints {
			p := raw[i*size:]
			var v uint64
			switch typ {
			case tiffByte, tiffUndefined:
				v = uint64(p[0])
			case tiffSByte:
				v = uint64(int64(int8(p[0])))
			case tiffShort:
				v = uint64(f.bo.Uint16(p))
			case tiffSShort:
				v = uint64(int64(int16(f.bo.Uint16(p))))
			case tiffLong, tiffIFD4:
				v = uint64(f.bo.Uint32(p))
			case tiffSLong:
				v = uint64(int64(int32(f.bo.Uint32(p))))
			default:
				v = f.bo.Uint64(p)
			}
			fd.ints[i] = v
		}
	}
	return fd
}

// uint returns the first integer value of tag, or def when the tag is absent. An
// present tag without integer values is an error.
func (d tiffIFD) uint(tag uint16, def uint64) (uint64, error) {
	fd, ok := d[tag]
	if !ok {
		return def, nil
	}
	if len(fd.ints) == 0 {
		return 0, fmt.Errorf("tag %d has no integer value (type %d)", tag, fd.typ)
	}
	return fd.ints[0], nil
}

// dim returns a required positive size tag, at most tiffMaxDim.
func (d tiffIFD) dim(tag uint16, name string) (int, error) {
	if _, ok := d[tag]; !ok {
		return 0, fmt.Errorf("missing %s tag (%d)", name, tag)
	}
	v, err := d.uint(tag, 0)
	if err != nil {
		return 0, err
	}
	if v == 0 || v > tiffMaxDim {
		return 0, fmt.Errorf("%s %d out of range [1, %d]", name, v, tiffMaxDim)
	}
	return int(v), nil
}

// uniform returns the value of a per-sample tag (BitsPerSample, SampleFormat), which
// must be the same for all spp samples; def when absent.
func (d tiffIFD) uniform(tag uint16, name string, spp int, def uint64) (uint64, error) {
	fd, ok := d[tag]
	if !ok {
		return def, nil
	}
	if len(fd.ints) == 0 {
		return 0, fmt.Errorf("tag %s has no value", name)
	}
	v := fd.ints[0]
	for i := 1; i < len(fd.ints) && i < spp; i++ {
		if fd.ints[i] != v {
			return 0, fmt.Errorf("unsupported: %s differs between samples (%v)", name, fd.ints[:min(spp, len(fd.ints))])
		}
	}
	return v, nil
}

// mulCheck returns a·b, or ok=false when the product exceeds limit.
func mulCheck(a, b, limit uint64) (uint64, bool) {
	if a != 0 && b > limit/a {
		return 0, false
	}
	return a * b, a*b <= limit
}
