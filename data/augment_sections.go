package data

import (
	"math"

	"github.com/selfsup/selfsup/tensor"
)

// randIntExcl returns a uniform integer in [lo, hi) as numpy's randint(lo, hi), or lo
// when the range is empty.
func randIntExcl(rng *tensor.RNG, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + rng.IntN(hi-lo)
}

// fillBox sets every channel of the samples in [z0,z1)×[y0,y1)×[x0,x1) of m to v.
func fillBox(m *Image, z0, z1, y0, y1, x0, x1 int, v float32) {
	h, w, c := m.Height(), m.Width(), m.Channels()
	for z := z0; z < z1; z++ {
		for y := y0; y < y1; y++ {
			row := m.Data[((z*h+y)*w+x0)*c : ((z*h+y)*w+x1)*c]
			for i := range row {
				row[i] = v
			}
		}
	}
}

// cutout fills 1+ random boxes of x with cval (and of y with 0 when applyToMask), as
// BiaPy's cutout: the box count is drawn from [iters[0], iters[1]) (numpy's exclusive
// upper bound), each box's side is a fraction drawn from size of every spatial axis
// (z included in 3-D), at a uniform position. x and y are modified in place.
func cutout(rng *tensor.RNG, x, y *Image, iters [2]int, size [2]float64, cval float32, applyToMask bool) {
	d, h, w := x.Depth(), x.Height(), x.Width()
	side := func(n int, s float64) int { return int(math.Max(math.Min(float64(n)*s, float64(n)), 1)) }
	it := randIntExcl(rng, iters[0], iters[1])
	for range it {
		s := rng.Uniform(size[0], size[1])
		ys, xs := side(h, s), side(w, s)
		cy := randIntExcl(rng, 0, h-ys)
		cx := randIntExcl(rng, 0, w-xs)
		z0, z1 := 0, d
		if x.Is3D() {
			zs := side(d, s)
			z0 = randIntExcl(rng, 0, d-zs)
			z1 = z0 + zs
		}
		fillBox(x, z0, z1, cy, cy+ys, cx, cx+xs, cval)
		if applyToMask && y != nil {
			fillBox(y, z0, z1, cy, cy+ys, cx, cx+xs, 0)
		}
	}
}

// missingSections blanks a thick random line across some z-slices of m in place, as
// BiaPy's missing_sections (after PyTorch Connectomics): walking the slices, each is hit
// with probability 1/2 (and then the next two are skipped); a hit slice gets a straight
// line from one border to the opposite one, dilated `it` times with a 4-connected cross
// (all pixels within L1 distance it), set to the slice's per-channel mean. it is drawn
// once from [iters[0], iters[1]). A 2-D image is one slice. Planes smaller than 4×4 are
// left unchanged.
func missingSections(rng *tensor.RNG, m *Image, iters [2]int) {
	d, h, w, c := m.Depth(), m.Height(), m.Width(), m.Channels()
	it := randIntExcl(rng, iters[0], iters[1])
	if h < 4 || w < 4 {
		return
	}
	for z := 0; z < d; z++ {
		if rng.Float64() >= 0.5 {
			continue
		}
		mask := sectionLineMask(rng, h, w, it)
		plane := m.Data[z*h*w*c:][:h*w*c]
		mean := make([]float32, c)
		for ch := range c {
			s := 0.0
			for i := ch; i < len(plane); i += c {
				s += float64(plane[i])
			}
			mean[ch] = float32(s / float64(h*w))
		}
		for p, on := range mask {
			if on {
				copy(plane[p*c:][:c], mean)
			}
		}
		z += 2 // at most one missing section in any three consecutive slices
	}
}

// sectionLineMask returns an H×W mask of a random border-to-border line dilated it times
// (L1 distance ≤ it): with probability 1/2 the line runs from the top row to the bottom
// row, else from the left column to the right one, between random interior positions.
func sectionLineMask(rng *tensor.RNG, h, w, it int) []bool {
	var y0, x0, y1, x1 int
	if rng.Float64() < 0.5 {
		y0, x0 = 0, randIntExcl(rng, 1, w-2)
		y1, x1 = h-1, randIntExcl(rng, 1, w-2)
	} else {
		y0, x0 = randIntExcl(rng, 1, h-2), 0
		y1, x1 = randIntExcl(rng, 1, h-2), w-1
	}
	const inf = math.MaxInt32
	dist := make([]int32, h*w)
	for i := range dist {
		dist[i] = inf
	}
	// Bresenham line (skimage.draw.line).
	dy, dx := abs(y1-y0), abs(x1-x0)
	sy, sx := sign(y1-y0), sign(x1-x0)
	steep := dy > dx
	if steep {
		y0, x0, dy, dx, sy, sx = x0, y0, dx, dy, sx, sy
	}
	e := 2*dy - dx
	y, x := y0, x0
	for range dx + 1 {
		if steep {
			dist[x*w+y] = 0
		} else {
			dist[y*w+x] = 0
		}
		for e >= 0 {
			y += sy
			e -= 2 * dx
		}
		x += sx
		e += 2 * dy
	}
	// Two-pass L1 distance transform.
	for y := range h {
		for x := range w {
			i := y*w + x
			if y > 0 {
				dist[i] = min(dist[i], dist[i-w]+1)
			}
			if x > 0 {
				dist[i] = min(dist[i], dist[i-1]+1)
			}
		}
	}
	for y := h - 1; y >= 0; y-- {
		for x := w - 1; x >= 0; x-- {
			i := y*w + x
			if y < h-1 {
				dist[i] = min(dist[i], dist[i+w]+1)
			}
			if x < w-1 {
				dist[i] = min(dist[i], dist[i+1]+1)
			}
		}
	}
	mask := make([]bool, h*w)
	for i, v := range dist {
		mask[i] = int(v) <= it
	}
	return mask
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// misalignPlan is one draw of the misalignment augmentation, applied identically to the
// input and the target.
type misalignPlan struct {
	rotate bool
	angle  float64 // degrees, about (H/2, H/2) as BiaPy's random_rotate_matrix
	// 2-D: rows ≥ split move. 3-D: slices ≥ split move (slip: only slice split).
	split  int
	slip   bool
	dy, dx int // translation of the moving part (pixels)
}

// drawMisalign draws a misalignment for an image of m's shape, following BiaPy's
// misalignment: 2-D splits the rows at a random oy and moves the lower part; 3-D picks a
// slice idx and moves it alone ("slip") or with all later slices ("translation"),
// with probability 1/2 each. The moving part is rotated with probability rotateRatio
// (by at most the angle that moves a corner by the displacement) and translated
// otherwise (2-D: left by d ∈ [0, disp); 3-D: by (y1−y0, x1−x0), each in [0, disp)).
func drawMisalign(rng *tensor.RNG, m *Image, disp int, rotateRatio float64) misalignPlan {
	d, h := m.Depth(), m.Height()
	var p misalignPlan
	if !m.Is3D() {
		p.split = randIntExcl(rng, 1, h-1)
		p.dx = randIntExcl(rng, 0, disp)
	} else {
		p.slip = rng.Float64() < 0.5
		p.split = randIntExcl(rng, 1, d-1)
	}
	p.rotate = rng.Float64() < rotateRatio
	if p.rotate {
		x := float64(disp) / 2
		yy := float64(h-disp) / 2 * 1.42
		angle := 0.0
		if yy > 0 {
			angle = math.Asin(math.Min(x/yy, 1)) * 2 * 180 / math.Pi
		}
		p.angle = (rng.Float64() - 0.5) * 2 * angle
		p.dx = 0
	} else if m.Is3D() {
		y0, x0 := randIntExcl(rng, 0, disp), randIntExcl(rng, 0, disp)
		y1, x1 := randIntExcl(rng, 0, disp), randIntExcl(rng, 0, disp)
		p.dy, p.dx = y1-y0, x1-x0
	}
	return p
}

// moves reports whether row y (2-D) or slice z (3-D) belongs to the moving part.
func (p misalignPlan) moves(z, y int, is3D bool) bool {
	if !is3D {
		return y >= p.split
	}
	if p.slip {
		return z == p.split
	}
	return z >= p.split
}

// apply returns m misaligned by p; samples moved in from outside are 0. nearest selects
// nearest-neighbour interpolation (label masks) for rotations.
func (p misalignPlan) apply(m *Image, nearest bool) *Image {
	is3D := m.Is3D()
	h := m.Height()
	th := p.angle * math.Pi / 180
	cs, sn := math.Cos(th), math.Sin(th)
	c := float64(h) / 2
	if !is3D {
		if !p.rotate {
			return resample(m, nearest, borderConstant, 0, func(z, y, x int) (float64, float64, float64) {
				if y < p.split {
					return float64(z), float64(y), float64(x)
				}
				return float64(z), float64(y), float64(x + p.dx)
			})
		}
		// BiaPy warps the lower block as an image of its own (zero outside it), about
		// (H/2, H/2) in the block's coordinates.
		w, ch := m.Width(), m.Channels()
		off := p.split * w * ch
		block := &Image{Data: m.Data[off:], Shape: []int{h - p.split, w, ch}, DType: m.DType}
		rb := resample(block, nearest, borderConstant, 0, func(z, y, x int) (float64, float64, float64) {
			u, v := float64(x)-c, float64(y)-c
			return float64(z), c - sn*u + cs*v, c + cs*u + sn*v
		})
		out := m.Clone()
		copy(out.Data[off:], rb.Data)
		return out
	}
	return resample(m, nearest, borderConstant, 0, func(z, y, x int) (float64, float64, float64) {
		if !p.moves(z, y, true) {
			return float64(z), float64(y), float64(x)
		}
		if !p.rotate {
			return float64(z), float64(y + p.dy), float64(x + p.dx)
		}
		u, v := float64(x)-c, float64(y)-c
		return float64(z), c - sn*u + cs*v, c + cs*u + sn*v
	})
}
