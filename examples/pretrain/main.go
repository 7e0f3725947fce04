// Command pretrain runs one BiaPy job from a BiaPy YAML file, dispatching on
// PROBLEM.TYPE:
//
//   - SELF_SUPERVISED pretrains a model on unlabeled images (crappify restoration or
//     masked autoencoding), tests it on whole images and writes BiaPy's output tree;
//   - SEMANTIC_SEG trains a segmentation model on labelled images (DATA.TRAIN.GT_PATH),
//     optionally starting from a pretraining checkpoint (MODEL.LOAD_CHECKPOINT with
//     PATHS.CHECKPOINT_FILE: matching layers loaded, the head re-initialised), writes
//     thresholded label images of the test set and reports IoU and Dice against
//     DATA.TEST.GT_PATH when DATA.TEST.LOAD_GT is set.
//
// Usage (BiaPy's flags), from the repository root:
//
//	go run ./examples/pretrain -config examples/configs/quickstart.yaml \
//	    -result_dir results -name quickstart -run_id 1
//	go run ./examples/pretrain -config examples/configs/2d_semantic_seg_finetune.yaml \
//	    -result_dir results -name seg_finetune -run_id 1
//
// The second command fine-tunes the checkpoint the first one writes
// (results/quickstart/checkpoints/quickstart_1-checkpoint-best.safetensors).
//
// Flags:
//
//	-config FILE      BiaPy YAML configuration (required)
//	-result_dir DIR   outputs go to DIR/<name> (BiaPy's default: $HOME)
//	-name NAME        job name (default unknown_job)
//	-run_id N         run number; the job id is <name>_<N> (default 1)
//	-gpu ID           run on GPU ID (needs a build with GPU support)
//	-tf32             with -gpu: TF32 tensor cores for products and convolutions
//	                  (10-bit mantissas, fp32 sums; several times faster)
//	-resume           continue the job's training from its last checkpoint
//	                  (SELF_SUPERVISED only: a SEMANTIC_SEG run cannot be resumed)
//	-threads N        CPU threads (default: SYSTEM.NUM_CPUS, else all cores)
//
// Ctrl-C (or SIGTERM) stops the training after the current step, saves the last
// checkpoint and exits with status 130; -resume continues a SELF_SUPERVISED run from
// there. Configuration errors exit with status 2, run errors with status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/selfsup/selfsup/config"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train/pretrain"
)

// Exit statuses.
const (
	exitOK          = 0
	exitRunError    = 1
	exitUsage       = 2 // bad flags or configuration
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling: a second Ctrl-C
		// kills the program at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// flags are the program's command line.
type flags struct {
	config    string
	resultDir string
	name      string
	runID     int
	gpu       string
	tf32      bool
	resume    bool
	threads   int
}

// parseFlags reads args (without the program name) as BiaPy's command line.
func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("pretrain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	home, _ := os.UserHomeDir()
	fs.StringVar(&f.config, "config", "", "BiaPy YAML configuration `file` (required)")
	fs.StringVar(&f.resultDir, "result_dir", home, "outputs go to `dir`/<name>")
	fs.StringVar(&f.name, "name", "unknown_job", "job `name`")
	fs.IntVar(&f.runID, "run_id", 1, "run `number`; the job id is <name>_<run_id>")
	fs.StringVar(&f.gpu, "gpu", "", "run on the GPU with this `id` (needs a GPU build)")
	fs.BoolVar(&f.tf32, "tf32", false, "with -gpu: TF32 tensor cores (10-bit mantissas, fp32 sums)")
	fs.BoolVar(&f.resume, "resume", false, "continue the job's training from its last checkpoint (SELF_SUPERVISED only)")
	fs.IntVar(&f.threads, "threads", 0, "CPU `threads` (0: SYSTEM.NUM_CPUS, else all cores)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pretrain -config FILE [-result_dir DIR] [-name NAME] [-run_id N] [-gpu ID [-tf32]] [-resume] [-threads N]\n\n")
		fmt.Fprintf(stderr, "Runs a BiaPy SELF_SUPERVISED (pretraining) or SEMANTIC_SEG (segmentation, optionally\n")
		fmt.Fprintf(stderr, "fine-tuning a pretraining checkpoint) job: training, test phase, outputs in DIR/NAME.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("unexpected arguments %q (flags start with -)", fs.Args())
	case f.config == "":
		return f, errors.New("-config is required")
	case f.name == "" || strings.ContainsAny(f.name, `/\`):
		return f, fmt.Errorf("-name %q: want a non-empty name without path separators", f.name)
	case f.runID < 0:
		return f, fmt.Errorf("-run_id %d: want 0 or more", f.runID)
	case f.threads < 0:
		return f, fmt.Errorf("-threads %d: want 0 or more", f.threads)
	case f.tf32 && f.gpu == "":
		return f, errors.New("-tf32 needs -gpu (TF32 is a GPU tensor-core mode)")
	case f.resultDir == "":
		return f, errors.New("-result_dir is required (no home directory to default to)")
	}
	return f, nil
}

// run is the whole program: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pretrain: %v\n", err)
		return exitUsage
	}
	j, err := loadJob(f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pretrain: %v\n", err)
		return exitUsage
	}
	if j.cfg.Problem.Type == config.SemanticSegType {
		return runSegment(ctx, j, stdout, stderr)
	}
	return runPretrain(ctx, j, stdout, stderr)
}

// job is a loaded, validated configuration with the command line that runs it.
type job struct {
	f    flags
	cfg  *config.Config
	text []byte        // the YAML file, copied to config_files/
	dev  tensor.Device // nil: the CPU
}

// loadJob opens the device -gpu asks for, then loads and validates the configuration
// named by f. Every configuration problem is reported, one per line; warnings go to
// stderr.
func loadJob(f flags, stderr io.Writer) (job, error) {
	dev, err := device(f.gpu)
	if err != nil {
		return job{}, err
	}
	if f.tf32 {
		if t, ok := dev.(interface{ SetTF32(bool) }); ok {
			t.SetTF32(true)
		}
	}
	text, err := os.ReadFile(f.config)
	if err != nil {
		return job{}, err
	}
	c, err := config.Parse(text, f.config)
	if err == nil {
		c.SetJob(f.resultDir, f.name, f.runID)
		err = c.Validate()
	}
	if err != nil {
		return job{}, fmt.Errorf("invalid configuration:\n%s", indent(err.Error()))
	}
	for _, w := range c.Warnings() {
		fmt.Fprintf(stderr, "pretrain: note: %s\n", w)
	}
	return job{f: f, cfg: c, text: text, dev: dev}, nil
}

// configJob returns the config.Job of j's command line.
func (j job) configJob() config.Job {
	return config.Job{
		ResultDir:  j.f.resultDir,
		Name:       j.f.name,
		RunID:      j.f.runID,
		Resume:     j.f.resume,
		ConfigName: filepath.Base(j.f.config),
		ConfigText: string(j.text),
	}
}

// runPretrain runs a SELF_SUPERVISED job and returns the exit status.
func runPretrain(ctx context.Context, j job, stdout, stderr io.Writer) int {
	opts := j.cfg.PretrainOptions(j.configJob())
	if j.f.threads > 0 {
		opts.Train.Threads = j.f.threads
	}
	opts.Device = j.dev
	opts.Out = stdout
	opts.Log = newLogger(stderr)

	layout := pretrain.NewLayout(opts.Paths)
	fmt.Fprintf(stdout, "selfsup pretrain: job %s, config %s, outputs in %s\n", layout.JobID, j.f.config, layout.JobDir)
	start := time.Now()
	rep, err := pretrain.Run(ctx, opts)
	elapsed := time.Since(start)
	if st := runStatus(ctx, err, elapsed, stderr,
		fmt.Sprintf("the last checkpoint is in %s; continue with the same command and -resume", layout.Checkpoints)); st != exitOK {
		return st
	}
	printSummary(stdout, rep, layout, elapsed)
	return exitOK
}

// runStatus returns the exit status of a workflow run that ended with err after
// elapsed, printing the error; after an interruption it also prints hint (where the
// outputs are and how to go on).
func runStatus(ctx context.Context, err error, elapsed time.Duration, stderr io.Writer, hint string) int {
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintf(stderr, "pretrain: interrupted after %s: %v\n", elapsed.Round(time.Second), err)
		fmt.Fprintf(stderr, "pretrain: %s\n", hint)
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "pretrain: %v\n", err)
		return exitRunError
	}
	return exitOK
}

// newLogger returns the run's message logger: text lines on stderr, level Info.
func newLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// indent prefixes every line of s with two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ")
}
