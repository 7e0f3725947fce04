// Memory kernels of the cuda device: strided copies (any view to any view).
// Compiled to memory.ptx by scripts/build-ptx.sh (go generate ./cuda).

// copy_strided copies n elements: element i (row-major over shape n0..n5, leading
// axes padded with size 1) goes from src[Σ c_k·s_k] to dst[Σ c_k·d_k]. dst and src
// already point at the views' first elements. Grid-stride loop.
extern "C" __global__ void copy_strided(float* __restrict__ dst, const float* __restrict__ src, int n,
                                        int n0, int n1, int n2, int n3, int n4, int n5,
                                        int d0, int d1, int d2, int d3, int d4, int d5,
                                        int s0, int s1, int s2, int s3, int s4, int s5) {
    const int shape[6] = {n0, n1, n2, n3, n4, n5};
    const long long ds[6] = {d0, d1, d2, d3, d4, d5};
    const long long ss[6] = {s0, s1, s2, s3, s4, s5};
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        long long rem = i, od = 0, os = 0;
#pragma unroll
        for (int k = 5; k >= 0; k--) {
            long long c = rem % shape[k];
            rem /= shape[k];
            od += c * ds[k];
            os += c * ss[k];
        }
        dst[od] = src[os];
    }
}

// copy_contig copies n contiguous elements (dst and src do not overlap).
extern "C" __global__ void copy_contig(float* __restrict__ dst, const float* __restrict__ src, int n) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        dst[i] = src[i];
    }
}
