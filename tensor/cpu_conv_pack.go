package tensor

import "fmt"

// Fast packers of the implicit-GEMM convolution (cpu_conv_implicit.go) for stride 1
// along the last axis (any dilation, padding, stride on the other axes). A B strip is
// nr ≤ 32 lanes wide; the positions (colsB) or column rows (colsT) of one strip are
// cut into runs that read consecutive input elements, so every run is one contiguous
// copy (colsB) or one transposed copy (colsT). The copies are done by
// packRowsB32AVX512 and packT32AVX512 (AVX-512 assembly, for nr = 32 where the CPU has
// it) or packRowsBGo and packTGo. All bounds are settled here: the assembly reads only
// the lanes that the masks built here mark valid (masked-off lanes are never read).

// packEnt is one run of a colsB strip row: lanes [a, b) (mask holds the same lanes as
// bits) read x[cb + off + lane], where cb is the row's channel base; mask 0 is an
// empty run (padding). Its layout is read by the assembly (off at 0, mask at 8).
type packEnt struct {
	off  int
	mask uint32
	a, b uint16
}

// maxPackEnts bounds the runs of one strip (kernel taps × output-row pieces); strips
// that need more go to the generic packer.
const maxPackEnts = 512

// packScratch is the packers' working memory, kept by a caller that packs many
// strips on one goroutine so that it is not cleared on every call.
type packScratch struct {
	pcs          [32]piece
	ents         [maxPackEnts]packEnt
	taps         [32]tapRun
	offs, lo, hi [32]int
	masks        [32]uint64
}

// scratch returns m.sc or a fresh scratch.
func (m imgCols) scratch() *packScratch {
	if m.sc != nil {
		return m.sc
	}
	return new(packScratch)
}

// PackB implements gemm.PanelB: per strip, the runs of every kernel tap are planned
// once (packEnt, one per output-row piece of the strip) and each column row is then
// its tap's runs read from its channel.
func (m colsB) PackB(dst []float32, j0, nc, p0, kc, nr int) {
	t := m.t
	q := &t.q
	if q.s[2] != 1 || nr > 32 || nr < 1 {
		m.packGeneric(dst, j0, nc, p0, kc, nr)
		return
	}
	ks := q.kernelSize()
	if p0 < 0 || kc < 0 || j0 < 0 || nc < 0 || p0+kc > len(m.x)/t.inSize*ks || len(dst) < ceilDivInt(nc, nr)*kc*nr {
		panic(fmt.Sprintf("tensor: conv packer: rows [%d, %d) of %d, len(dst) %d for %d columns", p0, p0+kc, len(m.x)/t.inSize*ks, len(dst), nc))
	}
	if kc == 0 {
		return
	}
	sc := m.scratch()
	pcs, buf := &sc.pcs, &sc.ents
	wOut := q.out[2]
	for s := 0; s*nr < nc; s++ {
		cols := min(nr, nc-s*nr)
		d := dst[s*kc*nr : (s+1)*kc*nr]
		np := 0
		for at, o := 0, m.o0+j0+s*nr; at < cols; np++ {
			ow := o % wOut
			l := min(cols-at, wOut-ow)
			pcs[np] = piece{at: at, l: l, od: o / (q.out[1] * wOut), oh: o / wOut % q.out[1], ow: ow}
			at += l
			o += l
		}
		if ks*np > len(buf) {
			m.packGeneric(d, j0+s*nr, cols, p0, kc, nr)
			continue
		}
		ents := buf[:0]
		for kd := range q.k[0] {
			for kh := range q.k[1] {
				for kw := range q.k[2] {
					for _, pc := range pcs[:np] {
						ents = append(ents, m.run(pc, kd, kh, kw))
					}
				}
			}
		}
		c, k := p0/ks, p0%ks
		x := m.x[c*t.inSize:]
		if nr == 32 && useAVX512Pack {
			packRowsB32AVX512(&d[0], kc, &x[0], t.inSize, &ents[0], np, ks, k)
			continue
		}
		packRowsBGo(d, kc, nr, x, t.inSize, ents, np, ks, k)
	}
}

// run returns the run of piece pc for kernel tap (kd, kh, kw).
func (m colsB) run(pc piece, kd, kh, kw int) packEnt {
	t := m.t
	q := &t.q
	if pc.od < t.lo[0][kd] || pc.od >= t.hi[0][kd] || pc.oh < t.lo[1][kh] || pc.oh >= t.hi[1][kh] {
		return packEnt{}
	}
	a, b := max(pc.ow, t.lo[2][kw])-pc.ow, min(pc.ow+pc.l, t.hi[2][kw])-pc.ow
	if b <= a {
		return packEnt{}
	}
	id := pc.od*q.s[0] + t.off[0][kd]
	ih := pc.oh*q.s[1] + t.off[1][kh]
	a, b = a+pc.at, b+pc.at
	return packEnt{
		off:  (id*q.in[1]+ih)*q.in[2] + pc.ow + t.off[2][kw] - pc.at,
		mask: uint32(uint64(1)<<b - uint64(1)<<a),
		a:    uint16(a), b: uint16(b),
	}
}

// packRowsBGo writes kc rows of nr lanes to d: row p is the runs ents[k·np : k·np+np]
// of tap k read from x[cb:], with zeros elsewhere; k starts at k and wraps at ks,
// where the channel base cb (initially 0) advances by inSize.
func packRowsBGo(d []float32, kc, nr int, x []float32, inSize int, ents []packEnt, np, ks, k int) {
	cb := 0
	for p := range kc {
		row := d[p*nr : p*nr+nr]
		pos := 0
		for _, e := range ents[k*np : k*np+np] {
			if e.mask == 0 {
				continue
			}
			a, b := int(e.a), int(e.b)
			clear(row[pos:a])
			src := cb + e.off
			copy(row[a:b], x[src+a:src+b])
			pos = b
		}
		clear(row[pos:])
		if k++; k == ks {
			k = 0
			cb += inSize
		}
	}
}

// PackB implements gemm.PanelB: for each output-row piece of the strip's positions,
// every column row (tap) of the strip reads one run of consecutive input elements
// (offs, valid positions [lo, hi) of the piece, zeros elsewhere), and packT writes
// the runs transposed.
func (m colsT) PackB(dst []float32, j0, nc, p0, kc, nr int) {
	t := m.t
	q := &t.q
	if q.s[2] != 1 || nr > 32 || nr < 1 {
		m.packGeneric(dst, j0, nc, p0, kc, nr)
		return
	}
	ks := q.kernelSize()
	if p0 < 0 || kc < 0 || j0 < 0 || nc < 0 || j0+nc > len(m.x)/t.inSize*ks || len(dst) < ceilDivInt(nc, nr)*kc*nr {
		panic(fmt.Sprintf("tensor: conv packer: rows [%d, %d) of %d, len(dst) %d for depth %d", j0, j0+nc, len(m.x)/t.inSize*ks, len(dst), kc))
	}
	if kc == 0 {
		return
	}
	wOut := q.out[2]
	rowStep0, rowStep1 := q.s[0]*q.in[1]*q.in[2], q.s[1]*q.in[2]
	sc := m.scratch()
	tis, offs, lo, hi := &sc.taps, &sc.offs, &sc.lo, &sc.hi
	asm := nr == 32 && useAVX512Pack
	for s := 0; s*nr < nc; s++ {
		cols := min(nr, nc-s*nr)
		d := dst[s*kc*nr : (s+1)*kc*nr]
		// The strip's taps, and the output rows (od, oh) where all of them are valid.
		lo0, hi0, lo1, hi1 := 0, q.out[0], 0, q.out[1]
		tp := t.tapOf(j0 + s*nr)
		for jj := range nr {
			ti := tapRun{} // a missing lane is a tap that is never valid
			if jj < cols {
				ti = tapRun{
					base: tp.c*t.inSize + (t.off[0][tp.kd]*q.in[1]+t.off[1][tp.kh])*q.in[2] + t.off[2][tp.kw],
					lo0:  t.lo[0][tp.kd], hi0: t.hi[0][tp.kd], lo1: t.lo[1][tp.kh], hi1: t.hi[1][tp.kh],
					wlo: t.lo[2][tp.kw], whi: t.hi[2][tp.kw],
				}
				t.next(&tp)
			}
			tis[jj] = ti
			lo0, hi0, lo1, hi1 = max(lo0, ti.lo0), min(hi0, ti.hi0), max(lo1, ti.lo1), min(hi1, ti.hi1)
		}
		o := m.o0 + p0
		od, oh, ow := o/(q.out[1]*wOut), o/wOut%q.out[1], o%wOut
		for p := 0; p < kc; {
			l := min(kc-p, wOut-ow)
			if asm {
				l = min(l, 64) // packT32AVX512 takes the valid positions as 64-bit masks
			}
			rowOff := od*rowStep0 + oh*rowStep1 + ow
			allRows := od >= lo0 && od < hi0 && oh >= lo1 && oh < hi1
			if asm {
				masks := &sc.masks
				for jj := range masks {
					ti := &tis[jj]
					a, e := min(max(ow, ti.wlo)-ow, l), min(ow+l, ti.whi)-ow
					if !allRows && (od < ti.lo0 || od >= ti.hi0 || oh < ti.lo1 || oh >= ti.hi1) {
						e = a
					}
					offs[jj] = ti.base + rowOff
					masks[jj] = (uint64(1)<<uint(max(e-a, 0)) - 1) << uint(a)
				}
				packT32AVX512(&d[p*nr], &m.x[0], &offs[0], &masks[0], l)
			} else {
				for jj := range tis[:nr] {
					ti := &tis[jj]
					a, e := min(max(ow, ti.wlo)-ow, l), min(ow+l, ti.whi)-ow
					if !allRows && (od < ti.lo0 || od >= ti.hi0 || oh < ti.lo1 || oh >= ti.hi1) {
						e = a
					}
					offs[jj] = ti.base + rowOff
					lo[jj], hi[jj] = a, max(a, e)
				}
				packTGo(d[p*nr:], nr, m.x, offs, lo, hi, l)
			}
			p += l
			if ow += l; ow < wOut {
				continue
			}
			ow = 0
			if oh++; oh == q.out[1] {
				oh = 0
				od++
			}
		}
	}
}

// tapRun is one column row (tap) of a colsT strip: position (od, oh, ow) reads
// x[base + (od·sd·In[1] + oh·sh)·In[2] + ow] when lo0 ≤ od < hi0, lo1 ≤ oh < hi1 and
// wlo ≤ ow < whi (padding otherwise).
type tapRun struct{ base, lo0, hi0, lo1, hi1, wlo, whi int }

// packTGo writes l rows of nr lanes to d (row stride nr): lane jj of row x is
// src[offs[jj] + x] for x in [lo[jj], hi[jj]), zero elsewhere.
func packTGo(d []float32, nr int, src []float32, offs, lo, hi *[32]int, l int) {
	d = d[:(l-1)*nr+nr]
	for jj := range nr {
		a, e := lo[jj], hi[jj]
		for x := 0; x < a; x++ {
			d[x*nr+jj] = 0
		}
		if e > a {
			for i, v := range src[offs[jj]+a : offs[jj]+e] {
				d[(a+i)*nr+jj] = v
			}
		}
		for x := max(a, e); x < l; x++ {
			d[x*nr+jj] = 0
		}
	}
}

func ceilDivInt(a, b int) int { return (a + b - 1) / b }
