// Gather and ScatterAdd over rows: x, dst: [B, L, D], idx: [B, K] (float32 integers,
// validated on the host before the launch), small: [B, K, D].

// gather: dst[b, k, :] = x[b, idx[b, k], :]; one thread per element of dst (n = B·K·D).
extern "C" __global__ void gather(float *dst, const float *x, const float *idx, int L, int K,
                                  int D, long long n) {
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += (long long)blockDim.x * gridDim.x) {
		long long u = i / D, d = i - u * D;
		long long b = u / K;
		long long j = (long long)idx[u];
		dst[i] = x[(b * L + j) * D + d];
	}
}

// scatter_add: dst[b, idx[b, k], :] += src[b, k, :]; one thread per element of src
// (n = B·K·D), atomicAdd because indices may repeat.
extern "C" __global__ void scatter_add(float *dst, const float *src, const float *idx, int L, int K,
                                       int D, long long n) {
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += (long long)blockDim.x * gridDim.x) {
		long long u = i / D, d = i - u * D;
		long long b = u / K;
		long long j = (long long)idx[u];
		atomicAdd(dst + (b * L + j) * D + d, src[i]);
	}
}
