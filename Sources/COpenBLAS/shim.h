#ifndef RECTGRAD_COPENBLAS_SHIM_H
#define RECTGRAD_COPENBLAS_SHIM_H
#include <cblas.h>

/* Ends OpenBLAS's helper threads (the pthreads build starts them when the library loads); a
   later threaded call starts them again. Exported by every OpenBLAS build (GotoBLAS's name, used
   by OpenBLAS's own fork handler) but not declared in <cblas.h>. Returns 0. */
int blas_thread_shutdown_(void);
#endif
