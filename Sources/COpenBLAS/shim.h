#ifndef RECTGRAD_COPENBLAS_SHIM_H
#define RECTGRAD_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
