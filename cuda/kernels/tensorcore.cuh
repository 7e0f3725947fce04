// tensorcore.cuh: the sm_80+ primitives shared by gemm.cu and igemm.cu: TF32
// rounding, cp.async copies (16-byte and 4-byte, zero-filling) with their group
// commit and wait, and the mma.sync m16n8k8 TF32 tile product.
#pragma once

__device__ __forceinline__ unsigned toTF32(float x) {
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return r;
}

// cpAsync16 copies 16 bytes from global src to shared dst, reading only the first
// bytes (0..16) and zero-filling the rest.
__device__ __forceinline__ void cpAsync16(float *dst, const float *src, int bytes) {
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src), "r"(bytes)
                 : "memory");
}

__device__ __forceinline__ void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void cpAsyncWait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// mmaTF32 computes d += a·b for one 16×8×8 TF32 tile. Fragments (g = lane/4,
// t = lane%4): a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4); b0 (k=t, n=g),
// b1 (k=t+4, n=g); d0 (g, 2t), d1 (g, 2t+1), d2 (g+8, 2t), d3 (g+8, 2t+1).
__device__ __forceinline__ void mmaTF32(float *d, const unsigned *a, const unsigned *b) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// cpAsync4 copies 4 bytes from global src to shared dst when ok, else writes a zero
// (src-size 0 reads nothing; src must still be a valid address).
__device__ __forceinline__ void cpAsync4(float *dst, const float *src, bool ok) {
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    int bytes = ok ? 4 : 0;
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(src), "r"(bytes)
                 : "memory");
}
