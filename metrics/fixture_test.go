package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
)

// TestMetricFixtures runs every case of fixtures/metrics. The case name says the
// convention (train_div_* or test_raw_*) and the dimensionality (_2d_ or _3d_); the
// stored pred/target have the spatial shape, with a trailing channel axis when they
// have one more dimension than the dimensionality. An unknown kind fails.
func TestMetricFixtures(t *testing.T) {
	cases := fixture.MustLoad(t, "metrics")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			pt, tt := c.Tensor("pred"), c.Tensor("target")
			if pt == nil || tt == nil {
				t.Fatalf("case lacks pred or target")
			}
			if !pt.SameShape(tt) {
				t.Fatalf("pred %v, target %v", pt.Shape(), tt.Shape())
			}
			var nd int
			switch {
			case strings.Contains(c.Name, "_2d"):
				nd = 2
			case strings.Contains(c.Name, "_3d"):
				nd = 3
			default:
				t.Fatalf("case name %q names neither _2d nor _3d", c.Name)
			}
			shape := append([]int(nil), pt.Shape()...)
			switch len(shape) {
			case nd:
				shape = append(shape, 1)
			case nd + 1:
			default:
				t.Fatalf("%dD case with tensor shape %v", nd, shape)
			}
			pred, target := pt.Values(), tt.Values()

			var psnr, ssim float64
			switch {
			case strings.HasPrefix(c.Name, "train_div_"):
				psnr = PSNRTrain(pred, target)
				ssim = SSIMTrain(pred, target, shape)
			case strings.HasPrefix(c.Name, "test_raw_"):
				psnr = PSNRTest(pred, target)
				ssim = SSIMTest(pred, target, shape)
			default:
				t.Fatalf("unknown metric case kind %q", c.Name)
			}
			got := map[string]float64{
				"mse":  MSE(pred, target),
				"mae":  MAE(pred, target),
				"psnr": psnr,
				"ssim": ssim,
			}
			want, ok := c.Meta["values_float64"].(map[string]any)
			if !ok {
				t.Fatalf("side-car lacks values_float64")
			}
			for _, name := range []string{"mse", "mae", "psnr", "ssim"} {
				w, ok := want[name].(float64)
				if !ok {
					t.Fatalf("side-car lacks values_float64.%s", name)
				}
				rtol, atol, ok := c.Tolerance(name)
				if !ok {
					t.Fatalf("side-car lacks tolerance.%s", name)
				}
				g := got[name]
				if diff := math.Abs(g - w); !(diff <= atol+rtol*math.Abs(w)) {
					t.Errorf("%s = %.10g, want %.10g (diff %.3g, rtol %g, atol %g)", name, g, w, diff, rtol, atol)
				}
				// The stored float32 scalar must agree with the float64 side-car value.
				if st := c.Tensor(name); st == nil || math.Abs(float64(st.Item())-w) > 1e-6*math.Abs(w)+1e-6 {
					t.Errorf("%s: stored tensor %v disagrees with side-car %g", name, st, w)
				}
			}
		})
	}
}
