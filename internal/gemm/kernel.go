package gemm

// kernel is one register-blocked micro-kernel and the cache blocking that suits it.
//
// fn computes the mr×nr tile c (row stride ldc) from kc steps of the packed panels:
// a holds kc groups of mr values (one column of the A strip per step) and b holds kc
// groups of nr values (one row of the B strip per step). With acc the product is added
// to c, otherwise it overwrites c (old contents, NaN included, are ignored).
type kernel struct {
	name   string
	mr, nr int // micro-tile rows and columns
	kc     int // depth of a packed panel (B micro-panel kc×nr should sit in L1)
	mc     int // rows of a packed A block (mc×kc should sit in L2); a multiple of mr
	nc     int // columns of a packed B panel; a multiple of nr
	fn     func(kc int, a, b, c []float32, ldc int, acc bool)
}

// generic is the pure-Go 4×4 micro-kernel, used where no assembly kernel applies.
var generic = &kernel{name: "generic", mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024, fn: kernelGeneric}

// active is the kernel Sgemm uses; tests switch it to cover every variant.
var active = kernels[0]

// kernelGeneric is the portable micro-kernel: a 4×4 tile held in 16 scalars.
func kernelGeneric(kc int, a, b, c []float32, ldc int, acc bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a, b = a[:4*kc], b[:4*kc]
	for p := 0; p+4 <= len(a) && p+4 <= len(b); p += 4 {
		a0, a1, a2, a3 := a[p], a[p+1], a[p+2], a[p+3]
		b0, b1, b2, b3 := b[p], b[p+1], b[p+2], b[p+3]
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
		if acc {
			for j := range row {
				row[j] += rows[i][j]
			}
		} else {
			copy(row, rows[i][:])
		}
	}
}
