// Elementwise binary kernels for tensor.Device.Binary: dst (contiguous) = a ∘ b, where
// a and b are strided views (stride 0 broadcasts). The host merges axes
// (cuda/launch.go mergeAxes) so that at most 6 remain; dst's flat index i is the
// row-major position in the merged shape. The op codes are tensor.BinaryOp's values.

#define MAXDIMS 6

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_GREATER };

#define GRID_LOOP(i, n) \
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
	     i += (long long)blockDim.x * gridDim.x)

// bop applies op to one pair. Maximum and Minimum propagate NaN like Go's max/min and
// torch.maximum/minimum (fmaxf/fminf would drop it).
template <int OP>
static __device__ __forceinline__ float bop(float x, float y) {
	switch (OP) {
	case OP_ADD: return x + y;
	case OP_SUB: return x - y;
	case OP_MUL: return x * y;
	case OP_DIV: return x / y;
	case OP_MAX: return (x != x || y != y) ? x + y : fmaxf(x, y);
	case OP_MIN: return (x != x || y != y) ? x + y : fminf(x, y);
	default: return x > y ? 1.0f : 0.0f;
	}
}

// Both operands contiguous (merged to one axis with stride 1).
// With all three pointers 16-byte aligned it moves float4 vectors (more bytes in
// flight per load) and finishes with a scalar tail.
template <int OP>
static __device__ __forceinline__ void vv(float *dst, const float *a, const float *b, int n) {
	if ((((unsigned long long)dst | (unsigned long long)a | (unsigned long long)b) & 15) == 0) {
		long long n4 = n >> 2;
		GRID_LOOP(q, n4) {
			float4 x = reinterpret_cast<const float4 *>(a)[q];
			float4 y = reinterpret_cast<const float4 *>(b)[q];
			float4 r;
			r.x = bop<OP>(x.x, y.x);
			r.y = bop<OP>(x.y, y.y);
			r.z = bop<OP>(x.z, y.z);
			r.w = bop<OP>(x.w, y.w);
			reinterpret_cast<float4 *>(dst)[q] = r;
		}
		GRID_LOOP(t, n - 4 * n4) {
			long long i = 4 * n4 + t;
			dst[i] = bop<OP>(a[i], b[i]);
		}
		return;
	}
	GRID_LOOP(i, n) { dst[i] = bop<OP>(a[i], b[i]); }
}

// One merged axis with strides sa, sb (0 broadcasts a scalar).
template <int OP>
static __device__ __forceinline__ void strided1(float *dst, const float *a, int sa,
                                                const float *b, int sb, int n) {
	GRID_LOOP(i, n) { dst[i] = bop<OP>(a[i * sa], b[i * sb]); }
}

struct Dims {
	int rank;
	unsigned shape[MAXDIMS];
	int sa[MAXDIMS], sb[MAXDIMS];
};

// General case: unravel i over the merged shape (innermost axis last).
template <int OP>
static __device__ __forceinline__ void nd(float *dst, const float *a, const float *b, int n,
                                          const Dims &d) {
	GRID_LOOP(i, n) {
		unsigned rem = (unsigned)i;
		long long ao = 0, bo = 0;
#pragma unroll
		for (int k = MAXDIMS - 1; k >= 0; k--) {
			if (k < d.rank) {
				unsigned q = rem / d.shape[k];
				unsigned j = rem - q * d.shape[k];
				rem = q;
				ao += (long long)j * d.sa[k];
				bo += (long long)j * d.sb[k];
			}
		}
		dst[i] = bop<OP>(a[ao], b[bo]);
	}
}

#define DISPATCH(call) \
	switch (op) { \
	case OP_ADD: call(OP_ADD); break; \
	case OP_SUB: call(OP_SUB); break; \
	case OP_MUL: call(OP_MUL); break; \
	case OP_DIV: call(OP_DIV); break; \
	case OP_MAX: call(OP_MAX); break; \
	case OP_MIN: call(OP_MIN); break; \
	case OP_GREATER: call(OP_GREATER); break; \
	}

// binary_vv: dst[i] = a[i] ∘ b[i] for i < n.
extern "C" __global__ void binary_vv(float *dst, const float *a, const float *b, int n, int op) {
#define CALL(OP) vv<OP>(dst, a, b, n)
	DISPATCH(CALL)
#undef CALL
}

// binary_strided1: dst[i] = a[i·sa] ∘ b[i·sb] for i < n.
extern "C" __global__ void binary_strided1(float *dst, const float *a, int sa, const float *b,
                                           int sb, int n, int op) {
#define CALL(OP) strided1<OP>(dst, a, sa, b, sb, n)
	DISPATCH(CALL)
#undef CALL
}

// binary_nd: rank ≤ 6 merged axes; shape s0..s5, a strides a0..a5, b strides b0..b5
// (entries past rank are ignored).
extern "C" __global__ void binary_nd(float *dst, const float *a, const float *b, int n, int op,
                                     int rank, int s0, int s1, int s2, int s3, int s4, int s5,
                                     int a0, int a1, int a2, int a3, int a4, int a5,
                                     int b0, int b1, int b2, int b3, int b4, int b5) {
	Dims d;
	d.rank = rank;
	d.shape[0] = s0; d.shape[1] = s1; d.shape[2] = s2;
	d.shape[3] = s3; d.shape[4] = s4; d.shape[5] = s5;
	d.sa[0] = a0; d.sa[1] = a1; d.sa[2] = a2; d.sa[3] = a3; d.sa[4] = a4; d.sa[5] = a5;
	d.sb[0] = b0; d.sb[1] = b1; d.sb[2] = b2; d.sb[3] = b3; d.sb[4] = b4; d.sb[5] = b5;
#define CALL(OP) nd<OP>(dst, a, b, n, d)
	DISPATCH(CALL)
#undef CALL
}
