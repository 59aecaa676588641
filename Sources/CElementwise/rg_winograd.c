#include "rg_elementwise.h"

/* No contraction into fused multiply–adds: every level and compiler gives the same bits. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Pairs per block: their taps are laid out tap-major in a local array, so that the transform runs
 * over contiguous lanes. */
#define RG_WINOGRAD_BLOCK 16

/* The 1-D transform G·(t0, t1, t2) with G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]:
 * (t0, ((t0 + t2) + t1)·½, ((t0 + t2) − t1)·½, t2). */
static inline void rg_winograd_g(float t0, float t1, float t2, float out[4]) {
    float outer = t0 + t2;
    out[0] = t0;
    out[1] = (outer + t1) * 0.5f;
    out[2] = (outer - t1) * 0.5f;
    out[3] = t2;
}

void rg_winograd_kernel_transform(const float *kernels, ptrdiff_t pairs, int flipped, float *u, ptrdiff_t positionStride) {
    float taps[9][RG_WINOGRAD_BLOCK];
    float columns[4][3][RG_WINOGRAD_BLOCK];
    for (ptrdiff_t first = 0; first < pairs; first += RG_WINOGRAD_BLOCK) {
        ptrdiff_t lanes = pairs - first < RG_WINOGRAD_BLOCK ? pairs - first : RG_WINOGRAD_BLOCK;
        for (ptrdiff_t lane = 0; lane < lanes; lane++) {
            const float *g = kernels + (first + lane) * 9;
            for (int t = 0; t < 9; t++) taps[t][lane] = g[flipped ? 8 - t : t];
        }
        /* G·g: for each kernel column j, the four rows a. */
        for (int j = 0; j < 3; j++) {
            for (ptrdiff_t lane = 0; lane < lanes; lane++) {
                float out[4];
                rg_winograd_g(taps[j][lane], taps[3 + j][lane], taps[6 + j][lane], out);
                for (int a = 0; a < 4; a++) columns[a][j][lane] = out[a];
            }
        }
        /* (G·g)·Gᵀ: for each row a, the four columns b. */
        for (int a = 0; a < 4; a++) {
            for (ptrdiff_t lane = 0; lane < lanes; lane++) {
                float out[4];
                rg_winograd_g(columns[a][0][lane], columns[a][1][lane], columns[a][2][lane], out);
                for (int b = 0; b < 4; b++) u[(a * 4 + b) * positionStride + first + lane] = out[b];
            }
        }
    }
}
