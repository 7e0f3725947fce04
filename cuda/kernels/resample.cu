// resample.cu: nearest and (bi/tri)linear upsampling, align_corners=False, for
// Device.Upsample and Device.UpsampleBackward (1–3 spatial axes).
//
// Shapes are padded to (D, H, W) by leading size-1 axes: x/dx: [planes, inD, inH, inW],
// y/dy: [planes, outD, outH, outW]. rD, rH, rW are float32(1/scale) per axis. Source
// coordinates are computed exactly as tensor's CPU kernel (and PyTorch given
// scale_factor) does, in float32 with every operation rounded separately (__fmul_rn /
// __fadd_rn keep the compiler from fusing them into an FMA): equal sizes copy; nearest
// reads min(floor(o·r), in−1); linear reads i0 = min(floor(s), in−1) and
// i1 = min(i0+1, in−1) with s = max(r·(o+0.5) − 0.5, 0) and weights 1−l, l where
// l = clamp(s − i0, 0, 1). dims (1–3) selects the CPU's interpolation formula.

struct AxisMap {
    int i0, i1;
    float l0, l1;
    int two;  // 1 when the backward pass routes to both i0 and i1
};

__device__ __forceinline__ AxisMap axisMap(int linear, int in, int out, float r, int o) {
    AxisMap m;
    m.l0 = 1.f;
    m.l1 = 0.f;
    m.two = 0;
    if (in == out) {
        m.i0 = m.i1 = o;
    } else if (!linear) {
        const int i = (int)floorf(__fmul_rn((float)o, r));
        m.i0 = m.i1 = min(i, in - 1);
    } else {
        float s = __fsub_rn(__fmul_rn(r, __fadd_rn((float)o, 0.5f)), 0.5f);
        s = fmaxf(s, 0.f);
        const int i = min((int)floorf(s), in - 1);
        const float l1 = fminf(fmaxf(__fsub_rn(s, (float)i), 0.f), 1.f);
        m.i0 = i;
        m.i1 = i < in - 1 ? i + 1 : i;
        m.l0 = __fsub_rn(1.f, l1);
        m.l1 = l1;
        m.two = 1;
    }
    return m;
}

#define RESAMPLE_PARAMS                                                                   \
    long long total, int dims, int linear, int inD, int inH, int inW, int outD, int outH, \
        int outW, float rD, float rH, float rW

// upsample: one thread per output element (grid-stride).
extern "C" __global__ void upsample(float *__restrict__ y, const float *__restrict__ x,
                                    RESAMPLE_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const long long in = (long long)inD * inH * inW;
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < total;
         e += (long long)gridDim.x * blockDim.x) {
        const long long plane = e / O;
        const int o = (int)(e - plane * O);
        const int ow = o % outW, oh = o / outW % outH, od = o / (outW * outH);
        const AxisMap md = axisMap(linear, inD, outD, rD, od);
        const AxisMap mh = axisMap(linear, inH, outH, rH, oh);
        const AxisMap mw = axisMap(linear, inW, outW, rW, ow);
        const float *src = x + plane * in;
#define ROW(id, ih) (src + ((long long)(id) * inH + (ih)) * inW)
        float v;
        if (!linear) {
            v = ROW(md.i0, mh.i0)[mw.i0];
        } else if (dims == 1) {
            const float *s = ROW(0, 0);
            v = s[mw.i0] * mw.l0 + s[mw.i1] * mw.l1;
        } else if (dims == 2) {
            const float *a = ROW(0, mh.i0), *b = ROW(0, mh.i1);
            v = (a[mw.i0] * mw.l0 + a[mw.i1] * mw.l1) * mh.l0 +
                (b[mw.i0] * mw.l0 + b[mw.i1] * mw.l1) * mh.l1;
        } else {
            const float *a = ROW(md.i0, mh.i0), *b = ROW(md.i0, mh.i1);
            const float *c = ROW(md.i1, mh.i0), *f = ROW(md.i1, mh.i1);
            const float t0 = (a[mw.i0] * mw.l0 + a[mw.i1] * mw.l1) * mh.l0 +
                             (b[mw.i0] * mw.l0 + b[mw.i1] * mw.l1) * mh.l1;
            const float t1 = (c[mw.i0] * mw.l0 + c[mw.i1] * mw.l1) * mh.l0 +
                             (f[mw.i0] * mw.l0 + f[mw.i1] * mw.l1) * mh.l1;
            v = t0 * md.l0 + t1 * md.l1;
        }
#undef ROW
        y[e] = v;
    }
}

// upsample_bwd scatters dy into dx (which the caller has zeroed) with atomicAdd: one
// thread per output element adds dy·wd·wh·ww to each input corner it read. Axes where
// the forward pass used one source (nearest, or equal sizes) route to i0 only, as the
// CPU's inverse map does.
extern "C" __global__ void upsample_bwd(float *__restrict__ dx, const float *__restrict__ dy,
                                        RESAMPLE_PARAMS) {
    const long long O = (long long)outD * outH * outW;
    const long long in = (long long)inD * inH * inW;
    (void)dims;
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < total;
         e += (long long)gridDim.x * blockDim.x) {
        const long long plane = e / O;
        const int o = (int)(e - plane * O);
        const int ow = o % outW, oh = o / outW % outH, od = o / (outW * outH);
        const AxisMap md = axisMap(linear, inD, outD, rD, od);
        const AxisMap mh = axisMap(linear, inH, outH, rH, oh);
        const AxisMap mw = axisMap(linear, inW, outW, rW, ow);
        const float g = dy[e];
        float *dst = dx + plane * in;
        for (int a = 0; a <= md.two; a++) {
            const int id = a ? md.i1 : md.i0;
            const float wd = a ? md.l1 : md.l0;
            for (int b = 0; b <= mh.two; b++) {
                const int ih = b ? mh.i1 : mh.i0;
                const float gdh = g * (wd * (b ? mh.l1 : mh.l0));
                float *row = dst + ((long long)id * inH + ih) * inW;
                atomicAdd(row + mw.i0, gdh * mw.l0);
                if (mw.two) atomicAdd(row + mw.i1, gdh * mw.l1);
            }
        }
    }
}
