package pretrain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// prediction holds the merged outputs of one test image, normalised, in the padded
// (reflect-completed) spatial frame.
type prediction struct {
	pred, masked, recVis *data.Image // masked and recVis: masking only
}

// test runs the test phase (SPEC §7) and fills the report's test fields.
func (w *workflow) test(ctx context.Context) error {
	o, l := w.o, w.lay
	t0 := time.Now()
	if err := w.loadTestWeights(); err != nil {
		return err
	}
	ds, err := data.LoadDir(ctx, o.Data.TestDir, data.LoadOptions{Patch: o.Data.Patch, ReflectToCompleteShape: o.Data.ReflectToCompleteShape})
	if err != nil {
		return err
	}
	orig, inputs, err := w.inputs(ctx, o.Data.TestDir, o.Data.TestSourceDir, ds)
	if err != nil {
		return err
	}
	refs, refName := orig, "original image"
	if w.pretext == Masking {
		refName = "input image"
		if o.Data.TestGTDir != "" {
			gt, err := data.LoadDir(ctx, o.Data.TestGTDir, data.LoadOptions{})
			if err != nil {
				return err
			}
			names := make([]string, len(gt.Samples))
			for i, s := range gt.Samples {
				names[i] = s.Name
			}
			raw := make([]string, len(ds.Samples))
			for i, s := range ds.Samples {
				raw[i] = s.Name
			}
			match, err := data.MatchLabels(o.Data.TestDir, raw, o.Data.TestGTDir, names)
			if err != nil {
				return fmt.Errorf("pretrain: DATA.TEST.GT_PATH: %w", err)
			}
			refs, refName = make([]*data.Image, len(raw)), "ground truth"
			for i, n := range match {
				refs[i] = gt.Samples[slices.Index(names, n)].Image
			}
		}
	}
	if w.mae != nil && o.MAEChecks > 0 {
		if err := os.MkdirAll(l.MAEChecks, 0o755); err != nil {
			return fmt.Errorf("pretrain: %w", err)
		}
	}
	if w.mae != nil {
		// Test masks (random type) are drawn from a generator of their own.
		w.mae.MaskRNG = tensor.NewRNG(workflows.Mix(o.Train.Seed, workflows.SaltVal, 1<<40))
	}
	nn.SetTraining(w.model, false)
	defer nn.SetTraining(w.model, true)
	var ms, bs []map[string]float64
	w.rep.Images = nil
	for i, s := range ds.Samples {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("pretrain: test phase: %w", err)
		}
		ir, m, b, err := w.testImage(i, s.Name, inputs[i], refs[i])
		if err != nil {
			return err
		}
		w.rep.Images = append(w.rep.Images, ir)
		ms, bs = append(ms, m), append(bs, b)
	}
	w.rep.Reference = refName
	w.rep.BaselineName = "crappified input"
	if w.pretext == Masking {
		w.rep.BaselineName = "masked input"
	}
	w.rep.Metrics, w.rep.Baseline = floats(averages(ms)), floats(averages(bs))
	w.rep.TestSeconds = time.Since(t0).Seconds()
	w.log.Info("pretrain: test phase done", "images", len(ds.Samples), "per_image", l.PerImage)
	return w.rep.printMetrics(o.Out)
}

// loadTestWeights loads the weights the test phase uses: the best checkpoint restored
// by training (nothing to do), Options.Checkpoint, or the job's best checkpoint.
func (w *workflow) loadTestWeights() error {
	if w.o.Train.Enable && w.rep.Checkpoint != "" {
		return nil
	}
	path := w.o.Checkpoint
	if path == "" {
		path = train.CheckpointPath(w.lay.Checkpoints, w.lay.JobID, "best")
	}
	if !exists(path) {
		if w.o.Train.Enable { // trained without a best checkpoint: use the weights as they are
			return nil
		}
		return fmt.Errorf("pretrain: the test phase needs trained weights: %s does not exist (train first or set PATHS.CHECKPOINT_FILE)", path)
	}
	if err := train.LoadWeights(path, w.model.Params()); err != nil {
		return fmt.Errorf("pretrain: loading test weights: %w", err)
	}
	w.rep.Checkpoint = path
	return nil
}

// testImage predicts one test image, writes its outputs and returns its report entry
// with the model's and the baseline's metrics against ref (nil maps without a
// reference of the right shape).
func (w *workflow) testImage(i int, name string, in, ref *data.Image) (ImageReport, map[string]float64, map[string]float64, error) {
	o, l := w.o, w.lay
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	ir := ImageReport{Name: name, Output: filepath.Join(l.PerImage, stem+".tif"), Shape: slices.Clone(in.Shape), DType: in.DType.String()}
	xn, stats, err := o.Data.Normalization.Normalize(in)
	if err != nil {
		return ir, nil, nil, fmt.Errorf("pretrain: test image %s: %w", name, err)
	}
	size := in.Shape[:len(in.Shape)-1]
	sp := o.Data.Patch[:len(o.Data.Patch)-1]
	if o.Data.ReflectToCompleteShape {
		xn = data.ReflectToShape(xn, sp)
	}
	p, err := w.predict(xn)
	if err != nil {
		return ir, nil, nil, fmt.Errorf("pretrain: test image %s: %w", name, err)
	}
	crop := func(m *data.Image) *data.Image {
		if m == nil || slices.Equal(m.Shape[:len(m.Shape)-1], size) {
			return m
		}
		return data.CropEnd(m, size)
	}
	xn, p.pred, p.masked, p.recVis = crop(xn), crop(p.pred), crop(p.masked), crop(p.recVis)
	out := stats.Undo(p.pred)
	if err := data.WriteTIFF(ir.Output, out, data.TIFFOptions{}); err != nil {
		return ir, nil, nil, err
	}
	baseline := in
	if w.mae != nil {
		for suffix, m := range map[string]*data.Image{"_masked": p.masked, "_reconstruction_and_visible": p.recVis} {
			if err := data.WriteTIFF(filepath.Join(l.PerImage, stem+suffix+".tif"), m, data.TIFFOptions{}); err != nil {
				return ir, nil, nil, err
			}
		}
		if i < o.MAEChecks {
			if err := w.writeMAEChecks(stem, xn, p); err != nil {
				return ir, nil, nil, err
			}
		}
		baseline = stats.Undo(p.masked)
	}
	if ref == nil || !slices.Equal(ref.Shape, out.Shape) {
		if ref != nil {
			w.log.Warn("pretrain: test reference shape differs from the prediction; no metrics", "image", name, "reference", ref.Shape, "prediction", out.Shape)
		}
		return ir, nil, nil, nil
	}
	m := imageMetrics(out.Data, ref.Data, out.Shape)
	b := imageMetrics(baseline.Data, ref.Data, out.Shape)
	ir.Metrics, ir.Baseline = floats(m), floats(b)
	return ir, m, b, nil
}

// writeMAEChecks writes MAE_checks/<stem>_{original,masked,reconstruction,
// reconstruction_and_visible}.tif (SPEC Part A item 5), all normalised float32 so
// they compare directly.
func (w *workflow) writeMAEChecks(stem string, xn *data.Image, p prediction) error {
	files := []struct {
		suffix string
		img    *data.Image
	}{{"_original", xn}, {"_masked", p.masked}, {"_reconstruction", p.pred}, {"_reconstruction_and_visible", p.recVis}}
	for _, f := range files {
		if err := data.WriteTIFF(filepath.Join(w.lay.MAEChecks, stem+f.suffix+".tif"), f.img, data.TIFFOptions{}); err != nil {
			return fmt.Errorf("pretrain: MAE_checks: %w", err)
		}
	}
	return nil
}

// predict tiles the normalised image xn with the test overlap and padding, runs the
// model on batches of patches in eval mode (the MAE with masking active) and merges
// the outputs (SPEC §7.1–7.2).
func (w *workflow) predict(xn *data.Image) (prediction, error) {
	o := w.o
	sp := o.Data.Patch[:len(o.Data.Patch)-1]
	tl, err := data.NewTiling(xn.Shape[:len(xn.Shape)-1], sp, o.Test.Overlap, o.Test.Padding)
	if err != nil {
		return prediction{}, err
	}
	tl.MedianPadding = o.Test.MedianPadding
	patches, err := tl.Crop(xn)
	if err != nil {
		return prediction{}, err
	}
	c := xn.Channels()
	pm := tl.NewMerger(c)
	var mm, rm *data.Merger
	if w.mae != nil {
		mm, rm = tl.NewMerger(c), tl.NewMerger(c)
	}
	bs := o.Train.BatchSize
	for lo := 0; lo < len(patches); lo += bs {
		hi := min(lo+bs, len(patches))
		x := workflows.ToBatch(patches[lo:hi])
		shape := x.Shape()
		xd := x.To(o.Device)
		tp := inferTape(o.Device) // Reset frees the batch's intermediates
		if w.mae == nil {
			out := w.model.Forward(tp, nn.NewVar(xd)).Value
			vals := out.Values()
			tp.Reset()
			freeUpload(xd, x)
			if !slices.Equal(out.Shape(), shape) {
				return prediction{}, fmt.Errorf("model output %v for input %v: a self-supervised model must keep the shape", out.Shape(), shape)
			}
			for n := range hi - lo {
				pm.Add(lo+n, workflows.FromBatch(vals, shape, n))
			}
			continue
		}
		_, tok, mask := w.mae.ForwardLoss(tp, nn.NewVar(xd), nil)
		pred := w.mae.Unpatchify(tp, tok).Value.Values()
		tp.Reset()
		freeUpload(xd, x)
		mimg := w.mae.MaskImage(mask.Mask).Values()
		xv := x.Data()
		masked := make([]float32, len(xv))
		recVis := make([]float32, len(xv))
		for k, v := range xv {
			masked[k] = v * (1 - mimg[k])
			recVis[k] = masked[k] + pred[k]*mimg[k]
		}
		for n := range hi - lo {
			pm.Add(lo+n, workflows.FromBatch(pred, shape, n))
			mm.Add(lo+n, workflows.FromBatch(masked, shape, n))
			rm.Add(lo+n, workflows.FromBatch(recVis, shape, n))
		}
	}
	var p prediction
	if p.pred, err = pm.Image(data.Float32); err != nil {
		return p, err
	}
	if w.mae != nil {
		if p.masked, err = mm.Image(data.Float32); err != nil {
			return p, err
		}
		if p.recVis, err = rm.Image(data.Float32); err != nil {
			return p, err
		}
	}
	return p, nil
}
