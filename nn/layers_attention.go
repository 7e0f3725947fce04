package nn

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/tensor"
)

// Attention is timm's vision_transformer.Attention (q_norm/k_norm Identity, no
// dropout): for x: [B, L, D], qkv = QKV(x): [B, L, 3·D] whose features are ordered
// [q; k; v], each split into Heads heads of D/Heads contiguous features;
// a = softmax((q·head_dim^-0.5)·kᵀ) per head, y = Proj(concat_heads(a·v)): [B, L, D].
// State_dict entries: "qkv.weight" [3D, D], "qkv.bias" [3D] (absent without qkv bias),
// "proj.weight" [D, D], "proj.bias" [D].
type Attention struct {
	QKV   *Linear // D → 3·D input projection ("qkv"), outputs ordered [q; k; v]
	Proj  *Linear // D → D output projection ("proj")
	Heads int     // number of heads; D must be a multiple of it
}

// NewAttention returns an Attention over dim features with heads heads (dim must be a
// multiple of heads) and PyTorch's default Linear init from rng.
func NewAttention(dim, heads int, qkvBias bool, rng *tensor.RNG) *Attention {
	if heads <= 0 || dim%heads != 0 {
		panic(fmt.Sprintf("nn: NewAttention: dim %d, %d heads", dim, heads))
	}
	return &Attention{QKV: NewLinear(dim, 3*dim, qkvBias, rng), Proj: NewLinear(dim, dim, true, rng), Heads: heads}
}

// Forward computes x: [B, L, D] → [B, L, D].
func (a *Attention) Forward(tp *Tape, x *Var) *Var {
	d := a.Proj.In()
	if x.Value.Rank() != 3 || x.Value.Dim(2) != d {
		panic(fmt.Sprintf("nn: Attention.Forward: input %v, want [B L %d]", x.Shape(), d))
	}
	return a.Proj.Forward(tp, tp.selfAttention(a.QKV.Forward(tp, x), a.Heads))
}

// Params returns "qkv.*" then "proj.*".
func (a *Attention) Params() []Param {
	return append(Prefixed("qkv", a.QKV.Params()), Prefixed("proj", a.Proj.Params())...)
}

// MLP is timm's Mlp: fc2(GELU(fc1(x))) with the exact (erf) GELU, x: [..., D] →
// [..., Out]. State_dict entries: "fc1.weight" [Hidden, D], "fc1.bias",
// "fc2.weight" [Out, Hidden], "fc2.bias".
type MLP struct {
	FC1 *Linear // D → Hidden ("fc1"), followed by GELU
	FC2 *Linear // Hidden → Out ("fc2")
}

// NewMLP returns an MLP in → hidden → out with PyTorch's default Linear init from rng.
func NewMLP(in, hidden, out int, rng *tensor.RNG) *MLP {
	return &MLP{FC1: NewLinear(in, hidden, true, rng), FC2: NewLinear(hidden, out, true, rng)}
}

// Forward computes x: [..., In] → [..., Out].
func (m *MLP) Forward(tp *Tape, x *Var) *Var {
	return m.FC2.Forward(tp, tp.GELU(m.FC1.Forward(tp, x)))
}

// Params returns "fc1.*" then "fc2.*".
func (m *MLP) Params() []Param {
	return append(Prefixed("fc1", m.FC1.Params()), Prefixed("fc2", m.FC2.Params())...)
}

// BlockOptions configure [NewBlock]. The zero value of each optional field is the
// default of timm's Block as BiaPy builds it.
type BlockOptions struct {
	Dim       int     // token feature size D
	Heads     int     // attention heads; Dim must be a multiple of it
	MLPRatio  float64 // hidden = int(Dim·MLPRatio); 0 means 4
	NoQKVBias bool    // qkv_bias=False (BiaPy passes True, the default here)
	// Eps of the two LayerNorms; 0 means 1e-5 (nn.LayerNorm's default, UNETR); MAE
	// uses 1e-6.
	Eps float32
}

// Block is timm's vision_transformer.Block (pre-LN, no layer scale, no drop path):
// x = x + Attn(Norm1(x)); x = x + MLP(Norm2(x)), x: [B, L, D] → [B, L, D].
// State_dict entries: "norm1.*", "attn.qkv.*", "attn.proj.*", "norm2.*", "mlp.fc1.*",
// "mlp.fc2.*".
type Block struct {
	Norm1 *LayerNorm // LayerNorm before the attention ("norm1")
	Attn  *Attention // self-attention sub-layer ("attn")
	Norm2 *LayerNorm // LayerNorm before the MLP ("norm2")
	MLP   *MLP       // feed-forward sub-layer D → Hidden → D ("mlp")
}

// NewBlock returns a transformer block with PyTorch's default init from rng.
func NewBlock(o BlockOptions, rng *tensor.RNG) *Block {
	ratio := o.MLPRatio
	if ratio == 0 {
		ratio = 4
	}
	hidden := int(float64(o.Dim) * ratio)
	ln := NormOptions{Eps: o.Eps}
	return &Block{
		Norm1: NewLayerNorm(o.Dim, ln),
		Attn:  NewAttention(o.Dim, o.Heads, !o.NoQKVBias, rng),
		Norm2: NewLayerNorm(o.Dim, ln),
		MLP:   NewMLP(o.Dim, hidden, o.Dim, rng),
	}
}

// Forward computes x: [B, L, D] → [B, L, D].
func (m *Block) Forward(tp *Tape, x *Var) *Var {
	x = tp.Add(x, m.Attn.Forward(tp, m.Norm1.Forward(tp, x)))
	return tp.Add(x, m.MLP.Forward(tp, m.Norm2.Forward(tp, x)))
}

// Params returns the entries in timm's registration order.
func (m *Block) Params() []Param {
	var ps []Param
	ps = append(ps, Prefixed("norm1", m.Norm1.Params())...)
	ps = append(ps, Prefixed("attn", m.Attn.Params())...)
	ps = append(ps, Prefixed("norm2", m.Norm2.Params())...)
	return append(ps, Prefixed("mlp", m.MLP.Params())...)
}

// qkvViews returns the q, k and v heads of qkv: [B, L, 3·H·hd] (contiguous) as
// [B, H, L, hd] views with unit last stride, which [tensor.Device.MatMul] takes as
// batched operands without a copy: head h of q, k, v is feature block h, H+h, 2H+h.
func qkvViews(qkv *tensor.Tensor, heads int) (q, k, v *tensor.Tensor) {
	b, l, d3 := qkv.Dim(0), qkv.Dim(1), qkv.Dim(2)
	hd := d3 / (3 * heads)
	t := qkv.Reshape(b, l, 3*heads, hd)
	part := func(i int) *tensor.Tensor { return t.Slice(2, i*heads, (i+1)*heads).Permute(0, 2, 1, 3) }
	return part(0), part(1), part(2)
}

// selfAttention is the core of [Attention] as one tape op: qkv: [B, L, 3·D] (features
// [q; k; v], each H heads of hd = D/H) → o: [B, L, D] with, per batch and head,
// o_h = softmax(hd^-0.5·q_h·k_hᵀ)·v_h and the heads concatenated along the features.
// The products read q, k, v straight out of qkv through strided batch views (no
// permuted copies), hd^-0.5 rides on the product's alpha, and the backward writes dq,
// dk, dv into one [B, L, 3·D] gradient. It saves the attention weights [B, H, L, L].
func (tp *Tape) selfAttention(qkv *Var, heads int) *Var {
	if qkv.Value.Rank() != 3 || heads <= 0 || qkv.Value.Dim(2)%(3*heads) != 0 {
		panic(fmt.Sprintf("nn: selfAttention: qkv %v with %d heads, want [B L 3·heads·hd]", qkv.Shape(), heads))
	}
	b, l, d := qkv.Value.Dim(0), qkv.Value.Dim(1), qkv.Value.Dim(2)/3
	h, hd := heads, qkv.Value.Dim(2)/(3*heads)
	scale := float32(1 / math.Sqrt(float64(hd)))
	qv := qkv.Value.Contiguous()
	dev := qv.Device()
	q, k, v := qkvViews(qv, h)

	s := tensor.New(dev, b, h, l, l)
	dev.MatMul(s, q, k, false, true, scale, 0)
	att := tensor.New(dev, b, h, l, l)
	dev.Softmax(att, s, 3)
	free(s)
	oh := tensor.New(dev, b, h, l, hd)
	dev.MatMul(oh, att, v, false, false, 1, 0)
	y := tensor.New(dev, b, l, d)
	dev.CopyStrided(y.Reshape(b, l, h, hd).Permute(0, 2, 1, 3), oh)
	free(oh)

	out := tp.result(y, qkv)
	rec := tp.needsGrad(qkv)
	tp.keepTemp(qv, qkv.Value, rec)
	tp.keepTemp(att, nil, rec)
	if !rec {
		return out
	}
	tp.record(func() {
		dy := out.Grad
		if dy == nil {
			return
		}
		do := dy.Reshape(b, l, h, hd).Permute(0, 2, 1, 3) // [B, H, L, hd] view
		dqkv := tensor.New(dev, b, l, 3*d)
		dq, dk, dv := qkvViews(dqkv, h)
		tmp := tensor.New(dev, b, h, l, hd)
		dev.MatMul(tmp, att, do, true, false, 1, 0) // dv = attᵀ·do
		dev.CopyStrided(dv, tmp)
		ds := tensor.New(dev, b, h, l, l)
		dev.MatMul(ds, do, v, false, true, 1, 0)       // d att = do·vᵀ
		dev.SoftmaxBackward(ds, ds, att, 3)            // d (scaled scores)
		dev.MatMul(tmp, ds, k, false, false, scale, 0) // dq = scale·ds·k
		dev.CopyStrided(dq, tmp)
		dev.MatMul(tmp, ds, q, true, false, scale, 0) // dk = scale·dsᵀ·q
		dev.CopyStrided(dk, tmp)
		free(tmp)
		free(ds)
		accumulate(qkv, dqkv)
	})
	return out
}
