// Package segment is the semantic segmentation workflow (BiaPy's PROBLEM.TYPE
// SEMANTIC_SEG), binary and multi-class, usable from Go without YAML: labelled image
// folders, patches, augmentation with the mask read as labels, an optional pretrained
// checkpoint transferred with models.TransferFile (head re-initialised, loaded layers
// optionally frozen for some epochs), BCE / cross-entropy / Dice losses, IoU and Dice
// metrics, and a test phase writing thresholded label images and a report in the same
// output tree as package pretrain.
package segment

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train/pretrain"
)

// The training, test and path options and the output layout are the self-supervised
// workflow's (same keys, same tree).
type (
	// TrainOptions configure the training loop (TRAIN.*, SYSTEM.*, LOG.*).
	TrainOptions = pretrain.TrainOptions
	// TestOptions configure the test phase tiling (TEST.*, DATA.TEST.*).
	TestOptions = pretrain.TestOptions
	// PathOptions place the outputs (-result_dir, -name, -run_id).
	PathOptions = pretrain.PathOptions
	// Layout is the output tree of a job.
	Layout = pretrain.Layout
)

// NewLayout returns the output tree of the job described by p (nothing is created).
func NewLayout(p PathOptions) Layout { return pretrain.NewLayout(p) }

// The losses (LOSS.TYPE).
const (
	// LossCE is BCE with logits for binary problems and cross-entropy for
	// multi-class ones (BiaPy's "CE").
	LossCE = "CE"
	// LossDice is the soft Dice loss, smooth 1 (BiaPy's "DICE").
	LossDice = "DICE"
	// LossCEDice is Weights[0]·CE + Weights[1]·Dice (BiaPy's "W_CE_DICE").
	LossCEDice = "W_CE_DICE"
)

// Options configure [Run]: one BiaPy SEMANTIC_SEG job. Fields name the BiaPy keys they
// mirror; a zero value means BiaPy's default unless the field says otherwise.
type Options struct {
	// Model maps x: [N, C, (D,) H, W] to logits [N, K, (D,) H, W], K = 1 for a
	// binary problem and Classes otherwise (no final activation). When nil, NewModel
	// builds it with out = K from a generator seeded with Train.Seed.
	Model    nn.Module
	NewModel func(rng *tensor.RNG, out int) (nn.Module, error) // builds the model when Model is nil; out is K
	// Device runs the model (nil: tensor.CPU{}).
	Device tensor.Device

	// Classes is MODEL.N_CLASSES: ≤ 2 is a binary problem (one output channel,
	// sigmoid), more is multi-class (softmax over Classes channels). 0 means 2.
	Classes int
	// Loss is LOSS.TYPE: LossCE ("" too), LossDice or LossCEDice; LossWeights are
	// LOSS.WEIGHTS for LossCEDice (zero: 0.5, 0.5, BiaPy's DiceBCELoss).
	Loss        string
	LossWeights [2]float64 // CE and Dice weights (LOSS.WEIGHTS)
	// Threshold binarises the binary probabilities in the test phase and the
	// metrics (TEST.THRESHOLD... 0 means 0.5).
	Threshold float64

	// Pretrained, when Checkpoint is set, loads weights into the model before
	// training (MODEL.LOAD_CHECKPOINT with PATHS.CHECKPOINT_FILE).
	Pretrained PretrainedOptions

	Data    DataOptions         // images, labels and patches (DATA.*)
	Augment data.AugmentOptions // AUGMENTOR.*; the label is always read as a mask
	Train   TrainOptions        // training loop (TRAIN.*, SYSTEM.*, LOG.*)
	Test    TestOptions         // test-phase tiling (TEST.*, DATA.TEST.*)
	Paths   PathOptions         // output tree (-result_dir, -name, -run_id)

	// Checkpoint, for a run without training, names the weights the test phase uses
	// (PATHS.CHECKPOINT_FILE); "" means this job's best checkpoint.
	Checkpoint string

	// Out receives the progress display and the result lines (nil: none).
	Out io.Writer
	// Log receives messages (nil: slog.Default()).
	Log *slog.Logger
}

// PretrainedOptions load a checkpoint (ours in safetensors, or a BiaPy/PyTorch .pth)
// into the model with [models.TransferFile].
type PretrainedOptions struct {
	// Checkpoint is the file (PATHS.CHECKPOINT_FILE); "" loads nothing.
	Checkpoint string
	// Transfer says how: the zero value loads every matching entry except the output
	// head (re-initialised, BiaPy issue #165). SkipUnmatched is
	// MODEL.SKIP_UNMATCHED_LAYERS. Freeze is set by Run when FreezeEpochs > 0.
	Transfer models.TransferOptions
	// FreezeEpochs keeps the loaded layers frozen for the first FreezeEpochs epochs
	// (only the other layers, the head at least, train); they are unfrozen at the
	// start of epoch FreezeEpochs+1. 0: nothing is frozen.
	FreezeEpochs int
}

// DataOptions say where the images and labels are and how they become patches.
type DataOptions struct {
	// TrainDir and TrainLabelDir hold the training images and their labels, matched
	// by file name stem (DATA.TRAIN.PATH, DATA.TRAIN.GT_PATH).
	TrainDir, TrainLabelDir string
	// ValDir and ValLabelDir, if set, are a separate validation set (DATA.VAL.PATH,
	// DATA.VAL.GT_PATH with FROM_TRAIN False); otherwise ValSplit of the training
	// images are held out (DATA.VAL.SPLIT_TRAIN; 0: no validation), drawn at random
	// with Train.Seed when ValRandom (DATA.VAL.RANDOM).
	ValDir, ValLabelDir string
	ValSplit            float64 // fraction held out, in (0, 1); 0: no validation (DATA.VAL.SPLIT_TRAIN)
	ValRandom           bool    // draw the held-out images at random (DATA.VAL.RANDOM)
	// TestDir and TestLabelDir hold the test images (DATA.TEST.PATH) and, optionally,
	// their labels for the test metrics (DATA.TEST.GT_PATH with LOAD_GT).
	TestDir, TestLabelDir string
	// Patch is DATA.PATCH_SIZE: (y, x, c) or (z, y, x, c). Required.
	Patch []int
	// Normalization is DATA.NORMALIZATION.* for the images (the labels are never
	// normalised); a zero Type means zero_mean_unit_variance.
	Normalization data.Normalization
	// ReflectToCompleteShape, ExtractRandomPatch, TrainOverlap/Padding and
	// ValOverlap/Padding are as in package pretrain.
	ReflectToCompleteShape bool
	ExtractRandomPatch     bool      // one random patch per image and epoch instead of tiling (DATA.EXTRACT_RANDOM_PATCH)
	TrainOverlap           []float64 // tile overlap fractions in [0, 1), (y, x) or (z, y, x); nil: zeros (DATA.TRAIN.OVERLAP)
	TrainPadding           []int     // tile padding in pixels; nil: zeros (DATA.TRAIN.PADDING)
	ValOverlap             []float64 // as TrainOverlap, for validation (DATA.VAL.OVERLAP)
	ValPadding             []int     // as TrainPadding, for validation (DATA.VAL.PADDING)
	// InvertBinary makes the zero-valued pixels the foreground of a binary problem
	// (not a BiaPy key: ISBI 2012 labels membranes 0 and cells 255). Without it a
	// binary label is foreground where it is > 0.
	InvertBinary bool
}

// binary reports whether the problem has one output channel.
func (o *Options) binary() bool { return o.Classes <= 2 }

// outChannels returns the model's output channels.
func (o *Options) outChannels() int {
	if o.binary() {
		return 1
	}
	return o.Classes
}

// withDefaults returns o with zero values replaced by defaults and checks it.
func (o Options) withDefaults() (Options, error) {
	if o.Model == nil && o.NewModel == nil {
		return o, errors.New("segment: Options need a Model or NewModel")
	}
	if o.Paths.Name == "" {
		return o, errors.New("segment: Options.Paths.Name (-name) is required")
	}
	if o.Device == nil {
		o.Device = tensor.CPU{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Classes == 0 {
		o.Classes = 2
	}
	if o.Classes < 0 {
		return o, fmt.Errorf("segment: %d classes (MODEL.N_CLASSES)", o.Classes)
	}
	switch o.Loss {
	case "", LossCE:
		o.Loss = LossCE
	case LossDice, LossCEDice:
	default:
		return o, fmt.Errorf("segment: loss %q: want CE, DICE or W_CE_DICE (LOSS.TYPE)", o.Loss)
	}
	if o.LossWeights == [2]float64{} {
		o.LossWeights = [2]float64{0.5, 0.5}
	}
	if o.Threshold == 0 {
		o.Threshold = 0.5
	}
	if !(o.Threshold > 0 && o.Threshold < 1) {
		return o, fmt.Errorf("segment: threshold %v must be in (0, 1)", o.Threshold)
	}
	if o.Pretrained.FreezeEpochs < 0 {
		return o, fmt.Errorf("segment: freeze epochs %d must be ≥ 0", o.Pretrained.FreezeEpochs)
	}
	o.Pretrained.Transfer.Freeze = o.Pretrained.FreezeEpochs > 0
	d := &o.Data
	if err := workflows.CheckData("segment", d.Patch, &d.Normalization,
		workflows.Tiling{Key: "DATA.TRAIN", Overlap: &d.TrainOverlap, Padding: &d.TrainPadding},
		workflows.Tiling{Key: "DATA.VAL", Overlap: &d.ValOverlap, Padding: &d.ValPadding},
		workflows.Tiling{Key: "DATA.TEST", Overlap: &o.Test.Overlap, Padding: &o.Test.Padding}); err != nil {
		return o, err
	}
	d.Patch = slices.Clone(d.Patch)
	t := &o.Train
	if err := workflows.CheckTrain("segment", &t.BatchSize, &t.ChartFreq, t.Enable, t.Epochs); err != nil {
		return o, err
	}
	if t.Enable {
		if d.TrainDir == "" || d.TrainLabelDir == "" {
			return o, errors.New("segment: training needs an image and a label folder (DATA.TRAIN.PATH, DATA.TRAIN.GT_PATH)")
		}
		if d.ValDir != "" && d.ValLabelDir == "" {
			return o, errors.New("segment: a validation folder needs its labels (DATA.VAL.GT_PATH)")
		}
		if err := workflows.CheckValSplit("segment", d.ValDir, d.ValSplit); err != nil {
			return o, err
		}
		if err := o.Augment.Validate(); err != nil {
			return o, fmt.Errorf("segment: AUGMENTOR: %w", err)
		}
	}
	if o.Test.Enable && d.TestDir == "" {
		return o, errors.New("segment: the test phase needs a test folder (DATA.TEST.PATH)")
	}
	return o, nil
}
