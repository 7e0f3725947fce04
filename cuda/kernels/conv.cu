// conv.cu: Im2Col and Col2Im for Device.Im2Col / Device.Col2Im (1–3 spatial axes).
//
// The geometry is padded to three spatial axes (D, H, W) by leading size-1 axes (in 1,
// kernel 1, stride 1, pad 0, dilation 1, out 1), as tensor's geom3 does. x: [planes, *in]
// with planes = N·C; col: [planes, K, O] with K = kd·kh·kw taps, O = od·oh·ow. Tap k of
// output o on an axis reads input o·stride − pad + k·dilation.
//
// Launch layout of both kernels: a 2-D block (blockDim.x threads along the spatial
// positions, blockDim.y planes); grid x covers the spatial positions exactly (O for
// im2col, the input size for col2im), grid y strides over the planes. A thread splits
// its spatial index into (d, h, w) once (32-bit math) and reuses it for every plane and
// tap, so consecutive threads touch consecutive elements of one col row (coalesced).
// The Go side guarantees that a plane's K·O and input sizes fit in an int.

#define GEOM_PARAMS                                                                         \
    int inD, int inH, int inW, int kD, int kH, int kW, int sD, int sH, int sW, int pD, int pH, \
        int pW, int dD, int dH, int dW, int outD, int outH, int outW

// outOf returns the output position whose tap k reads input i on one axis, or -1.
__device__ __forceinline__ int outOf(int i, int k, int s, int p, int d, int out) {
    int t = i - (k * d - p);
    if (t < 0) return -1;
    if (s != 1) {
        if (t % s != 0) return -1;
        t /= s;
    }
    return t < out ? t : -1;
}

// im2col writes every element of col: [planes, K, O]: the input value under its tap, or
// 0 in the padding. Thread (o, plane) writes column o of the plane's K rows.
extern "C" __global__ void im2col(float *__restrict__ col, const float *__restrict__ x,
                                  int planes, GEOM_PARAMS) {
    const int O = outD * outH * outW;
    const int o = blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= O) return;
    const int ow = o % outW, t = o / outW, oh = t % outH, od = t / outH;
    const int K = kD * kH * kW;
    const int in = inD * inH * inW;
    const int id0 = od * sD - pD, ih0 = oh * sH - pH, iw0 = ow * sW - pW;
    for (int p = blockIdx.y * blockDim.y + threadIdx.y; p < planes; p += gridDim.y * blockDim.y) {
        const float *xp = x + (long long)p * in;
        float *c = col + (long long)p * K * O + o;
        for (int kd = 0; kd < kD; kd++) {
            const int id = id0 + kd * dD;
            const bool vd = (unsigned)id < (unsigned)inD;
            for (int kh = 0; kh < kH; kh++) {
                const int ih = ih0 + kh * dH;
                const bool vh = vd && (unsigned)ih < (unsigned)inH;
                const int row = (id * inH + ih) * inW;
#pragma unroll 4
                for (int kw = 0; kw < kW; kw++) {
                    const int iw = iw0 + kw * dW;
                    float v = 0.f;
                    if (vh && (unsigned)iw < (unsigned)inW) v = xp[row + iw];
                    *c = v;
                    c += O;
                }
            }
        }
    }
}

// col2im accumulates into every element of x: [planes, *in] the sum of the col entries
// of the taps that read it: a gather, so no two threads write one element. Thread
// (e, plane) handles input position e of the plane; only taps that can reach it are
// read (for stride 1, every tap whose output lies inside the output).
extern "C" __global__ void col2im(float *__restrict__ x, const float *__restrict__ col,
                                  int planes, GEOM_PARAMS) {
    const int in = inD * inH * inW;
    const int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= in) return;
    const int iw = e % inW, t = e / inW, ih = t % inH, id = t / inH;
    const int O = outD * outH * outW;
    const int K = kD * kH * kW;
    for (int p = blockIdx.y * blockDim.y + threadIdx.y; p < planes; p += gridDim.y * blockDim.y) {
        const float *c = col + (long long)p * K * O;
        float s = 0.f;
        for (int kd = 0; kd < kD; kd++) {
            const int od = outOf(id, kd, sD, pD, dD, outD);
            if (od < 0) continue;
            for (int kh = 0; kh < kH; kh++) {
                const int oh = outOf(ih, kh, sH, pH, dH, outH);
                if (oh < 0) continue;
                const int tap0 = (kd * kH + kh) * kW;
                const int orow = (od * outH + oh) * outW;
#pragma unroll 4
                for (int kw = 0; kw < kW; kw++) {
                    const int ow = outOf(iw, kw, sW, pW, dW, outW);
                    if (ow < 0) continue;
                    s += c[(tap0 + kw) * O + orow + ow];
                }
            }
        }
        x[(long long)p * in + e] += s;
    }
}
