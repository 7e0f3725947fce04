package models

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// MAEOptions configure [NewMAE], BiaPy's MaskedAutoencoderViT as build_model creates
// it. The zero value of every field is BiaPy's default.
type MAEOptions struct {
	NDim       int // PROBLEM.NDIM: 2 or 3; 0 means 2
	ImgSize    int // DATA.PATCH_SIZE[0], the side S of the square/cubic input; 0 means 256
	PatchSize  int // MODEL.VIT_TOKEN_SIZE, the token side p (must divide S); 0 means 16
	InChannels int // DATA.PATCH_SIZE[-1], input (and output) channels C; 0 means 1
	EmbedDim   int // MODEL.VIT_EMBED_DIM, encoder width D; 0 means 768
	Depth      int // MODEL.VIT_NUM_LAYERS, encoder blocks; 0 means 12
	Heads      int // MODEL.VIT_NUM_HEADS, encoder heads (must divide D); 0 means 12
	// MLPRatio is MODEL.VIT_MLP_RATIO: the encoder MLP hidden size is int(D·MLPRatio),
	// and the decoder's too unless DecoderMLPDim is set; 0 means 4.
	MLPRatio float64
	// Decoder sizes (SPEC Part A item 3; BiaPy hard-codes its defaults 512/8/16).
	DecoderDim    int // MODEL.MAE_DEC_HIDDEN_SIZE; 0 means 512
	DecoderDepth  int // MODEL.MAE_DEC_NUM_LAYERS; 0 means 8
	DecoderHeads  int // MODEL.MAE_DEC_NUM_HEADS (must divide DecoderDim); 0 means 16
	DecoderMLPDim int // MODEL.MAE_DEC_MLP_DIMS; 0 means int(DecoderDim·MLPRatio) (2048)
	// Eps of every LayerNorm; 0 means 1e-6 (BiaPy passes partial(nn.LayerNorm, eps=1e-6);
	// MODEL.VIT_NORM_EPS).
	Eps float32
	// MaskType is MODEL.MAE_MASK_TYPE: "grid" (checkerboard) or "random"; "" means grid.
	MaskType string
	// MaskRatio is MODEL.MAE_MASK_RATIO, the fraction of tokens hidden by random
	// masking (grid ignores it); 0 means 0.5. Must be in (0, 1].
	MaskRatio float64
	// NormPixLoss standardises each target token by its mean and unbiased variance
	// (+1e-6) before the loss (BiaPy's norm_pix_loss, hard-coded False there).
	NormPixLoss bool
}

// withDefaults returns o with every zero field replaced by BiaPy's default.
func (o MAEOptions) withDefaults() MAEOptions {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.NDim, 2)
	def(&o.ImgSize, 256)
	def(&o.PatchSize, 16)
	def(&o.InChannels, 1)
	def(&o.EmbedDim, 768)
	def(&o.Depth, 12)
	def(&o.Heads, 12)
	def(&o.DecoderDim, 512)
	def(&o.DecoderDepth, 8)
	def(&o.DecoderHeads, 16)
	if o.MLPRatio == 0 {
		o.MLPRatio = 4
	}
	def(&o.DecoderMLPDim, int(float64(o.DecoderDim)*o.MLPRatio))
	if o.Eps == 0 {
		o.Eps = 1e-6
	}
	if o.MaskType == "" {
		o.MaskType = "grid"
	}
	if o.MaskRatio == 0 {
		o.MaskRatio = 0.5
	}
	return o
}

// validate returns an error for options BiaPy would reject or could not build.
func (o MAEOptions) validate() error {
	switch {
	case o.NDim != 2 && o.NDim != 3:
		return fmt.Errorf("models: MAE: ndim %d, want 2 or 3", o.NDim)
	case o.ImgSize < 0 || o.PatchSize < 0 || o.ImgSize%o.PatchSize != 0:
		return fmt.Errorf("models: MAE: token size %d does not divide image size %d", o.PatchSize, o.ImgSize)
	case o.InChannels < 0 || o.Depth < 0 || o.DecoderDepth < 0 || o.DecoderMLPDim < 0 || o.MLPRatio < 0:
		return fmt.Errorf("models: MAE: negative size in %+v", o)
	case o.EmbedDim <= 0 || o.Heads <= 0 || o.EmbedDim%o.Heads != 0:
		return fmt.Errorf("models: MAE: embed dim %d not divisible by %d heads", o.EmbedDim, o.Heads)
	case o.DecoderDim <= 0 || o.DecoderHeads <= 0 || o.DecoderDim%o.DecoderHeads != 0:
		return fmt.Errorf("models: MAE: decoder dim %d not divisible by %d heads", o.DecoderDim, o.DecoderHeads)
	case int(float64(o.EmbedDim)*o.MLPRatio) <= 0 || o.DecoderMLPDim <= 0:
		return fmt.Errorf("models: MAE: MLP ratio %g gives an empty MLP", o.MLPRatio)
	case o.MaskType != "grid" && o.MaskType != "random":
		return fmt.Errorf("models: MAE: mask type %q, want grid or random", o.MaskType)
	case o.MaskRatio < 0 || o.MaskRatio > 1:
		return fmt.Errorf("models: MAE: mask ratio %g outside [0, 1]", o.MaskRatio)
	}
	return nil
}

// MAE is BiaPy's MaskedAutoencoderViT (He et al. 2021), 2-D or 3-D: a ViT encoder
// over the visible tokens of a masked image and a light ViT decoder that predicts the
// pixels of every token. For x: [N, C, S, S(, S)] with L = (S/p)^ndim tokens of
// P = p^ndim·C values, [MAE.ForwardLoss] returns the masked-token MSE loss, the
// prediction [N, L, P] and the mask [N, L]. State_dict entries, in BiaPy's order:
// cls_token [1,1,D], pos_embed [1,L+1,D] (frozen), mask_token [1,1,Dd],
// decoder_pos_embed [1,L+1,Dd] (frozen), patch_embed.proj.*, blocks.i.*, norm.*,
// decoder_embed.*, decoder_blocks.i.*, decoder_norm.*, decoder_pred.*.
type MAE struct {
	ClsToken        *nn.Var       // [1, 1, D], trainable
	PosEmbed        *nn.Var       // [1, L+1, D], frozen
	MaskToken       *nn.Var       // [1, 1, Dd], trainable
	DecoderPosEmbed *nn.Var       // [1, L+1, Dd], frozen
	PatchEmbed      *nn.Conv      // "patch_embed.proj": C → D, kernel = stride = p
	Blocks          []*nn.Block   // encoder blocks ("blocks.i")
	Norm            *nn.LayerNorm // encoder final norm ("norm")
	DecoderEmbed    *nn.Linear    // D → Dd ("decoder_embed")
	DecoderBlocks   []*nn.Block   // decoder blocks ("decoder_blocks.i")
	DecoderNorm     *nn.LayerNorm // ("decoder_norm")
	DecoderPred     *nn.Linear    // Dd → P ("decoder_pred")
	// MaskRNG draws the random masks of [MAE.NewMask] (seeded from NewMAE's rng).
	MaskRNG *tensor.RNG

	opts                                                      MAEOptions
	ndim, imgSize, patch, grid, inChans, numPatches, patchDim int
}

// NewMAE builds the MAE with BiaPy's initialisation drawn from rng: pos_embed and
// decoder_pos_embed trunc-normal(0.02) (frozen), the patch-embedding weight
// Xavier-uniform on its [D, C·p^ndim] view (bias: PyTorch's conv default), cls and
// mask tokens N(0, 0.02), every Linear Xavier-uniform with zero bias, every LayerNorm
// weight 1 and bias 0.
func NewMAE(o MAEOptions, rng *tensor.RNG) (*MAE, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	g := o.ImgSize / o.PatchSize
	m := &MAE{opts: o, ndim: o.NDim, imgSize: o.ImgSize, patch: o.PatchSize, grid: g, inChans: o.InChannels}
	m.numPatches, m.patchDim = 1, o.InChannels
	for range o.NDim {
		m.numPatches *= g
		m.patchDim *= o.PatchSize
	}
	dev := tensor.CPU{}
	l, d, dd := m.numPatches, o.EmbedDim, o.DecoderDim
	// Draw order follows BiaPy's initialize_weights (the streams differ from PyTorch's).
	m.PosEmbed = nn.NewVar(nn.TruncNormal(dev, rng, 0, 0.02, -2, 2, 1, l+1, d))
	m.DecoderPosEmbed = nn.NewVar(nn.TruncNormal(dev, rng, 0, 0.02, -2, 2, 1, l+1, dd))
	kernel := make([]int, o.NDim)
	for i := range kernel {
		kernel[i] = o.PatchSize
	}
	fanIn := m.patchDim
	m.PatchEmbed = &nn.Conv{
		W:    nn.NewLeaf(xavierUniform(rng, fanIn, d, append([]int{d, o.InChannels}, kernel...)...)),
		B:    nn.NewLeaf(nn.DefaultBias(dev, rng, fanIn, d)),
		Opts: nn.ConvOptions{Stride: kernel},
	}
	m.ClsToken = nn.NewLeaf(nn.Normal(dev, rng, 0, 0.02, 1, 1, d))
	m.MaskToken = nn.NewLeaf(nn.Normal(dev, rng, 0, 0.02, 1, 1, dd))
	for range o.Depth {
		m.Blocks = append(m.Blocks, newMAEBlock(d, o.Heads, int(float64(d)*o.MLPRatio), o.Eps, rng))
	}
	m.Norm = nn.NewLayerNorm(d, nn.NormOptions{Eps: o.Eps})
	m.DecoderEmbed = xavierLinear(d, dd, rng)
	for range o.DecoderDepth {
		m.DecoderBlocks = append(m.DecoderBlocks, newMAEBlock(dd, o.DecoderHeads, o.DecoderMLPDim, o.Eps, rng))
	}
	m.DecoderNorm = nn.NewLayerNorm(dd, nn.NormOptions{Eps: o.Eps})
	m.DecoderPred = xavierLinear(dd, m.patchDim, rng)
	m.MaskRNG = tensor.NewRNG(rng.Uint64())
	return m, nil
}

// xavierUniform returns a CPU tensor of the given shape drawn from U(±√(6/(fanIn+fanOut)))
// (torch.nn.init.xavier_uniform_), filled in one loop (no per-element closure: the
// default model has 111 M parameters).
func xavierUniform(rng *tensor.RNG, fanIn, fanOut int, shape ...int) *tensor.Tensor {
	n := 1
	for _, s := range shape {
		n *= s
	}
	b := math.Sqrt(6 / float64(fanIn+fanOut))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(b * (2*rng.Float64() - 1))
	}
	return tensor.FromSlice(v, shape...)
}

// xavierLinear returns a Linear in → out with a Xavier-uniform weight and zero bias
// (MAE's _init_weights).
func xavierLinear(in, out int, rng *tensor.RNG) *nn.Linear {
	return &nn.Linear{W: nn.NewLeaf(xavierUniform(rng, in, out, out, in)), B: nn.NewLeaf(tensor.Zeros(tensor.CPU{}, out))}
}

// newMAEBlock returns a timm Block (qkv bias, LayerNorm eps) with MAE's init.
func newMAEBlock(dim, heads, hidden int, eps float32, rng *tensor.RNG) *nn.Block {
	ln := nn.NormOptions{Eps: eps}
	return &nn.Block{
		Norm1: nn.NewLayerNorm(dim, ln),
		Attn:  &nn.Attention{QKV: xavierLinear(dim, 3*dim, rng), Proj: xavierLinear(dim, dim, rng), Heads: heads},
		Norm2: nn.NewLayerNorm(dim, ln),
		MLP:   &nn.MLP{FC1: xavierLinear(dim, hidden, rng), FC2: xavierLinear(hidden, dim, rng)},
	}
}

// Options returns the options the model was built with, defaults filled in.
func (m *MAE) Options() MAEOptions { return m.opts }

// NumPatches returns the number of tokens L = (S/p)^ndim.
func (m *MAE) NumPatches() int { return m.numPatches }

// PatchDim returns the values per token P = p^ndim·C (the width of pred).
func (m *MAE) PatchDim() int { return m.patchDim }

// Params returns the state_dict entries in BiaPy's registration order.
func (m *MAE) Params() []nn.Param {
	ps := []nn.Param{
		{Name: "cls_token", Var: m.ClsToken},
		{Name: "pos_embed", Var: m.PosEmbed, Kind: nn.Frozen},
		{Name: "mask_token", Var: m.MaskToken},
		{Name: "decoder_pos_embed", Var: m.DecoderPosEmbed, Kind: nn.Frozen},
	}
	ps = append(ps, nn.Prefixed("patch_embed.proj", m.PatchEmbed.Params())...)
	for i, b := range m.Blocks {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("blocks", i), b.Params())...)
	}
	ps = append(ps, nn.Prefixed("norm", m.Norm.Params())...)
	ps = append(ps, nn.Prefixed("decoder_embed", m.DecoderEmbed.Params())...)
	for i, b := range m.DecoderBlocks {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("decoder_blocks", i), b.Params())...)
	}
	ps = append(ps, nn.Prefixed("decoder_norm", m.DecoderNorm.Params())...)
	return append(ps, nn.Prefixed("decoder_pred", m.DecoderPred.Params())...)
}

// NewMask returns a mask for a batch of n samples of the model's type: the fixed
// [GridMask], or a [DrawRandomMask] from m.MaskRNG with the model's ratio.
func (m *MAE) NewMask(n int) *MAEMask {
	if m.opts.MaskType == "random" {
		return DrawRandomMask(m.MaskRNG, n, m.numPatches, m.opts.MaskRatio)
	}
	return GridMask(m.ndim, m.grid, n)
}

// ForwardLoss is BiaPy's forward for training: x: [N, C, S, S(, S)] → the 0-d loss
// (mean over tokens with mask 1 of the per-token MSE between pred and Patchify(x)),
// pred: [N, L, P] and the mask used. A nil mask draws one with [MAE.NewMask].
func (m *MAE) ForwardLoss(tp *nn.Tape, x *nn.Var, mask *MAEMask) (loss, pred *nn.Var, used *MAEMask) {
	m.checkImage("ForwardLoss", x)
	n := x.Value.Dim(0)
	if mask == nil {
		mask = m.NewMask(n)
	}
	if mask.Restore.Dim(0) != n || mask.Len() != m.numPatches || mask.Kept() > m.numPatches {
		panic(fmt.Sprintf("models: MAE.ForwardLoss: mask keep %v restore %v for input %v (L = %d)",
			mask.Keep.Shape(), mask.Restore.Shape(), x.Shape(), m.numPatches))
	}
	dev := x.Value.Device()
	keep, restore, mk := maskOn(tp, mask.Keep, dev), maskOn(tp, mask.Restore, dev), maskOn(tp, mask.Mask, dev)
	latent := m.encode(tp, x, keep)
	pred = m.decode(tp, latent, restore)
	lossMask := nn.NewVar(mk)
	if mk != mask.Mask && tp != nil {
		lossMask = tp.Const(mk) // the copy: not a leaf, so Reset frees it
	}
	loss = m.loss(tp, x, pred, lossMask)
	if tp == nil { // inference: nothing reads the copies any more
		freeMaskCopies(dev, mask, keep, restore, mk)
	}
	return loss, pred, mask
}

// maskOn returns the mask tensor t on dev. A copy (t lives on another device) is a
// tape constant, freed by the tape's next Reset; on a nil tape the caller frees it
// with freeMaskCopies.
func maskOn(tp *nn.Tape, t *tensor.Tensor, dev tensor.Device) *tensor.Tensor {
	c := t.To(dev)
	if c != t && tp != nil {
		tp.Const(c)
	}
	return c
}

// freeMaskCopies frees the copies that maskOn made of mask's tensors on a nil tape.
func freeMaskCopies(dev tensor.Device, mask *MAEMask, keep, restore, mk *tensor.Tensor) {
	for i, c := range []*tensor.Tensor{keep, restore, mk} {
		if c != []*tensor.Tensor{mask.Keep, mask.Restore, mask.Mask}[i] {
			dev.Free(c.Buffer())
		}
	}
}

// Forward makes the MAE an [nn.Module]: it masks x: [N, C, S, S(, S)] with a fresh
// [MAE.NewMask], runs encoder and decoder, and returns the reconstruction
// Unpatchify(pred): [N, C, S, S(, S)] (what BiaPy's metrics and test phase compare
// with the input). The masked loss is not computed: train with [MAE.ForwardLoss].
func (m *MAE) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	m.checkImage("Forward", x)
	mask := m.NewMask(x.Value.Dim(0))
	dev := x.Value.Device()
	keep, restore := maskOn(tp, mask.Keep, dev), maskOn(tp, mask.Restore, dev)
	out := m.Unpatchify(tp, m.decode(tp, m.encode(tp, x, keep), restore))
	if tp == nil {
		freeMaskCopies(dev, mask, keep, restore, mask.Mask)
	}
	return out
}

// Encode is the unmasked encoder for downstream use: x: [N, C, S, S(, S)] →
// [N, L+1, D] (the cls token first, then every token in raster order, after the
// final norm).
func (m *MAE) Encode(tp *nn.Tape, x *nn.Var) *nn.Var {
	m.checkImage("Encode", x)
	return m.encode(tp, x, nil)
}

// broadcastBatch returns v: [1, K, D] repeated to [n, K, D] (differentiable).
func broadcastBatch(tp *nn.Tape, v *nn.Var, n int) *nn.Var {
	if n == 1 {
		return v
	}
	s := v.Shape()
	return tp.Add(v, tp.Const(tensor.Zeros(v.Value.Device(), n, s[1], s[2])))
}

// encode runs forward_encoder: patch embedding + pos_embed[1:], the tokens of keep
// ([N, K] indices; nil keeps all), cls_token + pos_embed[0] prepended, the blocks and
// the norm: → [N, K+1, D].
func (m *MAE) encode(tp *nn.Tape, x *nn.Var, keep *tensor.Tensor) *nn.Var {
	n := x.Value.Dim(0)
	h := tp.Trace("patch_embed", m.patchEmbed(tp, x))
	h = tp.Add(h, tp.Slice(m.PosEmbed, 1, 1, m.numPatches+1))
	if keep != nil {
		h = tp.Gather(h, keep)
	}
	cls := tp.Add(m.ClsToken, tp.Slice(m.PosEmbed, 1, 0, 1))
	h = tp.Concat(1, broadcastBatch(tp, cls, n), h)
	for i, b := range m.Blocks {
		h = tp.Trace(nn.PrefixIndex("blocks", i), b.Forward(tp, h))
	}
	return tp.Trace("norm", m.Norm.Forward(tp, h))
}

// decode runs forward_decoder: latent [N, K+1, D] → pred [N, L, P], with restore
// [N, L] putting visible tokens and mask tokens back in raster order.
func (m *MAE) decode(tp *nn.Tape, latent *nn.Var, restore *tensor.Tensor) *nn.Var {
	n, k := latent.Value.Dim(0), latent.Value.Dim(1)-1
	h := tp.Trace("decoder_embed", m.DecoderEmbed.Forward(tp, latent))
	tokens := tp.Slice(h, 1, 1, k+1)
	if miss := m.numPatches - k; miss > 0 {
		mt := m.MaskToken
		if s := mt.Shape(); s[1] != miss || n != 1 {
			mt = tp.Add(mt, tp.Const(tensor.Zeros(mt.Value.Device(), n, miss, s[2])))
		}
		tokens = tp.Concat(1, tokens, mt)
	}
	tokens = tp.Gather(tokens, restore)
	h = tp.Concat(1, tp.Slice(h, 1, 0, 1), tokens)
	h = tp.Add(h, m.DecoderPosEmbed)
	for i, b := range m.DecoderBlocks {
		h = tp.Trace(nn.PrefixIndex("decoder_blocks", i), b.Forward(tp, h))
	}
	h = tp.Trace("decoder_norm", m.DecoderNorm.Forward(tp, h))
	h = tp.Trace("decoder_pred", m.DecoderPred.Forward(tp, h))
	return tp.Slice(h, 1, 1, m.numPatches+1)
}
