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
	{2, 2, 3, 1, []int{9, 8}, []int{7, 5}, nil, []int{3, 2}, nil}, // 35 taps: no tap mask
	{1, 2, 3, 1, []int{1300}, []int{3}, nil, nil, []int{600}},     // tap offset 1200: not packed
}

func (c igemmCase) String() string {
	return fmt.Sprintf("n%d_cin%d_cout%d_g%d_in%v_k%v_s%v_p%v_d%v", c.n, c.cin, c.cout, c.groups, c.in, c.k, c.stride, c.pad, c.dil)
}

func (c igemmCase) geom() tensor.ConvGeom {
	return tensor.NewConvGeom(c.in, c.k, c.stride, c.pad, c.dil)
}

// TestIgemmGather emulates the B-tile gathers of igemm.cu (the row tables, the
// per-column base coordinates, the per-element bounds test and the forward's tap mask)
// for every column row, padding rows included, and checks they read exactly what the
// CPU's Im2Col writes.
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
			tab, tabRows := igemmTable(&q, cinG)
			if tabRows%igemmTabPad != 0 || tabRows < cinG*g.KernelSize() || len(tab) != 6*tabRows {
				t.Fatalf("table of %d rows (%d int32) for %d column rows", tabRows, len(tab), cinG*g.KernelSize())
			}
			taps := tab[4*tabRows:]
			ks := igemmMaskTaps(g.KernelSize())
			inSize := q.in[0] * q.in[1] * q.in[2]
			groupRows := cinG * g.KernelSize()
			for s := range c.n {
				for p := range positions {
					od, rem := p/(q.out[1]*q.out[2]), p%(q.out[1]*q.out[2])
					oh, ow := rem/q.out[2], rem%q.out[2]
					iz0, iy0, ix0 := od*q.s[0]-q.p[0], oh*q.s[1]-q.p[1], ow*q.s[2]-q.p[2]
					inside := func(e []int32) bool {
						z, y, xx := iz0+int(e[1]), iy0+int(e[2]), ix0+int(e[3])
						return uint(z) < uint(q.in[0]) && uint(y) < uint(q.in[1]) && uint(xx) < uint(q.in[2])
					}
					var mask uint32 // the forward kernel's tap mask
					for kk := range ks {
						if inside(tab[4*kk : 4*kk+4]) {
							mask |= 1 << kk
						}
					}
					for gi := range c.groups {
						base := (s*c.cin+gi*cinG)*inSize + (iz0*q.in[1]+iy0)*q.in[2] + ix0
						for r := range tabRows {
							e := tab[4*r : 4*r+4]
							var got float32
							if inside(e) {
								got = xd[base+int(e[0])]
							}
							var masked float32
							if ks > 0 && mask>>taps[2*r+1]&1 != 0 {
								masked = xd[base+int(taps[2*r])]
							}
							if ks > 0 && masked != got {
								t.Fatalf("sample %d group %d row %d position %d: masked gather %v, coordinate test %v", s, gi, r, p, masked, got)
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
				bm := igemmTileRows(cpg)
				if pass == "fwd" {
					bm, _, _ = igemmForwardPlan(1000, cpg, 1, 100, 1000)
				}
				if name := igemmKernel(pass, tf32, bm); !entries[name] {
					t.Errorf("igemmKernel(%q, %v, %d) = %s: no such .entry in igemm.ptx", pass, tf32, bm, name)
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

// TestIgemmForwardPlan checks the forward launch plan: a tile of the channel count
// when the tiles fill the GPU; smaller tiles, then a split over k slices that covers
// every slice exactly once, when they do not.
func TestIgemmForwardPlan(t *testing.T) {
	cases := []struct {
		name                     string
		cols, cpg, groups, rows  int
		bm, minSplits, maxSplits int
	}{
		{"2D level 1: 16 channels at 256², batch 16", 16 << 16, 16, 1, 144, 16, 1, 1},
		{"2D level 4: 128 channels at 32², batch 16", 16 << 10, 128, 1, 1152, 64, 2, 3},
		{"2D level 5: 256 channels at 16², batch 16", 16 << 8, 256, 1, 2304, 64, 4, 5},
		{"EDSR: 64 channels at 64², batch 16", 16 << 12, 64, 1, 576, 64, 1, 1},
		{"3D level 5: 256 channels at 4³, batch 4", 256, 256, 1, 256 * 27, 64, 8, 132},
		{"3D level 4: 128 channels at 8³, batch 4", 2048, 128, 1, 128 * 27, 64, 8, 33},
		{"few slices: no split below 8 slices each", 128, 16, 1, 100, 16, 1, 1},
		{"grouped", 512, 32, 4, 32 * 9, 32, 2, 18},
	}
	for _, c := range cases {
		ySize := c.cols * c.cpg * c.groups
		bm, splits, kPer := igemmForwardPlan(c.cols, c.cpg, c.groups, c.rows, ySize)
		nk := (c.rows + igemmBK - 1) / igemmBK
		if bm != c.bm || splits < c.minSplits || splits > c.maxSplits {
			t.Errorf("%s: bm %d, %d splits; want bm %d, %d–%d splits", c.name, bm, splits, c.bm, c.minSplits, c.maxSplits)
		}
		if splits*kPer < nk || (splits-1)*kPer >= nk {
			t.Errorf("%s: %d splits of %d slices do not cover %d slices exactly", c.name, splits, kPer, nk)
		}
		if splits > 1 && kPer < igemmMinSplitSlices {
			t.Errorf("%s: splits of %d slices", c.name, kPer)
		}
		if splits > 1 && splits*ySize > igemmPartBudget {
			t.Errorf("%s: partial outputs of %d elements", c.name, splits*ySize)
		}
	}
}

// TestIgemmPackTaps checks when the filter gradient may pack tap offsets in 10 bits.
func TestIgemmPackTaps(t *testing.T) {
	for _, c := range []struct {
		k, d []int
		want bool
	}{
		{[]int{3, 3}, []int{1, 1}, true},
		{[]int{3, 3, 3}, []int{2, 2, 2}, true},
		{[]int{3}, []int{511}, true},
		{[]int{3}, []int{512}, false},
		{[]int{1025, 1}, []int{1, 1}, false},
	} {
		in := make([]int, len(c.k))
		for i := range in {
			in[i] = c.d[i]*(c.k[i]-1) + 1
		}
		q := toWinGeom(tensor.NewConvGeom(in, c.k, nil, nil, c.d))
		if got := igemmPackTaps(&q); got != c.want {
			t.Errorf("kernel %v dilation %v: igemmPackTaps %v, want %v", c.k, c.d, got, c.want)
		}
	}
}
