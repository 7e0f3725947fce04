package data

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// CheckPatch returns an error when an image of shape shape ([Y X C] or [Z Y X C]) cannot
// give patches of shape patch (the same rank, channels last, as DATA.PATCH_SIZE): a
// rank (2-D/3-D) mismatch, a channel mismatch, or, unless reflect is set
// (DATA.REFLECT_TO_COMPLETE_SHAPE), a spatial axis smaller than the patch.
func CheckPatch(shape, patch []int, reflect bool) error {
	if len(patch) != 3 && len(patch) != 4 {
		return fmt.Errorf("patch size %v, want (y, x, c) or (z, y, x, c)", patch)
	}
	if len(shape) != len(patch) {
		return fmt.Errorf("image shape %v is %s but patch size %v is %s", shape, rankName(len(shape)), patch, rankName(len(patch)))
	}
	if c, pc := shape[len(shape)-1], patch[len(patch)-1]; c != pc {
		return fmt.Errorf("image has %d channels but patch size %v asks for %d", c, patch, pc)
	}
	if !reflect {
		for a := range len(shape) - 1 {
			if shape[a] < patch[a] {
				return fmt.Errorf("patch size %v larger than image shape %v (reduce DATA.PATCH_SIZE or set DATA.REFLECT_TO_COMPLETE_SHAPE)", patch, shape)
			}
		}
	}
	return nil
}

func rankName(n int) string {
	switch n {
	case 3:
		return "2-D"
	case 4:
		return "3-D"
	}
	return fmt.Sprintf("rank-%d", n)
}

// ReflectToShape returns img padded at the start of every spatial axis smaller than
// patch (spatial sizes, [Y X] or [Z Y X]) up to the patch size, with numpy "reflect"
// (BiaPy's pad_and_reflect for DATA.REFLECT_TO_COMPLETE_SHAPE). Axes already large
// enough are unchanged; img itself is returned when nothing needs padding.
// [CropEnd] undoes it.
func ReflectToShape(img *Image, patch []int) *Image {
	nd := len(img.Shape) - 1
	if len(patch) != nd {
		panic(fmt.Sprintf("data: ReflectToShape: image %v, patch %v", img.Shape, patch))
	}
	before := make([]int, nd)
	need := false
	for a := range nd {
		if d := patch[a] - img.Shape[a]; d > 0 {
			before[a], need = d, true
		}
	}
	if !need {
		return img
	}
	return reflectPad(img, before, make([]int, nd))
}

// CropEnd returns the last size[a] pixels of every spatial axis of img (size: [Y X] or
// [Z Y X], each at most img's): the inverse of [ReflectToShape], which pads at the
// start.
func CropEnd(img *Image, size []int) *Image {
	nd := len(img.Shape) - 1
	if len(size) != nd {
		panic(fmt.Sprintf("data: CropEnd: image %v, size %v", img.Shape, size))
	}
	origin := make([]int, nd)
	for a := range nd {
		if size[a] > img.Shape[a] || size[a] <= 0 {
			panic(fmt.Sprintf("data: CropEnd: size %v outside image %v", size, img.Shape))
		}
		origin[a] = img.Shape[a] - size[a]
	}
	return CropAt(img, origin, size)
}

// CropAt returns the box of spatial size size starting at origin (both [Y X] or
// [Z Y X]) of img, all channels, as a new image with img's dtype. It panics when the
// box leaves the image.
func CropAt(img *Image, origin, size []int) *Image {
	nd := len(img.Shape) - 1
	if len(origin) != nd || len(size) != nd {
		panic(fmt.Sprintf("data: CropAt: image %v, origin %v, size %v", img.Shape, origin, size))
	}
	for a := range nd {
		if origin[a] < 0 || size[a] <= 0 || origin[a]+size[a] > img.Shape[a] {
			panic(fmt.Sprintf("data: CropAt: box at %v of size %v outside image %v", origin, size, img.Shape))
		}
	}
	out := NewImage(img.DType, append(slices.Clone(size), img.Channels())...)
	copyBox(out, img, origin)
	return out
}

// RandomOrigin returns a uniformly drawn origin for a patch of spatial size patch in an
// image of spatial size size (both [Y X] or [Z Y X]): each coordinate in
// [0, size−patch]. Cutting the input and its target at the same origin with [CropAt]
// keeps them aligned (DATA.EXTRACT_RANDOM_PATCH).
func RandomOrigin(size, patch []int, rng *tensor.RNG) []int {
	if len(size) != len(patch) {
		panic(fmt.Sprintf("data: RandomOrigin: size %v, patch %v", size, patch))
	}
	o := make([]int, len(size))
	for a := range size {
		if patch[a] > size[a] || patch[a] <= 0 {
			panic(fmt.Sprintf("data: RandomOrigin: patch %v larger than image %v", patch, size))
		}
		o[a] = rng.IntN(size[a] - patch[a] + 1)
	}
	return o
}

// RandomPatch cuts one random patch of spatial size patch from img; see
// [RandomOrigin]. It also returns the origin.
func RandomPatch(img *Image, patch []int, rng *tensor.RNG) (*Image, []int) {
	o := RandomOrigin(img.Shape[:len(img.Shape)-1], patch, rng)
	return CropAt(img, o, patch), o
}

// TrainPatches tiles a training image as BiaPy does at load time when
// DATA.EXTRACT_RANDOM_PATCH is off: img is returned whole when its spatial shape
// equals patch, and otherwise cut by [NewTiling] with overlap and padding
// (DATA.TRAIN.OVERLAP / PADDING, config order). patch is the full DATA.PATCH_SIZE
// (channels last); reflect applies [ReflectToShape] first
// (DATA.REFLECT_TO_COMPLETE_SHAPE). Errors come from [CheckPatch] and [NewTiling].
func TrainPatches(img *Image, patch []int, overlap []float64, padding []int, reflect bool) ([]*Image, error) {
	if err := CheckPatch(img.Shape, patch, reflect); err != nil {
		return nil, fmt.Errorf("data: TrainPatches: %w", err)
	}
	sp := patch[:len(patch)-1]
	if reflect {
		img = ReflectToShape(img, sp)
	}
	if slices.Equal(img.Shape[:len(img.Shape)-1], sp) {
		return []*Image{img}, nil
	}
	t, err := NewTiling(img.Shape[:len(img.Shape)-1], sp, overlap, padding)
	if err != nil {
		return nil, err
	}
	return t.Crop(img)
}

// reflectIndex maps i into [0, n) by numpy's "reflect" (mirror without repeating the
// edge, periodic for pads longer than the axis).
func reflectIndex(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

// reflectPad returns img padded by before[a] and after[a] pixels on spatial axis a with
// numpy "reflect".
func reflectPad(img *Image, before, after []int) *Image {
	nd := len(img.Shape) - 1
	shape := slices.Clone(img.Shape)
	for a := range nd {
		shape[a] += before[a] + after[a]
	}
	out := NewImage(img.DType, shape...)
	var isz, osz, b [3]int
	for a := range 3 {
		isz[a], osz[a] = 1, 1
	}
	for a := range nd {
		k := a + 3 - nd
		isz[k], osz[k], b[k] = img.Shape[a], shape[a], before[a]
	}
	c := img.Channels()
	xs := make([]int, osz[2])
	for x := range xs {
		xs[x] = reflectIndex(x-b[2], isz[2])
	}
	for z := range osz[0] {
		iz := reflectIndex(z-b[0], isz[0])
		for y := range osz[1] {
			iy := reflectIndex(y-b[1], isz[1])
			orow := out.Data[((z*osz[1]+y)*osz[2])*c:]
			irow := img.Data[((iz*isz[1]+iy)*isz[2])*c:]
			for x, ix := range xs {
				copy(orow[x*c:(x+1)*c], irow[ix*c:(ix+1)*c])
			}
		}
	}
	return out
}

// medianPad returns img padded by frame[a] on both sides of spatial axis a, the pad
// regions filled with the median of the image's first or last slice along that axis
// (all channels), axis by axis from the first (later axes overwrite the corners), as
// BiaPy's median_padding.
func medianPad(img *Image, frame []int) *Image {
	out := reflectPad(img, frame, frame)
	nd := len(img.Shape) - 1
	for a := range nd {
		if frame[a] == 0 {
			continue
		}
		first := make([]int, nd)
		size := slices.Clone(img.Shape[:nd])
		size[a] = 1
		lo := median(CropAt(img, first, size).Data)
		first[a] = img.Shape[a] - 1
		hi := median(CropAt(img, first, size).Data)
		fillSlab(out, a, 0, frame[a], lo)
		fillSlab(out, a, frame[a]+img.Shape[a], out.Shape[a], hi)
	}
	return out
}

// fillSlab sets every sample of img whose coordinate on spatial axis a lies in
// [from, to) to v.
func fillSlab(img *Image, a, from, to int, v float32) {
	inner := img.Channels()
	for k := a + 1; k < len(img.Shape)-1; k++ {
		inner *= img.Shape[k]
	}
	outer := len(img.Data) / (inner * img.Shape[a])
	for o := range outer {
		base := o * img.Shape[a] * inner
		for i := from * inner; i < to*inner; i++ {
			img.Data[base+i] = v
		}
	}
}

// median returns numpy's median of vals (mean of the two middle values for an even
// count).
func median(vals []float32) float32 {
	s := slices.Clone(vals)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return float32((float64(s[n/2-1]) + float64(s[n/2])) / 2)
}

// copyBox fills dst (spatial shape = the box size, same channels as src) with the box
// of src starting at origin (spatial coordinates).
func copyBox(dst, src *Image, origin []int) {
	nd := len(src.Shape) - 1
	var o, ssz, dsz [3]int
	for a := range 3 {
		ssz[a], dsz[a] = 1, 1
	}
	for a := range nd {
		k := a + 3 - nd
		o[k], ssz[k], dsz[k] = origin[a], src.Shape[a], dst.Shape[a]
	}
	c := src.Channels()
	w := dsz[2] * c
	for z := range dsz[0] {
		for y := range dsz[1] {
			s := (((z+o[0])*ssz[1]+y+o[1])*ssz[2] + o[2]) * c
			d := ((z*dsz[1] + y) * dsz[2]) * c
			copy(dst.Data[d:d+w], src.Data[s:s+w])
		}
	}
}
