package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// igemmCase is a convolution geometry for the implicit-GEMM tests.
type igemmCase struct {
	n, cin, cout, groups    int
	in, k, stride, pad, dil []int
}

var igemmCases = []igemmCase{
	{2, 3, 5, 1, []int{7, 6}, []int{3, 3}, nil, []int{1, 1}, nil},
	{1, 1, 16, 1, []int{9, 11}, []int{3, 3}, nil, []int{1, 1}, nil},
	{3, 4, 6, 2, []int{8, 9}, []int{3, 2}, []int{2, 1}, []int{1, 0}, []int{1, 2}},
	{2, 2, 3, 1, []int{5, 6, 7}, []int{3, 3, 3}, nil, []int{1, 1, 1}, nil},
	{2, 5, 4, 1, []int{13}, []int{5}, []int{2}, []int{2}, []int{1}},
	{2, 8, 8, 1, []int{6, 6}, []int{1, 1}, nil, nil, nil},
	{1, 3, 2, 1, []int{4, 5, 6}, []int{2, 3, 3}, []int{1, 2, 1}, []int{0, 1, 2}, []int{2, 1, 1}},
}

func (c igemmCase) String() string {
	return fmt.Sprintf("n%d_cin%d_cout%d_g%d_in%v_k%v_s%v_p%v_d%v", c.n, c.cin, c.cout, c.groups, c.in, c.k, c.stride, c.pad, c.dil)
}

func (c igemmCase) geom() tensor.ConvGeom {
	return tensor.NewConvGeom(c.in, c.k, c.stride, c.pad, c.dil)
}

// TestIgemmGather emulates the B-tile gather of igemm.cu (the row table, the per-column
// base coordinates and the bounds test) for every column row, padding rows included,
// and checks it reads exactly what the CPU's Im2Col writes.
func TestIgemmGather(t *testing.T) {
	for _, c := range igemmCases {
		t.Run(c.String(), func(t *testing.T) {
			g := c.geom()
			q := toWinGeom(g)
			cinG := c.cin / c.groups
			x := tensor.New(tensor.CPU{}, append([]int{c.n, c.cin}, c.in...)...)
			xd := x.Data()
			for i := range xd {
				xd[i] = float32(i + 1)
			}
			rows, positions := c.cin*g.KernelSize(), g.OutSize()
			col := tensor.New(tensor.CPU{}, c.n, rows, positions)
			tensor.CPU{}.Im2Col(col, x, g)
			cd := col.Data()
			tab := igemmTable(&q, cinG)
			if len(tab)%(4*igemmTabPad) != 0 || len(tab)/4 < cinG*g.KernelSize() {
				t.Fatalf("table of %d rows for %d column rows", len(tab)/4, cinG*g.KernelSize())
			}
			inSize := q.in[0] * q.in[1] * q.in[2]
			groupRows := cinG * g.KernelSize()
			for s := range c.n {
				for p := range positions {
					od, rem := p/(q.out[1]*q.out[2]), p%(q.out[1]*q.out[2])
					oh, ow := rem/q.out[2], rem%q.out[2]
					iz0, iy0, ix0 := od*q.s[0]-q.p[0], oh*q.s[1]-q.p[1], ow*q.s[2]-q.p[2]
					for gi := range c.groups {
						base := (s*c.cin+gi*cinG)*inSize + (iz0*q.in[1]+iy0)*q.in[2] + ix0
						for r := range len(tab) / 4 {
							e := tab[4*r : 4*r+4]
							z, y, xx := iz0+int(e[1]), iy0+int(e[2]), ix0+int(e[3])
							var got float32
							if uint(z) < uint(q.in[0]) && uint(y) < uint(q.in[1]) && uint(xx) < uint(q.in[2]) {
								got = xd[base+int(e[0])]
							}
							var want float32
							if r < groupRows {
								want = cd[(s*rows+gi*groupRows+r)*positions+p]
							}
							if got != want {
								t.Fatalf("sample %d group %d row %d position %d: gathered %v, Im2Col %v", s, gi, r, p, got, want)
							}
						}
					}
				}
			}
		})
	}
}

// TestIgemmInputGradGeometry checks the input-gradient recipe of ConvInputGrad with the
// CPU's kernels: the forward convolution of dy with the weight flipped as
// conv_flip_weights does (emulated here) and padding Dilation·(Kernel−1) − Pad equals
// the CPU's ConvInputGrad.
func TestIgemmInputGradGeometry(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range igemmCases {
		g := c.geom()
		if !tensor.ConvInputGradOK(g) {
			continue
		}
		t.Run(c.String(), func(t *testing.T) {
			cpu := tensor.CPU{}
			w := randTensor(rng, append([]int{c.cout, c.cin / c.groups}, c.k...)...)
			dy := randTensor(rng, append([]int{c.n, c.cout}, g.Out...)...)
			want := tensor.New(cpu, append([]int{c.n, c.cin}, c.in...)...)
			cpu.ConvInputGrad(want, dy, w, g, c.groups)

			cpg, cinG, ks := c.cout/c.groups, c.cin/c.groups, g.KernelSize()
			wf := tensor.New(cpu, append([]int{c.cin, cpg}, c.k...)...)
			wd, wfd := w.Data(), wf.Data()
			for i := range wd { // the index math of conv_flip_weights
				co := i / (cinG * ks)
				rem := i - co*cinG*ks
				ci, k := rem/ks, rem%ks
				gi, cl := co/cpg, co%cpg
				wfd[((gi*cinG+ci)*cpg+cl)*ks+(ks-1-k)] = wd[i]
			}
			pad := make([]int, g.Dims())
			for i := range pad {
				pad[i] = g.Dilation[i]*(g.Kernel[i]-1) - g.Pad[i]
			}
			gf := tensor.NewConvGeom(g.Out, g.Kernel, nil, pad, g.Dilation)
			got := tensor.New(cpu, append([]int{c.n, c.cin}, c.in...)...)
			cpu.ConvForward(got, dy, wf, gf, c.groups)
			gd, wantd := got.Data(), want.Data()
			for i := range wantd {
				if d := gd[i] - wantd[i]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("element %d: flipped forward %v, ConvInputGrad %v", i, gd[i], wantd[i])
				}
			}
		})
	}
}

func randTensor(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.CPU{}, shape...)
	d := t.Data()
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return t
}

// TestIgemmChunks checks the filter-gradient split: chunks of a multiple of igemmBK
// positions that cover each sample exactly, grid z within the launch limit, the
// partial buffer within budget where one chunk per sample allows it.
func TestIgemmChunks(t *testing.T) {
	cases := []struct{ tiles, groups, samples, positions, mr int }{
		{2, 1, 16, 65536, 16 * 144},
		{36, 1, 16, 32 * 32, 256 * 2304},
		{1, 1, 1, 5, 9},
		{4, 2, 4, 64 * 64 * 64, 32 * 864},
		{1, 1, 70000, 16, 4},
		{8, 4, 1000, 4096, 1 << 20},
	}
	for _, c := range cases {
		l, chunks := igemmChunks(c.tiles, c.groups, c.samples, c.positions, c.mr)
		name := fmt.Sprintf("%+v", c)
		if l%igemmBK != 0 || l <= 0 || chunks < 1 {
			t.Errorf("%s: L %d, %d chunks", name, l, chunks)
			continue
		}
		if chunks*l < c.positions || (chunks-1)*l >= c.positions {
			t.Errorf("%s: %d chunks of %d do not cover %d positions exactly", name, chunks, l, c.positions)
		}
		if z := c.groups * c.samples * chunks; z > igemmMaxGridZ && chunks > 1 {
			t.Errorf("%s: grid z %d", name, z)
		}
		if chunks > 1 && c.groups*c.samples*chunks*c.mr > igemmPartBudget {
			t.Errorf("%s: partial sums of %d elements", name, c.groups*c.samples*chunks*c.mr)
		}
		if chunks > 1 && l < igemmMinChunk {
			t.Errorf("%s: chunks of %d positions", name, l)
		}
	}
	if _, chunks := igemmChunks(4, 1, 0, 100, 10); chunks != 0 {
		t.Errorf("no samples: %d chunks", chunks)
	}
}

// TestIgemmKernelNames checks that every kernel name the launch code can produce is an
// .entry of igemm.ptx, and the tile rows chosen per channel count.
func TestIgemmKernelNames(t *testing.T) {
	entries := ptxEntries(t, "igemm")
	for _, pass := range []string{"fwd", "wgrad"} {
		for _, tf32 := range []bool{false, true} {
			for _, cpg := range []int{1, 16, 17, 32, 33, 64, 65, 128, 129, 1000} {
				if name := igemmKernel(pass, tf32, cpg); !entries[name] {
					t.Errorf("igemmKernel(%q, %v, %d) = %s: no such .entry in igemm.ptx", pass, tf32, cpg, name)
				}
			}
		}
	}
	for _, name := range []string{"igemm_wgrad_reduce", "conv_flip_weights"} {
		if !entries[name] {
			t.Errorf("no .entry %s in igemm.ptx", name)
		}
	}
	for _, c := range []struct{ cpg, bm int }{{1, 16}, {16, 16}, {17, 32}, {32, 32}, {48, 64}, {64, 64}, {65, 128}, {512, 128}} {
		if bm := igemmTileRows(c.cpg); bm != c.bm {
			t.Errorf("igemmTileRows(%d) = %d, want %d", c.cpg, bm, c.bm)
		}
	}
}
