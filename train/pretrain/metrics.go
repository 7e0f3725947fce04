package pretrain

import (
	"math"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/metrics"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// MetricNames are BiaPy's self-supervised metrics in its printing order (TRAIN.METRICS
// and TEST.METRICS defaults, SPEC §1.5).
var MetricNames = []string{"PSNR", "MAE", "MSE", "SSIM"}

// trainMetrics computes BiaPy's training/validation metrics of one batch (SPEC §6.4)
// once and serves them to the four train.Metric functions.
type trainMetrics struct {
	norm    data.NormType
	ssim    bool // every spatial axis of the patch is ≥ metrics.SSIMMinSize
	lastP   *tensor.Tensor
	lastY   *tensor.Tensor
	lastVal map[string]float64
}

// list returns the [train.Metric] values, in MetricNames order (SSIM only when the patch
// is large enough for its window).
func (m *trainMetrics) list() []train.Metric {
	out := []train.Metric{}
	for _, name := range MetricNames {
		if name == "SSIM" && !m.ssim {
			continue
		}
		out = append(out, train.Metric{Name: name, Fn: func(_, y, pred *tensor.Tensor) float64 { return m.value(name, y, pred) }})
	}
	return out
}

// value returns metric name of the batch (pred, y), computing all of them the first
// time a batch is seen.
func (m *trainMetrics) value(name string, y, pred *tensor.Tensor) float64 {
	if pred != m.lastP || y != m.lastY {
		m.lastP, m.lastY, m.lastVal = pred, y, m.compute(y, pred)
	}
	return m.lastVal[name]
}

// compute evaluates SPEC §6.4 on normalised tensors: MSE and MAE on the raw output;
// then, for div/scale_range, PSNR and SSIM on values clamped to [0, 1] (data range 255
// after ×255, and 1); for zero_mean_unit_variance, on each tensor min-max rescaled over
// the whole batch (SSIM with the inferred data range). NaN values become 0.
func (m *trainMetrics) compute(y, pred *tensor.Tensor) map[string]float64 {
	p, t := pred.Values(), y.Values()
	out := map[string]float64{"MSE": metrics.MSE(p, t), "MAE": metrics.MAE(p, t)}
	var ssim float64
	if m.norm == data.NormZeroMeanUnitVar {
		p, t = metrics.RescaleMinMax(p), metrics.RescaleMinMax(t)
		out["PSNR"] = metrics.PSNRTrain(p, t)
		if m.ssim {
			r := max(metrics.DataRange(p), metrics.DataRange(t))
			ssim = metrics.SSIMBatch(tensor.FromSlice(p, pred.Shape()...), tensor.FromSlice(t, y.Shape()...), r)
		}
	} else {
		out["PSNR"] = metrics.PSNRTrain(p, t)
		if m.ssim {
			ssim = metrics.SSIMBatch(tensor.FromSlice(clamp01(p), pred.Shape()...), tensor.FromSlice(clamp01(t), y.Shape()...), 1)
		}
	}
	if m.ssim {
		out["SSIM"] = ssim
	}
	for k, v := range out {
		if math.IsNaN(v) {
			out[k] = 0
		}
	}
	return out
}

// clamp01 returns a copy of v clamped to [0, 1].
func clamp01(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = min(max(x, 0), 1)
	}
	return out
}

// imageMetrics returns BiaPy's test metrics (SPEC §7.3) of pred against target, raw
// intensities of spatial+channel shape shape: PSNR with the target's data range, MAE,
// MSE and SSIM with the inferred data range (omitted when an axis is shorter than
// the SSIM window).
func imageMetrics(pred, target []float32, shape []int) map[string]float64 {
	out := map[string]float64{
		"PSNR": metrics.PSNRTest(pred, target),
		"MAE":  metrics.MAE(pred, target),
		"MSE":  metrics.MSE(pred, target),
	}
	if ssimFits(shape[:len(shape)-1]) {
		out["SSIM"] = metrics.SSIMTest(pred, target, shape)
	}
	return out
}

// ssimFits reports whether every spatial size is at least the SSIM window.
func ssimFits(spatial []int) bool {
	for _, v := range spatial {
		if v < metrics.SSIMMinSize {
			return false
		}
	}
	return true
}
