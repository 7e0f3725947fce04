// conv.cu: Im2Col and Col2Im for Device.Im2Col / Device.Col2Im (1–3 spatial axes).
//
// The geometry is padded to three spatial axes (D, H, W) by leading size-1 axes (in 1,
// kernel 1, stride 1, pad 0, dilation 1, out 1), as tensor's geom3 does. x: [planes, *in]
// with planes = N·C; col: [planes, K, O] with K = kd·kh·kw taps, O = od·oh·ow. Tap k of
// output o on an axis reads input o·stride − pad + k·dilation.

#define GEOM_PARAMS                                                                         \
    int inD, int inH, int inW, int kD, int kH, int kW, int sD, int sH, int sW, int pD, int pH, \
        int pW, int dD, int dH, int dW, int outD, int outH, int outW

// outOf returns the output position whose tap k reads input i on one axis, or -1.
__device__ __forceinline__ int outOf(int i, int k, int s, int p, int d, int out) {
    int t = i - (k * d - p);
    if (t < 0 || t % s != 0) return -1;
    t /= s;
    return t < out ? t : -1;
}

// im2col writes every element of col: [planes, K, O] (one thread each, grid-stride):
// the input value under its tap, or 0 in the padding.
extern "C" __global__ void im2col(float *__restrict__ col, const float *__restrict__ x,
                                  long long total, GEOM_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const int K = kD * kH * kW;
    const long long in = (long long)inD * inH * inW;
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < total;
         e += (long long)gridDim.x * blockDim.x) {
        const long long r = e / O;
        const int o = (int)(e - r * O);
        const long long plane = r / K;
        const int tap = (int)(r - plane * K);
        const int kd = tap / (kH * kW), kh = tap / kW % kH, kw = tap % kW;
        const int ow = o % outW, oh = o / outW % outH, od = o / (outW * outH);
        const int id = od * sD - pD + kd * dD;
        const int ih = oh * sH - pH + kh * dH;
        const int iw = ow * sW - pW + kw * dW;
        float v = 0.f;
        if (id >= 0 && id < inD && ih >= 0 && ih < inH && iw >= 0 && iw < inW)
            v = x[plane * in + ((long long)id * inH + ih) * inW + iw];
        col[e] = v;
    }
}

// col2im accumulates into every element of x: [planes, *in] (one thread each,
// grid-stride) the sum of the col entries of the taps that read it: a gather, so no
// two threads write one element.
extern "C" __global__ void col2im(float *__restrict__ x, const float *__restrict__ col,
                                  long long total, GEOM_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const int K = kD * kH * kW;
    const long long in = (long long)inD * inH * inW;
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < total;
         e += (long long)gridDim.x * blockDim.x) {
        const long long plane = e / in;
        const int p = (int)(e - plane * in);
        const int iw = p % inW, ih = p / inW % inH, id = p / (inW * inH);
        const float *c = col + plane * K * O;
        float s = 0.f;
        for (int kd = 0; kd < kD; kd++) {
            const int od = outOf(id, kd, sD, pD, dD, outD);
            if (od < 0) continue;
            for (int kh = 0; kh < kH; kh++) {
                const int oh = outOf(ih, kh, sH, pH, dH, outH);
                if (oh < 0) continue;
                for (int kw = 0; kw < kW; kw++) {
                    const int ow = outOf(iw, kw, sW, pW, dW, outW);
                    if (ow < 0) continue;
                    const int tap = (kd * kH + kh) * kW + kw;
                    s += c[(long long)tap * O + ((long long)od * outH + oh) * outW + ow];
                }
            }
        }
        x[e] += s;
    }
}
