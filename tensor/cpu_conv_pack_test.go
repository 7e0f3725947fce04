package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// packCase is one geometry for the packer tests: c channels, spatial in, kernel k,
// stride, pad, dilation (nil: 1, 0, 1).
type packCase struct {
	c                int
	in, k            []int
	stride, pad, dil []int
}

var packCases = []packCase{
	{c: 2, in: []int{40}, k: []int{3}, pad: []int{1}},
	{c: 3, in: []int{37}, k: []int{3}, dil: []int{2}, pad: []int{2}},
	{c: 1, in: []int{70}, k: []int{5}},
	{c: 2, in: []int{9, 64}, k: []int{3, 3}, pad: []int{1}},  // 2 strips per row, both padded
	{c: 2, in: []int{6, 7}, k: []int{3, 3}, pad: []int{1}},   // strips over several rows
	{c: 3, in: []int{10, 16}, k: []int{3, 3}, pad: []int{1}}, // strip = 2 whole rows
	{c: 2, in: []int{12, 45}, k: []int{3, 3}, stride: []int{2, 1}, pad: []int{1}},
	{c: 2, in: []int{11, 40}, k: []int{3, 3}, dil: []int{2}, pad: []int{2}},
	{c: 2, in: []int{8, 33}, k: []int{2, 4}, pad: []int{1, 2}},                // pad larger than needed
	{c: 2, in: []int{9, 20}, k: []int{3, 3}, stride: []int{2}, pad: []int{1}}, // generic path (sw 2)
	{c: 1, in: []int{5, 1}, k: []int{3, 1}, pad: []int{1, 0}},
	{c: 2, in: []int{6, 9}, k: []int{5, 5}, pad: []int{4}}, // runs shorter than the padding                 // width 1
	{c: 2, in: []int{4, 5, 9}, k: []int{3, 3, 3}, pad: []int{1}},
	{c: 2, in: []int{6, 5, 36}, k: []int{2, 3, 3}, stride: []int{2, 1, 1}, pad: []int{0, 1, 1}, dil: []int{1, 2, 1}},
}

func (c packCase) String() string {
	return fmt.Sprintf("c%d_in%v_k%v_s%v_p%v_d%v", c.c, c.in, c.k, c.stride, c.pad, c.dil)
}

// packWindow is one PackB call: columns [j0, j0+nc), depth [p0, p0+kc).
type packWindow struct{ j0, nc, p0, kc int }

// windows returns calls covering whole panels, offsets and short tails for a
// rows×cols operand.
func windows(k, n int) []packWindow {
	if n < 1 || k < 1 {
		return nil
	}
	ws := []packWindow{{0, n, 0, k}, {min(3, n-1), n - min(3, n-1), min(2, k-1), k - min(2, k-1)}}
	if n > 40 && k > 12 {
		ws = append(ws, packWindow{33, 7, 5, 11}, packWindow{n - 5, 5, k - 9, 9})
	}
	return ws
}

// TestConvPackers compares every fast packer path (AVX-512 where available and the Go
// one) with the generic packers on strips of several widths, panel offsets and
// column/depth tails, checking that every lane of dst is written.
func TestConvPackers(t *testing.T) {
	saved := useAVX512Pack
	defer func() { useAVX512Pack = saved }()
	modes := []bool{false}
	if saved {
		modes = append(modes, true)
	}
	for i, pc := range packCases {
		t.Run(pc.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 5))
			g := NewConvGeom(pc.in, pc.k, pc.stride, pc.pad, pc.dil)
			tab := newConvTables(g)
			x := make([]float32, pc.c*g.InSize())
			for j := range x {
				x[j] = r.Float32() + 1
			}
			rows := pc.c * g.KernelSize()
			for _, o0 := range []int{0, 5} {
				m := imgCols{x: x, t: tab, o0: o0}
				n := g.OutSize() - o0
				for _, nr := range []int{32, 16, 4} {
					for _, asm := range modes {
						useAVX512Pack = asm
						name := fmt.Sprintf("o0=%d nr=%d asm=%v", o0, nr, asm)
						for _, w := range windows(rows, n) {
							checkPack(t, "colsB "+name, w, nr, colsB{m}.PackB, colsB{m}.packGeneric)
						}
						for _, w := range windows(n, rows) { // colsT: depth = positions
							checkPack(t, "colsT "+name, w, nr, colsT{m}.PackB, colsT{m}.packGeneric)
						}
					}
				}
			}
		})
	}
}

func checkPack(t *testing.T, name string, w packWindow, nr int, fast, ref func(dst []float32, j0, nc, p0, kc, nr int)) {
	t.Helper()
	size := (w.nc + nr - 1) / nr * w.kc * nr
	want := make([]float32, size)
	got := make([]float32, size+1)
	for i := range got {
		got[i] = float32(math.NaN())
	}
	ref(want, w.j0, w.nc, w.p0, w.kc, nr)
	fast(got[:size], w.j0, w.nc, w.p0, w.kc, nr)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s %+v: dst[%d] = %v, want %v", name, w, i, got[i], want[i])
		}
	}
	if !math.IsNaN(float64(got[size])) {
		t.Fatalf("%s %+v: wrote past the panel", name, w)
	}
}

// BenchmarkConvPack packs every strip of one sample in the order of the fused GEMM
// (depth blocks of at most 384, then one 32-wide strip at a time into a small buffer) and
// reports the packed volume per second.
func BenchmarkConvPack(b *testing.B) {
	for _, c := range []struct {
		name string
		c, h int
	}{{"edsr_64x64x64", 64, 64}, {"unet_32x256x256", 32, 256}} {
		g := NewConvGeom([]int{c.h, c.h}, []int{3, 3}, nil, []int{1}, nil)
		m := imgCols{x: make([]float32, c.c*g.InSize()), t: newConvTables(g), sc: new(packScratch)}
		rows, n := c.c*g.KernelSize(), g.OutSize()
		kc := (rows + (rows+383)/384 - 1) / ((rows + 383) / 384)
		buf := make([]float32, 384*32)
		for _, mode := range []string{"colsB", "colsT", "colsB-generic", "colsT-generic"} {
			packB, packT := colsB{m}.PackB, colsT{m}.PackB
			if strings.HasSuffix(mode, "generic") {
				packB, packT = colsB{m}.packGeneric, colsT{m}.packGeneric
			}
			b.Run(c.name+"/"+mode, func(b *testing.B) {
				for b.Loop() {
					if strings.HasPrefix(mode, "colsB") {
						for p := 0; p < rows; p += kc {
							for j := 0; j < n; j += 32 {
								packB(buf, j, min(32, n-j), p, min(kc, rows-p), 32)
							}
						}
						continue
					}
					for p := 0; p < n; p += 384 {
						for j := 0; j < rows; j += 32 {
							packT(buf, j, min(32, rows-j), p, min(384, n-p), 32)
						}
					}
				}
				b.ReportMetric(float64(rows*n*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
