package nn

import "github.com/selfsup/selfsup/tensor"

// Unary returns op(x) elementwise (alpha parameterises LeakyReLU's slope and ELU's α):
// x: any shape → same shape.
func (tp *Tape) Unary(op tensor.UnaryOp, x *Var, alpha float32) *Var {
	xv := x.Value.Contiguous()
	dev := xv.Device()
	y := tensor.New(dev, xv.Shape()...)
	dev.Unary(op, y, xv, alpha)
	out := tp.result(y, x)
	tp.keepTemp(xv, x.Value, tp.needsGrad(x))
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dx := tensor.New(dev, xv.Shape()...)
			dev.UnaryBackward(op, dx, dy, xv, y, alpha)
			accumulate(x, dx)
		})
	}
	return out
}

// ReLU returns max(x, 0): any shape → same shape.
func (tp *Tape) ReLU(x *Var) *Var { return tp.Unary(tensor.ReLU, x, 0) }

// LeakyReLU returns x where x > 0, else slope·x: any shape → same shape.
func (tp *Tape) LeakyReLU(x *Var, slope float32) *Var { return tp.Unary(tensor.LeakyReLU, x, slope) }

// ELU returns x where x > 0, else alpha·(eˣ−1): any shape → same shape.
func (tp *Tape) ELU(x *Var, alpha float32) *Var { return tp.Unary(tensor.ELU, x, alpha) }

// GELU returns x·Φ(x) (exact erf form, PyTorch's default): any shape → same shape.
func (tp *Tape) GELU(x *Var) *Var { return tp.Unary(tensor.GELU, x, 0) }

// Sigmoid returns 1/(1+e⁻ˣ): any shape → same shape.
func (tp *Tape) Sigmoid(x *Var) *Var { return tp.Unary(tensor.Sigmoid, x, 0) }

// Tanh returns tanh x: any shape → same shape.
func (tp *Tape) Tanh(x *Var) *Var { return tp.Unary(tensor.Tanh, x, 0) }

// SiLU returns x·sigmoid(x): any shape → same shape.
func (tp *Tape) SiLU(x *Var) *Var { return tp.Unary(tensor.SiLU, x, 0) }

// Exp returns eˣ: any shape → same shape.
func (tp *Tape) Exp(x *Var) *Var { return tp.Unary(tensor.Exp, x, 0) }

// Log returns ln x: any shape → same shape.
func (tp *Tape) Log(x *Var) *Var { return tp.Unary(tensor.Log, x, 0) }

// Sqrt returns √x: any shape → same shape.
func (tp *Tape) Sqrt(x *Var) *Var { return tp.Unary(tensor.Sqrt, x, 0) }

// Square returns x²: any shape → same shape.
func (tp *Tape) Square(x *Var) *Var { return tp.Unary(tensor.Square, x, 0) }

// Abs returns |x| (gradient sign(x), 0 at 0): any shape → same shape.
func (tp *Tape) Abs(x *Var) *Var { return tp.Unary(tensor.Abs, x, 0) }
