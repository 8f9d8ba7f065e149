import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainerEnv } from "../src/env";
import { loadAddonFile, type TAddon } from "../src/kernels/native-kernels";
import { mulberry32 } from "../src/loop/seeded-rng";
import { maxRel } from "./helpers";

// The addon's builtin sgemm (native/concord_sgemm.c), built here with `build.mjs --sgemm builtin` into a temp
// dir whatever the default build uses, once per kernel cap so that a CPU with AVX-512 tests all three
// micro-kernels. Checked against float64 references: sgemm on random shapes (edge sizes, block-crossing
// sizes, every transpose, beta 0/1/0.5, padded strides), then each convolution kernel on top of it.
const build = path.resolve(import.meta.dirname, "../native/build.mjs");
const hasCompiler = spawnSync(process.env.CC ?? "cc", ["--version"]).status === 0;
if (!hasCompiler && trainerEnv().CONCORD_REQUIRE_NATIVE)
  throw new Error("native kernels required but no C compiler to build the builtin sgemm");
const CAPS = process.arch === "x64" ? (["avx512", "avx2", "generic"] as const) : (["generic"] as const);
const KERNEL_FOR_CAP: Record<string, RegExp> = {
  avx512: /^(avx512 12x32|avx2 6x16|generic 6x8)$/,
  avx2: /^(avx2 6x16|generic 6x8)$/,
  generic: /^generic 6x8$/,
};

function rand(seed: number, n: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

type TCase = { ta: number; tb: number; m: number; n: number; k: number; beta: number; pad: number };

/** Runs one sgemm through the addon and checks every element of C, padding columns included. */
function checkSgemm(addon: TAddon, { ta, tb, m, n, k, beta, pad }: TCase, seed: number): void {
  const lda = (ta ? m : k) + pad;
  const ldb = (tb ? k : n) + pad;
  const ldc = n + pad;
  const a = rand(seed, (ta ? k : m) * lda);
  const b = rand(seed + 1, (tb ? n : k) * ldb);
  const c = rand(seed + 2, m * ldc);
  // beta 0 must overwrite C without reading it: NaN there would survive a multiply by 0.
  if (beta === 0) for (let i = 0; i < m; i++) c.fill(Number.NaN, i * ldc, i * ldc + n);
  const before = c.slice();
  addon.sgemm(a, b, c, Int32Array.from([ta, tb, m, n, k, lda, ldb, ldc]), beta);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const at = i * ldc + j;
      if (j >= n) {
        expect(c[at], `padding C[${i}][${j}] untouched`).toBe(before[at]);
        continue;
      }
      let sum = beta === 0 ? 0 : beta * (before[at] as number);
      let mag = Math.abs(sum);
      for (let p = 0; p < k; p++) {
        const x = a[ta ? p * lda + i : i * lda + p] as number;
        const y = b[tb ? j * ldb + p : p * ldb + j] as number;
        sum += x * y;
        mag += Math.abs(x * y);
      }
      const err = Math.abs((c[at] as number) - sum);
      if (!(err <= 2e-6 * mag + 1e-7))
        throw new Error(
          `C[${i}][${j}] = ${c[at]}, reference ${sum} (case ${JSON.stringify({ ta, tb, m, n, k, beta, pad })})`,
        );
    }
  }
}

function randomCases(seed: number, count: number): TCase[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const dims = [1, 2, 3, 5, 7, 8, 11, 12, 13, 16, 17, 31, 33, 47, 64, 97];
  return Array.from({ length: count }, (_, i) => ({
    ta: i & 1,
    tb: (i >> 1) & 1,
    m: pick(dims),
    n: pick(dims),
    k: pick(dims),
    beta: pick([0, 1, 0.5]),
    pad: pick([0, 0, 1, 3]),
  }));
}

// Past every cache block of every kernel (MC 96, KC 256/384, NC 1024), in all four transposes.
const BLOCK_CASES: TCase[] = [
  [200, 37, 5],
  [13, 1100, 3],
  [14, 33, 800],
  [97, 65, 385],
].flatMap(([m, n, k]) =>
  [0, 1, 2, 3].map((t) => ({
    ta: t & 1,
    tb: t >> 1,
    m: m as number,
    n: n as number,
    k: k as number,
    beta: t === 3 ? 1 : 0,
    pad: 1,
  })),
);

// The addon's conv geometry, in the order of its Int32Array params.
const GEOM_KEYS = [
  "n",
  "h",
  "w",
  "ci",
  "kh",
  "kw",
  "co",
  "oh",
  "ow",
  "sh",
  "sw",
  "pt",
  "pl",
  "dh",
  "dw",
] as const;
type TGeom = Record<(typeof GEOM_KEYS)[number], number>;

/** A convolution of x[n,h,w,ci] with a [kh,kw,ci,co] filter, symmetric padding pad, stride s, dilation dh x dw. */
function geometry(
  n: number,
  h: number,
  w: number,
  ci: number,
  kh: number,
  kw: number,
  co: number,
  s = 1,
  pad = 0,
  dh = 1,
  dw = 1,
): TGeom {
  const oh = Math.floor((h + 2 * pad - (kh - 1) * dh - 1) / s) + 1;
  const ow = Math.floor((w + 2 * pad - (kw - 1) * dw - 1) / s) + 1;
  return { n, h, w, ci, kh, kw, co, oh, ow, sh: s, sw: s, pt: pad, pl: pad, dh, dw };
}

function add(acc: Float64Array, i: number, v: number): void {
  acc[i] = (acc[i] as number) + v;
}

/** Float64 reference of the three convolutions: y = conv(x, f); dx = conv^T(dy, f); dw = x (*) dy. */
function naiveConv(g: TGeom, x: Float32Array, f: Float32Array, dy: Float32Array) {
  const { n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pl, dh, dw } = g;
  const y = new Float64Array(n * oh * ow * co);
  const dx = new Float64Array(n * h * w * ci);
  const df = new Float64Array(kh * kw * ci * co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= w) continue;
            const xo = ((b * h + iy) * w + ix) * ci;
            const yo = ((b * oh + oy) * ow + ox) * co;
            const fo = (ky * kw + kx) * ci * co;
            for (let c = 0; c < ci; c++)
              for (let o = 0; o < co; o++) {
                const [xv, fv, gv] = [
                  x[xo + c] as number,
                  f[fo + c * co + o] as number,
                  dy[yo + o] as number,
                ];
                add(y, yo + o, xv * fv);
                add(dx, xo + c, gv * fv);
                add(df, fo + c * co + o, xv * gv);
              }
          }
        }
  return { y: Float32Array.from(y), dx: Float32Array.from(dx), df: Float32Array.from(df) };
}

const CONVS: [string, TGeom][] = [
  ["3x3 same", geometry(2, 9, 11, 3, 3, 3, 5, 1, 1)],
  ["3x2 valid, stride 2, dilation 2x1", geometry(2, 12, 10, 4, 3, 2, 6, 2, 0, 2, 1)],
  ["1x1 (one sgemm each way)", geometry(3, 5, 7, 8, 1, 1, 4)],
  // im2col chunks of 512 KB of columns: 327 rows of 400 here, so chunks 327 + 327 + 146 cut across an image,
  // the later ones accumulating the filter gradient with beta 1.
  ["5x5 same over 2 images (three im2col chunks)", geometry(2, 20, 20, 16, 5, 5, 4, 1, 2)],
  // 3x3 stride 1 with >= 16 channels, multiples of 4: Winograd F(2x2, 3x3) (concord_winograd.c). 20 channels
  // take the widest vector and then the 128-bit one; odd sizes leave half-empty tiles.
  ["Winograd 3x3 same, 16 -> 20 channels, odd sizes", geometry(2, 9, 11, 16, 3, 3, 20, 1, 1)],
  [
    "Winograd 3x3 valid, 24 -> 16 channels (input gradient padded by 2)",
    geometry(3, 8, 7, 24, 3, 3, 16, 1, 0),
  ],
  ["Winograd 3x3 padded by 2 (input gradient unpadded)", geometry(2, 5, 6, 16, 3, 3, 16, 1, 2)],
  // 2,304 tiles: two chunks of the filter gradient (the second accumulating), seven of the forward.
  ["Winograd 3x3 same over 16 images of 24x24", geometry(16, 24, 24, 16, 3, 3, 16, 1, 1)],
];

describe.runIf(hasCompiler)("builtin sgemm (native/concord_sgemm.c)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "concord-sgemm-"));
  const addons = new Map<string, TAddon>();
  beforeAll(async () => {
    await Promise.all(
      CAPS.map(async (cap) => {
        const out = path.join(dir, `builtin-${cap}.node`);
        const args = [build, "--sgemm", "builtin", "--sgemm-isa", cap, "--out", out, "--require"];
        await promisify(execFile)(process.execPath, args);
        addons.set(cap, loadAddonFile(out));
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CAPS)("capped at %s: reports the builtin sgemm and a kernel within the cap", (cap) => {
    const addon = addons.get(cap) as TAddon;
    expect(addon.sgemmLibrary).toBe("builtin");
    expect(addon.sgemmKernel).toMatch(KERNEL_FOR_CAP[cap] as RegExp);
  });

  it.each(CAPS)(
    "capped at %s: 64 random shapes and 16 block-crossing ones match a float64 reference",
    (cap) => {
      const addon = addons.get(cap) as TAddon;
      for (const [i, c] of [...randomCases(7, 64), ...BLOCK_CASES].entries())
        checkSgemm(addon, c, 100 + 3 * i);
    },
  );

  it("k = 0 scales C by beta, m = 0 or n = 0 is a no-op", () => {
    const addon = addons.get(CAPS[0]) as TAddon;
    const c = Float32Array.from([1, 2, 3, 4]);
    addon.sgemm(new Float32Array(0), new Float32Array(0), c, Int32Array.from([0, 0, 2, 2, 0, 1, 2, 2]), 0.5);
    expect([...c]).toEqual([0.5, 1, 1.5, 2]);
    addon.sgemm(new Float32Array(0), new Float32Array(4), c, Int32Array.from([0, 0, 0, 2, 2, 2, 2, 2]), 0);
    expect([...c]).toEqual([0.5, 1, 1.5, 2]);
  });

  it("refuses a shape or stride that does not fit its array instead of reading past it", () => {
    const addon = addons.get(CAPS[0]) as TAddon;
    const f = (n: number) => new Float32Array(n);
    expect(() => addon.sgemm(f(5), f(6), f(4), Int32Array.from([0, 0, 2, 2, 3, 3, 2, 2]), 0)).toThrow(
      /does not fit/,
    );
    expect(() => addon.sgemm(f(6), f(6), f(4), Int32Array.from([1, 0, 2, 2, 3, 1, 2, 2]), 0)).toThrow(
      /does not fit/,
    );
    expect(() => addon.sgemm(f(6), f(6), f(4), Int32Array.from([0, 0, 2, 2, 3]), 0)).toThrow(/bad arguments/);
  });

  it.each(CAPS.flatMap((cap) => CONVS.map(([name, g]) => [cap, name, g] as const)))(
    "capped at %s, %s: conv2d and both gradients on the builtin sgemm match a float64 reference",
    (cap, _, g) => {
      const addon = addons.get(cap) as TAddon;
      const { n, h, w, ci, kh, kw, co, oh, ow } = g;
      const x = rand(1, n * h * w * ci);
      const f = rand(2, kh * kw * ci * co);
      const dy = rand(3, n * oh * ow * co);
      const ref = naiveConv(g, x, f, dy);
      const p = Int32Array.from(GEOM_KEYS, (key) => g[key]);
      const y = new Float32Array(ref.y.length);
      const dx = new Float32Array(ref.dx.length).fill(Number.NaN);
      const df = new Float32Array(ref.df.length).fill(Number.NaN);
      addon.conv2d(x, f, y, p);
      addon.conv2dBackpropInput(dy, f, dx, p);
      addon.conv2dBackpropFilter(x, dy, df, p);
      expect(maxRel(y, ref.y)).toBeLessThan(1e-5);
      expect(maxRel(dx, ref.dx)).toBeLessThan(1e-5);
      expect(maxRel(df, ref.df)).toBeLessThan(1e-5);
    },
  );

  it("gemm: a batch of 3 with every transpose and a broadcast operand matches the reference", () => {
    const addon = addons.get(CAPS[0]) as TAddon;
    const [batch, m, n, k] = [3, 7, 19, 13];
    for (let t = 0; t < 4; t++) {
      const [ta, tb] = [t & 1, t >> 1];
      const a = rand(20 + t, batch * m * k);
      const b = rand(30 + t, k * n); // one B for the whole batch (stride 0)
      const out = new Float32Array(batch * m * n);
      addon.gemm(a, b, out, Int32Array.from([batch, m, n, k, ta, tb, m * k, 0]));
      const ref = new Float32Array(out.length);
      for (let i = 0; i < batch; i++)
        for (let r = 0; r < m; r++)
          for (let c = 0; c < n; c++) {
            let s = 0;
            for (let p = 0; p < k; p++)
              s +=
                (a[i * m * k + (ta ? p * m + r : r * k + p)] as number) *
                (b[tb ? c * k + p : p * n + c] as number);
            ref[(i * m + r) * n + c] = s;
          }
      expect(maxRel(out, ref)).toBeLessThan(1e-5);
    }
  });
});

if (!hasCompiler) describe.skip("builtin sgemm skipped: no C compiler (cc) to build it", () => {});
