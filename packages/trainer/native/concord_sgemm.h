// The built-in single-precision GEMM the native kernels use where OpenBLAS is not installed
// (build.mjs defines CONCORD_BUILTIN_SGEMM). See concord_sgemm.c.
#ifndef CONCORD_SGEMM_H
#define CONCORD_SGEMM_H

// Row-major C[m x n] = op(A)[m x k] * op(B)[k x n] + beta * C, op(X) = X or X^T (trans_a, trans_b non-zero),
// alpha fixed at 1 (every call in concord_kernels.c). lda, ldb, ldc are the row strides of A, B, C as
// stored, as in cblas_sgemm(CblasRowMajor, ...). beta 0 overwrites C without reading it. Runs on the calling
// thread only. Returns 0, or -1 when its packing buffers cannot be allocated (C is then unchanged).
int concord_sgemm(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b,
                  int ldb, float beta, float *c, int ldc);

// The micro-kernel this CPU runs, e.g. "avx512 12x32", "avx2 6x16", "generic 6x8".
const char *concord_sgemm_kernel(void);

#endif
