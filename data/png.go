package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
)

// pngMaxPixels caps the declared size of a PNG before it is decoded.
const pngMaxPixels = 1 << 30

// ReadPNG reads a PNG file into a 2-D [Image] of shape [Y, X, C] with dtype uint8 (bit
// depth ≤ 8) or uint16 (bit depth 16). C follows the file's colour type, as
// skimage.io.imread (BiaPy's reader) does: gray 1, gray+alpha 2, RGB 3, RGBA 4 — alpha
// is kept, never dropped or premultiplied. Palette images give their indices (C=1),
// like palette TIFFs; gray images with fewer than 8 bits are scaled to 0..255 by
// image/png. Errors name path and the problem.
func ReadPNG(path string) (*Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: ReadPNG: %w", err)
	}
	m, err := decodePNG(b)
	if err != nil {
		return nil, fmt.Errorf("data: ReadPNG %s: %w", path, err)
	}
	return m, nil
}

// DecodePNG decodes a PNG file held in memory; see [ReadPNG].
func DecodePNG(b []byte) (*Image, error) {
	m, err := decodePNG(b)
	if err != nil {
		return nil, fmt.Errorf("data: DecodePNG: %w", err)
	}
	return m, nil
}

func decodePNG(b []byte) (*Image, error) {
	if len(b) < 26 || string(b[:8]) != "\x89PNG\r\n\x1a\n" || string(b[12:16]) != "IHDR" {
		return nil, errors.New("not a PNG file")
	}
	colorType := b[25]
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > pngMaxPixels {
		return nil, fmt.Errorf("PNG size %d×%d out of range", cfg.Width, cfg.Height)
	}
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r := src.Bounds()
	H, W := r.Dy(), r.Dx()
	var m *Image
	switch s := src.(type) {
	case *image.Gray:
		m = NewImage(Uint8, H, W, 1)
		for y := range H {
			row := s.Pix[y*s.Stride : y*s.Stride+W]
			for x, v := range row {
				m.Data[y*W+x] = float32(v)
			}
		}
	case *image.Paletted:
		m = NewImage(Uint8, H, W, 1)
		for y := range H {
			row := s.Pix[y*s.Stride : y*s.Stride+W]
			for x, v := range row {
				m.Data[y*W+x] = float32(v)
			}
		}
	case *image.Gray16:
		m = NewImage(Uint16, H, W, 1)
		for y := range H {
			row := s.Pix[y*s.Stride : y*s.Stride+2*W]
			for x := range W {
				m.Data[y*W+x] = float32(uint16(row[2*x])<<8 | uint16(row[2*x+1]))
			}
		}
	case *image.RGBA: // opaque RGB
		m = pngChannels8(s.Pix, s.Stride, H, W, 3, []int{0, 1, 2})
	case *image.NRGBA:
		if colorType == 4 { // gray + alpha
			m = pngChannels8(s.Pix, s.Stride, H, W, 2, []int{0, 3})
		} else {
			m = pngChannels8(s.Pix, s.Stride, H, W, 4, []int{0, 1, 2, 3})
		}
	case *image.RGBA64:
		m = pngChannels16(s.Pix, s.Stride, H, W, []int{0, 1, 2})
	case *image.NRGBA64:
		if colorType == 4 {
			m = pngChannels16(s.Pix, s.Stride, H, W, []int{0, 3})
		} else {
			m = pngChannels16(s.Pix, s.Stride, H, W, []int{0, 1, 2, 3})
		}
	default:
		return nil, fmt.Errorf("unsupported PNG pixel type %T", src)
	}
	return m, nil
}

// pngChannels8 picks channels pick (indices into 4-byte RGBA pixels) of an 8-bit image.
func pngChannels8(pix []byte, stride, H, W, C int, pick []int) *Image {
	m := NewImage(Uint8, H, W, C)
	for y := range H {
		row := pix[y*stride : y*stride+4*W]
		out := m.Data[y*W*C : (y+1)*W*C]
		for x := range W {
			for c, k := range pick {
				out[x*C+c] = float32(row[4*x+k])
			}
		}
	}
	return m
}

// pngChannels16 picks channels of a 16-bit image (8-byte big-endian RGBA pixels).
func pngChannels16(pix []byte, stride, H, W int, pick []int) *Image {
	C := len(pick)
	m := NewImage(Uint16, H, W, C)
	for y := range H {
		row := pix[y*stride : y*stride+8*W]
		out := m.Data[y*W*C : (y+1)*W*C]
		for x := range W {
			for c, k := range pick {
				out[x*C+c] = float32(uint16(row[8*x+2*k])<<8 | uint16(row[8*x+2*k+1]))
			}
		}
	}
	return m
}

// WritePNG writes a 2-D uint8 or uint16 image with 1, 3 or 4 channels (gray, RGB,
// RGBA with straight alpha) to path atomically. Values are cast as [DType.Cast] does.
// image/png writes an RGBA image whose alpha is 255 everywhere as RGB, so such a file
// reads back with 3 channels. Two-channel (gray+alpha) images, other dtypes and 3-D
// images are errors.
func WritePNG(path string, m *Image) error {
	if err := writeAtomic(path, func(w io.Writer) error { return EncodePNG(w, m) }); err != nil {
		return fmt.Errorf("data: WritePNG %s: %w", path, err)
	}
	return nil
}

// EncodePNG writes m as PNG to w; see [WritePNG].
func EncodePNG(w io.Writer, m *Image) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.Is3D() {
		return fmt.Errorf("PNG holds 2-D images, image shape is %v", m.Shape)
	}
	if m.DType != Uint8 && m.DType != Uint16 {
		return fmt.Errorf("PNG holds uint8 or uint16 samples, image is %v", m.DType)
	}
	H, W, C := m.Height(), m.Width(), m.Channels()
	if C != 1 && C != 3 && C != 4 {
		return fmt.Errorf("PNG writing supports 1, 3 or 4 channels, image has %d", C)
	}
	r := image.Rect(0, 0, W, H)
	var img image.Image
	at := func(y, x, c int) float32 { return m.DType.Cast(m.Data[(y*W+x)*C+c]) }
	switch {
	case C == 1 && m.DType == Uint8:
		g := image.NewGray(r)
		for y := range H {
			for x := range W {
				g.Pix[y*g.Stride+x] = uint8(at(y, x, 0))
			}
		}
		img = g
	case C == 1:
		g := image.NewGray16(r)
		for y := range H {
			for x := range W {
				g.SetGray16(x, y, color.Gray16{Y: uint16(at(y, x, 0))})
			}
		}
		img = g
	case m.DType == Uint8:
		g := image.NewNRGBA(r)
		for y := range H {
			for x := range W {
				p := g.Pix[y*g.Stride+4*x:]
				p[3] = 255
				for c := range C {
					p[c] = uint8(at(y, x, c))
				}
			}
		}
		img = g
	default:
		g := image.NewNRGBA64(r)
		for y := range H {
			for x := range W {
				p := g.Pix[y*g.Stride+8*x:]
				p[6], p[7] = 255, 255
				for c := range C {
					v := uint16(at(y, x, c))
					p[2*c], p[2*c+1] = uint8(v>>8), uint8(v)
				}
			}
		}
		img = g
	}
	return png.Encode(w, img)
}
