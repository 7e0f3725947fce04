// Command gpubench times one training step (forward, MSE or masked loss, backward and
// an AdamW update of every trainable parameter) of the models and shapes of the GPU
// issue on cuda.Device 0, in exact fp32 and with TF32 tensor-core GEMMs, and prints a
// table next to PyTorch's H200 figures:
//
//	go build -tags cuda -o bin/gpubench ./examples/gpubench && bin/gpubench -budget 180s
//
// Built without the cuda tag it only reports that this build has no GPU support.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/selfsup/selfsup/cuda"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// benchCase is one model at the shape, with PyTorch's H200 step times (ms,
// fp32 with TF32 off / TF32).
type benchCase struct {
	name       string
	torchFP32  float64
	torchTF32  float64
	build      func(rng *tensor.RNG) (nn.Module, error)
	input      []int
	maskedLoss bool // MAE: ForwardLoss; otherwise MSE against a random target
}

var cases = []benchCase{
	{"mae_vit_b16_2d b12 1x256²", 49.2, 33.2, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewMAE(models.MAEOptions{NDim: 2, ImgSize: 256, PatchSize: 16}, rng)
	}, []int{12, 1, 256, 256}, true},
	{"unet_2d b16 1x256²", 17.8, 10.9, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewUNet(models.UNetOptions{Ndim: 2}, rng)
	}, []int{16, 1, 256, 256}, false},
	{"edsr b16 1x64²", 22.6, 10.5, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewEDSR(models.EDSROptions{}, rng)
	}, []int{16, 1, 64, 64}, false},
	{"rcan_f16 b16 1x64²", 165, 190, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewRCAN(models.RCANOptions{Filters: 16}, rng)
	}, []int{16, 1, 64, 64}, false},
	{"unet_3d b4 1x64³", 46.8, 12.8, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewUNet(models.UNetOptions{Ndim: 3}, rng)
	}, []int{4, 1, 64, 64, 64}, false},
}

func main() {
	steps := flag.Int("steps", 5, "timed steps per model and precision (after 2 warm-up steps)")
	budget := flag.Duration("budget", 4*time.Minute, "skip the remaining runs once this much time has passed")
	only := flag.String("models", "", "comma-separated name prefixes to run (default all)")
	noTF32 := flag.Bool("notf32", false, "time exact fp32 only")
	onlyTF32 := flag.Bool("tf32only", false, "time TF32 only")
	flag.BoolVar(&profile, "profile", false, "time every kernel and memory operation of the timed steps (synchronously, so steps get slower) and print the top 20 per model (as SELFSUP_CUDA_PROFILE=1)")
	flag.Parse()

	d, err := cuda.New(0)
	if err != nil {
		fmt.Println("gpubench: no GPU support:", err)
		os.Exit(2)
	}
	defer d.Close()
	if profile {
		d.SetProfile(true)
	}
	fmt.Printf("gpubench on %s (%s), %d timed steps after 2 warm-up steps\n", d.Name(), d.GPUName(), *steps)

	start := time.Now()
	type row struct {
		name            string
		fp32, tf32      string
		torch32, torchT float64
		mem             string
	}
	var rows []row
	for _, c := range cases {
		if !selected(c.name, *only) {
			continue
		}
		r := row{name: c.name, fp32: "skipped", tf32: "skipped", torch32: c.torchFP32, torchT: c.torchTF32}
		precisions := []bool{false, true}
		if *noTF32 {
			precisions = precisions[:1]
			r.tf32 = "-"
		} else if *onlyTF32 {
			precisions = precisions[1:]
			r.fp32 = "-"
		}
		for _, tf32 := range precisions {
			if time.Since(start) > *budget {
				break
			}
			d.SetTF32(tf32)
			ms, peak, err := run(d, c, *steps)
			res := fmt.Sprintf("%.1f", ms)
			if err != nil {
				res = "FAIL"
				fmt.Printf("%s (tf32=%v): %v\n", c.name, tf32, err)
			} else {
				fmt.Printf("%s (tf32=%v): %.2f ms/step, peak %.0f MiB\n", c.name, tf32, ms, float64(peak)/(1<<20))
				r.mem = fmt.Sprintf("%.0f", float64(peak)/(1<<20))
			}
			if tf32 {
				r.tf32 = res
			} else {
				r.fp32 = res
			}
		}
		rows = append(rows, r)
	}
	d.SetTF32(false)

	fmt.Printf("\n%-28s %10s %10s %12s %12s %9s\n", "model (one training step)", "fp32 ms", "TF32 ms", "torch fp32", "torch TF32", "peak MiB")
	for _, r := range rows {
		fmt.Printf("%-28s %10s %10s %12.1f %12.1f %9s\n", r.name, r.fp32, r.tf32, r.torch32, r.torchT, r.mem)
	}
}

// profile is the -profile flag: print the kernel profile of each run's timed steps.
var profile bool

// profileTop is how many profile entries each run prints.
const profileTop = 20

func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, p := range strings.Split(only, ",") {
		if p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// run builds c on the CPU, moves it to d, runs 2 warm-up and steps timed training
// steps and returns the mean milliseconds per step and the peak memory in use. A panic
// (a kernel error) is returned as an error. Everything it allocated is freed.
func run(d *cuda.Device, c benchCase, steps int) (ms float64, peak int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			stack := debug.Stack()
			if len(stack) > 3000 {
				stack = stack[:3000]
			}
			err = fmt.Errorf("panic: %v\n%s", r, stack)
		}
	}()
	d.ResetPeak()
	rng := tensor.NewRNG(1)
	m, err := c.build(rng)
	if err != nil {
		return 0, 0, err
	}
	nn.MoveTo(m, d)
	nn.SetTraining(m, true)
	x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, c.input...).To(d))
	var target *nn.Var
	var loss func(tp *nn.Tape) *nn.Var
	if c.maskedLoss {
		mae := m.(*models.MAE)
		loss = func(tp *nn.Tape) *nn.Var {
			l, _, _ := mae.ForwardLoss(tp, x, nil)
			return l
		}
	} else {
		probe := nn.NewTape() // a tape, so that Reset frees the probe's intermediates
		shape := m.Forward(probe, x).Shape()
		probe.Reset()
		target = nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(d))
		loss = func(tp *nn.Tape) *nn.Var { return tp.MSELoss(m.Forward(tp, x), target) }
	}
	params := nn.Trainables(m.Params())
	moments := make([][2]*tensor.Tensor, len(params))
	for i, p := range params {
		moments[i] = [2]*tensor.Tensor{tensor.Zeros(d, p.Shape()...), tensor.Zeros(d, p.Shape()...)}
	}
	tp := nn.NewTape()
	var last *nn.Var // the loss of the latest step
	step := func(k int) {
		tp.Reset()
		freeGrads(d, params)
		last = loss(tp)
		tp.Backward(last)
		for i, p := range params {
			if p.Grad == nil {
				continue
			}
			d.AdamW(p.Value, p.Grad, moments[i][0], moments[i][1], tensor.AdamWParams{
				LR: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05, Step: k})
		}
	}
	step(1)
	first := last.Value.Values()[0]
	step(2)
	d.Synchronize()
	d.ResetProfile()
	inUse := d.MemStats().InUse
	t0 := time.Now()
	for k := 3; k < 3+steps; k++ {
		step(k)
	}
	d.Synchronize()
	ms = float64(time.Since(t0).Microseconds()) / 1000 / float64(steps)
	// The losses let fp32 and TF32 runs be compared (same seed, same data): a wrong
	// kernel shows as a different first loss or one that does not fall.
	fmt.Printf("%s (tf32=%v): loss at step 1 %.6g, at step %d %.6g\n", c.name, d.TF32(), first, 2+steps, last.Value.Values()[0])
	if d.Profiling() {
		fmt.Printf("%s (tf32=%v): profile of %d timed steps (%.2f ms/step with profiling), top %d:\n",
			c.name, d.TF32(), steps, ms, profileTop)
		cuda.WriteProfile(os.Stdout, d.Profile(), profileTop)
		d.ResetProfile()
	}
	peak = d.MemStats().Peak
	if grow := d.MemStats().InUse - inUse; grow != 0 {
		// Memory neither freed by Tape.Reset nor reused: tensors made outside the tape's
		// ops (not through Tape.Const) during the step.
		fmt.Printf("%s: memory in use grows by %.1f KiB per step (not released by Tape.Reset)\n",
			c.name, float64(grow)/1024/float64(steps))
	}

	// Release everything: intermediates, gradients, moments, parameters, inputs.
	tp.Reset()
	freeGrads(d, params)
	freed := map[tensor.Buffer]bool{}
	free := func(t *tensor.Tensor) {
		if t != nil && !freed[t.Buffer()] {
			freed[t.Buffer()] = true
			d.Free(t.Buffer())
		}
	}
	for _, mm := range moments {
		free(mm[0])
		free(mm[1])
	}
	for _, p := range m.Params() {
		free(p.Value)
	}
	free(x.Value)
	if target != nil {
		free(target.Value)
	}
	d.EmptyCache()
	return ms, peak, nil
}

// freeGrads frees every parameter gradient once and drops them (Tape.Reset never frees
// a leaf's gradient).
func freeGrads(d *cuda.Device, ps []nn.Param) {
	nn.ZeroGrads(ps)
}
