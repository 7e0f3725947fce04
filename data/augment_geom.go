package data

import (
	"fmt"
	"math"
	"slices"

	"github.com/selfsup/selfsup/internal/parallel"
)

// borderMode says how a geometric transform fills samples that fall outside the image;
// the names are numpy.pad's (and skimage's, and BiaPy's AFFINE_MODE / E_MODE values).
type borderMode uint8

const (
	borderReflect   borderMode = iota // d c b | a b c d | c b a (mirror about the edge sample)
	borderSymmetric                   // c b a | a b c d | d c b (the edge sample repeated)
	borderEdge                        // a a a | a b c d | d d d
	borderWrap                        // b c d | a b c d | a b c
	borderConstant                    // the fill value
)

// parseBorderMode maps a BiaPy AFFINE_MODE / E_MODE string to a borderMode ("" gives def).
func parseBorderMode(s string, def borderMode) (borderMode, error) {
	switch s {
	case "":
		return def, nil
	case "reflect":
		return borderReflect, nil
	case "symmetric":
		return borderSymmetric, nil
	case "edge":
		return borderEdge, nil
	case "wrap":
		return borderWrap, nil
	case "constant":
		return borderConstant, nil
	}
	return 0, fmt.Errorf("unknown border mode %q (want reflect, symmetric, edge, wrap or constant)", s)
}

// borderIndex maps index i onto [0, n) following mode; it returns -1 for a constant
// border outside the image.
func borderIndex(i, n int, mode borderMode) int {
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case borderReflect:
		if n == 1 {
			return 0
		}
		p := 2*n - 2
		i %= p
		if i < 0 {
			i += p
		}
		if i >= n {
			i = p - i
		}
		return i
	case borderSymmetric:
		p := 2 * n
		i %= p
		if i < 0 {
			i += p
		}
		if i >= n {
			i = p - 1 - i
		}
		return i
	case borderEdge:
		return min(max(i, 0), n-1)
	case borderWrap:
		i %= n
		if i < 0 {
			i += n
		}
		return i
	}
	return -1
}

// sampler reads an image at fractional coordinates: linear (bilinear in a z-slice,
// trilinear across slices) or nearest-neighbour interpolation, with a border mode.
type sampler struct {
	src        *Image
	d, h, w, c int
	nearest    bool
	mode       borderMode
	cval       float32
}

func newSampler(src *Image, nearest bool, mode borderMode, cval float32) *sampler {
	return &sampler{src: src, d: src.Depth(), h: src.Height(), w: src.Width(), c: src.Channels(),
		nearest: nearest, mode: mode, cval: cval}
}

// at writes the c channels of the sample at (zs, ys, xs) to dst.
func (s *sampler) at(dst []float32, zs, ys, xs float64) {
	if s.nearest {
		z := borderIndex(int(math.Floor(zs+0.5)), s.d, s.mode)
		y := borderIndex(int(math.Floor(ys+0.5)), s.h, s.mode)
		x := borderIndex(int(math.Floor(xs+0.5)), s.w, s.mode)
		if z < 0 || y < 0 || x < 0 {
			for i := range dst {
				dst[i] = s.cval
			}
			return
		}
		copy(dst, s.src.Data[((z*s.h+y)*s.w+x)*s.c:][:s.c])
		return
	}
	z0f, y0f, x0f := math.Floor(zs), math.Floor(ys), math.Floor(xs)
	fz, fy, fx := float32(zs-z0f), float32(ys-y0f), float32(xs-x0f)
	z0, y0, x0 := int(z0f), int(y0f), int(x0f)
	if fz == 0 && z0 >= 0 && z0 < s.d && y0 >= 0 && y0+1 < s.h && x0 >= 0 && x0+1 < s.w {
		// Interior of one slice: plain bilinear, no border handling.
		c := s.c
		i00 := ((z0*s.h+y0)*s.w + x0) * c
		i10 := i00 + s.w*c
		p00, p01 := s.src.Data[i00:][:c], s.src.Data[i00+c:][:c]
		p10, p11 := s.src.Data[i10:][:c], s.src.Data[i10+c:][:c]
		w00, w01, w10, w11 := (1-fy)*(1-fx), (1-fy)*fx, fy*(1-fx), fy*fx
		for i := range dst {
			dst[i] = w00*p00[i] + w01*p01[i] + w10*p10[i] + w11*p11[i]
		}
		return
	}
	for i := range dst {
		dst[i] = 0
	}
	nz := 2
	if fz == 0 {
		nz = 1
	}
	for dz := range nz {
		wz := 1 - fz
		if dz == 1 {
			wz = fz
		}
		z := borderIndex(z0+dz, s.d, s.mode)
		for dy := range 2 {
			wy := 1 - fy
			if dy == 1 {
				wy = fy
			}
			y := borderIndex(y0+dy, s.h, s.mode)
			for dx := range 2 {
				wx := 1 - fx
				if dx == 1 {
					wx = fx
				}
				wgt := wz * wy * wx
				if wgt == 0 {
					continue
				}
				x := borderIndex(x0+dx, s.w, s.mode)
				if z < 0 || y < 0 || x < 0 {
					for i := range dst {
						dst[i] += wgt * s.cval
					}
					continue
				}
				v := s.src.Data[((z*s.h+y)*s.w+x)*s.c:][:s.c]
				for i := range dst {
					dst[i] += wgt * v[i]
				}
			}
		}
	}
}

// resample returns the image whose sample (z, y, x) is src read at coord(z, y, x) =
// (zs, ys, xs). Output rows are computed in parallel; coord must be safe for concurrent use.
func resample(src *Image, nearest bool, mode borderMode, cval float32, coord func(z, y, x int) (zs, ys, xs float64)) *Image {
	s := newSampler(src, nearest, mode, cval)
	out := &Image{Data: make([]float32, len(src.Data)), Shape: slices.Clone(src.Shape), DType: src.DType}
	h, w, c := s.h, s.w, s.c
	parallel.For(s.d*h, max(1, 4096/(w*c)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			z, y := r/h, r%h
			row := out.Data[r*w*c:][:w*c]
			for x := range w {
				zs, ys, xs := coord(z, y, x)
				s.at(row[x*c:][:c], zs, ys, xs)
			}
		}
	})
	return out
}

// affine2D is an affine map of the yx plane about the image centre ((W-1)/2, (H-1)/2),
// as imgaug's Affine: out = C + T + R(rot)·Shear(shear)·Zoom(zx, zy)·(in − C). Angles
// are in degrees; tx, ty in pixels. In 3-D, zz scales z about its centre (1: none).
type affine2D struct {
	rot, shear float64
	zx, zy, zz float64
	tx, ty     float64
	nearest    bool
	mode       borderMode
	cval       float32
}

// identityAffine returns the affine map that leaves the image unchanged.
func identityAffine() affine2D { return affine2D{zx: 1, zy: 1, zz: 1} }

// apply warps m by a; each output sample is read from the inverse-mapped input position.
func (a affine2D) apply(m *Image) *Image {
	th, sh := a.rot*math.Pi/180, math.Tan(a.shear*math.Pi/180)
	cs, sn := math.Cos(th), math.Sin(th)
	// M = R · Shear · Zoom, acting on (x, y) column vectors.
	r := [4]float64{cs, -sn, sn, cs}
	shm := [4]float64{1, sh, 0, 1}
	rs := mul2(r, shm)
	mm := mul2(rs, [4]float64{a.zx, 0, 0, a.zy})
	det := mm[0]*mm[3] - mm[1]*mm[2]
	inv := [4]float64{mm[3] / det, -mm[1] / det, -mm[2] / det, mm[0] / det}
	cx, cy := float64(m.Width()-1)/2, float64(m.Height()-1)/2
	cz := float64(m.Depth()-1) / 2
	zz := a.zz
	if zz == 0 {
		zz = 1
	}
	return resample(m, a.nearest, a.mode, a.cval, func(z, y, x int) (float64, float64, float64) {
		u, v := float64(x)-cx-a.tx, float64(y)-cy-a.ty
		xs := cx + inv[0]*u + inv[1]*v
		ys := cy + inv[2]*u + inv[3]*v
		zs := float64(z)
		if zz != 1 {
			zs = cz + (zs-cz)/zz
		}
		return zs, ys, xs
	})
}

func mul2(a, b [4]float64) [4]float64 {
	return [4]float64{
		a[0]*b[0] + a[1]*b[2], a[0]*b[1] + a[1]*b[3],
		a[2]*b[0] + a[3]*b[2], a[2]*b[1] + a[3]*b[3],
	}
}

// flipAxis returns m flipped along axis 0 (z), 1 (y) or 2 (x); a 2-D image has no z.
func flipAxis(m *Image, axis int) *Image {
	d, h, w, c := m.Depth(), m.Height(), m.Width(), m.Channels()
	out := &Image{Data: make([]float32, len(m.Data)), Shape: slices.Clone(m.Shape), DType: m.DType}
	for z := range d {
		for y := range h {
			sz, sy := z, y
			switch axis {
			case 0:
				sz = d - 1 - z
			case 1:
				sy = h - 1 - y
			}
			dst := out.Data[(z*h+y)*w*c:][:w*c]
			src := m.Data[(sz*h+sy)*w*c:][:w*c]
			if axis != 2 {
				copy(dst, src)
				continue
			}
			for x := range w {
				copy(dst[x*c:][:c], src[(w-1-x)*c:][:c])
			}
		}
	}
	return out
}

// rot90 returns m rotated by k·90° in the yx plane (counter-clockwise as np.rot90 on
// axes (y, x)); for odd k the output has H and W swapped.
func rot90(m *Image, k int) *Image {
	k = ((k % 4) + 4) % 4
	d, h, w, c := m.Depth(), m.Height(), m.Width(), m.Channels()
	oh, ow := h, w
	if k%2 == 1 {
		oh, ow = w, h
	}
	shape := slices.Clone(m.Shape)
	shape[len(shape)-3], shape[len(shape)-2] = oh, ow
	out := &Image{Data: make([]float32, len(m.Data)), Shape: shape, DType: m.DType}
	for z := range d {
		for y := range oh {
			for x := range ow {
				var sy, sx int
				switch k {
				case 0:
					sy, sx = y, x
				case 1: // np.rot90: out[y, x] = in[x, W-1-y]
					sy, sx = x, w-1-y
				case 2:
					sy, sx = h-1-y, w-1-x
				case 3:
					sy, sx = h-1-x, y
				}
				copy(out.Data[((z*oh+y)*ow+x)*c:][:c], m.Data[((z*h+sy)*w+sx)*c:][:c])
			}
		}
	}
	return out
}

// elasticField draws imgaug's ElasticTransformation displacement fields for an H×W
// plane: uniform(−1, 1) per pixel, Gaussian-smoothed with sigma (mirror border), times
// alpha. It returns dy and dx, each H·W long, row-major.
func elasticField(draw func() float64, h, w int, alpha, sigma float64) (dy, dx []float32) {
	field := func() []float32 {
		f := make([]float32, h*w)
		for i := range f {
			f[i] = float32(2*draw() - 1)
		}
		p := &Image{Data: f, Shape: []int{h, w, 1}}
		p = gaussianBlur(p, sigma)
		for i := range p.Data {
			p.Data[i] *= float32(alpha)
		}
		return p.Data
	}
	dy = field()
	dx = field()
	return dy, dx
}

// elasticWarp applies the displacement fields (from [elasticField]) to every z-slice of
// m: out(z, y, x) = m(z, y+dy, x+dx).
func elasticWarp(m *Image, dy, dx []float32, nearest bool, mode borderMode, cval float32) *Image {
	w := m.Width()
	return resample(m, nearest, mode, cval, func(z, y, x int) (float64, float64, float64) {
		i := y*w + x
		return float64(z), float64(y) + float64(dy[i]), float64(x) + float64(dx[i])
	})
}
