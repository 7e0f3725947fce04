// Softmax and its backward along one axis of x viewed as [outer, n, inner]. Rows
// (inner = 1) get one warp each; other axes one thread per (o, i) column. Sums
// accumulate in float64 like the CPU (tensor/cpu_softmax.go); exponentials are expf.

#include <math_constants.h>

static __device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

static __device__ __forceinline__ float warp_max(float v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

// softmax_rows: x, dst: [rows, n]; one warp per row (blockDim.x a multiple of 32).
extern "C" __global__ void softmax_rows(float *dst, const float *x, int rows, int n) {
	unsigned lane = threadIdx.x & 31;
	long long warps = ((long long)blockDim.x * gridDim.x) >> 5;
	for (long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < rows;
	     row += warps) {
		const float *xr = x + row * n;
		float *dr = dst + row * n;
		float m = -CUDART_INF_F;
		for (int j = lane; j < n; j += 32) {
			float v = xr[j];
			if (v > m) m = v; // NaN never wins; it still makes the row NaN below
		}
		m = warp_max(m);
		double t = 0.0;
		for (int j = lane; j < n; j += 32) t += (double)expf(xr[j] - m);
		t = warp_sum(t);
		double inv = 1.0 / t;
		for (int j = lane; j < n; j += 32) dr[j] = (float)((double)expf(xr[j] - m) * inv);
	}
}

// softmax_cols: x, dst: [outer, n, inner], inner > 1; one thread per (o, i).
extern "C" __global__ void softmax_cols(float *dst, const float *x, int outer, int n, int inner) {
	long long total = (long long)outer * inner;
	for (long long u = (long long)blockIdx.x * blockDim.x + threadIdx.x; u < total;
	     u += (long long)blockDim.x * gridDim.x) {
		long long o = u / inner, i = u - o * inner;
		const float *xc = x + o * n * inner + i;
		float *dc = dst + o * n * inner + i;
		float m = xc[0];
		for (int j = 1; j < n; j++) {
			float v = xc[(long long)j * inner];
			if (v > m) m = v;
		}
		double t = 0.0;
		for (int j = 0; j < n; j++) t += (double)expf(xc[(long long)j * inner] - m);
		double inv = 1.0 / t;
		for (int j = 0; j < n; j++) {
			dc[(long long)j * inner] = (float)((double)expf(xc[(long long)j * inner] - m) * inv);
		}
	}
}

// softmax_backward_rows: dx = y·(dy − Σ dy·y) per row of [rows, n]; dx may be dy.
extern "C" __global__ void softmax_backward_rows(float *dx, const float *dy, const float *y,
                                                 int rows, int n) {
	unsigned lane = threadIdx.x & 31;
	long long warps = ((long long)blockDim.x * gridDim.x) >> 5;
	for (long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < rows;
	     row += warps) {
		const float *gr = dy + row * n, *yr = y + row * n;
		float *dr = dx + row * n;
		double t = 0.0;
		for (int j = lane; j < n; j += 32) t += (double)gr[j] * (double)yr[j];
		t = warp_sum(t);
		for (int j = lane; j < n; j += 32) dr[j] = (float)((double)yr[j] * ((double)gr[j] - t));
	}
}

// softmax_backward_cols: the same for [outer, n, inner], inner > 1, one thread per (o, i).
extern "C" __global__ void softmax_backward_cols(float *dx, const float *dy, const float *y,
                                                 int outer, int n, int inner) {
	long long total = (long long)outer * inner;
	for (long long u = (long long)blockIdx.x * blockDim.x + threadIdx.x; u < total;
	     u += (long long)blockDim.x * gridDim.x) {
		long long o = u / inner, i = u - o * inner;
		long long base = o * n * inner + i;
		double t = 0.0;
		for (int j = 0; j < n; j++) {
			long long k = base + (long long)j * inner;
			t += (double)dy[k] * (double)y[k];
		}
		for (int j = 0; j < n; j++) {
			long long k = base + (long long)j * inner;
			dx[k] = (float)((double)y[k] * ((double)dy[k] - t));
		}
	}
}
