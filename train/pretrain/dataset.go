package pretrain

import (
	"context"
	"slices"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/tensor"
)

// pairs is a set of normalised (input, target) training or validation samples: whole
// images when random patches are cut at batch time, tiled patches otherwise. For the
// masking task x and y are the same images.
type pairs struct {
	x, y   []*data.Image
	random bool  // cut one random patch of size patch per sample and epoch
	patch  []int // spatial patch shape: [Y X] or [Z Y X]
	c      int   // channels
}

// Len returns the number of samples.
func (p *pairs) Len() int { return len(p.x) }

// pairOptions say how normalised images become pairs.
type pairOptions struct {
	patch   []int // DATA.PATCH_SIZE (channels last)
	random  bool  // DATA.EXTRACT_RANDOM_PATCH
	reflect bool  // DATA.REFLECT_TO_COMPLETE_SHAPE
	overlap []float64
	padding []int
}

// makePairs normalises every input and target image (each with its own statistics,
// BiaPy's mask_norm "as_image") and cuts them into training samples. ys may be nil
// (masking): the targets are then the inputs.
func makePairs(xs, ys []*data.Image, norm data.Normalization, o pairOptions) (*pairs, error) {
	sp := o.patch[:len(o.patch)-1]
	p := &pairs{random: o.random, patch: slices.Clone(sp), c: o.patch[len(o.patch)-1]}
	for i, xi := range xs {
		xn, _, err := norm.Normalize(xi)
		if err != nil {
			return nil, err
		}
		yn := xn
		if ys != nil {
			if yn, _, err = norm.Normalize(ys[i]); err != nil {
				return nil, err
			}
		}
		if o.random {
			if err := data.CheckPatch(xn.Shape, o.patch, o.reflect); err != nil {
				return nil, err
			}
			if o.reflect {
				xn, yn = data.ReflectToShape(xn, sp), data.ReflectToShape(yn, sp)
			}
			p.x, p.y = append(p.x, xn), append(p.y, yn)
			continue
		}
		px, err := data.TrainPatches(xn, o.patch, o.overlap, o.padding, o.reflect)
		if err != nil {
			return nil, err
		}
		py := px
		if ys != nil {
			if py, err = data.TrainPatches(yn, o.patch, o.overlap, o.padding, o.reflect); err != nil {
				return nil, err
			}
		}
		p.x, p.y = append(p.x, px...), append(p.y, py...)
	}
	return p, nil
}

// sample returns sample k for the given generator: a random patch when p.random
// (drawn from rng), the stored patch otherwise.
func (p *pairs) sample(k int, rng *tensor.RNG) (x, y *data.Image) {
	return workflows.Sample(p.x[k], p.y[k], p.random, p.patch, rng)
}

// batches serves pairs as train.Batches: batch i of an epoch holds the samples
// order[i·bs : (i+1)·bs] of the epoch's order (a permutation seeded by the run seed
// and the epoch when shuffling), each drawn (random patch, augmentation) from a
// generator seeded by the run seed, the stream salt, the epoch and the sample index,
// so a batch depends only on (epoch, i).
type batches struct {
	p       *pairs
	bs      int
	seed    uint64
	salt    uint64 // workflows.SaltTrain or SaltVal
	shuffle bool
	aug     *data.AugmentOptions // nil: none
	fixed   bool                 // draw random patches as in epoch 0 every epoch (validation)
	dev     tensor.Device
	// up holds the device copies of the last batch, freed by the next Batch call.
	up held
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
	return workflows.Augment(rng, b.aug, x, y) // masking: the target is the augmented input
}

// Batch returns batch i of epoch: x, y: [N, C, (D,) H, W] on b.dev. On a device other
// than the CPU they stay valid until the next Batch call, which frees them.
func (b *batches) Batch(ctx context.Context, epoch, i int) (x, y *tensor.Tensor, err error) {
	b.up.release()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	xs, ys, err := workflows.Collect("pretrain", b.order(epoch), i, b.bs, func(k int) (*data.Image, *data.Image) { return b.draw(epoch, k) })
	if err != nil {
		return nil, nil, err
	}
	hx := workflows.ToBatch(xs)
	x = hx.To(b.dev)
	if x != hx {
		b.up = append(b.up, x)
	}
	if ys[0] == xs[0] {
		return x, x, nil
	}
	hy := workflows.ToBatch(ys)
	y = hy.To(b.dev)
	if y != hy {
		b.up = append(b.up, y)
	}
	return x, y, nil
}
