package train

import (
	"context"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// runEpoch trains and validates epoch r.epoch from batch r.batch on, then advances the
// position, writes the checkpoints and returns the epoch's statistics.
func (r *run) runEpoch(ctx context.Context) (EpochStats, error) {
	o := r.o
	t0 := time.Now()
	steps := o.Train.Len()
	if r.batch == 0 {
		r.partial = PartialEpoch{}
	}
	if r.partial.MetricSums == nil {
		r.partial.MetricSums = map[string]float64{}
	}
	nn.SetTraining(o.Model, true)
	o.Optimizer.ZeroGrad()
	tp := nn.NewTape()
	var (
		snap    PartialEpoch      // sums at the start of the current accumulation group
		rngSnap map[string][]byte // generator states then
		bufSnap []*tensor.Tensor  // buffers (running statistics) then, when accumulating
		group   int               // first batch of the current group
	)
	for i := r.batch; i < steps; i++ {
		if i%r.accum == 0 {
			if err := ctx.Err(); err != nil {
				return EpochStats{}, r.interrupted(i, err)
			}
			group, snap, rngSnap = i, r.partial, r.rngStates()
			snap.MetricSums = maps.Clone(r.partial.MetricSums)
			if r.accum > 1 {
				bufSnap = r.snapshotBuffers(bufSnap)
			}
		}
		if o.Scheduler != nil {
			o.Scheduler.Iter(o.Optimizer, r.epoch, i, steps)
		}
		x, y, err := o.Train.Batch(ctx, r.epoch, i)
		if err != nil {
			if ctx.Err() != nil {
				// Roll back to the start of the group: only the gradients, the running
				// statistics, the sums and the generators have changed since.
				o.Optimizer.ZeroGrad()
				r.restoreBuffers(bufSnap)
				r.partial = snap
				if err := r.setRNGStates(rngSnap); err != nil {
					return EpochStats{}, err
				}
				return EpochStats{}, r.interrupted(group, ctx.Err())
			}
			return EpochStats{}, fmt.Errorf("train: epoch %d batch %d: %w", r.epoch+1, i+1, err)
		}
		loss, pred := o.Loss(tp, o.Model, x, y)
		l := float64(loss.Value.Item())
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return EpochStats{}, &nonFiniteError{loss: l, epoch: r.epoch + 1, step: i + 1, last: r.lastGood}
		}
		for _, m := range o.Metrics {
			r.partial.MetricSums[m.Name] += m.Fn(x, y, pred.Value)
		}
		if r.accum == 1 {
			tp.Backward(loss)
		} else {
			seed := tensor.Full(loss.Device(), float32(1/float64(r.accum)), loss.Shape()...)
			tp.BackwardWith(loss, seed) // copies the seed
			seed.Device().Free(seed.Buffer())
		}
		tp.Reset()
		r.partial.LossSum += l
		r.partial.Batches++
		r.partial.Samples += x.Dim(0)
		r.samples += x.Dim(0)
		r.doneSteps++
		if (i+1)%r.accum == 0 {
			o.Optimizer.Step()
			o.Optimizer.ZeroGrad()
			if o.Scheduler != nil {
				o.Scheduler.Stepped(o.Optimizer)
			}
		}
		if o.Logger != nil {
			o.Logger.Step(r.stepStats(i, steps, l))
		}
	}
	o.Optimizer.ZeroGrad() // an incomplete accumulation group is dropped
	r.batch = steps
	lr := o.Optimizer.LR()
	r.trainLoss = r.partial.LossSum / float64(max(r.partial.Batches, 1))
	stats := EpochStats{Epoch: r.epoch + 1, Epochs: o.Epochs, TrainLoss: r.trainLoss, LR: lr, Metrics: map[string]float64{}}
	for _, m := range o.Metrics {
		stats.Metrics["train/"+m.Name] = r.partial.MetricSums[m.Name] / float64(max(r.partial.Batches, 1))
	}
	r.valLoss = math.NaN()
	if o.Val != nil && o.Val.Len() > 0 {
		vl, vm, err := r.validate(ctx)
		if err != nil {
			return EpochStats{}, err
		}
		r.valLoss = vl
		maps.Copy(stats.Metrics, vm)
	}
	stats.ValLoss = r.valLoss
	monitor := r.valLoss
	if o.Val == nil || o.Val.Len() == 0 {
		monitor = r.trainLoss
	}
	r.epoch++
	r.batch = 0
	r.partial = PartialEpoch{}
	if o.Scheduler != nil {
		o.Scheduler.Epoch(o.Optimizer, r.valLoss)
	}
	r.early.Update(r.valLoss)
	if monitor < r.best {
		r.best, r.bestEpoch = monitor, r.epoch
		stats.Best = true
		if err := r.save("best"); err != nil {
			return EpochStats{}, err
		}
	}
	if err := r.save("last"); err != nil {
		return EpochStats{}, err
	}
	stats.Duration = time.Since(t0)
	stats.Time = time.Now()
	return stats, nil
}

// validate runs the validation batches in eval mode without a tape and returns the
// mean loss and the mean metrics ("val/<name>").
func (r *run) validate(ctx context.Context) (float64, map[string]float64, error) {
	o := r.o
	nn.SetTraining(o.Model, false)
	defer nn.SetTraining(o.Model, true)
	n := o.Val.Len()
	sum := 0.0
	sums := make([]float64, len(o.Metrics))
	for j := range n {
		if err := ctx.Err(); err != nil {
			return 0, nil, r.interrupted(r.batch, err)
		}
		x, y, err := o.Val.Batch(ctx, r.epoch, j)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, r.interrupted(r.batch, ctx.Err())
			}
			return 0, nil, fmt.Errorf("train: epoch %d validation batch %d: %w", r.epoch+1, j+1, err)
		}
		loss, pred := o.Loss(nil, o.Model, x, y)
		sum += float64(loss.Value.Item())
		for k, m := range o.Metrics {
			sums[k] += m.Fn(x, y, pred.Value)
		}
	}
	ms := map[string]float64{}
	for k, m := range o.Metrics {
		ms["val/"+m.Name] = sums[k] / float64(n)
	}
	return sum / float64(n), ms, nil
}

// interrupted saves the last checkpoint at batch of the current epoch and returns the
// cancellation error.
func (r *run) interrupted(batch int, cause error) error {
	r.batch = batch
	if r.lastPath == "" {
		return fmt.Errorf("train: interrupted at epoch %d batch %d (no checkpoint directory): %w", r.epoch+1, batch+1, cause)
	}
	if err := r.save("last"); err != nil {
		return fmt.Errorf("train: interrupted at epoch %d batch %d; saving the checkpoint failed: %v: %w", r.epoch+1, batch+1, err, cause)
	}
	r.log.Info("train: interrupted; checkpoint saved", "path", r.lastPath, "epoch", r.epoch+1, "batch", batch+1)
	return fmt.Errorf("train: interrupted at epoch %d batch %d, checkpoint %s saved: %w", r.epoch+1, batch+1, r.lastPath, cause)
}

// snapshotBuffers copies the model's buffers into snap (allocated when nil).
func (r *run) snapshotBuffers(snap []*tensor.Tensor) []*tensor.Tensor {
	k := 0
	for _, p := range r.all {
		if p.Kind != nn.Buffer {
			continue
		}
		if k == len(snap) {
			snap = append(snap, tensor.New(p.Value.Device(), p.Value.Shape()...))
		}
		snap[k].CopyFrom(p.Value)
		k++
	}
	return snap
}

// restoreBuffers copies a snapshot taken by snapshotBuffers back into the buffers.
func (r *run) restoreBuffers(snap []*tensor.Tensor) {
	k := 0
	for _, p := range r.all {
		if p.Kind == nn.Buffer && k < len(snap) {
			p.Value.CopyFrom(snap[k])
			k++
		}
	}
}

// rngStates returns the states of the checkpointed generators.
func (r *run) rngStates() map[string][]byte {
	m := map[string][]byte{}
	for k, g := range r.rngs() {
		m[k] = g.State()
	}
	return m
}

// setRNGStates restores states returned by rngStates.
func (r *run) setRNGStates(m map[string][]byte) error {
	for k, g := range r.rngs() {
		if err := g.SetState(m[k]); err != nil {
			return fmt.Errorf("train: generator %q: %w", k, err)
		}
	}
	return nil
}

// stepStats describes the batch i just trained.
func (r *run) stepStats(i, steps int, loss float64) StepStats {
	el := time.Since(r.start)
	s := StepStats{Epoch: r.epoch + 1, Epochs: r.o.Epochs, Step: i + 1, Steps: steps, Loss: loss}
	if sec := el.Seconds(); sec > 0 {
		s.SamplesPerSec = float64(r.samples) / sec
	}
	if r.doneSteps > 0 {
		left := r.o.Epochs*steps - (r.startSteps + r.doneSteps)
		s.ETA = time.Duration(float64(el) / float64(r.doneSteps) * float64(max(left, 0)))
	}
	return s
}
