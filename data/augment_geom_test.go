package data

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// augRandImage returns an image of the given shape with uniform [0, 1) samples.
func augRandImage(seed uint64, shape ...int) *Image {
	m := NewImage(Float32, shape...)
	rng := tensor.NewRNG(seed)
	for i := range m.Data {
		m.Data[i] = float32(rng.Float64())
	}
	return m
}

// augMaxDiff returns max |a−b| over the samples of two images of the same shape.
func augMaxDiff(t *testing.T, a, b *Image) float64 {
	t.Helper()
	if !slices.Equal(a.Shape, b.Shape) {
		t.Fatalf("shapes %v and %v differ", a.Shape, b.Shape)
	}
	d := 0.0
	for i := range a.Data {
		d = math.Max(d, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	return d
}

var augGeomShapes = [][]int{{5, 7, 2}, {6, 6, 1}, {3, 5, 4, 2}}

func TestBorderIndex(t *testing.T) {
	tests := []struct {
		mode borderMode
		want []int // for i = -3..6 with n = 4
	}{
		{borderReflect, []int{3, 2, 1, 0, 1, 2, 3, 2, 1, 0}},
		{borderSymmetric, []int{2, 1, 0, 0, 1, 2, 3, 3, 2, 1}},
		{borderEdge, []int{0, 0, 0, 0, 1, 2, 3, 3, 3, 3}},
		{borderWrap, []int{1, 2, 3, 0, 1, 2, 3, 0, 1, 2}},
		{borderConstant, []int{-1, -1, -1, 0, 1, 2, 3, -1, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.mode), func(t *testing.T) {
			for k, want := range tt.want {
				if got := borderIndex(k-3, 4, tt.mode); got != want {
					t.Errorf("borderIndex(%d, 4) = %d, want %d", k-3, got, want)
				}
			}
		})
	}
}

func TestFlipTwiceIsIdentity(t *testing.T) {
	for _, shape := range augGeomShapes {
		for axis := range 3 {
			t.Run(fmt.Sprint(shape, axis), func(t *testing.T) {
				m := augRandImage(1, shape...)
				f := flipAxis(m, axis)
				if axis == 0 && !m.Is3D() {
					if augMaxDiff(t, f, m) != 0 {
						t.Fatal("z flip of a 2-D image changed it")
					}
					return
				}
				if augMaxDiff(t, f, m) == 0 {
					t.Fatal("flip left the image unchanged")
				}
				if augMaxDiff(t, flipAxis(f, axis), m) != 0 {
					t.Fatal("flip twice is not the identity")
				}
			})
		}
	}
	// x flip moves sample (y, x) to (y, W-1-x).
	m := augRandImage(2, 3, 4, 2)
	f := flipAxis(m, 2)
	if f.Data[f.Index(0, 1, 0, 1)] != m.Data[m.Index(0, 1, 3, 1)] {
		t.Fatal("x flip misplaces samples")
	}
}

func TestRot90(t *testing.T) {
	for _, shape := range augGeomShapes {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			m := augRandImage(3, shape...)
			r := m
			for range 4 {
				r = rot90(r, 1)
			}
			if augMaxDiff(t, r, m) != 0 {
				t.Fatal("rot90 ×4 is not the identity")
			}
			if augMaxDiff(t, rot90(rot90(m, 1), 1), rot90(m, 2)) != 0 {
				t.Fatal("rot90 twice differs from rot90(2)")
			}
			// np.rot90: out[y, x] = in[x, W-1-y].
			r1 := rot90(m, 1)
			w := m.Width()
			for y := range r1.Height() {
				for x := range r1.Width() {
					if r1.Data[r1.Index(0, y, x, 0)] != m.Data[m.Index(0, x, w-1-y, 0)] {
						t.Fatalf("rot90 sample (%d,%d) misplaced", y, x)
					}
				}
			}
		})
	}
}

func TestAffineIdentityAndZoomOne(t *testing.T) {
	for _, shape := range augGeomShapes {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			m := augRandImage(4, shape...)
			for _, nearest := range []bool{false, true} {
				a := identityAffine()
				a.nearest = nearest
				if d := augMaxDiff(t, a.apply(m), m); d > 1e-6 {
					t.Fatalf("zoom 1 (nearest %v) changed the image by %g", nearest, d)
				}
			}
		})
	}
}

func TestAffineIntegerShiftIsExact(t *testing.T) {
	m := augRandImage(5, 2, 9, 8, 2)
	for _, mode := range []borderMode{borderReflect, borderConstant} {
		a := identityAffine()
		a.tx, a.ty, a.mode = 3, -2, mode
		s := a.apply(m)
		for z := range 2 {
			for y := range 9 {
				for x := range 8 {
					sy, sx := borderIndex(y+2, 9, mode), borderIndex(x-3, 8, mode)
					for c := range 2 {
						want := float32(0)
						if sy >= 0 && sx >= 0 {
							want = m.Data[m.Index(z, sy, sx, c)]
						}
						if got := s.Data[s.Index(z, y, x, c)]; math.Abs(float64(got-want)) > 1e-6 {
							t.Fatalf("mode %d: shifted (%d,%d,%d,%d) = %v, want %v", mode, z, y, x, c, got, want)
						}
					}
				}
			}
		}
	}
}

func TestAffineRotationMatchesRot90(t *testing.T) {
	m := augRandImage(6, 7, 7, 3)
	for _, deg := range []float64{90, 180, 270} {
		a := identityAffine()
		a.rot = deg
		got := a.apply(m)
		k := 1 // a positive angle turns x towards y; with y down that is np.rot90's k=3
		switch deg {
		case 90:
			k = 3
		case 180:
			k = 2
		case 270:
			k = 1
		}
		if d := augMaxDiff(t, got, rot90(m, k)); d > 1e-5 {
			t.Fatalf("rotation by %v° differs from rot90(%d) by %g", deg, k, d)
		}
	}
}

func TestAffineZoomAndShearGeometry(t *testing.T) {
	// A linear ramp in x is mapped to a linear ramp: zooming by 2 about the centre halves
	// the slope; a shear of 45° adds the y offset to x.
	h, w := 9, 9
	m := NewImage(Float32, h, w, 1)
	for y := range h {
		for x := range w {
			m.Data[m.Index(0, y, x, 0)] = float32(x)
		}
	}
	a := identityAffine()
	a.zx = 2
	z := a.apply(m)
	if got := z.Data[z.Index(0, 4, 6, 0)]; math.Abs(float64(got)-5) > 1e-5 {
		t.Fatalf("zoom 2: sample at x=6 is %v, want 5", got)
	}
	a = identityAffine()
	a.shear = 45
	s := a.apply(m)
	// Inverse of x' = x + y·tan(45°) about the centre: x = x' − (y − 4).
	if got := s.Data[s.Index(0, 6, 5, 0)]; math.Abs(float64(got)-3) > 1e-5 {
		t.Fatalf("shear 45°: sample (6,5) is %v, want 3", got)
	}
}

func TestElasticZeroFieldIsIdentity(t *testing.T) {
	m := augRandImage(7, 2, 6, 5, 1)
	dy, dx := make([]float32, 30), make([]float32, 30)
	if d := augMaxDiff(t, elasticWarp(m, dy, dx, false, borderConstant, 0), m); d != 0 {
		t.Fatalf("zero displacement changed the image by %g", d)
	}
	rng := tensor.NewRNG(1)
	dy, dx = elasticField(rng.Float64, 6, 5, 14, 4)
	var maxd float32
	for i := range dy {
		maxd = max(maxd, augAbs32(dy[i]), augAbs32(dx[i]))
	}
	if maxd == 0 || maxd > 14 {
		t.Fatalf("elastic displacement max %v, want in (0, alpha]", maxd)
	}
}

func augAbs32(v float32) float32 { return float32(math.Abs(float64(v))) }
