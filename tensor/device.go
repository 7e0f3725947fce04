package tensor

// Device is the kernel contract: every primitive kernel selfsup needs, on one device.
// [CPU] implements it in Go (+ assembly); the cuda package implements it on the GPU.
// Layers and models are composed from these kernels in package nn.
//
// Conventions shared by every kernel:
//   - The destination comes first (dst, src…), as copy and llm.c do.
//   - All tensor arguments live on this device. Inputs and outputs must be contiguous
//     unless the method says otherwise ([Device.CopyStrided] and [Device.Binary] take
//     any strided view; [Device.MatMul] takes broadcast batch axes).
//   - Kernels overwrite their outputs, except where the doc says "accumulates"
//     ([Device.Col2Im], [Device.ScatterAdd], [Device.MatMul] with beta≠0).
//   - Index tensors (arg-max positions, gather indices) are float32 tensors holding
//     integers, exact below 2²⁴.
//   - Shape mistakes are programmer errors: kernels panic naming the op and the shapes.
type Device interface {
	// Name identifies the device ("cpu", "cuda:0").
	Name() string

	// Alloc returns a buffer of n float32 elements with undefined contents.
	Alloc(n int) Buffer
	// Free releases b. Neither b nor any tensor over it may be used afterwards.
	Free(b Buffer)
	// FromHost copies src into dst starting at element offset.
	FromHost(dst Buffer, offset int, src []float32)
	// ToHost copies len(dst) elements of src starting at element offset into dst.
	ToHost(dst []float32, src Buffer, offset int)
	// Fill sets every element of the contiguous tensor dst to v.
	Fill(dst *Tensor, v float32)
	// CopyStrided copies src into dst element by element; both may be any view
	// (strided, permuted, sliced, broadcast source), with equal shapes.
	CopyStrided(dst, src *Tensor)

	// Unary computes dst = f(x) elementwise; alpha parameterises LeakyReLU (slope)
	// and ELU (α). dst and x have the same shape; dst may be x.
	Unary(op UnaryOp, dst, x *Tensor, alpha float32)
	// UnaryBackward computes dx = dy · f'(x), given the forward input x and output
	// y = f(x) (each op reads whichever it needs; both must be passed).
	UnaryBackward(op UnaryOp, dx, dy, x, y *Tensor, alpha float32)
	// Binary computes dst = a ∘ b elementwise. a and b are views with dst's shape and
	// any strides (stride 0 broadcasts); dst is contiguous and may alias a or b when
	// they are contiguous too.
	Binary(op BinaryOp, dst, a, b *Tensor)
	// Affine computes dst = x·scale + bias elementwise; dst may be x.
	Affine(dst, x *Tensor, scale, bias float32)
	// Where computes dst = a where cond ≠ 0, else b; all four have the same shape.
	Where(dst, cond, a, b *Tensor)

	// ReduceSum sums x into dst, whose shape equals x's with some axes set to 1
	// (keepdim): those axes are summed over.
	ReduceSum(dst, x *Tensor)
	// ReduceMax computes the maximum of x along axis into dst and the position of the
	// (first) maximum into argmax; dst and argmax have x's shape with that axis removed.
	ReduceMax(dst, argmax, x *Tensor, axis int)

	// MatMul computes dst = alpha·op(a)·op(b) + beta·dst, where op(a) is a or its
	// transpose on the last two axes. a: [..., M, K] ([..., K, M] if transA),
	// b: [..., K, N] ([..., N, K] if transB), dst: [..., M, N] contiguous. The last
	// axis of a and b must have stride 1 (the one before it is the leading
	// dimension); the batch axes of a and b may have any strides, 0 to broadcast.
	// beta = 0 ignores dst's old contents (NaN included).
	MatMul(dst, a, b *Tensor, transA, transB bool, alpha, beta float32)

	// Im2Col unfolds x: [N, C, *g.In] into col: [N, C·∏g.Kernel, ∏g.Out], rows ordered
	// (c, kd, kh, kw) like a PyTorch conv weight [Cout, C, kd, kh, kw], zero outside the
	// padded input.
	Im2Col(col, x *Tensor, g ConvGeom)
	// Col2Im is the adjoint of Im2Col: it accumulates col: [N, C·∏g.Kernel, ∏g.Out]
	// into x: [N, C, *g.In] (x += fold(col)).
	Col2Im(x, col *Tensor, g ConvGeom)

	// MaxPool computes dst: [N, C, *g.Out] = max over each window of x: [N, C, *g.In]
	// (padding never wins) and argmax: the flat position of the max within its
	// [*g.In] plane. g.Dilation is honoured.
	MaxPool(dst, argmax, x *Tensor, g ConvGeom)
	// MaxPoolBackward computes dx: [N, C, *g.In] = Σ dy routed to each argmax position.
	MaxPoolBackward(dx, dy, argmax *Tensor, g ConvGeom)
	// AvgPool computes dst: [N, C, *g.Out] = window sums of x divided by ∏g.Kernel
	// (PyTorch's count_include_pad=True).
	AvgPool(dst, x *Tensor, g ConvGeom)
	// AvgPoolBackward computes dx: [N, C, *g.In] from dy: [N, C, *g.Out].
	AvgPoolBackward(dx, dy *Tensor, g ConvGeom)

	// Upsample resamples x: [N, C, *in] to dst: [N, C, *out] (1–3 spatial axes) with
	// mode Nearest or Linear (linear/bilinear/trilinear, align_corners=False). scales[i]
	// is the scale factor of spatial axis i: source coordinates are computed with
	// 1/scales[i] exactly as PyTorch does when given scale_factor.
	Upsample(mode ResampleMode, dst, x *Tensor, scales []float64)
	// UpsampleBackward computes dx: [N, C, *in] from dy: [N, C, *out].
	UpsampleBackward(mode ResampleMode, dx, dy *Tensor, scales []float64)

	// Softmax computes dst = softmax(x) along axis.
	Softmax(dst, x *Tensor, axis int)
	// SoftmaxBackward computes dx = y·(dy − Σ_axis dy·y) from the forward output y.
	SoftmaxBackward(dx, dy, y *Tensor, axis int)
	// LayerNorm normalises each row of x: [R, D] over D: dst = (x−μ)·rstd·w + b, and
	// saves mean: [R] and rstd: [R] = 1/√(var+eps) (biased variance). w and b: [D],
	// either may be nil (no affine).
	LayerNorm(dst, mean, rstd, x, w, b *Tensor, eps float32)
	// LayerNormBackward computes dx: [R, D] and, when non-nil, dw, db: [D] from dy,
	// the forward input x, w (nil means 1) and the saved mean and rstd.
	LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *Tensor)
	// BatchNorm normalises x: [N, C, S] per channel: dst = (x−μ_c)/√(var_c+eps)·w_c + b_c.
	// If train, it computes the batch mean: [C] and biased variance: [C] over N and S
	// and writes them to mean and variance; otherwise it reads them (running stats).
	// w and b: [C], either may be nil.
	BatchNorm(dst, mean, variance, x, w, b *Tensor, eps float32, train bool)
	// BatchNormBackward computes dx: [N, C, S] and, when non-nil, dw, db: [C], for the
	// forward pass with the same mean, variance, eps and train flag (in eval mode the
	// statistics are constants).
	BatchNormBackward(dx, dw, db, dy, x, w, mean, variance *Tensor, eps float32, train bool)

	// Gather selects rows: dst[b, k, :] = x[b, idx[b, k], :], with x: [B, L, D],
	// idx: [B, K], dst: [B, K, D].
	Gather(dst, x, idx *Tensor)
	// ScatterAdd is Gather's adjoint: it accumulates dst[b, idx[b, k], :] += src[b, k, :],
	// with dst: [B, L, D], src: [B, K, D], idx: [B, K].
	ScatterAdd(dst, src, idx *Tensor)

	// AdamW updates p in place from its gradient g and moments m, v (all the same
	// shape), PyTorch's torch.optim.AdamW step (decoupled weight decay, bias-corrected).
	AdamW(p, g, m, v *Tensor, h AdamWParams)
}

// UnaryOp names an elementwise function for [Device.Unary].
type UnaryOp int

// The unary ops. Forward formulas as PyTorch defines them.
const (
	Neg       UnaryOp = iota // −x
	Exp                      // eˣ
	Log                      // ln x
	Sqrt                     // √x
	Rsqrt                    // 1/√x
	Recip                    // 1/x
	Abs                      // |x| (derivative sign(x), 0 at 0)
	Square                   // x²
	ReLU                     // max(x, 0) (derivative 0 at 0)
	LeakyReLU                // x if x > 0 else alpha·x
	ELU                      // x if x > 0 else alpha·(eˣ−1)
	GELU                     // x·Φ(x), erf form
	Sigmoid                  // 1/(1+e⁻ˣ)
	Tanh                     // tanh x
	SiLU                     // x·sigmoid(x)
	Sign                     // −1, 0, 1 (derivative 0)
	numUnaryOps
)

var unaryNames = [...]string{"Neg", "Exp", "Log", "Sqrt", "Rsqrt", "Recip", "Abs", "Square",
	"ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "SiLU", "Sign"}

// String returns the op's name.
func (op UnaryOp) String() string {
	if op < 0 || op >= numUnaryOps {
		return "UnaryOp(?)"
	}
	return unaryNames[op]
}

// UnaryOps lists every unary op, for conformance tests.
func UnaryOps() []UnaryOp {
	ops := make([]UnaryOp, numUnaryOps)
	for i := range ops {
		ops[i] = UnaryOp(i)
	}
	return ops
}

// BinaryOp names an elementwise function of two operands for [Device.Binary].
type BinaryOp int

// The binary ops.
const (
	Add     BinaryOp = iota // a + b
	Sub                     // a − b
	Mul                     // a · b
	Div                     // a / b
	Maximum                 // max(a, b)
	Minimum                 // min(a, b)
	Greater                 // 1 if a > b else 0
	numBinaryOps
)

var binaryNames = [...]string{"Add", "Sub", "Mul", "Div", "Maximum", "Minimum", "Greater"}

// String returns the op's name.
func (op BinaryOp) String() string {
	if op < 0 || op >= numBinaryOps {
		return "BinaryOp(?)"
	}
	return binaryNames[op]
}

// BinaryOps lists every binary op, for conformance tests.
func BinaryOps() []BinaryOp {
	ops := make([]BinaryOp, numBinaryOps)
	for i := range ops {
		ops[i] = BinaryOp(i)
	}
	return ops
}

// ResampleMode selects the interpolation of [Device.Upsample].
type ResampleMode int

// The resampling modes.
const (
	Nearest ResampleMode = iota // PyTorch mode="nearest": src = floor(dst/scale)
	Linear                      // linear/bilinear/trilinear, align_corners=False
)

// String returns the mode's name.
func (m ResampleMode) String() string {
	switch m {
	case Nearest:
		return "nearest"
	case Linear:
		return "linear"
	}
	return "ResampleMode(?)"
}

// AdamWParams are the hyper-parameters of one [Device.AdamW] step.
type AdamWParams struct {
	LR          float32 // learning rate
	Beta1       float32 // first-moment decay (0.9)
	Beta2       float32 // second-moment decay (0.999)
	Eps         float32 // denominator term (1e-8)
	WeightDecay float32 // decoupled weight decay (0.01 in PyTorch)
	// Step is the 1-based step count used for bias correction.
	Step int
}

// BatchNormActer is an optional Device capability (a GPU has it): BatchNorm followed by
// an elementwise activation in the same passes over memory, saving the activation's
// read and write of the whole tensor in both directions.
type BatchNormActer interface {
	// BatchNormActOK reports whether act is fused.
	BatchNormActOK(act UnaryOp) bool
	// BatchNormAct sets dst = act(BatchNorm(x)) with the arguments of
	// [Device.BatchNorm]; alpha parameterises act as in [Device.Unary].
	BatchNormAct(dst, mean, variance, x, w, b *Tensor, eps float32, train bool, act UnaryOp, alpha float32)
	// BatchNormActBackward computes dx: [N, C, S] and, when non-nil, dw, db: [C] for
	// BatchNormAct from dy, the gradient of its output (the pre-activation is
	// recomputed from x, w, b, mean and variance).
	BatchNormActBackward(dx, dw, db, dy, x, w, b, mean, variance *Tensor, eps float32, train bool, act UnaryOp, alpha float32)
}
