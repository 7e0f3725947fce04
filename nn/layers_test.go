package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestFanInOut(t *testing.T) {
	cases := []struct {
		shape       []int
		fanIn, fanO int
	}{
		{[]int{24, 16}, 16, 24},         // Linear [out, in]
		{[]int{4, 3, 3, 3}, 27, 36},     // Conv2d [Cout, Cin, k, k]
		{[]int{6, 2, 3, 3, 3}, 54, 162}, // Conv3d groups 2
		{[]int{4, 3, 2, 2}, 12, 16},     // ConvTranspose2d [Cin, Cout, k, k]: dim 1
		{[]int{4, 3, 1, 2, 2}, 12, 16},  // ConvTranspose3d (1, 2, 2)
		{[]int{7}, 7, 7},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.shape), func(t *testing.T) {
			fi, fo := FanInOut(c.shape)
			if fi != c.fanIn || fo != c.fanO {
				t.Errorf("FanInOut(%v) = %d, %d, want %d, %d", c.shape, fi, fo, c.fanIn, c.fanO)
			}
		})
	}
}

func TestKaimingUniformBound(t *testing.T) {
	for _, fanIn := range []int{1, 9, 27, 768} {
		got := KaimingUniformBound(fanIn, math.Sqrt(5))
		want := 1 / math.Sqrt(float64(fanIn))
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("fan_in %d: bound %v, want 1/√fan_in = %v", fanIn, got, want)
		}
	}
	// a = 0 (He init for ReLU): √6/√fan_in.
	if got, want := KaimingUniformBound(6, 0), 1.0; math.Abs(got-want) > 1e-12 {
		t.Errorf("a=0, fan_in 6: bound %v, want %v", got, want)
	}
}

// checkUniformInit asserts that v lies in [−b, b], has mean ≈ 0 and variance ≈ b²/3.
func checkUniformInit(t *testing.T, name string, v []float32, b float64) {
	t.Helper()
	var s, s2 float64
	for _, x := range v {
		if math.Abs(float64(x)) > b {
			t.Fatalf("%s: value %v outside ±%v", name, x, b)
		}
		s += float64(x)
		s2 += float64(x) * float64(x)
	}
	n := float64(len(v))
	mean, variance := s/n, s2/n-(s/n)*(s/n)
	if se := b / math.Sqrt(3*n); math.Abs(mean) > 5*se {
		t.Errorf("%s: mean %v, want 0 ± %v", name, mean, 5*se)
	}
	if want := b * b / 3; math.Abs(variance-want) > 0.1*want {
		t.Errorf("%s: variance %v, want ≈ %v", name, variance, want)
	}
}

func TestDefaultInit(t *testing.T) {
	rng := tensor.NewRNG(1)
	lin := NewLinear(64, 200, true, rng)
	checkUniformInit(t, "Linear.weight", lin.W.Value.Values(), 1/8.0)
	checkUniformInit(t, "Linear.bias", lin.B.Value.Values(), 1/8.0)

	conv := NewConv(ConvConfig{In: 8, Out: 64, Kernel: []int{3}, Dims: 2, Groups: 2}, rng)
	if got, want := conv.W.Shape(), []int{64, 4, 3, 3}; !slices.Equal(got, want) {
		t.Fatalf("Conv weight %v, want %v", got, want)
	}
	checkUniformInit(t, "Conv.weight", conv.W.Value.Values(), 1/6.0) // fan_in 4·9 = 36
	if b := conv.B.Value.Values(); len(b) != 64 {
		t.Fatalf("Conv bias has %d values", len(b))
	}

	ct := NewConvTranspose(ConvConfig{In: 16, Out: 16, Kernel: []int{2, 2, 2}}, rng)
	if got, want := ct.W.Shape(), []int{16, 16, 2, 2, 2}; !slices.Equal(got, want) {
		t.Fatalf("ConvTranspose weight %v, want %v", got, want)
	}
	checkUniformInit(t, "ConvTranspose.weight", ct.W.Value.Values(), 1/math.Sqrt(128)) // (16/1)·8

	tn := TruncNormal(tensor.CPU{}, rng, 0, 0.02, -2, 2, 20000).Values()
	var s2 float64
	for _, x := range tn {
		if x < -2 || x > 2 {
			t.Fatalf("TruncNormal: %v outside [−2, 2]", x)
		}
		s2 += float64(x) * float64(x)
	}
	if std := math.Sqrt(s2 / float64(len(tn))); math.Abs(std-0.02) > 0.001 {
		t.Errorf("TruncNormal std %v, want 0.02", std)
	}
	xu := XavierUniform(tensor.CPU{}, rng, 1, 100, 50).Values()
	checkUniformInit(t, "XavierUniform", xu, math.Sqrt(6.0/150))
}

type wantParam struct {
	name  string
	shape []int
	kind  ParamKind
}

func TestParamNames(t *testing.T) {
	rng := tensor.NewRNG(2)
	cases := []struct {
		name string
		m    Module
		want []wantParam
	}{
		{"Linear", NewLinear(3, 5, true, rng), []wantParam{{"weight", []int{5, 3}, Trainable}, {"bias", []int{5}, Trainable}}},
		{"LinearNoBias", NewLinear(3, 5, false, rng), []wantParam{{"weight", []int{5, 3}, Trainable}}},
		{"Conv3dNoBias", NewConv(ConvConfig{In: 4, Out: 2, Kernel: []int{1, 3, 3}, NoBias: true}, rng),
			[]wantParam{{"weight", []int{2, 4, 1, 3, 3}, Trainable}}},
		{"ConvTranspose2d", NewConvTranspose(ConvConfig{In: 4, Out: 6, Kernel: []int{2}, Dims: 2, Groups: 2}, rng),
			[]wantParam{{"weight", []int{4, 3, 2, 2}, Trainable}, {"bias", []int{6}, Trainable}}},
		{"BatchNorm", NewBatchNorm(3, BatchNormOptions{}), []wantParam{
			{"weight", []int{3}, Trainable}, {"bias", []int{3}, Trainable},
			{"running_mean", []int{3}, Buffer}, {"running_var", []int{3}, Buffer},
			{"num_batches_tracked", []int{}, Buffer}}},
		{"BatchNormNoAffineNoStats", NewBatchNorm(3, BatchNormOptions{NoAffine: true, NoRunningStats: true}), nil},
		{"LayerNorm", NewLayerNorm(7, NormOptions{}), []wantParam{{"weight", []int{7}, Trainable}, {"bias", []int{7}, Trainable}}},
		{"GroupNorm", NewGroupNorm(2, 4, NormOptions{}), []wantParam{{"weight", []int{4}, Trainable}, {"bias", []int{4}, Trainable}}},
		{"InstanceNorm", NewInstanceNorm(4, InstanceNormOptions{}), nil},
		{"InstanceNormAffine", NewInstanceNorm(4, InstanceNormOptions{Affine: true}), []wantParam{{"weight", []int{4}, Trainable}, {"bias", []int{4}, Trainable}}},
		{"Sequential", NewSequential(NewConv(ConvConfig{In: 1, Out: 2, Kernel: []int{3, 3}}, rng), ReLU{}, NewBatchNorm(2, BatchNormOptions{})),
			[]wantParam{{"0.weight", []int{2, 1, 3, 3}, Trainable}, {"0.bias", []int{2}, Trainable},
				{"2.weight", []int{2}, Trainable}, {"2.bias", []int{2}, Trainable},
				{"2.running_mean", []int{2}, Buffer}, {"2.running_var", []int{2}, Buffer}, {"2.num_batches_tracked", []int{}, Buffer}}},
		{"Block", NewBlock(BlockOptions{Dim: 8, Heads: 2}, rng), []wantParam{
			{"norm1.weight", []int{8}, Trainable}, {"norm1.bias", []int{8}, Trainable},
			{"attn.qkv.weight", []int{24, 8}, Trainable}, {"attn.qkv.bias", []int{24}, Trainable},
			{"attn.proj.weight", []int{8, 8}, Trainable}, {"attn.proj.bias", []int{8}, Trainable},
			{"norm2.weight", []int{8}, Trainable}, {"norm2.bias", []int{8}, Trainable},
			{"mlp.fc1.weight", []int{32, 8}, Trainable}, {"mlp.fc1.bias", []int{32}, Trainable},
			{"mlp.fc2.weight", []int{8, 32}, Trainable}, {"mlp.fc2.bias", []int{8}, Trainable}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := c.m.Params()
			if len(ps) != len(c.want) {
				t.Fatalf("%d params, want %d: %v", len(ps), len(c.want), paramNameList(ps))
			}
			for i, p := range ps {
				w := c.want[i]
				if p.Name != w.name || !slices.Equal(p.Shape(), w.shape) || p.Kind != w.kind {
					t.Errorf("param %d: %s %v kind %d, want %s %v kind %d", i, p.Name, p.Shape(), p.Kind, w.name, w.shape, w.kind)
				}
			}
		})
	}
}

func paramNameList(ps []Param) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name)
	}
	return s
}

func TestBatchNormModes(t *testing.T) {
	// x: [2, 2, 3], channel 0 = 1..6, channel 1 = 2·(1..6).
	x := tensor.FromSlice([]float32{1, 2, 3, 2, 4, 6, 4, 5, 6, 8, 10, 12}, 2, 2, 3)
	bn := NewBatchNorm(2, BatchNormOptions{})
	y := bn.Forward(nil, NewVar(x)).Value.Values()
	// Channel 0 holds 1..6: mean 3.5, biased var 35/12, unbiased 3.5.
	if got, want := y[0], float32((1-3.5)/math.Sqrt(35.0/12+1e-5)); math.Abs(float64(got-want)) > 1e-5 {
		t.Errorf("train output[0] = %v, want %v", got, want)
	}
	rm, rv := bn.RunningMean.Value.Values(), bn.RunningVar.Value.Values()
	if math.Abs(float64(rm[0])-0.35) > 1e-6 || math.Abs(float64(rm[1])-0.7) > 1e-6 {
		t.Errorf("running_mean %v, want [0.35 0.7]", rm)
	}
	if math.Abs(float64(rv[0])-(0.9+0.35)) > 1e-5 || math.Abs(float64(rv[1])-(0.9+1.4)) > 1e-5 {
		t.Errorf("running_var %v, want [1.25 2.3]", rv)
	}
	if n := bn.NumBatchesTracked.Value.Item(); n != 1 {
		t.Errorf("num_batches_tracked %v after one train forward, want 1", n)
	}
	SetTraining(bn, false)
	y = bn.Forward(nil, NewVar(x)).Value.Values()
	if got, want := y[0], float32((1-0.35)/math.Sqrt(1.25+1e-5)); math.Abs(float64(got-want)) > 1e-5 {
		t.Errorf("eval output[0] = %v, want %v", got, want)
	}
	if n := bn.NumBatchesTracked.Value.Item(); n != 1 {
		t.Errorf("num_batches_tracked %v after an eval forward, want 1", n)
	}
	if rm2 := bn.RunningMean.Value.Values(); !slices.Equal(rm, rm2) {
		t.Errorf("eval forward changed running_mean %v → %v", rm, rm2)
	}
}

func TestSetTrainingAndTrainable(t *testing.T) {
	rng := tensor.NewRNG(3)
	bn := NewBatchNorm(2, BatchNormOptions{})
	do := NewDropout(0.5, rng)
	seq := NewSequential(NewConv(ConvConfig{In: 1, Out: 2, Kernel: []int{1, 1}}, rng), bn, NewSequential(do))
	SetTraining(seq, false)
	if bn.Training || do.Training {
		t.Fatalf("after SetTraining(false): BatchNorm %v, Dropout %v", bn.Training, do.Training)
	}
	x := tensor.RandNormal(tensor.CPU{}, rng, 0, 1, 1, 2, 3, 3)
	if got := do.Forward(nil, NewVar(x)).Value.Values(); !slices.Equal(got, x.Values()) {
		t.Errorf("eval Dropout is not the identity")
	}
	SetTraining(seq, true)
	if !bn.Training || !do.Training {
		t.Fatalf("after SetTraining(true): BatchNorm %v, Dropout %v", bn.Training, do.Training)
	}
	SetTrainable(seq, false)
	if n := len(Trainables(seq.Params())); n != 0 {
		t.Errorf("%d trainables after SetTrainable(false)", n)
	}
	SetTrainable(seq, true)
	if n := len(Trainables(seq.Params())); n != 4 {
		t.Errorf("%d trainables after SetTrainable(true), want 4", n)
	}
}

func TestConvLayerShapes(t *testing.T) {
	rng := tensor.NewRNG(4)
	cases := []struct {
		name    string
		m       Module
		in, out []int
	}{
		{"conv2d same", NewConv(ConvConfig{In: 2, Out: 3, Kernel: []int{3}, Dims: 2, Same: true}, rng), []int{1, 2, 6, 5}, []int{1, 3, 6, 5}},
		{"conv3d s2 p1", NewConv(ConvConfig{In: 2, Out: 3, Kernel: []int{3, 3, 3}, Stride: []int{2}, Padding: []int{1}}, rng), []int{1, 2, 5, 6, 7}, []int{1, 3, 3, 3, 4}},
		{"conv1d d2", NewConv(ConvConfig{In: 2, Out: 1, Kernel: []int{3}, Dilation: []int{2}}, rng), []int{2, 2, 9}, []int{2, 1, 5}},
		{"convT2d k3 s2 p1 op1", NewConvTranspose(ConvConfig{In: 2, Out: 3, Kernel: []int{3, 3}, Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{1}}, rng), []int{1, 2, 4, 3}, []int{1, 3, 8, 6}},
		{"convT3d 122", NewConvTranspose(ConvConfig{In: 2, Out: 3, Kernel: []int{1, 2, 2}, Stride: []int{1, 2, 2}}, rng), []int{1, 2, 2, 3, 4}, []int{1, 3, 2, 6, 8}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := tensor.RandNormal(tensor.CPU{}, rng, 0, 1, c.in...)
			if got := c.m.Forward(nil, NewVar(x)).Shape(); !slices.Equal(got, c.out) {
				t.Errorf("output %v, want %v", got, c.out)
			}
		})
	}
}

// TestAttentionReference checks Attention against a direct float64 evaluation of
// timm's formula, with the head split [q;k;v] × heads × head_dim.
func TestAttentionReference(t *testing.T) {
	rng := tensor.NewRNG(5)
	const b, l, d, h = 2, 5, 12, 3
	hd := d / h
	a := NewAttention(d, h, true, rng)
	x := tensor.RandNormal(tensor.CPU{}, rng, 0, 1, b, l, d)
	got := a.Forward(nil, NewVar(x)).Value.Values()

	xv, wq, bq := x.Values(), a.QKV.W.Value.Values(), a.QKV.B.Value.Values()
	wp, bp := a.Proj.W.Value.Values(), a.Proj.B.Value.Values()
	for n := range b {
		qkv := make([][]float64, l) // [l][3d]
		for i := range l {
			qkv[i] = make([]float64, 3*d)
			for o := range 3 * d {
				s := float64(bq[o])
				for k := range d {
					s += float64(wq[o*d+k]) * float64(xv[(n*l+i)*d+k])
				}
				qkv[i][o] = s
			}
		}
		cat := make([][]float64, l)
		for i := range cat {
			cat[i] = make([]float64, d)
		}
		for hh := range h {
			for i := range l {
				sc := make([]float64, l)
				mx := math.Inf(-1)
				for j := range l {
					for k := range hd {
						sc[j] += qkv[i][hh*hd+k] / math.Sqrt(float64(hd)) * qkv[j][d+hh*hd+k]
					}
					mx = math.Max(mx, sc[j])
				}
				z := 0.0
				for j := range sc {
					sc[j] = math.Exp(sc[j] - mx)
					z += sc[j]
				}
				for j := range l {
					for k := range hd {
						cat[i][hh*hd+k] += sc[j] / z * qkv[j][2*d+hh*hd+k]
					}
				}
			}
		}
		for i := range l {
			for o := range d {
				want := float64(bp[o])
				for k := range d {
					want += float64(wp[o*d+k]) * cat[i][k]
				}
				if g := float64(got[(n*l+i)*d+o]); math.Abs(g-want) > 1e-5+1e-4*math.Abs(want) {
					t.Fatalf("out[%d,%d,%d] = %v, want %v", n, i, o, g, want)
				}
			}
		}
	}
}

// TestBlockGradients checks the input gradient of a Block (attention, both norms and
// the MLP) against finite differences; the fixture test checks the parameter gradients.
func TestBlockGradients(t *testing.T) {
	rng := tensor.NewRNG(6)
	blk := NewBlock(BlockOptions{Dim: 8, Heads: 2, MLPRatio: 2, Eps: 1e-6}, rng)
	x := tensor.RandNormal(tensor.CPU{}, rng, 0, 1, 2, 3, 8)
	gradCheck(t, func(tp *Tape, in []*Var) *Var { return blk.Forward(tp, in[0]) },
		[]*tensor.Tensor{x}, gradCheckOpts{})
}
