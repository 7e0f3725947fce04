// Fused AdamW step, in the order and float32 arithmetic of tensor/cpu_adamw.go (itself
// PyTorch's single-tensor torch.optim.AdamW). The host computes the per-step constants
// exactly as the CPU does; the explicit _rn intrinsics stop the compiler from fusing
// multiply-adds, so every element rounds as on the CPU:
//   m ← m + w1·(g − m);  v ← v·beta2 + w2·g·g;
//   p ← p·decay + step·(m / (√v / bc2sqrt + eps))

extern "C" __global__ void adamw(float *p, const float *g, float *m, float *v, int n, float decay,
                                 float w1, float beta2, float w2, float bc2sqrt, float step,
                                 float eps) {
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += (long long)blockDim.x * gridDim.x) {
		float x = g[i];
		float mi = m[i];
		float a = __fadd_rn(mi, __fmul_rn(w1, __fsub_rn(x, mi)));
		float b = __fadd_rn(__fmul_rn(v[i], beta2), __fmul_rn(__fmul_rn(w2, x), x));
		m[i] = a;
		v[i] = b;
		float den = __fadd_rn(__fdiv_rn(__fsqrt_rn(b), bc2sqrt), eps);
		p[i] = __fadd_rn(__fmul_rn(p[i], decay), __fmul_rn(step, __fdiv_rn(a, den)));
	}
}
