/* Element-wise loops of RectGradCore in plain C.
 *
 * A package that depends on RectifiedGradient builds it without optimisation in its debug
 * configuration; there Swift's SIMD lane code runs through generic calls per vector, while these
 * loops stay plain machine loops (several times faster at -O0, the same speed optimised). Each
 * function computes exactly what the Swift lane function it replaces computes, element by element
 * (no fused multiply–add, the same comparisons, NaN and signed-zero behaviour). */
#ifndef RG_ELEMENTWISE_H
#define RG_ELEMENTWISE_H

#include <stddef.h>

/* y[i] = x[i] * a + b (a product, then a sum). */
void rg_affine(const float *x, float *y, ptrdiff_t count, float a, float b);
/* rg_affine with y == x: z[i] = z[i] * a + b. */
void rg_affine_in_place(float *z, ptrdiff_t count, float a, float b);
/* y[i] = x[i] <= 0 ? 0 : x[i] (NaN passes through; -0 becomes +0). */
void rg_relu(const float *x, float *y, ptrdiff_t count);
/* y[i] = min(max(x[i], 0), 6) as ReLU6Lanes: x <= 0 → 0, then > 6 → 6; NaN passes through. */
void rg_relu6(const float *x, float *y, ptrdiff_t count);
/* z[i] = (z[i] * a + b) + other[i] in place, one pass: rg_affine followed by a sum (batch norm
 * and the residual sum after it on a tape). `other` must not overlap `z`. */
void rg_affine_add_in_place(float *z, const float *other, ptrdiff_t count, float a, float b);
/* rg_relu and rg_relu6 in place, the same bits: the activation written over its input (a
 * tape's ReLU on a convolution's output or a sum). */
void rg_relu_in_place(float *z, ptrdiff_t count);
void rg_relu6_in_place(float *z, ptrdiff_t count);
/* z[i] = relu(z[i] * a + b) and z[i] = relu6(z[i] * a + b) in place, one pass: the same bits
 * as rg_affine followed by rg_relu (or rg_relu6); batch norm with its ReLU on a tape. */
void rg_affine_relu_in_place(float *z, ptrdiff_t count, float a, float b);
void rg_affine_relu6_in_place(float *z, ptrdiff_t count, float a, float b);
/* y[i] = r[i] * (z[i] > 0 ? 1 : 0). */
void rg_relu_gradient(const float *z, const float *r, float *y, ptrdiff_t count);
/* y[i] = r[i] * (0 < z[i] && z[i] < 6 ? 1 : 0). */
void rg_relu6_gradient(const float *z, const float *r, float *y, ptrdiff_t count);

/// 1 when none of the `count` elements is an infinity or a NaN, else 0.
int rg_all_finite(const float *x, ptrdiff_t count);

/* ---- Instruction-set levels of the kernels below (x86-64: AVX2, AVX-512; elsewhere portable C) ---- */
#define RG_ISA_PORTABLE 0
#define RG_ISA_AVX2 1
#define RG_ISA_AVX512 2

/* 1 if this processor runs `level`'s code (RG_ISA_PORTABLE always). */
int rg_isa_supported(int level);
/* The highest supported level, at most the one named by the environment variable RECTGRAD_MAX_ISA
 * (`portable`, `avx2` or `avx512`; unset: no cap), read on each call. Every level gives the same
 * bits: the choice only changes the speed. */
int rg_isa_best(void);

/* Depthwise tap sums over a zero-padded plane: for every output row r in [0, outHeight) and
 * position q in [0, virtualWidth),
 *     wide[r * virtualWidth + q] = Σ_t weights[t] * in[r * inRowStride + stride * q + offsets[t]]
 * (t in order, from +0; each product rounded, then added), then row r of `out` (outWidth floats,
 * outWidth <= virtualWidth) is copied from wide + r * virtualWidth. Vector levels compute whole
 * vectors: `wide` must hold outHeight * virtualWidth + 64 floats, and `in` must be readable 64
 * floats beyond the last element the formula names. */
void rg_depthwise_taps(int level, const float *in, ptrdiff_t inRowStride, ptrdiff_t stride, ptrdiff_t virtualWidth,
                       const ptrdiff_t *offsets, const float *weights, ptrdiff_t taps,
                       float *wide, float *out, ptrdiff_t outHeight, ptrdiff_t outWidth);

/* The input-gradient scatter of one depthwise plane, in the order (oy, ki, kj, ox):
 *     row(oy, ki)[target(kj) + ox] += kernel[ki * kernelWidth + kj] * dy[oy * outWidth + ox]
 * with row(oy, ki) = padded + (oy * stride + ki) * rowLength and target(kj) = kj (stride 1) or
 * (kj & 1) * (rowLength / 2) + (kj >> 1) (stride 2: even and odd columns side by side). */
void rg_depthwise_scatter(int level, const float *dy, ptrdiff_t outHeight, ptrdiff_t outWidth,
                          const float *kernel, ptrdiff_t kernelHeight, ptrdiff_t kernelWidth, ptrdiff_t stride,
                          float *padded, ptrdiff_t rowLength);

/* Winograd F(2×2, 3×3) kernel transform U = G g Gᵀ, G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]],
 * of `pairs` 3×3 kernels stored one after another (9 floats each, row-major), or of their 180°
 * rotations when `flipped` is nonzero: element ξ = 4a + b of pair p goes to u[ξ * positionStride + p].
 * Each 1-D step computes (t0, ((t0 + t2) + t1)·½, ((t0 + t2) − t1)·½, t2), so an element depends on
 * its own kernel only, never on how the pairs are cut. */
void rg_winograd_kernel_transform(const float *kernels, ptrdiff_t pairs, int flipped, float *u, ptrdiff_t positionStride);

#endif
