import type { Rng } from "../loop/seeded-rng";
import { PIXELS, SIZE } from "./augment";

/** A standard normal draw (Box-Muller, two uniforms). */
function normal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * log of a Gamma(a, 1) draw: Marsaglia-Tsang for a >= 1; for a < 1, Gamma(a + 1) x U^(1/a), in logs so that
 * a tiny shape does not underflow to 0.
 */
function logGamma(rng: Rng, a: number): number {
  if (a < 1) return logGamma(rng, a + 1) + Math.log(1 - rng.next()) / a;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (Math.log(1 - rng.next()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d * v);
  }
}

/** A Beta(alpha, alpha) draw from the trainer's RNG (G1 / (G1 + G2) of two Gamma(alpha) draws). */
export function betaSymmetric(rng: Rng, alpha: number): number {
  if (!(alpha > 0)) throw new Error(`mixup alpha must be > 0 (got ${alpha})`);
  const g1 = logGamma(rng, alpha);
  const g2 = logGamma(rng, alpha);
  return 1 / (1 + Math.exp(g2 - g1));
}

/** A batch of n examples: images (n x 2304), soft targets (n x C), example weights (n) or none. */
export type TBatch = { n: number; x: Float32Array; y: Float32Array; w: Float32Array | null };
export type TMixed = {
  x: Float32Array;
  y: Float32Array;
  w: Float32Array | null;
  lambda: number;
  partner: number[];
};

/** Row i of the result: lambda x row i + (1 - lambda) x row partner[i] (n rows). */
function mixRows(src: Float32Array, n: number, partner: number[], lambda: number): Float32Array {
  const per = src.length / n;
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    const a = i * per;
    const p = (partner[i] as number) * per;
    for (let k = 0; k < per; k++)
      out[a + k] = lambda * (src[a + k] as number) + (1 - lambda) * (src[p + k] as number);
  }
  return out;
}

/** lambda ~ Beta(alpha, alpha) folded to max(lambda, 1 - lambda) (each example keeps the larger share). */
function foldedLambda(rng: Rng, alpha: number): number {
  const b = betaSymmetric(rng, alpha);
  return Math.max(b, 1 - b);
}

/**
 * Mixup (Zhang et al. 2018) on one batch of n examples: a folded lambda, a partner for every example from a
 * shuffle of the batch, and x_i' = lambda x_i + (1 - lambda) x_partner(i), the same for the soft targets
 * (rows still sum to 1) and the example weights. Draws from `rng` only, so a seeded run repeats and resumes
 * exactly.
 */
export function mixBatch({ n, x, y, w }: TBatch, rng: Rng, alpha: number): TMixed {
  const lambda = foldedLambda(rng, alpha);
  const partner = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const mixed = (src: Float32Array) => mixRows(src, n, partner, lambda);
  return { x: mixed(x), y: mixed(y), w: w ? mixed(w) : null, lambda, partner };
}

/**
 * CutMix (Yun et al. 2019) on one batch of n 48x48 images: a folded lambda gives a box of side
 * round(48 sqrt(1 - lambda)) around a uniform centre (clipped at the borders); every image takes its
 * partner's pixels inside the box, and targets and weights are mixed by the share of the image left,
 * lambda = 1 - box area / 2304 (so rows still sum to 1).
 */
export function cutmixBatch({ n, x, y, w }: TBatch, rng: Rng, alpha: number): TMixed {
  const side = Math.round(SIZE * Math.sqrt(1 - foldedLambda(rng, alpha)));
  const cy = rng.int(SIZE);
  const cx = rng.int(SIZE);
  const clip = (v: number) => Math.min(SIZE, Math.max(0, v));
  const [y0, y1] = [clip(cy - Math.floor(side / 2)), clip(cy + Math.ceil(side / 2))];
  const [x0, x1] = [clip(cx - Math.floor(side / 2)), clip(cx + Math.ceil(side / 2))];
  const lambda = 1 - ((y1 - y0) * (x1 - x0)) / PIXELS;
  const partner = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const out = x.slice();
  for (let i = 0; i < n; i++) {
    const p = (partner[i] as number) * PIXELS;
    for (let r = y0; r < y1; r++)
      out.set(x.subarray(p + r * SIZE + x0, p + r * SIZE + x1), i * PIXELS + r * SIZE + x0);
  }
  const mixed = (src: Float32Array) => mixRows(src, n, partner, lambda);
  return { x: out, y: mixed(y), w: w ? mixed(w) : null, lambda, partner };
}

/**
 * The batch the loop trains on: mixup, cutmix, or with both on one of them per batch (a fair coin from
 * `rng`, as timm switches); null when both are off.
 */
export function mixOrCut(b: TBatch, rng: Rng, alphas: { mixup: number; cutmix: number }): TMixed | null {
  const { mixup, cutmix } = alphas;
  if (mixup > 0 && cutmix > 0)
    return rng.next() < 0.5 ? mixBatch(b, rng, mixup) : cutmixBatch(b, rng, cutmix);
  if (mixup > 0) return mixBatch(b, rng, mixup);
  if (cutmix > 0) return cutmixBatch(b, rng, cutmix);
  return null;
}
