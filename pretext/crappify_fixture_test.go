package pretext

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
)

// parseDType maps a side-car dtype name to a DType.
func parseDType(s string) (DType, error) {
	for _, d := range []DType{Float32, Uint8, Uint16, Int16} {
		if d.String() == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("unknown dtype %q", s)
}

// TestCrappifyFixtures runs every crappify_* case of fixtures/preprocess (the other
// preprocess kinds belong to the data package's walker). Each output_f<k> tensor is
// Crappify with factor k and no noise. Integer outputs must be equal, except ±1 where
// our float result lies within 1e-9 of an integer (truncation on either side of it);
// those are counted and bounded by the side-car's exact_fraction.
func TestCrappifyFixtures(t *testing.T) {
	ran := 0
	for _, c := range fixture.MustLoad(t, "preprocess") {
		if !strings.HasPrefix(c.Name, "crappify") {
			continue
		}
		ran++
		t.Run(c.Name, func(t *testing.T) {
			name, ok := c.String("dtype")
			if !ok {
				t.Fatal("side-car lacks dtype")
			}
			dtype, err := parseDType(name)
			if err != nil {
				t.Fatal(err)
			}
			exact, ok := c.Float("tolerance.exact_fraction")
			if !ok {
				t.Fatal("side-car lacks tolerance.exact_fraction")
			}
			maxDiff, ok := c.Float("tolerance.max_abs_diff")
			if !ok {
				t.Fatal("side-car lacks tolerance.max_abs_diff")
			}
			in := c.Tensor("input")
			if in == nil {
				t.Fatal("case lacks input")
			}
			shape := in.Shape()
			src := in.Values()
			sizes, _ := c.Value("intermediate_size_per_factor")
			var keys []string
			for key := range c.Tensors {
				if strings.HasPrefix(key, "output_f") {
					keys = append(keys, key)
				}
			}
			slices.Sort(keys)
			for _, key := range keys {
				tt := c.Tensor(key)
				var f float64
				if _, err := fmt.Sscanf(key, "output_f%g", &f); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				t.Run(key, func(t *testing.T) {
					if !slices.Equal(tt.Shape(), shape) {
						t.Fatalf("output shape %v, input %v", tt.Shape(), shape)
					}
					if m, ok := sizes.(map[string]any); ok {
						if want, ok := m[key[len("output_"):]].([]any); ok {
							got := CrappifySize(shape[:len(shape)-1], f)
							for i, w := range want {
								if i >= len(got) || float64(got[i]) != w.(float64) {
									t.Fatalf("CrappifySize = %v, side-car %v", got, want)
								}
							}
						}
					}
					want := tt.Values()
					got := Crappify(src, shape, dtype, f, 0, nil)
					raw := crappify(src, shape, dtype, f, 0, nil)
					off := 0
					for i := range got {
						if got[i] == want[i] {
							continue
						}
						d := math.Abs(float64(got[i] - want[i]))
						atInt := math.Abs(raw[i]-math.Round(raw[i])) < 1e-9
						if d > maxDiff || !atInt {
							t.Fatalf("sample %d: got %v, want %v (float result %.17g)", i, got[i], want[i], raw[i])
						}
						off++
					}
					if frac := 1 - float64(off)/float64(len(got)); frac < exact {
						t.Errorf("%d of %d samples off by one (exact fraction %.5f < %g)", off, len(got), frac, exact)
					}
					t.Logf("factor %g: %d/%d samples off by one at an integer", f, off, len(got))
				})
			}
			if len(keys) == 0 {
				t.Fatal("case has no output_f* tensor")
			}
		})
	}
	if ran == 0 {
		t.Fatal("no crappify case in fixtures/preprocess")
	}
}
