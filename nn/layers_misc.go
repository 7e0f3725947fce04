package nn

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/selfsup/selfsup/tensor"
)

// TrainingSetter is implemented by modules whose forward pass differs between training
// and eval mode (BatchNorm, Dropout) and by composites, which forward the call to their
// children (PyTorch's module.train(mode)).
type TrainingSetter interface {
	SetTraining(train bool)
}

// SetTraining puts m (and, through composites, its children) in training (true) or
// eval (false) mode; modules that do not implement [TrainingSetter] have no mode.
func SetTraining(m Module, train bool) {
	if s, ok := m.(TrainingSetter); ok {
		s.SetTraining(train)
	}
}

// SetTrainable turns gradient tracking of every parameter of m on or off (buffers are
// left alone), like setting requires_grad on each of m.parameters(). Frozen parameters
// are left out of [Trainables].
func SetTrainable(m Module, on bool) {
	for _, p := range m.Params() {
		if p.Kind != Buffer {
			p.SetRequiresGrad(on)
		}
	}
}

// MoveTo moves every parameter and buffer of m to dev in place (a no-op for those
// already there); gradients are dropped.
func MoveTo(m Module, dev tensor.Device) {
	for _, p := range m.Params() {
		p.Value = p.Value.To(dev)
		p.Grad = nil
	}
}

// Sequential is torch.nn.Sequential: it applies its layers in order. Child i's
// state_dict entries are prefixed with "i." ("0.weight", "1.running_mean", …).
type Sequential struct {
	Layers []Module // children, applied in order; index i is the state_dict prefix "i."
}

// NewSequential returns a Sequential of the given layers.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward applies each layer to the previous layer's output.
func (s *Sequential) Forward(tp *Tape, x *Var) *Var {
	for _, l := range s.Layers {
		x = l.Forward(tp, x)
	}
	return x
}

// Params returns the children's entries prefixed with their index.
func (s *Sequential) Params() []Param {
	var ps []Param
	for i, l := range s.Layers {
		ps = append(ps, Prefixed(strconv.Itoa(i), l.Params())...)
	}
	return ps
}

// SetTraining sets the mode of every layer.
func (s *Sequential) SetTraining(train bool) {
	for _, l := range s.Layers {
		SetTraining(l, train)
	}
}

// Dropout is torch.nn.Dropout: in training mode each element is zeroed with
// probability P and the rest scaled by 1/(1−P) (masks drawn from RNG); in eval mode,
// or with P = 0, it is the identity. It has no state_dict entries.
type Dropout struct {
	P        float32     // drop probability in [0, 1]
	RNG      *tensor.RNG // source of the masks, drawn on the host
	Training bool        // dropout is applied only when true; NewDropout sets it
}

// NewDropout returns a Dropout in training mode drawing its masks from rng.
func NewDropout(p float32, rng *tensor.RNG) *Dropout {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("nn: NewDropout: p %v outside [0, 1]", p))
	}
	return &Dropout{P: p, RNG: rng, Training: true}
}

// SetTraining switches dropout on (true) or off.
func (d *Dropout) SetTraining(train bool) { d.Training = train }

// Forward applies dropout to x (any shape).
func (d *Dropout) Forward(tp *Tape, x *Var) *Var {
	if !d.Training || d.P == 0 {
		return x
	}
	return tp.Dropout(x, d.P, d.RNG, true)
}

// Params returns nothing.
func (d *Dropout) Params() []Param { return nil }

// ReLU is torch.nn.ReLU: max(x, 0) elementwise, any shape.
type ReLU struct{}

// Forward applies the activation.
func (ReLU) Forward(tp *Tape, x *Var) *Var { return tp.ReLU(x) }

// Params returns nothing.
func (ReLU) Params() []Param { return nil }

// LeakyReLU is torch.nn.LeakyReLU(negative_slope=Slope): x if x > 0 else Slope·x.
// PyTorch's default slope is 0.01 (BiaPy's leaky_relu uses 0.2); the zero value has
// slope 0.
type LeakyReLU struct {
	Slope float32 // multiplier for x ≤ 0 (negative_slope)
}

// Forward applies the activation.
func (a LeakyReLU) Forward(tp *Tape, x *Var) *Var { return tp.LeakyReLU(x, a.Slope) }

// Params returns nothing.
func (LeakyReLU) Params() []Param { return nil }

// ELU is torch.nn.ELU(alpha=Alpha): x if x > 0 else Alpha·(eˣ−1). PyTorch's default α
// is 1; the zero value has α 0.
type ELU struct {
	Alpha float32 // scale α of eˣ−1 for x ≤ 0
}

// Forward applies the activation.
func (a ELU) Forward(tp *Tape, x *Var) *Var { return tp.ELU(x, a.Alpha) }

// Params returns nothing.
func (ELU) Params() []Param { return nil }

// GELU is torch.nn.GELU() in its exact erf form (approximate='none'): x·Φ(x).
type GELU struct{}

// Forward applies the activation.
func (GELU) Forward(tp *Tape, x *Var) *Var { return tp.GELU(x) }

// Params returns nothing.
func (GELU) Params() []Param { return nil }

// Sigmoid is torch.nn.Sigmoid: 1/(1+e⁻ˣ).
type Sigmoid struct{}

// Forward applies the activation.
func (Sigmoid) Forward(tp *Tape, x *Var) *Var { return tp.Sigmoid(x) }

// Params returns nothing.
func (Sigmoid) Params() []Param { return nil }

// Tanh is torch.nn.Tanh.
type Tanh struct{}

// Forward applies the activation.
func (Tanh) Forward(tp *Tape, x *Var) *Var { return tp.Tanh(x) }

// Params returns nothing.
func (Tanh) Params() []Param { return nil }

// SiLU is torch.nn.SiLU (swish): x·sigmoid(x).
type SiLU struct{}

// Forward applies the activation.
func (SiLU) Forward(tp *Tape, x *Var) *Var { return tp.SiLU(x) }

// Params returns nothing.
func (SiLU) Params() []Param { return nil }

// Identity is torch.nn.Identity: x → x.
type Identity struct{}

// Forward returns x.
func (Identity) Forward(tp *Tape, x *Var) *Var { return x }

// Params returns nothing.
func (Identity) Params() []Param { return nil }

// Softmax is torch.nn.Softmax(dim=Axis): x → softmax along Axis (negative counts from
// the end).
type Softmax struct {
	Axis int // axis to normalize over; negative counts from the end
}

// Forward applies the softmax along s.Axis.
func (s Softmax) Forward(tp *Tape, x *Var) *Var {
	a := s.Axis
	if a < 0 {
		a += x.Value.Rank()
	}
	if a < 0 || a >= x.Value.Rank() {
		panic(fmt.Sprintf("nn: Softmax.Forward: axis %d for input %v", s.Axis, x.Shape()))
	}
	return tp.Softmax(x, a)
}

// Params returns nothing.
func (Softmax) Params() []Param { return nil }

// MaxPool is torch.nn.MaxPool1d/2d/3d: x: [N, C, *in] → [N, C, *out], window Kernel,
// Stride (nil means Kernel, PyTorch's default) and Padding (nil means 0); one entry
// applies to all axes.
type MaxPool struct {
	Kernel  []int // window size per spatial axis, or one entry for all
	Stride  []int // step per spatial axis; nil/empty means Kernel
	Padding []int // implicit padding on both sides per axis, at most Kernel/2; nil/empty means 0
}

// Forward pools x.
func (p MaxPool) Forward(tp *Tape, x *Var) *Var {
	return tp.MaxPool(x, p.Kernel, p.Stride, p.Padding)
}

// Params returns nothing.
func (MaxPool) Params() []Param { return nil }

// AvgPool is torch.nn.AvgPool1d/2d/3d (count_include_pad=True): x: [N, C, *in] →
// [N, C, *out]; fields as [MaxPool].
type AvgPool struct {
	Kernel  []int // window size per spatial axis, or one entry for all
	Stride  []int // step per spatial axis; nil/empty means Kernel
	Padding []int // zero padding on both sides per axis (counted in the average), at most Kernel/2; nil/empty means 0
}

// Forward pools x.
func (p AvgPool) Forward(tp *Tape, x *Var) *Var {
	return tp.AvgPool(x, p.Kernel, p.Stride, p.Padding)
}

// Params returns nothing.
func (AvgPool) Params() []Param { return nil }

// GlobalAvgPool is torch.nn.AdaptiveAvgPool2d/3d(1): x: [N, C, *s] → [N, C, 1, …].
type GlobalAvgPool struct{}

// Forward averages x over its spatial axes.
func (GlobalAvgPool) Forward(tp *Tape, x *Var) *Var { return tp.GlobalAvgPool(x) }

// Params returns nothing.
func (GlobalAvgPool) Params() []Param { return nil }

// Upsample is torch.nn.Upsample(scale_factor=Scales, mode=Mode) with
// align_corners=False: x: [N, C, *in] → [N, C, *⌊in·scale⌋]. Mode Nearest is
// "nearest", Linear is "linear"/"bilinear"/"trilinear" by the number of spatial axes;
// one scale applies to all axes.
type Upsample struct {
	Mode   tensor.ResampleMode // tensor.Nearest or tensor.Linear
	Scales []float64           // scale factor per spatial axis, or one entry for all; each > 0
}

// NewUpsample returns an Upsample with the given mode and per-axis scale factors.
func NewUpsample(mode tensor.ResampleMode, scales ...float64) *Upsample {
	if len(scales) == 0 {
		panic("nn: NewUpsample: no scale factor")
	}
	return &Upsample{Mode: mode, Scales: slices.Clone(scales)}
}

// Forward resamples x.
func (u Upsample) Forward(tp *Tape, x *Var) *Var { return tp.Upsample(x, u.Mode, u.Scales) }

// Params returns nothing.
func (Upsample) Params() []Param { return nil }

// PixelShuffle is torch.nn.PixelShuffle(R): [N, C·R², H, W] → [N, C, H·R, W·R].
type PixelShuffle struct {
	R int // upscale factor r ≥ 1; C·R² input channels become C
}

// Forward rearranges x.
func (p PixelShuffle) Forward(tp *Tape, x *Var) *Var { return tp.PixelShuffle(x, p.R) }

// Params returns nothing.
func (PixelShuffle) Params() []Param { return nil }

// FusableActivation reports whether m is an activation layer that
// [BatchNorm.ForwardAct] can fuse (ReLU, LeakyReLU, ELU) and returns its op and
// parameter.
func FusableActivation(m Module) (op tensor.UnaryOp, alpha float32, ok bool) {
	switch a := m.(type) {
	case ReLU:
		return tensor.ReLU, 0, true
	case LeakyReLU:
		return tensor.LeakyReLU, a.Slope, true
	case ELU:
		return tensor.ELU, a.Alpha, true
	}
	return 0, 0, false
}
