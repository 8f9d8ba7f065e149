// Ranking of label-issue suspects (pure): the one call the review queue makes, with the crowd's vote counts and
// the model's out-of-sample distributions. Same input as @concord/crowd's label-issue finder (issue 12,
// section 2), which replaces the interim scoring below when it lands in packages/crowd.
export type TRankInput = {
  numClasses: number;
  /** numItems x numClasses crowd vote counts (identified + imported). */
  counts: ArrayLike<number>;
  /** numItems x numModelClasses model distributions; model class k is vote class k. */
  probs: ArrayLike<number>;
  numModelClasses: number;
  /** Current crowd label per item (-1: none). */
  labels: ArrayLike<number>;
};

// Interim: 1 - the posterior of the crowd label under (model distribution) x (one-coin population likelihood
// of the votes), the accuracy taken from the votes' pairwise agreement. Items without a label score 0.
export function scoreSuspects(input: TRankInput): Float64Array {
  const { numClasses: C, numModelClasses: K, counts, probs, labels } = input;
  const N = labels.length;
  let agree = 0;
  let pairs = 0;
  for (let i = 0; i < N; i++) {
    let n = 0;
    for (let c = 0; c < C; c++) {
      const x = counts[i * C + c]!;
      agree += x * (x - 1);
      n += x;
    }
    pairs += n * (n - 1);
  }
  // Pairwise agreement q = a^2 + (1 - a)^2 / (C - 1) under the one-coin model, solved for a.
  const q = pairs > 0 ? agree / pairs : 1 / C;
  const disc = Math.max(0, (C - 1) * (C * q - 1));
  const accuracy = Math.min(0.999, Math.max(1 / C + 1e-3, (1 + Math.sqrt(disc)) / C));
  const right = Math.log(accuracy);
  const wrong = Math.log((1 - accuracy) / (C - 1));
  const out = new Float64Array(N);
  const logp = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const y = labels[i]!;
    if (y < 0) continue;
    let n = 0;
    for (let c = 0; c < C; c++) n += counts[i * C + c]!;
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const model = c < K ? Math.max(1e-6, probs[i * K + c]!) : 1e-6;
      const x = counts[i * C + c]!;
      logp[c] = Math.log(model) + x * right + (n - x) * wrong;
      max = Math.max(max, logp[c]!);
    }
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logp[c]! - max);
    out[i] = 1 - Math.exp(logp[y]! - max) / z;
  }
  return out;
}
