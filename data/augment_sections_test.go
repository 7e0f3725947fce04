package data

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestCutoutFillsOneBox(t *testing.T) {
	for _, shape := range [][]int{{20, 30, 2}, {10, 20, 30, 2}} {
		for _, toMask := range []bool{false, true} {
			t.Run(fmt.Sprint(shape, toMask), func(t *testing.T) {
				x := NewImage(Float32, shape...)
				for i := range x.Data {
					x.Data[i] = 1
				}
				y := x.Clone()
				cutout(tensor.NewRNG(21), x, y, [2]int{1, 2}, [2]float64{0.2, 0.4}, -3, toMask)
				// Bounding box of the filled samples.
				lo, hi := [3]int{1 << 30, 1 << 30, 1 << 30}, [3]int{-1, -1, -1}
				n := 0
				for z := range x.Depth() {
					for yy := range x.Height() {
						for xx := range x.Width() {
							for c := range x.Channels() {
								v := x.Data[x.Index(z, yy, xx, c)]
								if v == 1 {
									continue
								}
								if v != -3 {
									t.Fatalf("filled with %v, want -3", v)
								}
								n++
								for i, p := range [3]int{z, yy, xx} {
									lo[i], hi[i] = min(lo[i], p), max(hi[i], p)
								}
							}
						}
					}
				}
				sz := [3]int{hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1}
				if n == 0 || n != sz[0]*sz[1]*sz[2]*x.Channels() {
					t.Fatalf("%d samples filled, box %v", n, sz)
				}
				fy, fx := float64(sz[1])/float64(x.Height()), float64(sz[2])/float64(x.Width())
				if fy < 0.15 || fy > 0.4 || fx < 0.15 || fx > 0.4 || math.Abs(fy-fx) > 0.06 {
					t.Fatalf("box fractions y %v x %v, want one fraction in [0.2, 0.4)", fy, fx)
				}
				if x.Is3D() {
					if fz := float64(sz[0]) / float64(x.Depth()); math.Abs(fz-fy) > 0.11 {
						t.Fatalf("box z fraction %v, y fraction %v", fz, fy)
					}
				} else if sz[0] != 1 {
					t.Fatal("2-D box has depth")
				}
				for i, v := range y.Data {
					want := float32(1)
					if toMask && x.Data[i] == -3 {
						want = 0
					}
					if v != want {
						t.Fatalf("target sample %d = %v, want %v", i, v, want)
					}
				}
			})
		}
	}
}

func TestMissingSections(t *testing.T) {
	hit := 0
	for seed := range uint64(6) {
		x := augRandImage(30+seed, 9, 16, 14, 2)
		m := x.Clone()
		missingSections(tensor.NewRNG(seed), m, [2]int{1, 2}) // dilation 1
		last := -10
		for z := range 9 {
			changed := make([]bool, 16*14)
			any := false
			for p := range changed {
				for c := range 2 {
					i := (z*16*14+p)*2 + c
					if m.Data[i] != x.Data[i] {
						changed[p], any = true, true
					}
				}
			}
			if !any {
				continue
			}
			hit++
			if z-last < 3 {
				t.Fatalf("seed %d: sections %d and %d both missing", seed, last, z)
			}
			last = z
			// The changed pixels hold the slice mean and form a line crossing the plane.
			for c := range 2 {
				s := 0.0
				for p := range changed {
					s += float64(x.Data[(z*16*14+p)*2+c])
				}
				mean := float32(s / (16 * 14))
				for p, on := range changed {
					if on && m.Data[(z*16*14+p)*2+c] != mean {
						t.Fatalf("seed %d slice %d: changed sample is not the mean", seed, z)
					}
				}
			}
			rowsHit, colsHit := map[int]bool{}, map[int]bool{}
			for p, on := range changed {
				if on {
					rowsHit[p/14], colsHit[p%14] = true, true
				}
			}
			if len(rowsHit) != 16 && len(colsHit) != 14 {
				t.Fatalf("seed %d slice %d: the line does not cross the plane", seed, z)
			}
		}
	}
	if hit == 0 {
		t.Fatal("no section was ever removed")
	}
	// A 2-D image is one section.
	x := augRandImage(40, 16, 16, 1)
	for seed := range uint64(10) {
		m := x.Clone()
		missingSections(tensor.NewRNG(seed), m, [2]int{2, 3})
		if augMaxDiff(t, m, x) != 0 {
			return
		}
	}
	t.Fatal("2-D image never changed")
}

func TestMisalignmentTranslation(t *testing.T) {
	t.Run("2D", func(t *testing.T) {
		x := augRandImage(50, 8, 10, 2)
		p := misalignPlan{split: 3, dx: 4}
		m := p.apply(x, false)
		for y := range 8 {
			for xx := range 10 {
				for c := range 2 {
					want := x.Data[x.Index(0, y, xx, c)]
					if y >= 3 {
						want = 0
						if xx+4 < 10 {
							want = x.Data[x.Index(0, y, xx+4, c)]
						}
					}
					if got := m.Data[m.Index(0, y, xx, c)]; got != want {
						t.Fatalf("(%d,%d,%d) = %v, want %v", y, xx, c, got, want)
					}
				}
			}
		}
	})
	for _, slip := range []bool{false, true} {
		t.Run(fmt.Sprint("3D slip ", slip), func(t *testing.T) {
			x := augRandImage(51, 5, 8, 9, 1)
			p := misalignPlan{split: 2, slip: slip, dy: -2, dx: 3}
			m := p.apply(x, true)
			for z := range 5 {
				moves := z == 2 || (!slip && z > 2)
				for y := range 8 {
					for xx := range 9 {
						want := x.Data[x.Index(z, y, xx, 0)]
						if moves {
							want = 0
							if sy, sx := y-2, xx+3; sy >= 0 && sx < 9 {
								want = x.Data[x.Index(z, sy, sx, 0)]
							}
						}
						if got := m.Data[m.Index(z, y, xx, 0)]; got != want {
							t.Fatalf("(%d,%d,%d) = %v, want %v", z, y, xx, got, want)
						}
					}
				}
			}
		})
	}
	t.Run("rotation by 0", func(t *testing.T) {
		for _, shape := range [][]int{{8, 8, 1}, {4, 8, 8, 1}} {
			x := augRandImage(52, shape...)
			p := misalignPlan{split: 2, rotate: true}
			if d := augMaxDiff(t, p.apply(x, false), x); d > 1e-6 {
				t.Fatalf("%v: rotation by 0 changed the image by %g", shape, d)
			}
		}
	})
	t.Run("draw", func(t *testing.T) {
		rng := tensor.NewRNG(53)
		x := NewImage(Float32, 6, 32, 32, 1)
		for range 50 {
			p := drawMisalign(rng, x, 8, 0.5)
			if p.split < 1 || p.split >= 5 || abs(p.dy) >= 8 || abs(p.dx) >= 8 {
				t.Fatalf("plan %+v out of range", p)
			}
			if p.rotate && (p.dx != 0 || p.dy != 0 || math.Abs(p.angle) > 30) {
				t.Fatalf("rotation plan %+v", p)
			}
		}
	})
}
