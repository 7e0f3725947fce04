// Package models holds the architectures BiaPy offers for self-supervised pretraining,
// built from package nn with BiaPy's PyTorch parameter names, so a checkpoint is a flat
// name→tensor map that PyTorch/BiaPy users recognise: the masked autoencoder ViT (MAE,
// 2-D and 3-D), the U-Net family (U-Net, Residual U-Net, ResUNet++, Attention U-Net,
// SE-U-Net, MultiResUNet), EDSR, RCAN, WDSR, DFCAN and UNETR. Constructors take an
// options struct whose zero value means BiaPy's defaults.
//
// Status: the architectures arrive with the models issue; this package currently
// holds only this documentation.
package models
