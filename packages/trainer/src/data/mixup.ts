import type { Rng } from "../loop/seeded-rng";

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

export type TMixed = {
  x: Float32Array;
  y: Float32Array;
  w: Float32Array | null;
  lambda: number;
  partner: number[];
};

/**
 * Mixup (Zhang et al. 2018) on one batch of n examples: lambda ~ Beta(alpha, alpha) folded to
 * max(lambda, 1 - lambda) (the same mixtures, each example keeping the larger share), a partner for every
 * example from a shuffle of the batch, and x_i' = lambda x_i + (1 - lambda) x_partner(i), the same for the
 * soft targets (rows still sum to 1) and the example weights. Draws from `rng` only, so a seeded run repeats
 * and resumes exactly.
 */
export function mixBatch(
  n: number,
  x: Float32Array,
  y: Float32Array,
  w: Float32Array | null,
  rng: Rng,
  alpha: number,
): TMixed {
  const b = betaSymmetric(rng, alpha);
  const lambda = Math.max(b, 1 - b);
  const partner = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const mix = (src: Float32Array | null): Float32Array | null => {
    if (!src) return null;
    const per = src.length / n;
    const out = new Float32Array(src.length);
    for (let i = 0; i < n; i++) {
      const a = i * per;
      const p = (partner[i] as number) * per;
      for (let k = 0; k < per; k++)
        out[a + k] = lambda * (src[a + k] as number) + (1 - lambda) * (src[p + k] as number);
    }
    return out;
  };
  return { x: mix(x) as Float32Array, y: mix(y) as Float32Array, w: mix(w), lambda, partner };
}
