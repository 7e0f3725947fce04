// Command pretrain runs one BiaPy SELF_SUPERVISED job from a BiaPy YAML file: it
// pretrains a model on unlabeled images (crappify restoration or masked
// autoencoding), tests it on whole images and writes BiaPy's output tree.
//
// Usage (BiaPy's flags):
//
//	go run ./examples/pretrain -config examples/configs/quickstart.yaml \
//	    -result_dir results -name quickstart -run_id 1
//
// Flags:
//
//	-config FILE      BiaPy YAML configuration (required)
//	-result_dir DIR   outputs go to DIR/<name> (BiaPy's default: $HOME)
//	-name NAME        job name (default unknown_job)
//	-run_id N         run number; the job id is <name>_<N> (default 1)
//	-gpu ID           run on GPU ID (needs a build with GPU support)
//	-resume           continue the job's training from its last checkpoint
//	-threads N        CPU threads (default: SYSTEM.NUM_CPUS, else all cores)
//
// Ctrl-C (or SIGTERM) stops the training after the current step, saves the last
// checkpoint and exits with status 130; -resume continues from there. Configuration
// errors exit with status 2, run errors with status 1.
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
	fs.BoolVar(&f.resume, "resume", false, "continue the job's training from its last checkpoint")
	fs.IntVar(&f.threads, "threads", 0, "CPU `threads` (0: SYSTEM.NUM_CPUS, else all cores)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pretrain -config FILE [-result_dir DIR] [-name NAME] [-run_id N] [-gpu ID] [-resume] [-threads N]\n\n")
		fmt.Fprintf(stderr, "Runs a BiaPy SELF_SUPERVISED job: pretraining, test phase, outputs in DIR/NAME.\n\n")
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
	opts, err := options(f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pretrain: %v\n", err)
		return exitUsage
	}
	opts.Out = stdout
	opts.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	layout := pretrain.NewLayout(opts.Paths)
	fmt.Fprintf(stdout, "selfsup pretrain: job %s, config %s, outputs in %s\n", layout.JobID, f.config, layout.JobDir)
	start := time.Now()
	rep, err := pretrain.Run(ctx, opts)
	elapsed := time.Since(start)
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintf(stderr, "pretrain: interrupted after %s: %v\n", elapsed.Round(time.Second), err)
		fmt.Fprintf(stderr, "pretrain: the last checkpoint is in %s; continue with the same command and -resume\n", layout.Checkpoints)
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "pretrain: %v\n", err)
		return exitRunError
	}
	printSummary(stdout, rep, layout, elapsed)
	return exitOK
}

// options loads and validates the configuration named by f and maps it onto the
// workflow's options. Every configuration problem is reported, one per line.
func options(f flags, stderr io.Writer) (pretrain.Options, error) {
	dev, err := device(f.gpu)
	if err != nil {
		return pretrain.Options{}, err
	}
	text, err := os.ReadFile(f.config)
	if err != nil {
		return pretrain.Options{}, err
	}
	c, err := config.Parse(text, f.config)
	if err == nil {
		c.SetJob(f.resultDir, f.name, f.runID)
		err = c.Validate()
	}
	if err != nil {
		return pretrain.Options{}, fmt.Errorf("invalid configuration:\n%s", indent(err.Error()))
	}
	for _, w := range c.Warnings() {
		fmt.Fprintf(stderr, "pretrain: note: %s\n", w)
	}
	opts := c.PretrainOptions(config.Job{
		ResultDir:  f.resultDir,
		Name:       f.name,
		RunID:      f.runID,
		Resume:     f.resume,
		ConfigName: filepath.Base(f.config),
		ConfigText: string(text),
	})
	if f.threads > 0 {
		opts.Train.Threads = f.threads
	}
	opts.Device = dev
	return opts, nil
}

// indent prefixes every line of s with two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ")
}
