package config

// Augmentor holds the AUGMENTOR.* keys selfsup implements (see [data.AugmentOptions]).
// BiaPy's other augmentations (MOTION_BLUR, DROPOUT, CUTBLUR, CUTMIX, CUTNOISE,
// GRAYSCALE, CHANNEL_SHUFFLE, GRIDMASK, SALT, PEPPER) are accepted only at their
// defaults (off) and otherwise reported as not supported.
type Augmentor struct {
	// Enable is AUGMENTOR.ENABLE (default False).
	Enable bool `key:"ENABLE"`
	// DAProb is AUGMENTOR.DA_PROB (default 0.5), in [0, 1].
	DAProb float64 `key:"DA_PROB"`
	// AugSamples is AUGMENTOR.AUG_SAMPLES (default True): write augmented samples.
	AugSamples bool `key:"AUG_SAMPLES"`
	// DrawGrid is AUGMENTOR.DRAW_GRID (default True).
	DrawGrid bool `key:"DRAW_GRID"`
	// AugNumSamples is AUGMENTOR.AUG_NUM_SAMPLES (default 10).
	AugNumSamples int `key:"AUG_NUM_SAMPLES"`
	// ShuffleTrainDataEachEpoch is AUGMENTOR.SHUFFLE_TRAIN_DATA_EACH_EPOCH (default True).
	ShuffleTrainDataEachEpoch bool `key:"SHUFFLE_TRAIN_DATA_EACH_EPOCH"`
	// ShuffleValDataEachEpoch is AUGMENTOR.SHUFFLE_VAL_DATA_EACH_EPOCH (default False).
	ShuffleValDataEachEpoch bool `key:"SHUFFLE_VAL_DATA_EACH_EPOCH"`
	// Rot90 is AUGMENTOR.ROT90 (default False).
	Rot90 bool `key:"ROT90"`
	// RandomRot is AUGMENTOR.RANDOM_ROT (default False).
	RandomRot bool `key:"RANDOM_ROT"`
	// RandomRotRange is AUGMENTOR.RANDOM_ROT_RANGE (default (-180, 180)).
	RandomRotRange [2]float64 `key:"RANDOM_ROT_RANGE"`
	// Shear is AUGMENTOR.SHEAR (default False).
	Shear bool `key:"SHEAR"`
	// ShearRange is AUGMENTOR.SHEAR_RANGE (default (-20, 20)).
	ShearRange [2]float64 `key:"SHEAR_RANGE"`
	// Zoom is AUGMENTOR.ZOOM (default False).
	Zoom bool `key:"ZOOM"`
	// ZoomRange is AUGMENTOR.ZOOM_RANGE (default (0.8, 1.2)).
	ZoomRange [2]float64 `key:"ZOOM_RANGE"`
	// ZoomInZ is AUGMENTOR.ZOOM_IN_Z (default False).
	ZoomInZ bool `key:"ZOOM_IN_Z"`
	// Shift is AUGMENTOR.SHIFT (default False).
	Shift bool `key:"SHIFT"`
	// ShiftRange is AUGMENTOR.SHIFT_RANGE (default (0.1, 0.2)).
	ShiftRange [2]float64 `key:"SHIFT_RANGE"`
	// AffineMode is AUGMENTOR.AFFINE_MODE (default "reflect").
	AffineMode string `key:"AFFINE_MODE"`
	// VFlip is AUGMENTOR.VFLIP (default False).
	VFlip bool `key:"VFLIP"`
	// HFlip is AUGMENTOR.HFLIP (default False).
	HFlip bool `key:"HFLIP"`
	// ZFlip is AUGMENTOR.ZFLIP (default False).
	ZFlip bool `key:"ZFLIP"`
	// Elastic is AUGMENTOR.ELASTIC (default False).
	Elastic bool `key:"ELASTIC"`
	// EAlpha is AUGMENTOR.E_ALPHA (default (12, 16)).
	EAlpha [2]float64 `key:"E_ALPHA"`
	// ESigma is AUGMENTOR.E_SIGMA (default 4).
	ESigma float64 `key:"E_SIGMA"`
	// EMode is AUGMENTOR.E_MODE (default "constant").
	EMode string `key:"E_MODE"`
	// GBlur is AUGMENTOR.G_BLUR (default False).
	GBlur bool `key:"G_BLUR"`
	// GSigma is AUGMENTOR.G_SIGMA (default (1.0, 2.0)).
	GSigma [2]float64 `key:"G_SIGMA"`
	// MedianBlur is AUGMENTOR.MEDIAN_BLUR (default False).
	MedianBlur bool `key:"MEDIAN_BLUR"`
	// MBKernel is AUGMENTOR.MB_KERNEL (default (3, 7)).
	MBKernel [2]int `key:"MB_KERNEL"`
	// GammaContrast is AUGMENTOR.GAMMA_CONTRAST (default False); not with
	// zero_mean_unit_variance.
	GammaContrast bool `key:"GAMMA_CONTRAST"`
	// GCGamma is AUGMENTOR.GC_GAMMA (default (1.25, 1.75)).
	GCGamma [2]float64 `key:"GC_GAMMA"`
	// Brightness is AUGMENTOR.BRIGHTNESS (default False).
	Brightness bool `key:"BRIGHTNESS"`
	// BrightnessFactor is AUGMENTOR.BRIGHTNESS_FACTOR (default (-0.1, 0.1)).
	BrightnessFactor [2]float64 `key:"BRIGHTNESS_FACTOR"`
	// BrightnessMode is AUGMENTOR.BRIGHTNESS_MODE (default "3D").
	BrightnessMode string `key:"BRIGHTNESS_MODE"`
	// Contrast is AUGMENTOR.CONTRAST (default False).
	Contrast bool `key:"CONTRAST"`
	// ContrastFactor is AUGMENTOR.CONTRAST_FACTOR (default (-0.1, 0.1)).
	ContrastFactor [2]float64 `key:"CONTRAST_FACTOR"`
	// ContrastMode is AUGMENTOR.CONTRAST_MODE (default "3D").
	ContrastMode string `key:"CONTRAST_MODE"`
	// Cutout is AUGMENTOR.CUTOUT (default False).
	Cutout bool `key:"CUTOUT"`
	// CoutNbIterations is AUGMENTOR.COUT_NB_ITERATIONS (default (1, 3)).
	CoutNbIterations [2]int `key:"COUT_NB_ITERATIONS"`
	// CoutSize is AUGMENTOR.COUT_SIZE (default (0.05, 0.3)).
	CoutSize [2]float64 `key:"COUT_SIZE"`
	// CoutCval is AUGMENTOR.COUT_CVAL (default 0.0).
	CoutCval float64 `key:"COUT_CVAL"`
	// CoutApplyToMask is AUGMENTOR.COUT_APPLY_TO_MASK (default False).
	CoutApplyToMask bool `key:"COUT_APPLY_TO_MASK"`
	// Misalignment is AUGMENTOR.MISALIGNMENT (default False).
	Misalignment bool `key:"MISALIGNMENT"`
	// MSDisplacement is AUGMENTOR.MS_DISPLACEMENT (default 16).
	MSDisplacement int `key:"MS_DISPLACEMENT"`
	// MSRotateRatio is AUGMENTOR.MS_ROTATE_RATIO (default 0.5).
	MSRotateRatio float64 `key:"MS_ROTATE_RATIO"`
	// MissingSections is AUGMENTOR.MISSING_SECTIONS (default False).
	MissingSections bool `key:"MISSING_SECTIONS"`
	// MisspIterations is AUGMENTOR.MISSP_ITERATIONS (default (10, 30)).
	MisspIterations [2]int `key:"MISSP_ITERATIONS"`
	// GaussianNoise is AUGMENTOR.GAUSSIAN_NOISE (default False).
	GaussianNoise bool `key:"GAUSSIAN_NOISE"`
	// GaussianNoiseMean is AUGMENTOR.GAUSSIAN_NOISE_MEAN (default 0.0).
	GaussianNoiseMean float64 `key:"GAUSSIAN_NOISE_MEAN"`
	// GaussianNoiseVar is AUGMENTOR.GAUSSIAN_NOISE_VAR (default 0.05).
	GaussianNoiseVar float64 `key:"GAUSSIAN_NOISE_VAR"`
	// GaussianNoiseUseInputImgMeanAndVar is
	// AUGMENTOR.GAUSSIAN_NOISE_USE_INPUT_IMG_MEAN_AND_VAR (default False).
	GaussianNoiseUseInputImgMeanAndVar bool `key:"GAUSSIAN_NOISE_USE_INPUT_IMG_MEAN_AND_VAR"`
	// PoissonNoise is AUGMENTOR.POISSON_NOISE (default False).
	PoissonNoise bool `key:"POISSON_NOISE"`
	// SaltAndPepper is AUGMENTOR.SALT_AND_PEPPER (default False).
	SaltAndPepper bool `key:"SALT_AND_PEPPER"`
	// SaltAndPepperAmount is AUGMENTOR.SALT_AND_PEPPER_AMOUNT (default 0.05).
	SaltAndPepperAmount float64 `key:"SALT_AND_PEPPER_AMOUNT"`
	// SaltAndPepperProp is AUGMENTOR.SALT_AND_PEPPER_PROP (default 0.5).
	SaltAndPepperProp float64 `key:"SALT_AND_PEPPER_PROP"`
}
