package config

import (
	"path/filepath"
	"slices"

	"github.com/selfsup/selfsup/train/pretrain"
)

// Job names one run of a configuration, as BiaPy's command line does:
// `-result_dir ResultDir -name Name -run_id RunID [-resume]`.
type Job struct {
	// ResultDir is -result_dir; the job's outputs go to ResultDir/Name.
	ResultDir string
	// Name is -name and RunID is -run_id; the job id is "<Name>_<RunID>".
	Name  string
	RunID int
	// Resume continues the job's training from its last checkpoint.
	Resume bool
	// ConfigName is the file name the configuration is copied to under
	// config_files/ ("" means the base name of the file it was loaded from).
	ConfigName string
	// ConfigText is the text copied there ("" means [Config.YAML], the effective
	// configuration).
	ConfigText string
}

// PretrainOptions returns the [pretrain.Options] of this configuration for job: the
// model (MODEL.*), pretext task (PROBLEM.SELF_SUPERVISED.*), loss, data folders and
// patches (DATA.*), augmentation (AUGMENTOR.*), training loop (TRAIN.*, SYSTEM.*,
// LOG.*) and test phase (TEST.*, DATA.TEST.*). Device, Out and Log are left for the
// caller. c should have passed [Config.Check] (Load does that); the returned options
// are checked again by [pretrain.Run].
//
// The output tree is always BiaPy's default one under job.ResultDir/job.Name
// ([pretrain.NewLayout]); PATHS.* and LOG.*_DIR overrides are not consulted.
func (c *Config) PretrainOptions(job Job) pretrain.Options {
	d := c.Data
	o := pretrain.Options{
		NewModel: c.NewModel,
		Pretext:  pretrain.Crappify,
		Crappify: pretrain.CrappifyOptions{
			Factor: float64(c.Problem.SelfSupervised.ResizingFactor),
			Noise:  c.Problem.SelfSupervised.Noise,
		},
		Loss: c.LossType(),
		Data: pretrain.DataOptions{
			TrainDir:               d.Train.Path,
			TrainSourceDir:         d.Train.SSLSourceDir,
			TestDir:                d.Test.Path,
			TestSourceDir:          d.Test.SSLSourceDir,
			Patch:                  slices.Clone(d.PatchSize),
			Normalization:          c.Normalization(),
			ReflectToCompleteShape: d.ReflectToCompleteShape,
			ExtractRandomPatch:     d.ExtractRandomPatch,
			TrainOverlap:           slices.Clone(d.Train.Overlap),
			TrainPadding:           slices.Clone(d.Train.Padding),
			ValOverlap:             slices.Clone(d.Val.Overlap),
			ValPadding:             slices.Clone(d.Val.Padding),
		},
		Augment: c.AugmentOptions(),
		Train: pretrain.TrainOptions{
			Enable:           c.Train.Enable,
			Epochs:           c.Train.Epochs,
			BatchSize:        c.Train.BatchSize,
			Optimizer:        c.OptimizerOptions(),
			Scheduler:        c.Train.LRScheduler.Name,
			SchedulerOptions: c.SchedulerOptions(0),
			Patience:         c.Train.Patience,
			AccumIter:        c.Train.AccumIter,
			Seed:             uint64(c.System.Seed),
			NoShuffle:        !c.Augmentor.ShuffleTrainDataEachEpoch,
			ChartFreq:        c.Log.ChartCreationFreq,
		},
		Test: pretrain.TestOptions{
			Enable:        c.Test.Enable,
			Overlap:       slices.Clone(d.Test.Overlap),
			Padding:       slices.Clone(d.Test.Padding),
			MedianPadding: d.Test.MedianPadding,
		},
		Paths: pretrain.PathOptions{
			ResultDir:  job.ResultDir,
			Name:       job.Name,
			RunID:      job.RunID,
			ConfigName: job.ConfigName,
			ConfigText: job.ConfigText,
		},
		Resume: job.Resume,
	}
	if c.Problem.SelfSupervised.PretextTask == "masking" {
		o.Pretext = pretrain.Masking
		if d.Test.LoadGT {
			o.Data.TestGTDir = d.Test.GTPath
		}
	}
	switch {
	case !d.Val.FromTrain && !d.Val.CrossVal:
		o.Data.ValDir, o.Data.ValSourceDir = d.Val.Path, d.Val.SSLSourceDir
	case d.Val.FromTrain:
		o.Data.ValSplit, o.Data.ValRandom = d.Val.SplitTrain, d.Val.Random
	}
	if c.Augmentor.Enable && c.Augmentor.AugSamples {
		o.AugSamples = c.Augmentor.AugNumSamples
	}
	if c.System.NumCPUs > 0 {
		o.Train.Threads = c.System.NumCPUs
	}
	if c.Model.LoadCheckpoint {
		o.Checkpoint = c.Paths.CheckpointFile
	}
	if o.Paths.ConfigName == "" && c.file != "" {
		o.Paths.ConfigName = filepath.Base(c.file)
	}
	if o.Paths.ConfigText == "" && o.Paths.ConfigName != "" {
		o.Paths.ConfigText = string(c.YAML())
	}
	return o
}
