// Command bench times one CPU training step (forward, loss, backward and an AdamW
// update of every trainable parameter) of the models and shapes of issue 8, the same
// step that torch_ref.py times in PyTorch, and prints one line:
//
//	go run ./examples/bench -model unet2d_256_b8 -threads 2 -steps 5
//	model=unet2d_256_b8 threads=2 steps=5 step_median_ms=… gflop_per_step=145 gflops=… peak_rss_mib=…
//
// GFLOP per step is the table value for the model (forward + backward,
// multiply-adds counted as 2). -cpuprofile writes a pprof CPU profile of the timed steps.
// inuse_fwd_mib and inuse_bwd_mib are the CPU buffer cache's bytes in use after the
// forward pass and after backward (last step); -keepgrads keeps every intermediate
// gradient until the tape's Reset instead of freeing it during backward.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/selfsup/selfsup/internal/parallel"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// benchCase is one model of the table at its input shape.
type benchCase struct {
	gflop      float64 // training GFLOP per step, from the table
	input      []int   // the batch shape
	maskedLoss bool    // MAE: ForwardLoss with its grid mask; otherwise MSE against a random target
	build      func(rng *tensor.RNG) (nn.Module, error)
}

var cases = map[string]benchCase{
	"unet2d_256_b8": {145, []int{8, 1, 256, 256}, false, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewUNet(models.UNetOptions{Ndim: 2, FeatureMaps: []int{16, 32, 64, 128, 256}, Normalization: "bn", Activation: "elu"}, rng)
	}},
	"unet3d_32x64x64_b2": {210, []int{2, 1, 32, 64, 64}, false, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewUNet(models.UNetOptions{Ndim: 3, FeatureMaps: []int{16, 32, 64, 128, 256}, Normalization: "bn", Activation: "elu"}, rng)
	}},
	"edsr2d_64_b8": {247, []int{8, 1, 64, 64}, false, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewEDSR(models.EDSROptions{Dims: 2, Filters: 64, ResBlocks: 16, Scale: 1, Channels: 1}, rng)
	}},
	"rcan2d_64_b8": {187, []int{8, 1, 64, 64}, false, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewRCAN(models.RCANOptions{Dims: 2, Channels: 1, Filters: 16, Groups: 10, RCABs: 20, Scale: 1}, rng)
	}},
	"mae_small_256_b12": {527, []int{12, 1, 256, 256}, true, func(rng *tensor.RNG) (nn.Module, error) {
		// Encoder 192 wide, 4 blocks, 12 heads (BiaPy's VIT_NUM_HEADS default); decoder
		// BiaPy's 512 wide, 8 blocks, 16 heads, MLP 2048.
		return models.NewMAE(models.MAEOptions{NDim: 2, ImgSize: 256, PatchSize: 16, EmbedDim: 192, Depth: 4, Heads: 12,
			DecoderDim: 512, DecoderDepth: 8, DecoderHeads: 16, MaskType: "grid"}, rng)
	}},
	"mae_default_256_b12": {1325, []int{12, 1, 256, 256}, true, func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewMAE(models.MAEOptions{NDim: 2, ImgSize: 256, PatchSize: 16, MaskType: "grid"}, rng)
	}},
}

func main() {
	name := flag.String("model", "unet2d_256_b8", "model: "+strings.Join(caseNames(), ", "))
	threads := flag.Int("threads", 2, "worker threads (GOMAXPROCS and the kernel pool)")
	steps := flag.Int("steps", 5, "timed training steps")
	warmup := flag.Int("warmup", 2, "untimed warm-up steps")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed steps to this file")
	keepGrads := flag.Bool("keepgrads", false, "keep every intermediate gradient until the tape's Reset (Tape.RetainGrads), for comparison")
	flag.Parse()

	c, ok := cases[*name]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown model %q (have %s)\n", *name, strings.Join(caseNames(), ", "))
		os.Exit(2)
	}
	if *steps < 1 || *threads < 1 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "bench: need steps ≥ 1, threads ≥ 1, warmup ≥ 0")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*threads)
	parallel.SetThreads(*threads)

	rng := tensor.NewRNG(1)
	m, err := c.build(rng)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	step := newStep(m, c, rng, *keepGrads)
	for k := 1; k <= *warmup; k++ {
		step(k)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuSeconds()
	times := make([]float64, *steps)
	for i := range times {
		t0 := time.Now()
		step(*warmup + 1 + i)
		times[i] = float64(time.Since(t0).Microseconds()) / 1000
	}
	cpuMS := (cpuSeconds() - cpu0) * 1000 / float64(*steps)
	med := median(times)
	fmt.Printf("model=%s threads=%d steps=%d step_median_ms=%.1f gflop_per_step=%g gflops=%.1f peak_rss_mib=%.0f cpu_ms_per_step=%.0f inuse_fwd_mib=%.0f inuse_bwd_mib=%.0f\n",
		*name, *threads, *steps, med, c.gflop, c.gflop/(med/1000), peakRSSMiB(), cpuMS,
		float64(fwdInUse)/(1<<20), float64(bwdInUse)/(1<<20))
}

// newStep returns a function running training step k (1-based, for AdamW's bias
// correction) of m on a fixed random batch: forward, loss, backward, tape reset, AdamW
// and ZeroGrads (which frees the gradients). keepGrads keeps the intermediate
// gradients until Reset.
func newStep(m nn.Module, c benchCase, rng *tensor.RNG, keepGrads bool) func(k int) {
	dev := tensor.CPU{}
	nn.SetTraining(m, true)
	x := nn.NewVar(tensor.RandUniform(dev, rng, 0, 1, c.input...))
	var loss func(tp *nn.Tape) *nn.Var
	if c.maskedLoss {
		mae := m.(*models.MAE)
		mask := mae.NewMask(c.input[0])
		loss = func(tp *nn.Tape) *nn.Var {
			l, _, _ := mae.ForwardLoss(tp, x, mask)
			return l
		}
	} else {
		probe := nn.NewTape()
		shape := m.Forward(probe, x).Shape()
		probe.Reset()
		target := nn.NewVar(tensor.RandUniform(dev, rng, 0, 1, shape...))
		loss = func(tp *nn.Tape) *nn.Var { return tp.MSELoss(m.Forward(tp, x), target) }
	}
	params := nn.Trainables(m.Params())
	moments := make([][2]*tensor.Tensor, len(params))
	for i, p := range params {
		moments[i] = [2]*tensor.Tensor{tensor.Zeros(dev, p.Shape()...), tensor.Zeros(dev, p.Shape()...)}
	}
	tp := nn.NewTape()
	tp.RetainGrads(keepGrads)
	return func(k int) {
		// train.Fit's order: forward, backward, Reset, optimizer step, ZeroGrads.
		l := loss(tp)
		fwdInUse = tensor.CPUCacheStats().InUseBytes
		tp.Backward(l)
		bwdInUse = tensor.CPUCacheStats().InUseBytes
		tp.Reset()
		for i, p := range params {
			if p.Grad == nil {
				continue
			}
			dev.AdamW(p.Value, p.Grad, moments[i][0], moments[i][1], tensor.AdamWParams{
				LR: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05, Step: k})
		}
		nn.ZeroGrads(params)
	}
}

// fwdInUse and bwdInUse are the CPU buffer cache's bytes in use after the forward pass
// (the loss) and after Backward of the latest step.
var fwdInUse, bwdInUse int64

// median returns the median of v (the mean of the middle two for even lengths).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// peakRSSMiB returns the process's peak resident set size (VmHWM) in MiB, or -1.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "VmHWM:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return -1
			}
			return kb / 1024
		}
	}
	return -1
}

// cpuSeconds returns the user + system CPU time of the process so far (0 if unknown).
// Per step it is less sensitive than wall time to other processes on a shared machine.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// caseNames returns the model names, sorted.
func caseNames() []string {
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
