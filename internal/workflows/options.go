package workflows

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/data"
)

// Tiling names one overlap/padding pair of the options (e.g. Key "DATA.TRAIN") to
// check and default in place.
type Tiling struct {
	Key     string
	Overlap *[]float64
	Padding *[]int
}

// CheckData checks the patch size (channels last: (y, x, c) or (z, y, x, c), all
// positive), defaults norm's Type to zero_mean_unit_variance and validates it, and
// replaces each tiling's nil overlap/padding by zeros for the patch's spatial axes
// (tilingArgs). pkg names the caller in the errors.
func CheckData(pkg string, patch []int, norm *data.Normalization, tilings ...Tiling) error {
	if len(patch) != 3 && len(patch) != 4 {
		return fmt.Errorf("%s: patch size %v: want (y, x, c) or (z, y, x, c) (DATA.PATCH_SIZE)", pkg, patch)
	}
	for _, v := range patch {
		if v <= 0 {
			return fmt.Errorf("%s: patch size %v must be positive (DATA.PATCH_SIZE)", pkg, patch)
		}
	}
	nd := len(patch) - 1
	if norm.Type == "" {
		norm.Type = data.NormZeroMeanUnitVar
	}
	if err := norm.Validate(); err != nil {
		return fmt.Errorf("%s: DATA.NORMALIZATION: %w", pkg, err)
	}
	for _, t := range tilings {
		ov, pd, err := tilingArgs(pkg, t.Key, *t.Overlap, *t.Padding, nd)
		if err != nil {
			return err
		}
		*t.Overlap, *t.Padding = ov, pd
	}
	return nil
}

// tilingArgs returns overlap and padding with nil replaced by zeros for nd axes, or an
// error naming the keys when their length is wrong.
func tilingArgs(pkg, key string, overlap []float64, padding []int, nd int) ([]float64, []int, error) {
	if overlap == nil {
		overlap = make([]float64, nd)
	}
	if padding == nil {
		padding = make([]int, nd)
	}
	if len(overlap) != nd || len(padding) != nd {
		return nil, nil, fmt.Errorf("%s: %s.OVERLAP %v and PADDING %v must have %d values for a %d-D patch", pkg, key, overlap, padding, nd, nd)
	}
	return slices.Clone(overlap), slices.Clone(padding), nil
}

// CheckTrain defaults the batch size (0 → 2) and chart frequency (0 → 5), and checks
// that the batch size and, when training is enabled, the epochs are positive.
func CheckTrain(pkg string, batchSize, chartFreq *int, enable bool, epochs int) error {
	if *batchSize == 0 {
		*batchSize = 2
	}
	if *batchSize < 0 {
		return fmt.Errorf("%s: batch size %d must be positive (TRAIN.BATCH_SIZE)", pkg, *batchSize)
	}
	if *chartFreq == 0 {
		*chartFreq = 5
	}
	if enable && epochs <= 0 {
		return fmt.Errorf("%s: epochs %d must be positive (TRAIN.EPOCHS)", pkg, epochs)
	}
	return nil
}

// CheckValSplit checks a validation split taken from the training data: with no
// validation folder it must be 0 (none) or in (0, 1).
func CheckValSplit(pkg, valDir string, split float64) error {
	if valDir == "" && split != 0 && !(split > 0 && split < 1) {
		return fmt.Errorf("%s: validation split %v must be in (0, 1) (DATA.VAL.SPLIT_TRAIN)", pkg, split)
	}
	return nil
}
