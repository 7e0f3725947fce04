// Package data reads and writes microscopy images and turns folders of them into
// training and test data, as BiaPy's data pipeline does.
//
// Images are [Image] values: float32 samples in (z,)y,x,c order (channel last, like
// BiaPy/NumPy) that remember the file's sample type ([DType]) so outputs can be written
// back in it.
//
//   - I/O: [ReadTIFF]/[WriteTIFF] (classic and BigTIFF, 2-D and multi-page 3-D stacks,
//     ImageJ hyperstacks, 8/16/32-bit integer and float samples, chunky and planar,
//     uncompressed, LZW, Deflate and PackBits, strips and tiles), [ReadPNG]/[WritePNG]
//     (8/16-bit gray, RGB, RGBA), and [ReadImage]/[WriteImage] choosing by extension.
//     Writes are atomic (temp file + rename).
//   - Datasets: [ListImages], [MatchLabels], [LoadDir], [LoadTrainVal] and
//     [SplitIndices] (DATA.VAL.SPLIT_TRAIN with a seed, or a separate folder).
//   - Normalisation: [Normalization] (div, scale_range, zero_mean_unit_variance, with
//     optional percentile clipping) and its inverse for outputs.
//   - Patches: [TrainPatches] (training tiling with overlap and padding),
//     [RandomPatch], [ReflectToShape] (DATA.REFLECT_TO_COMPLETE_SHAPE), [CheckPatch].
//   - Test-time tiling: [NewTiling] gives BiaPy's crop origins in the reflect-padded
//     frame; [Merger] trims the padding and averages overlaps.
//   - Augmentation: [Augment] with [AugmentOptions] (BiaPy's AUGMENTOR keys), applied
//     jointly to an input and its target, deterministic given a [tensor.RNG].
//
// Corrupt, truncated or unsupported files give errors naming the file and the problem.
package data
