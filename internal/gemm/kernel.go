package gemm

// kernel is one register-blocked micro-kernel and the cache blocking that suits it.
//
// fn computes the mr×nr tile c (row stride ldc) as alpha times kc steps of an A strip
// by a packed B strip: element (r, p) of the A strip is a[r·rs + p·cs] (packed strips
// have rs = 1, cs = mr) and b holds kc groups of nr values (one row of the B strip per
// step). With acc the result is added to c, otherwise it overwrites c (old contents,
// NaN included, are ignored).
type kernel struct {
	name    string
	mr, nr  int  // micro-tile rows and columns
	kc      int  // depth of a packed panel (B micro-panel kc×nr should sit in L1)
	mc      int  // rows of a packed A block (mc×kc should sit in L2); a multiple of mr
	nc      int  // columns of a packed B panel; a multiple of nr
	strided bool // fn accepts any rs, cs (A may be read in place, unpacked)
	directN int  // with strided, read A in place (no packing) when n ≤ directN
	fn      func(kc int, a []float32, rs, cs int, b, c []float32, ldc int, alpha float32, acc bool)
	// small, if set, computes a whole product with n ≤ 32 without packing:
	// C = alpha·A·B + beta·C with A's element (i, p) at a[i·rs + p·cs], B row-major.
	small func(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
	// edges, by increasing mr, compute a partial last strip of at most mr rows more
	// cheaply than fn (same A layout, c overwritten with alpha·A·B).
	edges []edgeKernel
}

// edgeKernel is a micro-kernel for the last rows of op(A) when they fill less than a
// strip: fn computes the mr×nr tile c = alpha·A·B like kernel.fn with acc = false.
type edgeKernel struct {
	mr int
	fn func(kc, mr int, a []float32, rs, cs int, b, c []float32, ldc int, alpha float32, acc bool)
}

// generic is the pure-Go 4×4 micro-kernel, used where no assembly kernel applies.
var generic = &kernel{name: "generic", mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024, fn: kernelGeneric}

// active is the kernel Sgemm uses; tests switch it to cover every variant.
var active = kernels[0]

// kernelGeneric is the portable micro-kernel: a 4×4 tile held in 16 scalars. It only
// accepts packed A strips (rs = 1, cs = 4).
func kernelGeneric(kc int, a []float32, rs, cs int, b, c []float32, ldc int, alpha float32, acc bool) {
	if rs != 1 || cs != 4 {
		panic("gemm: kernelGeneric: A strip must be packed")
	}
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a, b = a[:4*kc], b[:4*kc]
	for p := 0; p+4 <= len(a) && p+4 <= len(b); p += 4 {
		ap, bp := a[p:p+4:p+4], b[p:p+4:p+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	rows := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range rows {
		row := c[i*ldc : i*ldc+4]
		for j := range row {
			if acc {
				row[j] += alpha * rows[i][j]
			} else {
				row[j] = alpha * rows[i][j]
			}
		}
	}
}
