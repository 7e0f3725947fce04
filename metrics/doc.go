// Package metrics computes image-quality and segmentation metrics exactly as BiaPy
// reports them: PSNR, SSIM, MSE, MAE, and IoU/Dice for downstream segmentation.
//
// Status: the metrics arrive with the data/pretext/metrics issue; this package currently
// holds only this documentation.
package metrics
