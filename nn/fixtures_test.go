package nn

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/tensor"
)

// TestLayerFixtures runs every case of the "layers" fixtures (PyTorch modules run by
// the generator) through the matching layer of this package: it builds the module from
// the side-car's hyper-parameters, loads param/* into it, runs the forward pass in the
// side-car's mode and the backward pass from grad/output, and compares output,
// grad/input, every grad/<param> and every updated/<buffer>. Nothing is hard-coded:
// the hidden fixture set has the same kinds of cases with other sizes and settings.
func TestLayerFixtures(t *testing.T) {
	cases, err := fixture.Load("layers")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			defer failOnPanic(t)
			switch c.Kind {
			case "layer":
				runLayerCase(t, c)
			case "loss":
				runLossCase(t, c)
			default:
				t.Fatalf("no handler for fixture kind %q (case %s)", c.Kind, c.Name)
			}
		})
	}
}

// fixtureTol returns the side-car's rtol and atol (the README's layer defaults when
// absent).
func fixtureTol(c *fixture.Case) (rtol, atol float64) {
	rtol, atol = c.RTol, c.ATol
	if rtol == 0 && atol == 0 {
		rtol, atol = 1e-4, 1e-5
	}
	return rtol, atol
}

// fixtureTensor returns the fixture tensor called name or fails the test.
func fixtureTensor(t *testing.T, c *fixture.Case, name string) *tensor.Tensor {
	t.Helper()
	x := c.Tensor(name)
	if x == nil {
		t.Fatalf("case %s has no tensor %q", c.Name, name)
	}
	return x
}

func runLossCase(t *testing.T, c *fixture.Case) {
	desc, _ := c.Meta["description"].(string)
	input, target := fixtureTensor(t, c, "input"), fixtureTensor(t, c, "target")
	if strings.Contains(desc, "reduction=") && !strings.Contains(desc, "reduction='mean'") {
		t.Fatalf("loss %q: only reduction='mean' is implemented", desc)
	}
	tp := NewTape()
	x := NewLeaf(input.Clone().To(testDevice))
	var loss *Var
	switch {
	case strings.HasPrefix(desc, "MSELoss"):
		loss = tp.MSELoss(x, NewVar(target.To(testDevice)))
	case strings.HasPrefix(desc, "L1Loss"):
		loss = tp.L1Loss(x, NewVar(target.To(testDevice)))
	default:
		t.Fatalf("no handler for loss %q", desc)
	}
	rtol, atol := fixtureTol(c)
	fixtureAllClose(t, "loss", loss.Value, fixtureTensor(t, c, "loss"), rtol, atol)
	tp.Backward(loss)
	fixtureAllClose(t, "grad/input", x.Grad, fixtureTensor(t, c, "grad/input"), rtol, atol)
	for name := range c.Tensors {
		if !slices.Contains([]string{"input", "target", "loss", "grad/input"}, name) {
			t.Errorf("fixture tensor %q is not checked by the loss handler", name)
		}
	}
}

func runLayerCase(t *testing.T, c *fixture.Case) {
	input := fixtureTensor(t, c, "input")
	a := newLayerArgs(t, c)
	m := buildLayer(t, a, input)

	// Load param/* into the module: both directions must match by name and shape.
	params := map[string]Param{}
	for _, p := range m.Params() {
		params[p.Name] = p
		want := c.Tensor("param/" + p.Name)
		if want == nil {
			t.Errorf("module entry %q %v has no param/%s in the fixture", p.Name, p.Shape(), p.Name)
			continue
		}
		if !p.Value.SameShape(want) {
			t.Fatalf("module entry %q has shape %v, fixture param/%s %v", p.Name, p.Shape(), p.Name, want.Shape())
		}
		p.Value.CopyFrom(want)
	}
	for name, v := range c.Tensors {
		key, ok := strings.CutPrefix(name, "param/")
		if !ok {
			continue
		}
		if _, ok := params[key]; !ok {
			t.Errorf("fixture %s %v has no module entry (module has %v)", name, v.Shape(), paramNameList(m.Params()))
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	switch mode, _ := c.Meta["mode"].(string); mode {
	case "train", "":
		SetTraining(m, true)
	case "eval":
		SetTraining(m, false)
	default:
		t.Fatalf("unknown side-car mode %q", mode)
	}
	// Parameters and buffers (BatchNorm running statistics included) go to the test
	// device; the params map holds the same Vars, so it sees the moved values.
	MoveTo(m, testDevice)

	rtol, atol := fixtureTol(c)
	tp := NewTape()
	x := NewLeaf(input.Clone().To(testDevice))
	out := m.Forward(tp, x)
	fixtureAllClose(t, "output", out.Value, fixtureTensor(t, c, "output"), rtol, atol)

	// Buffers: updated/* after a train forward, otherwise unchanged.
	for _, p := range m.Params() {
		if p.Kind != Buffer {
			continue
		}
		want := c.Tensor("updated/" + p.Name)
		if want == nil {
			want = c.Tensor("param/" + p.Name)
		}
		fixtureAllClose(t, "buffer "+p.Name, p.Value, want, rtol, atol)
	}

	tp.BackwardWith(out, fixtureTensor(t, c, "grad/output").To(testDevice))
	if x.Grad == nil {
		t.Errorf("grad/input: no gradient reached the input")
	} else {
		fixtureAllClose(t, "grad/input", x.Grad, fixtureTensor(t, c, "grad/input"), rtol, atol)
	}
	for name, want := range c.Tensors {
		var key string
		var ok bool
		switch {
		case name == "input" || name == "output" || name == "grad/output" || name == "grad/input":
			continue
		case strings.HasPrefix(name, "param/"):
			continue
		case strings.HasPrefix(name, "updated/"):
			key = strings.TrimPrefix(name, "updated/")
			if p, ok := params[key]; !ok || p.Kind != Buffer {
				t.Errorf("fixture %s: the module has no buffer %q", name, key)
			}
			continue
		}
		if key, ok = strings.CutPrefix(name, "grad/"); !ok {
			t.Errorf("fixture tensor %q is not checked by the layer handler", name)
			continue
		}
		p, ok := params[key]
		switch {
		case !ok:
			t.Errorf("fixture %s: the module has no entry %q", name, key)
		case p.Grad == nil:
			t.Errorf("%s: no gradient reached the module's %s", name, key)
		default:
			fixtureAllClose(t, name, p.Grad, want, rtol, atol)
		}
	}
	for _, p := range m.Params() {
		if p.Kind == Trainable && c.Tensor("grad/"+p.Name) == nil {
			t.Errorf("trainable %s has no grad/%s in the fixture", p.Name, p.Name)
		}
	}
}

// layerArgs holds a layer case's hyper-parameters: the side-car "config" overlaid on
// the keyword arguments printed in "torch_module".
type layerArgs struct {
	t     *testing.T
	class string // torch class without its 1d/2d/3d suffix ("Conv", "BatchNorm", "Block")
	dims  int    // spatial axes from the suffix (0 if none)
	args  map[string]any
	mod   string
}

var classRE = regexp.MustCompile(`^([A-Za-z]+)([123])d$`)

func newLayerArgs(t *testing.T, c *fixture.Case) *layerArgs {
	mod, _ := c.Meta["torch_module"].(string)
	name, rest, found := strings.Cut(mod, "(")
	if !found || name == "" {
		t.Fatalf("no handler for layer case %s: side-car torch_module %q", c.Name, mod)
	}
	a := &layerArgs{t: t, class: name, args: moduleKwargs(rest), mod: mod}
	if sm := classRE.FindStringSubmatch(name); sm != nil {
		a.class, a.dims = sm[1], int(sm[2][0]-'0')
	}
	for k, v := range c.Config() {
		a.args[k] = v
	}
	return a
}

// moduleKwargs parses the top-level keyword arguments of a one-line PyTorch module
// repr body ("3, 4, kernel_size=(3, 3), padding=same)") into JSON-like values
// (float64, []any, string, bool). Multi-line reprs (composites) give nothing.
func moduleKwargs(body string) map[string]any {
	out := map[string]any{}
	if strings.Contains(body, "\n") {
		return out
	}
	body = strings.TrimSuffix(strings.TrimSpace(body), ")")
	var parts []string
	depth, start := 0, 0
	for i, r := range body {
		switch r {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, body[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, body[start:])
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok {
			out[k] = reprValue(strings.TrimSpace(v))
		}
	}
	return out
}

// reprValue converts one Python repr value: a number, a tuple of numbers, True/False,
// None (nil) or a bare word.
func reprValue(s string) any {
	switch s {
	case "True":
		return true
	case "False":
		return false
	case "None":
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	if strings.HasPrefix(s, "(") || strings.HasPrefix(s, "[") {
		var list []any
		for _, e := range strings.Split(strings.Trim(s, "()[]"), ",") {
			if e = strings.TrimSpace(e); e != "" {
				list = append(list, reprValue(e))
			}
		}
		return list
	}
	return strings.Trim(s, `'"`)
}

func (a *layerArgs) has(key string) bool { _, ok := a.args[key]; return ok }

// ints returns key as n integers (one integer is repeated; n ≤ 0 accepts any length),
// or def when absent.
func (a *layerArgs) ints(key string, n int, def []int) []int {
	a.t.Helper()
	v, ok := a.args[key]
	if !ok || v == nil {
		return def
	}
	toInt := func(e any) int {
		f, ok := e.(float64)
		if !ok || f != math.Trunc(f) {
			a.t.Fatalf("config %s = %v: want integers", key, v)
		}
		return int(f)
	}
	if list, ok := v.([]any); ok {
		if n > 0 && len(list) == 1 {
			return slices.Repeat([]int{toInt(list[0])}, n)
		}
		if n > 0 && len(list) != n {
			a.t.Fatalf("config %s = %v: want %d values", key, v, n)
		}
		out := make([]int, len(list))
		for i, e := range list {
			out[i] = toInt(e)
		}
		return out
	}
	return slices.Repeat([]int{toInt(v)}, max(n, 1))
}

func (a *layerArgs) int(key string, def int) int {
	a.t.Helper()
	v := a.ints(key, 1, []int{def})
	return v[0]
}

// floats returns key as n numbers like ints.
func (a *layerArgs) floats(key string, n int, def []float64) []float64 {
	a.t.Helper()
	v, ok := a.args[key]
	if !ok || v == nil {
		return def
	}
	if f, ok := v.(float64); ok {
		return slices.Repeat([]float64{f}, max(n, 1))
	}
	list, ok := v.([]any)
	if !ok || (n > 0 && len(list) != n && len(list) != 1) {
		a.t.Fatalf("config %s = %v: want %d numbers", key, v, n)
	}
	out := make([]float64, len(list))
	for i, e := range list {
		if out[i], ok = e.(float64); !ok {
			a.t.Fatalf("config %s = %v: want numbers", key, v)
		}
	}
	if n > 0 && len(out) == 1 {
		out = slices.Repeat(out, n)
	}
	return out
}

func (a *layerArgs) float(key string, def float64) float64 {
	a.t.Helper()
	return a.floats(key, 1, []float64{def})[0]
}

func (a *layerArgs) bool(key string, def bool) bool {
	a.t.Helper()
	v, ok := a.args[key]
	if !ok || v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		a.t.Fatalf("config %s = %v: want a boolean", key, v)
	}
	return b
}

func (a *layerArgs) str(key, def string) string {
	a.t.Helper()
	v, ok := a.args[key]
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		a.t.Fatalf("config %s = %v: want a string", key, v)
	}
	return s
}

// require fails the case when key is present with a value other than want (an
// option this package does not implement).
func (a *layerArgs) require(key string, want any) {
	a.t.Helper()
	if v, ok := a.args[key]; ok && v != nil && fmt.Sprint(v) != fmt.Sprint(want) {
		a.t.Fatalf("%s: %s = %v is not supported (want %v)", a.class, key, v, want)
	}
}

// buildLayer returns the module a layer case describes, in the class's PyTorch
// default state apart from the hyper-parameters (param/* are loaded afterwards).
func buildLayer(t *testing.T, a *layerArgs, input *tensor.Tensor) Module {
	t.Helper()
	rng := tensor.NewRNG(1)
	spatial := input.Rank() - 2
	// BatchNorm1d also takes [N, C] (no spatial axis).
	if a.dims != 0 && a.dims != spatial && !(a.class == "BatchNorm" && a.dims == 1 && spatial == 0) {
		t.Fatalf("%s: input %v does not have %d spatial axes", a.mod, input.Shape(), a.dims)
	}
	channels := 0
	if input.Rank() >= 2 {
		channels = input.Dim(1)
	}
	switch a.class {
	case "Conv", "ConvTranspose":
		cfg := ConvConfig{
			In:       a.int("in_channels", channels),
			Out:      a.int("out_channels", 0),
			Dims:     spatial,
			Kernel:   a.ints("kernel_size", spatial, nil),
			Stride:   a.ints("stride", spatial, nil),
			Dilation: a.ints("dilation", spatial, nil),
			Groups:   a.int("groups", 1),
			NoBias:   !a.bool("bias", true),
		}
		a.require("padding_mode", "zeros")
		switch pad, isStr := a.args["padding"].(string); {
		case pad == "same":
			cfg.Same = true
		case isStr:
			t.Fatalf("%s: padding %q is not supported", a.mod, pad)
		default:
			cfg.Padding = a.ints("padding", spatial, nil)
		}
		if a.class == "Conv" {
			a.require("output_padding", 0)
			return NewConv(cfg, rng)
		}
		cfg.OutputPadding = a.ints("output_padding", spatial, nil)
		return NewConvTranspose(cfg, rng)
	case "Linear":
		return NewLinear(a.int("in_features", input.Dim(-1)), a.int("out_features", 0), a.bool("bias", true), rng)
	case "BatchNorm":
		if a.has("momentum") && a.args["momentum"] == nil {
			t.Fatalf("%s: momentum=None (cumulative average) is not supported", a.mod)
		}
		return NewBatchNorm(a.int("num_features", channels), BatchNormOptions{
			Eps:            float32(a.float("eps", 1e-5)),
			Momentum:       float32(a.float("momentum", 0.1)),
			NoAffine:       !a.bool("affine", true),
			NoRunningStats: !a.bool("track_running_stats", true),
		})
	case "InstanceNorm":
		a.require("track_running_stats", false)
		return NewInstanceNorm(a.int("num_features", channels), InstanceNormOptions{
			Eps: float32(a.float("eps", 1e-5)), Affine: a.bool("affine", false)})
	case "GroupNorm":
		return NewGroupNorm(a.int("num_groups", 0), a.int("num_channels", channels), NormOptions{
			Eps: float32(a.float("eps", 1e-5)), NoAffine: !a.bool("affine", true)})
	case "LayerNorm":
		shape := a.ints("normalized_shape", 0, []int{input.Dim(-1)})
		if len(shape) != 1 {
			t.Fatalf("%s: normalized_shape %v: only the last axis is supported", a.mod, shape)
		}
		return NewLayerNorm(shape[0], NormOptions{
			Eps: float32(a.float("eps", 1e-5)), NoAffine: !a.bool("elementwise_affine", true)})
	case "MaxPool", "AvgPool":
		k := a.ints("kernel_size", spatial, nil)
		stride := a.ints("stride", spatial, k)
		pad := a.ints("padding", spatial, nil)
		a.require("ceil_mode", false)
		if a.class == "MaxPool" {
			a.require("dilation", 1)
			a.require("return_indices", false)
			return MaxPool{Kernel: k, Stride: stride, Padding: pad}
		}
		a.require("count_include_pad", true)
		a.require("divisor_override", nil)
		return AvgPool{Kernel: k, Stride: stride, Padding: pad}
	case "AdaptiveAvgPool":
		for _, s := range a.ints("output_size", spatial, nil) {
			if s != 1 {
				t.Fatalf("%s: only output_size 1 is supported", a.mod)
			}
		}
		return GlobalAvgPool{}
	case "Upsample":
		if a.bool("align_corners", false) {
			t.Fatalf("%s: align_corners=True is not supported", a.mod)
		}
		if !a.has("scale_factor") {
			t.Fatalf("%s: Upsample needs scale_factor (size is not supported)", a.mod)
		}
		scales := a.floats("scale_factor", spatial, nil)
		switch mode := a.str("mode", "nearest"); mode {
		case "nearest":
			return NewUpsample(tensor.Nearest, scales...)
		case "linear", "bilinear", "trilinear":
			return NewUpsample(tensor.Linear, scales...)
		default:
			t.Fatalf("%s: mode %q is not supported", a.mod, mode)
		}
	case "PixelShuffle":
		return PixelShuffle{R: a.int("upscale_factor", 0)}
	case "Softmax":
		return Softmax{Axis: a.int("dim", -1)}
	case "GELU":
		a.require("approximate", "none")
		return GELU{}
	case "ELU":
		return ELU{Alpha: float32(a.float("alpha", 1))}
	case "ReLU":
		return ReLU{}
	case "LeakyReLU":
		return LeakyReLU{Slope: float32(a.float("negative_slope", 0.01))}
	case "Sigmoid":
		return Sigmoid{}
	case "Tanh":
		return Tanh{}
	case "SiLU":
		return SiLU{}
	case "Block":
		eps := 1e-5
		if sm := regexp.MustCompile(`eps=([0-9.eE+-]+)`).FindStringSubmatch(a.mod); sm != nil {
			eps, _ = strconv.ParseFloat(sm[1], 64)
		}
		return NewBlock(BlockOptions{
			Dim:       a.int("dim", input.Dim(-1)),
			Heads:     a.int("num_heads", 0),
			MLPRatio:  a.float("mlp_ratio", 4),
			NoQKVBias: !a.bool("qkv_bias", true),
			Eps:       float32(a.float("layernorm_eps", eps)),
		}, rng)
	}
	t.Fatalf("no handler for layer %q (torch_module %q)", a.class, a.mod)
	return nil
}

// fixtureAllClose fails t when got and want differ in shape or when some element violates
// |got−want| ≤ atol + rtol·|want| (NaN never passes); it reports the count and the
// worst element relative to its tolerance.
func fixtureAllClose(t *testing.T, name string, got, want *tensor.Tensor, rtol, atol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: missing (nil tensor), want %v", name, want.Shape())
		return
	}
	if !got.SameShape(want) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), want.Shape())
		return
	}
	g, w := got.Values(), want.Values()
	bad, worst, worstRatio := 0, -1, 0.0
	for i := range g {
		d := math.Abs(float64(g[i]) - float64(w[i]))
		tol := atol + rtol*math.Abs(float64(w[i]))
		ratio := d / tol
		if math.IsNaN(d) {
			ratio = math.Inf(1)
		}
		if ratio > 1 {
			bad++
		}
		if worst < 0 || ratio > worstRatio {
			worst, worstRatio = i, ratio
		}
	}
	if bad > 0 {
		idx := make([]int, got.Rank())
		for i, r := worst, got.Rank()-1; r >= 0; r-- {
			idx[r] = i % got.Dim(r)
			i /= got.Dim(r)
		}
		t.Errorf("%s %v: %d of %d elements differ; worst at %v: got %.7g, want %.7g (|diff| %.3g > atol %g + rtol %g·|want| = %.3g)",
			name, got.Shape(), bad, len(g), idx, g[worst], w[worst],
			math.Abs(float64(g[worst])-float64(w[worst])), atol, rtol, atol+rtol*math.Abs(float64(w[worst])))
	}
}
