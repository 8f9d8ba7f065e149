// Small seeded PRNG (mulberry32) so demo data is identical for a seed on every machine and Node version.
export type TRng = {
  next: () => number;
  int: (n: number) => number;
  normal: () => number;
  pick: <T>(xs: readonly T[]) => T;
};

export function createRng(seed: number): TRng {
  let a = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    // Box-Muller; one of the pair is dropped to keep the stream simple.
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
  };
}
