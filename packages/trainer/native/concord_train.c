// The memory-bound rest of a training step, next to the sgemm-bound convolutions of concord_kernels.c:
// training-mode batch norm (forward with its batch statistics, closed-form backward), the ReLU gradient,
// per-channel sums (optionally through a ReLU mask: a fused bias gradient), max-pool gradient and the
// optimizer update. Each is one or two passes over memory where tfjs' WASM ops took five to ten (one per
// elementwise op, each writing a full-size temporary). Tensors are [rows, channels] with channels innermost
// (NHWC flattened). Sums accumulate in float over blocks of SUM_BLOCK rows, then in double.
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "concord_napi.h"

#define SUM_BLOCK 64
// The loops below take restrict pointers so that GCC vectorises them; inlined into their callers, whose
// pointers may alias, they were not (checked with -fopt-info-vec).
#define NOINLINE __attribute__((noinline))

#define USAGE(msg)                                                             \
  do {                                                                         \
    napi_throw_error(env, NULL, msg);                                          \
    return NULL;                                                               \
  } while (0)

// Reads up to `cap` arguments into argv; returns how many were given, or 0 (and throws the usage) when
// fewer than `min`. Missing optional ones read as undefined.
static size_t get_args(napi_env env, napi_callback_info info, size_t cap, size_t min, napi_value *argv,
                       const char *usage) {
  size_t argc = cap;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < min) {
    napi_throw_error(env, NULL, usage);
    return 0;
  }
  return argc;
}

// sum[c] += x[r, c] (or masked: only where mask[r, c] > 0), sq[c] += (x[r, c] - shift[c])^2 when sq is set,
// over rows [0, rows). Float partial sums over SUM_BLOCK rows keep the inner loop vectorised.
NOINLINE static void column_sums(const float *restrict x, const float *restrict mask, const float *restrict shift,
                        size_t rows, int ch, double *restrict sum, double *restrict sq, float *restrict ps,
                        float *restrict pq) {
  for (size_t r0 = 0; r0 < rows; r0 += SUM_BLOCK) {
    const size_t r1 = r0 + SUM_BLOCK < rows ? r0 + SUM_BLOCK : rows;
    memset(ps, 0, sizeof(float) * ch);
    if (sq) memset(pq, 0, sizeof(float) * ch);
    for (size_t r = r0; r < r1; r++) {
      const float *row = x + r * ch;
      if (mask) {
        const float *m = mask + r * ch;
        for (int c = 0; c < ch; c++) {
          const float v = row[c];  // loaded unconditionally, so the select vectorises
          ps[c] += m[c] > 0.0f ? v : 0.0f;
        }
      } else if (sq) {
        for (int c = 0; c < ch; c++) {
          const float d = row[c] - shift[c];
          ps[c] += d;
          pq[c] += d * d;
        }
      } else {
        for (int c = 0; c < ch; c++) ps[c] += row[c];
      }
    }
    for (int c = 0; c < ch; c++) sum[c] += ps[c];
    if (sq)
      for (int c = 0; c < ch; c++) sq[c] += pq[c];
  }
}

// channelSum(x, out, mask | null): out[c] = sum over rows of x[r, c], counting only rows where mask > 0
// when a mask (a ReLU's output) is given: the bias gradient behind a fused ReLU.
static napi_value channel_sum(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  float *x, *out, *mask;
  size_t lx, lo, lm;
  const char *usage = "channelSum(x, out, mask): bad arguments";
  const size_t argc = get_args(env, info, 3, 2, argv, usage);
  if (!argc) return NULL;
  if (!get_f32(env, argv[0], &x, &lx) || !get_f32(env, argv[1], &out, &lo) || lo == 0 || lx % lo != 0)
    USAGE(usage);
  mask = NULL;
  lm = 0;
  if (argc > 2 && !get_f32_or_null(env, argv[2], &mask, &lm)) USAGE(usage);
  if (mask && lm != lx) USAGE("channelSum: mask must be as long as x");
  double *acc = (double *)calloc(lo, sizeof(double));
  float *ps = (float *)malloc(sizeof(float) * lo);
  if (!acc || !ps) {
    free(acc);
    free(ps);
    USAGE("channelSum: out of memory");
  }
  column_sums(x, mask, NULL, lx / lo, (int)lo, acc, NULL, ps, NULL);
  for (size_t j = 0; j < lo; j++) out[j] = (float)acc[j];
  free(acc);
  free(ps);
  return NULL;
}

// y[c] = x[c] * scale[c] + offset[c] over one row.
NOINLINE static void scale_shift(const float *restrict x, const float *restrict scale, const float *restrict offset,
                                 float *restrict y, size_t ch, int relu) {
  if (relu) {
    for (size_t c = 0; c < ch; c++) {
      const float v = x[c] * scale[c] + offset[c];
      y[c] = v > 0.0f ? v : 0.0f;
    }
  } else {
    for (size_t c = 0; c < ch; c++) y[c] = x[c] * scale[c] + offset[c];
  }
}

// One row's share of the batch norm gradient sums: ps += g, pq += g * (x - mean), g = dy, or with a fused
// ReLU dy where its output y > 0.
NOINLINE static void grad_sums(const float *restrict dy, const float *restrict y, const float *restrict x,
                               const float *restrict mean, float *restrict ps, float *restrict pq, size_t ch) {
  if (y) {
    for (size_t c = 0; c < ch; c++) {
      const float d = dy[c], g = y[c] > 0.0f ? d : 0.0f;
      ps[c] += g;
      pq[c] += g * (x[c] - mean[c]);
    }
  } else {
    for (size_t c = 0; c < ch; c++) {
      const float g = dy[c];
      ps[c] += g;
      pq[c] += g * (x[c] - mean[c]);
    }
  }
}

// dx = a * g + b * (x - mean) + d, per channel coefficients, over all rows (g as in grad_sums).
NOINLINE static void bn_dx(const float *restrict dy, const float *restrict y, const float *restrict x,
                           const float *restrict mean, const float *restrict a, const float *restrict b,
                           const float *restrict d, float *restrict dx, size_t rows, size_t ch) {
  for (size_t r = 0; r < rows; r++) {
    const float *restrict g = dy + r * ch, *restrict xr = x + r * ch;
    float *restrict o = dx + r * ch;
    if (y) {
      const float *restrict yr = y + r * ch;
      for (size_t c = 0; c < ch; c++) {
        const float gv = g[c], gm = yr[c] > 0.0f ? gv : 0.0f;
        o[c] = a[c] * gm + b[c] * (xr[c] - mean[c]) + d[c];
      }
    } else {
      for (size_t c = 0; c < ch; c++) o[c] = a[c] * g[c] + b[c] * (xr[c] - mean[c]) + d[c];
    }
  }
}

// bnForward(x, gamma, beta, y, mean, variance, inv, epsilon[, relu]): batch statistics over the rows of x
// ([rows, C]; mean, biased variance as tfjs' moments, inv = 1 / sqrt(variance + epsilon)) and
// y = (x - mean) * inv * gamma + beta, through a ReLU when relu is true (the fused activation after it).
// One pass for the statistics (shifted by the first row, so a mean far from zero does not cancel the
// variance away), one for y.
static napi_value bn_forward(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  float *x, *gamma, *beta, *y, *mean, *var, *inv;
  size_t lx, lg, lb, ly, lm, lv, li;
  double eps;
  bool relu = false;
  const char *usage = "bnForward(x, gamma, beta, y, mean, variance, inv, epsilon, relu): bad arguments";
  const size_t argc = get_args(env, info, 9, 8, argv, usage);
  if (!argc) return NULL;
  if (argc > 8 && napi_get_value_bool(env, argv[8], &relu) != napi_ok) USAGE(usage);
  if (!get_f32(env, argv[0], &x, &lx) || !get_f32(env, argv[1], &gamma, &lg) ||
      !get_f32(env, argv[2], &beta, &lb) || !get_f32(env, argv[3], &y, &ly) || !get_f32(env, argv[4], &mean, &lm) ||
      !get_f32(env, argv[5], &var, &lv) || !get_f32(env, argv[6], &inv, &li) ||
      napi_get_value_double(env, argv[7], &eps) != napi_ok)
    USAGE(usage);
  const size_t ch = lg;
  if (ch == 0 || lx == 0 || lx % ch != 0 || lb != ch || ly != lx || lm != ch || lv != ch || li != ch)
    USAGE("bnForward: x and y must be [rows, C] with gamma, beta, mean, variance, inv of length C");
  const size_t rows = lx / ch;
  double *acc = (double *)calloc(2 * ch, sizeof(double));
  float *part = (float *)malloc(sizeof(float) * 3 * ch);
  if (!acc || !part) {
    free(acc);
    free(part);
    USAGE("bnForward: out of memory");
  }
  float *shift = part + 2 * ch;
  memcpy(shift, x, sizeof(float) * ch);
  column_sums(x, NULL, shift, rows, (int)ch, acc, acc + ch, part, part + ch);
  // scale[c] and offset[c] fold normalisation and affine: y = x * scale + offset.
  float *scale = part, *offset = part + ch;
  for (size_t c = 0; c < ch; c++) {
    const double d = acc[c] / (double)rows;  // mean - shift
    double v = acc[ch + c] / (double)rows - d * d;
    if (v < 0) v = 0;
    const double m = shift[c] + d;
    const double iv = 1.0 / sqrt(v + eps);
    mean[c] = (float)m;
    var[c] = (float)v;
    inv[c] = (float)iv;
    scale[c] = (float)(iv * gamma[c]);
    offset[c] = (float)(beta[c] - m * iv * gamma[c]);
  }
  for (size_t r = 0; r < rows; r++) scale_shift(x + r * ch, scale, offset, y + r * ch, ch, relu);
  free(acc);
  free(part);
  return NULL;
}

// bnBackward(dy, x, mean, inv, gamma, dx, dgamma, dbeta[, y]): with xhat = (x - mean) * inv,
// dbeta = sum g, dgamma = sum g * xhat, dx = gamma * inv * (g - dbeta / M - xhat * dgamma / M), where g is dy,
// or with the output y of a fused ReLU, dy where y > 0.
static napi_value bn_backward(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  float *dy, *x, *mean, *inv, *gamma, *dx, *dgamma, *dbeta, *yr = NULL;
  size_t ldy, lx, lm, li, lg, ldx, ldg, ldb, lyr = 0;
  const char *usage = "bnBackward(dy, x, mean, inv, gamma, dx, dgamma, dbeta, y): bad arguments";
  const size_t argc = get_args(env, info, 9, 8, argv, usage);
  if (!argc) return NULL;
  if (argc > 8 && !get_f32_or_null(env, argv[8], &yr, &lyr)) USAGE(usage);
  if (!get_f32(env, argv[0], &dy, &ldy) || !get_f32(env, argv[1], &x, &lx) || !get_f32(env, argv[2], &mean, &lm) ||
      !get_f32(env, argv[3], &inv, &li) || !get_f32(env, argv[4], &gamma, &lg) || !get_f32(env, argv[5], &dx, &ldx) ||
      !get_f32(env, argv[6], &dgamma, &ldg) || !get_f32(env, argv[7], &dbeta, &ldb))
    USAGE(usage);
  const size_t ch = lg;
  if (ch == 0 || lx == 0 || lx % ch != 0 || ldy != lx || ldx != lx || lm != ch || li != ch || ldg != ch || ldb != ch)
    USAGE("bnBackward: dy, x, dx must be [rows, C] with mean, inv, gamma, dgamma, dbeta of length C");
  if (yr && lyr != lx) USAGE("bnBackward: the ReLU output y must be as long as x");
  const size_t rows = lx / ch;
  double *acc = (double *)calloc(2 * ch, sizeof(double));
  float *part = (float *)malloc(sizeof(float) * 4 * ch);
  if (!acc || !part) {
    free(acc);
    free(part);
    USAGE("bnBackward: out of memory");
  }
  float *ps = part, *pq = part + ch;
  for (size_t r0 = 0; r0 < rows; r0 += SUM_BLOCK) {
    const size_t r1 = r0 + SUM_BLOCK < rows ? r0 + SUM_BLOCK : rows;
    memset(part, 0, sizeof(float) * 2 * ch);
    for (size_t r = r0; r < r1; r++) grad_sums(dy + r * ch, yr ? yr + r * ch : NULL, x + r * ch, mean, ps, pq, ch);
    for (size_t c = 0; c < ch; c++) {
      acc[c] += ps[c];
      acc[ch + c] += pq[c];
    }
  }
  // dx = a * dy + b * (x - mean) + d per channel.
  float *a = part, *b = part + ch, *d = part + 2 * ch;
  for (size_t c = 0; c < ch; c++) {
    const double db = acc[c], dg = acc[ch + c] * inv[c];
    dbeta[c] = (float)db;
    dgamma[c] = (float)dg;
    const double k = (double)gamma[c] * inv[c];
    a[c] = (float)k;
    b[c] = (float)(-k * inv[c] * dg / (double)rows);
    d[c] = (float)(-k * db / (double)rows);
  }
  bn_dx(dy, yr, x, mean, a, b, d, dx, rows, ch);
  free(acc);
  free(part);
  return NULL;
}

// out = dy where x > 0, else 0: branch-free (a ReLU's sign is a coin toss), vectorised.
NOINLINE static void relu_mask(const float *restrict dy, const float *restrict x, float *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float g = dy[i], v = x[i];
    out[i] = v > 0.0f ? g : 0.0f;
  }
}

// reluGrad(dy, x, dx): dx = x > 0 ? dy : 0 (tfjs' dy * step(x)); x may be the ReLU's input or output.
static napi_value relu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  float *dy, *x, *dx;
  size_t ldy, lx, ldx;
  const char *usage = "reluGrad(dy, x, dx): bad arguments";
  if (!get_args(env, info, 3, 3, argv, usage)) return NULL;
  if (!get_f32(env, argv[0], &dy, &ldy) || !get_f32(env, argv[1], &x, &lx) || !get_f32(env, argv[2], &dx, &ldx) ||
      ldy != lx || ldx != lx)
    USAGE(usage);
  relu_mask(dy, x, dx, lx);
  return NULL;
}

// k = {b1, 1 - b1, b2, 1 - b2, lrT, eps, wd}. The decay is a select, not a branch, so the loop vectorises
// (sqrtf too: the addon is built with -fno-math-errno).
NOINLINE static void adam_loop(const float *restrict v, const float *restrict m, const float *restrict s,
                      const float *restrict g, float *restrict vo, float *restrict mo, float *restrict so, size_t n,
                      const float *restrict k) {
  const float b1 = k[0], ob1 = k[1], b2 = k[2], ob2 = k[3], lr = k[4], eps = k[5], wd = k[6];
  for (size_t i = 0; i < n; i++) {
    const float vi = v[i], g0 = g[i];
    const float gi = wd > 0.0f ? g0 + vi * wd : g0;
    const float mi = m[i] * b1 + gi * ob1;
    const float si = s[i] * b2 + gi * gi * ob2;
    mo[i] = mi;
    so[i] = si;
    vo[i] = vi - mi / (sqrtf(si) + eps) * lr;
  }
}

// adam(v, m, s, g, vOut, mOut, sOut, beta1, beta2, lrT, epsilon, weightDecay): one Adam step of one variable,
// the same float32 operations in the same order as the tfjs ops it replaces (optimizer.ts):
// g += wd * v; m = b1 m + (1 - b1) g; s = b2 s + (1 - b2) g^2; v -= lrT m / (sqrt(s) + eps).
static napi_value adam(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  float *v, *m, *s, *g, *vo, *mo, *so;
  size_t n, l1, l2, l3, l4, l5, l6;
  double p[5];
  const char *usage = "adam(v, m, s, g, vOut, mOut, sOut, beta1, beta2, lrT, epsilon, weightDecay): bad arguments";
  if (!get_args(env, info, 12, 12, argv, usage)) return NULL;
  if (!get_f32(env, argv[0], &v, &n) || !get_f32(env, argv[1], &m, &l1) || !get_f32(env, argv[2], &s, &l2) ||
      !get_f32(env, argv[3], &g, &l3) || !get_f32(env, argv[4], &vo, &l4) || !get_f32(env, argv[5], &mo, &l5) ||
      !get_f32(env, argv[6], &so, &l6) || l1 != n || l2 != n || l3 != n || l4 != n || l5 != n || l6 != n)
    USAGE(usage);
  for (int i = 0; i < 5; i++)
    if (napi_get_value_double(env, argv[7 + i], &p[i]) != napi_ok) USAGE(usage);
  const float b1 = (float)p[0], ob1 = (float)(1 - p[0]), b2 = (float)p[1], ob2 = (float)(1 - p[1]);
  const float lr = (float)p[2], eps = (float)p[3], wd = (float)p[4];
  adam_loop(v, m, s, g, vo, mo, so, n, (float[]){b1, ob1, b2, ob2, lr, eps, wd});
  return NULL;
}

// sgd(v, m, g, vOut, mOut, momentum, lrT, weightDecay): g += wd * v; m = momentum m + g; v -= lrT m.
static napi_value sgd(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  float *v, *m, *g, *vo, *mo;
  size_t n, l1, l2, l3, l4;
  double p[3];
  const char *usage = "sgd(v, m, g, vOut, mOut, momentum, lrT, weightDecay): bad arguments";
  if (!get_args(env, info, 8, 8, argv, usage)) return NULL;
  if (!get_f32(env, argv[0], &v, &n) || !get_f32(env, argv[1], &m, &l1) || !get_f32(env, argv[2], &g, &l2) ||
      !get_f32(env, argv[3], &vo, &l3) || !get_f32(env, argv[4], &mo, &l4) || l1 != n || l2 != n || l3 != n ||
      l4 != n)
    USAGE(usage);
  for (int i = 0; i < 3; i++)
    if (napi_get_value_double(env, argv[5 + i], &p[i]) != napi_ok) USAGE(usage);
  const float mom = (float)p[0], lr = (float)p[1], wd = (float)p[2];
  for (size_t i = 0; i < n; i++) {
    const float vi = v[i], g0 = g[i];
    const float gi = wd > 0.0f ? g0 + vi * wd : g0;
    const float mi = m[i] * mom + gi;
    mo[i] = mi;
    vo[i] = vi - mi * lr;
  }
  return NULL;
}

// One window position k of every channel: keep the larger value and its position (the first on ties).
// Bit masks instead of selects on int, which GCC does not vectorise after a float compare.
NOINLINE static void window_max(const float *restrict v, float *restrict best, int32_t *restrict at, int32_t k, int c) {
  for (int ch = 0; ch < c; ch++) {
    const float a = v[ch], b = best[ch];
    const int32_t t = at[ch], more = -(int32_t)(a > b);
    best[ch] = a > b ? a : b;
    at[ch] = (k & more) | (t & ~more);
  }
}

// d[ch] (+)= g[ch] where window position k was the channel's maximum, else (+)0.
NOINLINE static void window_grad(const float *restrict g, const int32_t *restrict at, float *restrict d, int32_t k, int c,
                        int add) {
  if (add) {
    for (int ch = 0; ch < c; ch++) {
      const float v = g[ch];
      d[ch] += at[ch] == k ? v : 0.0f;
    }
  } else {
    for (int ch = 0; ch < c; ch++) {
      const float v = g[ch];
      d[ch] = at[ch] == k ? v : 0.0f;
    }
  }
}

// maxPoolGrad(x, dy, dx, [n,h,w,c, oh,ow, fh,fw, sh,sw, pt,pl]): each output gradient goes to the first
// maximum of its window (the tfjs CPU backend's rule). Channels innermost: each window position is one
// vectorisable pass over the channels, keeping every channel's best value and position so far.
static napi_value max_pool_grad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float *x, *dy, *dx;
  int32_t *p;
  size_t lx, ldy, ldx, lp;
  const char *usage = "maxPoolGrad(x, dy, dx, params): bad arguments";
  if (!get_args(env, info, 4, 4, argv, usage)) return NULL;
  if (!get_f32(env, argv[0], &x, &lx) || !get_f32(env, argv[1], &dy, &ldy) || !get_f32(env, argv[2], &dx, &ldx) ||
      !get_i32(env, argv[3], &p, &lp) || lp < 12)
    USAGE(usage);
  const int n = p[0], h = p[1], w = p[2], c = p[3], oh = p[4], ow = p[5], fh = p[6], fw = p[7];
  const int sh = p[8], sw = p[9], pt = p[10], pl = p[11];
  if (lx != (size_t)n * h * w * c || ldx != lx || ldy != (size_t)n * oh * ow * c)
    USAGE("maxPoolGrad: array lengths do not match the pooling geometry");
  // Windows that tile the input exactly (a 2x2 pool of stride 2 over even sizes): every input belongs to
  // one window, so dx is written once, without clearing it first.
  const int tiles = fh == sh && fw == sw && pt == 0 && pl == 0 && oh * sh == h && ow * sw == w;
  if (!tiles) memset(dx, 0, sizeof(float) * lx);
  float *best = (float *)malloc(sizeof(float) * c);
  int32_t *at = (int32_t *)malloc(sizeof(int32_t) * c);
  if (!best || !at) {
    free(best);
    free(at);
    USAGE("maxPoolGrad: out of memory");
  }
  for (int b = 0; b < n; b++) {
    for (int oy = 0; oy < oh; oy++) {
      const int y0 = oy * sh - pt;
      const int ya = y0 < 0 ? 0 : y0, yb = y0 + fh < h ? y0 + fh : h;
      for (int ox = 0; ox < ow; ox++) {
        const int x0 = ox * sw - pl;
        const int xa = x0 < 0 ? 0 : x0, xb = x0 + fw < w ? x0 + fw : w;
        if (ya >= yb || xa >= xb) continue;
        const float *g = dy + (((size_t)b * oh + oy) * ow + ox) * c;
        // Window positions numbered k = (yy - ya) * (xb - xa) + (xx - xa), in row-major order.
        int k = 0;
        for (int yy = ya; yy < yb; yy++) {
          for (int xx = xa; xx < xb; xx++, k++) {
            const float *v = x + (((size_t)b * h + yy) * w + xx) * c;
            if (k == 0) {
              for (int ch = 0; ch < c; ch++) {
                best[ch] = v[ch];
                at[ch] = 0;
              }
            } else {
              window_max(v, best, at, k, c);
            }
          }
        }
        k = 0;
        for (int yy = ya; yy < yb; yy++) {
          for (int xx = xa; xx < xb; xx++, k++) {
            float *d = dx + (((size_t)b * h + yy) * w + xx) * c;
            window_grad(g, at, d, k, c, !tiles);
          }
        }
      }
    }
  }
  free(best);
  free(at);
  return NULL;
}

// A counter-based generator (each element's draw depends on its index and the seed only, so the loop has no
// carried state and vectorises): two rounds of Wellons' lowbias32 integer hash.
static inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// y = x * m, m = 1 / keep with probability keep (24-bit uniform draw u: kept where u + keep >= 1, as tfjs'
// floor(u + keep)), else 0; the multipliers m go to mask for the gradient (dy * m).
NOINLINE static void dropout_loop(const float *restrict x, float *restrict y, float *restrict mask, size_t n,
                                  float keep, uint32_t k0, uint32_t k1) {
  const float scale = 1.0f / keep;
  for (size_t i = 0; i < n; i++) {
    const uint32_t h = mix32(mix32((uint32_t)i ^ k0) ^ k1);
    const float u = (float)(int32_t)(h >> 8) * (1.0f / 16777216.0f);  // < 2^24: exact, and a signed convert vectorises
    const float m = u + keep >= 1.0f ? scale : 0.0f;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

// dropout(x, y, mask, rate, seed0, seed1): inverted dropout of x into y with the kept multipliers in mask;
// seed0 and seed1 (uint32) pick the draws, the caller deriving them from its seeded Math.random.
static napi_value dropout(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  float *x, *y, *mask;
  size_t lx, ly, lm;
  double rate;
  uint32_t k0, k1;
  const char *usage = "dropout(x, y, mask, rate, seed0, seed1): bad arguments";
  if (!get_args(env, info, 6, 6, argv, usage)) return NULL;
  if (!get_f32(env, argv[0], &x, &lx) || !get_f32(env, argv[1], &y, &ly) || !get_f32(env, argv[2], &mask, &lm) ||
      ly != lx || lm != lx || napi_get_value_double(env, argv[3], &rate) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &k0) != napi_ok || napi_get_value_uint32(env, argv[5], &k1) != napi_ok)
    USAGE(usage);
  if (!(rate > 0.0 && rate < 1.0)) USAGE("dropout: rate must be in (0, 1)");
  dropout_loop(x, y, mask, lx, (float)(1.0 - rate), k0, k1);
  return NULL;
}

NOINLINE static void weighted_sum_loop(const float *restrict a, const float *restrict b, float *restrict out, size_t n,
                                       float wa, float wb) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] * wa + b[i] * wb;
}

// weightedSum(a, b, out, wa, wb): out = a * wa + b * wb (each product rounded to float, then the sum: the
// same as tfjs' add(mul(a, wa), mul(b, wb))). Averages the gradient threads' gradients in one pass.
static napi_value weighted_sum(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  float *a, *b, *out;
  size_t la, lb, lo;
  double wa, wb;
  const char *usage = "weightedSum(a, b, out, wa, wb): bad arguments";
  if (!get_args(env, info, 5, 5, argv, usage)) return NULL;
  if (!get_f32(env, argv[0], &a, &la) || !get_f32(env, argv[1], &b, &lb) || !get_f32(env, argv[2], &out, &lo) ||
      lb != la || lo != la || napi_get_value_double(env, argv[3], &wa) != napi_ok ||
      napi_get_value_double(env, argv[4], &wb) != napi_ok)
    USAGE(usage);
  weighted_sum_loop(a, b, out, la, (float)wa, (float)wb);
  return NULL;
}

NOINLINE static void ema_loop(float *restrict v, const float *restrict w, size_t n, double d, double e) {
  for (size_t i = 0; i < n; i++) v[i] = (float)(d * (double)v[i] + e * (double)w[i]);
}

// emaUpdate(v, w, d, e): v = d v + e w, each value computed in float64 and stored as float32: the same bits as
// WeightEma's JavaScript loop: this file is compiled for the baseline x86-64 target, which has no FMA, so the
// multiply-adds are not fused (test/native-train-kernels.test.ts checks the bits). A training step's weight EMA in
// one pass over each weight, read in place from the WASM heap instead of copied out.
static napi_value ema_update(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float *v, *w;
  size_t lv, lw;
  double d, e;
  const char *usage = "emaUpdate(v, w, d, e): bad arguments";
  if (!get_args(env, info, 4, 4, argv, usage)) return NULL;
  if (!get_f32(env, argv[0], &v, &lv) || !get_f32(env, argv[1], &w, &lw) || lw != lv ||
      napi_get_value_double(env, argv[2], &d) != napi_ok || napi_get_value_double(env, argv[3], &e) != napi_ok)
    USAGE(usage);
  ema_loop(v, w, lv, d, e);
  return NULL;
}

static napi_property_descriptor PROPS[] = {
    NAPI_FN("emaUpdate", ema_update),
    NAPI_FN("weightedSum", weighted_sum),
    NAPI_FN("dropout", dropout),
    NAPI_FN("channelSum", channel_sum),
    NAPI_FN("bnForward", bn_forward),
    NAPI_FN("bnBackward", bn_backward),
    NAPI_FN("reluGrad", relu_grad),
    NAPI_FN("adam", adam),
    NAPI_FN("sgd", sgd),
    NAPI_FN("maxPoolGrad", max_pool_grad),
};

void concord_train_properties(napi_property_descriptor **props, size_t *count) {
  *props = PROPS;
  *count = sizeof(PROPS) / sizeof(PROPS[0]);
}
