package models

import (
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// unetEncoder is an encoder or bottleneck block of a U-Net-family model.
type unetEncoder interface {
	Forward(tp *nn.Tape, x *nn.Var) *nn.Var
	Params() []nn.Param
	SetTraining(train bool)
}

// unetDecoder is a decoder block of a U-Net-family model: it upsamples x and merges
// the skip connection.
type unetDecoder interface {
	Forward(tp *nn.Tape, x, skip *nn.Var) *nn.Var
	Params() []nn.Param
	SetTraining(train bool)
}

// unetParts is the layout [UNet] and [ResUNet] share (same fields, same order, so
// each converts to and from its instance): optional "conv_in", encoder levels
// "down_path.<i>" each followed by max pooling, "bottleneck", decoder levels
// "up_path.<j>" (deepest first), optional "conv_out" and the 1×1 head "last_block".
type unetParts[D unetEncoder, U unetDecoder] struct {
	Opts       UNetOptions
	ConvIn     *ConvBlock
	Down       []D
	Bottleneck D
	Up         []U
	ConvOut    *ConvBlock
	Last       *nn.Conv
}

// unetBlocks make the blocks of one U-Net-family model for [buildUNet]: encoder level
// (also the bottleneck at level depth) from in to out channels, decoder level from in
// channels (the level below) to FeatureMaps[level].
type unetBlocks[D unetEncoder, U unetDecoder] struct {
	down       func(in, out, level int) (D, error)
	bottleneck func(in, out, level int) (D, error)
	up         func(in, level int) (U, error)
}

// buildUNet assembles a U-Net-family model from resolved options o in BiaPy's order
// (and rng draw order): conv_in (LargerIO), the encoder, the bottleneck, the decoder,
// conv_out (LargerIO) and the head. Errors are wrapped with the model name.
func buildUNet[D unetEncoder, U unetDecoder](o UNetOptions, name string, b unetBlocks[D, U], rng *tensor.RNG) (unetParts[D, U], error) {
	wrap := func(err error) error { return modelError(name, err) }
	m := unetParts[D, U]{Opts: o}
	var err error
	in := o.InChannels
	if o.LargerIO {
		m.ConvIn, err = NewConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: o.FeatureMaps[0],
			Kernel: o.kernel(o.KernelSize+2, o.Isotropy[0]), Act: o.Activation, Norm: o.Normalization, Init: InitXavier}, rng)
		if err != nil {
			return m, wrap(err)
		}
		in = o.FeatureMaps[0]
	}
	depth := len(o.FeatureMaps) - 1
	for i := range depth {
		d, err := b.down(in, o.FeatureMaps[i], i)
		if err != nil {
			return m, wrap(err)
		}
		m.Down = append(m.Down, d)
		in = o.FeatureMaps[i]
	}
	if m.Bottleneck, err = b.bottleneck(in, o.FeatureMaps[depth], depth); err != nil {
		return m, wrap(err)
	}
	in = o.FeatureMaps[depth]
	for i := depth - 1; i >= 0; i-- {
		u, err := b.up(in, i)
		if err != nil {
			return m, wrap(err)
		}
		m.Up = append(m.Up, u)
		in = o.FeatureMaps[i]
	}
	if o.LargerIO {
		m.ConvOut, err = NewConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: in,
			Kernel: o.kernel(o.KernelSize+2, o.Isotropy[0]), Act: o.Activation, Norm: o.Normalization, Init: InitXavier}, rng)
		if err != nil {
			return m, wrap(err)
		}
	}
	m.Last = NewConvLayer(nn.ConvConfig{In: in, Out: o.OutChannels, Dims: o.Ndim, Kernel: []int{1}, Same: true}, InitXavier, rng)
	return m, nil
}

// forward computes x: [N, InChannels, *s] → [N, OutChannels, *s], tracing each block
// output under its state_dict prefix (the caller checks x).
func (m unetParts[D, U]) forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	if m.ConvIn != nil {
		x = tp.Trace("conv_in", m.ConvIn.Forward(tp, x))
	}
	skips := make([]*nn.Var, len(m.Down))
	for i, d := range m.Down {
		x = tp.Trace(nn.PrefixIndex("down_path", i), d.Forward(tp, x))
		skips[i] = x
		f := m.Opts.poolFactors(i)
		x = tp.Trace(nn.PrefixIndex("mpooling_layers", i), tp.MaxPool(x, f, f, nil))
	}
	x = tp.Trace("bottleneck", m.Bottleneck.Forward(tp, x))
	for j, u := range m.Up {
		x = tp.Trace(nn.PrefixIndex("up_path", j), u.Forward(tp, x, skips[len(skips)-1-j]))
	}
	if m.ConvOut != nil {
		x = tp.Trace("conv_out", m.ConvOut.Forward(tp, x))
	}
	return tp.Trace("last_block", m.Last.Forward(tp, x))
}

// params returns the state_dict entries in BiaPy's registration order.
func (m unetParts[D, U]) params() []nn.Param {
	var ps []nn.Param
	if m.ConvIn != nil {
		ps = append(ps, nn.Prefixed("conv_in", m.ConvIn.Params())...)
	}
	for i, d := range m.Down {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("down_path", i), d.Params())...)
	}
	ps = append(ps, nn.Prefixed("bottleneck", m.Bottleneck.Params())...)
	for j, u := range m.Up {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("up_path", j), u.Params())...)
	}
	if m.ConvOut != nil {
		ps = append(ps, nn.Prefixed("conv_out", m.ConvOut.Params())...)
	}
	return append(ps, nn.Prefixed("last_block", m.Last.Params())...)
}

// setTraining puts every normalisation and dropout layer in training (true) or eval
// mode.
func (m unetParts[D, U]) setTraining(train bool) {
	if m.ConvIn != nil {
		m.ConvIn.SetTraining(train)
	}
	for _, d := range m.Down {
		d.SetTraining(train)
	}
	m.Bottleneck.SetTraining(train)
	for _, u := range m.Up {
		u.SetTraining(train)
	}
	if m.ConvOut != nil {
		m.ConvOut.SetTraining(train)
	}
}
