// Native CPU kernels for the tfjs WASM backend: convolution forward/backward and matmul as im2col +
// sgemm, plus two memory-bound helpers. They read and write the WASM heap directly (every argument is a
// Float32Array view on it) and run synchronously on the calling thread, so each data-parallel gradient
// worker computes on its own core. See ../src/kernels/native-kernels.ts for the glue.
//
// The sgemm is OpenBLAS's, or with CONCORD_BUILTIN_SGEMM (build.mjs, where OpenBLAS is not installed) our
// own from concord_sgemm.c; the addon's `sgemm` property says which.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "concord_napi.h"
#include "concord_winograd.h"

#ifdef CONCORD_BUILTIN_SGEMM
#include "concord_sgemm.h"
#define SGEMM_NAME "builtin"

static int sgemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc) {
  return concord_sgemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

static const char *sgemm_kernel(void) { return concord_sgemm_kernel(); }
#else
#include <cblas.h>
#define SGEMM_NAME "openblas"
extern void openblas_set_num_threads(int);
extern char *openblas_get_corename(void);

static int sgemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
              lda, b, ldb, beta, c, ldc);
  return 0;
}

static const char *sgemm_kernel(void) { return openblas_get_corename(); }
#endif

// Row-major C = op(A) op(B) + beta C; throws from the calling N-API function when the sgemm cannot run.
#define SGEMM(fn, ...)                                                         \
  do {                                                                         \
    if (sgemm(__VA_ARGS__) != 0) {                                             \
      napi_throw_error(env, NULL, fn ": out of memory");                       \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

// Per-thread scratch for im2col columns, grown on demand and kept between calls.
static __thread float *scratch = NULL;
static __thread size_t scratch_len = 0;

static float *scratch_get(size_t floats) {
  if (floats > scratch_len) {
    free(scratch);
    scratch = (float *)malloc(floats * sizeof(float));
    scratch_len = scratch ? floats : 0;
  }
  return scratch;
}

// Parses the common (Float32Array, Float32Array, Float32Array, Int32Array params[, Float32Array | null])
// signature; throws the usage string and returns 0 on anything else. The optional fifth array comes back in
// *opt (NULL when absent or null), its length in *lopt.
static int args_3f_p(napi_env env, napi_callback_info info, const char *usage, float **a, float **b,
                     float **c, int32_t **p, size_t min_params, float **opt, size_t *lopt) {
  size_t argc = 5, la, lb, lc, lp, lo = 0;
  napi_value argv[5];
  float *o = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      !get_f32(env, argv[0], a, &la) || !get_f32(env, argv[1], b, &lb) || !get_f32(env, argv[2], c, &lc) ||
      !get_i32(env, argv[3], p, &lp) || lp < min_params || (argc > 4 && !get_f32_or_null(env, argv[4], &o, &lo))) {
    napi_throw_error(env, NULL, usage);
    return 0;
  }
  if (opt) {
    *opt = o;
    *lopt = lo;
  }
  return 1;
}

typedef struct {
  int n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pl, dh, dw;
} conv_t;

// (x|dy, filter|dy, out, params[15][, mask]) -> pointers + geometry. The mask, where a kernel takes one, is
// the output of a fused ReLU, as long as dy.
static int conv_args(napi_env env, napi_callback_info info, const char *usage, float **a, float **b,
                     float **c, conv_t *g, float **mask) {
  int32_t *p;
  size_t lmask = 0;
  if (!args_3f_p(env, info, usage, a, b, c, &p, 15, mask, &lmask)) return 0;
  g->n = p[0]; g->h = p[1]; g->w = p[2]; g->ci = p[3]; g->kh = p[4]; g->kw = p[5]; g->co = p[6];
  g->oh = p[7]; g->ow = p[8]; g->sh = p[9]; g->sw = p[10]; g->pt = p[11]; g->pl = p[12];
  g->dh = p[13]; g->dw = p[14];
  if (mask && *mask && lmask != (size_t)g->n * g->oh * g->ow * g->co) {
    napi_throw_error(env, NULL, "conv: the ReLU mask must be as long as dy");
    return 0;
  }
  return 1;
}

// dy rows [r0, r0 + nr) through the fused ReLU's mask, into buf; or dy itself without a mask.
__attribute__((noinline)) static const float *masked_rows(const float *restrict dy, const float *restrict mask, float *restrict buf, size_t r0,
                                size_t nr, int co) {
  if (!mask) return dy + r0 * co;
  const float *restrict g = dy + r0 * co, *restrict m = mask + r0 * co;
  for (size_t i = 0; i < nr * co; i++) {
    const float v = g[i];  // loaded unconditionally, so the select vectorises
    buf[i] = m[i] > 0.0f ? v : 0.0f;
  }
  return buf;
}

static int is_pointwise(const conv_t *c) {
  return c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 && c->pl == 0 &&
         c->oh == c->h && c->ow == c->w;
}

// Output rows (image positions) per im2col chunk: the chunk's columns stay within ~CHUNK_BYTES, so they are
// written and read back by the sgemm while still in L2, instead of a whole batch of columns going through
// memory; at least 64 rows, so the sgemm keeps an efficient shape.
#ifndef CHUNK_BYTES
#define CHUNK_BYTES (512u << 10)
#endif
static int chunk_rows(const conv_t *c) {
  size_t krow = (size_t)c->kh * c->kw * c->ci;
  size_t rows = CHUNK_BYTES / (krow * sizeof(float));
  if (rows < 64) rows = 64;
  size_t total = (size_t)c->n * c->oh * c->ow;
  if (rows > total) rows = total;
  return (int)rows;
}

// cols[r - r0, (ky, kx, ci)] for the output rows r in [r0, r0 + nr) (r = (img * oh + oy) * ow + ox): the
// filter's [kh,kw,ci,co] layout as a matrix.
static void im2col(const conv_t *c, const float *x, float *cols, int r0, int nr) {
  const size_t krow = (size_t)c->kh * c->kw * c->ci;
  const int per = c->oh * c->ow;
  for (int r = r0; r < r0 + nr; r++) {
    const int b = r / per, rem = r - b * per, oy = rem / c->ow, ox = rem - oy * c->ow;
    const float *img = x + (size_t)b * c->h * c->w * c->ci;
    float *row = cols + (size_t)(r - r0) * krow;
    for (int ky = 0; ky < c->kh; ky++) {
      const int iy = oy * c->sh - c->pt + ky * c->dh;
      for (int kx = 0; kx < c->kw; kx++) {
        const int ix = ox * c->sw - c->pl + kx * c->dw;
        float *dst = row + ((size_t)ky * c->kw + kx) * c->ci;
        if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w) {
          memset(dst, 0, sizeof(float) * c->ci);
        } else {
          memcpy(dst, img + ((size_t)iy * c->w + ix) * c->ci, sizeof(float) * c->ci);
        }
      }
    }
  }
}

// The adjoint of im2col: dx += cols of rows [r0, r0 + nr) scattered back (dx zeroed first).
static void col2im(const conv_t *c, const float *cols, float *dx, int r0, int nr) {
  const size_t krow = (size_t)c->kh * c->kw * c->ci;
  const int per = c->oh * c->ow;
  for (int r = r0; r < r0 + nr; r++) {
    const int b = r / per, rem = r - b * per, oy = rem / c->ow, ox = rem - oy * c->ow;
    float *img = dx + (size_t)b * c->h * c->w * c->ci;
    const float *row = cols + (size_t)(r - r0) * krow;
    for (int ky = 0; ky < c->kh; ky++) {
      const int iy = oy * c->sh - c->pt + ky * c->dh;
      if (iy < 0 || iy >= c->h) continue;
      for (int kx = 0; kx < c->kw; kx++) {
        const int ix = ox * c->sw - c->pl + kx * c->dw;
        if (ix < 0 || ix >= c->w) continue;
        const float *src = row + ((size_t)ky * c->kw + kx) * c->ci;
        float *dst = img + ((size_t)iy * c->w + ix) * c->ci;
        for (int k = 0; k < c->ci; k++) dst[k] += src[k];
      }
    }
  }
}

// conv2d(x, filter, out, params): out[n,oh,ow,co] = conv(x[n,h,w,ci], filter[kh,kw,ci,co]).
static napi_value conv2d(napi_env env, napi_callback_info info) {
  float *x, *f, *out;
  conv_t c;
  if (!conv_args(env, info, "conv2d(x, filter, out, params): bad arguments", &x, &f, &out, &c, NULL)) return NULL;
  const int K = c.kh * c.kw * c.ci;
  if (is_pointwise(&c)) {
    SGEMM("conv2d", 0, 0, c.n * c.h * c.w, c.co, c.ci, x, c.ci, f, c.co, 0.0f, out, c.co);
    return NULL;
  }
  if (concord_wino_fits(c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl, c.ci, c.co)) {
    if (concord_wino_conv(x, NULL, f, 0, out, c.n, c.h, c.w, c.ci, c.oh, c.ow, c.co, c.pt, c.pl, sgemm) != 0)
      napi_throw_error(env, NULL, "conv2d: out of memory");
    return NULL;
  }
  const int chunk = chunk_rows(&c), total = c.n * c.oh * c.ow;
  float *cols = scratch_get((size_t)chunk * K);
  if (!cols) {
    napi_throw_error(env, NULL, "conv2d: out of memory");
    return NULL;
  }
  for (int r0 = 0; r0 < total; r0 += chunk) {
    const int nr = r0 + chunk <= total ? chunk : total - r0;
    im2col(&c, x, cols, r0, nr);
    SGEMM("conv2d", 0, 0, nr, c.co, K, cols, K, f, c.co, 0.0f, out + (size_t)r0 * c.co, c.co);
  }
  return NULL;
}

// conv2dBackpropInput(dy, filter, dx, params[, mask]): dx = conv^T(dy) through the same geometry; with a
// mask (the output of a ReLU fused into the forward convolution), dy where mask > 0, else 0.
static napi_value conv2d_backprop_input(napi_env env, napi_callback_info info) {
  float *dy, *f, *dx, *mask;
  conv_t c;
  if (!conv_args(env, info, "conv2dBackpropInput(dy, filter, dx, params, mask): bad arguments", &dy, &f, &dx, &c,
                 &mask))
    return NULL;
  const int K = c.kh * c.kw * c.ci, total = c.n * c.oh * c.ow;
  if (is_pointwise(&c)) {
    float *buf = mask ? scratch_get((size_t)total * c.co) : NULL;
    if (mask && !buf) {
      napi_throw_error(env, NULL, "conv2dBackpropInput: out of memory");
      return NULL;
    }
    const float *g = masked_rows(dy, mask, buf, 0, total, c.co);
    SGEMM("conv2dBackpropInput", 0, 1, total, c.ci, c.co, g, c.co, f, c.co, 0.0f, dx, c.ci);
    return NULL;
  }
  // The same convolution of dy by the flipped filter, padded by 2 - the forward's padding.
  if (concord_wino_fits(c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, 2 - c.pt, 2 - c.pl, c.co, c.ci)) {
    if (concord_wino_conv(dy, mask, f, 1, dx, c.n, c.oh, c.ow, c.co, c.h, c.w, c.ci, 2 - c.pt, 2 - c.pl, sgemm) != 0)
      napi_throw_error(env, NULL, "conv2dBackpropInput: out of memory");
    return NULL;
  }
  memset(dx, 0, sizeof(float) * (size_t)c.n * c.h * c.w * c.ci);
  const int chunk = chunk_rows(&c);
  float *cols = scratch_get((size_t)chunk * (K + c.co));
  if (!cols) {
    napi_throw_error(env, NULL, "conv2dBackpropInput: out of memory");
    return NULL;
  }
  float *buf = cols + (size_t)chunk * K;
  for (int r0 = 0; r0 < total; r0 += chunk) {
    const int nr = r0 + chunk <= total ? chunk : total - r0;
    const float *g = masked_rows(dy, mask, buf, r0, nr, c.co);
    SGEMM("conv2dBackpropInput", 0, 1, nr, K, c.co, g, c.co, f, c.co, 0.0f, cols, K);
    col2im(&c, cols, dx, r0, nr);
  }
  return NULL;
}

// conv2dBackpropFilter(x, dy, dw, params[, mask]): dw[kh,kw,ci,co] = sum over images and positions; the
// mask as in conv2dBackpropInput.
static napi_value conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  float *x, *dy, *dw, *mask;
  conv_t c;
  if (!conv_args(env, info, "conv2dBackpropFilter(x, dy, dw, params, mask): bad arguments", &x, &dy, &dw, &c,
                 &mask))
    return NULL;
  const int K = c.kh * c.kw * c.ci, total = c.n * c.oh * c.ow;
  if (concord_wino_fits(c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl, c.ci, c.co)) {
    if (concord_wino_filter_grad(x, dy, mask, dw, c.n, c.h, c.w, c.ci, c.oh, c.ow, c.co, c.pt, c.pl, sgemm) != 0)
      napi_throw_error(env, NULL, "conv2dBackpropFilter: out of memory");
    return NULL;
  }
  const int chunk = is_pointwise(&c) ? (total < 4096 ? total : 4096) : chunk_rows(&c);
  float *cols = scratch_get((size_t)chunk * (K + c.co));
  if (!cols) {
    napi_throw_error(env, NULL, "conv2dBackpropFilter: out of memory");
    return NULL;
  }
  float *buf = cols + (size_t)chunk * K;
  if (is_pointwise(&c) && !mask) {
    SGEMM("conv2dBackpropFilter", 1, 0, c.ci, c.co, total, x, c.ci, dy, c.co, 0.0f, dw, c.co);
    return NULL;
  }
  for (int r0 = 0; r0 < total; r0 += chunk) {
    const int nr = r0 + chunk <= total ? chunk : total - r0;
    const float *a = x + (size_t)r0 * c.ci;
    if (!is_pointwise(&c)) {
      im2col(&c, x, cols, r0, nr);
      a = cols;
    }
    const float *g = masked_rows(dy, mask, buf, r0, nr, c.co);
    SGEMM("conv2dBackpropFilter", 1, 0, K, c.co, nr, a, K, g, c.co, r0 == 0 ? 0.0f : 1.0f, dw, c.co);
  }
  return NULL;
}

// gemm(a, b, out, [batch, m, n, k, transA, transB, strideA, strideB]): out[i] = op(a[i]) x op(b[i]);
// a stride of 0 broadcasts that operand over the batch.
static napi_value gemm(napi_env env, napi_callback_info info) {
  float *a, *b, *out;
  int32_t *p;
  if (!args_3f_p(env, info, "gemm(a, b, out, params): bad arguments", &a, &b, &out, &p, 8, NULL, NULL)) return NULL;
  const int batch = p[0], m = p[1], n = p[2], k = p[3], ta = p[4], tb = p[5];
  const size_t sa = (size_t)p[6], sb = (size_t)p[7];
  for (int i = 0; i < batch; i++) {
    SGEMM("gemm", ta, tb, m, n, k, a + i * sa, ta ? m : k, b + i * sb, tb ? k : n, 0.0f, out + (size_t)i * m * n,
          n);
  }
  return NULL;
}

// biasAct(x, bias | null, act): x[r, c] = act(x[r, c] + bias[c]) in place; act 0 linear, 1 relu.
static napi_value bias_act(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x, *bias = NULL;
  size_t lx, lb = 0;
  int32_t act;
  napi_valuetype t;
  if (argc < 3 || !get_f32(env, argv[0], &x, &lx)) {
    napi_throw_error(env, NULL, "biasAct(x, bias, act): bad arguments");
    return NULL;
  }
  CHECK(napi_typeof(env, argv[1], &t));
  if (t != napi_null && t != napi_undefined && !get_f32(env, argv[1], &bias, &lb)) {
    napi_throw_error(env, NULL, "biasAct: bias must be a Float32Array or null");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[2], &act));
  if (bias && (lb == 0 || lx % lb != 0)) {
    napi_throw_error(env, NULL, "biasAct: bias length must divide x length");
    return NULL;
  }
  if (bias) {
    for (size_t i = 0; i < lx; i += lb)
      for (size_t j = 0; j < lb; j++) x[i + j] += bias[j];
  }
  if (act == 1)
    for (size_t i = 0; i < lx; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
  return NULL;
}

// Whether a row-major rows x cols matrix with row stride ld fits in len floats.
static int fits(size_t len, int rows, int cols, int ld) {
  if (rows <= 0 || cols <= 0) return 1;
  return ld >= cols && (size_t)(rows - 1) * (size_t)ld + (size_t)cols <= len;
}

// sgemm(a, b, c, [transA, transB, m, n, k, lda, ldb, ldc], beta): c = op(a) op(b) + beta c, row-major with
// row strides: the sgemm every kernel above calls, for its tests and benchmark.
static napi_value sgemm_call(napi_env env, napi_callback_info info) {
  size_t argc = 5, la, lb, lc, lp;
  napi_value argv[5];
  float *a, *b, *c;
  int32_t *p;
  double beta;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      !get_f32(env, argv[0], &a, &la) || !get_f32(env, argv[1], &b, &lb) || !get_f32(env, argv[2], &c, &lc) ||
      !get_i32(env, argv[3], &p, &lp) || lp < 8 || napi_get_value_double(env, argv[4], &beta) != napi_ok) {
    napi_throw_error(env, NULL, "sgemm(a, b, c, [transA, transB, m, n, k, lda, ldb, ldc], beta): bad arguments");
    return NULL;
  }
  const int ta = p[0], tb = p[1], m = p[2], n = p[3], k = p[4], lda = p[5], ldb = p[6], ldc = p[7];
  if (m < 0 || n < 0 || k < 0 || !fits(la, ta ? k : m, ta ? m : k, lda) || !fits(lb, tb ? n : k, tb ? k : n, ldb) ||
      !fits(lc, m, n, ldc)) {
    napi_throw_error(env, NULL, "sgemm: a shape or stride does not fit its array");
    return NULL;
  }
  SGEMM("sgemm", ta, tb, m, n, k, a, lda, b, ldb, (float)beta, c, ldc);
  return NULL;
}

NAPI_MODULE_INIT() {
#ifndef CONCORD_BUILTIN_SGEMM
  // One BLAS thread per caller: parallelism comes from the data-parallel gradient workers.
  openblas_set_num_threads(1);
#endif
  napi_value library, kernel;
  if (napi_create_string_utf8(env, SGEMM_NAME, NAPI_AUTO_LENGTH, &library) != napi_ok ||
      napi_create_string_utf8(env, sgemm_kernel(), NAPI_AUTO_LENGTH, &kernel) != napi_ok)
    return NULL;
  napi_property_descriptor props[] = {
      {"sgemmLibrary", NULL, NULL, NULL, NULL, library, napi_enumerable, NULL},
      {"sgemmKernel", NULL, NULL, NULL, NULL, kernel, napi_enumerable, NULL},
      NAPI_FN("sgemm", sgemm_call),
      NAPI_FN("conv2d", conv2d),
      NAPI_FN("conv2dBackpropInput", conv2d_backprop_input),
      NAPI_FN("conv2dBackpropFilter", conv2d_backprop_filter),
      NAPI_FN("gemm", gemm),
      NAPI_FN("biasAct", bias_act),
  };
  napi_property_descriptor *train;
  size_t train_count;
  concord_train_properties(&train, &train_count);
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok ||
      napi_define_properties(env, exports, train_count, train) != napi_ok)
    return NULL;
  return exports;
}
