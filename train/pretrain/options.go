package pretrain

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// Pretext names a self-supervised pretext task (PROBLEM.SELF_SUPERVISED.PRETEXT_TASK).
type Pretext string

// The pretext tasks.
const (
	// Crappify trains the model to restore images degraded by noise and
	// down/up-sampling (SPEC §3).
	Crappify Pretext = "crappify"
	// Masking trains a masked autoencoder (models.MAE) to reconstruct hidden tokens
	// (SPEC §4).
	Masking Pretext = "masking"
)

// Options configure [Run]: one BiaPy SELF_SUPERVISED job, usable from Go without YAML.
// Package config maps a BiaPy YAML file onto it. Fields name the BiaPy keys they
// mirror; a zero value means BiaPy's default unless the field says otherwise.
type Options struct {
	// Model is the network to pretrain: an nn.Module mapping x: [N, C, (D,) H, W] to a
	// prediction of the same shape, or a *models.MAE for the masking task. When nil,
	// NewModel builds it from a generator seeded with Train.Seed.
	Model    nn.Module
	NewModel func(rng *tensor.RNG) (nn.Module, error)
	// Device runs the model (nil: tensor.CPU{}); Run moves the model there.
	Device tensor.Device

	// Pretext is the task; "" means Masking when Model is a *models.MAE, else Crappify.
	Pretext Pretext
	// Crappify configures the crappify degradation.
	Crappify CrappifyOptions
	// Loss is LOSS.TYPE for crappify models: "MAE" (L1, also "") or "MSE". The MAE
	// model always uses its own masked-token MSE.
	Loss string

	Data    DataOptions
	Augment data.AugmentOptions // AUGMENTOR.*, applied jointly to (input, target) training pairs
	// AugSamples is the number of augmented training pairs written to results/…/aug
	// (AUGMENTOR.AUG_SAMPLES with AUG_NUM_SAMPLES); 0 writes none.
	AugSamples int
	Train      TrainOptions
	Test       TestOptions
	Paths      PathOptions

	// Resume continues the training from the last checkpoint
	// (checkpoints/<name>_<run_id>-checkpoint-last.safetensors), which must exist:
	// weights, optimizer, scheduler, epoch, batch and generators.
	Resume bool
	// Checkpoint, for a run without training, names the weights the test phase uses
	// (PATHS.CHECKPOINT_FILE); "" means this job's best checkpoint.
	Checkpoint string
	// MAEChecks is how many test images get MAE_checks files (masking); 0 means 3,
	// a negative value none.
	MAEChecks int

	// Out receives the progress display and BiaPy's result lines (nil: none).
	Out io.Writer
	// Log receives messages (nil: slog.Default()).
	Log *slog.Logger
}

// CrappifyOptions configure the crappify pretext task.
type CrappifyOptions struct {
	// Factor is PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR: 2, 4 or 6; 0 means 4.
	Factor float64
	// Noise is PROBLEM.SELF_SUPERVISED.NOISE in [0, 1], used as given (0: no noise;
	// config supplies BiaPy's 0.2).
	Noise float64
}

// DataOptions say where the images are and how they become patches (DATA.*).
type DataOptions struct {
	// TrainDir holds the training images (DATA.TRAIN.PATH). TrainSourceDir is where the
	// crappified inputs are cached (DATA.TRAIN.SSL_SOURCE_DIR; "" means TrainDir +
	// "_ssl_source").
	TrainDir, TrainSourceDir string
	// ValDir, if set, is a separate validation folder (DATA.VAL.PATH with
	// FROM_TRAIN False), cached in ValSourceDir ("" means ValDir + "_ssl_source").
	ValDir, ValSourceDir string
	// ValSplit is the fraction of the training images used for validation when ValDir
	// is empty (DATA.VAL.SPLIT_TRAIN); 0 means no validation data. ValRandom draws the
	// split with Train.Seed (DATA.VAL.RANDOM).
	ValSplit  float64
	ValRandom bool
	// TestDir holds the test images (DATA.TEST.PATH), crappified into TestSourceDir
	// ("" means TestDir + "_ssl_source").
	TestDir, TestSourceDir string
	// TestGTDir (masking only) holds reference images for the test metrics
	// (DATA.TEST.GT_PATH with LOAD_GT); "" means the test images themselves.
	TestGTDir string
	// Patch is DATA.PATCH_SIZE: (y, x, c) or (z, y, x, c). Required.
	Patch []int
	// Normalization is DATA.NORMALIZATION.*; a zero Type means zero_mean_unit_variance
	// (SPEC Part A item 2).
	Normalization data.Normalization
	// ReflectToCompleteShape reflect-pads images smaller than the patch
	// (DATA.REFLECT_TO_COMPLETE_SHAPE).
	ReflectToCompleteShape bool
	// ExtractRandomPatch cuts one random patch per image and epoch instead of tiling
	// the training images (DATA.EXTRACT_RANDOM_PATCH).
	ExtractRandomPatch bool
	// TrainOverlap and TrainPadding tile the training images (DATA.TRAIN.OVERLAP /
	// PADDING, (y, x) or (z, y, x)); ValOverlap and ValPadding the validation images
	// (DATA.VAL.*). nil means zeros.
	TrainOverlap []float64
	TrainPadding []int
	ValOverlap   []float64
	ValPadding   []int
}

// TrainOptions configure the training loop (TRAIN.*, SYSTEM.*, LOG.*).
type TrainOptions struct {
	// Enable runs the training (TRAIN.ENABLE).
	Enable bool
	// Epochs is TRAIN.EPOCHS (required when Enable).
	Epochs int
	// BatchSize is TRAIN.BATCH_SIZE, also the inference batch size; 0 means 2.
	BatchSize int
	// Optimizer is TRAIN.OPTIMIZER, LR, W_DECAY, OPT_BETAS.
	Optimizer train.OptimizerOptions
	// Scheduler is TRAIN.LR_SCHEDULER.NAME ("" none, "warmupcosine",
	// "reduceonplateau", "onecycle") and SchedulerOptions its settings; LR, Epochs,
	// Steps and AccumIter are filled in by Run.
	Scheduler        string
	SchedulerOptions train.SchedulerOptions
	// Patience is TRAIN.PATIENCE (≤ 0: no early stopping).
	Patience int
	// AccumIter is TRAIN.ACCUM_ITER (≤ 1: none).
	AccumIter int
	// Seed is SYSTEM.SEED: every random draw derives from it (SPEC Part A item 9).
	Seed uint64
	// Threads sets the CPU kernels' goroutines for the run (SYSTEM.NUM_CPUS; 0 keeps
	// the current setting).
	Threads int
	// NoShuffle keeps the training order fixed (AUGMENTOR.SHUFFLE_TRAIN_DATA_EACH_EPOCH
	// False).
	NoShuffle bool
	// ChartFreq is LOG.CHART_CREATION_FREQ in epochs; 0 means 5.
	ChartFreq int
}

// TestOptions configure the test phase (TEST.*, DATA.TEST.*).
type TestOptions struct {
	// Enable runs the test phase (TEST.ENABLE).
	Enable bool
	// Overlap and Padding tile the test images (DATA.TEST.OVERLAP / PADDING, (y, x) or
	// (z, y, x)); nil means zeros.
	Overlap []float64
	Padding []int
	// MedianPadding pads 3-D test images with boundary medians
	// (DATA.TEST.MEDIAN_PADDING).
	MedianPadding bool
}

// PathOptions place the outputs (BiaPy's -result_dir, -name, -run_id).
type PathOptions struct {
	// ResultDir is -result_dir; the job directory is ResultDir/Name.
	ResultDir string
	// Name is -name (required); RunID is -run_id. The job id is "<Name>_<RunID>".
	Name  string
	RunID int
	// ConfigName and ConfigText, when set, are copied to config_files/<ConfigName>.
	ConfigName string
	ConfigText string
}

// Layout is the output tree of a job (SPEC §8 with Part A's changes).
type Layout struct {
	JobDir      string // <result_dir>/<name>
	JobID       string // <name>_<run_id>
	ConfigDir   string // JobDir/config_files
	Checkpoints string // JobDir/checkpoints
	TrainLogs   string // JobDir/train_logs
	Results     string // JobDir/results/<job id>
	Aug         string // Results/aug
	Charts      string // Results/charts
	MAEChecks   string // Results/MAE_checks
	PerImage    string // Results/per_image
	TensorBoard string // Results/tensorboard
	Report      string // Results/report.json
}

// NewLayout returns the output tree of the job described by p (nothing is created).
func NewLayout(p PathOptions) Layout {
	id := p.Name + "_" + strconv.Itoa(p.RunID)
	job := filepath.Join(p.ResultDir, p.Name)
	res := filepath.Join(job, "results", id)
	return Layout{
		JobDir: job, JobID: id,
		ConfigDir:   filepath.Join(job, "config_files"),
		Checkpoints: filepath.Join(job, "checkpoints"),
		TrainLogs:   filepath.Join(job, "train_logs"),
		Results:     res,
		Aug:         filepath.Join(res, "aug"),
		Charts:      filepath.Join(res, "charts"),
		MAEChecks:   filepath.Join(res, "MAE_checks"),
		PerImage:    filepath.Join(res, "per_image"),
		TensorBoard: filepath.Join(res, "tensorboard"),
		Report:      filepath.Join(res, "report.json"),
	}
}

// Dirs returns the folders of l a run creates: the job and result folders, the
// configuration folder with config, the checkpoint, train-log, chart and TensorBoard
// folders with train (and the augmentation-sample folder with aug too), and the
// per-image folder with test.
func (l Layout) Dirs(config, train, aug, test bool) []string {
	dirs := []string{l.JobDir, l.Results}
	if config {
		dirs = append(dirs, l.ConfigDir)
	}
	if train {
		dirs = append(dirs, l.Checkpoints, l.TrainLogs, l.Charts, l.TensorBoard)
		if aug {
			dirs = append(dirs, l.Aug)
		}
	}
	if test {
		dirs = append(dirs, l.PerImage)
	}
	return dirs
}

// withDefaults returns o with zero values replaced by defaults and checks it.
func (o Options) withDefaults() (Options, error) {
	if o.Model == nil && o.NewModel == nil {
		return o, errors.New("pretrain: Options need a Model or NewModel")
	}
	if o.Paths.Name == "" {
		return o, errors.New("pretrain: Options.Paths.Name (-name) is required")
	}
	if o.Device == nil {
		o.Device = tensor.CPU{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Crappify.Factor == 0 {
		o.Crappify.Factor = 4
	}
	if f := o.Crappify.Factor; f != 2 && f != 4 && f != 6 {
		return o, fmt.Errorf("pretrain: crappify resizing factor %v must be 2, 4 or 6 (PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR)", f)
	}
	if n := o.Crappify.Noise; !(n >= 0 && n <= 1) {
		return o, fmt.Errorf("pretrain: crappify noise %v must be in [0, 1] (PROBLEM.SELF_SUPERVISED.NOISE)", n)
	}
	switch o.Loss {
	case "", "MAE", "mae", "L1":
		o.Loss = "MAE"
	case "MSE", "mse":
		o.Loss = "MSE"
	default:
		return o, fmt.Errorf("pretrain: loss %q: want MAE or MSE (LOSS.TYPE)", o.Loss)
	}
	d := &o.Data
	if err := workflows.CheckData("pretrain", d.Patch, &d.Normalization,
		workflows.Tiling{Key: "DATA.TRAIN", Overlap: &d.TrainOverlap, Padding: &d.TrainPadding},
		workflows.Tiling{Key: "DATA.VAL", Overlap: &d.ValOverlap, Padding: &d.ValPadding},
		workflows.Tiling{Key: "DATA.TEST", Overlap: &o.Test.Overlap, Padding: &o.Test.Padding}); err != nil {
		return o, err
	}
	d.TrainSourceDir = sourceDir(d.TrainDir, d.TrainSourceDir)
	d.ValSourceDir = sourceDir(d.ValDir, d.ValSourceDir)
	d.TestSourceDir = sourceDir(d.TestDir, d.TestSourceDir)
	t := &o.Train
	if err := workflows.CheckTrain("pretrain", &t.BatchSize, &t.ChartFreq, t.Enable, t.Epochs); err != nil {
		return o, err
	}
	if t.Enable {
		if d.TrainDir == "" {
			return o, errors.New("pretrain: training needs a training folder (DATA.TRAIN.PATH)")
		}
		if err := workflows.CheckValSplit("pretrain", d.ValDir, d.ValSplit); err != nil {
			return o, err
		}
		if err := o.Augment.Validate(); err != nil {
			return o, fmt.Errorf("pretrain: AUGMENTOR: %w", err)
		}
	}
	if o.Test.Enable && d.TestDir == "" {
		return o, errors.New("pretrain: the test phase needs a test folder (DATA.TEST.PATH)")
	}
	if o.MAEChecks == 0 {
		o.MAEChecks = 3
	}
	return o, nil
}

// sourceDir returns the crappify cache of dir: dflt when set, else dir + "_ssl_source"
// (BiaPy's DATA.*.SSL_SOURCE_DIR), "" without dir.
func sourceDir(dir, dflt string) string {
	if dflt != "" || dir == "" {
		return dflt
	}
	return filepath.Clean(dir) + "_ssl_source"
}
