// A cache-blocked, packed single-precision GEMM (the Goto/BLIS scheme) for the native kernels where
// OpenBLAS is not installed. Loops, outer to inner: NC columns of C; KC steps of the shared dimension (pack
// that KC x NC panel of op(B) into NR-wide slivers, which stay in L2/L3); MC rows (pack that MC x KC block
// of op(A) into MR-high slivers, which stay in L2); then every NR x MR tile through a register-blocked
// micro-kernel whose B sliver stays in L1. Packing also absorbs the transposes, so one kernel serves
// NoTrans/Trans on either operand.
//
// Vectorised with GCC vector extensions (GCC and clang), no intrinsics: on x86-64 the AVX-512 and AVX2+FMA
// kernels are compiled through target attributes and chosen at run time from cpuid, so the addon built with
// plain -O3 still runs on any x86-64 and uses what the CPU has; elsewhere (aarch64 NEON, baseline SSE2) the
// 128-bit generic kernel. Single-threaded: the trainer runs one call per gradient thread.
#include "concord_sgemm.h"

#include <stdlib.h>
#include <string.h>

typedef void (*kernel_fn)(int kc, const float *restrict a, const float *restrict b, float *restrict c,
                          long ldc, float beta);

typedef struct {
  kernel_fn kernel;
  int mr, nr;  // register tile
  int kc, mc, nc;  // cache blocks: mc a multiple of mr, nc of nr
  const char *name;
} variant_t;

typedef float v4f __attribute__((vector_size(16)));
#if defined(__clang__) || __GNUC__ >= 12
#define SHUFFLE(x, y, i0, i1, i2, i3) __builtin_shufflevector(x, y, i0, i1, i2, i3)
#else
typedef int v4i __attribute__((vector_size(16)));
#define SHUFFLE(x, y, i0, i1, i2, i3) __builtin_shuffle(x, y, (v4i){i0, i1, i2, i3})
#endif
#define KERNEL_NAME kernel_generic_6x8
#define KERNEL_TARGET
#define VT v4f
#define VL 4
#define MR 6
#include "concord_sgemm_kernel.inc"

#ifndef GKC
#define GKC 256
#define GMC 96
#define GNC 1024
#endif
static const variant_t GENERIC = {kernel_generic_6x8, 6, 8, GKC, GMC, GNC, "generic 6x8"};

// CONCORD_SGEMM_MAX_ISA caps the run-time choice (build.mjs --sgemm-isa): 0 generic, 1 AVX2, 2 AVX-512.
#ifndef CONCORD_SGEMM_MAX_ISA
#define CONCORD_SGEMM_MAX_ISA 2
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CONCORD_X86_DISPATCH 1
typedef float v8f __attribute__((vector_size(32)));
#define KERNEL_NAME kernel_avx2_6x16
#define KERNEL_TARGET __attribute__((target("avx2,fma")))
#define VT v8f
#define VL 8
#define MR 6
#include "concord_sgemm_kernel.inc"

typedef float v16f __attribute__((vector_size(64)));
#define KERNEL_NAME kernel_avx512_12x32
#define KERNEL_TARGET __attribute__((target("avx512f,avx2,fma")))
#define VT v16f
#define VL 16
#define MR 12
#include "concord_sgemm_kernel.inc"

#ifndef YKC
#define YKC 256
#define YMC 96
#define YNC 1024
#endif
static const variant_t AVX2 = {kernel_avx2_6x16, 6, 16, YKC, YMC, YNC, "avx2 6x16"};
#ifndef XKC
#define XKC 384
#define XMC 96
#define XNC 1024
#endif
static const variant_t AVX512 = {kernel_avx512_12x32, 12, 32, XKC, XMC, XNC, "avx512 12x32"};
#endif

static const variant_t *chosen = NULL;

static const variant_t *variant(void) {
  if (chosen) return chosen;
  const variant_t *v = &GENERIC;
#ifdef CONCORD_X86_DISPATCH
  __builtin_cpu_init();
  if (CONCORD_SGEMM_MAX_ISA >= 2 && __builtin_cpu_supports("avx512f"))
    v = &AVX512;
  else if (CONCORD_SGEMM_MAX_ISA >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    v = &AVX2;
#endif
  chosen = v;  // the same answer on every thread: a race here is benign
  return v;
}

const char *concord_sgemm_kernel(void) { return variant()->name; }

// Per-thread packing buffers, grown on demand and kept between calls.
static __thread float *pack_a_buf = NULL, *pack_b_buf = NULL;
static __thread size_t pack_a_len = 0, pack_b_len = 0;

static float *grow(float **buf, size_t *len, size_t floats) {
  if (floats <= *len) return *buf;
  // aligned_alloc wants a size that is a multiple of the alignment.
  float *p = (float *)aligned_alloc(64, (floats * sizeof(float) + 63) & ~(size_t)63);
  if (!p) return NULL;
  free(*buf);
  *buf = p;
  *len = floats;
  return p;
}

// dst[p * ld + i] = src[i * lds + p] for i < rows, p < kc: the transposing half of packing, in 4 x 4 blocks
// (four row loads, eight shuffles, four stores) where the rows and kc allow.
static void pack_transposed(const float *src, long lds, int rows, int kc, int ld, float *dst) {
  int i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float *r0 = src + i * lds, *r1 = r0 + lds, *r2 = r1 + lds, *r3 = r2 + lds;
    int p = 0;
    for (; p + 4 <= kc; p += 4) {
      v4f a, b, c, d;
      memcpy(&a, r0 + p, sizeof a);
      memcpy(&b, r1 + p, sizeof b);
      memcpy(&c, r2 + p, sizeof c);
      memcpy(&d, r3 + p, sizeof d);
      const v4f ab01 = SHUFFLE(a, b, 0, 4, 1, 5), ab23 = SHUFFLE(a, b, 2, 6, 3, 7);
      const v4f cd01 = SHUFFLE(c, d, 0, 4, 1, 5), cd23 = SHUFFLE(c, d, 2, 6, 3, 7);
      const v4f o0 = SHUFFLE(ab01, cd01, 0, 1, 4, 5), o1 = SHUFFLE(ab01, cd01, 2, 3, 6, 7);
      const v4f o2 = SHUFFLE(ab23, cd23, 0, 1, 4, 5), o3 = SHUFFLE(ab23, cd23, 2, 3, 6, 7);
      float *o = dst + (size_t)p * ld + i;
      memcpy(o, &o0, sizeof o0);
      memcpy(o + ld, &o1, sizeof o1);
      memcpy(o + 2 * ld, &o2, sizeof o2);
      memcpy(o + 3 * ld, &o3, sizeof o3);
    }
    for (; p < kc; p++) {
      float *o = dst + (size_t)p * ld + i;
      o[0] = r0[p];
      o[1] = r1[p];
      o[2] = r2[p];
      o[3] = r3[p];
    }
  }
  for (; i < rows; i++)
    for (int p = 0; p < kc; p++) dst[(size_t)p * ld + i] = src[i * lds + p];
}

// Spreads one contiguous row src[0, len) over the slivers of width w (sliver s at dst + s * kc, the caller
// having offset dst to this row's place in the first one), zero-padding the last.
static void copy_row(const float *src, int len, int w, int kc, float *dst) {
  for (int s = 0; s < len; s += w) {
    float *d = dst + (size_t)s * kc;
    const int n = len - s < w ? len - s : w;
    memcpy(d, src + s, sizeof(float) * n);
    for (int j = n; j < w; j++) d[j] = 0.0f;
  }
}

// The rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A), as MR-high slivers: dst[s][p][i], zero-padded.
static void pack_a(const variant_t *v, int trans, const float *a, long lda, int i0, int p0, int mc, int kc,
                   float *dst) {
  const int mr = v->mr;
  if (trans) {  // op(A)[i][p] = a[p * lda + i]: row p of a feeds every sliver, read once in order
    for (int p = 0; p < kc; p++) copy_row(a + (size_t)(p0 + p) * lda + i0, mc, mr, kc, dst + (size_t)p * mr);
    return;
  }
  for (int s = 0; s < mc; s += mr, dst += (size_t)mr * kc) {  // op(A)[i][p] = a[i * lda + p]
    const int rows = mc - s < mr ? mc - s : mr;
    pack_transposed(a + (size_t)(i0 + s) * lda + p0, lda, rows, kc, mr, dst);
    for (int i = rows; i < mr; i++)
      for (int p = 0; p < kc; p++) dst[(size_t)p * mr + i] = 0.0f;
  }
}

// The rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B), as NR-wide slivers: dst[s][p][j], zero-padded.
static void pack_b(const variant_t *v, int trans, const float *b, long ldb, int p0, int j0, int kc, int nc,
                   float *dst) {
  const int nr = v->nr;
  if (!trans) {  // op(B)[p][j] = b[p * ldb + j]: row p of b feeds every sliver, read once in order
    for (int p = 0; p < kc; p++) copy_row(b + (size_t)(p0 + p) * ldb + j0, nc, nr, kc, dst + (size_t)p * nr);
    return;
  }
  for (int s = 0; s < nc; s += nr, dst += (size_t)nr * kc) {  // op(B)[p][j] = b[j * ldb + p]
    const int cols = nc - s < nr ? nc - s : nr;
    pack_transposed(b + (size_t)(j0 + s) * ldb + p0, ldb, cols, kc, nr, dst);
    for (int j = cols; j < nr; j++)
      for (int p = 0; p < kc; p++) dst[(size_t)p * nr + j] = 0.0f;
  }
}

static void scale(int m, int n, float beta, float *c, long ldc) {
  for (int i = 0; i < m; i++) {
    float *row = c + (size_t)i * ldc;
    if (beta == 0.0f)
      memset(row, 0, sizeof(float) * n);
    else
      for (int j = 0; j < n; j++) row[j] *= beta;
  }
}

// The block size <= max that cuts len into the fewest near-equal blocks, rounded up to a multiple of unit.
static int balanced(int len, int max, int unit) {
  const int blocks = (len + max - 1) / max;
  const int size = (len + blocks - 1) / blocks;
  return (size + unit - 1) / unit * unit;
}

int concord_sgemm(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b,
                  int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0) return 0;
  if (k <= 0) {
    scale(m, n, beta, c, ldc);
    return 0;
  }
  const variant_t *v = variant();
  const int mr = v->mr, nr = v->nr;
  // Equal KC steps (k = 288 as one step, not 256 + 32): a short step pays a whole C tile round trip.
  const int kc_max = balanced(k, v->kc, 1);
  const int mc_max = m < v->mc ? m : v->mc;
  const int nc_max = n < v->nc ? n : v->nc;
  float *pa = grow(&pack_a_buf, &pack_a_len, (size_t)((mc_max + mr - 1) / mr) * mr * kc_max);
  float *pb = grow(&pack_b_buf, &pack_b_len, (size_t)((nc_max + nr - 1) / nr) * nr * kc_max);
  if (!pa || !pb) return -1;
  float tile[12 * 32] __attribute__((aligned(64)));  // an edge tile, at most MR x NR of any variant

  for (int j0 = 0; j0 < n; j0 += v->nc) {
    const int nc = n - j0 < v->nc ? n - j0 : v->nc;
    for (int p0 = 0; p0 < k; p0 += kc_max) {
      const int kc = k - p0 < kc_max ? k - p0 : kc_max;
      // Later KC steps accumulate onto what the first one wrote.
      const float bt = p0 == 0 ? beta : 1.0f;
      pack_b(v, trans_b, b, ldb, p0, j0, kc, nc, pb);
      for (int i0 = 0; i0 < m; i0 += v->mc) {
        const int mc = m - i0 < v->mc ? m - i0 : v->mc;
        pack_a(v, trans_a, a, lda, i0, p0, mc, kc, pa);
        for (int jr = 0; jr < nc; jr += nr) {
          const int cols = nc - jr < nr ? nc - jr : nr;
          const float *bs = pb + (size_t)jr * kc;
          for (int ir = 0; ir < mc; ir += mr) {
            const int rows = mc - ir < mr ? mc - ir : mr;
            const float *as = pa + (size_t)ir * kc;
            float *ct = c + (size_t)(i0 + ir) * ldc + j0 + jr;
            if (rows == mr && cols == nr) {
              v->kernel(kc, as, bs, ct, ldc, bt);
              continue;
            }
            // Edge tile: compute the whole register tile aside, then merge the part that exists.
            v->kernel(kc, as, bs, tile, nr, 0.0f);
            for (int i = 0; i < rows; i++) {
              float *row = ct + (size_t)i * ldc;
              const float *t = tile + i * nr;
              for (int j = 0; j < cols; j++) row[j] = bt == 0.0f ? t[j] : t[j] + bt * row[j];
            }
          }
        }
      }
    }
  }
  return 0;
}
