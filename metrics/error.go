package metrics

import (
	"fmt"
	"math"
)

// checkSame panics unless pred and target have the same length, which must be > 0.
func checkSame(op string, pred, target []float32) {
	if len(pred) != len(target) || len(pred) == 0 {
		panic(fmt.Sprintf("metrics: %s: pred has %d samples, target %d", op, len(pred), len(target)))
	}
}

// MSE returns the mean squared error mean((pred − target)²) over all samples,
// accumulated in float64. pred and target must have the same length.
func MSE(pred, target []float32) float64 {
	checkSame("MSE", pred, target)
	var s float64
	for i, p := range pred {
		d := float64(p) - float64(target[i])
		s += d * d
	}
	return s / float64(len(pred))
}

// MAE returns the mean absolute error mean(|pred − target|) over all samples,
// accumulated in float64.
func MAE(pred, target []float32) float64 {
	checkSame("MAE", pred, target)
	var s float64
	for i, p := range pred {
		s += math.Abs(float64(p) - float64(target[i]))
	}
	return s / float64(len(pred))
}

// PSNR returns the peak signal-to-noise ratio 10·log10(dataRange² / MSE) in dB, as
// torchmetrics' PeakSignalNoiseRatio with a fixed data range. Identical inputs give
// +Inf.
func PSNR(pred, target []float32, dataRange float64) float64 {
	checkSame("PSNR", pred, target)
	return psnr(MSE(pred, target), dataRange)
}

// psnr converts an MSE to dB for the given data range.
func psnr(mse, dataRange float64) float64 {
	return 10 * math.Log10(dataRange*dataRange/mse)
}

// PSNRTrain returns BiaPy's training/validation PSNR for div or scale_range
// normalisation: both inputs are clamped to [0, 1] and scaled by 255, and the PSNR is
// taken with data range 255 (SPEC §6.4).
func PSNRTrain(pred, target []float32) float64 {
	checkSame("PSNRTrain", pred, target)
	var s float64
	for i, p := range pred {
		d := 255*clamp01(float64(p)) - 255*clamp01(float64(target[i]))
		s += d * d
	}
	return psnr(s/float64(len(pred)), 255)
}

// PSNRTest returns BiaPy's test-phase PSNR on raw intensities: torchmetrics' default
// data range, target max − min (SPEC §7.3).
func PSNRTest(pred, target []float32) float64 {
	checkSame("PSNRTest", pred, target)
	return psnr(MSE(pred, target), DataRange(target))
}

// DataRange returns max(x) − min(x) (0 for an empty slice).
func DataRange(x []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	lo, hi := x[0], x[0]
	for _, v := range x[1:] {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	return float64(hi) - float64(lo)
}

// RescaleMinMax returns (x − min) / (max − min + 1e-8), BiaPy's rescaling of a whole
// batch to [0, 1] before PSNR/SSIM under zero_mean_unit_variance normalisation
// (SPEC §6.4). The result is a new slice.
func RescaleMinMax(x []float32) []float32 {
	out := make([]float32, len(x))
	if len(x) == 0 {
		return out
	}
	lo, hi := x[0], x[0]
	for _, v := range x[1:] {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	den := float64(hi) - float64(lo) + 1e-8
	for i, v := range x {
		out[i] = float32((float64(v) - float64(lo)) / den)
	}
	return out
}

// clamp01 clamps v to [0, 1].
func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// clamped returns x clamped to [0, 1], as a new slice.
func clamped(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = min(max(v, 0), 1)
	}
	return out
}
