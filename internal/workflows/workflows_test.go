package workflows

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/data"
)

func TestOrder(t *testing.T) {
	if got := Order(4, false, 7, 3); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("Order without shuffle = %v", got)
	}
	a, b := Order(8, true, 7, 1), Order(8, true, 7, 1)
	if !slices.Equal(a, b) {
		t.Errorf("Order not deterministic: %v vs %v", a, b)
	}
	s := slices.Clone(a)
	slices.Sort(s)
	if !slices.Equal(s, []int{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("Order(8, shuffle) = %v, not a permutation", a)
	}
}

func TestCollect(t *testing.T) {
	img := func(k int) *data.Image { m := data.NewImage(data.Float32, 1, 1, 1); m.Data[0] = float32(k); return m }
	draw := func(k int) (*data.Image, *data.Image) { return img(k), img(10 * k) }
	ord := []int{3, 1, 2, 0, 4}
	for _, c := range []struct {
		name string
		i    int
		want []float32
	}{{"first", 0, []float32{3, 1}}, {"last partial", 2, []float32{4}}} {
		t.Run(c.name, func(t *testing.T) {
			xs, ys, err := Collect("test", ord, c.i, 2, draw)
			if err != nil {
				t.Fatal(err)
			}
			for n, x := range xs {
				if x.Data[0] != c.want[n] || ys[n].Data[0] != 10*c.want[n] {
					t.Errorf("sample %d: %v %v, want %v", n, x.Data, ys[n].Data, c.want[n])
				}
			}
		})
	}
	if _, _, err := Collect("test", ord, 3, 2, draw); err == nil || !strings.HasPrefix(err.Error(), "test: batch 3 of 3") {
		t.Errorf("past the end: %v", err)
	}
}

func TestCheckData(t *testing.T) {
	var ov []float64
	var pd []int
	var norm data.Normalization
	if err := CheckData("test", []int{8, 8, 1}, &norm, Tiling{Key: "DATA.TRAIN", Overlap: &ov, Padding: &pd}); err != nil {
		t.Fatal(err)
	}
	if norm.Type != data.NormZeroMeanUnitVar || len(ov) != 2 || len(pd) != 2 {
		t.Errorf("defaults: %q %v %v", norm.Type, ov, pd)
	}
	ov = []float64{0}
	if err := CheckData("test", []int{8, 8, 1}, &norm, Tiling{Key: "DATA.VAL", Overlap: &ov, Padding: &pd}); err == nil || !strings.Contains(err.Error(), "test: DATA.VAL.OVERLAP") {
		t.Errorf("bad overlap: %v", err)
	}
	if err := CheckData("test", []int{8, 1}, &norm); err == nil || !strings.HasPrefix(err.Error(), "test: patch size") {
		t.Errorf("bad patch: %v", err)
	}
}
