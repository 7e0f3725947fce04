package segment

import (
	"context"
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/tensor"
)

// classIDs converts a label image to one channel of class ids (float32): for a binary
// problem 1 where the first channel is > 0 (0 with invert) and 0 elsewhere; for
// classes > 2 the values themselves, which must be integers in [0, classes).
func classIDs(lbl *data.Image, classes int, invert bool) (*data.Image, error) {
	sp := lbl.Shape[:len(lbl.Shape)-1]
	c := lbl.Channels()
	out := data.NewImage(data.Uint8, append(slices.Clone(sp), 1)...)
	for i := range out.Data {
		v := lbl.Data[i*c]
		if classes <= 2 {
			if (v > 0) != invert {
				out.Data[i] = 1
			}
			continue
		}
		k := int(v)
		if float32(k) != v || k < 0 || k >= classes {
			return nil, fmt.Errorf("label value %v is not a class id in [0, %d) (MODEL.N_CLASSES)", v, classes)
		}
		out.Data[i] = v
	}
	return out, nil
}

// pairs is a set of normalised images and their class-id labels: whole images when
// random patches are cut at batch time, tiled patches otherwise.
type pairs struct {
	x, y   []*data.Image
	random bool  // cut one random patch per sample and epoch
	patch  []int // spatial patch shape
}

// Len returns the number of samples.
func (p *pairs) Len() int { return len(p.x) }

// pairOptions say how normalised images become pairs.
type pairOptions struct {
	patch   []int // DATA.PATCH_SIZE (channels last)
	random  bool
	reflect bool
	overlap []float64
	padding []int
}

// makePairs normalises the images (each with its own statistics) and cuts images and
// labels (already class ids) into the same patches.
func makePairs(xs, ys []*data.Image, norm data.Normalization, o pairOptions) (*pairs, error) {
	sp := o.patch[:len(o.patch)-1]
	lp := append(slices.Clone(sp), 1) // label patch: one channel
	p := &pairs{random: o.random, patch: slices.Clone(sp)}
	for i, xi := range xs {
		xn, _, err := norm.Normalize(xi)
		if err != nil {
			return nil, err
		}
		yi := ys[i]
		if o.random {
			if err := data.CheckPatch(xn.Shape, o.patch, o.reflect); err != nil {
				return nil, err
			}
			if o.reflect {
				xn, yi = data.ReflectToShape(xn, sp), data.ReflectToShape(yi, sp)
			}
			p.x, p.y = append(p.x, xn), append(p.y, yi)
			continue
		}
		px, err := data.TrainPatches(xn, o.patch, o.overlap, o.padding, o.reflect)
		if err != nil {
			return nil, err
		}
		py, err := data.TrainPatches(yi, lp, o.overlap, o.padding, o.reflect)
		if err != nil {
			return nil, err
		}
		p.x, p.y = append(p.x, px...), append(p.y, py...)
	}
	return p, nil
}

// sample returns sample k: a random patch of image and label when p.random (drawn
// from rng), the stored patch otherwise.
func (p *pairs) sample(k int, rng *tensor.RNG) (x, y *data.Image) {
	return workflows.Sample(p.x[k], p.y[k], p.random, p.patch, rng)
}

// batches serves pairs as train.Batches with pretrain's determinism: batch i of an
// epoch depends only on (seed, epoch, i). y is [N, 1, *S] (binary, 0/1) or [N, *S]
// (multi-class ids).
type batches struct {
	p       *pairs
	bs      int
	seed    uint64
	salt    uint64
	shuffle bool
	aug     *data.AugmentOptions // nil: none; TargetIsMask set
	fixed   bool                 // validation: the same random patches every epoch
	multi   bool                 // drop the label channel axis
	dev     tensor.Device
}

// Len returns the number of batches per epoch.
func (b *batches) Len() int { return (b.p.Len() + b.bs - 1) / b.bs }

// order returns the sample order of epoch.
func (b *batches) order(epoch int) []int {
	return workflows.Order(b.p.Len(), b.shuffle, b.seed, epoch)
}

// draw returns sample k of epoch, cut and augmented.
func (b *batches) draw(epoch, k int) (x, y *data.Image) {
	if b.fixed {
		epoch = 0
	}
	rng := tensor.NewRNG(workflows.Mix(b.seed, b.salt, uint64(epoch), uint64(k)))
	x, y = b.p.sample(k, rng)
	return workflows.Augment(rng, b.aug, x, y)
}

// Batch returns batch i of epoch on b.dev.
func (b *batches) Batch(ctx context.Context, epoch, i int) (x, y *tensor.Tensor, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	xs, ys, err := workflows.Collect("segment", b.order(epoch), i, b.bs, func(k int) (*data.Image, *data.Image) { return b.draw(epoch, k) })
	if err != nil {
		return nil, nil, err
	}
	y = workflows.ToBatch(ys)
	if b.multi {
		s := y.Shape()
		y = y.Reshape(append([]int{s[0]}, s[2:]...)...)
	}
	return workflows.ToBatch(xs).To(b.dev), y.To(b.dev), nil
}

// unfreezer wraps the training batches to unfreeze the transferred layers at the
// start of epoch `at` (0-based): Fit asks for a batch before the forward pass, so the
// whole epoch trains them. It works on resumed runs too (the first batch served at
// an epoch ≥ at unfreezes).
type unfreezer struct {
	*batches
	at     int
	fn     func() int // unfreezes and returns how many entries changed
	done   bool
	epoch  int // the epoch it happened at (1-based), 0 before
	onDone func(epoch, n int)
}

// Batch unfreezes when due, then serves the batch.
func (u *unfreezer) Batch(ctx context.Context, epoch, i int) (*tensor.Tensor, *tensor.Tensor, error) {
	if !u.done && epoch >= u.at {
		u.done = true
		u.epoch = epoch + 1
		n := u.fn()
		if u.onDone != nil {
			u.onDone(epoch+1, n)
		}
	}
	return u.batches.Batch(ctx, epoch, i)
}
