package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// NormOptions are the common options of the normalisation layers. The zero value is
// PyTorch's default: eps 1e-5 and a learnable affine transform (weight 1, bias 0).
type NormOptions struct {
	Eps float32 // 0 means 1e-5
	// NoAffine drops weight and bias (affine=False / elementwise_affine=False).
	NoAffine bool
}

func (o NormOptions) eps() float32 {
	if o.Eps == 0 {
		return 1e-5
	}
	return o.Eps
}

// affineParams returns weight 1 and bias 0 of length c on the CPU, or nils.
func affineParams(c int, affine bool) (w, b *Var) {
	if !affine {
		return nil, nil
	}
	dev := tensor.CPU{}
	return NewLeaf(tensor.Full(dev, 1, c)), NewLeaf(tensor.Zeros(dev, c))
}

// BatchNormOptions configure [NewBatchNorm]. The zero value is PyTorch's default:
// eps 1e-5, momentum 0.1, affine, tracking running statistics.
type BatchNormOptions struct {
	Eps      float32 // 0 means 1e-5
	Momentum float32 // 0 means 0.1 (PyTorch's momentum=None cumulative average is not supported)
	NoAffine bool    // affine=False
	// NoRunningStats is track_running_stats=False: batch statistics in both modes and
	// no buffers.
	NoRunningStats bool
}

// BatchNorm is torch.nn.BatchNorm1d/2d/3d over x: [N, C, *spatial] (any number of
// spatial axes, none included). In training mode (the default after construction, as
// in PyTorch) it normalises with the batch statistics and updates the running ones:
// r = (1−momentum)·r + momentum·stat, with the unbiased batch variance for
// running_var, and num_batches_tracked += 1; in eval mode it uses the running
// statistics. State_dict entries: "weight", "bias" [C] (absent with NoAffine), and the
// buffers "running_mean", "running_var" [C] and "num_batches_tracked" (a 0-d float32
// tensor; PyTorch stores int64) unless NoRunningStats.
type BatchNorm struct {
	W, B                    *Var    // [C], or nil
	RunningMean, RunningVar *Var    // [C] buffers, or nil
	NumBatchesTracked       *Var    // 0-d buffer, or nil
	Eps                     float32 // added to the variance; NewBatchNorm turns 0 into 1e-5
	Momentum                float32 // running-statistics update weight; NewBatchNorm turns 0 into 0.1
	Training                bool    // batch statistics and running updates when true; else the running statistics (if any)
}

// NewBatchNorm returns a BatchNorm over c channels on the CPU in training mode, with
// weight 1, bias 0, running_mean 0, running_var 1 and num_batches_tracked 0.
func NewBatchNorm(c int, o BatchNormOptions) *BatchNorm {
	if c <= 0 {
		panic(fmt.Sprintf("nn: NewBatchNorm: %d channels", c))
	}
	m := &BatchNorm{Eps: o.Eps, Momentum: o.Momentum, Training: true}
	if m.Eps == 0 {
		m.Eps = 1e-5
	}
	if m.Momentum == 0 {
		m.Momentum = 0.1
	}
	m.W, m.B = affineParams(c, !o.NoAffine)
	if !o.NoRunningStats {
		dev := tensor.CPU{}
		m.RunningMean = NewVar(tensor.Zeros(dev, c))
		m.RunningVar = NewVar(tensor.Full(dev, 1, c))
		m.NumBatchesTracked = NewVar(tensor.Zeros(dev))
	}
	return m
}

// SetTraining switches between training (batch statistics) and eval mode.
func (m *BatchNorm) SetTraining(train bool) { m.Training = train }

// Forward normalises x: [N, C, *spatial] → the same shape.
func (m *BatchNorm) Forward(tp *Tape, x *Var) *Var {
	return m.forward(tp, x, false, 0, 0)
}

// ForwardAct is act(m.Forward(x)) for act ReLU, LeakyReLU or ELU (alpha its
// parameter), fused into the normalisation on devices that can (see
// [Tape.BatchNormAct]).
func (m *BatchNorm) ForwardAct(tp *Tape, x *Var, act tensor.UnaryOp, alpha float32) *Var {
	return m.forward(tp, x, true, act, alpha)
}

func (m *BatchNorm) forward(tp *Tape, x *Var, withAct bool, act tensor.UnaryOp, alpha float32) *Var {
	if x.Value.Rank() < 2 || (m.W != nil && x.Value.Dim(1) != m.W.Value.Dim(0)) ||
		(m.RunningMean != nil && x.Value.Dim(1) != m.RunningMean.Value.Dim(0)) {
		panic(fmt.Sprintf("nn: BatchNorm.Forward: input %v for %d channels", x.Shape(), m.channels()))
	}
	var rm, rv *tensor.Tensor
	if m.RunningMean != nil {
		rm, rv = m.RunningMean.Value, m.RunningVar.Value
	}
	train := m.Training || rm == nil
	var y *Var
	if withAct {
		y = tp.BatchNormAct(x, m.W, m.B, rm, rv, m.Momentum, m.Eps, train, act, alpha)
	} else {
		y = tp.BatchNorm(x, m.W, m.B, rm, rv, m.Momentum, m.Eps, train)
	}
	if m.Training && m.NumBatchesTracked != nil {
		n := m.NumBatchesTracked.Value
		n.Device().Affine(n, n, 1, 1)
	}
	return y
}

func (m *BatchNorm) channels() int {
	switch {
	case m.W != nil:
		return m.W.Value.Dim(0)
	case m.RunningMean != nil:
		return m.RunningMean.Value.Dim(0)
	}
	return -1
}

// Params returns "weight", "bias", "running_mean", "running_var" and
// "num_batches_tracked" (the last three as Buffer), those that exist.
func (m *BatchNorm) Params() []Param {
	ps := weightBias(m.W, m.B)
	if m.RunningMean != nil {
		ps = append(ps,
			Param{Name: "running_mean", Var: m.RunningMean, Kind: Buffer},
			Param{Name: "running_var", Var: m.RunningVar, Kind: Buffer},
			Param{Name: "num_batches_tracked", Var: m.NumBatchesTracked, Kind: Buffer})
	}
	return ps
}

// LayerNorm is torch.nn.LayerNorm over the last axis: x: [..., D] → the same shape,
// (x−μ)/√(σ²+eps)·weight + bias with the biased variance. State_dict entries:
// "weight", "bias" [D] (absent with NoAffine).
type LayerNorm struct {
	W, B *Var    // [D], or nil
	D    int     // normalized feature size (last axis)
	Eps  float32 // added to the variance; NewLayerNorm turns 0 into 1e-5
}

// NewLayerNorm returns a LayerNorm over d features on the CPU with weight 1, bias 0.
func NewLayerNorm(d int, o NormOptions) *LayerNorm {
	if d <= 0 {
		panic(fmt.Sprintf("nn: NewLayerNorm: %d features", d))
	}
	m := &LayerNorm{D: d, Eps: o.eps()}
	m.W, m.B = affineParams(d, !o.NoAffine)
	return m
}

// Forward normalises x: [..., D] over its last axis.
func (m *LayerNorm) Forward(tp *Tape, x *Var) *Var {
	if x.Value.Rank() < 1 || x.Value.Dim(-1) != m.D {
		panic(fmt.Sprintf("nn: LayerNorm.Forward: input %v, normalized_shape [%d]", x.Shape(), m.D))
	}
	return tp.LayerNorm(x, m.W, m.B, m.Eps)
}

// Params returns "weight" and "bias" unless NoAffine.
func (m *LayerNorm) Params() []Param { return weightBias(m.W, m.B) }

// GroupNorm is torch.nn.GroupNorm: x: [N, C, *spatial] normalised over each group of
// C/Groups channels and all spatial positions, then a per-channel affine transform.
// State_dict entries: "weight", "bias" [C] (absent with NoAffine).
type GroupNorm struct {
	W, B   *Var    // [C], or nil
	Groups int     // number of channel groups; divides C
	C      int     // number of channels
	Eps    float32 // added to the variance; NewGroupNorm turns 0 into 1e-5
}

// NewGroupNorm returns a GroupNorm of c channels in groups groups on the CPU with
// weight 1, bias 0.
func NewGroupNorm(groups, c int, o NormOptions) *GroupNorm {
	if groups <= 0 || c <= 0 || c%groups != 0 {
		panic(fmt.Sprintf("nn: NewGroupNorm: %d channels in %d groups", c, groups))
	}
	m := &GroupNorm{Groups: groups, C: c, Eps: o.eps()}
	m.W, m.B = affineParams(c, !o.NoAffine)
	return m
}

// Forward normalises x: [N, C, *spatial] → the same shape.
func (m *GroupNorm) Forward(tp *Tape, x *Var) *Var {
	if x.Value.Rank() < 2 || x.Value.Dim(1) != m.C {
		panic(fmt.Sprintf("nn: GroupNorm.Forward: input %v for %d channels", x.Shape(), m.C))
	}
	return tp.GroupNorm(x, m.W, m.B, m.Groups, m.Eps)
}

// Params returns "weight" and "bias" unless NoAffine.
func (m *GroupNorm) Params() []Param { return weightBias(m.W, m.B) }

// InstanceNormOptions configure [NewInstanceNorm]. The zero value is PyTorch's (and
// BiaPy's) default: eps 1e-5, affine=False, track_running_stats=False.
type InstanceNormOptions struct {
	Eps    float32 // 0 means 1e-5
	Affine bool    // learnable weight 1, bias 0 per channel
}

// InstanceNorm is torch.nn.InstanceNorm1d/2d/3d with track_running_stats=False: each
// channel of each sample of x: [N, C, *spatial] is normalised over its spatial
// positions, in training and eval mode alike. State_dict entries: "weight", "bias"
// [C] only with Affine.
type InstanceNorm struct {
	W, B *Var    // [C], or nil
	C    int     // number of channels
	Eps  float32 // added to the variance; NewInstanceNorm turns 0 into 1e-5
}

// NewInstanceNorm returns an InstanceNorm over c channels on the CPU.
func NewInstanceNorm(c int, o InstanceNormOptions) *InstanceNorm {
	if c <= 0 {
		panic(fmt.Sprintf("nn: NewInstanceNorm: %d channels", c))
	}
	m := &InstanceNorm{C: c, Eps: o.Eps}
	if m.Eps == 0 {
		m.Eps = 1e-5
	}
	m.W, m.B = affineParams(c, o.Affine)
	return m
}

// Forward normalises x: [N, C, *spatial] → the same shape.
func (m *InstanceNorm) Forward(tp *Tape, x *Var) *Var {
	if x.Value.Rank() < 3 || x.Value.Dim(1) != m.C {
		panic(fmt.Sprintf("nn: InstanceNorm.Forward: input %v for %d channels", x.Shape(), m.C))
	}
	return tp.InstanceNorm(x, m.W, m.B, m.Eps)
}

// Params returns "weight" and "bias" with Affine, else nothing.
func (m *InstanceNorm) Params() []Param { return weightBias(m.W, m.B) }
