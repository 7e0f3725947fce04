package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// progressRefresh is the shortest interval between two redraws of the terminal line.
const progressRefresh = 100 * time.Millisecond

// NewProgressLogger returns a Logger that reports training progress as text on w.
//
// On a terminal (w is an *os.File on a character device) it keeps one line per epoch
// updated in place with carriage returns, at most every 100 ms:
//
//	epoch 3/100 [########------------] 21/50  loss 0.01234  45.2 samples/s  ETA 1h2m3s
//
// and replaces it, at the end of the epoch, with the epoch summary. Otherwise (a file, a
// pipe, a buffer) it writes plain lines: a step line at each quarter of an epoch and
// one summary line per epoch:
//
//	epoch 3/100  step 13/50  loss 0.01234  45.2 samples/s  ETA 1h2m3s
//	epoch 3/100  train loss 0.01234  val loss 0.01301 (best)  lr 0.0001  train/PSNR 20.13  val/PSNR 19.8  12.3s
//
// Write errors are returned by the next Epoch or Close. Close ends a pending terminal
// line; it does not close w.
func NewProgressLogger(w io.Writer) Logger {
	return newProgress(w, isTerminal(w))
}

// isTerminal reports whether w is an *os.File on a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, tty bool) *progress {
	return &progress{w: w, tty: tty, now: time.Now}
}

type progress struct {
	w       io.Writer
	tty     bool
	now     func() time.Time
	last    time.Time // last terminal redraw
	pending bool      // a terminal line without its newline is shown
	err     error     // first write error
	buf     strings.Builder
}

func (p *progress) write(s string) {
	if p.err != nil {
		return
	}
	if _, err := io.WriteString(p.w, s); err != nil {
		p.err = fmt.Errorf("train: progress: %w", err)
	}
}

func (p *progress) Step(s StepStats) {
	if p.tty {
		now := p.now()
		if s.Step != 1 && s.Step < s.Steps && now.Sub(p.last) < progressRefresh {
			return
		}
		p.last = now
		p.buf.Reset()
		p.buf.WriteString("\r\x1b[K")
		fmt.Fprintf(&p.buf, "epoch %d/%d %s %d/%d", s.Epoch, s.Epochs, progressBar(s.Step, s.Steps, 20), s.Step, s.Steps)
		p.stepTail(s)
		p.write(p.buf.String())
		p.pending = true
		return
	}
	// Plain: a line when the step crosses a quarter of the epoch, except at its end
	// (the epoch line follows).
	if s.Steps <= 0 || s.Step >= s.Steps || s.Step*4/s.Steps == (s.Step-1)*4/s.Steps {
		return
	}
	p.buf.Reset()
	fmt.Fprintf(&p.buf, "epoch %d/%d  step %d/%d", s.Epoch, s.Epochs, s.Step, s.Steps)
	p.stepTail(s)
	p.buf.WriteByte('\n')
	p.write(p.buf.String())
}

// stepTail appends loss, throughput and ETA to p.buf.
func (p *progress) stepTail(s StepStats) {
	fmt.Fprintf(&p.buf, "  loss %.4g", s.Loss)
	if s.SamplesPerSec > 0 {
		fmt.Fprintf(&p.buf, "  %.1f samples/s", s.SamplesPerSec)
	}
	if s.ETA > 0 {
		fmt.Fprintf(&p.buf, "  ETA %s", s.ETA.Round(time.Second))
	}
}

func (p *progress) Epoch(e EpochStats) error {
	p.buf.Reset()
	if p.pending {
		p.buf.WriteString("\r\x1b[K")
		p.pending = false
	}
	fmt.Fprintf(&p.buf, "epoch %d/%d  train loss %.4g", e.Epoch, e.Epochs, e.TrainLoss)
	if !math.IsNaN(e.ValLoss) {
		fmt.Fprintf(&p.buf, "  val loss %.4g", e.ValLoss)
	}
	if e.Best {
		p.buf.WriteString(" (best)")
	}
	fmt.Fprintf(&p.buf, "  lr %.3g", e.LR)
	keys := make([]string, 0, len(e.Metrics))
	for k := range e.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&p.buf, "  %s %.4g", k, e.Metrics[k])
	}
	if e.Duration > 0 {
		fmt.Fprintf(&p.buf, "  %s", e.Duration.Round(100*time.Millisecond))
	}
	p.buf.WriteByte('\n')
	p.write(p.buf.String())
	err := p.err
	p.err = nil
	return err
}

func (p *progress) Close() error {
	if p.pending {
		p.write("\n")
		p.pending = false
	}
	err := p.err
	p.err = nil
	return err
}

// progressBar draws done/total as width cells of '#' and '-' in brackets.
func progressBar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = min(width, max(0, done*width/total))
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}
