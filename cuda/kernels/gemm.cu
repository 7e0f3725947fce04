// gemm.cu: batched single-precision matrix products for Device.MatMul.
//
//   C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b]     (beta = 0 ignores C's contents)
//
// op(A) is M×K (A stored M×K with leading dimension lda, or K×M when transposed), op(B)
// is K×N (stored K×N with ldb, or N×K when transposed); the last axis of each stored
// matrix has stride 1. C is contiguous: batch b starts at b·M·N. The batch index is
// unravelled over up to four batch axes (sizes d0..d3, row-major) whose element strides
// for A and B are sa0..sa3 and sb0..sb3 (0 broadcasts). Unused leading axes have size 1.
//
// Two families, each instantiated for the four transpose combinations (suffix _nn, _nt,
// _tn, _tt: first letter for A, second for B; t = transposed):
//   sgemm128_*, sgemm64_*, sgemm32m_*, sgemm32n_*: exact fp32 FMA (each element summed
//       in k order, so every tile gives the same bits), 128×128, 64×64, 32×128 (small M)
//       and 128×32 (small N) block tiles, 256 threads, a thread computes 8×8 (else 4×4);
//       shared-memory double buffering with register prefetch; any leading dimension and
//       alignment.
//   tf32gemm_*, tf32gemm64_*, tf32gemm32_*: tensor cores (mma.sync m16n8k8 TF32, fp32
//       accumulate), 128×128, 64×128 and 32×256 block tiles (BK 16), 256 threads (8
//       warps), cp.async double buffering; K tails are zero-filled by the copies.
//       Requires 16-byte aligned A and B, lda, ldb and batch strides multiples of 4 (the
//       Go side checks).
//
// Grid: x = ceil(N/BN) column tiles, y = row tiles (grid-stride), z = batch (grid-stride).

#define GEMM_PARAMS                                                                    \
    float *__restrict__ C, const float *__restrict__ A, const float *__restrict__ B,  \
        int M, int N, int K, int lda, int ldb, float alpha, float beta, int batch,     \
        int d1, int d2, int d3, int sa0, int sa1, int sa2, int sa3, int sb0, int sb1, \
        int sb2, int sb3
#define GEMM_ARGS \
    C, A, B, M, N, K, lda, ldb, alpha, beta, batch, d1, d2, d3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3

// batchOffsets returns the element offsets of batch bz's A and B matrices.
__device__ __forceinline__ void batchOffsets(int bz, int d1, int d2, int d3, int sa0, int sa1,
                                             int sa2, int sa3, int sb0, int sb1, int sb2,
                                             int sb3, long long *oa, long long *ob) {
    int i3 = bz % d3;
    bz /= d3;
    int i2 = bz % d2;
    bz /= d2;
    int i1 = bz % d1;
    int i0 = bz / d1;
    *oa = (long long)i0 * sa0 + (long long)i1 * sa1 + (long long)i2 * sa2 + (long long)i3 * sa3;
    *ob = (long long)i0 * sb0 + (long long)i1 * sb1 + (long long)i2 * sb2 + (long long)i3 * sb3;
}

// ---------------------------------------------------------------------------------------
// Exact fp32 tiled kernel.

template <int BM, int BN, int TM, int TN, bool TA, bool TB>
__device__ __forceinline__ void sgemmTiled(GEMM_PARAMS) {
    constexpr int BK = 8;
    constexpr int TX = BN / TN;  // threads along N
    constexpr int TY = BM / TM;  // threads along M
    constexpr int THREADS = TX * TY;
    constexpr int LA = BM * BK / THREADS;  // A elements loaded per thread per tile
    constexpr int LB = BN * BK / THREADS;
    // Row/column groups of 4 read as float4: group g covers rows g·TY·4 + ty·4 + 0..3.
    __shared__ __align__(16) float As[2][BK][BM + 4];
    __shared__ __align__(16) float Bs[2][BK][BN + 4];

    const int tid = threadIdx.x;
    const int tx = tid % TX, ty = tid / TX;
    const int tilesM = (M + BM - 1) / BM;
    const int nk = (K + BK - 1) / BK;
    const int n0 = blockIdx.x * BN;

    for (int bz = blockIdx.z; bz < batch; bz += gridDim.z) {
        long long oa, ob;
        batchOffsets(bz, d1, d2, d3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3, &oa, &ob);
        const float *Ab = A + oa;
        const float *Bb = B + ob;
        float *Cb = C + (long long)bz * M * N;
        for (int tm = blockIdx.y; tm < tilesM; tm += gridDim.y) {
            const int m0 = tm * BM;
            float acc[TM][TN];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] = 0.f;
            float ra[LA], rb[LB];

            // Global → registers for k tile kt (zero outside the matrices).
            auto load = [&](int kt) {
                const int k0 = kt * BK;
#pragma unroll
                for (int r = 0; r < LA; r++) {
                    const int idx = tid + r * THREADS;
                    const int k = TA ? idx / BM : idx % BK;
                    const int i = TA ? idx % BM : idx / BK;
                    const int gm = m0 + i, gk = k0 + k;
                    float v = 0.f;
                    if (gm < M && gk < K)
                        v = TA ? Ab[(long long)gk * lda + gm] : Ab[(long long)gm * lda + gk];
                    ra[r] = v;
                }
#pragma unroll
                for (int r = 0; r < LB; r++) {
                    const int idx = tid + r * THREADS;
                    const int k = TB ? idx % BK : idx / BN;
                    const int j = TB ? idx / BK : idx % BN;
                    const int gn = n0 + j, gk = k0 + k;
                    float v = 0.f;
                    if (gn < N && gk < K)
                        v = TB ? Bb[(long long)gn * ldb + gk] : Bb[(long long)gk * ldb + gn];
                    rb[r] = v;
                }
            };
            // Registers → shared buffer buf.
            auto store = [&](int buf) {
#pragma unroll
                for (int r = 0; r < LA; r++) {
                    const int idx = tid + r * THREADS;
                    const int k = TA ? idx / BM : idx % BK;
                    const int i = TA ? idx % BM : idx / BK;
                    As[buf][k][i] = ra[r];
                }
#pragma unroll
                for (int r = 0; r < LB; r++) {
                    const int idx = tid + r * THREADS;
                    const int k = TB ? idx % BK : idx / BN;
                    const int j = TB ? idx / BK : idx % BN;
                    Bs[buf][k][j] = rb[r];
                }
            };

            if (nk > 0) {
                load(0);
                store(0);
            }
            __syncthreads();
            for (int kt = 0; kt < nk; kt++) {
                const int cur = kt & 1;
                if (kt + 1 < nk) load(kt + 1);  // global loads in flight during the math
#pragma unroll
                for (int k = 0; k < BK; k++) {
                    float a[TM], b[TN];
#pragma unroll
                    for (int g = 0; g < TM / 4; g++) {
                        const float4 v = *reinterpret_cast<const float4 *>(&As[cur][k][g * TY * 4 + ty * 4]);
                        a[g * 4 + 0] = v.x;
                        a[g * 4 + 1] = v.y;
                        a[g * 4 + 2] = v.z;
                        a[g * 4 + 3] = v.w;
                    }
#pragma unroll
                    for (int g = 0; g < TN / 4; g++) {
                        const float4 v = *reinterpret_cast<const float4 *>(&Bs[cur][k][g * TX * 4 + tx * 4]);
                        b[g * 4 + 0] = v.x;
                        b[g * 4 + 1] = v.y;
                        b[g * 4 + 2] = v.z;
                        b[g * 4 + 3] = v.w;
                    }
#pragma unroll
                    for (int i = 0; i < TM; i++)
#pragma unroll
                        for (int j = 0; j < TN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
                }
                // The other buffer was last read in iteration kt-1, before its barrier.
                if (kt + 1 < nk) store(cur ^ 1);
                __syncthreads();
            }

#pragma unroll
            for (int i = 0; i < TM; i++) {
                const int gm = m0 + (i / 4) * TY * 4 + ty * 4 + (i % 4);
                if (gm >= M) continue;
#pragma unroll
                for (int j = 0; j < TN; j++) {
                    const int gn = n0 + (j / 4) * TX * 4 + tx * 4 + (j % 4);
                    if (gn >= N) continue;
                    float *c = Cb + (long long)gm * N + gn;
                    float v = alpha * acc[i][j];
                    if (beta != 0.f) v += beta * *c;
                    *c = v;
                }
            }
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) sgemm128_nn(GEMM_PARAMS) {
    sgemmTiled<128, 128, 8, 8, false, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm128_nt(GEMM_PARAMS) {
    sgemmTiled<128, 128, 8, 8, false, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm128_tn(GEMM_PARAMS) {
    sgemmTiled<128, 128, 8, 8, true, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm128_tt(GEMM_PARAMS) {
    sgemmTiled<128, 128, 8, 8, true, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm64_nn(GEMM_PARAMS) {
    sgemmTiled<64, 64, 4, 4, false, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm64_nt(GEMM_PARAMS) {
    sgemmTiled<64, 64, 4, 4, false, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm64_tn(GEMM_PARAMS) {
    sgemmTiled<64, 64, 4, 4, true, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm64_tt(GEMM_PARAMS) {
    sgemmTiled<64, 64, 4, 4, true, true>(GEMM_ARGS);
}

extern "C" __global__ void __launch_bounds__(256) sgemm32m_nn(GEMM_PARAMS) {
    sgemmTiled<32, 128, 4, 4, false, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm32m_nt(GEMM_PARAMS) {
    sgemmTiled<32, 128, 4, 4, false, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm32m_tn(GEMM_PARAMS) {
    sgemmTiled<32, 128, 4, 4, true, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm32m_tt(GEMM_PARAMS) {
    sgemmTiled<32, 128, 4, 4, true, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm32n_nn(GEMM_PARAMS) {
    sgemmTiled<128, 32, 4, 4, false, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm32n_nt(GEMM_PARAMS) {
    sgemmTiled<128, 32, 4, 4, false, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm32n_tn(GEMM_PARAMS) {
    sgemmTiled<128, 32, 4, 4, true, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) sgemm32n_tt(GEMM_PARAMS) {
    sgemmTiled<128, 32, 4, 4, true, true>(GEMM_ARGS);
}

// ---------------------------------------------------------------------------------------
// TF32 tensor-core kernel (sm_80+: cp.async, mma.sync m16n8k8 tf32).

#include "tensorcore.cuh"

// tf32Gemm: BM×BN block tiles of 8 warps laid out WM×WN, each warp MI×NI mma tiles
// (16·MI rows, 8·NI columns).
template <int BM, int BN, int WM, int WN, int MI, int NI, bool TA, bool TB>
__device__ __forceinline__ void tf32Gemm(GEMM_PARAMS) {
    constexpr int BK = 16, THREADS = 256;
    static_assert(WM * WN * 32 == THREADS && WM * MI * 16 == BM && WN * NI * 8 == BN, "tile");
    constexpr int CA = BM * BK / 4, CB = BN * BK / 4;  // 16-byte chunks per stage
    constexpr int RA = (CA + THREADS - 1) / THREADS, RB = (CB + THREADS - 1) / THREADS;
    // Shared layouts follow the global memory order (16-byte chunks copy straight in);
    // the padding makes the fragment reads conflict-free and keeps rows 16-byte aligned.
    constexpr int LDA = TA ? BM + 8 : BK + 4;  // TA: [BK][BM+8], else [BM][BK+4]
    constexpr int LDB = TB ? BK + 4 : BN + 8;  // TB: [BN][BK+4], else [BK][BN+8]
    constexpr int ASZ = TA ? BK * LDA : BM * LDA;
    constexpr int BSZ = TB ? BN * LDB : BK * LDB;
    __shared__ __align__(16) float smem[2 * (ASZ + BSZ)];

    const int tid = threadIdx.x;
    const int lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int wm = warp / WN, wn = warp % WN;
    const int tilesM = (M + BM - 1) / BM;
    const int nk = (K + BK - 1) / BK;
    const int n0 = blockIdx.x * BN;

    for (int bz = blockIdx.z; bz < batch; bz += gridDim.z) {
        long long oa, ob;
        batchOffsets(bz, d1, d2, d3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3, &oa, &ob);
        const float *Ab = A + oa;
        const float *Bb = B + ob;
        float *Cb = C + (long long)bz * M * N;
        for (int tm = blockIdx.y; tm < tilesM; tm += gridDim.y) {
            const int m0 = tm * BM;
            float acc[MI][NI][4];
#pragma unroll
            for (int i = 0; i < MI; i++)
#pragma unroll
                for (int j = 0; j < NI; j++)
#pragma unroll
                    for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;

            // Issue the cp.async copies of k tile kt into stage st: CA (CB) chunks of 4
            // floats of A (B), RA (RB) per thread.
            auto load = [&](int kt, int st) {
                const int k0 = kt * BK;
                float *as = smem + st * (ASZ + BSZ);
                float *bs = as + ASZ;
#pragma unroll
                for (int r = 0; r < RA; r++) {
                    const int c = tid + r * THREADS;
                    if (CA % THREADS != 0 && c >= CA) break;
                    const float *src = Ab;
                    int bytes = 0;
                    float *dst;
                    if (TA) {  // global [K][M]: 32 chunks per k row
                        const int k = c / (BM / 4), mc = (c % (BM / 4)) * 4;
                        dst = as + k * LDA + mc;
                        if (k0 + k < K) {
                            const int n = min(max(M - (m0 + mc), 0), 4);
                            if (n > 0) {
                                src = Ab + (long long)(k0 + k) * lda + m0 + mc;
                                bytes = 4 * n;
                            }
                        }
                    } else {  // global [M][K]: 4 chunks per m row
                        const int m = c / (BK / 4), kc = (c % (BK / 4)) * 4;
                        dst = as + m * LDA + kc;
                        if (m0 + m < M) {
                            const int n = min(max(K - (k0 + kc), 0), 4);
                            if (n > 0) {
                                src = Ab + (long long)(m0 + m) * lda + k0 + kc;
                                bytes = 4 * n;
                            }
                        }
                    }
                    cpAsync16(dst, src, bytes);
                }
#pragma unroll
                for (int r = 0; r < RB; r++) {
                    const int c = tid + r * THREADS;
                    if (CB % THREADS != 0 && c >= CB) break;
                    const float *src = Bb;
                    int bytes = 0;
                    float *dst;
                    if (TB) {  // global [N][K]: 4 chunks per n row
                        const int n = c / (BK / 4), kc = (c % (BK / 4)) * 4;
                        dst = bs + n * LDB + kc;
                        if (n0 + n < N) {
                            const int e = min(max(K - (k0 + kc), 0), 4);
                            if (e > 0) {
                                src = Bb + (long long)(n0 + n) * ldb + k0 + kc;
                                bytes = 4 * e;
                            }
                        }
                    } else {  // global [K][N]: 32 chunks per k row
                        const int k = c / (BN / 4), nc = (c % (BN / 4)) * 4;
                        dst = bs + k * LDB + nc;
                        if (k0 + k < K) {
                            const int e = min(max(N - (n0 + nc), 0), 4);
                            if (e > 0) {
                                src = Bb + (long long)(k0 + k) * ldb + n0 + nc;
                                bytes = 4 * e;
                            }
                        }
                    }
                    cpAsync16(dst, src, bytes);
                }
            };

            if (nk > 0) {
                load(0, 0);
                cpAsyncCommit();
            }
            for (int kt = 0; kt < nk; kt++) {
                if (kt + 1 < nk) {
                    // Stage (kt+1)&1 was last read in iteration kt-1, before its barrier.
                    load(kt + 1, (kt + 1) & 1);
                    cpAsyncCommit();
                    cpAsyncWait<1>();  // tile kt has landed (this thread's copies)
                } else {
                    cpAsyncWait<0>();
                }
                __syncthreads();  // … and every thread's copies
                const float *as = smem + (kt & 1) * (ASZ + BSZ);
                const float *bs = as + ASZ;
#pragma unroll
                for (int kk = 0; kk < BK; kk += 8) {
                    unsigned af[MI][4], bf[NI][2];
#pragma unroll
                    for (int mi = 0; mi < MI; mi++) {
                        const int r = wm * (MI * 16) + mi * 16 + g;
                        const int k = kk + t;
                        if (TA) {
                            af[mi][0] = toTF32(as[k * LDA + r]);
                            af[mi][1] = toTF32(as[k * LDA + r + 8]);
                            af[mi][2] = toTF32(as[(k + 4) * LDA + r]);
                            af[mi][3] = toTF32(as[(k + 4) * LDA + r + 8]);
                        } else {
                            af[mi][0] = toTF32(as[r * LDA + k]);
                            af[mi][1] = toTF32(as[(r + 8) * LDA + k]);
                            af[mi][2] = toTF32(as[r * LDA + k + 4]);
                            af[mi][3] = toTF32(as[(r + 8) * LDA + k + 4]);
                        }
                    }
#pragma unroll
                    for (int ni = 0; ni < NI; ni++) {
                        const int n = wn * (NI * 8) + ni * 8 + g;
                        const int k = kk + t;
                        if (TB) {
                            bf[ni][0] = toTF32(bs[n * LDB + k]);
                            bf[ni][1] = toTF32(bs[n * LDB + k + 4]);
                        } else {
                            bf[ni][0] = toTF32(bs[k * LDB + n]);
                            bf[ni][1] = toTF32(bs[(k + 4) * LDB + n]);
                        }
                    }
#pragma unroll
                    for (int mi = 0; mi < MI; mi++)
#pragma unroll
                        for (int ni = 0; ni < NI; ni++) mmaTF32(acc[mi][ni], af[mi], bf[ni]);
                }
                __syncthreads();  // the stage is free for the load two iterations on
            }

#pragma unroll
            for (int mi = 0; mi < MI; mi++)
#pragma unroll
                for (int ni = 0; ni < NI; ni++)
#pragma unroll
                    for (int q = 0; q < 4; q++) {
                        const int gm = m0 + wm * (MI * 16) + mi * 16 + g + (q >> 1) * 8;
                        const int gn = n0 + wn * (NI * 8) + ni * 8 + 2 * t + (q & 1);
                        if (gm >= M || gn >= N) continue;
                        float *c = Cb + (long long)gm * N + gn;
                        float v = alpha * acc[mi][ni][q];
                        if (beta != 0.f) v += beta * *c;
                        *c = v;
                    }
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) tf32gemm_nn(GEMM_PARAMS) {
    tf32Gemm<128, 128, 2, 4, 4, 4, false, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm_nt(GEMM_PARAMS) {
    tf32Gemm<128, 128, 2, 4, 4, 4, false, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm_tn(GEMM_PARAMS) {
    tf32Gemm<128, 128, 2, 4, 4, 4, true, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm_tt(GEMM_PARAMS) {
    tf32Gemm<128, 128, 2, 4, 4, 4, true, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm64_nn(GEMM_PARAMS) {
    tf32Gemm<64, 128, 2, 4, 2, 4, false, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm64_nt(GEMM_PARAMS) {
    tf32Gemm<64, 128, 2, 4, 2, 4, false, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm64_tn(GEMM_PARAMS) {
    tf32Gemm<64, 128, 2, 4, 2, 4, true, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm64_tt(GEMM_PARAMS) {
    tf32Gemm<64, 128, 2, 4, 2, 4, true, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm32_nn(GEMM_PARAMS) {
    tf32Gemm<32, 256, 1, 8, 2, 4, false, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm32_nt(GEMM_PARAMS) {
    tf32Gemm<32, 256, 1, 8, 2, 4, false, true>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm32_tn(GEMM_PARAMS) {
    tf32Gemm<32, 256, 1, 8, 2, 4, true, false>(GEMM_ARGS);
}
extern "C" __global__ void __launch_bounds__(256) tf32gemm32_tt(GEMM_PARAMS) {
    tf32Gemm<32, 256, 1, 8, 2, 4, true, true>(GEMM_ARGS);
}
