package models

import (
	"fmt"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestMAEGridMask2DAsBiaPy(t *testing.T) {
	for _, c := range maeCases(t, "models", 2, "grid") {
		t.Run(c.Name, func(t *testing.T) {
			m, err := maeFromCase(c)
			if err != nil {
				t.Fatal(err)
			}
			got := m.NewMask(c.Tensor("mask").Dim(0))
			compareExact(t, "mask", got.Mask, c.Tensor("mask"))
			checkMaskConsistent(t, got)
			// Which tokens are kept is fixed by the mask; their order (and so
			// ids_restore) matches BiaPy's where its argsort was stable.
			if stable, ok := c.Bool("grid_argsort_equals_stable_sort"); !ok || stable {
				compareExact(t, "ids_restore", got.Restore, c.Tensor("ids_restore"))
				want := NewMAEMask(c.Tensor("ids_keep"), c.Tensor("ids_restore"), c.Tensor("mask"))
				compareExact(t, "ids_keep", got.Keep, want.Keep)
			}
		})
	}
}

func TestMAERandomMaskAsBiaPy(t *testing.T) {
	for _, ndim := range []int{2, 3} {
		for _, c := range maeCases(t, "models", ndim, "random") {
			t.Run(c.Name, func(t *testing.T) {
				ratio, _ := c.Float("mask_ratio")
				got := RandomMask(c.Tensor("mask_noise"), ratio)
				compareExact(t, "mask", got.Mask, c.Tensor("mask"))
				compareExact(t, "ids_restore", got.Restore, c.Tensor("ids_restore"))
				checkMaskConsistent(t, got)
			})
		}
	}
}

// checkMaskConsistent checks that restore inverts [keep; hidden], that the kept
// tokens have mask 0 and every other token mask 1.
func checkMaskConsistent(t *testing.T, m *MAEMask) {
	t.Helper()
	n, l, k := m.Restore.Dim(0), m.Len(), m.Kept()
	keep, restore, mask := m.Keep.Values(), m.Restore.Values(), m.Mask.Values()
	for b := range n {
		kept := make([]bool, l)
		for j := range k {
			tok := int(keep[b*k+j])
			kept[tok] = true
			if int(restore[b*l+tok]) != j {
				t.Fatalf("sample %d: keep[%d] = %d but restore[%d] = %g", b, j, tok, tok, restore[b*l+tok])
			}
		}
		pos := slices.Clone(restore[b*l : (b+1)*l])
		slices.Sort(pos)
		for i, p := range pos {
			if int(p) != i {
				t.Fatalf("sample %d: restore is not a permutation: %v", b, restore[b*l:(b+1)*l])
			}
		}
		for tok := range l {
			if want := float32(1); kept[tok] {
				want = 0
				if mask[b*l+tok] != want {
					t.Fatalf("sample %d: kept token %d has mask %g", b, tok, mask[b*l+tok])
				}
			} else if mask[b*l+tok] != want {
				t.Fatalf("sample %d: hidden token %d has mask %g", b, tok, mask[b*l+tok])
			}
		}
	}
}

func TestMAERandomMaskProperties(t *testing.T) {
	for _, tc := range []struct {
		l     int
		ratio float64
		k     int
	}{{16, 0.5, 8}, {27, 0.75, 6}, {64, 0.3, 44}, {10, 1, 0}} {
		t.Run(fmt.Sprint(tc.l, "_", tc.ratio), func(t *testing.T) {
			a := DrawRandomMask(tensor.NewRNG(3), 3, tc.l, tc.ratio)
			b := DrawRandomMask(tensor.NewRNG(3), 3, tc.l, tc.ratio)
			if a.Kept() != tc.k {
				t.Errorf("kept %d, want int(L·(1−ratio)) = %d", a.Kept(), tc.k)
			}
			if !slices.Equal(a.Mask.Values(), b.Mask.Values()) {
				t.Errorf("same seed, different masks")
			}
			checkMaskConsistent(t, a)
		})
	}
	// Ties keep token order (stable argsort).
	m := RandomMask(tensor.FromSlice([]float32{0.5, 0.1, 0.5, 0.1}, 1, 4), 0.5)
	if got := m.Keep.Values(); !slices.Equal(got, []float32{1, 3}) {
		t.Errorf("tie keep %v, want [1 3]", got)
	}
	if got := m.Restore.Values(); !slices.Equal(got, []float32{2, 0, 3, 1}) {
		t.Errorf("tie restore %v, want [2 0 3 1]", got)
	}
}

func TestMAEGridMask3D(t *testing.T) {
	for _, g := range []int{2, 3, 4} {
		t.Run(fmt.Sprint("grid", g), func(t *testing.T) {
			m := GridMask(3, g, 2)
			l := g * g * g
			if m.Len() != l || m.Kept() != l/2 {
				t.Fatalf("L %d kept %d, want %d and %d", m.Len(), m.Kept(), l, l/2)
			}
			checkMaskConsistent(t, m) // hidden from the encoder ⇔ counted in the loss
			mask := m.Mask.Values()
			for i := range g {
				for j := range g {
					for k := range g {
						want := float32((i + j + k + 1) % 2)
						if got := mask[(i*g+j)*g+k]; got != want {
							t.Fatalf("token (%d,%d,%d): mask %g, want %g", i, j, k, got, want)
						}
					}
				}
			}
			if !slices.Equal(mask[:l], mask[l:]) {
				t.Errorf("grid mask differs between samples")
			}
		})
	}
	// BiaPy's stored 3-D masks score only the all-even and all-odd sub-lattices; ours
	// score the half that the encoder does not see.
	for _, c := range maeCases(t, "models", 3, "grid") {
		t.Run(c.Name, func(t *testing.T) {
			m, err := maeFromCase(c)
			if err != nil {
				t.Fatal(err)
			}
			stored := c.Tensor("mask")
			g := m.Options().ImgSize / m.Options().PatchSize
			var want []float32
			for i := range g {
				for j := range g {
					for k := range g {
						want = append(want, float32(btoi(i%2 == j%2 && j%2 == k%2)))
					}
				}
			}
			for b := range stored.Dim(0) {
				if !slices.Equal(stored.Values()[b*len(want):(b+1)*len(want)], want) {
					t.Fatalf("stored mask of sample %d is not BiaPy's sub-lattice pattern", b)
				}
			}
			ours := m.NewMask(stored.Dim(0))
			checkMaskConsistent(t, ours)
			if ours.Kept() != len(want)/2 {
				t.Errorf("kept %d tokens, want L//2 = %d", ours.Kept(), len(want)/2)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
