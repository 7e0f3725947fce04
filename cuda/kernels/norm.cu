// LayerNorm and BatchNorm (+ backward), following tensor/cpu_norm.go: statistics
// accumulate in float64 (two passes: mean, then Σ(x−μ)²), normalisation arithmetic is
// float64, results round to float32 once. Null pointers stand for absent w, b, dw, db.
// Split channel reductions write float64 partials that reduce.cu's sum_partials adds up
// in a fixed order (deterministic).

static __device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// block_sum2 sums a and b over the block (results valid in every thread). blockDim.x
// is a multiple of 32; sh holds 64 doubles.
static __device__ __forceinline__ void block_sum2(double &a, double &b, double *sh) {
	unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	a = warp_sum(a);
	b = warp_sum(b);
	__syncthreads(); // sh may still be read from a previous call
	if (lane == 0) {
		sh[warp] = a;
		sh[32 + warp] = b;
	}
	__syncthreads();
	unsigned nw = blockDim.x >> 5;
	a = warp_sum(lane < nw ? sh[lane] : 0.0);
	b = warp_sum(lane < nw ? sh[32 + lane] : 0.0);
}

#define WARP_ROWS(row, rows) \
	for (long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < (rows); \
	     row += ((long long)blockDim.x * gridDim.x) >> 5)

// layernorm_forward: one warp per row of x: [R, D]; w, b may be null.
extern "C" __global__ void layernorm_forward(float *dst, float *mean, float *rstd, const float *x,
                                             const float *w, const float *b, int R, int D,
                                             float eps) {
	unsigned lane = threadIdx.x & 31;
	WARP_ROWS(r, R) {
		const float *xr = x + r * D;
		float *out = dst + r * D;
		double s = 0.0;
		for (int i = lane; i < D; i += 32) s += (double)xr[i];
		double mu = warp_sum(s) / (double)D;
		double v = 0.0;
		for (int i = lane; i < D; i += 32) {
			double t = (double)xr[i] - mu;
			v += t * t;
		}
		v = warp_sum(v);
		double rsd = 1.0 / sqrt(v / (double)D + (double)eps);
		if (lane == 0) {
			mean[r] = (float)mu;
			rstd[r] = (float)rsd;
		}
		for (int i = lane; i < D; i += 32) {
			double h = ((double)xr[i] - mu) * rsd;
			if (w) h *= (double)w[i];
			if (b) h += (double)b[i];
			out[i] = (float)h;
		}
	}
}

// layernorm_backward_dx: one warp per row; dx = (dn − mean(dn) − x̂·mean(dn·x̂))·rstd
// with dn = dy·w (w null means 1).
extern "C" __global__ void layernorm_backward_dx(float *dx, const float *dy, const float *x,
                                                 const float *w, const float *mean,
                                                 const float *rstd, int R, int D) {
	unsigned lane = threadIdx.x & 31;
	WARP_ROWS(r, R) {
		const float *xr = x + r * D, *gr = dy + r * D;
		float *out = dx + r * D;
		double mu = (double)mean[r], rsd = (double)rstd[r];
		double sdn = 0.0, sdnx = 0.0;
		for (int i = lane; i < D; i += 32) {
			double h = ((double)xr[i] - mu) * rsd;
			double dn = (double)gr[i];
			if (w) dn *= (double)w[i];
			sdn += dn;
			sdnx += dn * h;
		}
		sdn = warp_sum(sdn) / (double)D;
		sdnx = warp_sum(sdnx) / (double)D;
		for (int i = lane; i < D; i += 32) {
			double h = ((double)xr[i] - mu) * rsd;
			double dn = (double)gr[i];
			if (w) dn *= (double)w[i];
			out[i] = (float)((dn - sdn - h * sdnx) * rsd);
		}
	}
}

// layernorm_backward_params: one thread per column i (grid-stride in x), blockIdx.y =
// slice p of the rows [p·chunk, (p+1)·chunk); writes part[(2p)·D + i] = Σ dy·x̂ and
// part[(2p+1)·D + i] = Σ dy over the slice.
extern "C" __global__ void layernorm_backward_params(double *part, const float *dy, const float *x,
                                                     const float *mean, const float *rstd, int R,
                                                     int D, int chunk) {
	int p = blockIdx.y;
	long long lo = (long long)p * chunk;
	long long hi = min(lo + chunk, (long long)R);
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < D;
	     i += (long long)blockDim.x * gridDim.x) {
		double aw = 0.0, ab = 0.0;
		for (long long r = lo; r < hi; r++) {
			double g = (double)dy[r * D + i];
			double h = ((double)x[r * D + i] - (double)mean[r]) * (double)rstd[r];
			aw += g * h;
			ab += g;
		}
		part[(2LL * p) * D + i] = aw;
		part[(2LL * p + 1) * D + i] = ab;
	}
}

// Activations fused into the BatchNorm kernels (BatchNormAct): act is tensor.UnaryOp's
// code (ReLU, LeakyReLU or ELU) or BN_NO_ACT; the formulas are unary.cu's, except that
// ELU's exponential is the float32 one (≤ 2 ulp; double precision made these
// memory-bound passes compute-bound). bnAct is the forward; bnActGrad returns
// g·act'(z) for the pre-activation z.
#define BN_NO_ACT -1
#define BN_RELU 8
#define BN_LEAKYRELU 9
#define BN_ELU 10

static __device__ __forceinline__ float bnAct(int act, float z, float alpha) {
	switch (act) {
	case BN_RELU: {
		int b = __float_as_int(z);
		return __int_as_float(b & ~(b >> 31));
	}
	case BN_LEAKYRELU: {
		int b = __float_as_int(z);
		int m = b >> 31;
		return __int_as_float(b & ~m) + alpha * __int_as_float(b & m);
	}
	case BN_ELU:
		return z <= 0.0f ? alpha * expm1f(z) : z;
	}
	return z;
}

static __device__ __forceinline__ float bnActGrad(int act, float g, float z, float alpha) {
	switch (act) {
	case BN_RELU:
		return z > 0.0f ? g : 0.0f;
	case BN_LEAKYRELU:
		return g * (z > 0.0f ? 1.0f : alpha);
	case BN_ELU:
		return z > 0.0f ? g : g * alpha * expf(z);
	}
	return g;
}

// bnPre returns the pre-activation z = (x − μ_c)·sc_c + sh_c with coefficients zc laid
// out as bn_coeffs writes them.
static __device__ __forceinline__ float bnPre(float x, const double *zc, int C, unsigned c) {
	return (float)(((double)x - zc[c]) * zc[C + c] + zc[2 * C + c]);
}

// bn_partial: block (c, p) reduces channel c of x: [N, C, S] over the slice
// [p·chunk, (p+1)·chunk) of its M = N·S elements (position m = n·S + s).
//   mode 0: part[p·C + c] = Σ x
//   mode 1: part[p·C + c] = Σ (x − coef[c])²                (coef[c]: the float64 mean)
//   mode 2: part[(2p)·C + c] = Σ dy, part[(2p+1)·C + c] = Σ dy·(x − coef[c])·coef[C + c]
// In mode 2 with act ≠ BN_NO_ACT, dy is the gradient of act(z) and is first turned
// into that of z = bnPre(x, zc) (the forward's pre-activation).
extern "C" __global__ void bn_partial(double *part, const float *x, const float *dy,
                                      const double *coef, int N, int C, int S, int chunk,
                                      int mode, const double *zc, int act, float alpha) {
	__shared__ double sh[64];
	int c = blockIdx.x, p = blockIdx.y;
	long long M = (long long)N * S;
	long long lo = (long long)p * chunk;
	long long hi = min(lo + chunk, M);
	double mu = mode != 0 ? coef[c] : 0.0;
	double r = mode == 2 ? coef[C + c] : 0.0;
	double a = 0.0, b = 0.0;
	for (long long m = lo + threadIdx.x; m < hi; m += blockDim.x) {
		unsigned mm = (unsigned)m, n = mm / (unsigned)S, s = mm - n * (unsigned)S; // M < 2³¹
		long long k = ((long long)n * C + c) * S + s;
		double v = (double)x[k];
		if (mode == 0) {
			a += v;
		} else if (mode == 1) {
			double e = v - mu;
			a += e * e;
		} else {
			float gf = dy[k];
			if (act != BN_NO_ACT) gf = bnActGrad(act, gf, bnPre(x[k], zc, C, c), alpha);
			double g = (double)gf;
			a += g;
			b += g * (v - mu) * r;
		}
	}
	block_sum2(a, b, sh);
	if (threadIdx.x == 0) {
		if (mode == 2) {
			part[(2LL * p) * C + c] = a;
			part[(2LL * p + 1) * C + c] = b;
		} else {
			part[(long long)p * C + c] = a;
		}
	}
}

// bn_coeffs: per channel c, coef[c] = μ (the float64 batch mean already there when
// train, else the running mean), coef[C + c] = w/√(var+eps), coef[2C + c] = b (0 if null).
extern "C" __global__ void bn_coeffs(double *coef, const float *mean, const float *var,
                                     const float *w, const float *b, float eps, int C, int train) {
	for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
		if (!train) coef[c] = (double)mean[c];
		double r = 1.0 / sqrt((double)var[c] + (double)eps);
		if (w) r *= (double)w[c];
		coef[C + c] = r;
		coef[2 * C + c] = b ? (double)b[c] : 0.0;
	}
}

// bn_apply: dst = act((x − μ_c)·sc_c + sh_c) over x: [N, C, S], coefficients from
// bn_coeffs (act BN_NO_ACT: none).
extern "C" __global__ void bn_apply(float *dst, const float *x, const double *coef, int C, int S,
                                    long long n, int act, float alpha) {
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += (long long)blockDim.x * gridDim.x) {
		unsigned c = ((unsigned)i / (unsigned)S) % (unsigned)C; // n < 2³¹ (checked on the host)
		dst[i] = bnAct(act, bnPre(x[i], coef, C, c), alpha);
	}
}

// bn_backward_coeffs: coef[c] = μ_c (from mean), coef[C + c] = rstd_c = 1/√(var+eps),
// coef[2C + c] = rstd_c·w_c.
extern "C" __global__ void bn_backward_coeffs(double *coef, const float *mean, const float *var,
                                              const float *w, float eps, int C) {
	for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
		double r = 1.0 / sqrt((double)var[c] + (double)eps);
		coef[c] = (double)mean[c];
		coef[C + c] = r;
		coef[2 * C + c] = w ? r * (double)w[c] : r;
	}
}

// bn_backward_apply: dx over [N, C, S]. Train: dx = k·(dy − a − x̂·b) with k = coef[2C+c],
// a = coef[3C+c] = Σdy/M, b = coef[4C+c] = Σdy·x̂/M; eval: dx = dy·k. With act ≠
// BN_NO_ACT, dy is first turned into the gradient of the pre-activation (see
// bn_partial).
extern "C" __global__ void bn_backward_apply(float *dx, const float *dy, const float *x,
                                             const double *coef, int C, int S, long long n,
                                             int train, const double *zc, int act, float alpha) {
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += (long long)blockDim.x * gridDim.x) {
		unsigned c = ((unsigned)i / (unsigned)S) % (unsigned)C;
		double k = coef[2 * C + c];
		float gf = dy[i];
		if (act != BN_NO_ACT) gf = bnActGrad(act, gf, bnPre(x[i], zc, C, c), alpha);
		if (!train) {
			dx[i] = (float)((double)gf * k);
			continue;
		}
		double h = ((double)x[i] - coef[c]) * coef[C + c];
		dx[i] = (float)(k * ((double)gf - coef[3 * C + c] - h * coef[4 * C + c]));
	}
}
