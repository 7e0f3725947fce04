// Package models holds the architectures BiaPy offers for self-supervised pretraining,
// built from package nn with BiaPy's PyTorch parameter names, so a checkpoint is a flat
// name→tensor map that PyTorch/BiaPy users recognise. Constructors take an options
// struct whose zero value means BiaPy's defaults and a *tensor.RNG for the
// initialisation, and return an error for invalid options. Every model is an
// [nn.Module] (Forward, Params in state_dict order with buffers and frozen entries
// marked) and an [nn.TrainingSetter] where it has BatchNorm or Dropout. The
// self-supervised heads map C input channels to C output channels without a final
// activation (unless a BiaPy quirk says otherwise, as DFCAN's sigmoid).
//
// # Architectures
//
// MODEL.ARCHITECTURE names, 2-D and 3-D unless noted:
//
//   - "mae": the masked autoencoder ViT, [NewMAE] with [MAEOptions].
//   - "unet": U-Net, [NewUNet] with [UNetOptions].
//   - "resunet": Residual U-Net, [NewResUNet] with [UNetOptions].
//   - "resunet++": ResUNet++, [NewResUNetPlusPlus] with [UNetOptions].
//   - "attention_unet": Attention U-Net, [NewAttentionUNet] with [UNetOptions].
//   - "seunet": SE-U-Net (squeeze and excitation), [NewSEUNet] with [UNetOptions].
//   - "resunet_se": Residual U-Net with squeeze and excitation, [NewResUNetSE] with
//     [UNetOptions].
//   - "multiresunet": MultiResUNet, [NewMultiResUNet] with [MultiResUNetOptions].
//   - "edsr": EDSR (2-D only), [NewEDSR] with [EDSROptions].
//   - "rcan": RCAN, [NewRCAN] with [RCANOptions].
//   - "wdsr": WDSR (2-D only), [NewWDSR] with [WDSROptions].
//   - "dfcan": DFCAN, [NewDFCAN] with [DFCANOptions].
//   - "unetr": UNETR (the Mini/Small/Base presets are ViT sizes), [NewUNETR] with
//     [UNETROptions].
//
// # Building blocks and tools
//
// The U-Net family shares [UNetOptions] (MODEL.FEATURE_MAPS, MODEL.DROPOUT_VALUES,
// MODEL.NORMALIZATION, MODEL.KERNEL_SIZE, MODEL.UPSAMPLE_LAYER, MODEL.ACTIVATION,
// MODEL.Z_DOWN, MODEL.ISOTROPY, MODEL.LARGER_IO) and BiaPy's blocks: [Activation] and
// [Norm] by BiaPy name, [ConvBlock], [DoubleConvBlock], [SqExBlock], [ResConvBlock],
// [UpBlock], [ResUpBlock] and [AttentionBlock].
//
// [Summary] prints a torchinfo-like table of a model's traced layers, output shapes
// and parameter counts; [nn.CountParams] counts parameters. [SaveWeights] and
// [LoadWeights] store and strictly restore a model's state_dict as a safetensors file
// (atomic write).
package models
