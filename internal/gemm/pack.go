package gemm

// packA copies rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) into dst as
// ⌈mc/mr⌉ strips of kc×mr values (step p of strip s at dst[s·kc·mr + p·mr:]), padding
// rows past mc with zeros.
func packA(dst []float32, transA bool, a []float32, lda, i0, mc, p0, kc, mr int) {
	s0 := 0
	if transA && mr == 14 {
		s0 = mc / 14 * 14
		packAT14(dst, a, lda, p0*lda+i0, kc, mc/14)
	}
	for s := s0; s < mc; s += mr {
		rows := min(mr, mc-s)
		d := dst[s*kc : s*kc+kc*mr]
		if transA {
			// op(A)[i, p] = A[p, i]: each step is a contiguous run of A's row p.
			for p := range kc {
				src := a[(p0+p)*lda+i0+s:][:rows]
				dp := d[p*mr : p*mr+mr]
				for x, v := range src { // a loop: runs this short do not pay for memmove
					dp[x] = v
				}
				clear(dp[rows:])
			}
			continue
		}
		// op(A)[i, p] = A[i, p]: gather one value from each row per step.
		if rows == mr && mr == 14 {
			packA14(d, a, lda, (i0+s)*lda+p0, kc)
			continue
		}
		if rows == mr && mr == 8 {
			packA8(d, a, lda, (i0+s)*lda+p0, kc)
			continue
		}
		if rows < mr {
			clear(d)
		}
		for r := range rows {
			src := a[(i0+s+r)*lda+p0:][:kc]
			for p, v := range src {
				d[p*mr+r] = v
			}
		}
	}
}

// packA14 packs one full 14-row strip of a non-transposed A starting at a[off].
func packA14(d, a []float32, lda, off, kc int) {
	r0 := a[off:][:kc]
	r1 := a[off+lda:][:kc]
	r2 := a[off+2*lda:][:kc]
	r3 := a[off+3*lda:][:kc]
	r4 := a[off+4*lda:][:kc]
	r5 := a[off+5*lda:][:kc]
	r6 := a[off+6*lda:][:kc]
	r7 := a[off+7*lda:][:kc]
	r8 := a[off+8*lda:][:kc]
	r9 := a[off+9*lda:][:kc]
	r10 := a[off+10*lda:][:kc]
	r11 := a[off+11*lda:][:kc]
	r12 := a[off+12*lda:][:kc]
	r13 := a[off+13*lda:][:kc]
	d = d[:14*kc]
	for p := range kc {
		dp := d[p*14 : p*14+14]
		dp[0] = r0[p]
		dp[1] = r1[p]
		dp[2] = r2[p]
		dp[3] = r3[p]
		dp[4] = r4[p]
		dp[5] = r5[p]
		dp[6] = r6[p]
		dp[7] = r7[p]
		dp[8] = r8[p]
		dp[9] = r9[p]
		dp[10] = r10[p]
		dp[11] = r11[p]
		dp[12] = r12[p]
		dp[13] = r13[p]
	}
}

// packA8 packs one full 8-row strip of a non-transposed A starting at a[off].
func packA8(d, a []float32, lda, off, kc int) {
	r0 := a[off:][:kc]
	r1 := a[off+lda:][:kc]
	r2 := a[off+2*lda:][:kc]
	r3 := a[off+3*lda:][:kc]
	r4 := a[off+4*lda:][:kc]
	r5 := a[off+5*lda:][:kc]
	r6 := a[off+6*lda:][:kc]
	r7 := a[off+7*lda:][:kc]
	d = d[:8*kc]
	for p := range kc {
		dp := d[p*8 : p*8+8]
		dp[0] = r0[p]
		dp[1] = r1[p]
		dp[2] = r2[p]
		dp[3] = r3[p]
		dp[4] = r4[p]
		dp[5] = r5[p]
		dp[6] = r6[p]
		dp[7] = r7[p]
	}
}

// packAT14 packs the first strips full 14-row strips of a transposed A (op(A)[i, p] =
// A[p, i]), step p of strip t being a[off+p·lda+14t:][:14]. It is a transposing copy:
// it walks A's rows (two steps at a time) front to back, so A is read sequentially,
// and hands each strip 28 contiguous values per pair of rows. Strip by strip would
// read 56 bytes from each of kc rows lda apart, slow on large power-of-two lda; and a
// copy() or array assignment of 14 floats calls runtime.memmove for every step.
func packAT14(dst, a []float32, lda, off, kc, strips int) {
	if strips == 0 {
		return
	}
	w := strips * 14
	p := 0
	for ; p+2 <= kc; p += 2 {
		r0, r1 := a[off+p*lda:][:w], a[off+(p+1)*lda:][:w]
		for t := range strips {
			s0, s1 := r0[t*14:][:14], r1[t*14:][:14]
			d := dst[(t*kc+p)*14:][:28]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6] = s0[0], s0[1], s0[2], s0[3], s0[4], s0[5], s0[6]
			d[7], d[8], d[9], d[10], d[11], d[12], d[13] = s0[7], s0[8], s0[9], s0[10], s0[11], s0[12], s0[13]
			d[14], d[15], d[16], d[17], d[18], d[19], d[20] = s1[0], s1[1], s1[2], s1[3], s1[4], s1[5], s1[6]
			d[21], d[22], d[23], d[24], d[25], d[26], d[27] = s1[7], s1[8], s1[9], s1[10], s1[11], s1[12], s1[13]
		}
	}
	if p < kc {
		r0 := a[off+p*lda:][:w]
		for t := range strips {
			s0, d := r0[t*14:][:14], dst[(t*kc+p)*14:][:14]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6] = s0[0], s0[1], s0[2], s0[3], s0[4], s0[5], s0[6]
			d[7], d[8], d[9], d[10], d[11], d[12], d[13] = s0[7], s0[8], s0[9], s0[10], s0[11], s0[12], s0[13]
		}
	}
}

// packB copies strips [t0, t1) (of nr columns each, counted from column j0) and depth
// [p0, p0+kc) of op(B) into dst, strip t at dst[t·kc·nr:] with step p at offset p·nr,
// padding columns past j0+nc with zeros.
func packB(dst []float32, transB bool, b []float32, ldb, j0, nc, p0, kc, nr, t0, t1 int) {
	if !transB && nr == 32 {
		// Whole 32-wide strips row by row, so that B is read sequentially.
		full := min(t1, nc/32)
		if full > t0 {
			packStrips32(dst[t0*kc*32:], b[p0*ldb+j0+t0*32:], kc, full-t0, ldb)
			t0 = full
		}
	}
	for t := t0; t < t1; t++ {
		j := t * nr
		cols := min(nr, nc-j)
		d := dst[t*kc*nr : (t+1)*kc*nr]
		if !transB {
			// op(B)[p, j] = B[p, j]: each step is a contiguous run of B's row p.
			if cols == 32 && nr == 32 {
				for p := range kc {
					*(*[32]float32)(d[p*32:]) = [32]float32(b[(p0+p)*ldb+j0+j:])
				}
				continue
			}
			if cols == 16 && nr == 16 {
				for p := range kc {
					*(*[16]float32)(d[p*16:]) = [16]float32(b[(p0+p)*ldb+j0+j:])
				}
				continue
			}
			clear(d)
			for p := range kc {
				dp := d[p*nr : p*nr+cols]
				for x, v := range b[(p0+p)*ldb+j0+j:][:cols] {
					dp[x] = v
				}
			}
			continue
		}
		// op(B)[p, j] = B[j, p]: scatter B's row j across the steps.
		if cols < nr {
			clear(d)
		}
		// In blocks of 32 steps, so that the strip being written stays in L1.
		for q := 0; q < kc; q += 32 {
			q1 := min(q+32, kc)
			for c := range cols {
				src := b[(j0+j+c)*ldb+p0+q : (j0+j+c)*ldb+p0+q1]
				for p, v := range src {
					d[(q+p)*nr+c] = v
				}
			}
		}
	}
}

// packStrips32 copies strips whole 32-wide strips of kc rows of src (row stride ldb)
// into dst: dst[(t·kc + p)·32 + x] = src[p·ldb + t·32 + x]. Replaced by assembly where
// the CPU allows.
var packStrips32 = packStrips32Go

func packStrips32Go(dst, src []float32, kc, strips, ldb int) {
	for p := range kc {
		row := src[p*ldb : p*ldb+strips*32]
		for t := range strips {
			*(*[32]float32)(dst[(t*kc+p)*32:]) = [32]float32(row[t*32:])
		}
	}
}
