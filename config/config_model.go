package config

// Model holds the MODEL.* keys.
type Model struct {
	// Source is MODEL.SOURCE: "biapy" (default); "bmz" and "torchvision" are not
	// supported.
	Source string `key:"SOURCE"`
	// Architecture is MODEL.ARCHITECTURE (default "unet"): unet, resunet, resunet++,
	// attention_unet, seunet, resunet_se, multiresunet, unetr, edsr, rcan, dfcan,
	// wdsr or mae (unext_v1, unext_v2 and vit are BiaPy's but not selfsup's).
	Architecture string `key:"ARCHITECTURE"`
	// FeatureMaps is MODEL.FEATURE_MAPS (default [16, 32, 64, 128, 256]): at least 3.
	FeatureMaps []int `key:"FEATURE_MAPS"`
	// DropoutValues is MODEL.DROPOUT_VALUES (default [0, 0, 0, 0, 0]): one per level;
	// all zero means no dropout; exactly one value for unetr.
	DropoutValues []float64 `key:"DROPOUT_VALUES"`
	// Normalization is MODEL.NORMALIZATION (default "bn"): bn, sync_bn, in, gn, none.
	Normalization string `key:"NORMALIZATION"`
	// KernelSize is MODEL.KERNEL_SIZE (default 3).
	KernelSize int `key:"KERNEL_SIZE"`
	// UpsampleLayer is MODEL.UPSAMPLE_LAYER (default "convtranspose") or "upsampling".
	UpsampleLayer string `key:"UPSAMPLE_LAYER"`
	// Activation is MODEL.ACTIVATION (default "ELU").
	Activation string `key:"ACTIVATION"`
	// LastActivation is MODEL.LAST_ACTIVATION (default "sigmoid"); ignored: the
	// self-supervised head is linear.
	LastActivation string `key:"LAST_ACTIVATION"`
	// ZDown is MODEL.Z_DOWN (default [0, 0, 0, 0]): z pooling per level, 1 or 2; all
	// zero means 2 at every level.
	ZDown []int `key:"Z_DOWN"`
	// Isotropy is MODEL.ISOTROPY (default [True]*5): resunet, seunet, resunet_se.
	Isotropy []bool `key:"ISOTROPY"`
	// LargerIO is MODEL.LARGER_IO (default False): resunet, seunet, resunet_se.
	LargerIO bool `key:"LARGER_IO"`
	// LoadCheckpoint is MODEL.LOAD_CHECKPOINT (default False).
	LoadCheckpoint bool `key:"LOAD_CHECKPOINT"`
	// LoadCheckpointOnlyWeights is MODEL.LOAD_CHECKPOINT_ONLY_WEIGHTS (default True).
	LoadCheckpointOnlyWeights bool `key:"LOAD_CHECKPOINT_ONLY_WEIGHTS"`
	// LoadCheckpointEpoch is MODEL.LOAD_CHECKPOINT_EPOCH (default "best_on_val") or
	// "last_on_train".
	LoadCheckpointEpoch string `key:"LOAD_CHECKPOINT_EPOCH"`
	// LoadModelFromCheckpoint is MODEL.LOAD_MODEL_FROM_CHECKPOINT (default True).
	LoadModelFromCheckpoint bool `key:"LOAD_MODEL_FROM_CHECKPOINT"`
	// SkipUnmatchedLayers is MODEL.SKIP_UNMATCHED_LAYERS (default False, [newer]).
	SkipUnmatchedLayers bool `key:"SKIP_UNMATCHED_LAYERS"`
	// OutCheckpointFormat is MODEL.OUT_CHECKPOINT_FORMAT (default "pth", [newer]) or
	// "safetensors"; selfsup always writes safetensors (SPEC Part A item 7).
	OutCheckpointFormat string `key:"OUT_CHECKPOINT_FORMAT"`
	// SaveCkptFreq is MODEL.SAVE_CKPT_FREQ (default -1: no periodic checkpoints).
	SaveCkptFreq int `key:"SAVE_CKPT_FREQ"`
	// ConvNeXtLayers is MODEL.CONVNEXT_LAYERS (default [2, 2, 2, 2, 2]); unext only.
	ConvNeXtLayers []int `key:"CONVNEXT_LAYERS"`
	// ConvNeXtSDProb is MODEL.CONVNEXT_SD_PROB (default 0.1); unext only.
	ConvNeXtSDProb float64 `key:"CONVNEXT_SD_PROB"`
	// ConvNeXtLayerScale is MODEL.CONVNEXT_LAYER_SCALE (default 1e-6); unext only.
	ConvNeXtLayerScale float64 `key:"CONVNEXT_LAYER_SCALE"`
	// ConvNeXtStemKSize is MODEL.CONVNEXT_STEM_K_SIZE (default 2); unext only.
	ConvNeXtStemKSize int `key:"CONVNEXT_STEM_K_SIZE"`
	// ViTModel is MODEL.VIT_MODEL (default "custom"); vit only.
	ViTModel string `key:"VIT_MODEL"`
	// ViTTokenSize is MODEL.VIT_TOKEN_SIZE (default 16): mae/unetr token side.
	ViTTokenSize int `key:"VIT_TOKEN_SIZE"`
	// ViTEmbedDim is MODEL.VIT_EMBED_DIM (default 768), divisible by VIT_NUM_HEADS.
	ViTEmbedDim int `key:"VIT_EMBED_DIM"`
	// ViTNumLayers is MODEL.VIT_NUM_LAYERS (default 12).
	ViTNumLayers int `key:"VIT_NUM_LAYERS"`
	// ViTNumHeads is MODEL.VIT_NUM_HEADS (default 12).
	ViTNumHeads int `key:"VIT_NUM_HEADS"`
	// ViTMLPRatio is MODEL.VIT_MLP_RATIO (default 4.0).
	ViTMLPRatio float64 `key:"VIT_MLP_RATIO"`
	// ViTNormEps is MODEL.VIT_NORM_EPS (default 1e-6).
	ViTNormEps float64 `key:"VIT_NORM_EPS"`
	// MAEDecHiddenSize is MODEL.MAE_DEC_HIDDEN_SIZE (default 512; honoured, SPEC
	// Part A item 3).
	MAEDecHiddenSize int `key:"MAE_DEC_HIDDEN_SIZE"`
	// MAEDecNumLayers is MODEL.MAE_DEC_NUM_LAYERS (default 8).
	MAEDecNumLayers int `key:"MAE_DEC_NUM_LAYERS"`
	// MAEDecNumHeads is MODEL.MAE_DEC_NUM_HEADS (default 16).
	MAEDecNumHeads int `key:"MAE_DEC_NUM_HEADS"`
	// MAEDecMLPDims is MODEL.MAE_DEC_MLP_DIMS (default 2048).
	MAEDecMLPDims int `key:"MAE_DEC_MLP_DIMS"`
	// MAEMaskType is MODEL.MAE_MASK_TYPE (default "grid") or "random".
	MAEMaskType string `key:"MAE_MASK_TYPE"`
	// MAEMaskRatio is MODEL.MAE_MASK_RATIO (default 0.5): random masking only.
	MAEMaskRatio float64 `key:"MAE_MASK_RATIO"`
	// UNETRViTHiddMult is MODEL.UNETR_VIT_HIDD_MULT (default 3).
	UNETRViTHiddMult int `key:"UNETR_VIT_HIDD_MULT"`
	// UNETRViTNumFilters is MODEL.UNETR_VIT_NUM_FILTERS (default 16).
	UNETRViTNumFilters int `key:"UNETR_VIT_NUM_FILTERS"`
	// UNETRDecActivation is MODEL.UNETR_DEC_ACTIVATION (default "relu").
	UNETRDecActivation string `key:"UNETR_DEC_ACTIVATION"`
	// UNETRDecKernelSize is MODEL.UNETR_DEC_KERNEL_SIZE (default 3).
	UNETRDecKernelSize int `key:"UNETR_DEC_KERNEL_SIZE"`
	// RCANRGBlockNum is MODEL.RCAN_RG_BLOCK_NUM (default 10).
	RCANRGBlockNum int `key:"RCAN_RG_BLOCK_NUM"`
	// RCANRCABBlockNum is MODEL.RCAN_RCAB_BLOCK_NUM (default 20).
	RCANRCABBlockNum int `key:"RCAN_RCAB_BLOCK_NUM"`
	// RCANConvFilters is MODEL.RCAN_CONV_FILTERS (default 16).
	RCANConvFilters int `key:"RCAN_CONV_FILTERS"`
	// RCANReductionRatio is MODEL.RCAN_REDUCTION_RATIO (default 16).
	RCANReductionRatio int `key:"RCAN_REDUCTION_RATIO"`
	// RCANUpscalingLayer is MODEL.RCAN_UPSCALING_LAYER (default True).
	RCANUpscalingLayer bool `key:"RCAN_UPSCALING_LAYER"`
	// UNetSRUpsamplePosition is MODEL.UNET_SR_UPSAMPLE_POSITION (default "pre");
	// super-resolution only.
	UNetSRUpsamplePosition string `key:"UNET_SR_UPSAMPLE_POSITION"`
}

// Loss holds the LOSS.* keys.
type Loss struct {
	// Type is LOSS.TYPE (default "", meaning "MAE", the L1 loss, for
	// self-supervision): MAE or MSE (BiaPy's SSIM, W_MAE_SSIM and W_MSE_SSIM are not
	// supported). Ignored by mae, which uses its masked-patch MSE.
	Type string `key:"TYPE"`
	// Weights is LOSS.WEIGHTS (default [0.66, 0.34]): the two terms of the W_* losses.
	Weights []float64 `key:"WEIGHTS"`
}

// Train holds the TRAIN.* keys.
type Train struct {
	// Enable is TRAIN.ENABLE (default False).
	Enable bool `key:"ENABLE"`
	// Optimizer is TRAIN.OPTIMIZER (default "SGD"): SGD, ADAM or ADAMW.
	Optimizer string `key:"OPTIMIZER"`
	// LR is TRAIN.LR (default 1e-4).
	LR float64 `key:"LR"`
	// WDecay is TRAIN.W_DECAY (default 0.02).
	WDecay float64 `key:"W_DECAY"`
	// OptBetas is TRAIN.OPT_BETAS (default (0.9, 0.999)): ADAM and ADAMW.
	OptBetas []float64 `key:"OPT_BETAS,tuple"`
	// BatchSize is TRAIN.BATCH_SIZE (default 2), also the inference batch size.
	BatchSize int `key:"BATCH_SIZE"`
	// AccumIter is TRAIN.ACCUM_ITER (default 1): gradient accumulation steps.
	AccumIter int `key:"ACCUM_ITER"`
	// Epochs is TRAIN.EPOCHS (default 360).
	Epochs int `key:"EPOCHS"`
	// Patience is TRAIN.PATIENCE (default -1: no early stopping).
	Patience int `key:"PATIENCE"`
	// LRScheduler holds TRAIN.LR_SCHEDULER.*.
	LRScheduler LRScheduler `key:"LR_SCHEDULER"`
	// Metrics is TRAIN.METRICS (default [], meaning psnr, mae, mse, ssim).
	Metrics []string `key:"METRICS"`
	// CheckpointMonitor is TRAIN.CHECKPOINT_MONITOR (default "val_loss"; unused).
	CheckpointMonitor string `key:"CHECKPOINT_MONITOR"`
	// Verbose is TRAIN.VERBOSE (default False).
	Verbose bool `key:"VERBOSE"`
}

// LRScheduler holds the TRAIN.LR_SCHEDULER.* keys.
type LRScheduler struct {
	// Name is TRAIN.LR_SCHEDULER.NAME (default "": constant LR): warmupcosine,
	// reduceonplateau or onecycle.
	Name string `key:"NAME"`
	// MinLR is TRAIN.LR_SCHEDULER.MIN_LR (default -1); required by warmupcosine and
	// reduceonplateau.
	MinLR float64 `key:"MIN_LR"`
	// ReduceOnPlateauFactor is TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_FACTOR (default 0.5).
	ReduceOnPlateauFactor float64 `key:"REDUCEONPLATEAU_FACTOR"`
	// ReduceOnPlateauPatience is TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_PATIENCE
	// (default -1); required by reduceonplateau, below TRAIN.PATIENCE when that is set.
	ReduceOnPlateauPatience int `key:"REDUCEONPLATEAU_PATIENCE"`
	// WarmupCosineDecayEpochs is TRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS
	// (default -1); required by warmupcosine, at most TRAIN.EPOCHS.
	WarmupCosineDecayEpochs int `key:"WARMUP_COSINE_DECAY_EPOCHS"`
}

// Test holds the TEST.* keys.
type Test struct {
	// Enable is TEST.ENABLE (default False).
	Enable bool `key:"ENABLE"`
	// ReduceMemory is TEST.REDUCE_MEMORY (default False).
	ReduceMemory bool `key:"REDUCE_MEMORY"`
	// Verbose is TEST.VERBOSE (default True).
	Verbose bool `key:"VERBOSE"`
	// Augmentation is TEST.AUGMENTATION (default False): test-time augmentation
	// (8-fold in 2-D, 16-fold in 3-D); ignored by masking.
	Augmentation bool `key:"AUGMENTATION"`
	// AugmentationMode is TEST.AUGMENTATION_MODE (default "mean"): mean, min or max.
	AugmentationMode string `key:"AUGMENTATION_MODE"`
	// FullImg is TEST.FULL_IMG (default False); self-supervision always tiles.
	FullImg bool `key:"FULL_IMG"`
	// Metrics is TEST.METRICS (default [], meaning psnr, mae, mse, ssim).
	Metrics []string `key:"METRICS"`
}

// Paths holds the PATHS.* keys. Empty values are derived by [Config.SetJob] from
// job_dir = <result_dir>/<name> and R = job_dir/results/<name>_<run_id>.
type Paths struct {
	// ResultDir holds PATHS.RESULT_DIR.*.
	ResultDir ResultDir `key:"RESULT_DIR"`
	// Charts is PATHS.CHARTS (default R/charts).
	Charts string `key:"CHARTS"`
	// DASamples is PATHS.DA_SAMPLES (default R/aug).
	DASamples string `key:"DA_SAMPLES"`
	// GenChecks is PATHS.GEN_CHECKS (default R/gen_check).
	GenChecks string `key:"GEN_CHECKS"`
	// GenMaskChecks is PATHS.GEN_MASK_CHECKS (default R/gen_mask_check).
	GenMaskChecks string `key:"GEN_MASK_CHECKS"`
	// MAEOutDir is PATHS.MAE_OUT_DIR (default R/MAE_checks).
	MAEOutDir string `key:"MAE_OUT_DIR"`
	// BMZExportPath is PATHS.BMZ_EXPORT_PATH (default R/BMZ_files).
	BMZExportPath string `key:"BMZ_EXPORT_PATH"`
	// Profiler is PATHS.PROFILER (default R/profiler).
	Profiler string `key:"PROFILER"`
	// FilSamplesDir is PATHS.FIL_SAMPLES_DIR (default R/filtering_information).
	FilSamplesDir string `key:"FIL_SAMPLES_DIR"`
	// Checkpoint is PATHS.CHECKPOINT (default job_dir/checkpoints).
	Checkpoint string `key:"CHECKPOINT"`
	// CheckpointFile is PATHS.CHECKPOINT_FILE (default ""): the checkpoint to load.
	CheckpointFile string `key:"CHECKPOINT_FILE"`
	// ProbMapDir is PATHS.PROB_MAP_DIR (default job_dir/prob_map).
	ProbMapDir string `key:"PROB_MAP_DIR"`
}

// ResultDir holds the PATHS.RESULT_DIR.* keys.
type ResultDir struct {
	// Path is PATHS.RESULT_DIR.PATH (default R).
	Path string `key:"PATH"`
	// PerImage is PATHS.RESULT_DIR.PER_IMAGE (default R/per_image).
	PerImage string `key:"PER_IMAGE"`
	// FullImage is PATHS.RESULT_DIR.FULL_IMAGE (default R/full_image; unused).
	FullImage string `key:"FULL_IMAGE"`
}

// Log holds the LOG.* keys.
type Log struct {
	// LogDir is LOG.LOG_DIR (default job_dir/train_logs).
	LogDir string `key:"LOG_DIR"`
	// TensorboardLogDir is LOG.TENSORBOARD_LOG_DIR (default R/tensorboard).
	TensorboardLogDir string `key:"TENSORBOARD_LOG_DIR"`
	// LogFilePrefix is LOG.LOG_FILE_PREFIX (default <name>_<run_id>).
	LogFilePrefix string `key:"LOG_FILE_PREFIX"`
	// ChartCreationFreq is LOG.CHART_CREATION_FREQ (default 5 epochs).
	ChartCreationFreq int `key:"CHART_CREATION_FREQ"`
}

// System holds the SYSTEM.* keys.
type System struct {
	// NumCPUs is SYSTEM.NUM_CPUS (default -1: all).
	NumCPUs int `key:"NUM_CPUS"`
	// NumWorkers is SYSTEM.NUM_WORKERS (default -1: automatic).
	NumWorkers int `key:"NUM_WORKERS"`
	// Seed is SYSTEM.SEED (default 0).
	Seed int `key:"SEED"`
	// PinMem is SYSTEM.PIN_MEM (default True); no effect.
	PinMem bool `key:"PIN_MEM"`
	// Device is SYSTEM.DEVICE (default "cpu").
	Device string `key:"DEVICE"`
}
