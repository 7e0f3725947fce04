package train

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func progressRun(l Logger, epochs, steps int) []error {
	var errs []error
	for ep := 1; ep <= epochs; ep++ {
		for st := 1; st <= steps; st++ {
			l.Step(StepStats{Epoch: ep, Epochs: epochs, Step: st, Steps: steps, Loss: 0.5 / float64(st),
				SamplesPerSec: 32, ETA: time.Duration((epochs-ep)*steps+steps-st) * 1500 * time.Millisecond})
		}
		e := EpochStats{Epoch: ep, Epochs: epochs, TrainLoss: 0.25, ValLoss: math.NaN(), LR: 1e-4,
			Metrics: map[string]float64{"train/PSNR": 20.125}, Duration: 12340 * time.Millisecond, Best: ep == 1}
		if ep == 1 {
			e.ValLoss = 0.3
			e.Metrics["val/PSNR"] = 19.5
		}
		errs = append(errs, l.Epoch(e))
	}
	return append(errs, l.Close())
}

func TestProgressPlain(t *testing.T) {
	cases := []struct {
		name          string
		epochs, steps int
		want          string
	}{
		{"8 steps", 2, 8, `epoch 1/2  step 2/8  loss 0.25  32.0 samples/s  ETA 21s
epoch 1/2  step 4/8  loss 0.125  32.0 samples/s  ETA 18s
epoch 1/2  step 6/8  loss 0.08333  32.0 samples/s  ETA 15s
epoch 1/2  train loss 0.25  val loss 0.3 (best)  lr 0.0001  train/PSNR 20.12  val/PSNR 19.5  12.3s
epoch 2/2  step 2/8  loss 0.25  32.0 samples/s  ETA 9s
epoch 2/2  step 4/8  loss 0.125  32.0 samples/s  ETA 6s
epoch 2/2  step 6/8  loss 0.08333  32.0 samples/s  ETA 3s
epoch 2/2  train loss 0.25  lr 0.0001  train/PSNR 20.12  12.3s
`},
		{"1 step", 1, 1, `epoch 1/1  train loss 0.25  val loss 0.3 (best)  lr 0.0001  train/PSNR 20.12  val/PSNR 19.5  12.3s
`},
		{"3 steps", 1, 3, `epoch 1/1  step 1/3  loss 0.5  32.0 samples/s  ETA 3s
epoch 1/1  step 2/3  loss 0.25  32.0 samples/s  ETA 2s
epoch 1/1  train loss 0.25  val loss 0.3 (best)  lr 0.0001  train/PSNR 20.12  val/PSNR 19.5  12.3s
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := NewProgressLogger(&buf)
			for _, err := range progressRun(l, c.epochs, c.steps) {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := buf.String(); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	// Many steps: still one line per quarter.
	var buf bytes.Buffer
	progressRun(NewProgressLogger(&buf), 3, 1000)
	if n := strings.Count(buf.String(), "\n"); n != 3*4 {
		t.Errorf("1000 steps × 3 epochs: %d lines, want 12", n)
	}
}

func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, true)
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }
	for st := 1; st <= 10; st++ {
		p.Step(StepStats{Epoch: 1, Epochs: 1, Step: st, Steps: 10, Loss: 0.5, SamplesPerSec: 8, ETA: time.Second})
		clock = clock.Add(30 * time.Millisecond) // redraws at 0, 120, 240 ms, and the last step
	}
	out := buf.String()
	if strings.Contains(out, "\n") {
		t.Errorf("step lines contain a newline: %q", out)
	}
	frames := strings.Split(out, "\r\x1b[K")[1:]
	want := []string{
		"epoch 1/1 [##------------------] 1/10  loss 0.5  8.0 samples/s  ETA 1s",
		"epoch 1/1 [##########----------] 5/10  loss 0.5  8.0 samples/s  ETA 1s",
		"epoch 1/1 [##################--] 9/10  loss 0.5  8.0 samples/s  ETA 1s",
		"epoch 1/1 [####################] 10/10  loss 0.5  8.0 samples/s  ETA 1s",
	}
	if strings.Join(frames, "|") != strings.Join(want, "|") {
		t.Errorf("frames:\n%s\nwant:\n%s", strings.Join(frames, "\n"), strings.Join(want, "\n"))
	}
	buf.Reset()
	if err := p.Epoch(EpochStats{Epoch: 1, Epochs: 1, TrainLoss: 0.5, ValLoss: math.NaN(), LR: 0.001}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "\r\x1b[Kepoch 1/1  train loss 0.5  lr 0.001\n"; got != want {
		t.Errorf("epoch line %q, want %q", got, want)
	}
	// Close ends a pending line, and only then.
	buf.Reset()
	p.Close()
	p.Step(StepStats{Epoch: 1, Epochs: 1, Step: 1, Steps: 10})
	p.Close()
	if got := strings.Count(buf.String(), "\n"); got != 1 || !strings.HasSuffix(buf.String(), "\n") {
		t.Errorf("after Close: %q", buf.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestProgressWriteError(t *testing.T) {
	errs := progressRun(NewProgressLogger(failWriter{}), 2, 8)
	for i, err := range errs[:2] {
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("Epoch %d error %v, want disk full", i+1, err)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, wr := range map[string]any{"buffer": &bytes.Buffer{}, "file": f, "pipe": w} {
		t.Run(name, func(t *testing.T) {
			if isTerminal(wr.(interface{ Write([]byte) (int, error) })) {
				t.Errorf("isTerminal(%s) = true", name)
			}
		})
	}
}
