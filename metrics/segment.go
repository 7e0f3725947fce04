package metrics

import (
	"fmt"
	"math"
)

// binaryCounts returns the true positives, false positives and false negatives of
// the masks pred > threshold and target > threshold.
func binaryCounts(op string, pred, target []float32, threshold float64) (tp, fp, fn int) {
	checkSame(op, pred, target)
	th := threshold
	for i, p := range pred {
		a, b := float64(p) > th, float64(target[i]) > th
		switch {
		case a && b:
			tp++
		case a:
			fp++
		case b:
			fn++
		}
	}
	return tp, fp, fn
}

// IoU returns the Jaccard index TP / (TP + FP + FN) of the binary masks
// pred > threshold and target > threshold (BiaPy binarises both at 0.5). Two empty
// masks give 0, as BiaPy's jaccard_index_numpy and torchmetrics' zero_division=0.
func IoU(pred, target []float32, threshold float64) float64 {
	tp, fp, fn := binaryCounts("IoU", pred, target, threshold)
	if tp+fp+fn == 0 {
		return 0
	}
	return float64(tp) / float64(tp+fp+fn)
}

// Dice returns the Dice coefficient 2·TP / (2·TP + FP + FN) of the binary masks
// pred > threshold and target > threshold. Two empty masks give 0, like [IoU].
func Dice(pred, target []float32, threshold float64) float64 {
	tp, fp, fn := binaryCounts("Dice", pred, target, threshold)
	if tp+fp+fn == 0 {
		return 0
	}
	return 2 * float64(tp) / float64(2*tp+fp+fn)
}

// classCounts returns per class k the intersection |P=k ∧ T=k| and the sizes |P=k|
// and |T=k| of two label maps holding integer class ids in [0, classes).
func classCounts(op string, pred, target []float32, classes int) (inter, npred, ntarget []int) {
	checkSame(op, pred, target)
	if classes < 1 {
		panic(fmt.Sprintf("metrics: %s: %d classes", op, classes))
	}
	inter, npred, ntarget = make([]int, classes), make([]int, classes), make([]int, classes)
	label := func(v float32) int {
		k := int(v)
		if float32(k) != v || k < 0 || k >= classes {
			panic(fmt.Sprintf("metrics: %s: label %v is not a class id in [0, %d)", op, v, classes))
		}
		return k
	}
	for i, p := range pred {
		a, b := label(p), label(target[i])
		npred[a]++
		ntarget[b]++
		if a == b {
			inter[a]++
		}
	}
	return inter, npred, ntarget
}

// ClassIoU returns the IoU of every class k of two label maps (integer class ids in
// [0, classes), stored as float32): |P=k ∧ T=k| / |P=k ∨ T=k|. A class absent from
// both maps is NaN. A label outside [0, classes) panics.
func ClassIoU(pred, target []float32, classes int) []float64 {
	inter, npred, ntarget := classCounts("ClassIoU", pred, target, classes)
	out := make([]float64, classes)
	for k := range out {
		out[k] = ratio(inter[k], npred[k]+ntarget[k]-inter[k])
	}
	return out
}

// ClassDice returns the Dice coefficient 2·|P=k ∧ T=k| / (|P=k| + |T=k|) of every class
// k, like [ClassIoU]; a class absent from both maps is NaN.
func ClassDice(pred, target []float32, classes int) []float64 {
	inter, npred, ntarget := classCounts("ClassDice", pred, target, classes)
	out := make([]float64, classes)
	for k := range out {
		out[k] = ratio(2*inter[k], npred[k]+ntarget[k])
	}
	return out
}

// MeanIoU returns the mean of [ClassIoU] over the classes present in either map.
func MeanIoU(pred, target []float32, classes int) float64 {
	return nanMean(ClassIoU(pred, target, classes))
}

// MeanDice returns the mean of [ClassDice] over the classes present in either map.
func MeanDice(pred, target []float32, classes int) float64 {
	return nanMean(ClassDice(pred, target, classes))
}

// ratio returns a/b, NaN for b = 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// nanMean returns the mean of the non-NaN values (NaN if there are none).
func nanMean(x []float64) float64 {
	var s float64
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			s += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}
