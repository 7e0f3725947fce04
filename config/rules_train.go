package config

import (
	"math"
	"slices"
	"strings"
)

// LossType returns LOSS.TYPE resolved for self-supervision: "MAE" when empty.
func (c *Config) LossType() string {
	if c.Loss.Type == "" {
		return "MAE"
	}
	return c.Loss.Type
}

func (k *checker) loss() {
	c := k.c
	if c.Problem.Type == SemanticSegType {
		return // checked by semanticSeg
	}
	if c.Model.Architecture == "mae" {
		if c.Loss.Type != "" && c.Loss.Type != "MSE" {
			c.warn("LOSS.TYPE", "ignored: mae uses its own masked-patch MSE loss")
		}
		return
	}
	switch t := c.LossType(); t {
	case "MAE", "MSE":
	case "SSIM", "W_MAE_SSIM", "W_MSE_SSIM":
		k.bad("LOSS.TYPE", "%s: not supported by selfsup (want MAE or MSE)", t)
	default:
		if !c.Train.Enable {
			c.warn("LOSS.TYPE", "%q ignored: TRAIN.ENABLE is False", t)
			return
		}
		k.bad("LOSS.TYPE", "%q: want MAE or MSE (BiaPy also has SSIM, W_MAE_SSIM, W_MSE_SSIM)", t)
	}
	if w := c.Loss.Weights; len(w) != 2 || math.Abs(w[0]+w[1]-1) > 1e-6 {
		k.bad("LOSS.WEIGHTS", "%v: want two weights that sum to 1", w)
	}
}

func (k *checker) train() {
	c := k.c
	t := c.Train
	if !slices.Contains([]string{"SGD", "ADAM", "ADAMW"}, t.Optimizer) {
		k.bad("TRAIN.OPTIMIZER", "%q: want SGD, ADAM or ADAMW", t.Optimizer)
	}
	if !(t.LR > 0) {
		k.bad("TRAIN.LR", "%v: want a positive learning rate", t.LR)
	}
	if !(t.WDecay >= 0) {
		k.bad("TRAIN.W_DECAY", "%v: want 0 or more", t.WDecay)
	}
	if len(t.OptBetas) != 2 || !(t.OptBetas[0] >= 0 && t.OptBetas[0] < 1 && t.OptBetas[1] >= 0 && t.OptBetas[1] < 1) {
		k.bad("TRAIN.OPT_BETAS", "%v: want two values in [0, 1)", tuple(t.OptBetas))
	}
	if t.BatchSize < 1 {
		k.bad("TRAIN.BATCH_SIZE", "%d: want at least 1", t.BatchSize)
	}
	if t.AccumIter < 1 {
		k.bad("TRAIN.ACCUM_ITER", "%d: want at least 1", t.AccumIter)
	}
	if t.Epochs < 1 {
		k.bad("TRAIN.EPOCHS", "%d: want at least 1", t.Epochs)
	}
	if t.Patience != -1 && t.Patience < 1 {
		k.bad("TRAIN.PATIENCE", "%d: want -1 (no early stopping) or at least 1", t.Patience)
	}
	for _, m := range k.sslMetrics(t.Metrics) {
		if !slices.Contains(ssiMetrics, strings.ToLower(m)) {
			k.bad("TRAIN.METRICS", "%q: want psnr, mae, mse or ssim", m)
		}
	}
	s := t.LRScheduler
	switch s.Name {
	case "", "onecycle":
	case "warmupcosine":
		if s.MinLR == -1 {
			k.bad("TRAIN.LR_SCHEDULER.MIN_LR", "must be set for warmupcosine")
		}
		if s.WarmupCosineDecayEpochs == -1 {
			k.bad("TRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS", "must be set for warmupcosine")
		} else if s.WarmupCosineDecayEpochs < 0 || s.WarmupCosineDecayEpochs > t.Epochs {
			k.bad("TRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS", "%d: want a value in [0, TRAIN.EPOCHS %d]", s.WarmupCosineDecayEpochs, t.Epochs)
		}
	case "reduceonplateau":
		if s.MinLR == -1 {
			k.bad("TRAIN.LR_SCHEDULER.MIN_LR", "must be set for reduceonplateau")
		}
		if s.ReduceOnPlateauPatience == -1 {
			k.bad("TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_PATIENCE", "must be set for reduceonplateau")
		} else if t.Patience != -1 && s.ReduceOnPlateauPatience >= t.Patience {
			k.bad("TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_PATIENCE", "%d: must be below TRAIN.PATIENCE %d", s.ReduceOnPlateauPatience, t.Patience)
		}
		if !(s.ReduceOnPlateauFactor > 0 && s.ReduceOnPlateauFactor < 1) {
			k.bad("TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_FACTOR", "%v: want a factor in (0, 1)", s.ReduceOnPlateauFactor)
		}
	default:
		k.bad("TRAIN.LR_SCHEDULER.NAME", "%q: want warmupcosine, reduceonplateau or onecycle (or empty)", s.Name)
	}
	if s.MinLR != -1 && s.MinLR < 0 {
		k.bad("TRAIN.LR_SCHEDULER.MIN_LR", "%v: want -1 (unset) or 0 or more", s.MinLR)
	}
}

func (k *checker) augmentor() {
	c := k.c
	if c.Augmentor.GammaContrast && c.Data.Normalization.Type == "zero_mean_unit_variance" {
		k.bad("AUGMENTOR.GAMMA_CONTRAST", "cannot be used with DATA.NORMALIZATION.TYPE zero_mean_unit_variance")
	}
	if c.Augmentor.AugNumSamples < 0 {
		k.bad("AUGMENTOR.AUG_NUM_SAMPLES", "%d: want 0 or more", c.Augmentor.AugNumSamples)
	}
	if err := c.AugmentOptions().Validate(); err != nil {
		k.bad("AUGMENTOR", "%v", strings.TrimPrefix(err.Error(), "data: "))
	}
}

func (k *checker) test() {
	c := k.c
	t := c.Test
	if !slices.Contains([]string{"mean", "min", "max"}, t.AugmentationMode) {
		k.bad("TEST.AUGMENTATION_MODE", "%q: want mean, min or max", t.AugmentationMode)
	}
	if t.Augmentation && c.Problem.SelfSupervised.PretextTask == "masking" {
		c.warn("TEST.AUGMENTATION", "ignored with masking (as BiaPy)")
	}
	for _, m := range k.sslMetrics(t.Metrics) {
		switch lm := strings.ToLower(m); {
		case slices.Contains(ssiMetrics, lm):
		case lm == "fid" || lm == "is" || lm == "lpips":
			k.bad("TEST.METRICS", "%q: not supported by selfsup (want psnr, mae, mse or ssim)", m)
		default:
			k.bad("TEST.METRICS", "%q: want psnr, mae, mse or ssim", m)
		}
	}
}

func (k *checker) system() {
	c := k.c
	s := c.System
	if s.NumCPUs != -1 && s.NumCPUs < 1 {
		k.bad("SYSTEM.NUM_CPUS", "%d: want -1 (all) or at least 1", s.NumCPUs)
	}
	if s.NumWorkers < -1 {
		k.bad("SYSTEM.NUM_WORKERS", "%d: want -1 (automatic) or 0 or more", s.NumWorkers)
	}
	if s.Seed < 0 || s.Seed > math.MaxUint32 {
		k.bad("SYSTEM.SEED", "%d: want a value in [0, 2³²)", s.Seed)
	}
	if c.Log.ChartCreationFreq < 1 {
		k.bad("LOG.CHART_CREATION_FREQ", "%d: want at least 1 epoch", c.Log.ChartCreationFreq)
	}
}
