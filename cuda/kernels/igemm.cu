// igemm.cu: implicit-GEMM convolution for Device.ConvForward, ConvInputGrad and
// ConvFilterGrad: the GEMM gathers the im2col columns straight from the image into
// shared memory (no column buffer in global memory).
//
// Geometry: every convolution is 3-D (D, H, W); 1-D and 2-D ones have leading size-1
// axes. Per group gi of G, with cpg = Cout/G output and cinG = Cin/G input channels,
// R = cinG·KD·KH·KW column rows and P = Do·Ho·Wo output positions per sample:
//
//   forward:      y[s, gi·cpg + m, p] = Σ_r w[gi·cpg + m, r] · cols(x_s)[r, p]
//   filter grad:  part[z, m, r]       = Σ_{p in chunk z} dy[s, gi·cpg + m, p] · cols(x_s)[r, p]
//
// with cols(x_s)[r, p] = x[s, gi·cinG + c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh,
// ow·sw − pw + kw·dw] (zero outside the image) for r = (c, kd, kh, kw) and
// p = (od, oh, ow). The input gradient is the forward kernel run on dy with the
// spatially flipped weight (conv_flip_weights). The row table tab (built once per
// geometry by the Go side, padded to tabRows rows, a multiple of 256) holds, for row
// r, an int4: the element offset c·D·H·W + kd·dd·H·W + kh·dh·W + kw·dw and the tap
// offsets kd·dd, kh·dh, kw·dw (padding rows: a tap offset of 2³⁰, which reads zero);
// then, after all tabRows int4, an int2 per row: the element offset and the tap index
// (kd·KH + kh)·KW + kw (padding rows: 31).
//
// The GEMM: BM×128 block tiles (BM = 16, 32, 64 or 128 by cpg) of 8 warps, BK = 16,
// a cp.async (4-byte, zero-filling) pipeline (see pipeline; two stages). The TF32 variants (igemm_tf32_*)
// use mma.sync m16n8k8 with fp32 accumulation; the exact variants (igemm_f32_*) do
// fp32 FMAs over the same tiles (each element summed in r or p order).
//
// Grid: forward x = ceil(S·P/128) column tiles (columns run over samples and
// positions), y = ceil(cpg/BM), z = G·splits (a split over r when the tiles alone
// are too few blocks to fill the GPU). Filter grad x = ceil(R/128), y = ceil(cpg/BM),
// z = G·S·chunks (chunk c of sample s covers positions [c·L, min(P, (c+1)·L))).

#define BK 16
#define BN 128
#define THREADS 256
#define PAD_TAP (1 << 30)

#include "tensorcore.cuh"

// pipeline runs the k loop over slices [kBeg, kEnd) with STAGES shared-memory stages
// (STAGES−1 slices in flight while one is multiplied): load(kt, st) issues the
// cp.async copies of slice kt into stage st (slices are loaded in increasing order),
// math(st) multiplies the slice held in stage st. One barrier per slice: it makes
// slice kt visible to every thread and frees the stage of slice kt−1 for reloading.
template <int STAGES, typename Load, typename Math>
__device__ __forceinline__ void pipeline(int kBeg, int kEnd, Load &load, Math &math) {
#pragma unroll
    for (int i = 0; i < STAGES - 1; i++) {
        if (kBeg + i < kEnd) load(kBeg + i, i);
        cpAsyncCommit();
    }
    int st = 0, ld = STAGES - 1;  // stages of slices kt and kt + STAGES − 1
    for (int kt = kBeg; kt < kEnd; kt++) {
        cpAsyncWait<STAGES - 2>();  // this thread's copies of slice kt have landed
        __syncthreads();
        if (kt + STAGES - 1 < kEnd) load(kt + STAGES - 1, ld);
        cpAsyncCommit();
        math(st);
        st = st + 1 == STAGES ? 0 : st + 1;
        ld = ld + 1 == STAGES ? 0 : ld + 1;
    }
}

// Tile shape: warps WM×WN, each MI×NI mma tiles (16·MI rows, 8·NI columns).
template <int BM, int WM, int WN, int MI, int NI>
struct Tile {
    static_assert(WM * WN * 32 == THREADS && WM * MI * 16 == BM && WN * NI * 8 == BN, "tile");
    static constexpr int LDA = BK + 4;  // A: [BM][BK+4]
};

// mathStage multiplies one BK slice held in shared memory into acc. A is [BM][LDA]
// (row m, k contiguous). B is [BK][BN+8] (k-major, forward) or [BN][BK+4] (n-major,
// filter grad: BT). TF32 selects tensor cores, else exact fp32 FMAs in k order.
template <int MI, int NI, bool BT, bool TF32>
__device__ __forceinline__ void mathStage(float (*acc)[NI][4], const float *as, const float *bs,
                                          int rowBase, int colBase, int g, int t) {
    constexpr int LDA = BK + 4;
    constexpr int LDB = BT ? BK + 4 : BN + 8;
    if (TF32) {
#pragma unroll
        for (int kk = 0; kk < BK; kk += 8) {
            unsigned af[MI][4], bf[NI][2];
#pragma unroll
            for (int mi = 0; mi < MI; mi++) {
                const int r = rowBase + mi * 16 + g;
                const int k = kk + t;
                af[mi][0] = toTF32(as[r * LDA + k]);
                af[mi][1] = toTF32(as[(r + 8) * LDA + k]);
                af[mi][2] = toTF32(as[r * LDA + k + 4]);
                af[mi][3] = toTF32(as[(r + 8) * LDA + k + 4]);
            }
#pragma unroll
            for (int ni = 0; ni < NI; ni++) {
                const int n = colBase + ni * 8 + g;
                const int k = kk + t;
                if (BT) {
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
    } else {
        // Element (mi, ni, q) is row rowBase + mi·16 + g + (q>>1)·8, column
        // colBase + ni·8 + 2t + (q&1): the mma accumulator layout.
#pragma unroll
        for (int k = 0; k < BK; k++) {
            float a[MI][2], b[NI][2];
#pragma unroll
            for (int mi = 0; mi < MI; mi++) {
                const int r = rowBase + mi * 16 + g;
                a[mi][0] = as[r * LDA + k];
                a[mi][1] = as[(r + 8) * LDA + k];
            }
#pragma unroll
            for (int ni = 0; ni < NI; ni++) {
                const int n = colBase + ni * 8 + 2 * t;
                b[ni][0] = BT ? bs[n * LDB + k] : bs[k * LDB + n];
                b[ni][1] = BT ? bs[(n + 1) * LDB + k] : bs[k * LDB + n + 1];
            }
#pragma unroll
            for (int mi = 0; mi < MI; mi++)
#pragma unroll
                for (int ni = 0; ni < NI; ni++)
#pragma unroll
                    for (int q = 0; q < 4; q++)
                        acc[mi][ni][q] = fmaf(a[mi][q >> 1], b[ni][q & 1], acc[mi][ni][q]);
        }
    }
}

#define FWD_PARAMS                                                                          \
    float *__restrict__ y, const float *__restrict__ x, const float *__restrict__ w,      \
        const int4 *__restrict__ tab, int M, int Ncols, int R, int P, int coutTotal,       \
        int cinTotal, int cinG, int Do, int Ho, int Wo, int D, int H, int W, int sd, int sh, \
        int sw, int pd, int ph, int pw, int splits, int kPer, long long ySize,               \
        const float *__restrict__ bias, int tabRows, int KS
#define FWD_ARGS                                                                                 \
    y, x, w, tab, M, Ncols, R, P, coutTotal, cinTotal, cinG, Do, Ho, Wo, D, H, W, sd, sh, sw, pd, ph, \
        pw, splits, kPer, ySize, bias, tabRows, KS

// igemmForward: y[s, gi·cpg + m, p] = Σ_r w[gi·cpg + m, r]·cols(x_s)[r, p], M = cpg,
// Ncols = S·P columns (s, p). Split over k (splits > 1, blockIdx.z = gi·splits + ks):
// split ks sums the k slices [ks·kPer, (ks+1)·kPer) into y + ks·ySize (a partial
// buffer of splits copies of y, reduced by igemm_wgrad_reduce). A non-null bias:
// [G·cpg] is added to every output (by split 0 only). With KS > 0 (the window's
// taps, fewer than 32) each thread tests its column's taps against the image bounds
// once, into a bit mask, and gathers through the second table ({offset, tap} per row,
// after the tabRows rows of the first); KS = 0 tests the coordinates per element.

template <int BM, int WM, int WN, int MI, int NI, int STAGES, bool TF32>
__device__ __forceinline__ void igemmForward(FWD_PARAMS) {
    constexpr int LDA = BK + 4, LDB = BN + 8;
    constexpr int ASZ = BM * LDA, BSZ = BK * LDB;
    constexpr int LA = (BM * BK + THREADS - 1) / THREADS;  // A elements per thread per stage
    Tile<BM, WM, WN, MI, NI> tile;
    (void)tile;
    __shared__ __align__(16) float smem[STAGES * (ASZ + BSZ)];

    const int tid = threadIdx.x;
    const int lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int wm = warp / WN, wn = warp % WN;
    const int gi = blockIdx.z / splits, ks = blockIdx.z % splits;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const long long inSize = (long long)D * H * W;
    const int kBeg = ks * kPer, kEnd = min((R + BK - 1) / BK, kBeg + kPer);
    y += ks * ySize;

    // This thread gathers column j of B, rows (tid / BN) + 2·i.
    const int j = tid % BN, krow = tid / BN;
    const int col = n0 + j;
    const bool colOK = col < Ncols;
    int iz0 = 0, iy0 = 0, ix0 = 0;
    const float *xb = x;
    if (colOK) {
        const int s = col / P, p = col - s * P;
        const int od = p / (Ho * Wo), rem = p - od * (Ho * Wo);
        const int oh = rem / Wo, ow = rem - oh * Wo;
        iz0 = od * sd - pd;
        iy0 = oh * sh - ph;
        ix0 = ow * sw - pw;
        xb = x + ((long long)s * cinTotal + (long long)gi * cinG) * inSize +
             ((long long)iz0 * H + iy0) * W + ix0;
    }
    unsigned mask = 0;  // bit kk: tap kk of this column is inside the image
    if (KS > 0 && colOK) {
        for (int kk = 0; kk < KS; kk++) {  // rows 0..KS-1 are channel 0's taps
            const int4 e = __ldg(tab + kk);
            if ((unsigned)(iz0 + e.y) < (unsigned)D && (unsigned)(iy0 + e.z) < (unsigned)H &&
                (unsigned)(ix0 + e.w) < (unsigned)W)
                mask |= 1u << kk;
        }
    }
    const int2 *tap = reinterpret_cast<const int2 *>(tab + tabRows);
    // Mask path: this thread's table entries of the next slice to load, fetched one
    // slice ahead so that no gather waits on a table load.
    constexpr int NB = BK * BN / THREADS;
    int2 nxt[NB];
    auto fetch = [&](int kt) {
        if (KS > 0 && kt < kEnd) {
#pragma unroll
            for (int i = 0; i < NB; i++) nxt[i] = __ldg(tap + kt * BK + krow + i * (THREADS / BN));
        }
    };
    fetch(kBeg);
    const float *wg = w + (long long)gi * M * R;

    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; i++)
#pragma unroll
        for (int jj = 0; jj < NI; jj++)
#pragma unroll
            for (int q = 0; q < 4; q++) acc[i][jj][q] = 0.f;

    auto load = [&](int kt, int st) {
        const int k0 = kt * BK;
        float *as = smem + st * (ASZ + BSZ);
        float *bs = as + ASZ;
#pragma unroll
        for (int r = 0; r < LA; r++) {
            const int idx = tid + r * THREADS;
            if ((BM * BK) % THREADS != 0 && idx >= BM * BK) break;
            const int m = idx / BK, k = idx % BK;
            const bool ok = m0 + m < M && k0 + k < R;
            cpAsync4(as + m * LDA + k, ok ? wg + (long long)(m0 + m) * R + k0 + k : w, ok);
        }
        if (KS > 0) {  // slices load in order: nxt holds slice kt's entries
            int2 cur[NB];
#pragma unroll
            for (int i = 0; i < NB; i++) cur[i] = nxt[i];
            fetch(kt + 1);
#pragma unroll
            for (int i = 0; i < NB; i++) {
                const int k = krow + i * (THREADS / BN);
                const bool ok = (mask >> cur[i].y) & 1u;  // padding rows have tap 31: never set
                cpAsync4(bs + k * LDB + j, ok ? xb + cur[i].x : x, ok);
            }
            return;
        }
#pragma unroll
        for (int i = 0; i < NB; i++) {
            const int k = krow + i * (THREADS / BN);
            const int4 e = __ldg(tab + k0 + k);  // padding rows have PAD_TAP offsets
            const bool ok = colOK && (unsigned)(iz0 + e.y) < (unsigned)D &&
                            (unsigned)(iy0 + e.z) < (unsigned)H && (unsigned)(ix0 + e.w) < (unsigned)W;
            cpAsync4(bs + k * LDB + j, ok ? xb + e.x : x, ok);
        }
    };

    auto math = [&](int st) {
        const float *as = smem + st * (ASZ + BSZ);
        mathStage<MI, NI, false, TF32>(acc, as, as + ASZ, wm * (MI * 16), wn * (NI * 8), g, t);
    };
    pipeline<STAGES>(kBeg, kEnd, load, math);

    float bv[MI][2];
#pragma unroll
    for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int v = 0; v < 2; v++) {
            const int gm = m0 + wm * (MI * 16) + mi * 16 + g + v * 8;
            bv[mi][v] = bias != nullptr && ks == 0 && gm < M ? bias[gi * M + gm] : 0.f;
        }
#pragma unroll
    for (int ni = 0; ni < NI; ni++) {
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int gn = n0 + wn * (NI * 8) + ni * 8 + 2 * t + h;
            if (gn >= Ncols) continue;
            const int s = gn / P, p = gn - s * P;
            float *yb = y + ((long long)s * coutTotal + (long long)gi * M) * P + p;
#pragma unroll
            for (int mi = 0; mi < MI; mi++)
#pragma unroll
                for (int v = 0; v < 2; v++) {
                    const int gm = m0 + wm * (MI * 16) + mi * 16 + g + v * 8;
                    if (gm < M) yb[(long long)gm * P] = acc[mi][ni][v * 2 + h] + bv[mi][v];
                }
        }
    }
}

#define WGRAD_PARAMS                                                                          \
    float *__restrict__ part, const float *__restrict__ x, const float *__restrict__ dy,     \
        const int4 *__restrict__ tab, int M, int R, int P, int coutTotal, int cinTotal,      \
        int cinG, int Do, int Ho, int Wo, int D, int H, int W, int sd, int sh, int sw, int pd, \
        int ph, int pw, int S, int chunks, int L, int packed
#define WGRAD_ARGS                                                                                \
    part, x, dy, tab, M, R, P, coutTotal, cinTotal, cinG, Do, Ho, Wo, D, H, W, sd, sh, sw, pd, ph, pw, S, \
        chunks, L, packed

// igemmFilterGrad: part[z, m, r] = Σ_{p in chunk} dy[s, gi·cpg + m, p]·cols(x_s)[r, p]
// for z = (gi·S + s)·chunks + c; M = cpg, columns r < R. A thread gathers the same 8
// table rows in every slice: with packed (every tap offset below 1024) it keeps them
// in registers (offset, and the three tap offsets in 10 bits each), else it reads the
// table per element.
template <int BM, int WM, int WN, int MI, int NI, int STAGES, bool TF32>
__device__ __forceinline__ void igemmFilterGrad(WGRAD_PARAMS) {
    constexpr int LDA = BK + 4, LDB = BK + 4;
    constexpr int ASZ = BM * LDA, BSZ = BN * LDB;
    constexpr int LA = (BM * BK + THREADS - 1) / THREADS;
    Tile<BM, WM, WN, MI, NI> tile;
    (void)tile;
    __shared__ __align__(16) float smem[STAGES * (ASZ + BSZ)];

    const int tid = threadIdx.x;
    const int lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int wm = warp / WN, wn = warp % WN;
    const int z = blockIdx.z;
    const int c = z % chunks, s = (z / chunks) % S, gi = z / (chunks * S);
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const long long inSize = (long long)D * H * W;
    const int pBeg = c * L, pEnd = min(P, pBeg + L);
    const int nk = pEnd > pBeg ? (pEnd - pBeg + BK - 1) / BK : 0;

    const float *dyb = dy + ((long long)s * coutTotal + (long long)gi * M) * P;
    const float *xs = x + ((long long)s * cinTotal + (long long)gi * cinG) * inSize;

    // B gather: this thread covers position k = tid % BK of each stage and table rows
    // n = tid / BK + i·(THREADS/BK).
    const int kb = tid % BK, nrow = tid / BK;
    const int nValid = min(BN, R - n0);  // table rows of this column tile below R
    constexpr int NB = BK * BN / THREADS;
    int roff[NB];
    unsigned rtap[NB];
#pragma unroll
    for (int i = 0; i < NB; i++) {
        const int n = nrow + i * (THREADS / BK);
        roff[i] = 0;
        rtap[i] = 0;
        if (packed && n < nValid) {
            const int4 e = __ldg(tab + n0 + n);
            roff[i] = e.x;
            rtap[i] = (unsigned)e.y | (unsigned)e.z << 10 | (unsigned)e.w << 20;
        }
    }

    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; i++)
#pragma unroll
        for (int jj = 0; jj < NI; jj++)
#pragma unroll
            for (int q = 0; q < 4; q++) acc[i][jj][q] = 0.f;

    auto load = [&](int kt, int st) {
        const int p0 = pBeg + kt * BK;
        float *as = smem + st * (ASZ + BSZ);
        float *bs = as + ASZ;
#pragma unroll
        for (int r = 0; r < LA; r++) {
            const int idx = tid + r * THREADS;
            if ((BM * BK) % THREADS != 0 && idx >= BM * BK) break;
            const int m = idx / BK, k = idx % BK;
            const bool ok = m0 + m < M && p0 + k < pEnd;
            cpAsync4(as + m * LDA + k, ok ? dyb + (long long)(m0 + m) * P + p0 + k : dy, ok);
        }
        const int p = p0 + kb;
        const bool pOK = p < pEnd;
        int iz0 = 0, iy0 = 0, ix0 = 0;
        const float *xb = xs;
        if (pOK) {
            const int od = p / (Ho * Wo), rem = p - od * (Ho * Wo);
            const int oh = rem / Wo, ow = rem - oh * Wo;
            iz0 = od * sd - pd;
            iy0 = oh * sh - ph;
            ix0 = ow * sw - pw;
            xb = xs + ((long long)iz0 * H + iy0) * W + ix0;
        }
#pragma unroll
        for (int i = 0; i < NB; i++) {
            const int n = nrow + i * (THREADS / BK);
            if (n >= nValid) continue;  // rows past R stay zero (set below)
            if (packed) {
                const unsigned tp = rtap[i];
                const bool ok = pOK && (unsigned)(iz0 + (int)(tp & 1023u)) < (unsigned)D &&
                                (unsigned)(iy0 + (int)((tp >> 10) & 1023u)) < (unsigned)H &&
                                (unsigned)(ix0 + (int)(tp >> 20)) < (unsigned)W;
                cpAsync4(bs + n * LDB + kb, ok ? xb + roff[i] : x, ok);
                continue;
            }
            const int4 e = __ldg(tab + n0 + n);
            const bool ok = pOK && (unsigned)(iz0 + e.y) < (unsigned)D &&
                            (unsigned)(iy0 + e.z) < (unsigned)H && (unsigned)(ix0 + e.w) < (unsigned)W;
            cpAsync4(bs + n * LDB + kb, ok ? xb + e.x : x, ok);
        }
    };
    // Rows n ≥ nValid of B lie past R: zero them in every stage once instead of
    // gathering zeros each slice (most of the tile for small R, e.g. 9 for one input
    // channel and a 3×3 window). The pipeline's first barrier publishes the stores.
    for (int e = tid; e < (BN - nValid) * BK; e += THREADS) {
        const int n = nValid + e / BK, k = e % BK;
#pragma unroll
        for (int st = 0; st < STAGES; st++) smem[st * (ASZ + BSZ) + ASZ + n * LDB + k] = 0.f;
    }
    auto math = [&](int st) {
        const float *as = smem + st * (ASZ + BSZ);
        mathStage<MI, NI, true, TF32>(acc, as, as + ASZ, wm * (MI * 16), wn * (NI * 8), g, t);
    };
    pipeline<STAGES>(0, nk, load, math);

    float *pz = part + (long long)z * M * R;
#pragma unroll
    for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int ni = 0; ni < NI; ni++)
#pragma unroll
            for (int q = 0; q < 4; q++) {
                const int gm = m0 + wm * (MI * 16) + mi * 16 + g + (q >> 1) * 8;
                const int gn = n0 + wn * (NI * 8) + ni * 8 + 2 * t + (q & 1);
                if (gm < M && gn < R) pz[(long long)gm * R + gn] = acc[mi][ni][q];
            }
}

// Instantiations: BM 128 (2×4 warps of 4×4 mma tiles), 64 (2×4 of 2×4), 32 (2×4 of
// 1×4; at least 3 blocks per SM), 16 (1×8 of 1×2; 3 blocks); BN = 128; double
// buffering. Measured on an H200 (gpubench, same machine): 3 blocks for the small
// tiles beat their uncapped registers (U-Net 3D 23.4 vs 24.0 ms); deeper pipelines
// were slower (the gathers want L1).
#define IGEMM_KERNELS(SUFFIX, TF)                                                             \
    extern "C" __global__ void __launch_bounds__(256) igemm_fwd_##SUFFIX##_128(FWD_PARAMS) {   \
        igemmForward<128, 2, 4, 4, 4, 2, TF>(FWD_ARGS);                                          \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) igemm_fwd_##SUFFIX##_64(FWD_PARAMS) {    \
        igemmForward<64, 2, 4, 2, 4, 2, TF>(FWD_ARGS);                                           \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(256, 3) igemm_fwd_##SUFFIX##_32(FWD_PARAMS) {    \
        igemmForward<32, 2, 4, 1, 4, 2, TF>(FWD_ARGS);                                           \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(256, 3) igemm_fwd_##SUFFIX##_16(FWD_PARAMS) {    \
        igemmForward<16, 1, 8, 1, 2, 2, TF>(FWD_ARGS);                                           \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) igemm_wgrad_##SUFFIX##_128(WGRAD_PARAMS) { \
        igemmFilterGrad<128, 2, 4, 4, 4, 2, TF>(WGRAD_ARGS);                                     \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) igemm_wgrad_##SUFFIX##_64(WGRAD_PARAMS) { \
        igemmFilterGrad<64, 2, 4, 2, 4, 2, TF>(WGRAD_ARGS);                                      \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(256, 3) igemm_wgrad_##SUFFIX##_32(WGRAD_PARAMS) { \
        igemmFilterGrad<32, 2, 4, 1, 4, 2, TF>(WGRAD_ARGS);                                      \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(256, 3) igemm_wgrad_##SUFFIX##_16(WGRAD_PARAMS) { \
        igemmFilterGrad<16, 1, 8, 1, 2, 2, TF>(WGRAD_ARGS);                                      \
    }

IGEMM_KERNELS(tf32, true)
IGEMM_KERNELS(f32, false)

// igemm_wgrad_reduce: dw[gi·MR + e] = beta·dw[gi·MR + e] + Σ_c part[(gi·chunks + c)·MR + e]
// for e < MR = cpg·R and every group gi < G (beta = 0 ignores dw's contents); the sum
// runs in chunk order. Grid-stride over G·MR elements.
extern "C" __global__ void igemm_wgrad_reduce(float *__restrict__ dw, const float *__restrict__ part,
                                              long long MR, int G, int chunks, float beta) {
    const long long total = MR * G;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long gi = i / MR, e = i - gi * MR;
        const float *p = part + gi * chunks * MR + e;
        float acc = 0.f;
        for (int c = 0; c < chunks; c++) acc += p[(long long)c * MR];
        dw[i] = beta != 0.f ? beta * dw[i] + acc : acc;
    }
}

// conv_flip_weights: wf[gi·cinG + ci, co, KS−1−k] = w[gi·cpg + co, ci, k] for w:
// [G·cpg, cinG, KS] (the weight of the input-gradient convolution). Grid-stride.
extern "C" __global__ void conv_flip_weights(float *__restrict__ wf, const float *__restrict__ w,
                                             long long total, int cpg, int cinG, int KS) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long co = i / ((long long)cinG * KS);
        const int rem = (int)(i - co * cinG * KS);
        const int ci = rem / KS, k = rem - ci * KS;
        const long long gi = co / cpg, cl = co - gi * cpg;
        wf[((gi * cinG + ci) * cpg + cl) * KS + (KS - 1 - k)] = w[i];
    }
}
