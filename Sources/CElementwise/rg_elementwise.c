#include <stdint.h>
#include <string.h>
#include "rg_elementwise.h"

/* No contraction of x * a + b into a fused multiply–add: the Swift code rounds the product. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
/* GCC ignores the standard pragma (and contracts by default on aarch64): its own switch. */
#pragma GCC optimize("fp-contract=off")
#endif

void rg_affine(const float *x, float *y, ptrdiff_t count, float a, float b) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float product = x[i] * a;
        y[i] = product + b;
    }
}

void rg_affine_in_place(float *z, ptrdiff_t count, float a, float b) {
    /* One pointer: with x == y, rg_affine's vector loop is skipped by the compiler's overlap check. */
    for (ptrdiff_t i = 0; i < count; i++) {
        float product = z[i] * a;
        z[i] = product + b;
    }
}

void rg_relu(const float *x, float *y, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float z = x[i];
        y[i] = z <= 0.0f ? 0.0f : z;
    }
}

void rg_relu6(const float *x, float *y, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float z = x[i];
        float positive = z <= 0.0f ? 0.0f : z;
        y[i] = positive > 6.0f ? 6.0f : positive;
    }
}

void rg_affine_add_in_place(float *z, const float *other, ptrdiff_t count, float a, float b) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float product = z[i] * a;
        float v = product + b;
        z[i] = v + other[i];
    }
}

void rg_relu_in_place(float *z, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float v = z[i];
        z[i] = v <= 0.0f ? 0.0f : v;
    }
}

void rg_relu6_in_place(float *z, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float v = z[i];
        float positive = v <= 0.0f ? 0.0f : v;
        z[i] = positive > 6.0f ? 6.0f : positive;
    }
}

void rg_affine_relu_in_place(float *z, ptrdiff_t count, float a, float b) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float product = z[i] * a;
        float v = product + b;
        z[i] = v <= 0.0f ? 0.0f : v;
    }
}

void rg_affine_relu6_in_place(float *z, ptrdiff_t count, float a, float b) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float product = z[i] * a;
        float v = product + b;
        float positive = v <= 0.0f ? 0.0f : v;
        z[i] = positive > 6.0f ? 6.0f : positive;
    }
}

void rg_relu_gradient(const float *z, const float *r, float *y, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        y[i] = r[i] * (z[i] > 0.0f ? 1.0f : 0.0f);
    }
}

void rg_relu6_gradient(const float *z, const float *r, float *y, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        y[i] = r[i] * ((z[i] > 0.0f && z[i] < 6.0f) ? 1.0f : 0.0f);
    }
}

int rg_all_finite(const float *x, ptrdiff_t count) {
    // An element is not finite when its exponent bits are all ones. Blocks of 4096 without a
    // branch inside (the compiler vectorises the bitwise reduction); stop at the first bad block.
    ptrdiff_t start = 0;
    while (start < count) {
        ptrdiff_t end = count - start > 4096 ? start + 4096 : count;
        uint32_t bad = 0;
        for (ptrdiff_t i = start; i < end; i++) {
            uint32_t bits;
            memcpy(&bits, x + i, sizeof bits);
            bad |= (uint32_t)((bits & 0x7F800000u) == 0x7F800000u);
        }
        if (bad) return 0;
        start = end;
    }
    return 1;
}
