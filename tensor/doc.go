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
