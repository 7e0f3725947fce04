package config

// Config is a BiaPy self-supervised configuration: every key of SPEC Part B §1 that
// selfsup implements, grouped as BiaPy groups them. Each field's `key` tag is its BiaPy
// key segment; its doc comment names the full key and BiaPy's default ([Defaults]).
// Paths left empty are derived from the job ([Config.SetJob]).
type Config struct {
	Problem   Problem   `key:"PROBLEM"`   // PROBLEM.*: workflow type, dimensions, pretext task
	Data      Data      `key:"DATA"`      // DATA.*: patch size, normalisation, train/validation/test images
	Model     Model     `key:"MODEL"`     // MODEL.*: architecture and its options
	Loss      Loss      `key:"LOSS"`      // LOSS.*: loss type and weights
	Train     Train     `key:"TRAIN"`     // TRAIN.*: epochs, optimiser, learning-rate schedule, patience
	Augmentor Augmentor `key:"AUGMENTOR"` // AUGMENTOR.*: data augmentation
	Test      Test      `key:"TEST"`      // TEST.*: test phase
	Paths     Paths     `key:"PATHS"`     // PATHS.*: output folders and checkpoint file
	Log       Log       `key:"LOG"`       // LOG.*: log folders and chart frequency
	System    System    `key:"SYSTEM"`    // SYSTEM.*: CPUs, workers, seed, device

	// file and lines record where each key was set (for error messages); warnings
	// collects notes about keys that were accepted but have no effect.
	file     string
	lines    map[string]int
	warnings []string
}

// Problem holds the PROBLEM.* keys.
type Problem struct {
	// Type is PROBLEM.TYPE; BiaPy's default is "SEMANTIC_SEG", selfsup's
	// "SELF_SUPERVISED" (a YAML file must set it). selfsup runs two types:
	// SELF_SUPERVISED ([Config.PretrainOptions], package train/pretrain) and
	// SEMANTIC_SEG ([Config.SegmentOptions], package train/segment); examples/pretrain
	// dispatches on it.
	Type string `key:"TYPE"`
	// NDim is PROBLEM.NDIM: "2D" (default) or "3D".
	NDim string `key:"NDIM"`
	// SelfSupervised holds PROBLEM.SELF_SUPERVISED.*.
	SelfSupervised SelfSupervised `key:"SELF_SUPERVISED"`
	// SuperResolution holds PROBLEM.SUPER_RESOLUTION.*.
	SuperResolution SuperResolution `key:"SUPER_RESOLUTION"`
	// PrintOldKeyChanges is PROBLEM.PRINT_OLD_KEY_CHANGES (default True); no effect.
	PrintOldKeyChanges bool `key:"PRINT_OLD_KEY_CHANGES"`
}

// SelfSupervised holds the PROBLEM.SELF_SUPERVISED.* keys.
type SelfSupervised struct {
	// PretextTask is PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: "crappify" (default) or "masking".
	PretextTask string `key:"PRETEXT_TASK"`
	// ResizingFactor is PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR (default 4): crappify
	// divides each spatial axis by its square root; one of 2, 4, 6.
	ResizingFactor int `key:"RESIZING_FACTOR"`
	// Noise is PROBLEM.SELF_SUPERVISED.NOISE (default 0.2): crappify's Gaussian noise
	// σ as a fraction of the image maximum, in [0, 1].
	Noise float64 `key:"NOISE"`
}

// SuperResolution holds the PROBLEM.SUPER_RESOLUTION.* keys.
type SuperResolution struct {
	// Upscaling is PROBLEM.SUPER_RESOLUTION.UPSCALING (default ()); self-supervision
	// forces it to 1 per spatial axis.
	Upscaling []int `key:"UPSCALING,tuple"`
}

// Data holds the DATA.* keys.
type Data struct {
	// PatchSize is DATA.PATCH_SIZE (default (256, 256, 1)): (y, x, c) in 2-D,
	// (z, y, x, c) in 3-D.
	PatchSize []int `key:"PATCH_SIZE,tuple"`
	// ExtractRandomPatch is DATA.EXTRACT_RANDOM_PATCH (default False): one random
	// crop per image instead of tiling training images.
	ExtractRandomPatch bool `key:"EXTRACT_RANDOM_PATCH"`
	// ProbabilityMap is DATA.PROBABILITY_MAP (default False): semantic segmentation
	// only; accepted with no effect while EXTRACT_RANDOM_PATCH is False.
	ProbabilityMap bool `key:"PROBABILITY_MAP"`
	// ReflectToCompleteShape is DATA.REFLECT_TO_COMPLETE_SHAPE (default False):
	// reflect-pad images smaller than the patch.
	ReflectToCompleteShape bool `key:"REFLECT_TO_COMPLETE_SHAPE"`
	// NClasses is DATA.N_CLASSES (default 2; MODEL.N_CLASSES in v3.5); compared when
	// a checkpoint is loaded, no effect on self-supervision.
	NClasses int `key:"N_CLASSES"`
	// Normalization holds DATA.NORMALIZATION.*.
	Normalization Normalization `key:"NORMALIZATION"`
	// Train holds DATA.TRAIN.*.
	Train DataSplit `key:"TRAIN"`
	// Val holds DATA.VAL.*.
	Val DataVal `key:"VAL"`
	// Test holds DATA.TEST.*.
	Test DataTest `key:"TEST"`
}

// Normalization holds the DATA.NORMALIZATION.* keys.
type Normalization struct {
	// Type is DATA.NORMALIZATION.TYPE: "div", "scale_range" or
	// "zero_mean_unit_variance" (default, BiaPy [newer]; SPEC Part A item 2).
	Type string `key:"TYPE"`
	// MeasureBy is DATA.NORMALIZATION.MEASURE_BY: "image" (default) or "patch".
	MeasureBy string `key:"MEASURE_BY"`
	// PercClip holds DATA.NORMALIZATION.PERC_CLIP.*.
	PercClip PercClip `key:"PERC_CLIP"`
	// ZeroMeanUnitVar holds DATA.NORMALIZATION.ZERO_MEAN_UNIT_VAR.*.
	ZeroMeanUnitVar ZeroMeanUnitVar `key:"ZERO_MEAN_UNIT_VAR"`
}

// PercClip holds the DATA.NORMALIZATION.PERC_CLIP.* keys.
type PercClip struct {
	// Enable is DATA.NORMALIZATION.PERC_CLIP.ENABLE (default False).
	Enable bool `key:"ENABLE"`
	// LowerPerc is DATA.NORMALIZATION.PERC_CLIP.LOWER_PERC (default -1), in [0, 100].
	LowerPerc float64 `key:"LOWER_PERC"`
	// UpperPerc is DATA.NORMALIZATION.PERC_CLIP.UPPER_PERC (default -1), in [0, 100].
	UpperPerc float64 `key:"UPPER_PERC"`
	// LowerValue is DATA.NORMALIZATION.PERC_CLIP.LOWER_VALUE (default -1: measured).
	LowerValue float64 `key:"LOWER_VALUE"`
	// UpperValue is DATA.NORMALIZATION.PERC_CLIP.UPPER_VALUE (default -1: measured).
	UpperValue float64 `key:"UPPER_VALUE"`
}

// ZeroMeanUnitVar holds the DATA.NORMALIZATION.ZERO_MEAN_UNIT_VAR.* keys.
type ZeroMeanUnitVar struct {
	// MeanVal is DATA.NORMALIZATION.ZERO_MEAN_UNIT_VAR.MEAN_VAL (default -1: per image).
	MeanVal float64 `key:"MEAN_VAL"`
	// StdVal is DATA.NORMALIZATION.ZERO_MEAN_UNIT_VAR.STD_VAL (default -1: per image).
	StdVal float64 `key:"STD_VAL"`
}

// DataSplit holds the DATA.TRAIN.* keys.
type DataSplit struct {
	// Path is DATA.TRAIN.PATH (default "user_data/train/x"): the raw images.
	Path string `key:"PATH"`
	// GTPath is DATA.TRAIN.GT_PATH (default "user_data/train/y"); overwritten by the
	// self-supervised workflow.
	GTPath string `key:"GT_PATH"`
	// InMemory is DATA.TRAIN.IN_MEMORY (default True).
	InMemory bool `key:"IN_MEMORY"`
	// SSLSourceDir is DATA.TRAIN.SSL_SOURCE_DIR (default DATA.TRAIN.PATH +
	// "_ssl_source"): where crappified inputs are written.
	SSLSourceDir string `key:"SSL_SOURCE_DIR"`
	// Overlap is DATA.TRAIN.OVERLAP (default (0, 0)): tiling overlap fraction per axis.
	Overlap []float64 `key:"OVERLAP,tuple"`
	// Padding is DATA.TRAIN.PADDING (default (0, 0)): tiling padding in pixels per axis.
	Padding []int `key:"PADDING,tuple"`
	// Replicate is DATA.TRAIN.REPLICATE (default 0): repeat the training set.
	Replicate int `key:"REPLICATE"`
}

// DataVal holds the DATA.VAL.* keys.
type DataVal struct {
	// FromTrain is DATA.VAL.FROM_TRAIN (default True): validation split from train.
	FromTrain bool `key:"FROM_TRAIN"`
	// SplitTrain is DATA.VAL.SPLIT_TRAIN (default 0.1): fraction of train used as
	// validation, in (0, 1).
	SplitTrain float64 `key:"SPLIT_TRAIN"`
	// Random is DATA.VAL.RANDOM (default True): random split.
	Random bool `key:"RANDOM"`
	// CrossVal is DATA.VAL.CROSS_VAL (default False).
	CrossVal bool `key:"CROSS_VAL"`
	// CrossValNFold is DATA.VAL.CROSS_VAL_NFOLD (default 5).
	CrossValNFold int `key:"CROSS_VAL_NFOLD"`
	// CrossValFold is DATA.VAL.CROSS_VAL_FOLD (default 1), in [1, CROSS_VAL_NFOLD].
	CrossValFold int `key:"CROSS_VAL_FOLD"`
	// InMemory is DATA.VAL.IN_MEMORY (default True).
	InMemory bool `key:"IN_MEMORY"`
	// Path is DATA.VAL.PATH (default "user_data/val/x"), used when FROM_TRAIN is False.
	Path string `key:"PATH"`
	// GTPath is DATA.VAL.GT_PATH (default "user_data/val/y").
	GTPath string `key:"GT_PATH"`
	// SSLSourceDir is DATA.VAL.SSL_SOURCE_DIR (default DATA.VAL.PATH + "_ssl_source").
	SSLSourceDir string `key:"SSL_SOURCE_DIR"`
	// Overlap is DATA.VAL.OVERLAP (default (0, 0)).
	Overlap []float64 `key:"OVERLAP,tuple"`
	// Padding is DATA.VAL.PADDING (default (0, 0)).
	Padding []int `key:"PADDING,tuple"`
	// DistEval is DATA.VAL.DIST_EVAL (default True); no effect in one process.
	DistEval bool `key:"DIST_EVAL"`
}

// DataTest holds the DATA.TEST.* keys.
type DataTest struct {
	// Path is DATA.TEST.PATH (default "user_data/test/x").
	Path string `key:"PATH"`
	// GTPath is DATA.TEST.GT_PATH (default "user_data/test/y"); overwritten for crappify.
	GTPath string `key:"GT_PATH"`
	// InMemory is DATA.TEST.IN_MEMORY (default False).
	InMemory bool `key:"IN_MEMORY"`
	// LoadGT is DATA.TEST.LOAD_GT (default False).
	LoadGT bool `key:"LOAD_GT"`
	// UseValAsTest is DATA.TEST.USE_VAL_AS_TEST (default False); needs DATA.VAL.CROSS_VAL.
	UseValAsTest bool `key:"USE_VAL_AS_TEST"`
	// SSLSourceDir is DATA.TEST.SSL_SOURCE_DIR (default DATA.TEST.PATH + "_ssl_source").
	SSLSourceDir string `key:"SSL_SOURCE_DIR"`
	// Overlap is DATA.TEST.OVERLAP (default (0, 0)): minimum overlap fraction per
	// spatial axis, each in [0, 1).
	Overlap []float64 `key:"OVERLAP,tuple"`
	// Padding is DATA.TEST.PADDING (default (0, 0)): pixels per spatial axis, each
	// below half the patch size.
	Padding []int `key:"PADDING,tuple"`
	// MedianPadding is DATA.TEST.MEDIAN_PADDING (default False): 3-D crop only.
	MedianPadding bool `key:"MEDIAN_PADDING"`
}
