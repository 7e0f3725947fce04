package models

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// fixtureBuilders builds the model of a fixture case from its side-car
// (architecture, ndim, constructor_args), keyed by the side-car's "architecture".
// Each architecture's test file registers its builder in an init function. The same
// builders serve models/ (small sizes) and defaults/ (BiaPy's full-size defaults).
var fixtureBuilders = map[string]func(c *fixture.Case) (nn.Module, error){}

// fixtureRunners replaces the generic model check for architectures whose forward
// pass differs (the MAE returns loss, prediction and mask), keyed like fixtureBuilders.
var fixtureRunners = map[string]func(t *testing.T, c *fixture.Case){}

// TestModelFixtures runs every case under fixtures/models: parameter names and shapes
// in both directions, train-mode output, MSE loss, every gradient, the updated
// BatchNorm buffers and the eval-mode output.
func TestModelFixtures(t *testing.T) {
	for _, c := range fixture.MustLoad(t, "models") {
		t.Run(c.Name, func(t *testing.T) {
			defer failOnPanic(t)
			arch, _ := c.Meta["architecture"].(string)
			if run, ok := fixtureRunners[arch]; ok {
				run(t, c)
				return
			}
			build, ok := fixtureBuilders[arch]
			if !ok {
				t.Fatalf("no builder for architecture %q (case %s)", arch, c.Name)
			}
			m, err := build(c)
			if err != nil {
				t.Fatalf("build %s: %v", arch, err)
			}
			runModelFixture(t, c, m)
		})
	}
}

// TestDefaultFixtures checks that each model built from BiaPy's default constructor
// arguments has exactly BiaPy's state_dict: every key, its shape, and the parameter count.
func TestDefaultFixtures(t *testing.T) {
	for _, c := range fixture.MustLoad(t, "defaults") {
		t.Run(c.Name, func(t *testing.T) {
			arch, _ := c.Meta["architecture"].(string)
			build, ok := fixtureBuilders[arch]
			if !ok {
				t.Fatalf("no builder for architecture %q (case %s)", arch, c.Name)
			}
			m, err := build(c)
			if err != nil {
				t.Fatalf("build %s: %v", arch, err)
			}
			checkStateDictSpec(t, c, m.Params())
		})
	}
}

// checkStateDictSpec compares params with a defaults side-car's "state_dict" list of
// {key, shape, kind} entries and its parameter counts.
func checkStateDictSpec(t *testing.T, c *fixture.Case, ps []nn.Param) {
	t.Helper()
	entries, ok := c.Meta["state_dict"].([]any)
	if !ok {
		t.Fatalf("side-car has no state_dict list")
	}
	got := map[string]nn.Param{}
	for _, p := range ps {
		got[p.Name] = p
	}
	want := map[string]bool{}
	for _, e := range entries {
		em, _ := e.(map[string]any)
		key, _ := em["key"].(string)
		want[key] = true
		p, ok := got[key]
		if !ok {
			t.Errorf("missing state_dict key %s", key)
			continue
		}
		var shape []int
		if sh, ok := em["shape"].([]any); ok {
			for _, d := range sh {
				shape = append(shape, int(d.(float64)))
			}
		}
		if !slices.Equal(p.Shape(), shape) && !(len(shape) == 0 && p.Value.Numel() == 1) {
			t.Errorf("%s: shape %v, want %v", key, p.Shape(), shape)
		}
	}
	for _, p := range ps {
		if !want[p.Name] {
			t.Errorf("unexpected state_dict key %s %v", p.Name, p.Shape())
		}
	}
	if n, ok := c.Meta["num_parameters"].(float64); ok {
		if got := nn.CountParams(ps); got != int(n) {
			t.Errorf("parameter count %d, want %d", got, int(n))
		}
	}
	if n, ok := c.Meta["num_trainable_parameters"].(float64); ok {
		got := 0
		for _, p := range ps {
			if p.Kind == nn.Trainable {
				got += p.Value.Numel()
			}
		}
		if got != int(n) {
			t.Errorf("trainable parameter count %d, want %d", got, int(n))
		}
	}
}

// loadFixtureParams copies every "param/<key>" tensor of c into the module parameter
// of that name, failing on missing or unexpected names and on shape mismatches.
func loadFixtureParams(t *testing.T, c *fixture.Case, ps []nn.Param) {
	t.Helper()
	byName := map[string]nn.Param{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	seen := map[string]bool{}
	for name, v := range c.Tensors {
		key, ok := strings.CutPrefix(name, "param/")
		if !ok {
			continue
		}
		seen[key] = true
		p, ok := byName[key]
		if !ok {
			t.Errorf("fixture parameter %s %v has no model parameter", key, v.Shape())
			continue
		}
		if p.Value.Numel() != v.Numel() || (v.Rank() > 0 && !p.Value.SameShape(v)) {
			t.Errorf("parameter %s: model shape %v, fixture %v", key, p.Shape(), v.Shape())
			continue
		}
		p.Value.CopyFrom(v.To(p.Value.Device()).Reshape(p.Shape()...))
	}
	for _, p := range ps {
		if !seen[p.Name] {
			t.Errorf("model parameter %s %v is not in the fixture", p.Name, p.Shape())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// closeEnough reports whether got matches want elementwise within rtol/atol, or, when
// normRel is set, with a norm-relative error ‖got−want‖/‖want‖ below 1e-3 (the
// fixtures' rule for gradients with near-zero entries).
func closeEnough(got, want []float32, rtol, atol float64, normRel bool) (ok bool, msg string) {
	if len(got) != len(want) {
		return false, fmt.Sprintf("%d values, want %d", len(got), len(want))
	}
	worst, at := 0.0, -1
	var num, den float64
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		d := math.Abs(g - w)
		num += d * d
		den += w * w
		if math.IsNaN(g) {
			d = math.Inf(1)
		}
		if d > atol+rtol*math.Abs(w) && (at < 0 || d > worst) {
			worst, at = d, i
		}
	}
	if at < 0 {
		return true, ""
	}
	rel := math.Sqrt(num / math.Max(den, 1e-30))
	if normRel && rel < 1e-3 {
		return true, ""
	}
	return false, fmt.Sprintf("element %d = %g, want %g (|diff| %.3g; atol %g rtol %g; norm-relative error %.3g)",
		at, got[at], want[at], worst, atol, rtol, rel)
}

// compareFixture fails t when got differs from the fixture tensor name.
func compareFixture(t *testing.T, c *fixture.Case, name string, got *tensor.Tensor, rtol, atol float64, normRel bool) {
	t.Helper()
	want := c.Tensor(name)
	if want == nil {
		t.Errorf("fixture has no tensor %q", name)
		return
	}
	if got == nil {
		t.Errorf("%s: no value computed (gradient never reached it?)", name)
		return
	}
	if want.Numel() != got.Numel() || (want.Rank() > 0 && !want.SameShape(got)) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), want.Shape())
		return
	}
	if ok, msg := closeEnough(got.Values(), want.Values(), rtol, atol, normRel); !ok {
		t.Errorf("%s %v: %s", name, want.Shape(), msg)
	}
}

// tolerances returns the forward and gradient tolerances of a model case.
func tolerances(c *fixture.Case) (fr, fa, gr, ga float64) {
	fr, fa, gr, ga = 1e-3, 1e-4, 1e-3, 1e-5
	if r, a, ok := c.Tolerance("forward"); ok {
		fr, fa = r, a
	}
	if r, a, ok := c.Tolerance("grad"); ok {
		gr, ga = r, a
	}
	return
}

// runModelFixture checks a model (x → y) against a case of fixtures/models.
func runModelFixture(t *testing.T, c *fixture.Case, m nn.Module) {
	t.Helper()
	fr, fa, gr, ga := tolerances(c)
	ps := m.Params()
	loadFixtureParams(t, c, ps)
	nn.MoveTo(m, testDevice) // ps holds the same Vars: it sees the moved values
	nn.SetTraining(m, true)
	x := nn.NewLeaf(c.Tensor("input").Clone().To(testDevice))
	tp := nn.NewTape()
	y := m.Forward(tp, x)
	compareFixture(t, c, "output", y.Value, fr, fa, false)
	loss := tp.MSELoss(y, nn.NewVar(c.Tensor("target").To(testDevice)))
	compareFixture(t, c, "loss", loss.Value, fr, fa, false)
	tp.Backward(loss)
	compareFixture(t, c, "grad/input", x.Grad, gr, ga, true)
	for _, p := range ps {
		name := "grad/" + p.Name
		if c.Tensor(name) == nil {
			if p.Kind == nn.Trainable && p.Grad != nil {
				t.Errorf("%s: model computed a gradient the fixture does not have", name)
			}
			continue
		}
		compareFixture(t, c, name, p.Grad, gr, ga, true)
	}
	for _, p := range ps {
		if name := "updated/" + p.Name; c.Tensor(name) != nil {
			compareFixture(t, c, name, p.Value, fr, fa, false)
		}
	}
	if c.Tensor("output_eval") != nil {
		nn.SetTraining(m, false)
		ye := m.Forward(nil, nn.NewVar(c.Tensor("input").To(testDevice)))
		compareFixture(t, c, "output_eval", ye.Value, fr, fa, false)
	}
}
