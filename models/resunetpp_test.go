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
	fixtureBuilders["resunet++"] = func(c *fixture.Case) (nn.Module, error) {
		o, err := resUNetPPOptionsFromCase(c)
		if err != nil {
			return nil, err
		}
		return NewResUNetPlusPlus(o, tensor.NewRNG(1))
	}
	trainStepCases["resunetpp_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return resUNetPPTrainStep(2, []int{2, 1, 64, 64})
	}
	trainStepCases["resunetpp_3d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return resUNetPPTrainStep(3, []int{2, 1, 16, 32, 32})
	}
}

// resUNetPPTrainStep builds a ResUNet++ with feature maps [16, 32, 64, 128] and an MSE
// loss on a fixed random batch of the given shape.
func resUNetPPTrainStep(ndim int, shape []int) (nn.Module, func(tp *nn.Tape) *nn.Var) {
	rng := tensor.NewRNG(7)
	m, err := NewResUNetPlusPlus(UNetOptions{Ndim: ndim, FeatureMaps: []int{16, 32, 64, 128}}, rng)
	if err != nil {
		panic(err)
	}
	x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
	y := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
	return m, func(tp *nn.Tape) *nn.Var { return tp.MSELoss(m.Forward(tp, x), y) }
}

// resUNetPPOptionsFromCase translates a side-car's constructor_args (image_shape,
// activation, feature_maps, drop_values, normalization, k_size, upsample_layer,
// z_down, output_channels) and ndim.
func resUNetPPOptionsFromCase(c *fixture.Case) (UNetOptions, error) {
	var o UNetOptions
	shape, ok := c.Ints("image_shape", 0)
	if !ok || len(shape) < 3 {
		return o, fmt.Errorf("side-car image_shape %v", shape)
	}
	o.Ndim = len(shape) - 1
	if nd, ok := c.Int("ndim"); ok && nd != o.Ndim {
		return o, fmt.Errorf("side-car ndim %d but image_shape %v", nd, shape)
	}
	o.InChannels = shape[len(shape)-1]
	if oc, ok := c.Ints("output_channels", 0); ok {
		if len(oc) != 1 {
			return o, fmt.Errorf("output_channels %v: only one head is supported", oc)
		}
		o.OutChannels = oc[0]
	}
	o.FeatureMaps, _ = c.Ints("feature_maps", 0)
	if d, ok := c.Floats("drop_values", 0); ok {
		for _, v := range d {
			o.DropValues = append(o.DropValues, float32(v))
		}
	}
	o.Activation, _ = c.String("activation")
	o.Normalization, _ = c.String("normalization")
	o.KernelSize, _ = c.Int("k_size")
	o.UpsampleLayer, _ = c.String("upsample_layer")
	o.ZDown, _ = c.Ints("z_down", 0)
	return o, nil
}

func TestResUNetPlusPlusOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		o    UNetOptions
		want string
	}{
		{"se_too_narrow", UNetOptions{FeatureMaps: []int{8, 16, 32}}, "sqex_blocks.0"},
		{"drop", UNetOptions{FeatureMaps: []int{16, 32, 64}, DropValues: []float32{0.1}}, "drop values"},
		{"ndim", UNetOptions{Ndim: 1}, "ndim 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewResUNetPlusPlus(tc.o, tensor.NewRNG(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestResUNetPlusPlusVariants builds variants the fixtures do not cover (3-D with
// anisotropic pooling, upsampling instead of transposed convolutions, no
// normalisation, dropout, several channels), checks the state_dict structure they
// imply and runs a train-mode forward and backward.
func TestResUNetPlusPlusVariants(t *testing.T) {
	tests := []struct {
		name     string
		o        UNetOptions
		shape    []int
		wantKeys []string // must be present
		noKeys   []string // must be absent (substring)
	}{
		{"3d_aniso", UNetOptions{Ndim: 3, FeatureMaps: []int{16, 16, 32, 32}, ZDown: []int{1, 1, 2}},
			[]int{1, 1, 2, 8, 8}, []string{"up_path.1.up.weight", "attentions.0.conv_attn.2.weight"}, nil},
		{"upsampling_nonorm", UNetOptions{FeatureMaps: []int{16, 32, 32}, UpsampleLayer: "upsampling",
			Normalization: "none", Activation: "relu", InChannels: 2},
			[]int{1, 2, 8, 8}, []string{"down_path.1.block.1.block.0.weight", "aspp_bridge.aspp_block3.0.bias",
				"attentions.0.conv_attn.1.weight"}, []string{"up.weight", "running_mean"}},
		{"dropout_gn", UNetOptions{FeatureMaps: []int{16, 32, 64}, DropValues: []float32{0.2, 0.1, 0.3},
			Normalization: "gn", KernelSize: 5}, []int{2, 1, 8, 8},
			[]string{"down_path.1.block.0.weight", "down_path.0.shortcut.0.weight"}, []string{"running_var"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewResUNetPlusPlus(tc.o, tensor.NewRNG(2))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range m.Params() {
				names = append(names, p.Name)
			}
			for _, k := range tc.wantKeys {
				if !slices.Contains(names, k) {
					t.Errorf("missing key %s in %v", k, names)
				}
			}
			for _, k := range tc.noKeys {
				for _, n := range names {
					if strings.Contains(n, k) {
						t.Errorf("unexpected key %s", n)
					}
				}
			}
			nn.SetTraining(m, true)
			x := nn.NewLeaf(tensor.RandUniform(tensor.CPU{}, tensor.NewRNG(4), 0, 1, tc.shape...))
			tp := nn.NewTape()
			y := m.Forward(tp, x)
			want := append([]int{tc.shape[0], m.Opts.OutChannels}, tc.shape[2:]...)
			if !slices.Equal(y.Shape(), want) {
				t.Fatalf("output %v, want %v", y.Shape(), want)
			}
			tp.Backward(tp.Mean(tp.Square(y)))
			if x.Grad == nil {
				t.Fatal("no input gradient")
			}
			for _, p := range nn.Trainables(m.Params()) {
				if p.Grad == nil {
					t.Errorf("%s: no gradient", p.Name)
				}
			}
			nn.SetTraining(m, false)
			if ye := m.Forward(nil, nn.NewVar(x.Value)); !slices.Equal(ye.Shape(), want) {
				t.Errorf("eval output %v, want %v", ye.Shape(), want)
			}
		})
	}
}

// TestRPPAtrousConvCentreTap checks that the centre-tap shortcut of the ASPP
// convolution (taken along axes no longer than the dilation) gives the output and
// gradients of the full dilated convolution, on sizes where the full convolution
// still runs (dilation equal to the size).
func TestRPPAtrousConvCentreTap(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		rate  int
	}{
		{"2d_all_axes", []int{2, 3, 6, 6}, 6},
		{"2d_one_axis", []int{1, 2, 4, 9}, 4},
		{"3d_z_only", []int{1, 2, 3, 7, 8}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nd := len(tc.shape) - 2
			rng := tensor.NewRNG(5)
			conv := NewConvLayer(nn.ConvConfig{In: tc.shape[1], Out: 4, Dims: nd, Kernel: []int{3},
				Padding: []int{tc.rate}, Dilation: []int{tc.rate}}, InitDefault, rng)
			xv := tensor.RandUniform(tensor.CPU{}, rng, -1, 1, tc.shape...)
			run := func(fast bool) (y, gx, gw, gb *tensor.Tensor) {
				conv.W.ZeroGrad()
				conv.B.ZeroGrad()
				x := nn.NewLeaf(xv.Clone())
				tp := nn.NewTape()
				var out *nn.Var
				if fast {
					out = rppAtrousConv(tp, conv, x)
				} else {
					out = conv.Forward(tp, x)
				}
				tp.Backward(tp.Sum(tp.Square(out)))
				return out.Value, x.Grad, conv.W.Grad.Clone(), conv.B.Grad.Clone()
			}
			y0, gx0, gw0, gb0 := run(false)
			y1, gx1, gw1, gb1 := run(true)
			for _, c := range []struct {
				name      string
				got, want *tensor.Tensor
			}{{"output", y1, y0}, {"grad x", gx1, gx0}, {"grad w", gw1, gw0}, {"grad b", gb1, gb0}} {
				if ok, msg := closeEnough(c.got.Values(), c.want.Values(), 1e-5, 1e-5, false); !ok || !slices.Equal(c.got.Shape(), c.want.Shape()) {
					t.Errorf("%s %v (want %v): %s", c.name, c.got.Shape(), c.want.Shape(), msg)
				}
			}
		})
	}
}
