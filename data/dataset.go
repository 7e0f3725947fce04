package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/selfsup/selfsup/internal/parallel"
	"github.com/selfsup/selfsup/tensor"
)

// IsImageFile reports whether name has an extension [ReadImage] reads (.tif, .tiff or
// .png, case-insensitive).
func IsImageFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".tif", ".tiff", ".png":
		return true
	}
	return false
}

// ListImages returns the names (not paths) of the image files in dir (see
// [IsImageFile]; hidden files and subfolders are skipped), sorted byte-wise. A folder
// that cannot be read or holds no image is an error naming it.
func ListImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: list images: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !IsImageFile(n) {
			continue
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("data: list images: no .tif, .tiff or .png files in %s", dir)
	}
	slices.Sort(names)
	return names, nil
}

// stem returns name without its extension.
func stem(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) }

// MatchLabels pairs raw image names with label names of the same stem (file name
// without extension, so "a.tif" matches "a.png"), both as returned by [ListImages]. It
// returns the label name for each raw name, in raw order. A raw image without a label,
// a label without a raw image, or two files of one stem in a folder is an error that
// names the files and folders.
func MatchLabels(rawDir string, raw []string, labelDir string, labels []string) ([]string, error) {
	byStem := make(map[string]string, len(labels))
	for _, l := range labels {
		s := stem(l)
		if prev, dup := byStem[s]; dup {
			return nil, fmt.Errorf("data: labels in %s: %s and %s have the same name", labelDir, prev, l)
		}
		byStem[s] = l
	}
	seen := make(map[string]string, len(raw))
	out := make([]string, len(raw))
	var missing []string
	for i, r := range raw {
		s := stem(r)
		if prev, dup := seen[s]; dup {
			return nil, fmt.Errorf("data: images in %s: %s and %s have the same name", rawDir, prev, r)
		}
		seen[s] = r
		l, ok := byStem[s]
		if !ok {
			missing = append(missing, r)
			continue
		}
		out[i] = l
		delete(byStem, s)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("data: %d image(s) in %s have no label in %s: %s", len(missing), rawDir, labelDir, listSome(missing))
	}
	if len(byStem) > 0 {
		extra := make([]string, 0, len(byStem))
		for _, l := range byStem {
			extra = append(extra, l)
		}
		slices.Sort(extra)
		return nil, fmt.Errorf("data: %d label(s) in %s have no image in %s: %s", len(extra), labelDir, rawDir, listSome(extra))
	}
	return out, nil
}

// listSome joins up to five names, then "…".
func listSome(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}

// Sample is one loaded image of a [Dataset], with its label when the dataset has
// labels.
type Sample struct {
	Name  string // file name of the image in Dataset.Dir
	Image *Image // the image as loaded
	Label *Image // nil without a label folder
}

// Dataset is a folder of images (and optionally of labels) loaded in memory, in
// sorted file-name order.
type Dataset struct {
	Dir      string   // folder the images were loaded from
	LabelDir string   // "" without labels
	Samples  []Sample // one per image, in sorted file-name order
}

// LoadOptions are the checks and options of [LoadDir].
type LoadOptions struct {
	// LabelDir, if set, is a folder with one label per image, matched by name (see
	// [MatchLabels]); each label must have its image's spatial shape.
	LabelDir string
	// Patch, if set, is DATA.PATCH_SIZE ((y, x, c) or (z, y, x, c)): every image must
	// have its rank and channel count and, unless ReflectToCompleteShape, be at least
	// as large (see [CheckPatch]).
	Patch []int
	// ReflectToCompleteShape allows images smaller than Patch
	// (DATA.REFLECT_TO_COMPLETE_SHAPE); they are not padded here (see [ReflectToShape]).
	ReflectToCompleteShape bool
}

// LoadDir reads every image of dir (see [ListImages]) into memory, in parallel, and
// checks that they are all 2-D or all 3-D with one channel count, plus the checks of
// opts. Errors name the file (and the key to change where one applies); ctx cancels the
// loading.
func LoadDir(ctx context.Context, dir string, opts LoadOptions) (*Dataset, error) {
	names, err := ListImages(dir)
	if err != nil {
		return nil, err
	}
	var labels []string
	if opts.LabelDir != "" {
		all, err := ListImages(opts.LabelDir)
		if err != nil {
			return nil, err
		}
		if labels, err = MatchLabels(dir, names, opts.LabelDir, all); err != nil {
			return nil, err
		}
	}
	ds := &Dataset{Dir: dir, LabelDir: opts.LabelDir, Samples: make([]Sample, len(names))}
	errs := make([]error, len(names))
	parallel.For(len(names), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			s := &ds.Samples[i]
			s.Name = names[i]
			if s.Image, errs[i] = ReadImage(filepath.Join(dir, names[i])); errs[i] != nil {
				continue
			}
			if labels != nil {
				s.Label, errs[i] = ReadImage(filepath.Join(opts.LabelDir, labels[i]))
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("data: load %s: %w", dir, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ds.check(opts); err != nil {
		return nil, err
	}
	return ds, nil
}

// check verifies consistent rank and channels, label shapes and the patch size.
func (d *Dataset) check(opts LoadOptions) error {
	first := d.Samples[0]
	for _, s := range d.Samples {
		p := filepath.Join(d.Dir, s.Name)
		if len(s.Image.Shape) != len(first.Image.Shape) {
			return fmt.Errorf("data: %s is %s %v but %s is %s %v: a dataset cannot mix 2-D and 3-D images",
				p, rankName(len(s.Image.Shape)), s.Image.Shape, first.Name, rankName(len(first.Image.Shape)), first.Image.Shape)
		}
		if c, c0 := s.Image.Channels(), first.Image.Channels(); c != c0 {
			return fmt.Errorf("data: %s has %d channels but %s has %d: channel mismatch", p, c, first.Name, c0)
		}
		if opts.Patch != nil {
			if err := CheckPatch(s.Image.Shape, opts.Patch, opts.ReflectToCompleteShape); err != nil {
				return fmt.Errorf("data: %s: %w", p, err)
			}
		}
		if s.Label != nil {
			is, ls := s.Image.Shape, s.Label.Shape
			if len(ls) != len(is) || !slices.Equal(ls[:len(ls)-1], is[:len(is)-1]) {
				return fmt.Errorf("data: label of %s has shape %v, image %v: spatial shapes differ", p, ls, is)
			}
		}
	}
	return nil
}

// Subset returns a dataset holding the samples at idx, in that order (sharing the
// images).
func (d *Dataset) Subset(idx []int) *Dataset {
	out := &Dataset{Dir: d.Dir, LabelDir: d.LabelDir, Samples: make([]Sample, len(idx))}
	for i, j := range idx {
		out.Samples[i] = d.Samples[j]
	}
	return out
}

// SplitIndices splits n items into training and validation indices as scikit-learn's
// train_test_split(test_size=frac, shuffle=random) that BiaPy uses for
// DATA.VAL.SPLIT_TRAIN: ceil(frac·n) validation items; with random the items are drawn
// by a permutation seeded with seed (not numpy's generator), without it the last items
// are the validation ones. Both lists are returned in ascending order. frac must be in
// (0, 1) and leave at least one item on each side.
func SplitIndices(n int, frac float64, random bool, seed uint64) (train, val []int, err error) {
	if !(frac > 0 && frac < 1) {
		return nil, nil, fmt.Errorf("data: validation split %v (DATA.VAL.SPLIT_TRAIN) must be in (0, 1)", frac)
	}
	nVal := int(math.Ceil(frac * float64(n)))
	if nVal < 1 || nVal >= n {
		return nil, nil, fmt.Errorf("data: validation split %v of %d items leaves %d for training and %d for validation (DATA.VAL.SPLIT_TRAIN)", frac, n, n-nVal, nVal)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if random {
		order = tensor.NewRNG(seed).Perm(n)
		val, train = slices.Clone(order[:nVal]), slices.Clone(order[nVal:])
	} else {
		train, val = order[:n-nVal], order[n-nVal:]
	}
	slices.Sort(train)
	slices.Sort(val)
	return train, val, nil
}

// Split divides d into training and validation datasets by [SplitIndices] over its
// images.
func (d *Dataset) Split(frac float64, random bool, seed uint64) (train, val *Dataset, err error) {
	ti, vi, err := SplitIndices(len(d.Samples), frac, random, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%w, in %s", err, d.Dir)
	}
	return d.Subset(ti), d.Subset(vi), nil
}

// ValSource says where validation data comes from (DATA.VAL.*).
type ValSource struct {
	// FromTrain splits the training folder (DATA.VAL.FROM_TRAIN) by Split
	// (SPLIT_TRAIN), randomly with Seed when Random (DATA.VAL.RANDOM).
	FromTrain bool
	Split     float64 // fraction of the images held out for validation, in (0, 1) (DATA.VAL.SPLIT_TRAIN)
	Random    bool    // draw the validation images at random instead of taking the last ones (DATA.VAL.RANDOM)
	Seed      uint64  // seed of the random draw
	// Dir and LabelDir are a separate validation folder (DATA.VAL.PATH / GT_PATH),
	// used when FromTrain is false; an empty Dir means no validation data.
	Dir, LabelDir string
}

// LoadTrainVal loads the training folder dir with opts and its validation data from
// src: a split of the training images, or a separate folder loaded with the same
// checks (which must match the training images' rank and channels). val is nil when
// src asks for none.
func LoadTrainVal(ctx context.Context, dir string, opts LoadOptions, src ValSource) (train, val *Dataset, err error) {
	all, err := LoadDir(ctx, dir, opts)
	if err != nil {
		return nil, nil, err
	}
	if src.FromTrain {
		return all.Split(src.Split, src.Random, src.Seed)
	}
	if src.Dir == "" {
		return all, nil, nil
	}
	vopts := opts
	vopts.LabelDir = src.LabelDir
	if val, err = LoadDir(ctx, src.Dir, vopts); err != nil {
		return nil, nil, err
	}
	a, b := all.Samples[0].Image, val.Samples[0].Image
	if len(a.Shape) != len(b.Shape) || a.Channels() != b.Channels() {
		return nil, nil, fmt.Errorf("data: validation image %s has shape %v but training image %s has %v: rank or channel mismatch",
			filepath.Join(src.Dir, val.Samples[0].Name), b.Shape, filepath.Join(dir, all.Samples[0].Name), a.Shape)
	}
	return all, val, nil
}
