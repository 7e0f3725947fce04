// Package tensor holds selfsup's n-dimensional float32 arrays, the kernel contract that
// every compute device implements, and the CPU implementation of that contract.
//
// # Layout
//
// A [Tensor] is a shape, strides and an offset (in elements) over a [Buffer]. Shapes
// follow PyTorch: N, C, (D,) H, W — batch, channels, then spatial axes, row-major — so a
// weight tensor maps 1:1 onto a BiaPy/PyTorch state_dict entry. Views are free:
// [Tensor.Reshape] (of contiguous data), [Tensor.Permute], [Tensor.Transpose],
// [Tensor.Slice], [Tensor.Expand] (stride 0) and [Tensor.Unsqueeze] share the buffer.
// [Tensor.Contiguous] materialises a view.
//
// # Devices and kernels
//
// [Device] lists every primitive kernel (the whole contract): memory, strided copy,
// unary/binary elementwise ops with broadcasting, affine, where, reductions, batched
// MatMul with transpose flags, Im2Col/Col2Im for 1–3 spatial axes, max/avg pooling,
// nearest/linear upsampling, softmax, layer norm, batch norm, gather/scatter-add and a
// fused AdamW step, each with its backward kernel where it has one. [CPU] implements
// them in Go, parallel inside each kernel on one shared worker pool ([SetThreads]);
// the cuda package implements them on NVIDIA GPUs. Transfers are explicit:
// [Tensor.To], [FromSlice], [Tensor.Data] (CPU only), [Tensor.Values].
//
// # CPU convolutions
//
// [CPU] implements the optional [ImplicitConver] family (forward, input gradient as
// the forward convolution of dy with the flipped weight, filter gradient) without
// materialising im2col columns, choosing per layer:
//   - Winograd F(2×2, 3×3) for 2-D 3×3, stride-1, padding-1 layers with at least 32
//     input and output channels, an even height and a width that is a multiple of 32
//     (the filter gradient too when both channel counts are multiples of 16):
//     cpu_conv_winograd.go;
//   - the packing-free implicit GEMM, whose micro-kernels read the zero-padded image's
//     rows in place, for stride-1 3-D layers and 2-D layers with at most 16 output
//     channels per group whose last output axis is a multiple of 32: cpu_conv_rows.go;
//   - for the filter gradient of stride-1 layers with a 3×3 window on the last two axes
//     and at most 32 output channels per group, dot products of dy rows with shifted
//     input rows: cpu_conv_dwdot.go;
//   - otherwise an implicit GEMM whose packers gather the columns from the image:
//     cpu_conv_implicit.go, cpu_conv_pack.go.
//
// The fast paths need AVX-512; every path is checked against an im2col reference in
// the tests, and the choice never changes results beyond float32 rounding.
//
// # Random numbers
//
// [RNG] is a seeded PCG generator. Random tensors are drawn on the host and uploaded, so
// the same seed gives the same masks, noise and initial weights on every device.
//
// # Errors
//
// Shape and rank mistakes are programmer errors: they panic with the op and the shapes
// ("tensor: MatMul: [2 3]×[4 5] (transA=false transB=false): inner dims 3≠4").
package tensor
