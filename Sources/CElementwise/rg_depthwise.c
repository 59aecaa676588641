#include "rg_elementwise.h"

#include <stdlib.h>
#include <string.h>

/* No contraction of w * x + sum into a fused multiply–add: every kernel below rounds the product,
 * then the sum, exactly as the portable loop does, so all instruction sets give the same bits. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
/* GCC ignores the standard pragma (and contracts by default on aarch64): its own switch. */
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define RG_X86 1
#include <immintrin.h>
#else
#define RG_X86 0
#endif

int rg_isa_supported(int level) {
    if (level == RG_ISA_PORTABLE) return 1;
#if RG_X86 && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (level == RG_ISA_AVX2) return __builtin_cpu_supports("avx2") ? 1 : 0;
    if (level == RG_ISA_AVX512) return (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2")) ? 1 : 0;
#endif
    return 0;
}

int rg_isa_best(void) {
    int cap = RG_ISA_AVX512;
    const char *limit = getenv("RECTGRAD_MAX_ISA");
    if (limit != NULL) {
        if (strcmp(limit, "portable") == 0) cap = RG_ISA_PORTABLE;
        else if (strcmp(limit, "avx2") == 0) cap = RG_ISA_AVX2;
    }
    for (int level = cap; level > RG_ISA_PORTABLE; level--) {
        if (rg_isa_supported(level)) return level;
    }
    return RG_ISA_PORTABLE;
}

/* ---- Tap sums: wide[p] = Σ_t w[t] · in[stride·p + offsets[t]], p in [0, count) ---- */

static void taps_portable(const float *in, ptrdiff_t stride, const ptrdiff_t *offsets, const float *weights,
                          ptrdiff_t taps, float *wide, ptrdiff_t count) {
    for (ptrdiff_t p = 0; p < count; p++) {
        const float *base = in + stride * p;
        float sum = 0.0f;
        for (ptrdiff_t t = 0; t < taps; t++) {
            float product = weights[t] * base[offsets[t]];
            sum = sum + product;
        }
        wide[p] = sum;
    }
}

#if RG_X86

/* Four vectors of positions at a time (independent sums hide the addition latency), then one. */
#define RG_TAPS_BODY(VEC, WIDTH, SETZERO, BROADCAST, ADD, MUL, STORE, LOAD_AT)                       \
    ptrdiff_t p = 0;                                                                                   \
    for (; p + 4 * (WIDTH) <= rounded; p += 4 * (WIDTH)) {                                             \
        VEC s0 = SETZERO(), s1 = SETZERO(), s2 = SETZERO(), s3 = SETZERO();                            \
        const float *base = in + stride * p;                                                           \
        for (ptrdiff_t t = 0; t < taps; t++) {                                                         \
            VEC w = BROADCAST(weights[t]);                                                             \
            const float *x = base + offsets[t];                                                        \
            s0 = ADD(s0, MUL(w, LOAD_AT(x)));                                                          \
            s1 = ADD(s1, MUL(w, LOAD_AT(x + stride * (WIDTH))));                                       \
            s2 = ADD(s2, MUL(w, LOAD_AT(x + stride * 2 * (WIDTH))));                                   \
            s3 = ADD(s3, MUL(w, LOAD_AT(x + stride * 3 * (WIDTH))));                                   \
        }                                                                                              \
        STORE(wide + p, s0);                                                                           \
        STORE(wide + p + (WIDTH), s1);                                                                 \
        STORE(wide + p + 2 * (WIDTH), s2);                                                             \
        STORE(wide + p + 3 * (WIDTH), s3);                                                             \
    }                                                                                                  \
    for (; p < rounded; p += (WIDTH)) {                                                                \
        VEC s0 = SETZERO();                                                                            \
        const float *base = in + stride * p;                                                           \
        for (ptrdiff_t t = 0; t < taps; t++) {                                                         \
            s0 = ADD(s0, MUL(BROADCAST(weights[t]), LOAD_AT(base + offsets[t])));                      \
        }                                                                                              \
        STORE(wide + p, s0);                                                                           \
    }

__attribute__((target("avx2")))
static inline __m256 load8_even(const float *x) {
    __m256 a = _mm256_loadu_ps(x), b = _mm256_loadu_ps(x + 8);
    /* [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit pairs in the order 0, 2, 1, 3. */
    __m256 t = _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xD8));
}

__attribute__((target("avx2")))
static void taps_avx2(const float *in, ptrdiff_t stride, const ptrdiff_t *offsets, const float *weights,
                      ptrdiff_t taps, float *wide, ptrdiff_t count) {
    ptrdiff_t rounded = (count + 7) / 8 * 8;
    if (stride == 1) {
        RG_TAPS_BODY(__m256, 8, _mm256_setzero_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, _mm256_storeu_ps, _mm256_loadu_ps)
    } else {
        RG_TAPS_BODY(__m256, 8, _mm256_setzero_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, _mm256_storeu_ps, load8_even)
    }
}

__attribute__((target("avx512f")))
static inline __m512 load16_even(const float *x) {
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(x), evens, _mm512_loadu_ps(x + 16));
}

__attribute__((target("avx512f")))
static void taps_avx512(const float *in, ptrdiff_t stride, const ptrdiff_t *offsets, const float *weights,
                        ptrdiff_t taps, float *wide, ptrdiff_t count) {
    ptrdiff_t rounded = (count + 15) / 16 * 16;
    if (stride == 1) {
        RG_TAPS_BODY(__m512, 16, _mm512_setzero_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, _mm512_storeu_ps, _mm512_loadu_ps)
    } else {
        RG_TAPS_BODY(__m512, 16, _mm512_setzero_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, _mm512_storeu_ps, load16_even)
    }
}

#endif

static void taps_segment(int level, const float *in, ptrdiff_t stride, const ptrdiff_t *offsets, const float *weights,
                         ptrdiff_t taps, float *wide, ptrdiff_t count) {
#if RG_X86
    if (level == RG_ISA_AVX512) { taps_avx512(in, stride, offsets, weights, taps, wide, count); return; }
    if (level == RG_ISA_AVX2) { taps_avx2(in, stride, offsets, weights, taps, wide, count); return; }
#else
    (void)level;
#endif
    taps_portable(in, stride, offsets, weights, taps, wide, count);
}

void rg_depthwise_taps(int level, const float *in, ptrdiff_t inRowStride, ptrdiff_t stride, ptrdiff_t virtualWidth,
                       const ptrdiff_t *offsets, const float *weights, ptrdiff_t taps,
                       float *wide, float *out, ptrdiff_t outHeight, ptrdiff_t outWidth) {
    if (inRowStride == stride * virtualWidth) {
        /* Consecutive rows are one arithmetic sequence of positions: one segment. */
        taps_segment(level, in, stride, offsets, weights, taps, wide, outHeight * virtualWidth);
    } else {
        /* Row by row (a vector level's last vector of a row spills into the next row, which
         * is computed after it). */
        for (ptrdiff_t row = 0; row < outHeight; row++) {
            taps_segment(level, in + row * inRowStride, stride, offsets, weights, taps, wide + row * virtualWidth, virtualWidth);
        }
    }
    if (wide != out) {
        for (ptrdiff_t row = 0; row < outHeight; row++) {
            memcpy(out + row * outWidth, wide + row * virtualWidth, (size_t)outWidth * sizeof(float));
        }
    }
}

/* ---- Scatter: padded[row(oy, ki) + target(kj) + ox] += w[ki, kj] · dy[oy, ox] ---- */

static void scatter_row_portable(float *target, const float *upstream, float weight, ptrdiff_t count) {
    for (ptrdiff_t ox = 0; ox < count; ox++) {
        float product = weight * upstream[ox];
        target[ox] = target[ox] + product;
    }
}

#if RG_X86
__attribute__((target("avx2")))
static void scatter_row_avx2(float *target, const float *upstream, float weight, ptrdiff_t count) {
    __m256 w = _mm256_set1_ps(weight);
    ptrdiff_t ox = 0;
    for (; ox + 8 <= count; ox += 8) {
        _mm256_storeu_ps(target + ox, _mm256_add_ps(_mm256_loadu_ps(target + ox), _mm256_mul_ps(w, _mm256_loadu_ps(upstream + ox))));
    }
    scatter_row_portable(target + ox, upstream + ox, weight, count - ox);
}

__attribute__((target("avx512f")))
static void scatter_row_avx512(float *target, const float *upstream, float weight, ptrdiff_t count) {
    __m512 w = _mm512_set1_ps(weight);
    ptrdiff_t ox = 0;
    for (; ox + 16 <= count; ox += 16) {
        _mm512_storeu_ps(target + ox, _mm512_add_ps(_mm512_loadu_ps(target + ox), _mm512_mul_ps(w, _mm512_loadu_ps(upstream + ox))));
    }
    if (ox < count) {
        __mmask16 mask = (__mmask16)((1u << (count - ox)) - 1u);
        __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, target + ox), _mm512_mul_ps(w, _mm512_maskz_loadu_ps(mask, upstream + ox)));
        _mm512_mask_storeu_ps(target + ox, mask, sum);
    }
}
#endif

void rg_depthwise_scatter(int level, const float *dy, ptrdiff_t outHeight, ptrdiff_t outWidth,
                          const float *kernel, ptrdiff_t kernelHeight, ptrdiff_t kernelWidth, ptrdiff_t stride,
                          float *padded, ptrdiff_t rowLength) {
    ptrdiff_t half = rowLength / 2;
    for (ptrdiff_t oy = 0; oy < outHeight; oy++) {
        const float *upstream = dy + oy * outWidth;
        for (ptrdiff_t ki = 0; ki < kernelHeight; ki++) {
            float *row = padded + (oy * stride + ki) * rowLength;
            for (ptrdiff_t kj = 0; kj < kernelWidth; kj++) {
                float weight = kernel[ki * kernelWidth + kj];
                float *target = stride == 1 ? row + kj : row + (kj & 1) * half + (kj >> 1);
#if RG_X86
                if (level == RG_ISA_AVX512) { scatter_row_avx512(target, upstream, weight, outWidth); continue; }
                if (level == RG_ISA_AVX2) { scatter_row_avx2(target, upstream, weight, outWidth); continue; }
#else
                (void)level;
#endif
                scatter_row_portable(target, upstream, weight, outWidth);
            }
        }
    }
}
