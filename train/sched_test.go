package train

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestWarmupCosine(t *testing.T) {
	// LR 1e-3, MinLR 1e-5, 2 warm-up epochs of 10; values from SPEC §6.2 by hand.
	s := &WarmupCosine{LR: 1e-3, MinLR: 1e-5, WarmupEpochs: 2, Epochs: 10, AccumIter: 1}
	cases := []struct {
		t, want float64
	}{
		{0, 0},
		{0.5, 2.5e-4},
		{1, 5e-4},
		{1.75, 8.75e-4},
		{2, 1e-3},                                // cos(0): LR
		{6, 1e-5 + 0.99e-3*0.5},                  // cos(π/2): midway
		{4, 1e-5 + 0.99e-3*0.5*(1+math.Sqrt2/2)}, // cos(π/4)
		{10, 1e-5},                               // cos(π): MinLR
	}
	for _, c := range cases {
		if got := s.At(c.t); !near(got, c.want) {
			t.Errorf("At(%g) = %.10g, want %.10g", c.t, got, c.want)
		}
	}
	opt := NewOptimizer(testParams(), OptimizerOptions{Kind: AdamW, LR: 1e-3})
	s.Start(opt)
	if opt.LR() != 1e-5 {
		t.Errorf("Start: lr %g, want MinLR 1e-5", opt.LR())
	}
	s.Iter(opt, 1, 2, 4) // t = 1.5
	if !near(opt.LR(), 7.5e-4) {
		t.Errorf("Iter(epoch 1, batch 2 of 4): lr %g, want 7.5e-4", opt.LR())
	}
	// With ACCUM_ITER 2 BiaPy only adjusts in even epochs.
	s.AccumIter = 2
	s.Iter(opt, 3, 0, 4)
	if !near(opt.LR(), 7.5e-4) {
		t.Errorf("odd epoch with AccumIter 2 changed the rate to %g", opt.LR())
	}
	s.Iter(opt, 2, 0, 4)
	if !near(opt.LR(), 1e-3) {
		t.Errorf("even epoch with AccumIter 2: lr %g, want 1e-3", opt.LR())
	}
}

func TestOneCycle(t *testing.T) {
	// max 0.1 over 10 steps: initial 0.004, final 4e-7, phase 1 ends at step 2 (0.3·10−1).
	s := NewOneCycle(0.1, 10)
	cases := []struct {
		n       int
		lr, mom float64
	}{
		{0, 0.004, 0.95},
		{1, 0.052, 0.90}, // pct ½: midway
		{2, 0.1, 0.85},   // peak
		{9, 4e-7, 0.95},  // end
		{5, 4e-7 + (0.1-4e-7)/2*(1+math.Cos(math.Pi*3/7)), 0.95 + (0.85-0.95)/2*(1+math.Cos(math.Pi*3/7))},
	}
	for _, c := range cases {
		lr, m := s.At(c.n)
		if !near(lr, c.lr) || !near(m, c.mom) {
			t.Errorf("At(%d) = (%.10g, %.4g), want (%.10g, %.4g)", c.n, lr, m, c.lr, c.mom)
		}
	}
	opt := NewOptimizer(testParams(), OptimizerOptions{Kind: Adam, LR: 0.1})
	s.Start(opt)
	if !near(opt.LR(), 0.004) || opt.Momentum() != 0.95 {
		t.Errorf("Start: lr %g β1 %g, want 0.004, 0.95", opt.LR(), opt.Momentum())
	}
	s.Stepped(opt)
	s.Stepped(opt)
	if !near(opt.LR(), 0.1) || !near(opt.Momentum(), 0.85) {
		t.Errorf("after 2 steps: lr %g β1 %g, want 0.1, 0.85", opt.LR(), opt.Momentum())
	}
	for range 12 {
		s.Stepped(opt)
	}
	if math.IsNaN(opt.LR()) || !near(opt.LR(), 4e-7) {
		t.Errorf("past the end: lr %g, want 4e-7", opt.LR())
	}
}

func TestReduceOnPlateau(t *testing.T) {
	// patience 1, factor ½, min 0.01, from 0.1; threshold 1e-4 relative.
	losses := []float64{1, 0.9, 0.95, 0.95, 0.8, 0.85, math.NaN(), 0.85, 0.79995, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85}
	wants := []float64{0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.01, 0.01, 0.01, 0.01, 0.01}
	s := NewReduceOnPlateau(0.5, 1, 0.01)
	opt := NewOptimizer(testParams(), OptimizerOptions{LR: 0.1})
	s.Start(opt)
	for i, l := range losses {
		s.Epoch(opt, l)
		if !near(opt.LR(), wants[i]) {
			t.Fatalf("epoch %d (loss %g): lr %g, want %g", i+1, l, opt.LR(), wants[i])
		}
	}
}

func TestSchedulerState(t *testing.T) {
	cases := []struct {
		name string
		mk   func() Scheduler
	}{
		{"reduceonplateau", func() Scheduler { return NewReduceOnPlateau(0.5, 2, 0) }},
		{"onecycle", func() Scheduler { return NewOneCycle(0.1, 20) }},
		{"warmupcosine", func() Scheduler { return &WarmupCosine{LR: 0.1, WarmupEpochs: 1, Epochs: 5} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := c.mk(), c.mk()
			optA := NewOptimizer(testParams(), OptimizerOptions{Kind: AdamW, LR: 0.1})
			optB := NewOptimizer(testParams(), OptimizerOptions{Kind: AdamW, LR: 0.1})
			a.Start(optA)
			step := func(s Scheduler, o *Optimizer, e int) {
				for i := range 3 {
					s.Iter(o, e, i, 3)
					s.Stepped(o)
				}
				s.Epoch(o, 1+0.1*float64(e%2))
			}
			for e := range 3 {
				step(a, optA, e)
			}
			st, err := a.State()
			if err != nil {
				t.Fatal(err)
			}
			if err := b.SetState(st); err != nil {
				t.Fatal(err)
			}
			optB.SetLR(optA.LR())
			optB.SetMomentum(optA.Momentum())
			for e := 3; e < 6; e++ {
				step(a, optA, e)
				step(b, optB, e)
				if optA.LR() != optB.LR() || optA.Momentum() != optB.Momentum() {
					t.Fatalf("epoch %d: restored scheduler gives lr %g β1 %g, original %g %g", e, optB.LR(), optB.Momentum(), optA.LR(), optA.Momentum())
				}
			}
			if err := b.SetState(json.RawMessage(`{"step_num": "x"`)); err == nil && c.name != "warmupcosine" {
				t.Error("SetState accepted broken JSON")
			}
		})
	}
}

func TestNewScheduler(t *testing.T) {
	base := SchedulerOptions{LR: 1e-3, MinLR: 1e-5, WarmupEpochs: 2, Factor: 0.5, Patience: 3, Epochs: 10, Steps: 4}
	cases := []struct {
		name   string
		change func(o *SchedulerOptions)
		want   string // error substring, or the scheduler's name
	}{
		{"none", nil, ""},
		{"", nil, ""},
		{"warmupcosine", nil, "warmupcosine"},
		{"reduceonplateau", nil, "reduceonplateau"},
		{"onecycle", nil, "onecycle"},
		{"warmupcosine", func(o *SchedulerOptions) { o.MinLR = -1 }, "warmupcosine needs a minimum learning rate"},
		{"warmupcosine", func(o *SchedulerOptions) { o.WarmupEpochs = 11 }, "warm-up epochs 11 must be in [0, epochs 10]"},
		{"reduceonplateau", func(o *SchedulerOptions) { o.Patience = -1 }, "reduceonplateau needs a patience"},
		{"reduceonplateau", func(o *SchedulerOptions) { o.Factor = 1 }, "factor 1 must be in (0, 1)"},
		{"onecycle", func(o *SchedulerOptions) { o.Steps = 0 }, "onecycle needs epochs 10 and steps per epoch 0"},
		{"cosine", nil, `unknown learning-rate scheduler "cosine"`},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.want, func(t *testing.T) {
			o := base
			if c.change != nil {
				c.change(&o)
			}
			s, err := NewScheduler(c.name, o)
			switch {
			case err != nil:
				if !strings.Contains(err.Error(), c.want) || c.want == "" {
					t.Errorf("error %v, want %q", err, c.want)
				}
			case s == nil:
				if c.want != "" {
					t.Errorf("nil scheduler, want %s", c.want)
				}
			case s.Name() != c.want:
				t.Errorf("got %s, want %q", s.Name(), c.want)
			}
		})
	}
}

func TestFloatJSON(t *testing.T) {
	for _, v := range []float64{math.Inf(1), math.Inf(-1), 0.1, -3, 1e-300} {
		b, err := json.Marshal(Float(v))
		if err != nil {
			t.Fatal(err)
		}
		var f Float
		if err := json.Unmarshal(b, &f); err != nil || float64(f) != v {
			t.Errorf("%g → %s → %g (%v)", v, b, f, err)
		}
	}
	b, _ := json.Marshal(Float(math.NaN()))
	var f Float
	if err := json.Unmarshal(b, &f); err != nil || !math.IsNaN(float64(f)) {
		t.Errorf("NaN → %s → %g (%v)", b, f, err)
	}
	if err := json.Unmarshal([]byte(`"big"`), &f); err == nil {
		t.Error(`"big" decoded without error`)
	}
}
