package models

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// Forward computes x: [N, C, S, S] (2-D) or [N, C, S, S, S] (3-D) → [N, OutChannels,
// *S] (train or eval mode as set by SetTraining; BatchNorm and Dropout only).
func (m *UNETR) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	o := m.Opts
	want := []int{o.InChannels}
	for range o.Dims {
		want = append(want, o.ImageSize)
	}
	if x.Value.Rank() != o.Dims+2 || !slices.Equal(x.Shape()[1:], want) {
		panic(fmt.Sprintf("models: UNETR.Forward: input %v, want [N %v]", x.Shape(), want))
	}
	n, e := x.Value.Dim(0), o.EmbedDim
	// Patch embedding: [N, E, g, …] → [N, L, E].
	t := tp.Trace("patch_embed", m.PatchEmbed.Forward(tp, x))
	l := t.Value.Numel() / (n * e)
	t = tp.Transpose(tp.Reshape(t, n, e, l), 1, 2)
	// Prepend the class token (broadcast over the batch) and add the positional embedding.
	cls := tp.Add(tp.Const(tensor.Zeros(x.Device(), n, 1, e)), m.ClsToken)
	t = tp.Add(tp.Concat(1, cls, t), m.PosEmbed)
	skips := make([]*nn.Var, 0, m.levels-1) // nearest level first, as BiaPy's insert(0, …)
	for i, b := range m.Blocks {
		t = tp.Trace(nn.PrefixIndex("blocks", i), b.Forward(tp, t))
		if (i+1)%o.HiddMult == 0 && (i+1)/o.HiddMult < m.levels {
			skips = append([]*nn.Var{tp.Slice(t, 1, 1, l+1)}, skips...)
		}
	}
	// CNN decoder.
	y := tp.Trace("bottleneck", m.Bottleneck.Forward(tp, m.projFeat(tp, tp.Slice(t, 1, 1, l+1))))
	for i := range m.MidBlue {
		z := tp.Trace(nn.PrefixIndex("mid_blue_block", i), m.MidBlue[i].Forward(tp, m.projFeat(tp, skips[i])))
		y = tp.Concat(1, y, z)
		y = tp.Trace(nn.PrefixIndex("two_yellow_layers", i), m.Yellow[i].Forward(tp, y))
		y = tp.Trace(nn.PrefixIndex("up_green_layers", i), m.UpGreen[i].Forward(tp, y))
	}
	k := len(m.Yellow)
	first := tp.Trace(nn.PrefixIndex("two_yellow_layers", k-2), m.Yellow[k-2].Forward(tp, x))
	y = tp.Concat(1, first, y)
	y = tp.Trace(nn.PrefixIndex("two_yellow_layers", k-1), m.Yellow[k-1].Forward(tp, y))
	return tp.Trace("last_block", m.LastBlock.Forward(tp, y))
}

// projFeat is BiaPy's proj_feat: tokens [N, L, E] → a feature map [N, E, g, g(, g)].
func (m *UNETR) projFeat(tp *nn.Tape, t *nn.Var) *nn.Var {
	n, e, g := t.Value.Dim(0), m.Opts.EmbedDim, m.grid
	if m.Opts.Dims == 3 {
		return tp.Contiguous(tp.Permute(tp.Reshape(t, n, g, g, g, e), 0, 4, 1, 2, 3))
	}
	return tp.Contiguous(tp.Permute(tp.Reshape(t, n, g, g, e), 0, 3, 1, 2))
}

// Params returns every state_dict entry in BiaPy's order: cls_token, pos_embed
// (frozen), patch_embed.proj.*, blocks.*, norm.*, bottleneck.weight, mid_blue_block.*,
// two_yellow_layers.*, up_green_layers.*, last_block.*.
func (m *UNETR) Params() []nn.Param {
	ps := []nn.Param{
		{Name: "cls_token", Var: m.ClsToken, Kind: nn.Trainable},
		{Name: "pos_embed", Var: m.PosEmbed, Kind: nn.Frozen},
	}
	ps = append(ps, nn.Prefixed("patch_embed.proj", m.PatchEmbed.Params())...)
	for i, b := range m.Blocks {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("blocks", i), b.Params())...)
	}
	ps = append(ps, nn.Prefixed("norm", m.Norm.Params())...)
	ps = append(ps, nn.Prefixed("bottleneck", m.Bottleneck.Params())...)
	for i, s := range m.MidBlue {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("mid_blue_block", i), s.Params())...)
	}
	for i, y := range m.Yellow {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("two_yellow_layers", i), y.Params())...)
	}
	for i, g := range m.UpGreen {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("up_green_layers", i), g.Params())...)
	}
	return append(ps, nn.Prefixed("last_block", m.LastBlock.Params())...)
}

// SetTraining switches the decoder's normalisation and dropout layers between training
// and eval mode (the ViT part has no mode-dependent layers).
func (m *UNETR) SetTraining(train bool) {
	for _, s := range m.MidBlue {
		s.SetTraining(train)
	}
	for _, y := range m.Yellow {
		y.SetTraining(train)
	}
}
