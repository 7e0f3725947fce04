package models

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

func init() {
	fixtureBuilders["mae"] = func(c *fixture.Case) (nn.Module, error) { return maeFromCase(c) }
	fixtureRunners["mae"] = runMAEFixture
	trainStepCases["mae_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return maeTrainStep(MAEOptions{NDim: 2, ImgSize: 64, PatchSize: 8, MaskType: "random"})
	}
	trainStepCases["mae_3d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return maeTrainStep(MAEOptions{NDim: 3, ImgSize: 32, PatchSize: 4})
	}
}

// maeTrainStep returns a small MAE (embed 64, depth 2, decoder 32/1/4) and the masked
// loss of a fixed random batch of 2 with a fresh mask per step.
func maeTrainStep(o MAEOptions) (nn.Module, func(tp *nn.Tape) *nn.Var) {
	o.EmbedDim, o.Depth, o.Heads = 64, 2, 4
	o.DecoderDim, o.DecoderDepth, o.DecoderHeads = 32, 1, 4
	rng := tensor.NewRNG(7)
	m, err := NewMAE(o, rng)
	if err != nil {
		panic(err)
	}
	shape := []int{2, 1}
	for range o.NDim {
		shape = append(shape, o.ImgSize)
	}
	x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
	return m, func(tp *nn.Tape) *nn.Var {
		loss, _, _ := m.ForwardLoss(tp, x, nil)
		return loss
	}
}

var epsRE = regexp.MustCompile(`eps\s*=\s*([0-9.eE+-]+)`)

// maeOptionsFromCase translates a side-car's MaskedAutoencoderViT constructor_args.
func maeOptionsFromCase(c *fixture.Case) (MAEOptions, error) {
	var o MAEOptions
	ints := []struct {
		key string
		dst *int
	}{
		{"ndim", &o.NDim}, {"img_size", &o.ImgSize}, {"patch_size", &o.PatchSize},
		{"in_chans", &o.InChannels}, {"embed_dim", &o.EmbedDim}, {"depth", &o.Depth},
		{"num_heads", &o.Heads}, {"decoder_embed_dim", &o.DecoderDim},
		{"decoder_depth", &o.DecoderDepth}, {"decoder_num_heads", &o.DecoderHeads},
	}
	for _, f := range ints {
		v, ok := c.Int(f.key)
		if !ok {
			return o, fmt.Errorf("constructor_args: no integer %q", f.key)
		}
		*f.dst = v
	}
	var ok bool
	if o.MLPRatio, ok = c.Float("mlp_ratio"); !ok {
		return o, fmt.Errorf("constructor_args: no mlp_ratio")
	}
	if o.MaskType, ok = c.String("masking_type"); !ok {
		return o, fmt.Errorf("constructor_args: no masking_type")
	}
	if o.MaskRatio, ok = c.Float("mask_ratio"); !ok {
		return o, fmt.Errorf("constructor_args: no mask_ratio")
	}
	if npl, ok := c.Bool("norm_pix_loss"); ok {
		o.NormPixLoss = npl
	}
	if nl, ok := c.String("norm_layer"); ok {
		m := epsRE.FindStringSubmatch(nl)
		if m == nil {
			return o, fmt.Errorf("constructor_args: norm_layer %q without eps", nl)
		}
		eps, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return o, err
		}
		o.Eps = float32(eps)
	}
	return o, nil
}

func maeFromCase(c *fixture.Case) (*MAE, error) {
	o, err := maeOptionsFromCase(c)
	if err != nil {
		return nil, err
	}
	return NewMAE(o, tensor.NewRNG(1))
}

// caseMask returns the mask a fixture case was run with: random cases rebuild it from
// the stored noise (and check it against the stored mask), grid cases use the stored
// ids_keep, ids_restore and mask as given (BiaPy's 3-D quirk included).
func caseMask(t *testing.T, c *fixture.Case, m *MAE) *MAEMask {
	t.Helper()
	if noise := c.Tensor("mask_noise"); noise != nil {
		mask := RandomMask(noise, m.Options().MaskRatio)
		compareExact(t, "mask", mask.Mask, c.Tensor("mask"))
		compareExact(t, "ids_restore", mask.Restore, c.Tensor("ids_restore"))
		return mask
	}
	return NewMAEMask(c.Tensor("ids_keep"), c.Tensor("ids_restore"), c.Tensor("mask"))
}

// compareExact fails t unless got and want hold the same values.
func compareExact(t *testing.T, name string, got, want *tensor.Tensor) {
	t.Helper()
	if want == nil {
		t.Fatalf("fixture has no %s", name)
	}
	if got.Numel() != want.Numel() || !slices.Equal(got.Values(), want.Values()) {
		t.Errorf("%s: got %v %v, want %v %v", name, got.Shape(), got.Values(), want.Shape(), want.Values())
	}
}

// runMAEFixture checks pred, target, output, loss and every gradient of an MAE case.
func runMAEFixture(t *testing.T, c *fixture.Case) {
	m, err := maeFromCase(c)
	if err != nil {
		t.Fatalf("build mae: %v", err)
	}
	fr, fa, gr, ga := tolerances(c)
	ps := m.Params()
	loadFixtureParams(t, c, ps)
	nn.MoveTo(m, testDevice) // ps holds the same Vars: it sees the moved values
	mask := caseMask(t, c, m)
	x := nn.NewLeaf(c.Tensor("input").Clone().To(testDevice))
	tp := nn.NewTape()
	loss, pred, _ := m.ForwardLoss(tp, x, mask)
	compareFixture(t, c, "pred", pred.Value, fr, fa, false)
	compareFixture(t, c, "target", m.Patchify(nil, nn.NewVar(c.Tensor("input").To(testDevice))).Value, fr, fa, false)
	compareFixture(t, c, "output", m.Unpatchify(nil, pred).Value, fr, fa, false)
	compareFixture(t, c, "loss", loss.Value, fr, fa, false)
	tp.Backward(loss)
	compareFixture(t, c, "grad/input", x.Grad, gr, ga, true)
	for _, p := range ps {
		name := "grad/" + p.Name
		if c.Tensor(name) == nil {
			if p.Grad != nil {
				t.Errorf("%s: model computed a gradient the fixture does not have", name)
			}
			continue
		}
		compareFixture(t, c, name, p.Grad, gr, ga, true)
	}
}

// maeCases returns the MAE cases of a fixture directory with the given ndim and mask
// type ("" = any).
func maeCases(t *testing.T, sub string, ndim int, maskType string) []*fixture.Case {
	t.Helper()
	var out []*fixture.Case
	for _, c := range fixture.MustLoad(t, sub) {
		arch, _ := c.Meta["architecture"].(string)
		nd, _ := c.Int("ndim")
		mt, _ := c.String("masking_type")
		if arch == "mae" && nd == ndim && (maskType == "" || mt == maskType) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %dD %s MAE case in fixtures/%s", ndim, maskType, sub)
	}
	return out
}

func TestMAEZeroOptionsAreBiaPyDefaults(t *testing.T) {
	def := MAEOptions{}.withDefaults()
	if def.ImgSize != 256 || def.DecoderMLPDim != 2048 || def.MaskType != "grid" || def.MaskRatio != 0.5 {
		t.Errorf("MAEOptions{} = %+v, want image 256, decoder MLP 2048, grid, ratio 0.5", def)
	}
	for _, c := range maeCases(t, "defaults", 2, "") {
		t.Run(c.Name, func(t *testing.T) {
			want, err := maeOptionsFromCase(c)
			if err != nil {
				t.Fatal(err)
			}
			want = want.withDefaults()
			got := def
			got.ImgSize = want.ImgSize // DATA.PATCH_SIZE is the caller's
			if got != want {
				t.Errorf("MAEOptions{} = %+v, want %+v", got, want)
			}
		})
	}
}

func TestMAEOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    MAEOptions
	}{
		{"ndim", MAEOptions{NDim: 4}},
		{"patch", MAEOptions{ImgSize: 30, PatchSize: 8}},
		{"heads", MAEOptions{EmbedDim: 60, Heads: 8}},
		{"decoder heads", MAEOptions{DecoderDim: 30, DecoderHeads: 4}},
		{"mask type", MAEOptions{MaskType: "block"}},
		{"ratio", MAEOptions{MaskRatio: 1.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewMAE(tc.o, tensor.NewRNG(1)); err == nil {
				t.Errorf("NewMAE(%+v): no error", tc.o)
			}
		})
	}
}

// smallMAE returns a small random MAE and input for the unit tests below.
func smallMAE(t *testing.T, o MAEOptions) (*MAE, *tensor.Tensor) {
	t.Helper()
	o.EmbedDim, o.Depth, o.Heads = 16, 1, 2
	o.DecoderDim, o.DecoderDepth, o.DecoderHeads = 8, 1, 2
	rng := tensor.NewRNG(11)
	m, err := NewMAE(o, rng)
	if err != nil {
		t.Fatal(err)
	}
	o = m.Options()
	shape := []int{2, o.InChannels}
	for range o.NDim {
		shape = append(shape, o.ImgSize)
	}
	return m, tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...)
}

func TestMAEPatchifyOrder(t *testing.T) {
	for _, tc := range []MAEOptions{
		{NDim: 2, ImgSize: 8, PatchSize: 4, InChannels: 2},
		{NDim: 3, ImgSize: 4, PatchSize: 2, InChannels: 3},
	} {
		t.Run(fmt.Sprint(tc.NDim, "d"), func(t *testing.T) {
			m, x := smallMAE(t, tc)
			tok := m.Patchify(nil, nn.NewVar(x)).Value
			g, p, c := tc.ImgSize/tc.PatchSize, tc.PatchSize, tc.InChannels
			xv, tv := x.Values(), tok.Values()
			s := tc.ImgSize
			// Every pixel (n, ch, z, y, x) lands at token (z/p, y/p, x/p) raster and
			// within-token position ((z%p, y%p, x%p) raster)·C + ch.
			for i, v := range xv {
				coord := make([]int, tc.NDim)
				r := i
				for a := tc.NDim - 1; a >= 0; a-- {
					coord[a] = r % s
					r /= s
				}
				ch, n := r%c, r/c
				token, within := 0, 0
				for _, q := range coord {
					token = token*g + q/p
					within = within*p + q%p
				}
				if got := tv[(n*m.NumPatches()+token)*m.PatchDim()+within*c+ch]; got != v {
					t.Fatalf("pixel %d: token value %g, want %g", i, got, v)
				}
			}
			back := m.Unpatchify(nil, nn.NewVar(tok)).Value
			if !slices.Equal(back.Values(), xv) {
				t.Errorf("Unpatchify(Patchify(x)) != x")
			}
		})
	}
}

// hostLoss computes BiaPy's forward_loss in float64.
func hostLoss(pred, target, mask []float32, l, p int, normPix bool) float64 {
	var num, den float64
	for tkn := range len(mask) {
		tg := make([]float64, p)
		var mean, ss float64
		for j := range p {
			tg[j] = float64(target[tkn*p+j])
			mean += tg[j]
		}
		mean /= float64(p)
		for j := range p {
			ss += (tg[j] - mean) * (tg[j] - mean)
		}
		var e float64
		for j := range p {
			v := tg[j]
			if normPix {
				v = (v - mean) / math.Sqrt(ss/float64(p-1)+1e-6)
			}
			d := float64(pred[tkn*p+j]) - v
			e += d * d
		}
		num += e / float64(p) * float64(mask[tkn])
		den += float64(mask[tkn])
	}
	return num / den
}

func TestMAELoss(t *testing.T) {
	for _, normPix := range []bool{false, true} {
		t.Run(fmt.Sprint("norm_pix_", normPix), func(t *testing.T) {
			m, x := smallMAE(t, MAEOptions{NDim: 2, ImgSize: 16, PatchSize: 4, MaskType: "random", MaskRatio: 0.75, NormPixLoss: normPix})
			loss, pred, mask := m.ForwardLoss(nil, nn.NewVar(x), nil)
			target := m.Patchify(nil, nn.NewVar(x)).Value
			want := hostLoss(pred.Value.Values(), target.Values(), mask.Mask.Values(), m.NumPatches(), m.PatchDim(), normPix)
			if got := float64(loss.Value.Item()); math.Abs(got-want) > 1e-5*math.Abs(want) {
				t.Errorf("loss %g, want %g", got, want)
			}
			if mask.Kept() != 4 {
				t.Errorf("kept %d tokens, want 4", mask.Kept())
			}
		})
	}
}

func TestMAEEncodeAndForward(t *testing.T) {
	for _, o := range []MAEOptions{
		{NDim: 2, ImgSize: 16, PatchSize: 4},
		{NDim: 3, ImgSize: 8, PatchSize: 4, MaskType: "random"},
	} {
		t.Run(fmt.Sprint(o.NDim, "d"), func(t *testing.T) {
			m, x := smallMAE(t, o)
			n, l := x.Dim(0), m.NumPatches()
			enc := m.Encode(nil, nn.NewVar(x)).Value
			if want := []int{n, l + 1, 16}; !slices.Equal(enc.Shape(), want) {
				t.Fatalf("Encode shape %v, want %v", enc.Shape(), want)
			}
			// Unmasked encoding = the masked path with every token kept in order.
			all := make([]float32, 0, n*l)
			for range n {
				for i := range l {
					all = append(all, float32(i))
				}
			}
			ref := m.encode(nil, nn.NewVar(x), tensor.FromSlice(all, n, l)).Value
			if ok, msg := closeEnough(enc.Values(), ref.Values(), 1e-6, 1e-6, false); !ok {
				t.Errorf("Encode vs keep-all encoder: %s", msg)
			}
			xv := nn.NewLeaf(x.Clone())
			tp := nn.NewTape()
			y := m.Forward(tp, xv)
			if !y.Value.SameShape(x) {
				t.Fatalf("Forward shape %v, want %v", y.Shape(), x.Shape())
			}
			tp.Backward(tp.MSELoss(y, nn.NewVar(x)))
			if xv.Grad == nil || m.ClsToken.Grad == nil || m.PosEmbed.Grad != nil {
				t.Errorf("gradients: input %v cls %v pos_embed %v (want set, set, nil)",
					xv.Grad != nil, m.ClsToken.Grad != nil, m.PosEmbed.Grad != nil)
			}
			mi := m.MaskImage(m.NewMask(n).Mask)
			if !mi.SameShape(x) {
				t.Errorf("MaskImage shape %v, want %v", mi.Shape(), x.Shape())
			}
		})
	}
}

// TestMAENormPixLossGradient checks the input gradient of the norm_pix_loss path
// (which the fixtures, built with BiaPy's hard-coded False, do not cover) by central
// differences.
func TestMAENormPixLossGradient(t *testing.T) {
	m, x := smallMAE(t, MAEOptions{NDim: 2, ImgSize: 8, PatchSize: 4, MaskType: "random", NormPixLoss: true})
	mask := m.NewMask(x.Dim(0))
	xv := nn.NewLeaf(x.Clone())
	tp := nn.NewTape()
	loss, _, _ := m.ForwardLoss(tp, xv, mask)
	tp.Backward(loss)
	at := func(v []float32) float64 {
		l, _, _ := m.ForwardLoss(nil, nn.NewVar(tensor.FromSlice(v, x.Shape()...)), mask)
		return float64(l.Value.Item())
	}
	const h = 1e-2
	g := xv.Grad.Values()
	for _, i := range []int{0, 5, 17, 42, 63, 64, 100, 127} {
		v := slices.Clone(x.Values())
		v[i] += h
		up := at(v)
		v[i] -= 2 * h
		num := (up - at(v)) / (2 * h)
		if math.Abs(num-float64(g[i])) > 2e-3+2e-2*math.Abs(num) {
			t.Errorf("d loss/d x[%d] = %g, central difference %g", i, g[i], num)
		}
	}
}
