package gemm

// packA copies rows [i0, i0+mc) and depth [p0, p0+kc) of alpha·op(A) into dst as
// ⌈mc/mr⌉ strips of kc×mr values (step p of strip s at dst[s·kc·mr + p·mr:]), padding
// rows past mc with zeros.
func packA(dst []float32, transA bool, a []float32, lda, i0, mc, p0, kc, mr int, alpha float32) {
	for s := 0; s < mc; s += mr {
		rows := min(mr, mc-s)
		d := dst[s*kc : s*kc+kc*mr]
		if transA {
			// op(A)[i, p] = A[p, i]: each step is a contiguous run of A's row p.
			for p := range kc {
				src := a[(p0+p)*lda+i0+s:][:rows]
				dp := d[p*mr : p*mr+mr]
				if alpha == 1 {
					copy(dp, src)
				} else {
					for r, v := range src {
						dp[r] = alpha * v
					}
				}
				clear(dp[rows:])
			}
			continue
		}
		// op(A)[i, p] = A[i, p]: gather one value from each row per step.
		if rows == mr && mr == 14 {
			packA14(d, a, lda, (i0+s)*lda+p0, kc, alpha)
			continue
		}
		for r := range rows {
			src := a[(i0+s+r)*lda+p0:][:kc]
			for p, v := range src {
				d[p*mr+r] = alpha * v
			}
		}
		if rows < mr {
			for p := range kc {
				clear(d[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// packA14 packs one full 14-row strip of a non-transposed A starting at a[off].
func packA14(d, a []float32, lda, off, kc int, alpha float32) {
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
		dp[0] = alpha * r0[p]
		dp[1] = alpha * r1[p]
		dp[2] = alpha * r2[p]
		dp[3] = alpha * r3[p]
		dp[4] = alpha * r4[p]
		dp[5] = alpha * r5[p]
		dp[6] = alpha * r6[p]
		dp[7] = alpha * r7[p]
		dp[8] = alpha * r8[p]
		dp[9] = alpha * r9[p]
		dp[10] = alpha * r10[p]
		dp[11] = alpha * r11[p]
		dp[12] = alpha * r12[p]
		dp[13] = alpha * r13[p]
	}
}

// packB copies strips [t0, t1) (of nr columns each, counted from column j0) and depth
// [p0, p0+kc) of op(B) into dst, strip t at dst[t·kc·nr:] with step p at offset p·nr,
// padding columns past j0+nc with zeros.
func packB(dst []float32, transB bool, b []float32, ldb, j0, nc, p0, kc, nr, t0, t1 int) {
	for t := t0; t < t1; t++ {
		j := t * nr
		cols := min(nr, nc-j)
		d := dst[t*kc*nr : (t+1)*kc*nr]
		if !transB {
			// op(B)[p, j] = B[p, j]: each step is a contiguous run of B's row p.
			for p := range kc {
				dp := d[p*nr : p*nr+nr]
				copy(dp, b[(p0+p)*ldb+j0+j:][:cols])
				clear(dp[cols:])
			}
			continue
		}
		// op(B)[p, j] = B[j, p]: scatter B's row j across the steps.
		for c := range cols {
			src := b[(j0+j+c)*ldb+p0:][:kc]
			for p, v := range src {
				d[p*nr+c] = v
			}
		}
		if cols < nr {
			for p := range kc {
				clear(d[p*nr+cols : p*nr+nr])
			}
		}
	}
}
