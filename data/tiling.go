package data

import (
	"fmt"
	"slices"
)

// Tiling is the grid of overlapping patches that BiaPy's crop_data_with_overlap (2-D)
// and crop_3D_data_with_overlap (3-D) cut an image into, and the inverse merge
// (DATA.TEST.OVERLAP / PADDING at test time, DATA.TRAIN.OVERLAP / PADDING when
// training images are tiled at load time).
//
// The image is first padded by Frame[a] pixels on both sides of each spatial axis a
// (numpy "reflect", or boundary medians with MedianPadding); patch k then covers
// [Origin(k)[a], Origin(k)[a]+Patch[a]) of that padded frame. Patches are ordered z → y
// → x. Merging trims Strip[a] pixels from each side of every patch, places the rest at
// its position in the unpadded image and averages overlaps uniformly.
//
// Per axis, with patch P, step padding p and minimum overlap o (BiaPy's arithmetic):
//
//	step = int((P − 2p) · (1 if o == 0 else 1 − o)); n = ceil(size / step)
//	last = 0 if n == 1 else (n−1)·step + P − (size + 2·frame)
//	step −= last // (n−1); last −= (last // (n−1))·(n−1)
//	origin k = k·step, minus last when k·step + P reaches the padded border
//
// In 3-D p = frame = padding[a] and o = overlap[a]. In 2-D BiaPy reads the tuples
// crosswise and selfsup reproduces its crop origins: Y is padded by padding[1] but
// steps with padding[0] and overlap[1]; X is padded by padding[0] and steps with
// padding[1] and overlap[0]. With unequal paddings BiaPy's own merge then fails;
// selfsup's merge trims min(frame, step padding) per axis, and [NewTiling] rejects the
// few unequal paddings whose crops leave a pixel uncovered even so.
type Tiling struct {
	Size  []int // spatial image shape: [Y X] or [Z Y X]
	Patch []int // spatial patch shape, same rank as Size
	Frame []int // reflect padding added on each side of each axis
	Strip []int // border trimmed from each side of a patch by the merge
	// MedianPadding fills the padded frame with the median of the image's boundary
	// slice along each axis instead of reflecting (DATA.TEST.MEDIAN_PADDING, 3-D).
	MedianPadding bool

	origins [][]int // per axis, the patch origins in the padded frame
}

// NewTiling returns the tiling of an image of spatial shape size ([Y X] or [Z Y X])
// into patches of spatial shape patch, with overlap (fractions in [0, 1)) and padding
// (pixels) given per axis in config order: (y, x) or (z, y, x). It returns an error,
// worded for the config keys, when a patch is larger than the image, a padding is not
// below half the patch, an overlap is outside [0, 1), or a step would be empty.
func NewTiling(size, patch []int, overlap []float64, padding []int) (*Tiling, error) {
	nd := len(size)
	if nd != 2 && nd != 3 {
		return nil, fmt.Errorf("data: tiling: image shape %v, want [Y X] or [Z Y X]", size)
	}
	if len(patch) != nd || len(overlap) != nd || len(padding) != nd {
		return nil, fmt.Errorf("data: tiling: image %v, patch %v, overlap %v and padding %v must all have %d axes", size, patch, overlap, padding, nd)
	}
	for a := range nd {
		if patch[a] <= 0 || size[a] <= 0 {
			return nil, fmt.Errorf("data: tiling: image %v and patch %v must be positive", size, patch)
		}
		if padding[a] < 0 || padding[a] >= patch[a]/2 {
			return nil, fmt.Errorf("data: tiling: padding %v: each value must be in [0, patch/2) for patch %v", padding, patch)
		}
		if patch[a] > size[a] {
			return nil, fmt.Errorf("data: tiling: patch %v larger than image %v (reduce DATA.PATCH_SIZE or set DATA.REFLECT_TO_COMPLETE_SHAPE)", patch, size)
		}
		if !(overlap[a] >= 0 && overlap[a] < 1) {
			return nil, fmt.Errorf("data: tiling: overlap %v: each value must be in [0, 1)", overlap)
		}
	}
	t := &Tiling{Size: slices.Clone(size), Patch: slices.Clone(patch), Frame: make([]int, nd), Strip: make([]int, nd), origins: make([][]int, nd)}
	for a := range nd {
		frame, stepPad, ov := padding[a], padding[a], overlap[a]
		if nd == 2 { // BiaPy's crosswise reading of the 2-D tuples
			frame, stepPad, ov = padding[1-a], padding[a], overlap[1-a]
		}
		origins, err := axisOrigins(size[a], patch[a], frame, stepPad, ov)
		if err != nil {
			return nil, fmt.Errorf("data: tiling: image %v, patch %v, overlap %v, padding %v: %w", size, patch, overlap, padding, err)
		}
		t.Frame[a], t.Strip[a], t.origins[a] = frame, min(frame, stepPad), origins
		if err := t.checkCoverage(a); err != nil {
			hint := ""
			if nd == 2 && padding[0] != padding[1] {
				hint = " (BiaPy's 2-D tiling reads the padding crosswise: use equal paddings)"
			}
			return nil, fmt.Errorf("data: tiling: image %v, patch %v, overlap %v, padding %v: %w%s", size, patch, overlap, padding, err, hint)
		}
	}
	return t, nil
}

// axisOrigins returns BiaPy's patch origins along one axis (see [Tiling]).
func axisOrigins(size, patch, frame, stepPad int, ov float64) ([]int, error) {
	padded := size + 2*frame
	f := 1.0
	if ov != 0 {
		f = 1 - ov
	}
	step := int(float64(patch-2*stepPad) * f)
	if step <= 0 {
		return nil, fmt.Errorf("patch %d with padding %d and overlap %v gives an empty step", patch, stepPad, ov)
	}
	n := (size + step - 1) / step
	last := 0
	if n > 1 {
		last = (n-1)*step + patch - padded
		per := floorDiv(last, n-1)
		step -= per
		last -= per * (n - 1)
	}
	origins := make([]int, n)
	for k := range n {
		d := 0
		if k*step+patch >= padded {
			d = last
		}
		origins[k] = k*step - d
	}
	return origins, nil
}

// floorDiv is Python's // on ints.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// checkCoverage returns an error when the trimmed patches along axis a leave a pixel
// of the image uncovered.
func (t *Tiling) checkCoverage(a int) error {
	next := 0 // first pixel not yet covered
	for _, o := range t.origins[a] {
		lo := o - t.Frame[a] + t.Strip[a]
		hi := o - t.Frame[a] + t.Patch[a] - t.Strip[a]
		if lo > next {
			break
		}
		next = max(next, hi)
	}
	if next < t.Size[a] {
		return fmt.Errorf("axis %d: the trimmed patches at %v do not cover all %d pixels", a, t.origins[a], t.Size[a])
	}
	return nil
}

// Len returns the number of patches.
func (t *Tiling) Len() int {
	n := 1
	for _, o := range t.origins {
		n *= len(o)
	}
	return n
}

// Counts returns the number of patches along each axis.
func (t *Tiling) Counts() []int {
	c := make([]int, len(t.origins))
	for a, o := range t.origins {
		c[a] = len(o)
	}
	return c
}

// Origin returns the first pixel of patch k in the padded frame, per spatial axis
// ([y x] or [z y x]).
func (t *Tiling) Origin(k int) []int {
	if k < 0 || k >= t.Len() {
		panic(fmt.Sprintf("data: Tiling.Origin: patch %d of %d", k, t.Len()))
	}
	o := make([]int, len(t.origins))
	for a := len(t.origins) - 1; a >= 0; a-- {
		n := len(t.origins[a])
		o[a] = t.origins[a][k%n]
		k /= n
	}
	return o
}

// PaddedSize returns the spatial shape of the padded frame (Size + 2·Frame).
func (t *Tiling) PaddedSize() []int {
	p := make([]int, len(t.Size))
	for a := range p {
		p[a] = t.Size[a] + 2*t.Frame[a]
	}
	return p
}

// Pad returns img ([Y, X, C] or [Z, Y, X, C], spatial shape t.Size) padded by Frame on
// each side of each spatial axis: numpy "reflect", or boundary medians when
// t.MedianPadding is set.
func (t *Tiling) Pad(img *Image) (*Image, error) {
	if err := t.checkImage(img); err != nil {
		return nil, err
	}
	if t.MedianPadding {
		return medianPad(img, t.Frame), nil
	}
	return reflectPad(img, t.Frame, t.Frame), nil
}

// checkImage returns an error when img's spatial shape is not t.Size.
func (t *Tiling) checkImage(img *Image) error {
	if err := img.Validate(); err != nil {
		return fmt.Errorf("data: tiling: %w", err)
	}
	if !slices.Equal(img.Shape[:len(img.Shape)-1], t.Size) {
		return fmt.Errorf("data: tiling: image shape %v, want spatial shape %v", img.Shape, t.Size)
	}
	return nil
}

// Crop cuts img ([Y, X, C] or [Z, Y, X, C], spatial shape t.Size) into t.Len() patches
// of shape Patch+[C] with img's dtype, in patch order. The patches share one backing
// array.
func (t *Tiling) Crop(img *Image) ([]*Image, error) {
	padded, err := t.Pad(img)
	if err != nil {
		return nil, err
	}
	shape := append(slices.Clone(t.Patch), img.Channels())
	n := t.Len()
	size := imageNumel("Tiling.Crop", shape)
	buf := make([]float32, n*size)
	out := make([]*Image, n)
	for k := range n {
		out[k] = &Image{Data: buf[k*size : (k+1)*size : (k+1)*size], Shape: shape, DType: img.DType}
		copyBox(out[k], padded, t.Origin(k))
	}
	return out, nil
}

// Merger accumulates predicted patches of a [Tiling] into the full image: each patch
// is trimmed by Strip, summed into place and counted; [Merger.Image] divides by the
// count (uniform average, no blending), as BiaPy's merge_data_with_overlap.
type Merger struct {
	t     *Tiling
	c     int
	sum   []float32 // Size × C
	count []float32 // Size
}

// NewMerger returns an empty merger for patches with c channels.
func (t *Tiling) NewMerger(c int) *Merger {
	if c <= 0 {
		panic(fmt.Sprintf("data: Tiling.NewMerger: %d channels", c))
	}
	n := 1
	for _, s := range t.Size {
		n *= s
	}
	return &Merger{t: t, c: c, sum: make([]float32, n*c), count: make([]float32, n)}
}

// Add accumulates patch k: patch holds Patch×C values in row-major (z,)y,x,c order.
// Adding the patches in order 0, 1, … gives BiaPy's float32 sums exactly.
func (m *Merger) Add(k int, patch []float32) {
	t := m.t
	want := m.c
	for _, p := range t.Patch {
		want *= p
	}
	if len(patch) != want {
		panic(fmt.Sprintf("data: Merger.Add: patch has %d values, want %v×%d = %d", len(patch), t.Patch, m.c, want))
	}
	o := t.Origin(k)
	// Pad the spatial description to 3-D so one loop handles 2-D and 3-D.
	var lo, hi, off, psz, isz [3]int
	nd := len(t.Size)
	for a := range 3 {
		psz[a], isz[a], hi[a] = 1, 1, 1
	}
	for a := range nd {
		b := a + 3 - nd
		psz[b], isz[b] = t.Patch[a], t.Size[a]
		off[b] = o[a] - t.Frame[a] // image coordinate of patch pixel 0
		lo[b] = max(t.Strip[a], -off[b])
		hi[b] = min(t.Patch[a]-t.Strip[a], t.Size[a]-off[b])
	}
	c := m.c
	for z := lo[0]; z < hi[0]; z++ {
		for y := lo[1]; y < hi[1]; y++ {
			prow := ((z*psz[1]+y)*psz[2] + lo[2]) * c
			ipix := ((z+off[0])*isz[1]+y+off[1])*isz[2] + lo[2] + off[2]
			w := hi[2] - lo[2]
			dst := m.sum[ipix*c : (ipix+w)*c]
			src := patch[prow : prow+w*c]
			for i, v := range src {
				dst[i] += v
			}
			cnt := m.count[ipix : ipix+w]
			for i := range cnt {
				cnt[i]++
			}
		}
	}
}

// Image returns the merged image (spatial shape Size, c channels) with the given
// dtype recorded (values are not cast). It returns an error if some pixel received
// no patch.
func (m *Merger) Image(dtype DType) (*Image, error) {
	out := &Image{Data: make([]float32, len(m.sum)), Shape: append(slices.Clone(m.t.Size), m.c), DType: dtype}
	for p, n := range m.count {
		if n == 0 {
			return nil, fmt.Errorf("data: Merger.Image: pixel %d of %v received no patch", p, m.t.Size)
		}
		for ch := range m.c {
			out.Data[p*m.c+ch] = m.sum[p*m.c+ch] / n
		}
	}
	return out, nil
}

// Merge reassembles t.Len() patches (each Patch+[C], e.g. model outputs for the
// patches of [Tiling.Crop]) into one image of spatial shape Size: borders trimmed,
// overlaps averaged. The result has the first patch's dtype.
func (t *Tiling) Merge(patches []*Image) (*Image, error) {
	if len(patches) != t.Len() {
		return nil, fmt.Errorf("data: Tiling.Merge: %d patches, want %d", len(patches), t.Len())
	}
	c := patches[0].Channels()
	want := append(slices.Clone(t.Patch), c)
	m := t.NewMerger(c)
	for k, p := range patches {
		if !slices.Equal(p.Shape, want) || len(p.Data) != imageNumel("Tiling.Merge", want) {
			return nil, fmt.Errorf("data: Tiling.Merge: patch %d has shape %v, want %v", k, p.Shape, want)
		}
		m.Add(k, p.Data)
	}
	return m.Image(patches[0].DType)
}
