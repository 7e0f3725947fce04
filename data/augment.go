package data

import (
	"errors"
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// AugmentOptions selects the data augmentation applied by [Augment]; each field names
// the BiaPy AUGMENTOR key it mirrors and BiaPy's default. The zero value turns every
// transform off (as BiaPy's defaults do) and has DAProb 0; [DefaultAugmentOptions]
// returns BiaPy's defaults, DA_PROB 0.5 and every range included. When a transform is
// enabled, a range or size left at its zero value means BiaPy's default; fields whose
// zero is meaningful (DAProb, ratios, proportions, means, fill values) are used as given.
type AugmentOptions struct {
	// DAProb is the probability of applying each enabled transform (DA_PROB, 0.5).
	DAProb float64
	// TargetIsMask says the target is a label mask (not a BiaPy key: BiaPy's
	// mask_norm "as_mask"): geometric transforms read it with nearest-neighbour
	// interpolation, so labels stay labels. Otherwise (SSL, mask_norm "as_image") the
	// target is interpolated like the input.
	TargetIsMask bool

	// Rot90 rotates the yx plane by 90, 180 or 270° (ROT90, False).
	Rot90 bool
	// RandomRot rotates the yx plane by an angle drawn from RandomRotRange
	// (RANDOM_ROT, False; RANDOM_ROT_RANGE, (-180, 180) degrees).
	RandomRot      bool
	RandomRotRange [2]float64 // angle range in degrees (RANDOM_ROT_RANGE, (-180, 180))
	// Shear shears x along y by an angle drawn from ShearRange (SHEAR, False;
	// SHEAR_RANGE, (-20, 20) degrees). BiaPy v3.5 passes the range to imgaug's rotate
	// instead (a second random rotation); selfsup shears, as the key says.
	Shear      bool
	ShearRange [2]float64 // shear angle range in degrees (SHEAR_RANGE, (-20, 20))
	// Zoom scales y and x by independent factors drawn from ZoomRange, and z too when
	// ZoomInZ (ZOOM, False; ZOOM_RANGE, (0.8, 1.2); ZOOM_IN_Z, False).
	Zoom      bool
	ZoomRange [2]float64 // zoom factor range (ZOOM_RANGE, (0.8, 1.2))
	ZoomInZ   bool       // zoom z too (ZOOM_IN_Z, False)
	// Shift translates y and x by one fraction of their sizes drawn from ShiftRange
	// (SHIFT, False; SHIFT_RANGE, (0.1, 0.2)), down and right as imgaug's
	// translate_percent.
	Shift      bool
	ShiftRange [2]float64 // shift range as a fraction of each axis size (SHIFT_RANGE, (0.1, 0.2))
	// AffineMode is the border fill of rotations, shear, zoom and shift: "reflect",
	// "symmetric", "edge", "wrap" or "constant" (0) (AFFINE_MODE, "reflect").
	AffineMode string
	// VFlip, HFlip and ZFlip flip y, x and z (VFLIP, HFLIP, ZFLIP, all False).
	VFlip, HFlip, ZFlip bool
	// Elastic applies imgaug's elastic deformation: per-pixel uniform(−1, 1)
	// displacements smoothed by a Gaussian of ElasticSigma, times an alpha drawn from
	// ElasticAlpha, the same for every z-slice (ELASTIC, False; E_ALPHA, (12, 16);
	// E_SIGMA, 4; E_MODE, "constant").
	Elastic      bool
	ElasticAlpha [2]float64 // alpha range (E_ALPHA, (12, 16))
	ElasticSigma float64    // smoothing Gaussian sigma in pixels, > 0 (E_SIGMA, 4)
	ElasticMode  string     // border fill, values as AffineMode (E_MODE, "constant")
	// GaussianBlur blurs the yx plane with a sigma drawn from GaussianSigma (G_BLUR,
	// False; G_SIGMA, (1.0, 2.0)).
	GaussianBlur  bool
	GaussianSigma [2]float64 // sigma range in pixels (G_SIGMA, (1.0, 2.0))
	// MedianBlur applies a k×k median in the yx plane, k drawn from MedianKernel
	// (inclusive, even k rounded up) (MEDIAN_BLUR, False; MB_KERNEL, (3, 7)).
	MedianBlur   bool
	MedianKernel [2]int // kernel size range, inclusive (MB_KERNEL, (3, 7))
	// GammaContrast maps v → v^γ, γ drawn from GammaRange (GAMMA_CONTRAST, False;
	// GC_GAMMA, (1.25, 1.75)).
	GammaContrast bool
	GammaRange    [2]float64 // γ range (GC_GAMMA, (1.25, 1.75))
	// Brightness adds a factor drawn from BrightnessFactor; BrightnessMode "3D" uses one
	// factor per image, "2D" one per z-slice (BRIGHTNESS, False; BRIGHTNESS_FACTOR,
	// (-0.1, 0.1); BRIGHTNESS_MODE, "3D").
	Brightness       bool
	BrightnessFactor [2]float64 // additive factor range (BRIGHTNESS_FACTOR, (-0.1, 0.1))
	BrightnessMode   string     // "2D" or "3D" (BRIGHTNESS_MODE, "3D")
	// Contrast multiplies by 1 + a factor drawn from ContrastFactor, per image ("3D") or
	// per z-slice ("2D") (CONTRAST, False; CONTRAST_FACTOR, (-0.1, 0.1); CONTRAST_MODE,
	// "3D").
	Contrast       bool
	ContrastFactor [2]float64 // factor range, multiplying by 1 + factor (CONTRAST_FACTOR, (-0.1, 0.1))
	ContrastMode   string     // "2D" or "3D" (CONTRAST_MODE, "3D")
	// GaussianNoise adds N(GaussianNoiseMean, GaussianNoiseVar) noise, or, with
	// GaussianNoiseUseInputStats, N(mean(x), var(x)·uniform(0.9, 1.1)) (GAUSSIAN_NOISE,
	// False; GAUSSIAN_NOISE_MEAN, 0; GAUSSIAN_NOISE_VAR, 0.05;
	// GAUSSIAN_NOISE_USE_INPUT_IMG_MEAN_AND_VAR, False).
	GaussianNoise              bool
	GaussianNoiseMean          float64 // noise mean (GAUSSIAN_NOISE_MEAN, 0)
	GaussianNoiseVar           float64 // noise variance, ≥ 0 (GAUSSIAN_NOISE_VAR, 0.05)
	GaussianNoiseUseInputStats bool    // use the image's mean and variance (GAUSSIAN_NOISE_USE_INPUT_IMG_MEAN_AND_VAR, False)
	// PoissonNoise applies skimage's Poisson noise (POISSON_NOISE, False).
	PoissonNoise bool
	// SaltAndPepper sets a fraction SaltAndPepperAmount of the samples to the image
	// maximum (a proportion SaltAndPepperProp of them) or minimum (SALT_AND_PEPPER,
	// False; SALT_AND_PEPPER_AMOUNT, 0.05; SALT_AND_PEPPER_PROP, 0.5).
	SaltAndPepper       bool
	SaltAndPepperAmount float64 // fraction of samples replaced (SALT_AND_PEPPER_AMOUNT, 0.05)
	SaltAndPepperProp   float64 // fraction of those set to the maximum (SALT_AND_PEPPER_PROP, 0.5)
	// Cutout fills CutoutIterations boxes (count in [lo, hi), numpy's randint) whose
	// sides are a fraction drawn from CutoutSize of each axis with CutoutCval, and the
	// target's with 0 when CutoutApplyToMask (CUTOUT, False; COUT_NB_ITERATIONS, (1, 3);
	// COUT_SIZE, (0.05, 0.3); COUT_CVAL, 0.0; COUT_APPLY_TO_MASK, False).
	Cutout            bool
	CutoutIterations  [2]int     // box count range [lo, hi) (COUT_NB_ITERATIONS, (1, 3))
	CutoutSize        [2]float64 // box side range as a fraction of each axis (COUT_SIZE, (0.05, 0.3))
	CutoutCval        float64    // fill value of the boxes in the input (COUT_CVAL, 0.0)
	CutoutApplyToMask bool       // also zero the boxes in the target (COUT_APPLY_TO_MASK, False)
	// MissingSections blanks thick lines in some z-slices with the slice mean, the line
	// dilated by a count drawn from MissingSectionsIterations in [lo, hi)
	// (MISSING_SECTIONS, False; MISSP_ITERATIONS, (10, 30)).
	MissingSections           bool
	MissingSectionsIterations [2]int // dilation count range [lo, hi) (MISSP_ITERATIONS, (10, 30))
	// Misalignment moves part of the image (2-D: the rows below a random split; 3-D:
	// one slice or all slices from one on) by up to MisalignmentDisplacement pixels,
	// rotating it instead with probability MisalignmentRotateRatio (MISALIGNMENT, False;
	// MS_DISPLACEMENT, 16; MS_ROTATE_RATIO, 0.5).
	Misalignment             bool
	MisalignmentDisplacement int     // maximum displacement in pixels, ≥ 1 (MS_DISPLACEMENT, 16)
	MisalignmentRotateRatio  float64 // probability of rotating instead of shifting (MS_ROTATE_RATIO, 0.5)
}

// DefaultAugmentOptions returns BiaPy's AUGMENTOR defaults (SPEC §1.7): every transform
// off, DA_PROB 0.5, and every range, size and mode at its default value.
func DefaultAugmentOptions() AugmentOptions {
	return AugmentOptions{
		DAProb:                    0.5,
		RandomRotRange:            [2]float64{-180, 180},
		ShearRange:                [2]float64{-20, 20},
		ZoomRange:                 [2]float64{0.8, 1.2},
		ShiftRange:                [2]float64{0.1, 0.2},
		AffineMode:                "reflect",
		ElasticAlpha:              [2]float64{12, 16},
		ElasticSigma:              4,
		ElasticMode:               "constant",
		GaussianSigma:             [2]float64{1, 2},
		MedianKernel:              [2]int{3, 7},
		GammaRange:                [2]float64{1.25, 1.75},
		BrightnessFactor:          [2]float64{-0.1, 0.1},
		BrightnessMode:            "3D",
		ContrastFactor:            [2]float64{-0.1, 0.1},
		ContrastMode:              "3D",
		GaussianNoiseVar:          0.05,
		SaltAndPepperAmount:       0.05,
		SaltAndPepperProp:         0.5,
		CutoutIterations:          [2]int{1, 3},
		CutoutSize:                [2]float64{0.05, 0.3},
		MissingSectionsIterations: [2]int{10, 30},
		MisalignmentDisplacement:  16,
		MisalignmentRotateRatio:   0.5,
	}
}

// withDefaults returns o with zero-valued ranges, sizes and modes replaced by BiaPy's
// defaults.
func (o AugmentOptions) withDefaults() AugmentOptions {
	d := DefaultAugmentOptions()
	f2 := func(v *[2]float64, def [2]float64) {
		if *v == ([2]float64{}) {
			*v = def
		}
	}
	i2 := func(v *[2]int, def [2]int) {
		if *v == ([2]int{}) {
			*v = def
		}
	}
	f2(&o.RandomRotRange, d.RandomRotRange)
	f2(&o.ShearRange, d.ShearRange)
	f2(&o.ZoomRange, d.ZoomRange)
	f2(&o.ShiftRange, d.ShiftRange)
	f2(&o.ElasticAlpha, d.ElasticAlpha)
	f2(&o.GaussianSigma, d.GaussianSigma)
	f2(&o.GammaRange, d.GammaRange)
	f2(&o.BrightnessFactor, d.BrightnessFactor)
	f2(&o.ContrastFactor, d.ContrastFactor)
	f2(&o.CutoutSize, d.CutoutSize)
	i2(&o.MedianKernel, d.MedianKernel)
	i2(&o.CutoutIterations, d.CutoutIterations)
	i2(&o.MissingSectionsIterations, d.MissingSectionsIterations)
	if o.ElasticSigma == 0 {
		o.ElasticSigma = d.ElasticSigma
	}
	if o.GaussianNoiseVar == 0 {
		o.GaussianNoiseVar = d.GaussianNoiseVar
	}
	if o.SaltAndPepperAmount == 0 {
		o.SaltAndPepperAmount = d.SaltAndPepperAmount
	}
	if o.MisalignmentDisplacement == 0 {
		o.MisalignmentDisplacement = d.MisalignmentDisplacement
	}
	if o.BrightnessMode == "" {
		o.BrightnessMode = d.BrightnessMode
	}
	if o.ContrastMode == "" {
		o.ContrastMode = d.ContrastMode
	}
	return o
}

// Validate returns an error describing the first invalid setting of o (after zero
// values are replaced by defaults): a probability outside [0, 1], an inverted range, a
// non-positive zoom, sigma, kernel or displacement, an angle beyond ±360°, or an unknown
// mode.
func (o AugmentOptions) Validate() error {
	o = o.withDefaults()
	var errs []error
	prob := func(name string, v float64) {
		if v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("%s %v not in [0, 1]", name, v))
		}
	}
	rng := func(name string, r [2]float64, lo, hi float64) {
		if r[0] > r[1] || r[0] < lo || r[1] > hi {
			errs = append(errs, fmt.Errorf("%s %v: want lo ≤ hi within [%v, %v]", name, r, lo, hi))
		}
	}
	irng := func(name string, r [2]int, lo int) {
		if r[0] > r[1] || r[0] < lo {
			errs = append(errs, fmt.Errorf("%s %v: want %d ≤ lo ≤ hi", name, r, lo))
		}
	}
	prob("DA_PROB", o.DAProb)
	prob("MS_ROTATE_RATIO", o.MisalignmentRotateRatio)
	prob("SALT_AND_PEPPER_AMOUNT", o.SaltAndPepperAmount)
	prob("SALT_AND_PEPPER_PROP", o.SaltAndPepperProp)
	rng("RANDOM_ROT_RANGE", o.RandomRotRange, -360, 360)
	rng("SHEAR_RANGE", o.ShearRange, -360, 360)
	rng("ZOOM_RANGE", o.ZoomRange, 1e-6, 1e6)
	rng("SHIFT_RANGE", o.ShiftRange, -1, 1)
	rng("E_ALPHA", o.ElasticAlpha, 0, 1e6)
	rng("G_SIGMA", o.GaussianSigma, 0, 1e3)
	rng("GC_GAMMA", o.GammaRange, 1e-6, 1e3)
	rng("BRIGHTNESS_FACTOR", o.BrightnessFactor, -1e6, 1e6)
	rng("CONTRAST_FACTOR", o.ContrastFactor, -1e6, 1e6)
	rng("COUT_SIZE", o.CutoutSize, 0, 1)
	irng("MB_KERNEL", o.MedianKernel, 1)
	irng("COUT_NB_ITERATIONS", o.CutoutIterations, 0)
	irng("MISSP_ITERATIONS", o.MissingSectionsIterations, 0)
	if o.ElasticSigma <= 0 {
		errs = append(errs, fmt.Errorf("E_SIGMA %v: want > 0", o.ElasticSigma))
	}
	if o.GaussianNoiseVar < 0 {
		errs = append(errs, fmt.Errorf("GAUSSIAN_NOISE_VAR %v: want ≥ 0", o.GaussianNoiseVar))
	}
	if o.MisalignmentDisplacement < 1 {
		errs = append(errs, fmt.Errorf("MS_DISPLACEMENT %d: want ≥ 1", o.MisalignmentDisplacement))
	}
	for _, m := range []struct{ key, v string }{{"AFFINE_MODE", o.AffineMode}, {"E_MODE", o.ElasticMode}} {
		if _, err := parseBorderMode(m.v, borderReflect); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.key, err))
		}
	}
	for _, m := range []struct{ key, v string }{{"BRIGHTNESS_MODE", o.BrightnessMode}, {"CONTRAST_MODE", o.ContrastMode}} {
		if m.v != "2D" && m.v != "3D" {
			errs = append(errs, fmt.Errorf("%s %q: want \"2D\" or \"3D\"", m.key, m.v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("data: AugmentOptions: %w", err)
	}
	return nil
}

// Augment returns a randomly augmented copy of the input x and the target y (nil for
// none); x and y are not modified. x and y are [Y, X, C] or [Z, Y, X, C] images with
// the same spatial shape (their channel counts may differ). Every random draw comes from
// rng in a fixed order, so the same generator state gives the same output.
//
// Each enabled transform fires independently with probability DAProb. The order is
// fixed and follows BiaPy's apply_transform (its own augmentors first, then imgaug's
// Sequential):
//
//  1. RandomRot, 2. Rot90 (both yx plane), 3. Cutout, 4. Misalignment,
//  5. Brightness, 6. Contrast, 7. MissingSections, 8. GaussianNoise,
//  9. PoissonNoise, 10. SaltAndPepper, 11. Shear, Zoom and Shift (one affine
//     resampling whose parameters are drawn in that order), 12. VFlip, 13. HFlip,
//  14. ZFlip, 15. Elastic, 16. GaussianBlur, 17. MedianBlur, 18. GammaContrast.
//
// Geometric transforms (1, 2, 4, 11–15) apply identically to x and y, the target read
// with nearest-neighbour interpolation when TargetIsMask and like the input otherwise.
// Cutout fills the target only with CutoutApplyToMask. Intensity transforms (5–10,
// 16–18) change x only: for self-supervision the target is the clean image the model
// must restore, so it must not be blurred or noised (BiaPy's imgaug pass also blurs
// and gamma-corrects an "as_image" target; selfsup does not). The workflow augments
// (input, target) pairs after crappification, as BiaPy's generator does.
//
// Interpolation is bilinear in the yx plane (trilinear when ZoomInZ scales z), with
// the AffineMode border ("reflect" = numpy/skimage reflect, mirror about the edge
// sample, which is imgaug's "reflect" too; BiaPy's scipy-based rotations read "reflect"
// as the half-sample "symmetric" mode). Elastic deformation is bilinear with E_MODE
// (imgaug uses cubic for images). Rot90 of a non-square plane rotates by 180° only,
// so the shape is kept.
//
// It panics if x is invalid or y's spatial shape differs from x's; call
// [AugmentOptions.Validate] on user options first (Augment panics on invalid ones).
func Augment(rng *tensor.RNG, opts AugmentOptions, x, y *Image) (xa, ya *Image) {
	if err := x.Validate(); err != nil {
		panic(fmt.Sprintf("data: Augment: x: %v", err))
	}
	if y != nil {
		if err := y.Validate(); err != nil {
			panic(fmt.Sprintf("data: Augment: y: %v", err))
		}
		if len(x.Shape) != len(y.Shape) || !slices.Equal(x.Shape[:len(x.Shape)-1], y.Shape[:len(y.Shape)-1]) {
			panic(fmt.Sprintf("data: Augment: x %v and y %v differ in spatial shape", x.Shape, y.Shape))
		}
	}
	if err := opts.Validate(); err != nil {
		panic(err.Error())
	}
	o := opts.withDefaults()
	affineMode, _ := parseBorderMode(o.AffineMode, borderReflect)
	elasticMode, _ := parseBorderMode(o.ElasticMode, borderConstant)
	fire := func(on bool) bool { return on && rng.Float64() < o.DAProb }

	xa = x.Clone()
	if y != nil {
		ya = y.Clone()
	}
	// geom applies f to x (linear) and y (nearest when it is a mask).
	geom := func(f func(m *Image, nearest bool) *Image) {
		xa = f(xa, false)
		if ya != nil {
			ya = f(ya, o.TargetIsMask)
		}
	}

	if fire(o.RandomRot) {
		a := identityAffine()
		a.rot = rng.Uniform(o.RandomRotRange[0], o.RandomRotRange[1])
		a.mode = affineMode
		geom(func(m *Image, nearest bool) *Image { a.nearest = nearest; return a.apply(m) })
	}
	if fire(o.Rot90) {
		k := 2
		if xa.Height() == xa.Width() {
			k = 1 + rng.IntN(3)
		}
		geom(func(m *Image, _ bool) *Image { return rot90(m, k) })
	}
	if fire(o.Cutout) {
		cutout(rng, xa, ya, o.CutoutIterations, o.CutoutSize, float32(o.CutoutCval), o.CutoutApplyToMask)
	}
	if fire(o.Misalignment) {
		p := drawMisalign(rng, xa, o.MisalignmentDisplacement, o.MisalignmentRotateRatio)
		geom(p.apply)
	}
	if fire(o.Brightness) {
		addPerSlice(xa, sliceFactors(rng, o.BrightnessFactor, o.BrightnessMode, xa))
	}
	if fire(o.Contrast) {
		f := sliceFactors(rng, o.ContrastFactor, o.ContrastMode, xa)
		for i := range f {
			f[i] += 1
		}
		scalePerSlice(xa, f)
	}
	if fire(o.MissingSections) {
		missingSections(rng, xa, o.MissingSectionsIterations)
	}
	if fire(o.GaussianNoise) {
		mean, variance := o.GaussianNoiseMean, o.GaussianNoiseVar
		if o.GaussianNoiseUseInputStats {
			mean, variance = meanVar(xa.Data)
			variance *= rng.Uniform(0.9, 1.1)
		}
		gaussianNoise(rng, xa, mean, variance)
	}
	if fire(o.PoissonNoise) {
		poissonNoise(rng, xa)
	}
	if fire(o.SaltAndPepper) {
		saltAndPepper(rng, xa, o.SaltAndPepperAmount, o.SaltAndPepperProp)
	}

	// imgaug Sequential part.
	a, warp := identityAffine(), false
	a.mode = affineMode
	if fire(o.Shear) {
		a.shear, warp = rng.Uniform(o.ShearRange[0], o.ShearRange[1]), true
	}
	if fire(o.Zoom) {
		a.zx = rng.Uniform(o.ZoomRange[0], o.ZoomRange[1])
		a.zy = rng.Uniform(o.ZoomRange[0], o.ZoomRange[1])
		if o.ZoomInZ && xa.Is3D() {
			a.zz = rng.Uniform(o.ZoomRange[0], o.ZoomRange[1])
		}
		warp = true
	}
	if fire(o.Shift) {
		f := rng.Uniform(o.ShiftRange[0], o.ShiftRange[1])
		a.tx, a.ty, warp = f*float64(xa.Width()), f*float64(xa.Height()), true
	}
	if warp {
		geom(func(m *Image, nearest bool) *Image { a.nearest = nearest; return a.apply(m) })
	}
	if fire(o.VFlip) {
		geom(func(m *Image, _ bool) *Image { return flipAxis(m, 1) })
	}
	if fire(o.HFlip) {
		geom(func(m *Image, _ bool) *Image { return flipAxis(m, 2) })
	}
	if fire(o.ZFlip && xa.Is3D()) {
		geom(func(m *Image, _ bool) *Image { return flipAxis(m, 0) })
	}
	if fire(o.Elastic) {
		alpha := rng.Uniform(o.ElasticAlpha[0], o.ElasticAlpha[1])
		dy, dx := elasticField(rng.Float64, xa.Height(), xa.Width(), alpha, o.ElasticSigma)
		geom(func(m *Image, nearest bool) *Image { return elasticWarp(m, dy, dx, nearest, elasticMode, 0) })
	}
	if fire(o.GaussianBlur) {
		xa = gaussianBlur(xa, rng.Uniform(o.GaussianSigma[0], o.GaussianSigma[1]))
	}
	if fire(o.MedianBlur) {
		k := o.MedianKernel[0] + rng.IntN(o.MedianKernel[1]-o.MedianKernel[0]+1)
		if k%2 == 0 {
			k++
		}
		xa = medianBlur(xa, k)
	}
	if fire(o.GammaContrast) {
		gammaContrast(xa, rng.Uniform(o.GammaRange[0], o.GammaRange[1]))
	}
	return xa, ya
}
