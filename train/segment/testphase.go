package segment

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/train"
)

// test runs the test phase and fills the report's test fields.
func (w *workflow) test(ctx context.Context) error {
	o, l := w.o, w.lay
	t0 := time.Now()
	if err := w.loadTestWeights(); err != nil {
		return err
	}
	ds, err := data.LoadDir(ctx, o.Data.TestDir, data.LoadOptions{LabelDir: o.Data.TestLabelDir, Patch: o.Data.Patch,
		ReflectToCompleteShape: o.Data.ReflectToCompleteShape})
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	nn.SetTraining(w.model, false)
	defer nn.SetTraining(w.model, true)
	var ms []map[string]float64
	w.rep.Images = nil
	for _, s := range ds.Samples {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("segment: test phase: %w", err)
		}
		ir, m, err := w.testImage(s)
		if err != nil {
			return err
		}
		w.rep.Images = append(w.rep.Images, ir)
		if m != nil {
			ms = append(ms, m)
		}
	}
	if len(ms) > 0 {
		avg := map[string]float64{}
		for _, m := range ms {
			for k, v := range m {
				avg[k] += v / float64(len(ms))
			}
		}
		w.rep.Metrics = floats(avg)
	}
	w.rep.TestSeconds = time.Since(t0).Seconds()
	w.log.Info("segment: test phase done", "images", len(ds.Samples), "per_image", l.PerImage)
	return w.rep.printMetrics(o.Out)
}

// loadTestWeights loads the weights the test phase uses: the best checkpoint restored
// by training (nothing to do), Options.Checkpoint, or the job's best checkpoint.
func (w *workflow) loadTestWeights() error {
	if w.o.Train.Enable {
		return nil // Fit restored the best weights (or the last ones without a best)
	}
	path := w.o.Checkpoint
	if path == "" {
		path = train.CheckpointPath(w.lay.Checkpoints, w.lay.JobID, "best")
	}
	if err := train.LoadWeights(path, w.model.Params()); err != nil {
		return fmt.Errorf("segment: loading test weights (train first or set PATHS.CHECKPOINT_FILE): %w", err)
	}
	w.rep.Checkpoint = path
	return nil
}

// testImage predicts one test image, writes per_image/<stem>.tif (uint8 class ids)
// and returns its report entry and metrics (nil without a label).
func (w *workflow) testImage(s data.Sample) (ImageReport, map[string]float64, error) {
	o, l := w.o, w.lay
	stem := strings.TrimSuffix(s.Name, filepath.Ext(s.Name))
	in := s.Image
	size := in.Shape[:len(in.Shape)-1]
	ir := ImageReport{Name: s.Name, Output: filepath.Join(l.PerImage, stem+".tif"), Shape: slices.Clone(size)}
	xn, _, err := o.Data.Normalization.Normalize(in)
	if err != nil {
		return ir, nil, fmt.Errorf("segment: test image %s: %w", s.Name, err)
	}
	if o.Data.ReflectToCompleteShape {
		xn = data.ReflectToShape(xn, o.Data.Patch[:len(o.Data.Patch)-1])
	}
	prob, err := w.predict(xn)
	if err != nil {
		return ir, nil, fmt.Errorf("segment: test image %s: %w", s.Name, err)
	}
	if !slices.Equal(prob.Shape[:len(prob.Shape)-1], size) {
		prob = data.CropEnd(prob, size)
	}
	lab := probLabels(prob, o.Threshold)
	if err := data.WriteTIFF(ir.Output, lab, data.TIFFOptions{}); err != nil {
		return ir, nil, fmt.Errorf("segment: %w", err)
	}
	if s.Label == nil {
		return ir, nil, nil
	}
	gt, err := classIDs(s.Label, o.Classes, o.Data.InvertBinary)
	if err != nil {
		return ir, nil, fmt.Errorf("segment: test label of %s: %w", s.Name, err)
	}
	m := scores(lab.Data, gt.Data, o.Classes)
	ir.Metrics = floats(m)
	return ir, m, nil
}

// probLabels returns the uint8 class-id image of merged probabilities
// [(Z,) Y, X, K]: p > threshold for K = 1, the arg-max otherwise.
func probLabels(prob *data.Image, threshold float64) *data.Image {
	k := prob.Channels()
	sp := prob.Shape[:len(prob.Shape)-1]
	out := data.NewImage(data.Uint8, append(slices.Clone(sp), 1)...)
	for i := range out.Data {
		px := prob.Data[i*k : (i+1)*k]
		if k == 1 {
			if float64(px[0]) > threshold {
				out.Data[i] = 1
			}
			continue
		}
		best, arg := px[0], 0
		for c := 1; c < k; c++ {
			if px[c] > best {
				best, arg = px[c], c
			}
		}
		out.Data[i] = float32(arg)
	}
	return out
}

// predict tiles the normalised image, runs the model on batches of patches in eval
// mode, turns the logits into probabilities (sigmoid, or softmax over the channels)
// and merges them: [(Z,) Y, X, K] float32.
func (w *workflow) predict(xn *data.Image) (*data.Image, error) {
	o := w.o
	sp := o.Data.Patch[:len(o.Data.Patch)-1]
	tl, err := data.NewTiling(xn.Shape[:len(xn.Shape)-1], sp, o.Test.Overlap, o.Test.Padding)
	if err != nil {
		return nil, err
	}
	tl.MedianPadding = o.Test.MedianPadding
	patches, err := tl.Crop(xn)
	if err != nil {
		return nil, err
	}
	k := o.outChannels()
	pm := tl.NewMerger(k)
	for lo := 0; lo < len(patches); lo += o.Train.BatchSize {
		hi := min(lo+o.Train.BatchSize, len(patches))
		x := workflows.ToBatch(patches[lo:hi])
		xd := x.To(o.Device)
		tp := nn.NewTape() // its Reset frees the batch's intermediates
		out := w.model.Forward(tp, nn.NewVar(xd)).Value
		shape := out.Shape()
		vals := out.Values()
		tp.Reset()
		if xd != x {
			xd.Device().Free(xd.Buffer())
		}
		for n := range hi - lo {
			px := workflows.FromBatch(vals, shape, n)
			toProb(px, k)
			pm.Add(lo+n, px)
		}
	}
	return pm.Image(data.Float32)
}

// toProb replaces channel-last logits (k per pixel) by probabilities in place.
func toProb(v []float32, k int) {
	if k == 1 {
		for i, x := range v {
			v[i] = float32(1 / (1 + math.Exp(-float64(x))))
		}
		return
	}
	for i := 0; i < len(v); i += k {
		px := v[i : i+k]
		m := slices.Max(px)
		z := 0.0
		for c, x := range px {
			e := math.Exp(float64(x - m))
			px[c] = float32(e)
			z += e
		}
		for c := range px {
			px[c] = float32(float64(px[c]) / z)
		}
	}
}
