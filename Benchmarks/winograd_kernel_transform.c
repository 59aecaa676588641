/* The Winograd F(2×2, 3×3) kernel transform U = G g Gᵀ two ways, single-threaded (Docs/benchmarks.md,
 * "Session 11"): as the 16 × 9 OpenBLAS product the kernels used until session 10, and as the C loop
 * of two 1-D steps that replaced it (Sources/CElementwise/rg_winograd.c). Minimum of repeated calls,
 * in ms, for whole kernels of n→n channels (the transformed kernel leaves the caches from 128→128
 * on) and for 32-channel blocks as the channel-block path transforms them (in cache).
 *
 *   clang -O3 Benchmarks/winograd_kernel_transform.c Sources/CElementwise/rg_winograd.c \
 *       -ISources/CElementwise/include $(pkg-config --cflags --libs openblas) -o /tmp/wkt && /tmp/wkt
 */
#include <cblas.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "rg_elementwise.h"
extern void openblas_set_num_threads(int);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec * 1e-6; }

static void time_pairs(const char *label, long pairs, int repeats) {
    float kron[16 * 9];
    const float g[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
    for (int a = 0; a < 4; a++) for (int b = 0; b < 4; b++) for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++)
        kron[(a * 4 + b) * 9 + i * 3 + j] = g[a][i] * g[b][j];
    float *w = malloc(sizeof(float) * pairs * 9), *u = malloc(sizeof(float) * pairs * 16);
    if (!w || !u) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (long i = 0; i < pairs * 9; i++) w[i] = (float)(i % 17) * 0.1f - 0.8f;
    double product = 1e30, loop = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 16, (int)pairs, 9, 1, kron, 9, w, 9, 0, u, (int)pairs);
        double t1 = now();
        rg_winograd_kernel_transform(w, pairs, 0, u, pairs);
        double t2 = now();
        if (t1 - t0 < product) product = t1 - t0;
        if (t2 - t1 < loop) loop = t2 - t1;
    }
    printf("| %s | %ld | %.4f | %.4f | %.2f |\n", label, pairs, product, loop, loop / product);
    free(w); free(u);
}

int main(void) {
    openblas_set_num_threads(1);
    printf("| kernels | pairs | 16×9 product ms | C loop ms | loop / product |\n| --- | ---: | ---: | ---: | ---: |\n");
    const long channels[] = {64, 128, 256, 512};
    char label[64];
    for (int i = 0; i < 4; i++) { snprintf(label, sizeof label, "whole %ld→%ld", channels[i], channels[i]); time_pairs(label, channels[i] * channels[i], 9); }
    for (int i = 0; i < 4; i++) { snprintf(label, sizeof label, "block of 32 outputs × %ld inputs", channels[i]); time_pairs(label, 32 * channels[i], 51); }
    return 0;
}
