package metrics

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// near reports whether got is within tol of want.
func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// randImage returns n uniform samples in [lo, hi).
func randImage(g *tensor.RNG, n int, lo, hi float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.Uniform(lo, hi))
	}
	return out
}

func TestErrorMetrics(t *testing.T) {
	pred := []float32{0, 0.5, 1, 2}
	target := []float32{0, 1, 0.5, 0}
	// Differences 0, −0.5, 0.5, 2.
	if got := MSE(pred, target); got != (0+0.25+0.25+4)/4 {
		t.Errorf("MSE = %v", got)
	}
	if got := MAE(pred, target); got != 3.0/4 {
		t.Errorf("MAE = %v", got)
	}
	if got, want := PSNR(pred, target, 2), 10*math.Log10(4/1.125); !near(got, want, 1e-12) {
		t.Errorf("PSNR = %v, want %v", got, want)
	}
	// Clamped to [0, 1]: differences 0, −0.5, 0.5, 1 → MSE·255² = 255²·1.5/4.
	if got, want := PSNRTrain(pred, target), 10*math.Log10(4/1.5); !near(got, want, 1e-12) {
		t.Errorf("PSNRTrain = %v, want %v", got, want)
	}
	// Test range: target max − min = 1.
	if got, want := PSNRTest(pred, target), 10*math.Log10(1/1.125); !near(got, want, 1e-12) {
		t.Errorf("PSNRTest = %v, want %v", got, want)
	}
	if got := PSNR(pred, pred, 1); !math.IsInf(got, 1) {
		t.Errorf("PSNR of identical images = %v, want +Inf", got)
	}
	if got := DataRange([]float32{3, -1, 2}); got != 4 {
		t.Errorf("DataRange = %v", got)
	}
	r := RescaleMinMax([]float32{2, 4, 6})
	if !near(float64(r[0]), 0, 1e-7) || !near(float64(r[1]), 0.5, 1e-7) || !near(float64(r[2]), 1, 1e-7) {
		t.Errorf("RescaleMinMax = %v", r)
	}
}

// refSSIM is a direct SSIM over channel-last samples: the full (non-separable)
// gaussian window summed at every interior point, in the textbook form.
func refSSIM(pred, target []float32, shape []int, dataRange float64) float64 {
	c := shape[len(shape)-1]
	sp := [3]int{1, 1, 1}
	copy(sp[4-len(shape):], shape[:len(shape)-1])
	d, h, w := sp[0], sp[1], sp[2]
	r := ssimRadius
	zr := 0
	if len(shape) == 4 {
		zr = r
	}
	g := func(i int) float64 { return math.Exp(-float64(i*i) / (2 * 1.5 * 1.5)) }
	var total float64
	for ch := range c {
		var sum float64
		n := 0
		for z := zr; z < d-zr; z++ {
			for y := r; y < h-r; y++ {
				for x := r; x < w-r; x++ {
					var ws, mx, my float64
					for dz := -zr; dz <= zr; dz++ {
						for dy := -r; dy <= r; dy++ {
							for dx := -r; dx <= r; dx++ {
								k := g(dz) * g(dy) * g(dx)
								i := (((z+dz)*h+y+dy)*w+x+dx)*c + ch
								ws += k
								mx += k * float64(pred[i])
								my += k * float64(target[i])
							}
						}
					}
					mx /= ws
					my /= ws
					var vx, vy, cxy float64
					for dz := -zr; dz <= zr; dz++ {
						for dy := -r; dy <= r; dy++ {
							for dx := -r; dx <= r; dx++ {
								k := g(dz) * g(dy) * g(dx) / ws
								i := (((z+dz)*h+y+dy)*w+x+dx)*c + ch
								a, b := float64(pred[i])-mx, float64(target[i])-my
								vx += k * a * a
								vy += k * b * b
								cxy += k * a * b
							}
						}
					}
					c1, c2 := math.Pow(0.01*dataRange, 2), math.Pow(0.03*dataRange, 2)
					sum += (2*mx*my + c1) * (2*cxy + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
					n++
				}
			}
		}
		total += sum / float64(n)
	}
	return total / float64(c)
}

func TestSSIMAgainstDirect(t *testing.T) {
	tests := []struct {
		shape []int
		rng   float64
	}{
		{[]int{16, 13, 1}, 1},
		{[]int{12, 20, 3}, 255},
		{[]int{11, 11, 1}, 1},
		{[]int{13, 12, 14, 1}, 1},
		{[]int{12, 11, 13, 2}, 100},
	}
	g := tensor.NewRNG(3)
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.shape), func(t *testing.T) {
			n := 1
			for _, s := range tc.shape {
				n *= s
			}
			target := randImage(g, n, 0, tc.rng)
			pred := make([]float32, n)
			for i, v := range target {
				pred[i] = v + float32(g.Normal(0, 0.2*tc.rng))
			}
			got := SSIM(pred, target, tc.shape, tc.rng)
			want := refSSIM(pred, target, tc.shape, tc.rng)
			if !near(got, want, 1e-12) {
				t.Errorf("SSIM = %.15f, direct %.15f", got, want)
			}
			if self := SSIM(target, target, tc.shape, tc.rng); !near(self, 1, 1e-12) {
				t.Errorf("SSIM(x, x) = %v, want 1", self)
			}
			if sym := SSIM(target, pred, tc.shape, tc.rng); !near(sym, got, 1e-12) {
				t.Errorf("SSIM not symmetric: %v vs %v", sym, got)
			}
		})
	}
}

func TestSSIMBatch(t *testing.T) {
	// [N, C, D, H, W] and [N, C, H, W] against the channel-last SSIM per image.
	for _, shape := range [][]int{{2, 3, 12, 14}, {2, 2, 11, 12, 13}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			g := tensor.NewRNG(5)
			p := tensor.RandUniform(tensor.CPU{}, g, 0, 1, shape...)
			q := tensor.RandUniform(tensor.CPU{}, g, 0, 1, shape...)
			got := SSIMBatch(p, q, 1)
			nd := len(shape) - 2
			// Permute each image to channel-last.
			axes := []int{0}
			for i := range nd {
				axes = append(axes, i+2)
			}
			axes = append(axes, 1)
			pl, ql := p.Permute(axes...).Values(), q.Permute(axes...).Values()
			per := len(pl) / shape[0]
			img := append(append([]int(nil), shape[2:]...), shape[1])
			var want float64
			for k := range shape[0] {
				want += SSIM(pl[k*per:(k+1)*per], ql[k*per:(k+1)*per], img, 1)
			}
			want /= float64(shape[0])
			if !near(got, want, 1e-12) {
				t.Errorf("SSIMBatch = %v, per image %v", got, want)
			}
		})
	}
}

func TestSegmentation(t *testing.T) {
	pred := []float32{0.9, 0.8, 0.1, 0.6, 0.2, 0}
	target := []float32{1, 0, 0, 1, 1, 0}
	// Thresholded at 0.5: P = {0,1,3}, T = {0,3,4}: TP 2, FP 1, FN 1.
	if got := IoU(pred, target, 0.5); got != 0.5 {
		t.Errorf("IoU = %v, want 0.5", got)
	}
	if got := Dice(pred, target, 0.5); got != 2.0/3 {
		t.Errorf("Dice = %v, want 2/3", got)
	}
	zero := make([]float32, 6)
	if IoU(zero, zero, 0.5) != 0 || Dice(zero, zero, 0.5) != 0 {
		t.Errorf("empty masks: IoU %v, Dice %v, want 0", IoU(zero, zero, 0.5), Dice(zero, zero, 0.5))
	}

	lp := []float32{0, 1, 1, 2, 2, 0}
	lt := []float32{0, 1, 2, 2, 2, 1}
	// Class 0: P {0,5} T {0} → 1/2. Class 1: P {1,2} T {1,5} → 1/3. Class 2: P {3,4}
	// T {2,3,4} → 2/3. Class 3: absent.
	iou := ClassIoU(lp, lt, 4)
	want := []float64{0.5, 1.0 / 3, 2.0 / 3}
	for k, w := range want {
		if !near(iou[k], w, 1e-15) {
			t.Errorf("ClassIoU[%d] = %v, want %v", k, iou[k], w)
		}
	}
	if !math.IsNaN(iou[3]) {
		t.Errorf("ClassIoU of an absent class = %v, want NaN", iou[3])
	}
	if got := MeanIoU(lp, lt, 4); !near(got, 0.5, 1e-15) {
		t.Errorf("MeanIoU = %v, want 0.5", got)
	}
	dice := ClassDice(lp, lt, 4)
	wantD := []float64{2.0 / 3, 0.5, 0.8}
	for k, w := range wantD {
		if !near(dice[k], w, 1e-15) {
			t.Errorf("ClassDice[%d] = %v, want %v", k, dice[k], w)
		}
	}
	if got := MeanDice(lp, lt, 4); !near(got, (2.0/3+0.5+0.8)/3, 1e-15) {
		t.Errorf("MeanDice = %v", got)
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name, want string
		f          func()
	}{
		{"MSE length", "metrics: MSE: pred has 2 samples, target 3", func() { MSE(make([]float32, 2), make([]float32, 3)) }},
		{"SSIM rank", "metrics: SSIM: shape [12 12]", func() { SSIM(make([]float32, 144), make([]float32, 144), []int{12, 12}, 1) }},
		{"SSIM size", "spatial axis 0 is 10 < 11", func() { SSIM(make([]float32, 120), make([]float32, 120), []int{10, 12, 1}, 1) }},
		{"SSIM count", "has 144 samples, pred 143", func() { SSIM(make([]float32, 143), make([]float32, 144), []int{12, 12, 1}, 1) }},
		{"label", "label 1.5 is not a class id", func() { ClassIoU([]float32{1.5}, []float32{0}, 2) }},
		{"label range", "label 2 is not a class id in [0, 2)", func() { ClassDice([]float32{0}, []float32{2}, 2) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.Contains(s, tc.want) {
					t.Errorf("panic %q, want %q", s, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func BenchmarkSSIM2D(b *testing.B) {
	g := tensor.NewRNG(1)
	shape := []int{512, 512, 1}
	p, q := randImage(g, 512*512, 0, 1), randImage(g, 512*512, 0, 1)
	for b.Loop() {
		SSIM(p, q, shape, 1)
	}
}
