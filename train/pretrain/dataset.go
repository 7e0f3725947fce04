package pretrain

import (
	"context"
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/data"
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
	x, y = p.x[k], p.y[k]
	if !p.random {
		return x, y
	}
	origin := data.RandomOrigin(x.Shape[:len(x.Shape)-1], p.patch, rng)
	cx := data.CropAt(x, origin, p.patch)
	if y == x {
		return cx, cx
	}
	return cx, data.CropAt(y, origin, p.patch)
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
	salt    uint64 // saltTrain or saltVal
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
	if !b.shuffle {
		idx := make([]int, b.p.Len())
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return tensor.NewRNG(mix(b.seed, saltShuffle, uint64(epoch))).Perm(b.p.Len())
}

// draw returns sample k of epoch, cut and augmented.
func (b *batches) draw(epoch, k int) (x, y *data.Image) {
	if b.fixed {
		epoch = 0
	}
	rng := tensor.NewRNG(mix(b.seed, b.salt, uint64(epoch), uint64(k)))
	x, y = b.p.sample(k, rng)
	if b.aug == nil {
		return x, y
	}
	if x == y { // masking: the target is the augmented input
		xa, _ := data.Augment(rng, *b.aug, x, nil)
		return xa, xa
	}
	return data.Augment(rng, *b.aug, x, y)
}

// Batch returns batch i of epoch: x, y: [N, C, (D,) H, W] on b.dev. On a device other
// than the CPU they stay valid until the next Batch call, which frees them.
func (b *batches) Batch(ctx context.Context, epoch, i int) (x, y *tensor.Tensor, err error) {
	b.up.release()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ord := b.order(epoch)
	lo, hi := i*b.bs, min((i+1)*b.bs, len(ord))
	if lo >= hi {
		return nil, nil, fmt.Errorf("pretrain: batch %d of %d", i, b.Len())
	}
	xs := make([]*data.Image, 0, hi-lo)
	ys := make([]*data.Image, 0, hi-lo)
	for _, k := range ord[lo:hi] {
		xi, yi := b.draw(epoch, k)
		xs, ys = append(xs, xi), append(ys, yi)
	}
	hx := toBatch(xs)
	x = hx.To(b.dev)
	if x != hx {
		b.up = append(b.up, x)
	}
	if ys[0] == xs[0] {
		return x, x, nil
	}
	hy := toBatch(ys)
	y = hy.To(b.dev)
	if y != hy {
		b.up = append(b.up, y)
	}
	return x, y, nil
}

// toBatch stacks channel-last images of one shape ([.., C]) into a CPU tensor
// [N, C, (D,) H, W].
func toBatch(imgs []*data.Image) *tensor.Tensor {
	shape := imgs[0].Shape
	sp := shape[:len(shape)-1]
	c := shape[len(shape)-1]
	vox := 1
	for _, v := range sp {
		vox *= v
	}
	out := make([]float32, len(imgs)*c*vox)
	for n, img := range imgs {
		if !slices.Equal(img.Shape, shape) {
			panic(fmt.Sprintf("pretrain: toBatch: image %v, want %v", img.Shape, shape))
		}
		dst := out[n*c*vox : (n+1)*c*vox]
		src := img.Data
		for v := range vox {
			for ch := range c {
				dst[ch*vox+v] = src[v*c+ch]
			}
		}
	}
	return tensor.FromSlice(out, append([]int{len(imgs), c}, sp...)...)
}

// fromBatch returns sample n of t: [N, C, (D,) H, W] as channel-last samples
// ([(D,) H, W, C] row-major).
func fromBatch(vals []float32, shape []int, n int) []float32 {
	c := shape[1]
	vox := 1
	for _, v := range shape[2:] {
		vox *= v
	}
	src := vals[n*c*vox : (n+1)*c*vox]
	out := make([]float32, c*vox)
	for v := range vox {
		for ch := range c {
			out[v*c+ch] = src[ch*vox+v]
		}
	}
	return out
}
