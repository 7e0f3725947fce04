package segment

import (
	"math"

	"github.com/selfsup/selfsup/metrics"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// MetricNames are the segmentation metrics, in printing order: IoU (Jaccard) and Dice
// of the foreground (binary) or their means over the classes present (multi-class).
var MetricNames = []string{"IoU", "Dice"}

// segMetrics computes a batch's metrics once and serves them to both train.Metrics.
type segMetrics struct {
	classes   int
	threshold float64
	lastP     *tensor.Tensor
	lastY     *tensor.Tensor
	lastVal   map[string]float64
}

// list returns the [train.Metric] values in MetricNames order.
func (m *segMetrics) list() []train.Metric {
	out := make([]train.Metric, 0, len(MetricNames))
	for _, name := range MetricNames {
		out = append(out, train.Metric{Name: name, Fn: func(_, y, pred *tensor.Tensor) float64 {
			if pred != m.lastP || y != m.lastY {
				m.lastP, m.lastY = pred, y
				m.lastVal = m.compute(pred.Values(), pred.Shape(), y.Values())
			}
			return m.lastVal[name]
		}})
	}
	return out
}

// compute returns IoU and Dice of logits [N, K, *S] against class ids.
func (m *segMetrics) compute(logits []float32, shape []int, y []float32) map[string]float64 {
	lab := labels(logits, shape, m.threshold)
	return scores(lab, y, m.classes)
}

// scores returns IoU and Dice of the label maps pred and target (class ids), NaN
// replaced by 0.
func scores(pred, target []float32, classes int) map[string]float64 {
	var iou, dice float64
	if classes <= 2 {
		iou, dice = metrics.IoU(pred, target, 0.5), metrics.Dice(pred, target, 0.5)
	} else {
		iou, dice = metrics.MeanIoU(pred, target, classes), metrics.MeanDice(pred, target, classes)
	}
	if math.IsNaN(iou) {
		iou = 0
	}
	if math.IsNaN(dice) {
		dice = 0
	}
	return map[string]float64{"IoU": iou, "Dice": dice}
}

// labels turns logits [N, K, *S] into class ids [N, *S]: sigmoid > threshold for
// K = 1, the arg-max over K otherwise (first maximum).
func labels(logits []float32, shape []int, threshold float64) []float32 {
	n, k := shape[0], shape[1]
	s := 1
	for _, v := range shape[2:] {
		s *= v
	}
	out := make([]float32, n*s)
	if k == 1 {
		cut := float32(math.Log(threshold / (1 - threshold))) // sigmoid(x) > t ⇔ x > logit(t)
		for i, v := range logits {
			if v > cut {
				out[i] = 1
			}
		}
		return out
	}
	for b := range n {
		for p := range s {
			best, arg := logits[b*k*s+p], 0
			for c := 1; c < k; c++ {
				if v := logits[(b*k+c)*s+p]; v > best {
					best, arg = v, c
				}
			}
			out[b*s+p] = float32(arg)
		}
	}
	return out
}
