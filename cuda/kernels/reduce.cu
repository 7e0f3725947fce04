// Reductions: ReduceSum (float64 accumulation, like the CPU) and ReduceMax (+ argmax,
// first maximum, NaN counts as the maximum), plus sum_partials, the deterministic second
// stage of every split reduction in this package (reduce, norm).
//
// ReduceSum sees x as kept axes K (≤ 4, sizes k*, strides ks*) and reduced axes R (≤ 4,
// sizes r*, strides rs*), both in row-major order; output o (row-major over K) is
// Σ_r x[base(o) + off(r)]. A split reduction (S > 1) writes float64 partial sums
// part[p·nOut + o] for slice p of the reduced range and sum_partials adds them up.

#include <math_constants.h>

#define MAXK 4

struct Axes {
	int n;
	unsigned size[MAXK];
	int stride[MAXK];
};

// offset returns the element offset of flat row-major position pos within axes a.
static __device__ __forceinline__ long long offset(const Axes &a, unsigned pos) {
	long long off = 0;
#pragma unroll
	for (int k = MAXK - 1; k >= 0; k--) {
		if (k < a.n) {
			unsigned q = pos / a.size[k];
			off += (long long)(pos - q * a.size[k]) * a.stride[k];
			pos = q;
		}
	}
	return off;
}

static __device__ __forceinline__ Axes axes(int n, int s0, int s1, int s2, int s3, int t0, int t1,
                                            int t2, int t3) {
	Axes a;
	a.n = n;
	a.size[0] = s0; a.size[1] = s1; a.size[2] = s2; a.size[3] = s3;
	a.stride[0] = t0; a.stride[1] = t1; a.stride[2] = t2; a.stride[3] = t3;
	return a;
}

// block_sum returns the sum of v over the block (valid in every thread). The block
// size is a multiple of 32, at most 1024. sh holds 32 doubles.
static __device__ __forceinline__ double block_sum(double v, double *sh) {
	unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	__syncthreads(); // sh may still be read from a previous call
	if (lane == 0) sh[warp] = v;
	__syncthreads();
	unsigned nw = blockDim.x >> 5;
	v = lane < nw ? sh[lane] : 0.0;
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// reduce_sum_blocks: one block per output (grid-stride over outputs in x), blockIdx.y
// = slice p of the reduced range [p·chunk, (p+1)·chunk). Threads stride over the slice.
extern "C" __global__ void reduce_sum_blocks(float *dst, double *part, const float *x, int nOut,
                                             int nRed, int S, int chunk,
                                             int nk, int k0, int k1, int k2, int k3,
                                             int ks0, int ks1, int ks2, int ks3,
                                             int nr, int r0, int r1, int r2, int r3,
                                             int rs0, int rs1, int rs2, int rs3) {
	__shared__ double sh[32];
	Axes K = axes(nk, k0, k1, k2, k3, ks0, ks1, ks2, ks3);
	Axes R = axes(nr, r0, r1, r2, r3, rs0, rs1, rs2, rs3);
	int p = blockIdx.y;
	long long lo = (long long)p * chunk;
	long long hi = min(lo + chunk, (long long)nRed);
	for (int o = blockIdx.x; o < nOut; o += gridDim.x) {
		const float *xb = x + offset(K, o);
		double acc = 0.0;
		for (long long r = lo + threadIdx.x; r < hi; r += blockDim.x) {
			acc += (double)xb[offset(R, (unsigned)r)];
		}
		acc = block_sum(acc, sh);
		if (threadIdx.x == 0) {
			if (S == 1) {
				dst[o] = (float)acc;
			} else {
				part[(long long)p * nOut + o] = acc;
			}
		}
	}
}

// reduce_sum_cols: one thread per output (grid-stride in x), blockIdx.y = slice p of
// the reduced range; each thread walks its slice in order. Used when the innermost
// kept axis has stride 1 (adjacent threads read adjacent elements) or the reduced
// range is short.
extern "C" __global__ void reduce_sum_cols(float *dst, double *part, const float *x, int nOut,
                                           int nRed, int S, int chunk,
                                           int nk, int k0, int k1, int k2, int k3,
                                           int ks0, int ks1, int ks2, int ks3,
                                           int nr, int r0, int r1, int r2, int r3,
                                           int rs0, int rs1, int rs2, int rs3) {
	Axes K = axes(nk, k0, k1, k2, k3, ks0, ks1, ks2, ks3);
	Axes R = axes(nr, r0, r1, r2, r3, rs0, rs1, rs2, rs3);
	int p = blockIdx.y;
	long long lo = (long long)p * chunk;
	long long hi = min(lo + chunk, (long long)nRed);
	for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < nOut;
	     o += (long long)blockDim.x * gridDim.x) {
		const float *xb = x + offset(K, (unsigned)o);
		double acc = 0.0;
		if (R.n == 1) {
			long long st = R.stride[0];
			for (long long r = lo; r < hi; r++) acc += (double)xb[r * st];
		} else {
			for (long long r = lo; r < hi; r++) acc += (double)xb[offset(R, (unsigned)r)];
		}
		if (S == 1) {
			dst[o] = (float)acc;
		} else {
			part[(long long)p * nOut + o] = acc;
		}
	}
}

// sum_partials: t = Σ_{p<P} part[p·stride + first + o] (in order p = 0, 1, …) for
// o < nOut; out[o] = float(t / outDiv) and stat[o] = t / statDiv where those pointers
// are non-null (a divisor of 1 leaves t unchanged).
extern "C" __global__ void sum_partials(float *out, double *stat, const double *part, int nOut,
                                        int P, int stride, int first, int outDiv, int statDiv) {
	for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < nOut;
	     o += (long long)blockDim.x * gridDim.x) {
		double t = 0.0;
		for (int p = 0; p < P; p++) t += part[(long long)p * stride + first + o];
		if (out) out[o] = (float)(t / (double)outDiv);
		if (stat) stat[o] = t / (double)statDiv;
	}
}

// better reports whether (v2, i2) beats (v1, i1) for argmax: NaN beats numbers, a
// larger value wins, ties go to the smaller index; i = INT_MAX marks "no element".
static __device__ __forceinline__ bool better(float v1, int i1, float v2, int i2) {
	if (i2 == 0x7fffffff) return false;
	if (i1 == 0x7fffffff) return true;
	bool n1 = v1 != v1, n2 = v2 != v2;
	if (n1 || n2) {
		if (n1 && n2) return i2 < i1;
		return n2;
	}
	if (v2 > v1) return true;
	return v2 == v1 && i2 < i1;
}

// reduce_max_rows: x: [rows, n] with the reduced axis innermost; one warp per row
// (blockDim.x a multiple of 32), grid-stride over rows.
extern "C" __global__ void reduce_max_rows(float *dst, float *arg, const float *x, int rows, int n) {
	unsigned lane = threadIdx.x & 31;
	long long warps = ((long long)blockDim.x * gridDim.x) >> 5;
	for (long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < rows;
	     row += warps) {
		const float *xr = x + row * n;
		float best = -CUDART_INF_F;
		int at = 0x7fffffff;
		for (int j = lane; j < n; j += 32) {
			float v = xr[j];
			// Within a lane indices increase: the first maximum (or first NaN) stays.
			if (at == 0x7fffffff || v > best || (v != v && best == best)) {
				best = v;
				at = j;
			}
		}
#pragma unroll
		for (int o = 16; o > 0; o >>= 1) {
			float v2 = __shfl_xor_sync(0xffffffffu, best, o);
			int i2 = __shfl_xor_sync(0xffffffffu, at, o);
			if (better(best, at, v2, i2)) {
				best = v2;
				at = i2;
			}
		}
		if (lane == 0) {
			dst[row] = best;
			arg[row] = (float)at;
		}
	}
}

// reduce_max_cols: x: [outer, n, inner]; one thread per (o, i), scanning j in order.
extern "C" __global__ void reduce_max_cols(float *dst, float *arg, const float *x, int outer,
                                           int n, int inner) {
	long long total = (long long)outer * inner;
	for (long long u = (long long)blockIdx.x * blockDim.x + threadIdx.x; u < total;
	     u += (long long)blockDim.x * gridDim.x) {
		long long o = u / inner, i = u - o * inner;
		const float *xc = x + o * n * inner + i;
		float best = xc[0];
		int at = 0;
		for (int j = 1; j < n; j++) {
			float v = xc[(long long)j * inner];
			if (v > best || (v != v && best == best)) {
				best = v;
				at = j;
			}
		}
		dst[u] = best;
		arg[u] = (float)at;
	}
}
