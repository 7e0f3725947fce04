package data

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
)

// TestPreprocessFixtures walks every case of fixtures/preprocess: norm_* and tiling*
// cases run here, crappify_* cases belong to the pretext package's test, and any other
// prefix fails so that a new kind of case cannot go unchecked.
func TestPreprocessFixtures(t *testing.T) {
	ran := map[string]int{}
	for _, c := range fixture.MustLoad(t, "preprocess") {
		switch {
		case strings.HasPrefix(c.Name, "norm_"):
			ran["norm"]++
			t.Run(c.Name, func(t *testing.T) { runNormFixture(t, c) })
		case strings.HasPrefix(c.Name, "tiling"):
			ran["tiling"]++
			t.Run(c.Name, func(t *testing.T) { runTilingFixture(t, c) })
		case strings.HasPrefix(c.Name, "crappify_"):
		default:
			t.Errorf("fixture %s: unknown preprocess case prefix (not norm_, tiling or crappify_)", c.Name)
		}
	}
	if ran["norm"] == 0 || ran["tiling"] == 0 {
		t.Fatalf("ran %v: want norm and tiling cases", ran)
	}
}

// pyDictRe finds the Python dict literal of normalisation arguments in the side-car's
// "function" string.
var pyDictRe = regexp.MustCompile(`\{'type'[^}]*\}`)

// normFromSidecar rebuilds the Normalization from the side-car "function" text, whose
// kwargs are a Python dict literal ({'type': 'div', 'percentile_clip': True, …}).
func normFromSidecar(c *fixture.Case) (Normalization, error) {
	fn, _ := c.String("function")
	lit := pyDictRe.FindString(fn)
	if lit == "" {
		return Normalization{}, fmt.Errorf("no {'type': …} dict in function %q", fn)
	}
	js := strings.NewReplacer("'", `"`, "True", "true", "False", "false", "None", "null").Replace(lit)
	var kw map[string]any
	if err := json.Unmarshal([]byte(js), &kw); err != nil {
		return Normalization{}, fmt.Errorf("kwargs %s: %w", lit, err)
	}
	n := Normalization{LowerPerc: 2, UpperPerc: 99.8} // BiaPy's Normalization defaults
	for k, v := range kw {
		f, _ := v.(float64)
		switch k {
		case "type":
			n.Type = NormType(v.(string))
		case "percentile_clip":
			n.PercentileClip = v.(bool)
		case "per_lower_bound":
			n.LowerPerc = f
		case "per_upper_bound":
			n.UpperPerc = f
		case "lower_bound_val", "upper_bound_val", "mean", "std":
			if f == -1 {
				continue
			}
			p := &f
			switch k {
			case "lower_bound_val":
				n.LowerValue = p
			case "upper_bound_val":
				n.UpperValue = p
			case "mean":
				n.Mean = p
			default:
				n.Std = p
			}
		default:
			return Normalization{}, fmt.Errorf("unknown normalisation kwarg %q", k)
		}
	}
	return n, nil
}

func parseDTypeName(s string) (DType, error) {
	for d := Uint8; d <= Float64; d++ {
		if d.String() == s {
			return d, nil
		}
	}
	return InvalidDType, fmt.Errorf("unknown dtype %q", s)
}

// sidecarNumber reads a number that BiaPy may record as a one-element list.
func sidecarNumber(c *fixture.Case, key string) (float64, bool) {
	if f, ok := c.Float(key); ok {
		return f, true
	}
	if fs, ok := c.Floats(key, 1); ok {
		return fs[0], true
	}
	return 0, false
}

func runNormFixture(t *testing.T, c *fixture.Case) {
	norm, err := normFromSidecar(c)
	if err != nil {
		t.Fatal(err)
	}
	dname, ok := c.String("apply_info.orig_dtype")
	if !ok {
		t.Fatal("side-car lacks apply_info.orig_dtype")
	}
	dtype, err := parseDTypeName(dname)
	if err != nil {
		t.Fatal(err)
	}
	in, want, wantUndone := c.Tensor("input"), c.Tensor("output"), c.Tensor("undone")
	if in == nil || want == nil || wantUndone == nil {
		t.Fatal("case lacks input, output or undone")
	}
	img := &Image{Data: in.Values(), Shape: in.Shape(), DType: dtype}
	out, st, err := norm.Normalize(img)
	if err != nil {
		t.Fatal(err)
	}

	// Recorded statistics.
	checks := []struct {
		key string
		got float64
	}{
		{"stats_after_set_stats_from_image.lower_bound_val", st.LowerBound},
		{"stats_after_set_stats_from_image.upper_bound_val", st.UpperBound},
		{"apply_info.div_value", st.DivValue},
		{"apply_info.scale_range_min_val", st.Min},
		{"apply_info.scale_range_max_val", st.Max},
		{"apply_info.mean", st.Mean},
		{"apply_info.std", st.Std},
	}
	for _, ck := range checks {
		w, ok := sidecarNumber(c, ck.key)
		if !ok {
			continue
		}
		if math.Abs(ck.got-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v, want %v", ck.key, ck.got, w)
		}
	}

	rtol, atol, ok := c.Tolerance("output")
	if !ok {
		t.Fatal("side-car lacks tolerance.output")
	}
	if !slices.Equal(out.Shape, want.Shape()) || out.DType != Float32 {
		t.Fatalf("output shape %v dtype %v, want %v float32", out.Shape, out.DType, want.Shape())
	}
	assertClose(t, "output", out.Data, want.Values(), rtol, atol)

	maxDiff, ok := c.Float("tolerance.undone.max_abs_diff")
	if !ok {
		t.Fatal("side-car lacks tolerance.undone.max_abs_diff")
	}
	// BiaPy undoes its own float32 output; so do we (ours is within tolerance of it).
	undone := st.Undo(&Image{Data: want.Values(), Shape: want.Shape(), DType: Float32})
	if undone.DType != dtype {
		t.Errorf("undone dtype %v, want %v", undone.DType, dtype)
	}
	wu := wantUndone.Values()
	worst, at := 0.0, -1
	for i, v := range undone.Data {
		if d := math.Abs(float64(v) - float64(wu[i])); d > worst {
			worst, at = d, i
		}
	}
	if worst > maxDiff {
		t.Errorf("undone: max |diff| %v at %d (got %v, want %v), tolerance %v", worst, at, undone.Data[at], wu[at], maxDiff)
	}
	// And from our own output.
	undone2 := st.Undo(out)
	for i, v := range undone2.Data {
		if d := math.Abs(float64(v) - float64(wu[i])); d > maxDiff {
			t.Fatalf("undone(own output)[%d] = %v, want %v", i, v, wu[i])
		}
	}
}

// assertClose fails when |got − want| > atol + rtol·|want| anywhere.
func assertClose(t *testing.T, name string, got, want []float32, rtol, atol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	bad := 0
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.Abs(g-w) > atol+rtol*math.Abs(w) || math.IsNaN(g) != math.IsNaN(w) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v", name, i, g, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside rtol %g atol %g", name, bad, len(got), rtol, atol)
	}
}

func runTilingFixture(t *testing.T, c *fixture.Case) {
	nd, ok := c.Int("ndim")
	if !ok {
		t.Fatal("side-car lacks ndim")
	}
	imgShape, ok1 := c.Ints("image_shape", 4)
	patchShape, ok2 := c.Ints("patch_shape", nd+1)
	overlap, ok3 := c.Floats("overlap", nd)
	padding, ok4 := c.Ints("padding", nd)
	origins, ok5 := c.Value("crop_origins")
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		t.Fatal("side-car lacks image_shape, patch_shape, overlap, padding or crop_origins")
	}
	imgT, coords := c.Tensor("image"), c.Tensor("coords")
	if imgT == nil || coords == nil {
		t.Fatal("case lacks image or coords")
	}
	// 2-D images are stored as [1, Y, X, C].
	shape := imgShape
	if nd == 2 {
		if imgShape[0] != 1 {
			t.Fatalf("2-D image_shape %v, want a leading 1", imgShape)
		}
		shape = imgShape[1:]
	}
	img := &Image{Data: imgT.Values(), Shape: shape, DType: Float32}
	tl, err := NewTiling(shape[:nd], patchShape[:nd], overlap, padding)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Int("num_patches"); tl.Len() != n {
		t.Fatalf("%d patches, want %d", tl.Len(), n)
	}
	originList := origins.([]any)
	cv := coords.Values()
	for k := range tl.Len() {
		o := tl.Origin(k)
		for a := range nd {
			if w := int(originList[k].([]any)[a].(float64)); o[a] != w {
				t.Fatalf("patch %d origin %v, want %v", k, o, originList[k])
			}
			if int(cv[k*2*nd+2*a]) != o[a] || int(cv[k*2*nd+2*a+1]) != o[a]+tl.Patch[a] {
				t.Fatalf("patch %d coords %v, origin %v + patch %v", k, cv[k*2*nd:(k+1)*2*nd], o, tl.Patch)
			}
		}
	}
	patches, err := tl.Crop(img)
	if err != nil {
		t.Fatal(err)
	}
	psize := len(patches[0].Data)

	// Merge: scaled patches → merged_scaled (BiaPy's), or, where BiaPy's merge fails,
	// against a brute-force per-pixel average of the trimmed patches.
	scaled := make([]*Image, len(patches))
	if ps := c.Tensor("patches_scaled"); ps != nil {
		pv := ps.Values()
		for k, p := range patches {
			s := float32(1 + 0.1*float64(k))
			got, want := p.Data, pv[k*psize:(k+1)*psize]
			for i := range got {
				if d := math.Abs(float64(got[i]*s - want[i])); d > 1e-5*math.Abs(float64(want[i]))+1e-6 {
					t.Fatalf("patch %d value %d: %v·%v, want %v", k, i, got[i], s, want[i])
				}
			}
			scaled[k] = &Image{Data: slices.Clone(want), Shape: p.Shape, DType: Float32}
		}
	} else {
		raw := c.Tensor("patches")
		if raw == nil {
			t.Fatal("case has neither patches_scaled nor patches")
		}
		rv := raw.Values()
		for k, p := range patches {
			if !slices.Equal(p.Data, rv[k*psize:(k+1)*psize]) {
				t.Fatalf("patch %d differs from the fixture", k)
			}
			s := float32(1 + 0.1*float64(k))
			d := slices.Clone(p.Data)
			for i := range d {
				d[i] *= s
			}
			scaled[k] = &Image{Data: d, Shape: p.Shape, DType: Float32}
		}
	}
	merged, err := tl.Merge(scaled)
	if err != nil {
		t.Fatal(err)
	}
	if ms := c.Tensor("merged_scaled"); ms != nil {
		rtol, atol, _ := c.Tolerance("merged_scaled")
		assertClose(t, "merged_scaled", merged.Data, ms.Values(), rtol, atol)
	} else {
		want := bruteForceMerge(tl, scaled, img.Channels())
		assertClose(t, "merged_scaled (own expectation)", merged.Data, want, 1e-6, 1e-5)
	}
	// Unscaled round trip is exact.
	back, err := tl.Merge(patches)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "round trip", back.Data, img.Data, 0, 0)
}

// bruteForceMerge averages, for every image pixel, the values of all patches whose
// trimmed interior covers it, looping over pixels (an independent formulation of the
// merge).
func bruteForceMerge(tl *Tiling, patches []*Image, c int) []float32 {
	nd := len(tl.Size)
	n := 1
	for _, s := range tl.Size {
		n *= s
	}
	out := make([]float32, n*c)
	pos := make([]int, nd)
	for p := range n {
		r := p
		for a := nd - 1; a >= 0; a-- {
			pos[a] = r % tl.Size[a]
			r /= tl.Size[a]
		}
		for ch := range c {
			var sum float64
			cnt := 0
			for k, pt := range patches {
				o := tl.Origin(k)
				idx, inside := 0, true
				for a := range nd {
					q := pos[a] + tl.Frame[a] - o[a] // coordinate inside the patch
					if q < tl.Strip[a] || q >= tl.Patch[a]-tl.Strip[a] {
						inside = false
						break
					}
					idx = idx*tl.Patch[a] + q
				}
				if inside {
					sum += float64(pt.Data[idx*c+ch])
					cnt++
				}
			}
			out[p*c+ch] = float32(sum / float64(cnt))
		}
	}
	return out
}
