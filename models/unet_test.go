package models

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

func init() {
	build := func(newModel func(UNetOptions, *tensor.RNG) (nn.Module, error)) func(c *fixture.Case) (nn.Module, error) {
		return func(c *fixture.Case) (nn.Module, error) {
			o, err := unetOptionsFromCase(c)
			if err != nil {
				return nil, err
			}
			return newModel(o, tensor.NewRNG(1))
		}
	}
	fixtureBuilders["unet"] = build(func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewUNet(o, r) })
	fixtureBuilders["seunet"] = build(func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewSEUNet(o, r) })
	fixtureBuilders["attention_unet"] = build(func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewAttentionUNet(o, r) })
	fixtureBuilders["resunet"] = build(func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewResUNet(o, r) })
	fixtureBuilders["resunet_se"] = build(func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewResUNetSE(o, r) })

	small := func(name string, ndim int, fm []int, newModel func(UNetOptions, *tensor.RNG) (nn.Module, error)) {
		trainStepCases[name] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
			rng := tensor.NewRNG(7)
			m, err := newModel(UNetOptions{Ndim: ndim, FeatureMaps: fm}, rng)
			if err != nil {
				panic(err)
			}
			shape := []int{2, 1, 64, 64}
			if ndim == 3 {
				shape = []int{2, 1, 16, 32, 32}
			}
			x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
			y := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
			return m, func(tp *nn.Tape) *nn.Var { return tp.MSELoss(m.Forward(tp, x), y) }
		}
	}
	for _, nd := range []int{2, 3} {
		sfx := fmt.Sprintf("_%dd", nd)
		small("unet"+sfx, nd, []int{8, 16, 32}, func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewUNet(o, r) })
		small("resunet"+sfx, nd, []int{8, 16, 32}, func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewResUNet(o, r) })
		small("attention_unet"+sfx, nd, []int{8, 16, 32}, func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewAttentionUNet(o, r) })
		small("seunet"+sfx, nd, []int{16, 32, 64}, func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewSEUNet(o, r) })
		small("resunet_se"+sfx, nd, []int{16, 32, 64}, func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewResUNetSE(o, r) })
	}
}

// unetOptionsFromCase translates a side-car's constructor_args (image_shape,
// activation, feature_maps, drop_values, normalization, k_size, upsample_layer,
// z_down, output_channels, isotropy, larger_io) and ndim into UNetOptions; keys that
// are absent keep the Go defaults.
func unetOptionsFromCase(c *fixture.Case) (UNetOptions, error) {
	var o UNetOptions
	if nd, ok := c.Int("ndim"); ok {
		o.Ndim = nd
	}
	if sh, ok := c.Ints("image_shape", 0); ok {
		if o.Ndim == 0 {
			o.Ndim = len(sh) - 1
		}
		o.InChannels = sh[len(sh)-1]
	}
	if oc, ok := c.Ints("output_channels", 0); ok {
		if len(oc) != 1 {
			return o, fmt.Errorf("output_channels %v: one head supported", oc)
		}
		o.OutChannels = oc[0]
	}
	if fm, ok := c.Ints("feature_maps", 0); ok {
		o.FeatureMaps = fm
	}
	if dv, ok := c.Floats("drop_values", len(o.FeatureMaps)); ok {
		for _, d := range dv {
			o.DropValues = append(o.DropValues, float32(d))
		}
	}
	o.Normalization, _ = c.String("normalization")
	o.Activation, _ = c.String("activation")
	o.UpsampleLayer, _ = c.String("upsample_layer")
	o.KernelSize, _ = c.Int("k_size")
	if z, ok := c.Ints("z_down", 0); ok {
		o.ZDown = z
	}
	if v, ok := c.Value("isotropy"); ok {
		switch v := v.(type) {
		case bool:
			o.Isotropy = slices.Repeat([]bool{v}, max(len(o.FeatureMaps), 1))
		case []any:
			for _, e := range v {
				b, _ := e.(bool)
				o.Isotropy = append(o.Isotropy, b)
			}
		}
	}
	o.LargerIO, _ = c.Bool("larger_io")
	return o, nil
}

// TestUNetOptionErrors checks that invalid options give errors naming the model and
// the problem.
func TestUNetOptionErrors(t *testing.T) {
	rng := tensor.NewRNG(1)
	cases := []struct {
		name  string
		build func() error
		want  string
	}{
		{"drop values", func() error {
			_, err := NewUNet(UNetOptions{FeatureMaps: []int{4, 8, 16}, DropValues: []float32{0, 0, 0, 0}}, rng)
			return err
		}, "UNet: 3 feature maps but 4 drop values"},
		{"z down", func() error {
			_, err := NewResUNet(UNetOptions{Ndim: 3, FeatureMaps: []int{4, 8, 16}, ZDown: []int{2, 3}}, rng)
			return err
		}, "ResUNet: z-down factors [2 3] must be 1 or 2"},
		{"norm", func() error {
			_, err := NewAttentionUNet(UNetOptions{Normalization: "ln"}, rng)
			return err
		}, `AttentionUNet: unknown normalisation "ln"`},
		{"activation", func() error {
			_, err := NewUNet(UNetOptions{Activation: "swoosh"}, rng)
			return err
		}, `unknown activation "swoosh"`},
		{"se width", func() error {
			_, err := NewSEUNet(UNetOptions{FeatureMaps: []int{4, 8, 16}}, rng)
			return err
		}, "SEUNet: feature maps [4 8 16]: squeeze-and-excitation needs at least 16"},
		{"gn groups", func() error {
			_, err := NewUNet(UNetOptions{FeatureMaps: []int{8, 16, 32}, Normalization: "gn"}, rng)
			return err
		}, "group norm (16 groups in 2D) over 8 channels"},
		{"attention gn gate", func() error {
			// psi's normalisation has one channel: BiaPy cannot build this either
			_, err := NewAttentionUNet(UNetOptions{FeatureMaps: []int{16, 32, 64}, Normalization: "gn"}, rng)
			return err
		}, "AttentionUNet: group norm (16 groups in 2D) over 1 channels"},
		{"upsample", func() error {
			_, err := NewResUNetSE(UNetOptions{UpsampleLayer: "pixelshuffle"}, rng)
			return err
		}, `ResUNetSE: upsample layer "pixelshuffle"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.build()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestUNetVariants runs forward and backward through configurations the fixtures do
// not cover (upsampling layer, other normalisations, dropout, anisotropic 3-D,
// larger I/O, ResUNet-SE) and checks output shapes, state_dict names and that every
// trainable parameter receives a gradient.
func TestUNetVariants(t *testing.T) {
	type ctor func(UNetOptions, *tensor.RNG) (nn.Module, error)
	unet := func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewUNet(o, r) }
	att := func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewAttentionUNet(o, r) }
	se := func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewSEUNet(o, r) }
	res := func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewResUNet(o, r) }
	resse := func(o UNetOptions, r *tensor.RNG) (nn.Module, error) { return NewResUNetSE(o, r) }
	cases := []struct {
		name  string
		new   ctor
		o     UNetOptions
		shape []int
		keys  []string // some expected state_dict keys
	}{
		{"unet_upsampling_in", unet, UNetOptions{FeatureMaps: []int{4, 8, 16}, UpsampleLayer: "upsampling", Normalization: "in", InChannels: 2},
			[]int{2, 2, 16, 16}, []string{"up_path.0.up.1.weight", "last_block.weight"}},
		{"attention_none_3d", att, UNetOptions{Ndim: 3, FeatureMaps: []int{4, 8, 16}, Normalization: "none", ZDown: []int{1, 2}, Activation: "relu"},
			[]int{1, 1, 4, 8, 8}, []string{"up_path.1.attention_gate.w_g.0.weight", "up_path.1.attention_gate.psi.0.bias"}},
		{"unet_gn_3d", unet, UNetOptions{Ndim: 3, FeatureMaps: []int{8, 16, 32}, Normalization: "gn", Activation: "gelu"},
			[]int{1, 1, 4, 8, 8}, []string{"down_path.0.block.0.block.1.weight", "up_path.0.up.1.bias"}},
		{"seunet_aniso_largerio_3d", se, UNetOptions{Ndim: 3, FeatureMaps: []int{16, 16, 32}, Isotropy: []bool{false, true, true}, LargerIO: true, DropValues: []float32{0.1, 0.1, 0.2}},
			[]int{2, 1, 4, 8, 8}, []string{"conv_in.block.0.weight", "conv_out.block.1.running_var", "down_path.0.block.1.block.4.excitation.2.weight"}},
		{"resunet_upsampling_none", res, UNetOptions{FeatureMaps: []int{4, 8, 16}, UpsampleLayer: "upsampling", Normalization: "none", Activation: "leaky_relu", LargerIO: true},
			[]int{2, 1, 16, 16}, []string{"conv_in.block.0.weight", "up_path.0.conv_block.shortcut.0.weight", "down_path.1.block.1.block.0.weight"}},
		{"resunet_se_3d", resse, UNetOptions{Ndim: 3, FeatureMaps: []int{16, 16, 32}, ZDown: []int{1, 2}},
			[]int{1, 1, 4, 8, 8}, []string{"down_path.0.pre_conv.0.block.0.weight", "down_path.1.pre_conv.0.weight", "down_path.1.pre_conv.2.block.0.weight",
				"bottleneck.block.1.block.0.weight", "bottleneck.se_block.excitation.0.weight", "up_path.0.conv_block.pre_conv.2.block.0.weight"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := tensor.NewRNG(3)
			m, err := tc.new(tc.o, rng)
			if err != nil {
				t.Fatal(err)
			}
			ps := m.Params()
			names := map[string]bool{}
			for _, p := range ps {
				if names[p.Name] {
					t.Errorf("duplicate key %s", p.Name)
				}
				names[p.Name] = true
			}
			for _, k := range tc.keys {
				if !names[k] {
					t.Errorf("missing key %s", k)
				}
			}
			nn.SetTraining(m, true)
			x := nn.NewLeaf(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, tc.shape...))
			tp := nn.NewTape()
			y := m.Forward(tp, x)
			want := tc.shape // output channels = input channels
			if !slices.Equal(y.Shape(), want) {
				t.Fatalf("output %v, want %v", y.Shape(), want)
			}
			tp.Backward(tp.Mean(tp.Square(y)))
			for _, p := range nn.Trainables(ps) {
				if p.Grad == nil {
					t.Errorf("no gradient for %s", p.Name)
				}
			}
			nn.SetTraining(m, false)
			ye := m.Forward(nil, nn.NewVar(x.Value))
			if !slices.Equal(ye.Shape(), want) {
				t.Fatalf("eval output %v, want %v", ye.Shape(), want)
			}
		})
	}
}
