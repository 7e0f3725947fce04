package tensor

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// axisMap is the resampling of one spatial axis from in to out positions: output o
// reads input i0[o] with weight l0[o] and i1[o] with weight l1[o] (nearest: l0 = 1,
// l1 = 0, i1 = i0). The inverse lists, for input i, the outputs reading it:
// outs[start[i]:start[i+1]] with weights ws[…], for the backward pass.
type axisMap struct {
	i0, i1 []int
	l0, l1 []float32
	start  []int
	outs   []int
	ws     []float32
}

// newAxisMap builds the map of one axis exactly as PyTorch's CPU upsample kernels do
// when given scale_factor: the coordinate scale is (float)(1/scale) and the source
// coordinate is computed in float32. Equal sizes copy (PyTorch's scale 1 shortcut).
func newAxisMap(mode ResampleMode, in, out int, scale float64) *axisMap {
	m := &axisMap{i0: make([]int, out), i1: make([]int, out), l0: make([]float32, out), l1: make([]float32, out)}
	r := float32(1.0 / scale)
	for o := range out {
		m.l0[o] = 1
		switch {
		case in == out:
			m.i0[o], m.i1[o] = o, o
		case mode == Nearest:
			i := int(math.Floor(float64(float32(o) * r)))
			m.i0[o] = min(i, in-1)
			m.i1[o] = m.i0[o]
		default:
			src := float32(r*float32(float32(o)+0.5)) - 0.5
			src = max(src, 0)
			i := min(int(math.Floor(float64(src))), in-1)
			l1 := min(max(src-float32(i), 0), 1)
			m.i0[o], m.i1[o] = i, i
			if i < in-1 {
				m.i1[o] = i + 1
			}
			m.l0[o], m.l1[o] = 1-l1, l1
		}
	}
	// Inverse (CSR): every (output, weight) pair reading each input.
	m.start = make([]int, in+1)
	each := func(f func(i, o int, w float32)) {
		for o := range out {
			f(m.i0[o], o, m.l0[o])
			if mode == Linear && in != out {
				f(m.i1[o], o, m.l1[o])
			}
		}
	}
	each(func(i, _ int, _ float32) { m.start[i+1]++ })
	for i := range in {
		m.start[i+1] += m.start[i]
	}
	m.outs = make([]int, m.start[in])
	m.ws = make([]float32, m.start[in])
	fill := append([]int(nil), m.start[:in]...)
	each(func(i, o int, w float32) {
		m.outs[fill[i]], m.ws[fill[i]] = o, w
		fill[i]++
	})
	return m
}

// resampleMaps checks the shapes of an upsample (big: [N, C, *out], small: [N, C, *in])
// and returns N·C, the spatial sizes padded to 3 axes and the three axis maps.
func resampleMaps(op string, mode ResampleMode, big, small *Tensor, scales []float64) (planes int, in, out [3]int, maps [3]*axisMap) {
	bs, ss := big.Shape(), small.Shape()
	r := len(ss)
	if r < 3 || r > 5 || len(bs) != r || bs[0] != ss[0] || bs[1] != ss[1] || len(scales) != r-2 {
		panic(fmt.Sprintf("tensor: %s: output %v, input %v, scales %v: need [N C *out], [N C *in] with 1–3 spatial axes and one scale per axis", op, bs, ss, scales))
	}
	if mode != Nearest && mode != Linear {
		panic(fmt.Sprintf("tensor: %s: unknown mode %v", op, mode))
	}
	in, out = [3]int{1, 1, 1}, [3]int{1, 1, 1}
	off := 5 - r
	for i, s := range scales {
		if !(s > 0) || math.IsInf(s, 0) {
			panic(fmt.Sprintf("tensor: %s: scales %v must be positive", op, scales))
		}
		in[off+i], out[off+i] = ss[2+i], bs[2+i]
	}
	for a := range 3 {
		s := 1.0
		if a >= off {
			s = scales[a-off]
		}
		maps[a] = newAxisMap(mode, in[a], out[a], s)
	}
	return bs[0] * bs[1], in, out, maps
}

// Upsample resamples x: [N, C, *in] into dst: [N, C, *out] (1–3 spatial axes) by
// nearest or (bi/tri)linear interpolation with align_corners=False, computing source
// coordinates from 1/scales[i] in float32 as PyTorch's interpolate(scale_factor=…)
// does; see [Device.Upsample]. Parallel over the (n, c, d, h) output rows.
func (CPU) Upsample(mode ResampleMode, dst, x *Tensor, scales []float64) {
	planes, in, out, m := resampleMaps("Upsample", mode, dst, x, scales)
	xd, dd := data("Upsample", x), data("Upsample", dst)
	inSize := in[0] * in[1] * in[2]
	oRows, ow, wIn := out[0]*out[1], out[2], in[2]
	dims := x.Rank() - 2
	md, mh, mw := m[0], m[1], m[2]
	parallel.For(planes*oRows, rowGrain(1<<13, ow), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			plane, rr := r/oRows, r%oRows
			od, oh := rr/out[1], rr%out[1]
			src := xd[plane*inSize : (plane+1)*inSize]
			drow := dd[r*ow : (r+1)*ow]
			row := func(id, ih int) []float32 {
				b := (id*in[1] + ih) * wIn
				return src[b : b+wIn]
			}
			if mode == Nearest {
				s := row(md.i0[od], mh.i0[oh])
				for x, i := range mw.i0 {
					drow[x] = s[i]
				}
				continue
			}
			switch dims {
			case 1:
				s := row(0, 0)
				for x := range drow {
					drow[x] = s[mw.i0[x]]*mw.l0[x] + s[mw.i1[x]]*mw.l1[x]
				}
			case 2:
				a, b := row(0, mh.i0[oh]), row(0, mh.i1[oh])
				h0, h1 := mh.l0[oh], mh.l1[oh]
				for x := range drow {
					i0, i1, w0, w1 := mw.i0[x], mw.i1[x], mw.l0[x], mw.l1[x]
					drow[x] = (a[i0]*w0+a[i1]*w1)*h0 + (b[i0]*w0+b[i1]*w1)*h1
				}
			default:
				a, b := row(md.i0[od], mh.i0[oh]), row(md.i0[od], mh.i1[oh])
				c, e := row(md.i1[od], mh.i0[oh]), row(md.i1[od], mh.i1[oh])
				h0, h1, d0, d1 := mh.l0[oh], mh.l1[oh], md.l0[od], md.l1[od]
				for x := range drow {
					i0, i1, w0, w1 := mw.i0[x], mw.i1[x], mw.l0[x], mw.l1[x]
					t0 := (a[i0]*w0+a[i1]*w1)*h0 + (b[i0]*w0+b[i1]*w1)*h1
					t1 := (c[i0]*w0+c[i1]*w1)*h0 + (e[i0]*w0+e[i1]*w1)*h1
					drow[x] = t0*d0 + t1*d1
				}
			}
		}
	})
}

// UpsampleBackward computes dx: [N, C, *in] (overwritten) from dy: [N, C, *out], the
// adjoint of [CPU.Upsample] with the same mode and scales; see
// [Device.UpsampleBackward]. Each input row gathers from the outputs that read it:
// first the (d, h) contributions are summed into a scratch output row, then the W
// axis is folded, in parallel over the (n, c, d, h) input rows.
func (CPU) UpsampleBackward(mode ResampleMode, dx, dy *Tensor, scales []float64) {
	planes, in, out, m := resampleMaps("UpsampleBackward", mode, dy, dx, scales)
	xd, yd := data("UpsampleBackward", dx), data("UpsampleBackward", dy)
	outSize := out[0] * out[1] * out[2]
	iRows, ow, wIn := in[0]*in[1], out[2], in[2]
	md, mh, mw := m[0], m[1], m[2]
	parallel.For(planes*iRows, rowGrain(1<<13, ow), func(lo, hi int) {
		tmp := make([]float32, ow)
		for r := lo; r < hi; r++ {
			plane, rr := r/iRows, r%iRows
			id, ih := rr/in[1], rr%in[1]
			gy := yd[plane*outSize : (plane+1)*outSize]
			clear(tmp)
			for j := md.start[id]; j < md.start[id+1]; j++ {
				od, wd := md.outs[j], md.ws[j]
				for k := mh.start[ih]; k < mh.start[ih+1]; k++ {
					oh, w := mh.outs[k], wd*mh.ws[k]
					b := (od*out[1] + oh) * ow
					for x, v := range gy[b : b+ow] {
						tmp[x] += v * w
					}
				}
			}
			xrow := xd[r*wIn : (r+1)*wIn]
			for iw := range xrow {
				var s float32
				for j := mw.start[iw]; j < mw.start[iw+1]; j++ {
					s += tmp[mw.outs[j]] * mw.ws[j]
				}
				xrow[iw] = s
			}
		}
	})
}
