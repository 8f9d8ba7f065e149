// 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) (concord_winograd.c), for concord_kernels.c. Tensors are
// NHWC, the filter [3,3,ci,co]; the sgemm is the addon's (OpenBLAS or builtin). Each returns 0, or -1 when
// its scratch cannot be allocated or the sgemm fails.
#ifndef CONCORD_WINOGRAD_H
#define CONCORD_WINOGRAD_H

typedef int (*concord_sgemm_fn)(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b,
                                int ldb, float beta, float *c, int ldc);

// Whether the Winograd path takes this convolution: 3x3, stride 1, dilation 1, top/left padding 0-2, at least
// 16 channels in and out, each a multiple of 4 (the narrowest vector).
int concord_wino_fits(int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int ci, int co);

// out[n,oh,ow,co] = conv(in[n,h,w,ci]) with padding pt, pl; `in` read through mask (> 0, same layout) when
// given. flip: the filter is w[3,3,co,ci] used rotated by 180 degrees with channels swapped, i.e. this
// computes the input gradient of the convolution by w when `in` is its dy (padding 2 - the forward's).
int concord_wino_conv(const float *in, const float *mask, const float *w, int flip, float *out, int n, int h,
                      int wd, int ci, int oh, int ow, int co, int pt, int pl, concord_sgemm_fn sgemm);

// dw[3,3,ci,co] = the filter gradient of out[n,oh,ow,co] = conv(x[n,h,w,ci]) with padding pt, pl, given dy
// (through mask when given).
int concord_wino_filter_grad(const float *x, const float *dy, const float *mask, float *dw, int n, int h, int wd,
                             int ci, int oh, int ow, int co, int pt, int pl, concord_sgemm_fn sgemm);

#endif
