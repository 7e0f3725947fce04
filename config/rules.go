package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// SelfSupervisedType is the only PROBLEM.TYPE selfsup runs.
const SelfSupervisedType = "SELF_SUPERVISED"

// biapySSLArchs is BiaPy's MODEL.ARCHITECTURE whitelist for self-supervision;
// notImplemented are the ones selfsup lacks; only2D cannot be 3-D.
var (
	biapySSLArchs  = []string{"unet", "resunet", "resunet++", "attention_unet", "multiresunet", "seunet", "resunet_se", "unetr", "unext_v1", "unext_v2", "edsr", "rcan", "dfcan", "wdsr", "vit", "mae"}
	notImplemented = []string{"unext_v1", "unext_v2", "vit"}
	only2D         = []string{"edsr", "wdsr"}
	unetLike       = []string{"unet", "resunet", "resunet++", "attention_unet", "seunet", "resunet_se", "multiresunet"}
	ssiMetrics     = []string{"psnr", "mae", "mse", "ssim"}
)

// checker collects rule violations, each naming the key and the line it was set at.
type checker struct {
	c    *Config
	errs []error
}

func (k *checker) bad(key, format string, args ...any) {
	k.errs = append(k.errs, &Error{File: k.c.file, Line: k.c.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (c *Config) warn(key, format string, args ...any) {
	w := fmt.Sprintf("%s: %s", key, fmt.Sprintf(format, args...))
	if c.file != "" {
		if l := c.lines[key]; l > 0 {
			w = fmt.Sprintf("%s:%d: %s", c.file, l, w)
		} else {
			w = c.file + ": " + w
		}
	}
	if !slices.Contains(c.warnings, w) {
		c.warnings = append(c.warnings, w)
	}
}

// Spatial returns the number of spatial axes, 2 or 3 (PROBLEM.NDIM).
func (c *Config) Spatial() int {
	if c.Problem.NDim == "3D" {
		return 3
	}
	return 2
}

// Channels returns the number of input channels, DATA.PATCH_SIZE[-1] (1 when unset).
func (c *Config) Channels() int {
	if n := len(c.Data.PatchSize); n > 0 {
		return c.Data.PatchSize[n-1]
	}
	return 1
}

// Check applies BiaPy's validity rules for self-supervision (check_configuration.py,
// SPEC Part B §1 "Rules") and selfsup's limits, without touching the file system.
// All violations are returned together (errors.Join of [*Error]).
func (c *Config) Check() error {
	k := &checker{c: c}
	k.problem()
	k.data()
	k.model()
	k.loss()
	k.train()
	k.augmentor()
	k.test()
	k.system()
	return errors.Join(k.errs...)
}

// Validate runs [Config.Check] and then checks that the input folders the enabled
// phases read exist (DATA.TRAIN.PATH when training, DATA.VAL.PATH when validation is
// not taken from train, DATA.TEST.PATH when testing) and that PATHS.CHECKPOINT_FILE
// exists when a checkpoint is to be loaded from it.
func (c *Config) Validate() error {
	err := c.Check()
	k := &checker{c: c}
	dir := func(key, path string) {
		st, e := os.Stat(path)
		switch {
		case e != nil:
			k.bad(key, "folder %q does not exist", path)
		case !st.IsDir():
			k.bad(key, "%q is not a folder", path)
		}
	}
	if c.Train.Enable {
		dir("DATA.TRAIN.PATH", c.Data.Train.Path)
		if !c.Data.Val.FromTrain && !c.Data.Val.CrossVal {
			dir("DATA.VAL.PATH", c.Data.Val.Path)
		}
	}
	if c.Test.Enable && !c.Data.Test.UseValAsTest {
		dir("DATA.TEST.PATH", c.Data.Test.Path)
	}
	if c.Model.LoadCheckpoint && c.Paths.CheckpointFile != "" {
		if _, e := os.Stat(c.Paths.CheckpointFile); e != nil {
			k.bad("PATHS.CHECKPOINT_FILE", "file %q does not exist", c.Paths.CheckpointFile)
		}
	}
	return errors.Join(append([]error{err}, k.errs...)...)
}

func (k *checker) problem() {
	c := k.c
	p := c.Problem
	if p.Type != SelfSupervisedType && p.Type != SemanticSegType {
		k.bad("PROBLEM.TYPE", "%q: selfsup runs only SELF_SUPERVISED and SEMANTIC_SEG", p.Type)
	}
	if p.NDim != "2D" && p.NDim != "3D" {
		k.bad("PROBLEM.NDIM", "%q: want 2D or 3D", p.NDim)
	}
	if p.Type == SemanticSegType {
		k.semanticSeg()
		return
	}
	s := p.SelfSupervised
	switch s.PretextTask {
	case "crappify":
		if !slices.Contains([]int{2, 4, 6}, s.ResizingFactor) {
			k.bad("PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR", "%d: want 2, 4 or 6", s.ResizingFactor)
		}
		if !(s.Noise >= 0 && s.Noise <= 1) {
			k.bad("PROBLEM.SELF_SUPERVISED.NOISE", "%v: want a value in [0, 1]", s.Noise)
		}
		if c.Model.Architecture == "mae" {
			k.bad("MODEL.ARCHITECTURE", "mae cannot be used with PROBLEM.SELF_SUPERVISED.PRETEXT_TASK crappify (use masking)")
		}
	case "masking":
		if c.Model.Architecture != "mae" {
			k.bad("MODEL.ARCHITECTURE", "%q: PROBLEM.SELF_SUPERVISED.PRETEXT_TASK masking requires mae", c.Model.Architecture)
		}
		switch c.Model.MAEMaskType {
		case "grid":
		case "random":
			// BiaPy allows [0, 1]; a ratio of 0 masks no token and the masked loss is 0/0.
			if !(c.Model.MAEMaskRatio > 0 && c.Model.MAEMaskRatio <= 1) {
				k.bad("MODEL.MAE_MASK_RATIO", "%v: want a value in (0, 1]", c.Model.MAEMaskRatio)
			}
		default:
			k.bad("MODEL.MAE_MASK_TYPE", "%q: want grid or random", c.Model.MAEMaskType)
		}
		if c.Data.Train.Replicate != 0 {
			c.warn("DATA.TRAIN.REPLICATE", "no effect with masking")
		}
	default:
		k.bad("PROBLEM.SELF_SUPERVISED.PRETEXT_TASK", "%q: want crappify or masking", s.PretextTask)
	}
	for _, u := range p.SuperResolution.Upscaling {
		if u != 1 {
			c.warn("PROBLEM.SUPER_RESOLUTION.UPSCALING", "ignored: self-supervision uses no upscaling")
			break
		}
	}
}

func (k *checker) data() {
	c := k.c
	d := c.Data
	nd := c.Spatial()
	ps := d.PatchSize
	if len(ps) != nd+1 {
		if nd == 3 {
			k.bad("DATA.PATCH_SIZE", "%v: PROBLEM.NDIM 3D needs (z, y, x, channels), 4 values", tuple(ps))
		} else {
			k.bad("DATA.PATCH_SIZE", "%v: PROBLEM.NDIM 2D needs (y, x, channels), 3 values", tuple(ps))
		}
	} else if slices.Min(ps) <= 0 {
		k.bad("DATA.PATCH_SIZE", "%v: every size must be positive", tuple(ps))
	}
	n := d.Normalization
	switch n.Type {
	case "div", "scale_range", "zero_mean_unit_variance":
	default:
		k.bad("DATA.NORMALIZATION.TYPE", "%q: want div, scale_range or zero_mean_unit_variance", n.Type)
	}
	if n.MeasureBy != "image" && n.MeasureBy != "patch" {
		k.bad("DATA.NORMALIZATION.MEASURE_BY", "%q: want image or patch", n.MeasureBy)
	}
	if pc := n.PercClip; pc.Enable {
		if pc.LowerValue == -1 && !(pc.LowerPerc >= 0 && pc.LowerPerc <= 100) {
			k.bad("DATA.NORMALIZATION.PERC_CLIP.LOWER_PERC", "%v: want a percentile in [0, 100] (or set LOWER_VALUE)", pc.LowerPerc)
		}
		if pc.UpperValue == -1 && !(pc.UpperPerc >= 0 && pc.UpperPerc <= 100) {
			k.bad("DATA.NORMALIZATION.PERC_CLIP.UPPER_PERC", "%v: want a percentile in [0, 100] (or set UPPER_VALUE)", pc.UpperPerc)
		}
		if pc.LowerValue == -1 && pc.UpperValue == -1 && pc.LowerPerc >= pc.UpperPerc && pc.UpperPerc >= 0 {
			k.bad("DATA.NORMALIZATION.PERC_CLIP.LOWER_PERC", "%v: must be below UPPER_PERC %v", pc.LowerPerc, pc.UpperPerc)
		}
	}
	if n.Type == "zero_mean_unit_variance" && n.ZeroMeanUnitVar.StdVal != -1 && n.ZeroMeanUnitVar.StdVal <= 0 {
		k.bad("DATA.NORMALIZATION.ZERO_MEAN_UNIT_VAR.STD_VAL", "%v: want a positive value (or -1: per image)", n.ZeroMeanUnitVar.StdVal)
	}
	if d.ProbabilityMap {
		if d.ExtractRandomPatch {
			k.bad("DATA.PROBABILITY_MAP", "not supported by selfsup (semantic segmentation only)")
		} else {
			c.warn("DATA.PROBABILITY_MAP", "no effect (semantic segmentation only, and DATA.EXTRACT_RANDOM_PATCH is False)")
		}
	}
	if d.Train.Replicate < 0 {
		k.bad("DATA.TRAIN.REPLICATE", "%d: want 0 or more", d.Train.Replicate)
	}
	v := d.Val
	if c.Train.Enable && v.FromTrain && !v.CrossVal && !(v.SplitTrain > 0 && v.SplitTrain < 1) {
		k.bad("DATA.VAL.SPLIT_TRAIN", "%v: want a fraction in (0, 1)", v.SplitTrain)
	}
	if v.CrossVal {
		if v.CrossValNFold < 2 {
			k.bad("DATA.VAL.CROSS_VAL_NFOLD", "%d: want at least 2 folds", v.CrossValNFold)
		} else if v.CrossValFold < 1 || v.CrossValFold > v.CrossValNFold {
			k.bad("DATA.VAL.CROSS_VAL_FOLD", "%d: want a fold in [1, %d]", v.CrossValFold, v.CrossValNFold)
		}
	}
	if d.Test.UseValAsTest && !v.CrossVal {
		k.bad("DATA.TEST.USE_VAL_AS_TEST", "needs DATA.VAL.CROSS_VAL")
	}
	for _, s := range []struct {
		name    string
		overlap []float64
		padding []int
	}{{"TRAIN", d.Train.Overlap, d.Train.Padding}, {"VAL", v.Overlap, v.Padding}, {"TEST", d.Test.Overlap, d.Test.Padding}} {
		ok, pk := "DATA."+s.name+".OVERLAP", "DATA."+s.name+".PADDING"
		if len(s.overlap) != nd {
			k.bad(ok, "%v: want %d values, one per spatial axis", tuple(s.overlap), nd)
		} else {
			for _, o := range s.overlap {
				if !(o >= 0 && o < 1) {
					k.bad(ok, "%v: each overlap must be in [0, 1)", tuple(s.overlap))
					break
				}
			}
		}
		if len(s.padding) != nd {
			k.bad(pk, "%v: want %d values, one per spatial axis", tuple(s.padding), nd)
			continue
		}
		if len(ps) != nd+1 {
			continue
		}
		for i, p := range s.padding {
			if p < 0 || p >= ps[i]/2 {
				k.bad(pk, "%v: each padding must be in [0, patch size / 2) = [0, %d) for DATA.PATCH_SIZE %v", tuple(s.padding), ps[i]/2, tuple(ps))
				break
			}
		}
	}
}

// tuple formats v as a Python tuple: (256, 256, 1).
func tuple[T any](v []T) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	if len(v) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
