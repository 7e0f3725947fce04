// Package metrics computes image-quality and segmentation metrics exactly as BiaPy
// reports them: PSNR, SSIM, MSE, MAE, and IoU/Dice for downstream segmentation.
//
// # Layout
//
// Images are plain float32 sample slices in row-major, channel-last order, as the data
// package stores them: a 2D image has shape (y, x, c), a 3D image (z, y, x, c). The
// shape always carries the channel axis (c = 1 for grayscale). MSE, MAE, PSNR, IoU and
// Dice only need the samples; SSIM also needs the shape. Batched model tensors in
// PyTorch order, [N, C, H, W] or [N, C, D, H, W], go through [SSIMBatch].
//
// Every metric accumulates in float64.
//
// # BiaPy's conventions
//
// Training and validation (SPEC §6.4, div or scale_range normalisation): MSE and MAE on
// the raw output and target; PSNR on clamp(x, 0, 1)·255 with data range 255
// ([PSNRTrain]); SSIM on the clamped values with data range 1 ([SSIMTrain], or
// [SSIMBatch] with range 1 on model tensors). With zero_mean_unit_variance both
// tensors are first min-max rescaled over the batch ([RescaleMinMax]); PSNR is then
// [PSNRTrain] and SSIM infers its data range ([SSIMTest]'s rule).
//
// Test phase (SPEC §7.3, raw intensities): PSNR with data range target max − min
// ([PSNRTest]); SSIM with data range max(pred max − min, target max − min) ([SSIMTest]).
//
// SSIM is skimage's structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, K1=0.01, K2=0.03): an 11-tap gaussian window (separable,
// over z as well in 3D), population covariance, and the mean of the SSIM map cropped
// by 5 samples on every side of every spatial axis; several channels are averaged.
// torchmetrics, which BiaPy calls, pads and crops the same border, so both agree.
package metrics
