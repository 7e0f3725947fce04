package train

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoggersTogether runs the four loggers behind MultiLogger over a short run laid out
// as SPEC §8 (train_logs at job level, charts and tensorboard under results/<job>).
func TestLoggersTogether(t *testing.T) {
	job := filepath.Join(t.TempDir(), "my_job")
	res := filepath.Join(job, "results", "my_job_1")
	logPath := filepath.Join(job, "train_logs", JSONLogName("my_job_1", time.Now()))
	jl, err := NewJSONLogger(logPath)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := NewTensorBoardLogger(filepath.Join(res, "tensorboard"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	l := MultiLogger(jl, NewChartLogger(filepath.Join(res, "charts"), "my_job_1", 5), tb, NewProgressLogger(&out))
	const epochs = 6
	for ep := 1; ep <= epochs; ep++ {
		for st := 1; st <= 4; st++ {
			l.Step(StepStats{Epoch: ep, Epochs: epochs, Step: st, Steps: 4, Loss: 1})
		}
		e := chartEpoch(ep, true)
		e.Epochs = epochs
		if err := l.Epoch(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	hist, err := ReadJSONLog(logPath)
	if err != nil || len(hist) != epochs {
		t.Errorf("json log: %d epochs, %v", len(hist), err)
	}
	for _, name := range []string{"my_job_1_loss.png", "my_job_1_PSNR.png", "my_job_1_SSIM.png"} {
		if st, err := os.Stat(filepath.Join(res, "charts", name)); err != nil || st.Size() < 1000 {
			t.Errorf("chart %s: %v", name, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(res, "tensorboard", "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files %v", files)
	}
	evs, err := ReadEvents(files[0])
	if err != nil || len(evs) != epochs*7 { // loss/train, loss/val, lr, 4 metrics
		t.Errorf("events: %d scalars, %v", len(evs), err)
	}
	if n := strings.Count(out.String(), "train loss"); n != epochs {
		t.Errorf("progress: %d epoch lines, want %d", n, epochs)
	}
}
