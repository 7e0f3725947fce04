// pool.cu: max and average pooling (1–3 spatial axes) for Device.MaxPool, AvgPool and
// their backward passes.
//
// Geometry as in conv.cu: padded to (D, H, W) by leading size-1 axes. x/dx: [planes, *in],
// y/dy/argmax: [planes, *out], planes = N·C. argmax holds the flat position of the
// maximum within its [*in] plane as a float (−1 for a window wholly in the padding).

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

#define GRID_STRIDE(e, total)                                                   \
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < total; \
         e += (long long)gridDim.x * blockDim.x)

// maxpool: one thread per output element. Taps in (kd, kh, kw) order; the first maximum
// wins, a NaN wins over numbers (and a later NaN over an earlier one), padding never wins.
extern "C" __global__ void maxpool(float *__restrict__ y, float *__restrict__ argmax,
                                   const float *__restrict__ x, long long total, GEOM_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const long long in = (long long)inD * inH * inW;
    GRID_STRIDE(e, total) {
        const long long plane = e / O;
        const int o = (int)(e - plane * O);
        const int ow = o % outW, oh = o / outW % outH, od = o / (outW * outH);
        const float *src = x + plane * in;
        float best = -__int_as_float(0x7f800000);  // −∞
        int at = -1;
        for (int kd = 0; kd < kD; kd++) {
            const int id = od * sD - pD + kd * dD;
            if (id < 0 || id >= inD) continue;
            for (int kh = 0; kh < kH; kh++) {
                const int ih = oh * sH - pH + kh * dH;
                if (ih < 0 || ih >= inH) continue;
                const int base = (id * inH + ih) * inW;
                for (int kw = 0; kw < kW; kw++) {
                    const int iw = ow * sW - pW + kw * dW;
                    if (iw < 0 || iw >= inW) continue;
                    const float v = src[base + iw];
                    if (at < 0 || v > best || v != v) {
                        best = v;
                        at = base + iw;
                    }
                }
            }
        }
        y[e] = best;
        argmax[e] = (float)at;
    }
}

// maxpool_bwd overwrites dx: one thread per input element gathers dy from the windows
// covering it whose argmax is this element (no atomics, deterministic).
extern "C" __global__ void maxpool_bwd(float *__restrict__ dx, const float *__restrict__ dy,
                                       const float *__restrict__ argmax, long long total,
                                       GEOM_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const long long in = (long long)inD * inH * inW;
    GRID_STRIDE(e, total) {
        const long long plane = e / in;
        const int p = (int)(e - plane * in);
        const int iw = p % inW, ih = p / inW % inH, id = p / (inW * inH);
        const float fp = (float)p;
        const float *g = dy + plane * O;
        const float *a = argmax + plane * O;
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
                    const int o = (od * outH + oh) * outW + ow;
                    if (a[o] == fp) s += g[o];
                }
            }
        }
        dx[e] = s;
    }
}

// avgpool: one thread per output element; the window sum (padding counts as zeros)
// divided by the number of taps.
extern "C" __global__ void avgpool(float *__restrict__ y, const float *__restrict__ x,
                                   long long total, GEOM_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const long long in = (long long)inD * inH * inW;
    const float div = (float)(kD * kH * kW);
    GRID_STRIDE(e, total) {
        const long long plane = e / O;
        const int o = (int)(e - plane * O);
        const int ow = o % outW, oh = o / outW % outH, od = o / (outW * outH);
        const float *src = x + plane * in;
        float s = 0.f;
        for (int kd = 0; kd < kD; kd++) {
            const int id = od * sD - pD + kd * dD;
            if (id < 0 || id >= inD) continue;
            for (int kh = 0; kh < kH; kh++) {
                const int ih = oh * sH - pH + kh * dH;
                if (ih < 0 || ih >= inH) continue;
                const int base = (id * inH + ih) * inW;
                for (int kw = 0; kw < kW; kw++) {
                    const int iw = ow * sW - pW + kw * dW;
                    if (iw < 0 || iw >= inW) continue;
                    s += src[base + iw];
                }
            }
        }
        y[e] = s / div;
    }
}

// avgpool_bwd overwrites dx: one thread per input element gathers dy/∏kernel from the
// windows covering it.
extern "C" __global__ void avgpool_bwd(float *__restrict__ dx, const float *__restrict__ dy,
                                       long long total, GEOM_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const long long in = (long long)inD * inH * inW;
    const float div = (float)(kD * kH * kW);
    GRID_STRIDE(e, total) {
        const long long plane = e / in;
        const int p = (int)(e - plane * in);
        const int iw = p % inW, ih = p / inW % inH, id = p / (inW * inH);
        const float *g = dy + plane * O;
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
                    s += g[(od * outH + oh) * outW + ow] / div;
                }
            }
        }
        dx[e] = s;
    }
}
