// Package nn is selfsup's automatic differentiation and its layers.
//
// # Tape
//
// A [Tape] records differentiable ops in execution order; [Tape.Backward] runs their
// backward closures in reverse and accumulates gradients into each [Var]'s Grad;
// [Tape.Reset] forgets the recorded ops. A nil *Tape means inference: ops compute
// values and record nothing. Ops are methods on *Tape, one file per op family, with
// the forward code and, right below it, the backward closure calling the explicit
// backward kernels of the [tensor.Device] (llm.c style):
//
//   - elementwise with NumPy broadcasting (Add, Sub, Mul, Div, Scale, AddScalar) and
//     activations (ReLU, LeakyReLU, ELU, GELU (erf), Sigmoid, Tanh, SiLU, Exp, Log, …);
//   - reductions (Sum, Mean, SumTo, MeanAxes), MatMul (batched, broadcast), Linear;
//   - Conv (1–3 spatial axes, stride, padding incl. 'same', dilation, groups, bias),
//     ConvTranspose (2-D/3-D), MaxPool, AvgPool, GlobalAvgPool, Upsample (nearest,
//     (bi/tri)linear, align_corners=False), PixelShuffle;
//   - Softmax, LayerNorm, BatchNorm (train with running stats / eval), GroupNorm,
//     InstanceNorm;
//   - Reshape, Permute, Transpose, Concat, Slice, Pad, Gather (token selection), Dropout;
//   - MSELoss and L1Loss (mean reduction).
//
// Shapes follow PyTorch (N, C, (D,) H, W). Shape mistakes panic naming the op and shapes.
//
// # Layers
//
// Layers implement [Module] (Forward and Params). Each [Param] carries PyTorch's dotted
// state_dict name ("blocks.3.attn.qkv.weight"), so a model's parameters form a flat
// name→tensor map that matches BiaPy's checkpoints. Initialisation follows PyTorch's
// defaults from a seeded [tensor.RNG]. Train/eval mode is explicit (BatchNorm, Dropout).
//
// Every op is checked against finite differences, and every layer against PyTorch's
// own outputs and gradients (the fixtures under testdata/fixtures/layers).
package nn
