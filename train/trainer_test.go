package train

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// synth is a deterministic regression data set: n batches of b samples of y = f(x),
// shuffled per epoch from seed.
type synth struct {
	n, b   int
	seed   uint64
	nanAt  [2]int // (epoch, batch) whose inputs are NaN; {-1, -1}: none
	script []float64
}

func newSynth(n, b int, seed uint64) *synth {
	return &synth{n: n, b: b, seed: seed, nanAt: [2]int{-1, -1}}
}

func (s *synth) Len() int { return s.n }

func (s *synth) Batch(_ context.Context, epoch, i int) (*tensor.Tensor, *tensor.Tensor, error) {
	perm := tensor.NewRNG(s.seed + uint64(epoch)).Perm(s.n * s.b)
	x := make([]float32, 0, s.b*4)
	y := make([]float32, 0, s.b*2)
	for _, j := range perm[i*s.b : (i+1)*s.b] {
		f := float64(j)
		a, b, c, d := math.Sin(f), math.Cos(1.3*f), math.Sin(0.7*f+1), math.Cos(0.2*f)
		x = append(x, float32(a), float32(b), float32(c), float32(d))
		y = append(y, float32(a*b+0.5*c), float32(d-a*c))
	}
	if epoch == s.nanAt[0] && i == s.nanAt[1] {
		for k := range x {
			x[k] = float32(math.NaN())
		}
	}
	return tensor.FromSlice(x, s.b, 4), tensor.FromSlice(y, s.b, 2), nil
}

// quiet discards the trainer's log messages in tests.
var quiet = slog.New(slog.DiscardHandler)

// mseLoss is the LossFunc of a plain regression.
func mseLoss(tp *nn.Tape, m nn.Module, x, y *tensor.Tensor) (*nn.Var, *nn.Var) {
	pred := m.Forward(tp, nn.NewVar(x))
	return tp.MSELoss(pred, nn.NewVar(y)), pred
}

// testNet returns a small MLP with BatchNorm buffers and dropout, initialised from seed,
// and its dropout generator.
func testNet(seed uint64) (nn.Module, *tensor.RNG) {
	rng := tensor.NewRNG(seed)
	drop := tensor.NewRNG(seed + 100)
	return nn.NewSequential(
		nn.NewLinear(4, 16, true, rng),
		nn.NewBatchNorm(16, nn.BatchNormOptions{}),
		nn.ReLU{},
		nn.NewDropout(0.2, drop),
		nn.NewLinear(16, 2, true, rng),
	), drop
}

// maeMetric is a per-batch mean absolute error.
var maeMetric = Metric{Name: "MAE", Fn: func(_, y, pred *tensor.Tensor) float64 {
	s := 0.0
	yv, pv := y.Values(), pred.Values()
	for i := range yv {
		s += math.Abs(float64(yv[i] - pv[i]))
	}
	return s / float64(len(yv))
}}

// cancelAt cancels the run when batch (epoch, i) is requested, returning the
// cancellation error (fail) or the batch.
type cancelAt struct {
	Batches
	epoch, i int
	fail     bool
	cancel   context.CancelFunc
}

func (c *cancelAt) Batch(ctx context.Context, epoch, i int) (*tensor.Tensor, *tensor.Tensor, error) {
	if epoch == c.epoch && i == c.i {
		c.cancel()
		if c.fail {
			return nil, nil, ctx.Err()
		}
	}
	return c.Batches.Batch(ctx, epoch, i)
}

// recLogger records what Fit reports.
type recLogger struct {
	steps  int
	epochs []EpochStats
	closed bool
}

func (l *recLogger) Step(StepStats)           { l.steps++ }
func (l *recLogger) Epoch(e EpochStats) error { l.epochs = append(l.epochs, e); return nil }
func (l *recLogger) Close() error             { l.closed = true; return nil }

// resumeCase configures one stop+resume experiment.
type resumeCase struct {
	name     string
	opt      OptimizerOptions
	sched    string
	accum    int
	val      bool
	epoch, i int // where to cancel
	fail     bool
}

// fitOpts builds the options of one run of rc from a model initialised with seed.
func (rc resumeCase) fitOpts(t *testing.T, dir string, seed uint64, train Batches) FitOptions {
	t.Helper()
	const epochs = 4
	model, drop := testNet(seed)
	ps := nn.Trainables(model.Params())
	opt := NewOptimizer(ps, rc.opt)
	sched, err := NewScheduler(rc.sched, SchedulerOptions{LR: rc.opt.LR, MinLR: 1e-4, WarmupEpochs: 1,
		Factor: 0.5, Patience: 0, Epochs: epochs, Steps: train.Len(), AccumIter: rc.accum})
	if err != nil {
		t.Fatal(err)
	}
	o := FitOptions{Model: model, Train: train, Loss: mseLoss, Metrics: []Metric{maeMetric},
		Epochs: epochs, Optimizer: opt, Scheduler: sched, AccumIter: rc.accum,
		CheckpointDir: dir, Stem: "net_1", RNG: tensor.NewRNG(seed + 7), RNGs: map[string]*tensor.RNG{"dropout": drop}, Log: quiet}
	if rc.val {
		o.Val = newSynth(2, 4, 99)
	}
	return o
}

func TestStopResumeEqualsUninterrupted(t *testing.T) {
	cases := []resumeCase{
		{"adamw warmupcosine accum 2 mid-group", OptimizerOptions{Kind: AdamW, LR: 1e-2, WeightDecay: 0.05}, "warmupcosine", 2, true, 1, 3, true},
		{"sgd onecycle next step", OptimizerOptions{Kind: SGD, LR: 5e-2, WeightDecay: 0.02}, "onecycle", 1, true, 2, 0, false},
		{"adam plateau during validation", OptimizerOptions{Kind: Adam, LR: 1e-2}, "reduceonplateau", 1, true, 1, 5, false},
		{"adamw no validation epoch start", OptimizerOptions{Kind: AdamW, LR: 1e-2}, "", 3, false, 2, 0, true},
	}
	for _, rc := range cases {
		t.Run(rc.name, func(t *testing.T) {
			train := newSynth(6, 4, 1)
			ref := rc.fitOpts(t, t.TempDir(), 1, train)
			refRes, err := Fit(context.Background(), ref)
			if err != nil {
				t.Fatal(err)
			}

			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := rc.fitOpts(t, dir, 1, &cancelAt{Batches: train, epoch: rc.epoch, i: rc.i, fail: rc.fail, cancel: cancel})
			_, err = Fit(ctx, stop)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "checkpoint") {
				t.Fatalf("interrupted run: error %v, want a wrapped context.Canceled naming the checkpoint", err)
			}

			// Resume into a differently initialised model with fresh optimizer, scheduler and RNGs.
			res := rc.fitOpts(t, dir, 2, train)
			res.Resume = true
			log := &recLogger{}
			res.Logger = log
			resRes, err := Fit(context.Background(), res)
			if err != nil {
				t.Fatal(err)
			}
			if !log.closed || len(log.epochs) == 0 {
				t.Errorf("logger: closed %v, %d epochs", log.closed, len(log.epochs))
			}
			refP, resP := ref.Model.Params(), res.Model.Params()
			for k := range refP {
				a, b := refP[k].Value.Data(), resP[k].Value.Data()
				for j := range a {
					if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
						t.Fatalf("%s[%d]: resumed %v, uninterrupted %v", refP[k].Name, j, b[j], a[j])
					}
				}
			}
			if resRes.Steps != refRes.Steps || resRes.Epochs != refRes.Epochs || resRes.BestEpoch != refRes.BestEpoch || resRes.BestValLoss != refRes.BestValLoss {
				t.Errorf("resumed result %+v, uninterrupted %+v", resRes, refRes)
			}
			a, b := refRes.History[len(refRes.History)-1], resRes.History[len(resRes.History)-1]
			if a.TrainLoss != b.TrainLoss || a.LR != b.LR || a.Metrics["train/MAE"] != b.Metrics["train/MAE"] ||
				(rc.val && (a.ValLoss != b.ValLoss || a.Metrics["val/MAE"] != b.Metrics["val/MAE"])) {
				t.Errorf("last epoch: resumed %+v, uninterrupted %+v", b, a)
			}
		})
	}
}

func TestAccumulationEqualsLargeBatch(t *testing.T) {
	run := func(n, b, accum int) []float32 {
		model := nn.NewLinear(4, 2, true, tensor.NewRNG(5))
		opt := NewOptimizer(nn.Trainables(model.Params()), OptimizerOptions{Kind: SGD, LR: 0.1, WeightDecay: 0.01})
		_, err := Fit(context.Background(), FitOptions{Model: model, Train: newSynth(n, b, 3), Loss: mseLoss,
			Epochs: 3, Optimizer: opt, AccumIter: accum})
		if err != nil {
			t.Fatal(err)
		}
		if opt.Steps() != 3 {
			t.Fatalf("%d×%d accum %d: %d steps, want 3", n, b, accum, opt.Steps())
		}
		return append(model.W.Value.Values(), model.B.Value.Values()...)
	}
	want := run(1, 8, 1)
	init := nn.NewLinear(4, 2, true, tensor.NewRNG(5))
	if want[0] == init.W.Value.Values()[0] {
		t.Fatal("training did not move the weights")
	}
	for _, c := range []struct{ n, b, accum int }{{4, 2, 4}, {2, 4, 2}, {8, 1, 8}} {
		got := run(c.n, c.b, c.accum)
		for j := range want {
			if math.Abs(float64(got[j]-want[j])) > 1e-6 {
				t.Fatalf("%d micro-batches of %d: weight %d = %v, one batch of 8 gives %v", c.n, c.b, j, got[j], want[j])
			}
		}
	}
	// An incomplete group is dropped: 5 batches with accum 2 give 2 steps per epoch.
	model := nn.NewLinear(4, 2, true, tensor.NewRNG(5))
	opt := NewOptimizer(nn.Trainables(model.Params()), OptimizerOptions{Kind: SGD, LR: 0.1})
	if _, err := Fit(context.Background(), FitOptions{Model: model, Train: newSynth(5, 2, 3), Loss: mseLoss, Epochs: 2, Optimizer: opt, AccumIter: 2}); err != nil {
		t.Fatal(err)
	}
	if opt.Steps() != 4 {
		t.Errorf("5 batches, accum 2, 2 epochs: %d steps, want 4", opt.Steps())
	}
}

func TestNonFiniteLossKeepsLastGoodCheckpoint(t *testing.T) {
	mk := func(dir string, epochs int, train Batches) FitOptions {
		model := nn.NewLinear(4, 2, true, tensor.NewRNG(5))
		return FitOptions{Model: model, Train: train, Val: newSynth(1, 4, 9), Loss: mseLoss, Epochs: epochs,
			Optimizer:     NewOptimizer(nn.Trainables(model.Params()), OptimizerOptions{Kind: AdamW, LR: 1e-2}),
			CheckpointDir: dir, Stem: "nan_1", Log: quiet}
	}
	clean := mk(t.TempDir(), 2, newSynth(4, 2, 3))
	if _, err := Fit(context.Background(), clean); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	bad := newSynth(4, 2, 3)
	bad.nanAt = [2]int{2, 1}
	_, err := Fit(context.Background(), mk(dir, 5, bad))
	last := CheckpointPath(dir, "nan_1", "last")
	want := "train: loss is NaN at epoch 3 step 2; last good checkpoint: " + last
	if !errors.Is(err, ErrNonFinite) || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	c, err := ReadCheckpoint(last)
	if err != nil {
		t.Fatal(err)
	}
	if c.Info.Epoch != 2 || c.Info.GlobalStep != 8 {
		t.Errorf("last checkpoint at epoch %d step %d, want 2, 8", c.Info.Epoch, c.Info.GlobalStep)
	}
	for _, p := range clean.Model.Params() {
		a, b := p.Value.Values(), c.Model[p.Name].Values()
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("%s[%d]: checkpoint %v, clean 2-epoch run %v", p.Name, j, b[j], a[j])
			}
		}
	}

	early := newSynth(4, 2, 3)
	early.nanAt = [2]int{0, 0}
	_, err = Fit(context.Background(), mk(t.TempDir(), 2, early))
	if err == nil || err.Error() != "train: loss is NaN at epoch 1 step 1; last good checkpoint: none" {
		t.Errorf("NaN before any checkpoint: %v", err)
	}
}

// scripted is a validation source whose loss at epoch e is script[e].
type scripted []float64

func (s scripted) Len() int { return 1 }
func (s scripted) Batch(_ context.Context, epoch, _ int) (*tensor.Tensor, *tensor.Tensor, error) {
	return nil, tensor.Scalar(float32(s[epoch])), nil
}

func TestEarlyStopping(t *testing.T) {
	cases := []struct {
		name      string
		patience  int
		script    []float64
		epochs    int
		best      int
		stopped   bool
		bestFlags string
	}{
		{"stops after patience", 2, []float64{1, 0.9, 0.95, 0.95, 0.5, 0.5}, 4, 2, true, "BB.."},
		{"ties reset", 2, []float64{1, 1, 1, 1, 1}, 5, 1, false, "B...."},
		{"improvement resets", 2, []float64{1, 2, 0.5, 2, 0.4, 2}, 6, 5, false, "B.B.B."},
		{"disabled", 0, []float64{1, 2, 3, 4}, 4, 1, false, "B..."},
		{"patience 1", 1, []float64{1, 0.5, 0.7, 0.1}, 3, 2, true, "BB."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			model := nn.NewLinear(4, 2, true, tensor.NewRNG(5))
			loss := func(tp *nn.Tape, m nn.Module, x, y *tensor.Tensor) (*nn.Var, *nn.Var) {
				if tp == nil {
					return nn.NewVar(y), nn.NewVar(y)
				}
				return mseLoss(tp, m, x, y)
			}
			log := &recLogger{}
			dir := t.TempDir()
			o := FitOptions{Model: model, Train: newSynth(2, 2, 1), Val: scripted(c.script), Loss: loss,
				Epochs: len(c.script), Patience: c.patience, Logger: MultiLogger(log, nil),
				Optimizer:     NewOptimizer(nn.Trainables(model.Params()), OptimizerOptions{LR: 1e-3}),
				CheckpointDir: dir, Stem: "es_1", Log: quiet}
			r, err := Fit(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			flags := ""
			for _, e := range log.epochs {
				if e.Best {
					flags += "B"
				} else {
					flags += "."
				}
			}
			if r.Epochs != c.epochs || r.BestEpoch != c.best || r.StoppedEarly != c.stopped || flags != c.bestFlags ||
				r.BestValLoss != float64(float32(c.script[c.best-1])) || log.steps != 2*c.epochs || !log.closed {
				t.Errorf("epochs %d best %d (%g) stopped %v flags %q steps %d; want %d %d %v %q %d",
					r.Epochs, r.BestEpoch, r.BestValLoss, r.StoppedEarly, flags, log.steps, c.epochs, c.best, c.stopped, c.bestFlags, 2*c.epochs)
			}
			// The best checkpoint holds the best epoch; resuming a finished run does nothing.
			bc, err := ReadCheckpoint(CheckpointPath(dir, "es_1", "best"))
			if err != nil || bc.Info.BestEpoch != c.best || bc.Info.Epoch != c.best {
				t.Fatalf("best checkpoint: %v, %+v", err, bc)
			}
			o.Resume, o.Logger, o.RestoreBest = true, nil, true
			r2, err := Fit(context.Background(), o)
			if err != nil || r2.Epochs != r.Epochs || len(r2.History) != 0 || r2.StoppedEarly != c.stopped {
				t.Errorf("resuming a finished run: %v, %+v", err, r2)
			}
			for _, p := range model.Params() { // RestoreBest loaded the best weights
				a, b := p.Value.Values(), bc.Model[p.Name].Values()
				for j := range a {
					if a[j] != b[j] {
						t.Fatalf("RestoreBest: %s[%d] = %v, best checkpoint %v", p.Name, j, a[j], b[j])
					}
				}
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	model := nn.NewLinear(4, 2, true, tensor.NewRNG(5))
	opt := NewOptimizer(nn.Trainables(model.Params()), OptimizerOptions{})
	good := FitOptions{Model: model, Train: newSynth(2, 2, 1), Loss: mseLoss, Epochs: 1, Optimizer: opt}
	dir := t.TempDir()
	cases := []struct {
		name   string
		change func(o *FitOptions)
		want   string
	}{
		{"no model", func(o *FitOptions) { o.Model = nil }, "Fit needs a Model"},
		{"no epochs", func(o *FitOptions) { o.Epochs = 0 }, "epochs 0 must be > 0"},
		{"no batches", func(o *FitOptions) { o.Train = newSynth(0, 2, 1) }, "no training batches"},
		{"resume without dir", func(o *FitOptions) { o.Resume = true }, "Resume needs a CheckpointDir"},
		{"resume missing", func(o *FitOptions) { o.Resume, o.CheckpointDir, o.Stem = true, dir, "x_1" }, filepath.Join(dir, "x_1-checkpoint-last.safetensors")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := good
			c.change(&o)
			if _, err := Fit(context.Background(), o); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
