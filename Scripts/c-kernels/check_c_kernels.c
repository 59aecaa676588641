/* Checks the package's C targets (CElementwise, and CImageCodecs when built with
 * -DRG_CHECK_CODECS) against references written here from their documented definitions.
 *
 * Built and run by Scripts/check-arm64-c.sh, natively (x86-64: every instruction-set level the
 * processor runs) and for aarch64 under qemu (the portable C paths). Every kernel of
 * CElementwise promises exact bits (products rounded, then added, in a stated order, no fused
 * multiply-add), so its results are compared bit for bit with plain loops:
 *   - the element-wise loops (affine, ReLU, ReLU6 and their gradients) on counts 0 ... 1001 with
 *     NaN, ±0, ±inf, 6 and its neighbours mixed in;
 *   - rg_depthwise_taps against its header's formula (both the one-segment and the row-by-row
 *     layouts);
 *   - a depthwise convolution (forward, and its input gradient with stride 1 and 2), set up on
 *     the kernels the way RectGradCore's DepthwisePadded does, against direct loops over the
 *     unpadded plane (every in-bounds tap, out-of-bounds taps skipped), with odd sizes, paddings
 *     0 ... k − 1 and non-square kernels; the forward is also compared with a float64 sum.
 * CImageCodecs: PNG encode/decode round trips (RGB; RGBA with alpha dropped or composited on
 * white by the header's formula), errors reported as statuses (truncated and corrupt files,
 * libpng's and libjpeg's longjmp paths), and JPEG decodes compared with Pillow's references in
 * the image corpus (largest channel difference ≤ 1, as RectGradImageTests require).
 *
 * Usage: check_c_kernels [CORPUS_FOLDER]   (the folder is needed only with -DRG_CHECK_CODECS)
 * Prints one line per group and "c-kernels: N passed, M failed"; exits 1 on any failure. */
#include "rg_elementwise.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The references round every product (the script also passes -ffp-contract=off). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__x86_64__)
#define ARCH_NAME "x86-64"
#elif defined(__aarch64__)
#define ARCH_NAME "aarch64"
#else
#define ARCH_NAME "other"
#endif

static int passed_checks = 0, failed_checks = 0;

static void report(const char *group, long cases, long mismatches, const char *detail) {
    if (mismatches == 0) {
        passed_checks++;
        printf("PASS %-44s %ld cases\n", group, cases);
    } else {
        failed_checks++;
        printf("FAIL %-44s %ld of %ld cases differ; first: %s\n", group, mismatches, cases, detail);
    }
}

/* ---- Seeded data ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t next_u32(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Uniform in [-2, 2), with exact zeros now and then. */
static float next_float(void) {
    uint32_t r = next_u32();
    if (r % 17 == 0) return (r & 32) ? 0.0f : -0.0f;
    return (float)((double)(r >> 8) / (double)(1u << 24) * 4.0 - 2.0);
}

static void fill(float *x, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) x[i] = next_float();
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

static void *checked_calloc(size_t count, size_t size) {
    void *p = calloc(count == 0 ? 1 : count, size);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ---- Element-wise loops ---- */

static float ref_affine(float x, float a, float b) {
    float product = x * a;
    return product + b;
}

static float ref_relu(float x) {
    if (isnan(x)) return x;
    return x > 0.0f ? x : 0.0f;
}

static float ref_relu6(float x) {
    if (isnan(x)) return x;
    if (!(x > 0.0f)) return 0.0f;
    return x > 6.0f ? 6.0f : x;
}

static float ref_relu_gradient(float z, float r) { return z > 0.0f ? r * 1.0f : r * 0.0f; }

static float ref_relu6_gradient(float z, float r) { return (z > 0.0f && z < 6.0f) ? r * 1.0f : r * 0.0f; }

static void check_elementwise(void) {
    static const ptrdiff_t counts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 33, 64, 1001};
    const float specials[] = {NAN, -NAN, 0.0f, -0.0f, INFINITY, -INFINITY, 6.0f, nextafterf(6.0f, 0.0f),
                              nextafterf(6.0f, 7.0f), 1e-45f, -1e-45f, 7.5f, -7.5f, 3.0e38f};
    const int special_count = (int)(sizeof specials / sizeof specials[0]);
    const char *names[] = {"rg_affine", "rg_relu", "rg_relu6", "rg_relu_gradient", "rg_relu6_gradient"};
    for (int which = 0; which < 5; which++) {
        long cases = 0, mismatches = 0;
        char detail[160] = "";
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            ptrdiff_t n = counts[c];
            float *x = checked_calloc((size_t)n, sizeof(float)), *r = checked_calloc((size_t)n, sizeof(float));
            float *y = checked_calloc((size_t)n, sizeof(float));
            fill(x, n);
            fill(r, n);
            for (ptrdiff_t i = 0; i < n; i++) {
                if (next_u32() % 4 == 0) x[i] = specials[next_u32() % (uint32_t)special_count];
                if (next_u32() % 8 == 0) r[i] = specials[next_u32() % (uint32_t)special_count];
                if (i < special_count) x[i] = specials[i];
                x[i] *= (which == 2 && i % 3 == 1) ? 4.0f : 1.0f; /* more values around 6 */
            }
            const float a = -1.7f, b = 0.3f;
            switch (which) {
            case 0: rg_affine(x, y, n, a, b); break;
            case 1: rg_relu(x, y, n); break;
            case 2: rg_relu6(x, y, n); break;
            case 3: rg_relu_gradient(x, r, y, n); break;
            default: rg_relu6_gradient(x, r, y, n); break;
            }
            for (ptrdiff_t i = 0; i < n; i++) {
                float expected = which == 0 ? ref_affine(x[i], a, b)
                               : which == 1 ? ref_relu(x[i])
                               : which == 2 ? ref_relu6(x[i])
                               : which == 3 ? ref_relu_gradient(x[i], r[i])
                                            : ref_relu6_gradient(x[i], r[i]);
                cases++;
                if (!same_bits(y[i], expected)) {
                    if (mismatches++ == 0)
                        snprintf(detail, sizeof detail, "count %td, i %td: x %a r %a gives %a, expected %a", n, i,
                                 (double)x[i], (double)r[i], (double)y[i], (double)expected);
                }
            }
            free(x);
            free(r);
            free(y);
        }
        report(names[which], cases, mismatches, detail);
    }
}

/* ---- Instruction-set levels ---- */

static int levels[3], level_count = 0;

static const char *level_name(int level) {
    return level == RG_ISA_AVX512 ? "avx512" : level == RG_ISA_AVX2 ? "avx2" : "portable";
}

static void check_levels(void) {
    long mismatches = 0;
    char detail[160] = "";
    if (!rg_isa_supported(RG_ISA_PORTABLE)) {
        mismatches++;
        snprintf(detail, sizeof detail, "portable level not supported");
    }
#if !defined(__x86_64__)
    if (rg_isa_supported(RG_ISA_AVX2) || rg_isa_supported(RG_ISA_AVX512) || rg_isa_best() != RG_ISA_PORTABLE) {
        mismatches++;
        snprintf(detail, sizeof detail, "an x86 level is reported on a processor without it");
    }
#endif
    setenv("RECTGRAD_MAX_ISA", "portable", 1);
    if (rg_isa_best() != RG_ISA_PORTABLE) {
        mismatches++;
        snprintf(detail, sizeof detail, "RECTGRAD_MAX_ISA=portable gives level %d", rg_isa_best());
    }
    setenv("RECTGRAD_MAX_ISA", "avx2", 1);
    if (rg_isa_best() > RG_ISA_AVX2) {
        mismatches++;
        snprintf(detail, sizeof detail, "RECTGRAD_MAX_ISA=avx2 gives level %d", rg_isa_best());
    }
    unsetenv("RECTGRAD_MAX_ISA");
    for (int level = RG_ISA_PORTABLE; level <= RG_ISA_AVX512; level++) {
        if (rg_isa_supported(level)) levels[level_count++] = level;
    }
    report("instruction-set levels and RECTGRAD_MAX_ISA", 4, mismatches, detail);
    printf("     levels run here:");
    for (int i = 0; i < level_count; i++) printf(" %s", level_name(levels[i]));
    printf("\n");
}

/* ---- rg_depthwise_taps against its header's formula ---- */

static void check_taps_formula(int level) {
    long cases = 0, mismatches = 0;
    char detail[200] = "", group[80];
    static const ptrdiff_t heights[] = {1, 2, 5}, widths[] = {1, 3, 8, 17, 31, 40}, tap_counts[] = {1, 4, 9, 25};
    for (int stride = 1; stride <= 2; stride++)
    for (size_t hi = 0; hi < 3; hi++)
    for (size_t wi = 0; wi < 6; wi++)
    for (size_t ti = 0; ti < 4; ti++)
    for (int layout = 0; layout < 2; layout++) {
        ptrdiff_t out_height = heights[hi], virtual_width = widths[wi], taps = tap_counts[ti];
        ptrdiff_t out_width = virtual_width - (layout == 1 ? virtual_width / 3 : 0);
        ptrdiff_t row_stride = stride * virtual_width + (layout == 1 ? 5 : 0);
        ptrdiff_t *offsets = checked_calloc((size_t)taps, sizeof(ptrdiff_t));
        ptrdiff_t max_offset = 0;
        for (ptrdiff_t t = 0; t < taps; t++) {
            offsets[t] = (ptrdiff_t)(next_u32() % 23);
            if (offsets[t] > max_offset) max_offset = offsets[t];
        }
        size_t in_count = (size_t)(out_height * row_stride + stride * (virtual_width + 64) + max_offset + 128);
        float *in = checked_calloc(in_count, sizeof(float)), *weights = checked_calloc((size_t)taps, sizeof(float));
        float *wide = checked_calloc((size_t)(out_height * virtual_width + 64), sizeof(float));
        float *out = checked_calloc((size_t)(out_height * out_width), sizeof(float));
        fill(in, (ptrdiff_t)in_count);
        fill(weights, taps);
        rg_depthwise_taps(level, in, row_stride, stride, virtual_width, offsets, weights, taps, wide, out, out_height, out_width);
        for (ptrdiff_t r = 0; r < out_height; r++) {
            for (ptrdiff_t q = 0; q < virtual_width; q++) {
                float sum = 0.0f;
                for (ptrdiff_t t = 0; t < taps; t++) {
                    float product = weights[t] * in[r * row_stride + stride * q + offsets[t]];
                    sum = sum + product;
                }
                float got_wide = wide[r * virtual_width + q];
                int bad = !same_bits(got_wide, sum) || (q < out_width && !same_bits(out[r * out_width + q], sum));
                cases++;
                if (bad && mismatches++ == 0)
                    snprintf(detail, sizeof detail, "stride %d, %tdx%td (out width %td, row stride %td), %td taps, at (%td, %td): %a, expected %a",
                             stride, out_height, virtual_width, out_width, row_stride, taps, r, q, (double)got_wide, (double)sum);
            }
        }
        free(offsets);
        free(in);
        free(weights);
        free(wide);
        free(out);
    }
    snprintf(group, sizeof group, "rg_depthwise_taps formula [%s]", level_name(level));
    report(group, cases, mismatches, detail);
}

/* ---- Depthwise convolution of one plane ---- */

typedef struct {
    ptrdiff_t height, width, kernel_height, kernel_width, stride, pad_top, pad_left;
} conv_shape;

static ptrdiff_t out_height_of(conv_shape s) { return (s.height + 2 * s.pad_top - s.kernel_height) / s.stride + 1; }
static ptrdiff_t out_width_of(conv_shape s) { return (s.width + 2 * s.pad_left - s.kernel_width) / s.stride + 1; }

enum { SLACK = 128 };

/* y = w ⋆ x, zero padding, from the definition: taps row by row, out-of-bounds taps skipped. */
static void naive_forward(conv_shape s, const float *x, const float *w, float *y, double *y64) {
    ptrdiff_t oh = out_height_of(s), ow = out_width_of(s);
    for (ptrdiff_t oy = 0; oy < oh; oy++) {
        for (ptrdiff_t ox = 0; ox < ow; ox++) {
            float sum = 0.0f;
            double sum64 = 0.0;
            for (ptrdiff_t ki = 0; ki < s.kernel_height; ki++) {
                for (ptrdiff_t kj = 0; kj < s.kernel_width; kj++) {
                    ptrdiff_t iy = oy * s.stride + ki - s.pad_top, ix = ox * s.stride + kj - s.pad_left;
                    if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                    float product = w[ki * s.kernel_width + kj] * x[iy * s.width + ix];
                    sum = sum + product;
                    sum64 += (double)w[ki * s.kernel_width + kj] * (double)x[iy * s.width + ix];
                }
            }
            y[oy * ow + ox] = sum;
            y64[oy * ow + ox] = sum64;
        }
    }
}

/* dx = ∂(Σ dy · y)/∂x from the definition: every (oy, ki, kj, ox) adds w · dy to the input
 * element it read, in that order (the order of the Swift reference loops). */
static void naive_input_gradient(conv_shape s, const float *dy, const float *w, float *dx) {
    ptrdiff_t oh = out_height_of(s), ow = out_width_of(s);
    memset(dx, 0, (size_t)(s.height * s.width) * sizeof(float));
    for (ptrdiff_t oy = 0; oy < oh; oy++)
    for (ptrdiff_t ki = 0; ki < s.kernel_height; ki++)
    for (ptrdiff_t kj = 0; kj < s.kernel_width; kj++)
    for (ptrdiff_t ox = 0; ox < ow; ox++) {
        ptrdiff_t iy = oy * s.stride + ki - s.pad_top, ix = ox * s.stride + kj - s.pad_left;
        if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
        float product = w[ki * s.kernel_width + kj] * dy[oy * ow + ox];
        dx[iy * s.width + ix] = dx[iy * s.width + ix] + product;
    }
}

/* Copies a plane into the middle of a zeroed padded plane (as DepthwisePadded.pad). */
static float *padded_copy(const float *plane, ptrdiff_t height, ptrdiff_t width, ptrdiff_t top, ptrdiff_t left,
                          ptrdiff_t padded_height, ptrdiff_t padded_width) {
    float *padded = checked_calloc((size_t)(padded_height * padded_width + SLACK), sizeof(float));
    for (ptrdiff_t row = 0; row < height; row++)
        memcpy(padded + (top + row) * padded_width + left, plane + row * width, (size_t)width * sizeof(float));
    return padded;
}

/* The forward as DepthwisePadded.forward sets it up on rg_depthwise_taps. */
static void kernel_forward(int level, conv_shape s, const float *x, const float *w, float *y) {
    ptrdiff_t oh = out_height_of(s), ow = out_width_of(s), kh = s.kernel_height, kw = s.kernel_width;
    ptrdiff_t padded_height = s.stride * oh + kh, padded_width = s.width + 2 * s.pad_left;
    ptrdiff_t virtual_width = s.stride == 1 ? padded_width : ow;
    float *padded = padded_copy(x, s.height, s.width, s.pad_top, s.pad_left, padded_height, padded_width);
    float *wide = checked_calloc((size_t)(oh * virtual_width + SLACK), sizeof(float));
    ptrdiff_t *offsets = checked_calloc((size_t)(kh * kw), sizeof(ptrdiff_t));
    for (ptrdiff_t t = 0; t < kh * kw; t++) offsets[t] = (t / kw) * padded_width + t % kw;
    rg_depthwise_taps(level, padded, s.stride * padded_width, s.stride, virtual_width, offsets, w, kh * kw, wide, y, oh, ow);
    free(padded);
    free(wide);
    free(offsets);
}

/* The input gradient as DepthwisePadded.backwardInput sets it up: stride 2 by
 * rg_depthwise_scatter into even/odd columns, stride 1 by rg_depthwise_taps with the kernel
 * flipped over a zero-padded copy of dy. */
static void kernel_input_gradient(int level, conv_shape s, const float *dy, const float *w, float *dx) {
    ptrdiff_t oh = out_height_of(s), ow = out_width_of(s), kh = s.kernel_height, kw = s.kernel_width;
    if (s.stride == 2) {
        ptrdiff_t padded_height = s.height + 2 * s.pad_top, padded_width = s.width + 2 * s.pad_left;
        ptrdiff_t row_length = 2 * ((padded_width + 1) / 2), half = row_length / 2;
        float *padded = checked_calloc((size_t)(padded_height * row_length + SLACK), sizeof(float));
        rg_depthwise_scatter(level, dy, oh, ow, w, kh, kw, 2, padded, row_length);
        for (ptrdiff_t iy = 0; iy < s.height; iy++) {
            for (ptrdiff_t ix = 0; ix < s.width; ix++) {
                ptrdiff_t column = ix + s.pad_left;
                dx[iy * s.width + ix] = padded[(iy + s.pad_top) * row_length + (column & 1) * half + (column >> 1)];
            }
        }
        free(padded);
        return;
    }
    ptrdiff_t top = kh - 1, left = kw - 1, padded_width = ow + 2 * left;
    ptrdiff_t padded_height = (oh + 2 * top > s.height + s.pad_top + kh ? oh + 2 * top : s.height + s.pad_top + kh) + 1;
    float *padded = padded_copy(dy, oh, ow, top, left, padded_height, padded_width);
    float *wide = checked_calloc((size_t)(s.height * padded_width + SLACK), sizeof(float));
    ptrdiff_t *offsets = checked_calloc((size_t)(kh * kw), sizeof(ptrdiff_t));
    float *flipped = checked_calloc((size_t)(kh * kw), sizeof(float));
    ptrdiff_t t = 0;
    for (ptrdiff_t a = 0; a < kh; a++) {
        for (ptrdiff_t b = kw - 1; b >= 0; b--, t++) {
            offsets[t] = (s.pad_top + a) * padded_width + s.pad_left + b;
            flipped[t] = w[(kh - 1 - a) * kw + (kw - 1 - b)];
        }
    }
    rg_depthwise_taps(level, padded, padded_width, 1, padded_width, offsets, flipped, kh * kw, wide, dx, s.height, s.width);
    free(padded);
    free(wide);
    free(offsets);
    free(flipped);
}

static void check_convolution(int level) {
    static const ptrdiff_t sizes[][2] = {{1, 1}, {2, 3}, {5, 7}, {7, 7}, {13, 11}, {14, 14}, {17, 33}, {29, 6}};
    static const ptrdiff_t kernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {3, 5}, {7, 7}, {2, 4}};
    long cases[3] = {0, 0, 0}, mismatches[3] = {0, 0, 0};
    char detail[3][200] = {"", "", ""}, group[80];
    double worst64 = 0.0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
    for (size_t ki = 0; ki < sizeof kernels / sizeof kernels[0]; ki++)
    for (ptrdiff_t stride = 1; stride <= 2; stride++)
    for (int padding = 0; padding < 3; padding++) {
        conv_shape s = {sizes[si][0], sizes[si][1], kernels[ki][0], kernels[ki][1], stride, 0, 0};
        s.pad_top = padding == 0 ? 0 : padding == 1 ? s.kernel_height / 2 : s.kernel_height - 1;
        s.pad_left = padding == 0 ? 0 : padding == 1 ? s.kernel_width / 2 : s.kernel_width - 1;
        if (s.height + 2 * s.pad_top < s.kernel_height || s.width + 2 * s.pad_left < s.kernel_width) continue;
        ptrdiff_t oh = out_height_of(s), ow = out_width_of(s), in_count = s.height * s.width, out_count = oh * ow;
        float *x = checked_calloc((size_t)in_count, sizeof(float)), *w = checked_calloc((size_t)(s.kernel_height * s.kernel_width), sizeof(float));
        float *dy = checked_calloc((size_t)out_count, sizeof(float));
        float *y = checked_calloc((size_t)out_count, sizeof(float)), *y_ref = checked_calloc((size_t)out_count, sizeof(float));
        double *y64 = checked_calloc((size_t)out_count, sizeof(double));
        float *dx = checked_calloc((size_t)in_count, sizeof(float)), *dx_ref = checked_calloc((size_t)in_count, sizeof(float));
        fill(x, in_count);
        fill(w, s.kernel_height * s.kernel_width);
        fill(dy, out_count);
        kernel_forward(level, s, x, w, y);
        naive_forward(s, x, w, y_ref, y64);
        for (ptrdiff_t i = 0; i < out_count; i++) {
            cases[0]++;
            if (!same_bits(y[i], y_ref[i]) && mismatches[0]++ == 0)
                snprintf(detail[0], sizeof detail[0], "%tdx%td, kernel %tdx%td, stride %td, padding %td/%td, output %td: %a, expected %a",
                         s.height, s.width, s.kernel_height, s.kernel_width, s.stride, s.pad_top, s.pad_left, i, (double)y[i], (double)y_ref[i]);
            double error = fabs((double)y[i] - y64[i]);
            if (error > worst64) worst64 = error;
        }
        kernel_input_gradient(level, s, dy, w, dx);
        naive_input_gradient(s, dy, w, dx_ref);
        int which = stride == 1 ? 1 : 2;
        for (ptrdiff_t i = 0; i < in_count; i++) {
            cases[which]++;
            if (!same_bits(dx[i], dx_ref[i]) && mismatches[which]++ == 0)
                snprintf(detail[which], sizeof detail[which], "%tdx%td, kernel %tdx%td, padding %td/%td, input %td: %a, expected %a",
                         s.height, s.width, s.kernel_height, s.kernel_width, s.pad_top, s.pad_left, i, (double)dx[i], (double)dx_ref[i]);
        }
        free(x); free(w); free(dy); free(y); free(y_ref); free(y64); free(dx); free(dx_ref);
    }
    snprintf(group, sizeof group, "depthwise forward [%s]", level_name(level));
    if (worst64 > 1e-5 && mismatches[0]++ == 0)
        snprintf(detail[0], sizeof detail[0], "largest difference from the float64 sum %.3g", worst64);
    report(group, cases[0], mismatches[0], detail[0]);
    snprintf(group, sizeof group, "depthwise input gradient, stride 1 [%s]", level_name(level));
    report(group, cases[1], mismatches[1], detail[1]);
    snprintf(group, sizeof group, "depthwise input gradient, stride 2 [%s]", level_name(level));
    report(group, cases[2], mismatches[2], detail[2]);
}

#ifdef RG_CHECK_CODECS
#include "rg_image_codecs.h"

static uint8_t *read_file(const char *folder, const char *name, size_t *size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *data = checked_calloc((size_t)(length > 0 ? length : 1), 1);
    *size = fread(data, 1, (size_t)length, file);
    fclose(file);
    return data;
}

/* Decodes a PNG or JPEG to RGB; NULL on failure (status in *status). */
static uint8_t *decode_rgb(const uint8_t *data, size_t size, int jpeg, rg_alpha_mode alpha, rg_image_info *info, rg_codec_status *status) {
    char message[256] = "";
    *status = jpeg ? rg_jpeg_read_info(data, size, RG_JPEG_WARNING_POLICY_REJECT, info, message, sizeof message)
                   : rg_png_read_info(data, size, alpha, info, message, sizeof message);
    if (*status != RG_CODEC_STATUS_OK) return NULL;
    size_t capacity = (size_t)info->width * info->height * (size_t)info->working_channels;
    uint8_t *pixels = checked_calloc(capacity, 1);
    *status = jpeg ? rg_jpeg_decode(data, size, RG_JPEG_WARNING_POLICY_REJECT, info->width, info->height, pixels, capacity, message, sizeof message)
                   : rg_png_decode(data, size, alpha, info->width, info->height, pixels, capacity, message, sizeof message);
    if (*status != RG_CODEC_STATUS_OK) {
        free(pixels);
        return NULL;
    }
    return pixels;
}

static void check_codecs(const char *corpus) {
    const uint32_t width = 13, height = 7;
    uint8_t rgba[13 * 7 * 4], rgb[13 * 7 * 3];
    for (uint32_t i = 0; i < width * height * 4; i++) rgba[i] = (uint8_t)next_u32();
    for (uint32_t p = 0; p < width * height; p++) memcpy(rgb + 3 * p, rgba + 4 * p, 3);
    rgba[3] = 0;
    rgba[7] = 255;
    char message[256] = "";
    long mismatches = 0, cases = 0;
    char detail[200] = "";

    /* RGB round trip. */
    uint8_t *encoded = NULL;
    size_t encoded_size = 0;
    rg_codec_status status = rg_png_encode(rgb, width, height, 3, 6, &encoded, &encoded_size, message, sizeof message);
    rg_image_info info;
    uint8_t *decoded = status == RG_CODEC_STATUS_OK ? decode_rgb(encoded, encoded_size, 0, RG_ALPHA_MODE_DROP, &info, &status) : NULL;
    cases++;
    if (decoded == NULL || info.width != width || info.height != height || info.stored_components != 3 || info.bit_depth != 8
        || info.has_alpha || memcmp(decoded, rgb, sizeof rgb) != 0) {
        mismatches++;
        snprintf(detail, sizeof detail, "RGB round trip (status %d)", (int)status);
    }
    /* Truncated: the first half of the file. */
    if (encoded != NULL) {
        rg_image_info truncated_info;
        rg_codec_status truncated = RG_CODEC_STATUS_OK;
        uint8_t *pixels = decode_rgb(encoded, encoded_size / 2, 0, RG_ALPHA_MODE_DROP, &truncated_info, &truncated);
        cases++;
        if (pixels != NULL || truncated != RG_CODEC_STATUS_TRUNCATED) {
            mismatches++;
            snprintf(detail, sizeof detail, "half a PNG gives status %d, expected TRUNCATED", (int)truncated);
        }
        free(pixels);
    }
    free(decoded);
    rg_codec_free(encoded);
    report("png: RGB round trip, truncated file", cases, mismatches, detail);

    /* RGBA: alpha dropped, and composited on white by the header's formula. */
    mismatches = 0;
    cases = 0;
    encoded = NULL;
    status = rg_png_encode(rgba, width, height, 4, -1, &encoded, &encoded_size, message, sizeof message);
    for (int mode = 0; mode < 2 && status == RG_CODEC_STATUS_OK; mode++) {
        rg_codec_status decode_status;
        decoded = decode_rgb(encoded, encoded_size, 0, mode == 0 ? RG_ALPHA_MODE_DROP : RG_ALPHA_MODE_COMPOSITE_ON_WHITE, &info, &decode_status);
        for (uint32_t p = 0; p < width * height; p++) {
            for (int c = 0; c < 3; c++) {
                unsigned value = rgba[4 * p + (uint32_t)c], alpha = rgba[4 * p + 3];
                /* (c·a + 255·(255 − a)) / 255 rounded to nearest (no ties: the remainder is an integer). */
                unsigned expected = mode == 0 ? value : (value * alpha + 255u * (255u - alpha) + 127u) / 255u;
                cases++;
                if ((decoded == NULL || decoded[3 * p + (uint32_t)c] != expected) && mismatches++ == 0)
                    snprintf(detail, sizeof detail, "mode %d, pixel %u channel %d: %d, expected %u (status %d)", mode, p, c,
                             decoded == NULL ? -1 : decoded[3 * p + (uint32_t)c], expected, (int)decode_status);
            }
        }
        free(decoded);
    }
    if (status != RG_CODEC_STATUS_OK) {
        mismatches++;
        snprintf(detail, sizeof detail, "RGBA encode failed: %s", message);
    }
    rg_codec_free(encoded);
    report("png: RGBA, alpha dropped and composited", cases, mismatches, detail);

    /* The corpus: corrupt files give statuses (longjmp inside the C wrapper), JPEGs match Pillow. */
    mismatches = 0;
    cases = 0;
    static const struct { const char *name; int jpeg; rg_codec_status expected; } bad[] = {
        {"bad-crc.png", 0, RG_CODEC_STATUS_CORRUPT}, {"truncated.png", 0, RG_CODEC_STATUS_TRUNCATED},
        {"truncated.jpg", 1, RG_CODEC_STATUS_TRUNCATED}, {"corrupt-huffman.jpg", 1, RG_CODEC_STATUS_CORRUPT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t size = 0;
        uint8_t *data = read_file(corpus, bad[i].name, &size);
        rg_codec_status got = RG_CODEC_STATUS_OK;
        uint8_t *pixels = data == NULL ? NULL : decode_rgb(data, size, bad[i].jpeg, RG_ALPHA_MODE_COMPOSITE_ON_WHITE, &info, &got);
        cases++;
        if (data == NULL || pixels != NULL || got != bad[i].expected) {
            if (mismatches++ == 0)
                snprintf(detail, sizeof detail, "%s: %s status %d, expected %d", bad[i].name, data == NULL ? "missing," : "", (int)got, (int)bad[i].expected);
        }
        free(pixels);
        free(data);
    }
    report("corpus: corrupt and truncated files", cases, mismatches, detail);

    mismatches = 0;
    cases = 0;
    static const char *jpegs[] = {"rgb.jpg", "gray.jpg", "cmyk.jpg", "progressive.jpg"};
    for (size_t i = 0; i < sizeof jpegs / sizeof jpegs[0]; i++) {
        char reference_name[256];
        snprintf(reference_name, sizeof reference_name, "%s.pillow.png", jpegs[i]);
        size_t size = 0, reference_size = 0;
        uint8_t *data = read_file(corpus, jpegs[i], &size), *reference = read_file(corpus, reference_name, &reference_size);
        rg_image_info jpeg_info, png_info;
        rg_codec_status jpeg_status = RG_CODEC_STATUS_INVALID_ARGUMENT, png_status = RG_CODEC_STATUS_INVALID_ARGUMENT;
        uint8_t *ours = data == NULL ? NULL : decode_rgb(data, size, 1, RG_ALPHA_MODE_COMPOSITE_ON_WHITE, &jpeg_info, &jpeg_status);
        uint8_t *pillow = reference == NULL ? NULL : decode_rgb(reference, reference_size, 0, RG_ALPHA_MODE_COMPOSITE_ON_WHITE, &png_info, &png_status);
        int largest = -1;
        if (ours != NULL && pillow != NULL && jpeg_info.width == png_info.width && jpeg_info.height == png_info.height) {
            largest = 0;
            for (size_t j = 0; j < (size_t)jpeg_info.width * jpeg_info.height * 3; j++) {
                int difference = abs((int)ours[j] - (int)pillow[j]);
                if (difference > largest) largest = difference;
            }
        }
        cases++;
        if ((largest < 0 || largest > 1) && mismatches++ == 0)
            snprintf(detail, sizeof detail, "%s: largest difference from Pillow %d (statuses %d, %d)", jpegs[i], largest, (int)jpeg_status, (int)png_status);
        free(data); free(reference); free(ours); free(pillow);
    }
    report("corpus: JPEG decodes vs Pillow (<= 1)", cases, mismatches, detail);
}
#endif

int main(int argc, char **argv) {
    printf("c-kernels check on %s\n", ARCH_NAME);
    check_elementwise();
    check_levels();
    for (int i = 0; i < level_count; i++) {
        check_taps_formula(levels[i]);
        check_convolution(levels[i]);
    }
#ifdef RG_CHECK_CODECS
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_FOLDER (Tests/RectGradImageTests/Corpus)\n", argv[0]);
        return 2;
    }
    check_codecs(argv[1]);
#else
    (void)argc;
    (void)argv;
    printf("     (CImageCodecs not linked: built without -DRG_CHECK_CODECS)\n");
#endif
    printf("c-kernels (%s): %d passed, %d failed\n", ARCH_NAME, passed_checks, failed_checks);
    return failed_checks == 0 ? 0 : 1;
}
