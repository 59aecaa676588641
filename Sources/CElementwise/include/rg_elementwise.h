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
/* y[i] = x[i] <= 0 ? 0 : x[i] (NaN passes through; -0 becomes +0). */
void rg_relu(const float *x, float *y, ptrdiff_t count);
/* y[i] = min(max(x[i], 0), 6) as ReLU6Lanes: x <= 0 → 0, then > 6 → 6; NaN passes through. */
void rg_relu6(const float *x, float *y, ptrdiff_t count);
/* y[i] = r[i] * (z[i] > 0 ? 1 : 0). */
void rg_relu_gradient(const float *z, const float *r, float *y, ptrdiff_t count);
/* y[i] = r[i] * (0 < z[i] && z[i] < 6 ? 1 : 0). */
void rg_relu6_gradient(const float *z, const float *r, float *y, ptrdiff_t count);

#endif
