// Pure helpers behind the agreement-vs-F1 scatter (no I/O; unit-tested).

export type TScatterInput = {
  labels: readonly string[];
  agreement: readonly { label: string; value: number }[];
  perClass: readonly { label: string; f1: number; support: number }[];
};

// One point per class present in both the crowd statistics and the evaluation, with a finite agreement and
// non-zero support: a class the model never saw in this split has no F1 to plot.
export function buildScatterPoints(input: TScatterInput) {
  const agreeBy = new Map(input.agreement.map((a) => [a.label, a.value]));
  return input.perClass.flatMap((p) => {
    const x = agreeBy.get(p.label);
    if (x === undefined || !Number.isFinite(x) || !Number.isFinite(p.f1) || p.support <= 0) return [];
    return [{ label: p.label, agreement: x, f1: p.f1, support: p.support }];
  });
}

// Pearson correlation of the scatter, reported beside it (null below 3 points).
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 3 || ys.length !== n) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}
