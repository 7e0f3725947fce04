package config

import (
	"strings"

	"github.com/selfsup/selfsup/train"
)

// OptimizerOptions returns TRAIN.OPTIMIZER, LR, W_DECAY and OPT_BETAS as
// [train.OptimizerOptions]. With the warmupcosine scheduler the initial rate is
// LR_SCHEDULER.MIN_LR, as BiaPy does (the scheduler sets the rate at every step).
func (c *Config) OptimizerOptions() train.OptimizerOptions {
	t := c.Train
	o := train.OptimizerOptions{Kind: train.OptimizerKind(t.Optimizer), LR: t.LR, WeightDecay: t.WDecay}
	if t.LRScheduler.Name == "warmupcosine" && t.LRScheduler.MinLR > 0 {
		o.LR = t.LRScheduler.MinLR
	}
	if len(t.OptBetas) == 2 {
		o.Beta1, o.Beta2 = t.OptBetas[0], t.OptBetas[1]
	}
	return o
}

// SchedulerOptions returns TRAIN.LR_SCHEDULER.*, TRAIN.LR, EPOCHS and ACCUM_ITER as
// [train.SchedulerOptions] for stepsPerEpoch training batches per epoch.
func (c *Config) SchedulerOptions(stepsPerEpoch int) train.SchedulerOptions {
	t := c.Train
	s := t.LRScheduler
	return train.SchedulerOptions{
		LR:           t.LR,
		MinLR:        s.MinLR,
		WarmupEpochs: s.WarmupCosineDecayEpochs,
		Factor:       s.ReduceOnPlateauFactor,
		Patience:     s.ReduceOnPlateauPatience,
		Epochs:       t.Epochs,
		Steps:        stepsPerEpoch,
		AccumIter:    t.AccumIter,
	}
}

// NewScheduler builds the learning-rate scheduler named by TRAIN.LR_SCHEDULER.NAME
// (nil for "", a constant rate) for stepsPerEpoch training batches per epoch.
func (c *Config) NewScheduler(stepsPerEpoch int) (train.Scheduler, error) {
	return train.NewScheduler(c.Train.LRScheduler.Name, c.SchedulerOptions(stepsPerEpoch))
}

// TrainMetrics returns TRAIN.METRICS in lower case, BiaPy's psnr, mae, mse, ssim
// when empty.
func (c *Config) TrainMetrics() []string { return metricList(c.Train.Metrics) }

// TestMetrics returns TEST.METRICS in lower case, BiaPy's psnr, mae, mse, ssim when
// empty.
func (c *Config) TestMetrics() []string { return metricList(c.Test.Metrics) }

func metricList(ms []string) []string {
	if len(ms) == 0 {
		return []string{"psnr", "mae", "mse", "ssim"}
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = strings.ToLower(m)
	}
	return out
}
