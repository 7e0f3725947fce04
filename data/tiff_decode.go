package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"golang.org/x/image/tiff/lzw"
)

// tiffScratch is reused across the chunks of a file: the decoded chunk and the
// decompressors (a new flate reader allocates tens of kilobytes).
type tiffScratch struct {
	buf []byte
	zr  io.ReadCloser
	br  bytes.Reader
}

// decodePage decodes every chunk of p into m at depth z, with the page's samples
// starting at channel cbase.
func (f *tiffFile) decodePage(p *tiffPage, m *Image, z, cbase int, sc *tiffScratch) error {
	cs := p.chunkSamples()
	rowBytes := p.chunkRowBytes()
	row := make([]float32, p.chunkW*cs)
	across, down := p.across(), p.down()
	H, W, C := p.height, p.width, m.Channels()
	for i := range p.offsets {
		rows := p.chunkRows(i)
		want := rows * rowBytes
		if cap(sc.buf) < want {
			sc.buf = make([]byte, want)
		}
		buf := sc.buf[:want]
		if err := f.decodeChunk(p, i, buf, sc); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		plane, k := 0, i
		if p.planar {
			plane, k = i/(across*down), i%(across*down)
		}
		y0, x0 := (k/across)*p.chunkH, (k%across)*p.chunkW
		ncols := min(p.chunkW, W-x0)
		for r := 0; r < rows && y0+r < H; r++ {
			convertTIFFRow(row[:ncols*cs], buf[r*rowBytes:], p.dtype, f.bo)
			base := ((z*H+y0+r)*W + x0) * C
			c0 := cbase + plane
			if cs == C {
				copy(m.Data[base:base+ncols*cs], row[:ncols*cs])
				continue
			}
			for x := range ncols {
				dst := m.Data[base+x*C+c0:]
				copy(dst[:cs], row[x*cs:(x+1)*cs])
			}
		}
	}
	return nil
}

// decodeChunk decompresses chunk i of p into out (exactly its decoded size) and undoes
// the predictor. A chunk with byte count 0 (sparse file) decodes to zeros.
func (f *tiffFile) decodeChunk(p *tiffPage, i int, out []byte, sc *tiffScratch) error {
	raw := f.b[p.offsets[i] : p.offsets[i]+p.counts[i]] // range checked by parsePage
	if len(raw) == 0 {
		clear(out)
		return nil
	}
	var n int
	var err error
	switch p.compression {
	case 1:
		n = copy(out, raw)
	case 5:
		if len(raw) >= 2 && raw[0] == 0 && raw[1]&1 != 0 {
			return errors.New("unsupported old-style (LSB-first) LZW")
		}
		r := lzw.NewReader(bytes.NewReader(raw), lzw.MSB, 8)
		n, err = io.ReadFull(r, out)
		r.Close()
	case 8, 32946:
		sc.br.Reset(raw)
		if sc.zr == nil {
			sc.zr, err = zlib.NewReader(&sc.br)
		} else {
			err = sc.zr.(zlib.Resetter).Reset(&sc.br, nil)
		}
		if err == nil {
			n, err = io.ReadFull(sc.zr, out)
		}
	case 32773:
		n, err = unpackBits(out, raw)
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s data: %w", tiffCompressionName(p.compression), err)
	}
	if n < len(out) {
		return fmt.Errorf("%s data decodes to %d bytes, want %d: truncated or corrupt", tiffCompressionName(p.compression), n, len(out))
	}
	rowBytes := p.chunkRowBytes()
	switch p.predictor {
	case 2:
		for r := 0; r+rowBytes <= len(out); r += rowBytes {
			undoHorizontal(out[r:r+rowBytes], p.chunkSamples(), p.bytes, f.bo)
		}
	case 3:
		tmp := make([]byte, rowBytes)
		for r := 0; r+rowBytes <= len(out); r += rowBytes {
			undoFloatPredictor(out[r:r+rowBytes], tmp, p.chunkSamples(), p.bytes, f.bo)
		}
	}
	return nil
}

func tiffCompressionName(c uint64) string {
	switch c {
	case 1:
		return "uncompressed"
	case 5:
		return "LZW"
	case 32773:
		return "PackBits"
	}
	return "Deflate"
}

// unpackBits decodes PackBits data from src into dst until dst is full or src ends and
// returns the number of bytes written.
func unpackBits(dst, src []byte) (int, error) {
	n := 0
	for i := 0; i < len(src) && n < len(dst); {
		c := int(int8(src[i]))
		i++
		switch {
		case c >= 0: // copy c+1 literal bytes
			k := c + 1
			if i+k > len(src) {
				return n, errors.New("PackBits literal run past the end of the data")
			}
			n += copy(dst[n:], src[i:i+k])
			i += k
		case c != -128: // repeat the next byte 1-c times
			if i >= len(src) {
				return n, errors.New("PackBits repeat run past the end of the data")
			}
			k := min(1-c, len(dst)-n)
			for j := range k {
				dst[n+j] = src[i]
			}
			n += k
			i++
		}
	}
	return n, nil
}

// undoHorizontal reverses horizontal differencing (Predictor 2) on one row of integer
// samples of size bytes each, stride samples per pixel, in byte order bo.
func undoHorizontal(row []byte, stride, size int, bo binary.ByteOrder) {
	n := len(row) / size
	switch size {
	case 1:
		for i := stride; i < n; i++ {
			row[i] += row[i-stride]
		}
	case 2:
		for i := stride; i < n; i++ {
			bo.PutUint16(row[2*i:], bo.Uint16(row[2*i:])+bo.Uint16(row[2*(i-stride):]))
		}
	case 4:
		for i := stride; i < n; i++ {
			bo.PutUint32(row[4*i:], bo.Uint32(row[4*i:])+bo.Uint32(row[4*(i-stride):]))
		}
	case 8:
		for i := stride; i < n; i++ {
			bo.PutUint64(row[8*i:], bo.Uint64(row[8*i:])+bo.Uint64(row[8*(i-stride):]))
		}
	}
}

// undoFloatPredictor reverses the floating-point predictor (Predictor 3) on one row:
// bytes were differenced with stride samples per pixel after being split into byte
// planes, most significant plane first. The row is rewritten in byte order bo.
func undoFloatPredictor(row, tmp []byte, stride, size int, bo binary.ByteOrder) {
	for i := stride; i < len(row); i++ {
		row[i] += row[i-stride]
	}
	copy(tmp, row)
	wc := len(row) / size
	for k := range wc {
		for b := range size {
			v := tmp[b*wc+k] // plane b holds byte b counting from the most significant
			if bo == binary.ByteOrder(binary.LittleEndian) {
				row[k*size+size-1-b] = v
			} else {
				row[k*size+b] = v
			}
		}
	}
}

// convertTIFFRow converts len(dst) samples of type dt in byte order bo from src.
func convertTIFFRow(dst []float32, src []byte, dt DType, bo binary.ByteOrder) {
	switch dt {
	case Uint8:
		for i := range dst {
			dst[i] = float32(src[i])
		}
	case Int8:
		for i := range dst {
			dst[i] = float32(int8(src[i]))
		}
	case Uint16:
		src = src[:2*len(dst)]
		if bo == binary.ByteOrder(binary.LittleEndian) {
			for i := range dst {
				dst[i] = float32(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
			}
		} else {
			for i := range dst {
				dst[i] = float32(uint16(src[2*i+1]) | uint16(src[2*i])<<8)
			}
		}
	case Int16:
		for i := range dst {
			dst[i] = float32(int16(bo.Uint16(src[2*i:])))
		}
	case Uint32:
		for i := range dst {
			dst[i] = float32(bo.Uint32(src[4*i:]))
		}
	case Int32:
		for i := range dst {
			dst[i] = float32(int32(bo.Uint32(src[4*i:])))
		}
	case Float32:
		for i := range dst {
			dst[i] = math.Float32frombits(bo.Uint32(src[4*i:]))
		}
	case Float64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(bo.Uint64(src[8*i:])))
		}
	}
}
