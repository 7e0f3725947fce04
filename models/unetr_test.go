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
	fixtureBuilders["unetr"] = func(c *fixture.Case) (nn.Module, error) {
		o, err := unetrOptionsFromCase(c)
		if err != nil {
			return nil, err
		}
		return NewUNETR(o, tensor.NewRNG(1))
	}
	trainStepCases["unetr_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return unetrTrainStep(UNETROptions{Dims: 2, ImageSize: 64, PatchSize: 16, EmbedDim: 96, Depth: 6, NumHeads: 4, NumFilters: 8, HiddMult: 2}, 2)
	}
	trainStepCases["unetr_3d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return unetrTrainStep(UNETROptions{Dims: 3, ImageSize: 32, PatchSize: 8, EmbedDim: 96, Depth: 4, NumHeads: 4, NumFilters: 8, HiddMult: 2}, 2)
	}
}

// unetrTrainStep builds a UNETR and an MSE loss to a fixed random target on a fixed
// random batch of n.
func unetrTrainStep(o UNETROptions, n int) (nn.Module, func(tp *nn.Tape) *nn.Var) {
	rng := tensor.NewRNG(7)
	m, err := NewUNETR(o, rng)
	if err != nil {
		panic(err)
	}
	o = m.Opts
	shape := []int{n, o.InChannels}
	for range o.Dims {
		shape = append(shape, o.ImageSize)
	}
	x := nn.NewVar(nn.Uniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
	shape[1] = o.OutChannels
	y := nn.NewVar(nn.Uniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
	return m, func(tp *nn.Tape) *nn.Var { return tp.MSELoss(m.Forward(tp, x), y) }
}

// unetrOptionsFromCase translates a side-car's UNETR constructor_args.
func unetrOptionsFromCase(c *fixture.Case) (UNETROptions, error) {
	in, ok := c.Ints("input_shape", 0)
	if !ok || len(in) < 3 {
		return UNETROptions{}, fmt.Errorf("bad input_shape")
	}
	for _, s := range in[1 : len(in)-1] {
		if s != in[0] {
			return UNETROptions{}, fmt.Errorf("input_shape %v is not cubic", in)
		}
	}
	o := UNETROptions{Dims: len(in) - 1, ImageSize: in[0], InChannels: in[len(in)-1]}
	ints := map[string]*int{"patch_size": &o.PatchSize, "embed_dim": &o.EmbedDim, "depth": &o.Depth,
		"num_heads": &o.NumHeads, "num_filters": &o.NumFilters, "ViT_hidd_mult": &o.HiddMult, "k_size": &o.KernelSize}
	for k, p := range ints {
		v, ok := c.Int(k)
		if !ok {
			return o, fmt.Errorf("constructor_args has no integer %s", k)
		}
		*p = v
	}
	if v, ok := c.Float("mlp_ratio"); ok {
		o.MLPRatio = v
	}
	if v, ok := c.Ints("output_channels", 0); ok && len(v) > 0 {
		o.OutChannels = v[0]
	}
	o.DecoderActivation, _ = c.String("decoder_activation")
	o.Normalization, _ = c.String("normalization")
	if v, ok := c.Float("dropout"); ok {
		o.Dropout = float32(v)
	} else if vs, ok := c.Floats("dropout", 0); ok {
		for _, d := range vs {
			o.DropoutLevels = append(o.DropoutLevels, float32(d))
		}
	}
	return o, nil
}

func TestUNETRDefaults(t *testing.T) {
	m, err := NewUNETR(UNETROptions{}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	// BiaPy v3.5.13 defaults (fixtures/defaults/unetr_2d.json).
	if got := nn.CountParams(m.Params()); got != 87441857 {
		t.Errorf("default UNETR has %d parameters, want 87441857", got)
	}
	o := m.Opts
	if o.ImageSize != 256 || o.PatchSize != 16 || o.EmbedDim != 768 || o.Depth != 12 || o.NumHeads != 12 ||
		o.NumFilters != 16 || o.HiddMult != 3 || o.NormEps != 1e-5 || o.OutChannels != 1 {
		t.Errorf("defaults %+v", o)
	}
}

func TestUNETRPresets(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    UNETROptions
		e, h int
	}{
		{"mini", UNETRMini(2, 64, 1), 192, 3},
		{"small", UNETRSmall(3, 32, 2), 384, 6},
		{"base", UNETRBase(2, 32, 1), 768, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewUNETR(tc.o, tensor.NewRNG(1))
			if err != nil {
				t.Fatal(err)
			}
			if m.Opts.EmbedDim != tc.e || m.Opts.NumHeads != tc.h || len(m.Blocks) != 12 {
				t.Errorf("options %+v", m.Opts)
			}
			if got := m.LastBlock.W.Shape()[0]; got != tc.o.InChannels {
				t.Errorf("%d output channels, want %d", got, tc.o.InChannels)
			}
		})
	}
}

func TestUNETRInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    UNETROptions
		want string
	}{
		{"dims", UNETROptions{Dims: 4}, "spatial dims"},
		{"patch not power of two", UNETROptions{PatchSize: 12, ImageSize: 48}, "power of two"},
		{"image not multiple", UNETROptions{PatchSize: 16, ImageSize: 40}, "multiple of patch"},
		{"heads", UNETROptions{EmbedDim: 100, NumHeads: 12}, "heads"},
		{"depth too small", UNETROptions{Depth: 6, HiddMult: 3}, "depth"},
		{"dropout levels", UNETROptions{DropoutLevels: []float32{0, 0}}, "dropout values"},
		{"activation", UNETROptions{DecoderActivation: "swoosh"}, "activation"},
		{"normalization", UNETROptions{Normalization: "ln"}, "normalization"},
		{"gn groups", UNETROptions{Normalization: "gn", NumFilters: 4, ImageSize: 32, PatchSize: 4, EmbedDim: 8, NumHeads: 2, Depth: 3}, "groups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewUNETR(tc.o, tensor.NewRNG(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "models: UNETR") {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestUNETRVariants runs small UNETRs with every normalisation, dropout and a
// non-default activation in both modes, checking output shapes, that every trainable
// parameter but the unused final LayerNorm gets a gradient, and that eval mode is
// deterministic.
func TestUNETRVariants(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    UNETROptions
	}{
		{"2d_in_dropout", UNETROptions{Dims: 2, ImageSize: 16, InChannels: 2, PatchSize: 4, EmbedDim: 16, Depth: 2, NumHeads: 2, NumFilters: 4, HiddMult: 1, Normalization: "in", Dropout: 0.2}},
		{"3d_gn_elu", UNETROptions{Dims: 3, ImageSize: 8, PatchSize: 4, EmbedDim: 16, Depth: 1, NumHeads: 2, NumFilters: 8, HiddMult: 1, Normalization: "gn", DecoderActivation: "elu"}},
		{"2d_none_levels", UNETROptions{Dims: 2, ImageSize: 8, PatchSize: 8, EmbedDim: 8, Depth: 4, NumHeads: 1, NumFilters: 2, HiddMult: 2, Normalization: "none", DropoutLevels: []float32{0.1, 0, 0.3}, OutChannels: 3}},
		{"2d_patch2", UNETROptions{Dims: 2, ImageSize: 8, PatchSize: 2, EmbedDim: 8, Depth: 1, NumHeads: 2, NumFilters: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod, loss := unetrTrainStep(tc.o, 2)
			m := mod.(*UNETR)
			tp := nn.NewTape()
			l := loss(tp)
			tp.Backward(l)
			for _, p := range m.Params() {
				unused := strings.HasPrefix(p.Name, "norm.")
				switch {
				case p.Kind == nn.Trainable && !unused && p.Grad == nil:
					t.Errorf("%s: no gradient", p.Name)
				case (p.Kind != nn.Trainable || unused) && p.Grad != nil:
					t.Errorf("%s: unexpected gradient", p.Name)
				}
			}
			o := m.Opts
			shape := []int{2, o.InChannels}
			for range o.Dims {
				shape = append(shape, o.ImageSize)
			}
			x := nn.NewVar(nn.Uniform(tensor.CPU{}, tensor.NewRNG(5), 0, 1, shape...))
			y := m.Forward(nil, x)
			shape[1] = o.OutChannels
			if !slices.Equal(y.Shape(), shape) {
				t.Fatalf("output %v, want %v", y.Shape(), shape)
			}
			nn.SetTraining(m, false)
			a, b := m.Forward(nil, x).Value.Values(), m.Forward(nil, x).Value.Values()
			if !slices.Equal(a, b) {
				t.Errorf("eval mode is not deterministic")
			}
		})
	}
}

// BenchmarkNewUNETR measures building BiaPy's default (87M-parameter) UNETR.
func BenchmarkNewUNETR(b *testing.B) {
	for b.Loop() {
		if _, err := NewUNETR(UNETROptions{}, tensor.NewRNG(1)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUNETRInit checks BiaPy's initialisation against the fixtures' freshly built
// PyTorch parameters: constant tensors (zero cls_token, pos_embed and biases, LayerNorm
// and BatchNorm 1/0) must be equal, and uniform ones (Xavier Linear/Conv, default
// ConvTranspose) must reach the same bound.
func TestUNETRInit(t *testing.T) {
	for _, c := range fixture.MustLoad(t, "models") {
		if arch, _ := c.Meta["architecture"].(string); arch != "unetr" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			m, err := fixtureBuilders["unetr"](c)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range m.Params() {
				want := c.Tensor("param/" + p.Name)
				if want == nil {
					t.Fatalf("fixture has no param/%s", p.Name)
				}
				w, g := want.Values(), p.Value.Values()
				wlo, whi := slices.Min(w), slices.Max(w)
				glo, ghi := slices.Min(g), slices.Max(g)
				switch {
				case wlo == whi:
					if glo != wlo || ghi != whi {
						t.Errorf("%s: values in [%g, %g], want all %g", p.Name, glo, ghi, wlo)
					}
				case len(w) >= 256:
					wb, gb := max(-wlo, whi), max(-glo, ghi)
					if gb < 0.95*wb || gb > 1.05*wb {
						t.Errorf("%s: bound %g, want about %g", p.Name, gb, wb)
					}
				}
			}
		})
	}
}
