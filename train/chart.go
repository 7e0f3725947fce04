package train

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart size: matplotlib's default figure, 6.4 × 4.8 inches (614 × 461 pixels at the
// 96 dpi gonum/plot renders PNGs with).
const (
	chartWidth  = 6.4 * vg.Inch
	chartHeight = 4.8 * vg.Inch
)

// Curve colours: matplotlib's first two (tab:blue for train, tab:orange for validation).
var (
	chartTrainColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	chartValColor   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// NewChartLogger returns a Logger that keeps the per-epoch history and draws it as PNG
// charts in dir (created if needed) every freq epochs (BiaPy's LOG.CHART_CREATION_FREQ;
// when e.Epoch is a multiple of freq), and once more at Close if epochs were logged since
// the last drawing (freq ≤ 0: only at Close). The files are BiaPy's (SPEC §8):
//
//	<prefix>_loss.png       train and validation loss against the epoch
//	<prefix>_<METRIC>.png   one per metric: Metrics keys "train/<METRIC>", "val/<METRIC>"
//
// where prefix is the job id `<name>_<run_id>`. Other Metrics keys "<k>" get a one-curve
// chart <prefix>_<k>.png ('/' replaced by '_'). Non-finite values (ValLoss NaN without
// validation data) are left out of the curves; a curve with no finite value is not drawn.
// Each file is written atomically (a temporary file renamed over it). Step does nothing.
// The history starts empty: a resumed run charts the epochs it runs.
func NewChartLogger(dir, prefix string, freq int) Logger {
	return &chartLogger{dir: dir, prefix: prefix, freq: freq, charts: map[string]*chartData{}}
}

type chartLogger struct {
	dir, prefix string
	freq        int
	charts      map[string]*chartData // by file suffix: "loss", "PSNR", ...
	dirty       bool                  // epochs logged since the last drawing
}

// chartData is one chart's curves, as (epoch, value) points.
type chartData struct {
	title, ylabel        string
	trainLabel, valLabel string
	train, val           plotter.XYs
}

func (l *chartLogger) Step(StepStats) {}

func (l *chartLogger) Epoch(e EpochStats) error {
	x := float64(e.Epoch)
	l.chart("loss", "loss").add(x, e.TrainLoss, e.ValLoss)
	for k, v := range e.Metrics {
		group, name, ok := strings.Cut(k, "/")
		switch {
		case ok && group == "train":
			l.chart(name, name).add(x, v, math.NaN())
		case ok && group == "val":
			l.chart(name, name).add(x, math.NaN(), v)
		default:
			c := l.chart(strings.ReplaceAll(k, "/", "_"), k)
			c.trainLabel = k
			c.add(x, v, math.NaN())
		}
	}
	l.dirty = true
	if l.freq > 0 && e.Epoch%l.freq == 0 {
		return l.draw()
	}
	return nil
}

func (l *chartLogger) Close() error {
	if !l.dirty {
		return nil
	}
	return l.draw()
}

// chart returns the chart for a file suffix, creating it with labels for name.
func (l *chartLogger) chart(suffix, name string) *chartData {
	c := l.charts[suffix]
	if c == nil {
		c = &chartData{
			title:      "Model " + l.prefix + " " + name,
			ylabel:     name,
			trainLabel: "Train " + name,
			valLabel:   "Val. " + name,
		}
		l.charts[suffix] = c
	}
	return c
}

func (c *chartData) add(x, train, val float64) {
	if !math.IsNaN(train) && !math.IsInf(train, 0) {
		c.train = append(c.train, plotter.XY{X: x, Y: train})
	}
	if !math.IsNaN(val) && !math.IsInf(val, 0) {
		c.val = append(c.val, plotter.XY{X: x, Y: val})
	}
}

// draw writes every chart.
func (l *chartLogger) draw() error {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return fmt.Errorf("train: charts: %w", err)
	}
	suffixes := make([]string, 0, len(l.charts))
	for s := range l.charts {
		suffixes = append(suffixes, s)
	}
	sort.Strings(suffixes)
	for _, s := range suffixes {
		c := l.charts[s]
		if len(c.train) == 0 && len(c.val) == 0 {
			continue
		}
		path := filepath.Join(l.dir, l.prefix+"_"+s+".png")
		if err := c.write(path); err != nil {
			return fmt.Errorf("train: charts: %s: %w", filepath.Base(path), err)
		}
	}
	l.dirty = false
	return nil
}

// write renders the chart as a PNG into path, atomically.
func (c *chartData) write(path string) error {
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = "Epoch"
	p.Y.Label.Text = c.ylabel
	p.Add(plotter.NewGrid())
	first, last := math.NaN(), math.NaN()
	for _, curve := range []struct {
		xys   plotter.XYs
		label string
		col   color.Color
	}{{c.train, c.trainLabel, chartTrainColor}, {c.val, c.valLabel, chartValColor}} {
		if len(curve.xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(curve.xys)
		if err != nil {
			return err
		}
		line.Color = curve.col
		line.Width = vg.Points(1.5)
		points.Color = curve.col
		points.Shape = draw.CircleGlyph{}
		points.Radius = vg.Points(2)
		p.Add(line, points)
		p.Legend.Add(curve.label, line, points)
		if math.IsNaN(first) {
			first, last = curve.xys[0].Y, curve.xys[len(curve.xys)-1].Y
		}
	}
	// Put the legend where the curves are not: at the top when they fall (a loss), at
	// the bottom when they rise (PSNR, SSIM).
	p.Legend.Top = last <= first
	p.Legend.Padding = vg.Points(2)
	// Margins, so the first and last points are not drawn on the axes.
	dx := max(0.5, 0.02*(p.X.Max-p.X.Min))
	p.X.Min, p.X.Max = p.X.Min-dx, p.X.Max+dx
	dy := 0.05 * (p.Y.Max - p.Y.Min)
	if dy == 0 {
		dy = 0.05*math.Abs(p.Y.Max) + 1e-3
	}
	p.Y.Min, p.Y.Max = p.Y.Min-dy, p.Y.Max+dy
	p.X.Tick.Marker = epochTicks{}

	w, err := p.WriterTo(chartWidth, chartHeight, "png")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = w.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// epochTicks labels only whole epochs: gonum's default ticks, with the labels of
// fractional positions removed (they stay as minor ticks).
type epochTicks struct{}

func (epochTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		switch {
		case t.Label == "":
		case t.Value != math.Trunc(t.Value):
			ticks[i].Label = ""
		default:
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
}
