package data

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestGaussianBlurConstantImage(t *testing.T) {
	m := NewImage(Float32, 2, 6, 7, 2)
	for i := range m.Data {
		m.Data[i] = 3.5
	}
	b := gaussianBlur(m, 2.3)
	for i, v := range b.Data {
		if math.Abs(float64(v)-3.5) > 1e-5 {
			t.Fatalf("blurred constant image sample %d = %v, want 3.5", i, v)
		}
	}
}

func TestGaussianBlurMatchesDirect2D(t *testing.T) {
	for _, sigma := range []float64{0.7, 1.5} {
		t.Run(fmt.Sprint(sigma), func(t *testing.T) {
			m := augRandImage(11, 2, 8, 9, 2)
			got := gaussianBlur(m, sigma)
			k := gaussianKernel(sigma)
			r := len(k) / 2
			d, h, w, c := 2, 8, 9, 2
			for z := range d {
				for y := range h {
					for x := range w {
						for ch := range c {
							s := 0.0
							for i := -r; i <= r; i++ {
								for j := -r; j <= r; j++ {
									sy, sx := borderIndex(y+i, h, borderReflect), borderIndex(x+j, w, borderReflect)
									s += float64(k[i+r]) * float64(k[j+r]) * float64(m.Data[m.Index(z, sy, sx, ch)])
								}
							}
							if g := got.Data[got.Index(z, y, x, ch)]; math.Abs(float64(g)-s) > 1e-5 {
								t.Fatalf("(%d,%d,%d,%d) = %v, want %v", z, y, x, ch, g, s)
							}
						}
					}
				}
			}
		})
	}
	k := gaussianKernel(1.5)
	if len(k) != 2*6+1 { // int(4·1.5 + 0.5) = 6
		t.Fatalf("kernel length %d, want 13", len(k))
	}
}

func TestMedianBlurRemovesSaltNoise(t *testing.T) {
	m := NewImage(Float32, 12, 12, 1)
	for i := range m.Data {
		m.Data[i] = 0.25
	}
	// Isolated salt pixels (corners included: the replicated border repeats a corner
	// spike only 4 times in its 3×3 window).
	noisy := m.Clone()
	for _, i := range []int{0, 11, 30, 64, 100, 132, 143} {
		noisy.Data[i] = 1
	}
	if d := augMaxDiff(t, medianBlur(noisy, 3), m); d != 0 {
		t.Fatalf("median 3×3 left salt noise (max diff %g)", d)
	}
	// A 3-D, 2-channel check against a direct median.
	x := augRandImage(12, 2, 5, 6, 2)
	got := medianBlur(x, 5)
	for _, p := range [][4]int{{0, 0, 0, 0}, {1, 2, 3, 1}, {1, 4, 5, 0}} {
		var v []float32
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				sy, sx := borderIndex(p[1]+dy, 5, borderEdge), borderIndex(p[2]+dx, 6, borderEdge)
				v = append(v, x.Data[x.Index(p[0], sy, sx, p[3])])
			}
		}
		want := selectKth(v, 12)
		if g := got.Data[got.Index(p[0], p[1], p[2], p[3])]; g != want {
			t.Fatalf("median at %v = %v, want %v", p, g, want)
		}
	}
}

func TestSelectKth(t *testing.T) {
	rng := tensor.NewRNG(4)
	for n := 1; n < 40; n++ {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.IntN(7))
		}
		for k := range n {
			c := append([]float32(nil), v...)
			got := selectKth(c, k)
			less, leq := 0, 0
			for _, x := range v {
				if x < got {
					less++
				}
				if x <= got {
					leq++
				}
			}
			if less > k || leq <= k {
				t.Fatalf("selectKth(%v, %d) = %v", v, k, got)
			}
		}
	}
}

func TestGammaBrightnessContrast(t *testing.T) {
	m := augRandImage(13, 4, 5, 1)
	g := m.Clone()
	gammaContrast(g, 1)
	if augMaxDiff(t, g, m) != 0 {
		t.Fatal("gamma 1 is not the identity")
	}
	gammaContrast(g, 2)
	for i, v := range g.Data {
		if math.Abs(float64(v)-float64(m.Data[i])*float64(m.Data[i])) > 1e-6 {
			t.Fatal("gamma 2 is not v²")
		}
	}

	rng := tensor.NewRNG(5)
	vol := augRandImage(14, 3, 4, 5, 2)
	tests := []struct {
		name string
		m    *Image
		mode string
	}{{"2D image", m, "2D"}, {"3D mode 3D", vol, "3D"}, {"3D mode 2D", vol, "2D"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sliceFactors(rng, [2]float64{-0.1, 0.1}, tt.mode, tt.m)
			if len(f) != tt.m.Depth() {
				t.Fatalf("%d factors for %d slices", len(f), tt.m.Depth())
			}
			distinct := len(f) > 1 && f[0] != f[1]
			if distinct != (tt.mode == "2D" && tt.m.Is3D()) {
				t.Fatalf("factors %v for mode %s", f, tt.mode)
			}
			b := tt.m.Clone()
			addPerSlice(b, f)
			c := tt.m.Clone()
			mul := make([]float64, len(f))
			for i := range f {
				mul[i] = 1 + f[i]
			}
			scalePerSlice(c, mul)
			n := len(tt.m.Data) / tt.m.Depth()
			for i, v := range tt.m.Data {
				z := i / n
				if math.Abs(float64(b.Data[i])-(float64(v)+f[z])) > 1e-6 {
					t.Fatal("brightness is not v + f")
				}
				if math.Abs(float64(c.Data[i])-float64(v)*(1+f[z])) > 1e-6 {
					t.Fatal("contrast is not v·(1 + f)")
				}
			}
		})
	}
}

func TestNoiseStatistics(t *testing.T) {
	const n = 200 * 200
	t.Run("gaussian", func(t *testing.T) {
		m := NewImage(Float32, 200, 200, 1)
		gaussianNoise(tensor.NewRNG(6), m, 0.1, 0.05)
		mean, v := meanVar(m.Data)
		if math.Abs(mean-0.1) > 0.005 || math.Abs(v-0.05) > 0.002 {
			t.Fatalf("mean %v var %v, want 0.1 and 0.05", mean, v)
		}
	})
	t.Run("poisson", func(t *testing.T) {
		// Two distinct values → vals = 2: samples are Poisson(2v)/2, mean v, var v/2.
		m := NewImage(Float32, 200, 200, 1)
		for i := range m.Data {
			m.Data[i] = float32(i%2) * 6
		}
		poissonNoise(tensor.NewRNG(7), m)
		var ones []float32
		for i := 1; i < n; i += 2 {
			ones = append(ones, m.Data[i])
			if m.Data[i-1] != 0 {
				t.Fatal("Poisson(0) is not 0")
			}
		}
		mean, v := meanVar(ones)
		if math.Abs(mean-6) > 0.05 || math.Abs(v-3) > 0.15 {
			t.Fatalf("mean %v var %v, want 6 and 3", mean, v)
		}
	})
	t.Run("poisson large", func(t *testing.T) {
		rng := tensor.NewRNG(8)
		for _, lam := range []float64{3, 40, 1000} {
			var s, s2 float64
			const k = 20000
			for range k {
				v := float64(poisson(rng, lam))
				s += v
				s2 += v * v
			}
			mean := s / k
			v := s2/k - mean*mean
			if math.Abs(mean-lam) > 4*math.Sqrt(lam/k) || math.Abs(v/lam-1) > 0.06 {
				t.Fatalf("Poisson(%v): mean %v var %v", lam, mean, v)
			}
		}
	})
	t.Run("salt and pepper", func(t *testing.T) {
		m := NewImage(Float32, 200, 200, 1)
		for i := range m.Data {
			m.Data[i] = 0.5
		}
		m.Data[0], m.Data[1] = 0, 1
		saltAndPepper(tensor.NewRNG(9), m, 0.05, 0.3)
		salt, pepper := 0, 0
		for _, v := range m.Data[2:] {
			switch v {
			case 1:
				salt++
			case 0:
				pepper++
			case 0.5:
			default:
				t.Fatalf("unexpected value %v", v)
			}
		}
		fs, fp := float64(salt)/n, float64(pepper)/n
		if math.Abs(fs-0.015) > 0.003 || math.Abs(fp-0.035) > 0.004 {
			t.Fatalf("salt %v pepper %v, want 0.015 and 0.035", fs, fp)
		}
	})
}
