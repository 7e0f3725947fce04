package gemm

import (
	"sync"
	"sync/atomic"

	"github.com/selfsup/selfsup/internal/parallel"
)

// work is one goroutine's scratch: a packed A block, a tile for partial edges and,
// for fused products (see sgemmFused), one packed B strip.
type work struct {
	a, tmp, b []float32
}

var (
	workPool  = sync.Pool{New: func() any { return new(work) }}
	panelPool = sync.Pool{New: func() any { return new([]float32) }}
)

// grow returns s resized to n elements, reallocating only when it is too small.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// sgemmPacked is the blocked algorithm: loops over column panels (jc) and depth blocks
// (pc) pack op(B) into a panel shared by all threads; the tiles of C in that panel are
// then split into tasks of (row block, column range) that each pack their own A block.
// When op(B) is narrow, packing A would cost as much as the product, so the kernel
// reads A in place instead ("direct"), with strides (lda, 1) or (1, lda) if transA.
func sgemmPacked(kern *kernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBlocked(kern, threads, transA, transB, m, n, k, alpha, a, lda, nil, b, ldb, nil, beta, c, ldc)
}

// sgemmBlocked is sgemmPacked where a non-nil opA or opB packs op(A) or op(B) instead
// of the slice (see SgemmPackers).
func sgemmBlocked(kern *kernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, opA PanelA, b []float32, ldb int, opB PanelB, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	pr := product{kern: kern, threads: threads, transB: transB, b: b, ldb: ldb, pb: opB, n: n, k: k}
	pr.kc0 = ceilDiv(k, ceilDiv(k, kern.kc))
	pr.nc0 = roundUp(ceilDiv(n, ceilDiv(n, kern.nc)), nr)
	// Row blocks: mb blocks of whole strips, as even as possible. With several
	// threads there are at least tasksPerThread blocks per thread where the strips
	// allow, so that the load stays balanced.
	tk := &pr.tk
	tk.m, tk.mr = m, mr
	tk.ms = ceilDiv(m, mr)
	if t := m % mr; (t == 1 || t == 2) && m > mr && edgeOf(kern, 8) != nil {
		tk.ms-- // the last block takes the one or two rows left over (see macro)
	}
	tk.mb = ceilDiv(m, kern.mc)
	if threads > 1 {
		tk.mb = max(roundUp(tk.mb, threads), tasksPerThread*threads)
	}
	tk.mb = min(tk.mb, tk.ms)
	pr.mc0 = ceilDiv(tk.ms, tk.mb)*mr + 8 // rows of the largest block, and room for macro's 8-row strips

	pb := panelPool.Get().(*[]float32)
	*pb = grow(*pb, pr.kc0*pr.nc0)
	pr.blk = block{
		kern: kern, transA: transA, a: a, lda: lda, pa: opA, alpha: alpha, bp: *pb, beta: beta, c: c, ldc: ldc,
		direct: opA == nil && kern.strided && n <= kern.directN && lda%1024 != 0,
	}
	if threads <= 1 {
		w := pr.work()
		pr.run(w, nil)
		workPool.Put(w)
	} else {
		// One pool job for the whole product: its phases (pack a B panel, multiply
		// it) are claimed chunk by chunk by whichever goroutines have joined.
		ctr := make([]atomic.Int64, 4*ceilDiv(n, pr.nc0)*ceilDiv(k, pr.kc0))
		shared := &product{}
		*shared = pr
		parallel.ForChunks(threads, threads, func(lo, hi int) {
			w := shared.work()
			shared.run(w, ctr)
			workPool.Put(w)
		})
	}
	panelPool.Put(pb)
}

// product is the plan of one packed product.
type product struct {
	kern          *kernel
	threads       int
	transB        bool
	b             []float32
	pb            PanelB // packs op(B) instead of b when non-nil
	ldb, n, k     int
	kc0, nc0, mc0 int   // largest depth block, panel width, row block
	tk            tasks // row blocks (the column split is set per panel)
	blk           block // everything but the panel position
}

// work returns a scratch sized for the product.
func (pr *product) work() *work {
	w := workPool.Get().(*work)
	w.a = grow(w.a, pr.mc0*pr.kc0)
	w.tmp = grow(w.tmp, pr.kern.mr*pr.kern.nr)
	return w
}

// run goes through the panels (jc) and depth blocks (pc) of the product. With ctr
// nil it does all the work itself; otherwise each step has two phases (pack the B
// panel, then the tasks that use it) whose chunks are claimed through ctr (a claim
// and a done counter per phase), and every goroutine waits for a phase to finish
// before the next one. Waiting is only ever for chunks that a running goroutine has
// claimed, so a goroutine that joins late or never cannot cause a deadlock.
func (pr *product) run(w *work, ctr []atomic.Int64) {
	nr := pr.kern.nr
	var blk block
	var tk tasks
	ph := 0
	for jc := 0; jc < pr.n; jc += pr.nc0 {
		for pc := 0; pc < pr.k; pc += pr.kc0 {
			blk, tk = pr.blk, pr.tk
			blk.jc, blk.nc = jc, min(pr.nc0, pr.n-jc)
			blk.pc, blk.kc, blk.first = pc, min(pr.kc0, pr.k-pc), pc == 0
			tk.strips = ceilDiv(blk.nc, nr)
			// Split the panel's columns too when there are too few row blocks.
			ns := 1
			if pr.threads > 1 && tk.mb < tasksPerThread*pr.threads {
				ns = min(tk.strips, ceilDiv(tasksPerThread*pr.threads, tk.mb))
			}
			tk.per = ceilDiv(tk.strips, ns)
			tk.ns = ceilDiv(tk.strips, tk.per)
			ntasks := tk.mb * tk.ns
			if ctr == nil {
				pr.packPanel(blk.bp, jc, blk.nc, pc, blk.kc, 0, tk.strips)
				tk.run(w, &blk, 0, ntasks)
				continue
			}
			per := max(1, tk.strips/(tasksPerThread*pr.threads)) // strips per packing chunk
			claim, done := &ctr[4*ph], &ctr[4*ph+1]
			nchunks := ceilDiv(tk.strips, per)
			for i := int(claim.Add(1) - 1); i < nchunks; i = int(claim.Add(1) - 1) {
				pr.packPanel(blk.bp, jc, blk.nc, pc, blk.kc, i*per, min((i+1)*per, tk.strips))
				done.Add(1)
			}
			parallel.Wait(done, int64(nchunks))
			claim, done = &ctr[4*ph+2], &ctr[4*ph+3]
			for t := int(claim.Add(1) - 1); t < ntasks; t = int(claim.Add(1) - 1) {
				tk.run(w, &blk, t, t+1)
				done.Add(1)
			}
			parallel.Wait(done, int64(ntasks))
			ph++
		}
	}
}

// packPanel packs strips [t0, t1) of the B panel at columns [jc, jc+nc), depth
// [pc, pc+kc) into dst (strip t at dst[t·kc·nr:]).
func (pr *product) packPanel(dst []float32, jc, nc, pc, kc, t0, t1 int) {
	nr := pr.kern.nr
	if pr.pb == nil {
		packB(dst, pr.transB, pr.b, pr.ldb, jc, nc, pc, kc, nr, t0, t1)
		return
	}
	if t1 > t0 {
		pr.pb.PackB(dst[t0*kc*nr:t1*kc*nr], jc+t0*nr, min(nc-t0*nr, (t1-t0)*nr), pc, kc, nr)
	}
}

// tasks cuts one packed B panel's share of C into mb row blocks × ns column ranges.
type tasks struct {
	m, mr, ms, mb int // rows, strip height, row strips, row blocks
	strips, ns    int // column strips of the panel, column ranges
	per           int // column strips per range
}

// run does tasks [lo, hi): task t is row block t/ns and column range t%ns.
func (tk *tasks) run(w *work, blk *block, lo, hi int) {
	for t := lo; t < hi; t++ {
		ib, jb := t/tk.ns, t%tk.ns
		i0, i1 := ib*tk.ms/tk.mb*tk.mr, min((ib+1)*tk.ms/tk.mb*tk.mr, tk.m)
		if ib == tk.mb-1 {
			i1 = tk.m
		}
		s0 := jb * tk.per
		macro(w, blk, i0, i1, s0, min(s0+tk.per, tk.strips))
	}
}

// block is what the tasks of one (jc, pc) step share.
type block struct {
	kern        *kernel
	transA      bool
	a           []float32
	pa          PanelA // packs op(A) instead of a when non-nil
	pb          PanelB // fused product: pack each B strip just before use (bp unused)
	lda, pc, kc int
	alpha, beta float32
	bp          []float32 // packed B panel: columns [jc, jc+nc), depth [pc, pc+kc)
	jc, nc      int
	c           []float32
	ldc         int
	first       bool      // pc = 0: apply beta
	direct      bool      // read A in place instead of packing it
	ap          []float32 // op(A) rows [i0, i1) packed ahead for this depth block, or nil
}

// macro multiplies rows [i0, i1) of op(A) (depth [pc, pc+kc)) by strips [s0, s1) of
// the packed B panel into C.
//
// Rows go in strips of kern.mr, except that a last strip of only one or two rows is
// merged with the strip before it and the pair done as 8-row strips when kern has an
// 8-row edge kernel: 16 rows (convolutions with 16 output channels) cost two 8-row
// tiles instead of a 14-row tile plus a mostly empty 4-row one.
func macro(w *work, blk *block, i0, i1, s0, s1 int) {
	kern := blk.kern
	mr, nr, kc, c, ldc := kern.mr, kern.nr, blk.kc, blk.c, blk.ldc
	split, full, e8 := packRowsA(w, blk, i0, i1)
	acc := true
	if blk.first {
		acc = blk.beta != 0
		if blk.beta != 0 && blk.beta != 1 {
			scaleC(c, ldc, i0, i1, blk.jc+s0*nr, blk.jc+min(s1*nr, blk.nc), blk.beta)
		}
	}
	for t := s0; t < s1; t++ {
		j := blk.jc + t*nr
		cols := min(nr, blk.jc+blk.nc-j)
		var bs []float32
		if blk.pb != nil {
			bs = w.b[:kc*nr]
			blk.pb.PackB(bs, j, cols, blk.pc, kc, nr)
		} else {
			bs = blk.bp[t*kc*nr : (t+1)*kc*nr]
		}
		for i := i0; i < split; i += mr {
			rows := min(mr, split-i)
			as, rs, cs := blk.strip(w, i-i0, i, i < full || blk.tailInPlace(rows), mr)
			if rows == mr && cols == nr {
				kern.fn(kc, as, rs, cs, bs, c[i*ldc+j:], ldc, blk.alpha, acc)
				continue
			}
			tileEdge(w, blk, edgeFor(kern, rows), i, j, rows, cols, as, rs, cs, bs, acc)
		}
		for i := split; i < i1; i += 8 {
			rows := min(8, i1-i)
			as, rs, cs := blk.strip(w, i-i0, i, rows == 8, 8)
			tileEdge(w, blk, e8, i, j, rows, cols, as, rs, cs, bs, acc)
		}
	}
}

// packRowsA packs rows [i0, i1) of op(A) (depth [pc, pc+kc)) into w.a the way macro
// reads them (nothing to do for a block packed ahead or read in place, but partial
// strips): strips of kern.mr rows, and 8-row strips from split on. Rows [i0, full) form
// whole kern.mr strips; e8 is the 8-row kernel when split < i1.
func packRowsA(w *work, blk *block, i0, i1 int) (split, full int, e8 *edgeKernel) {
	kern, kc := blk.kern, blk.kc
	mr := kern.mr
	split = i1 // rows [split, i1) go in 8-row strips by e8
	if t := (i1 - i0) % mr; (t == 1 || t == 2) && i1-i0 > mr {
		if e8 = edgeOf(kern, 8); e8 != nil {
			split = i1 - mr - t
		}
	}
	full = split - (split-i0)%mr // rows [i0, full) form whole strips
	switch {
	case blk.ap != nil: // packed ahead (PackedA)
	case blk.pa != nil:
		if split > i0 {
			blk.pa.PackA(w.a[:roundUp(split-i0, mr)*kc], i0, split-i0, blk.pc, kc, mr)
		}
		if split < i1 {
			blk.pa.PackA(w.a[(split-i0)*kc:][:roundUp(i1-split, 8)*kc], split, i1-split, blk.pc, kc, 8)
		}
	case !blk.direct:
		packA(w.a, blk.transA, blk.a, blk.lda, i0, split-i0, blk.pc, kc, mr)
		packA(w.a[(split-i0)*kc:], blk.transA, blk.a, blk.lda, split, i1-split, blk.pc, kc, 8)
	case full < split && !blk.tailInPlace(split-full):
		packA(w.a, blk.transA, blk.a, blk.lda, full, split-full, blk.pc, kc, mr)
	case (i1-split)%8 != 0:
		last := i1 - (i1-split)%8
		packA(w.a, blk.transA, blk.a, blk.lda, last, i1-last, blk.pc, kc, 8)
	}
	return split, full, e8
}

// tailInPlace reports whether a last strip of rows rows is read in place too: A is read
// in place and an edge kernel is exactly that tall (64 rows: 4 strips of 14 and one of 8).
func (blk *block) tailInPlace(rows int) bool {
	return blk.direct && edgeOf(blk.kern, rows) != nil
}

// strip returns the A strip of height h whose first row is row i of op(A), at offset
// off of the block's packed rows: read in place when the block is direct and inPlace,
// else packed (a direct block's partial strip sits at the start of w.a).
func (blk *block) strip(w *work, off, i int, inPlace bool, h int) (as []float32, rs, cs int) {
	kc := blk.kc
	switch {
	case blk.ap != nil:
		return blk.ap[off*kc : off*kc+kc*h], 1, h
	case !blk.direct:
		return w.a[off*kc : off*kc+kc*h], 1, h
	case inPlace && blk.transA:
		return blk.a[blk.pc*blk.lda+i:], 1, blk.lda
	case inPlace:
		return blk.a[i*blk.lda+blk.pc:], blk.lda, 1
	default:
		return w.a[:kc*h], 1, h
	}
}

// tileEdge computes the rows×cols tile of C at (i, j) that the main kernel does not
// fit, with edge kernel e (nil: the main kernel), through w.tmp unless e's tile lies
// wholly in C.
func tileEdge(w *work, blk *block, e *edgeKernel, i, j, rows, cols int, as []float32, rs, cs int, bs []float32, acc bool) {
	kern, kc, c, ldc, nr := blk.kern, blk.kc, blk.c, blk.ldc, blk.kern.nr
	if e != nil && rows == e.mr && cols == nr {
		e.fn(kc, e.mr, as, rs, cs, bs, c[i*ldc+j:], ldc, blk.alpha, acc)
		return
	}
	tmp := w.tmp
	if e != nil {
		e.fn(kc, e.mr, as, rs, cs, bs, tmp, nr, blk.alpha, false)
	} else {
		kern.fn(kc, as, rs, cs, bs, tmp, nr, blk.alpha, false)
	}
	for r := range rows {
		dst := c[(i+r)*ldc+j:][:cols]
		src := tmp[r*nr:][:cols]
		if acc {
			for x, v := range src {
				dst[x] += v
			}
		} else {
			copy(dst, src)
		}
	}
}

// edgeOf returns kern's edge kernel of exactly mr rows, or nil.
func edgeOf(kern *kernel, mr int) *edgeKernel {
	for i := range kern.edges {
		if kern.edges[i].mr == mr {
			return &kern.edges[i]
		}
	}
	return nil
}

// edgeFor returns the smallest edge kernel of kern that covers rows, or nil.
func edgeFor(kern *kernel, rows int) *edgeKernel {
	if rows == kern.mr {
		return nil
	}
	for i := range kern.edges {
		if rows <= kern.edges[i].mr {
			return &kern.edges[i]
		}
	}
	return nil
}
