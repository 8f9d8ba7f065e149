// Pure helpers behind the agreement statistics and the agreement-vs-F1 scatter (no I/O; unit-tested).

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

// Per-annotator confusion against the leave-one-out plurality of the other votes (identified + tallies) on
// the same image: the fallback when no label snapshot exists. Votes whose others tie or are absent are
// skipped. Rows = others' plurality, columns = the annotator's label.
export function looConfusion(
  votes: {
    readonly item: ArrayLike<number>;
    readonly worker: ArrayLike<number>;
    readonly label: ArrayLike<number>;
  },
  counts: ArrayLike<number>,
  numClasses: number,
  numWorkers: number,
): number[][][] {
  const C = numClasses;
  const out = Array.from({ length: numWorkers }, () =>
    Array.from({ length: C }, () => new Array<number>(C).fill(0)),
  );
  for (let k = 0; k < votes.item.length; k++) {
    const i = votes.item[k]!;
    const l = votes.label[k]!;
    let best = -1;
    let top = 0;
    let tied = false;
    for (let c = 0; c < C; c++) {
      const n = counts[i * C + c]! - (c === l ? 1 : 0);
      if (n > top) {
        top = n;
        best = c;
        tied = false;
      } else if (n === top && n > 0) tied = true;
    }
    if (best < 0 || tied) continue;
    out[votes.worker[k]!]![best]![l]! += 1;
  }
  return out;
}

// Median response time per annotator (null when there is none).
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
