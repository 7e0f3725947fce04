package data

import (
	"fmt"
	"math"
	"slices"
)

// NormType names a normalisation (DATA.NORMALIZATION.TYPE).
type NormType string

// The normalisation types of DATA.NORMALIZATION.TYPE.
const (
	// NormDiv divides by 255, or by 65535 when the image maximum exceeds 255.
	NormDiv NormType = "div"
	// NormScaleRange maps [min, max] of the image to [0, 1].
	NormScaleRange NormType = "scale_range"
	// NormZeroMeanUnitVar subtracts the mean and divides by the standard deviation.
	NormZeroMeanUnitVar NormType = "zero_mean_unit_variance"
)

// normEps is BiaPy's Normalization eps, added to the divisor of scale_range and
// zero_mean_unit_variance.
const normEps = 1e-6

// Normalization configures image normalisation as BiaPy's biapy/data/norm.py
// Normalization class with measure_by "image" and out_dtype float32
// (DATA.NORMALIZATION.*). The zero value is invalid: Type must be set.
//
// Statistics are measured per image (or per patch, when the caller measures patches)
// by [Normalization.Measure]; the transform itself is [NormStats.Apply] and its inverse
// [NormStats.Undo].
type Normalization struct {
	Type NormType // DATA.NORMALIZATION.TYPE: div, scale_range or zero_mean_unit_variance; required
	// PercentileClip enables percentile clipping (PERC_CLIP.ENABLE): values are
	// clipped to [LowerPerc, UpperPerc] percentiles of the image (numpy's linear
	// interpolation) before normalising, and the other statistics are measured on the
	// clipped image.
	PercentileClip bool
	// LowerPerc and UpperPerc are the clipping percentiles in [0, 100]
	// (PERC_CLIP.LOWER_PERC / UPPER_PERC).
	LowerPerc, UpperPerc float64
	// LowerValue and UpperValue, when non-nil, are fixed clipping bounds that replace
	// the measured percentiles (PERC_CLIP.LOWER_VALUE / UPPER_VALUE other than -1).
	LowerValue, UpperValue *float64
	// Mean and Std, when non-nil, are fixed zero_mean_unit_variance statistics
	// (ZERO_MEAN_UNIT_VAR.MEAN_VAL / STD_VAL other than -1); nil means measured per
	// image.
	Mean, Std *float64
}

// NormStats records everything needed to apply one image's normalisation and undo
// it: the measured (or fixed) statistics and the image's original dtype.
type NormStats struct {
	Type  NormType // the normalisation applied
	DType DType    // dtype of the image the statistics were measured on
	// Clip reports whether values are clipped to [ClipLow, ClipHigh] before
	// normalising. LowerBound and UpperBound are the bounds as measured
	// (BiaPy's lower_bound_val / upper_bound_val, float); ClipLow and ClipHigh are the
	// bounds applied, truncated toward zero for integer dtypes as BiaPy does.
	Clip       bool
	LowerBound float64 // measured lower clipping bound (lower_bound_val)
	UpperBound float64 // measured upper clipping bound (upper_bound_val)
	ClipLow    float64 // lower bound applied (truncated for integer dtypes)
	ClipHigh   float64 // upper bound applied (truncated for integer dtypes)
	// DivValue is 255 or 65535 (div).
	DivValue float64
	// Min and Max are the image range after clipping (scale_range).
	Min, Max float64
	// Mean and Std are the population mean and standard deviation after clipping
	// (zero_mean_unit_variance).
	Mean, Std float64
}

// Validate returns an error when n's type is unknown or its clipping percentiles are
// out of range.
func (n Normalization) Validate() error {
	switch n.Type {
	case NormDiv, NormScaleRange, NormZeroMeanUnitVar:
	default:
		return fmt.Errorf("data: normalization type %q, want %q, %q or %q", n.Type, NormDiv, NormScaleRange, NormZeroMeanUnitVar)
	}
	if n.PercentileClip {
		if n.LowerValue == nil && (n.LowerPerc < 0 || n.LowerPerc > 100 || math.IsNaN(n.LowerPerc)) {
			return fmt.Errorf("data: normalization lower percentile %v outside [0, 100]", n.LowerPerc)
		}
		if n.UpperValue == nil && (n.UpperPerc < 0 || n.UpperPerc > 100 || math.IsNaN(n.UpperPerc)) {
			return fmt.Errorf("data: normalization upper percentile %v outside [0, 100]", n.UpperPerc)
		}
	}
	return nil
}

// Measure returns the statistics of img ([Y, X, C] or [Z, Y, X, C], all channels
// together) for n, as BiaPy's set_stats_from_image followed by apply_image_norm:
// clipping bounds from the unclipped image, then min/max, mean/std or the div value
// from the clipped one. Mean and std are accumulated in float64 (numpy does so for
// integer images).
func (n Normalization) Measure(img *Image) (NormStats, error) {
	if err := n.Validate(); err != nil {
		return NormStats{}, err
	}
	if err := img.Validate(); err != nil {
		return NormStats{}, fmt.Errorf("data: Normalization.Measure: %w", err)
	}
	st := NormStats{Type: n.Type, DType: img.DType}
	vals := img.Data
	if n.PercentileClip {
		st.Clip = true
		var sorted []float32
		if n.LowerValue == nil || n.UpperValue == nil {
			sorted = slices.Clone(img.Data)
			slices.Sort(sorted)
		}
		if n.LowerValue != nil {
			st.LowerBound = *n.LowerValue
		} else {
			st.LowerBound = percentileSorted(sorted, n.LowerPerc, img.DType == Float32)
		}
		if n.UpperValue != nil {
			st.UpperBound = *n.UpperValue
		} else {
			st.UpperBound = percentileSorted(sorted, n.UpperPerc, img.DType == Float32)
		}
		st.ClipLow, st.ClipHigh = st.LowerBound, st.UpperBound
		if img.DType.IsInteger() {
			st.ClipLow, st.ClipHigh = math.Trunc(st.ClipLow), math.Trunc(st.ClipHigh)
		}
		lo, hi := float32(st.ClipLow), float32(st.ClipHigh)
		vals = make([]float32, len(img.Data))
		for i, v := range img.Data {
			vals[i] = clip32(v, lo, hi)
		}
	}
	switch n.Type {
	case NormDiv:
		st.DivValue = 255
		if slices.Max(vals) > 255 {
			st.DivValue = 65535
		}
	case NormScaleRange:
		st.Min, st.Max = float64(slices.Min(vals)), float64(slices.Max(vals))
	case NormZeroMeanUnitVar:
		m := mean64(vals)
		st.Mean, st.Std = m, std64(vals, m)
		if n.Mean != nil {
			st.Mean = *n.Mean
		}
		if n.Std != nil {
			st.Std = *n.Std
		}
	}
	return st, nil
}

// Normalize measures img's statistics with n and returns the normalised float32 image
// (same shape) together with them; see [Normalization.Measure] and [NormStats.Apply].
func (n Normalization) Normalize(img *Image) (*Image, NormStats, error) {
	st, err := n.Measure(img)
	if err != nil {
		return nil, NormStats{}, err
	}
	return st.Apply(img), st, nil
}

// Apply returns img normalised with s as a new Float32 image of the same shape, in
// float32 arithmetic as numpy does it:
//
//	div:          x · float32(1/DivValue)
//	scale_range:  (x − Min) / float32(Max − Min + 1e-6)
//	zmuv:         (x − Mean) / float32(Std + 1e-6)
//
// each after clipping to [ClipLow, ClipHigh] when s.Clip is set.
func (s NormStats) Apply(img *Image) *Image {
	out := &Image{Data: make([]float32, len(img.Data)), Shape: slices.Clone(img.Shape), DType: Float32}
	s.ApplyTo(out.Data, img.Data)
	return out
}

// ApplyTo writes src normalised with s into dst (see [NormStats.Apply]); dst and src
// have the same length and may be the same slice.
func (s NormStats) ApplyTo(dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("data: NormStats.ApplyTo: dst has %d values, src %d", len(dst), len(src)))
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if s.Clip {
		lo, hi = float32(s.ClipLow), float32(s.ClipHigh)
	}
	var sub, mul, div float32
	mul = 1
	div = 1
	switch s.Type {
	case NormDiv:
		mul = float32(1 / s.DivValue)
	case NormScaleRange:
		sub = float32(s.Min)
		div = float32(float64(float32(s.Max)-float32(s.Min)) + normEps)
	case NormZeroMeanUnitVar:
		sub = float32(s.Mean)
		div = float32(s.Std + normEps)
	default:
		panic(fmt.Sprintf("data: NormStats.ApplyTo: unknown normalization type %q", s.Type))
	}
	for i, v := range src {
		v = clip32(v, lo, hi)
		if s.Type == NormDiv {
			dst[i] = v * mul
		} else {
			dst[i] = (v - sub) / div
		}
	}
}

// Undo maps a normalised image (typically a prediction) back to the original value
// range and dtype, as BiaPy's undo_image_norm:
//
//	div:          clip(x, 0, 1) · DivValue
//	scale_range:  clip(x, 0, 1) · Max + Min   (BiaPy's formula, not the exact inverse)
//	zmuv:         x · Std + Mean; for integer dtypes rounded half to even, then
//	              |min| is added (BiaPy's rule, even when the minimum is positive)
//
// then cast to s.DType as numpy's astype does: truncation toward zero and, for
// integer dtypes, wrap-around of out-of-range values (BiaPy's behaviour, matched by
// the fixtures: the zmuv shift can push uint8 values past 255, which then wrap). The
// result has img's shape and DType s.DType.
func (s NormStats) Undo(img *Image) *Image {
	out := &Image{Data: make([]float32, len(img.Data)), Shape: slices.Clone(img.Shape), DType: s.DType}
	switch s.Type {
	case NormDiv, NormScaleRange:
		mul, add := float32(s.DivValue), float32(0)
		if s.Type == NormScaleRange {
			mul, add = float32(s.Max), float32(s.Min)
		}
		for i, v := range img.Data {
			out.Data[i] = clip32(v, 0, 1)*mul + add
		}
	case NormZeroMeanUnitVar:
		std, mean := float32(s.Std), float32(s.Mean)
		for i, v := range img.Data {
			out.Data[i] = v*std + mean
		}
		if s.DType.IsInteger() && len(out.Data) > 0 {
			for i, v := range out.Data {
				out.Data[i] = float32(math.RoundToEven(float64(v)))
			}
			shift := float32(math.Abs(float64(slices.Min(out.Data))))
			for i := range out.Data {
				out.Data[i] += shift
			}
		}
	default:
		panic(fmt.Sprintf("data: NormStats.Undo: unknown normalization type %q", s.Type))
	}
	for i, v := range out.Data {
		out.Data[i] = astype(v, s.DType)
	}
	return out
}

// astype converts v to dtype d like numpy's astype on x86-64: integer types truncate
// toward zero and wrap modulo 2^bits (through int64); NaN and values beyond int64
// become 0. Float types return v.
func astype(v float32, d DType) float32 {
	if !d.IsInteger() {
		return v
	}
	f := math.Trunc(float64(v))
	if !(f >= math.MinInt64 && f < math.MaxInt64) {
		return 0
	}
	i := int64(f)
	switch d {
	case Uint8:
		return float32(uint8(i))
	case Int8:
		return float32(int8(i))
	case Uint16:
		return float32(uint16(i))
	case Int16:
		return float32(int16(i))
	case Uint32:
		return float32(uint32(i))
	}
	return float32(int32(i))
}

// Percentile returns the q-th percentile (q in [0, 100]) of vals with numpy's default
// linear interpolation (np.percentile on an integer array, interpolated in float64);
// NaN for empty input.
func Percentile(vals []float32, q float64) float64 {
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	return percentileSorted(sorted, q, false)
}

// percentileSorted is [Percentile] on ascending values, following numpy 1.24's
// "linear" method: virtual index n·q + (1 − q) − 1 with q in [0, 1], and its _lerp,
// which interpolates from the upper neighbour when the fraction is at least 0.5. f32
// interpolates in float32, as numpy does for float32 arrays (integers use float64).
func percentileSorted(sorted []float32, q float64, f32 bool) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	q /= 100
	idx := float64(n)*q + (1 - q) - 1
	lo := math.Floor(idx)
	gamma := idx - lo
	i := int(lo)
	i = min(max(i, 0), n-1)
	j := min(i+1, n-1)
	if idx < 0 {
		gamma = 0
	}
	if f32 { // numpy interpolates float32 data in float32
		a, b, g := sorted[i], sorted[j], float32(gamma)
		diff := b - a
		if gamma >= 0.5 {
			return float64(b - diff*(1-g))
		}
		return float64(a + diff*g)
	}
	a, b := float64(sorted[i]), float64(sorted[j])
	diff := b - a
	if gamma >= 0.5 {
		return b - diff*(1-gamma)
	}
	return a + diff*gamma
}

// clip32 clamps v to [lo, hi] (np.clip: max then min).
func clip32(v, lo, hi float32) float32 {
	if v < lo {
		v = lo
	}
	if v > hi {
		v = hi
	}
	return v
}

// mean64 returns the float64 mean of vals.
func mean64(vals []float32) float64 {
	var s float64
	for _, v := range vals {
		s += float64(v)
	}
	return s / float64(len(vals))
}

// std64 returns the float64 population standard deviation of vals about mean.
func std64(vals []float32, mean float64) float64 {
	var s float64
	for _, v := range vals {
		d := float64(v) - mean
		s += d * d
	}
	return math.Sqrt(s / float64(len(vals)))
}
