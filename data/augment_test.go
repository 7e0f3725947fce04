package data

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/parallel"
	"github.com/selfsup/selfsup/tensor"
)

// allOptions returns BiaPy's defaults with every transform enabled and DAProb p.
func allOptions(p float64) AugmentOptions {
	o := DefaultAugmentOptions()
	o.DAProb = p
	o.Rot90, o.RandomRot, o.Shear, o.Zoom, o.ZoomInZ, o.Shift = true, true, true, true, true, true
	o.VFlip, o.HFlip, o.ZFlip, o.Elastic = true, true, true, true
	o.GaussianBlur, o.MedianBlur, o.GammaContrast, o.Brightness, o.Contrast = true, true, true, true, true
	o.GaussianNoise, o.PoissonNoise, o.SaltAndPepper = true, true, true
	o.Cutout, o.MissingSections, o.Misalignment = true, true, true
	return o
}

// geometricOptions enables only the transforms that move samples, with DAProb 1.
func geometricOptions() AugmentOptions {
	o := DefaultAugmentOptions()
	o.DAProb = 1
	o.Rot90, o.RandomRot, o.Shear, o.Zoom, o.ZoomInZ, o.Shift = true, true, true, true, true, true
	o.VFlip, o.HFlip, o.ZFlip, o.Elastic, o.Misalignment = true, true, true, true, true
	o.MisalignmentDisplacement = 4
	return o
}

var augShapes = [][]int{{16, 16, 1}, {12, 20, 2}, {6, 16, 16, 1}}

func TestAugmentDAProbZeroIsIdentity(t *testing.T) {
	for _, shape := range augShapes {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			x := augRandImage(60, shape...)
			y := augRandImage(61, shape...)
			xa, ya := Augment(tensor.NewRNG(1), allOptions(0), x, y)
			if augMaxDiff(t, xa, x) != 0 || augMaxDiff(t, ya, y) != 0 {
				t.Fatal("DA_PROB 0 changed the images")
			}
			xa, _ = Augment(tensor.NewRNG(1), AugmentOptions{}, x, nil)
			if augMaxDiff(t, xa, x) != 0 {
				t.Fatal("zero options changed the image")
			}
		})
	}
}

func TestAugmentDeterminism(t *testing.T) {
	for _, shape := range augShapes {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			x := augRandImage(62, shape...)
			y := augRandImage(63, shape...)
			keep := x.Clone()
			o := allOptions(0.5)
			a1, b1 := Augment(tensor.NewRNG(7), o, x, y)
			a2, b2 := Augment(tensor.NewRNG(7), o, x, y)
			if augMaxDiff(t, a1, a2) != 0 || augMaxDiff(t, b1, b2) != 0 {
				t.Fatal("same seed gave different outputs")
			}
			if augMaxDiff(t, x, keep) != 0 {
				t.Fatal("Augment modified its input")
			}
			differ := false
			for seed := uint64(8); seed < 11 && !differ; seed++ {
				a3, _ := Augment(tensor.NewRNG(seed), o, x, y)
				differ = augMaxDiff(t, a1, a3) != 0
			}
			if !differ {
				t.Fatal("different seeds gave the same output")
			}
		})
	}
}

func TestAugmentJointGeometry(t *testing.T) {
	for _, shape := range augShapes {
		for seed := range uint64(4) {
			t.Run(fmt.Sprint(shape, seed), func(t *testing.T) {
				x := augRandImage(64, shape...)
				xa, ya := Augment(tensor.NewRNG(seed), geometricOptions(), x, x.Clone())
				if !slices.Equal(xa.Shape, x.Shape) {
					t.Fatalf("shape %v, want %v", xa.Shape, x.Shape)
				}
				if augMaxDiff(t, xa, ya) != 0 {
					t.Fatal("input and identical target were transformed differently")
				}
				if augMaxDiff(t, xa, x) == 0 {
					t.Fatal("geometric transforms left the image unchanged")
				}
			})
		}
	}
}

func TestAugmentLabelMask(t *testing.T) {
	for _, shape := range augShapes {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			x := augRandImage(65, shape...)
			// Labels: blocks of values 0..4, in channel 0 only.
			mshape := slices.Clone(shape)
			mshape[len(mshape)-1] = 1
			y := NewImage(Uint8, mshape...)
			for z := range y.Depth() {
				for yy := range y.Height() {
					for xx := range y.Width() {
						y.Data[y.Index(z, yy, xx, 0)] = float32((yy/4 + xx/5 + z) % 5)
					}
				}
			}
			o := allOptions(1)
			o.TargetIsMask = true
			o.CutoutApplyToMask = true
			for seed := range uint64(3) {
				_, ya := Augment(tensor.NewRNG(seed), o, x, y)
				if !slices.Equal(ya.Shape, y.Shape) {
					t.Fatalf("mask shape %v, want %v", ya.Shape, y.Shape)
				}
				for _, v := range ya.Data {
					if v != float32(math.Trunc(float64(v))) || v < 0 || v > 4 {
						t.Fatalf("mask value %v is not one of the labels", v)
					}
				}
			}
			// Intensity-only options leave the target untouched.
			io := DefaultAugmentOptions()
			io.DAProb = 1
			io.GaussianBlur, io.MedianBlur, io.GammaContrast, io.Brightness, io.Contrast = true, true, true, true, true
			io.GaussianNoise, io.PoissonNoise, io.SaltAndPepper, io.MissingSections, io.Cutout = true, true, true, true, true
			xa, ya := Augment(tensor.NewRNG(4), io, x, y)
			if augMaxDiff(t, ya, y) != 0 {
				t.Fatal("intensity transforms changed the target")
			}
			if augMaxDiff(t, xa, x) == 0 {
				t.Fatal("intensity transforms left the input unchanged")
			}
		})
	}
}

func TestAugmentOptionsValidate(t *testing.T) {
	if err := DefaultAugmentOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := (AugmentOptions{}).Validate(); err != nil {
		t.Fatalf("zero value: %v", err)
	}
	tests := []struct {
		name string
		mod  func(o *AugmentOptions)
		want string
	}{
		{"prob", func(o *AugmentOptions) { o.DAProb = 1.5 }, "DA_PROB"},
		{"rot", func(o *AugmentOptions) { o.RandomRotRange = [2]float64{-400, 0} }, "RANDOM_ROT_RANGE"},
		{"inverted", func(o *AugmentOptions) { o.ZoomRange = [2]float64{1.2, 0.8} }, "ZOOM_RANGE"},
		{"mode", func(o *AugmentOptions) { o.AffineMode = "mirror" }, "AFFINE_MODE"},
		{"bmode", func(o *AugmentOptions) { o.BrightnessMode = "4D" }, "BRIGHTNESS_MODE"},
		{"kernel", func(o *AugmentOptions) { o.MedianKernel = [2]int{0, 3} }, "MB_KERNEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultAugmentOptions()
			tt.mod(&o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestAugmentPanicsOnShapeMismatch(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "spatial shape") {
			t.Fatalf("panic %v, want a spatial shape message", r)
		}
	}()
	Augment(tensor.NewRNG(1), DefaultAugmentOptions(), NewImage(Float32, 4, 4, 1), NewImage(Float32, 4, 5, 1))
}

// BenchmarkAugment2D augments a 256×256 single-channel pair with the SSL templates'
// options (RANDOM_ROT, VFLIP, HFLIP at DA_PROB 0.5) and with every transform enabled.
func BenchmarkAugment2D(b *testing.B) {
	ssl := DefaultAugmentOptions()
	ssl.RandomRot, ssl.VFlip, ssl.HFlip = true, true, true
	for _, bc := range []struct {
		name string
		o    AugmentOptions
	}{{"ssl", ssl}, {"all", allOptions(0.5)}} {
		b.Run(bc.name, func(b *testing.B) {
			x := augRandImage(70, 256, 256, 1)
			y := augRandImage(71, 256, 256, 1)
			rng := tensor.NewRNG(1)
			for b.Loop() {
				Augment(rng, bc.o, x, y)
			}
		})
	}
}

func TestAugmentIndependentOfThreads(t *testing.T) {
	x := augRandImage(72, 4, 24, 24, 2)
	y := augRandImage(73, 4, 24, 24, 2)
	o := allOptions(0.7)
	old := parallel.SetThreads(1)
	a1, b1 := Augment(tensor.NewRNG(3), o, x, y)
	parallel.SetThreads(4)
	a2, b2 := Augment(tensor.NewRNG(3), o, x, y)
	parallel.SetThreads(old)
	if augMaxDiff(t, a1, a2) != 0 || augMaxDiff(t, b1, b2) != 0 {
		t.Fatal("output depends on the number of threads")
	}
}
