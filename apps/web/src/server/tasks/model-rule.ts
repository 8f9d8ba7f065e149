// The model-prior stopping rule as the web uses it (pure): fit the prior on a dataset's voted images and their
// out-of-sample predictions, then decide per image. The one door to @concord/crowd's model-prior stopping
// (issue 12, crowd12); the interim fit below (a Dirichlet around the model's distribution, its concentration
// by maximum likelihood of the panels) is replaced by crowd's fitModelPrior / modelStoppingDecision when
// they land in packages/crowd.
import { needsMoreVotes } from "@concord/crowd";

export type TStoppingPolicy = { minVotes: number; maxVotes: number; targetConfidence: number };

// JSON-safe (stored in Dataset.stoppingFit).
export type TModelStoppingPrior = {
  numClasses: number;
  numModelClasses: number;
  concentration: number;
  /** Voted images the prior was fitted on. */
  panels: number;
};

const CONCENTRATIONS = [0.5, 1, 2, 3, 5, 8, 12, 20, 35, 60, 100];
const FLOOR = 1e-3;

// Dirichlet pseudo-counts (length C) for one image: the model's distribution over its K classes, a floor for
// the vote classes outside the model, times the concentration.
function pseudoCounts(prior: TModelStoppingPrior, probs: ArrayLike<number>): Float64Array {
  const C = prior.numClasses;
  const m = new Float64Array(C);
  let z = 0;
  for (let c = 0; c < C; c++) {
    m[c] = (c < prior.numModelClasses ? Math.max(0, probs[c] ?? 0) : 0) + FLOOR;
    z += m[c]!;
  }
  return m.map((x) => (x / z) * prior.concentration);
}

// panels: N x C vote counts, probs: N x K. Null when no image has 2 votes (one vote says nothing about it).
export function fitModelStoppingPrior(
  panels: ArrayLike<number>,
  probs: ArrayLike<number>,
  numClasses: number,
  numModelClasses: number,
): TModelStoppingPrior | null {
  const C = numClasses;
  const K = numModelClasses;
  const N = panels.length / C;
  let best: TModelStoppingPrior | null = null;
  let bestLl = -Infinity;
  for (const concentration of CONCENTRATIONS) {
    const prior = { numClasses: C, numModelClasses: K, concentration, panels: 0 };
    let ll = 0;
    for (let i = 0; i < N; i++) {
      let n = 0;
      for (let c = 0; c < C; c++) n += panels[i * C + c]!;
      if (n < 2) continue;
      prior.panels++;
      const a = pseudoCounts(
        prior,
        Array.from({ length: K }, (_, k) => probs[i * K + k]!),
      );
      for (let c = 0; c < C; c++) for (let t = 0; t < panels[i * C + c]!; t++) ll += Math.log(a[c]! + t);
      for (let t = 0; t < n; t++) ll -= Math.log(concentration + t);
    }
    if (prior.panels > 0 && ll > bestLl) {
      bestLl = ll;
      best = prior;
    }
  }
  return best;
}

export type TModelVerdict = { done: boolean; stopOn: number[] };

// Whether the image needs no more votes now, and which label's next vote would finish it (what the vote
// trigger applies before the web recomputes). Below minVotes nothing is computed: the rule cannot stop there.
export function modelVerdict(
  counts: readonly number[],
  probs: ArrayLike<number>,
  prior: TModelStoppingPrior,
  policy: TStoppingPolicy,
): TModelVerdict {
  const alpha = pseudoCounts(prior, probs);
  const votes = counts.reduce((s, x) => s + x, 0);
  const stops = (c: readonly number[], n: number) =>
    n >= policy.minVotes &&
    !needsMoreVotes(c, {
      prior: alpha,
      minVotes: policy.minVotes,
      maxVotes: policy.maxVotes,
      targetConfidence: policy.targetConfidence,
    }).needsMore;
  const stopOn: number[] = [];
  if (votes + 1 >= policy.minVotes) {
    const next = [...counts];
    for (let l = 0; l < counts.length; l++) {
      next[l]!++;
      if (stops(next, votes + 1)) stopOn.push(l);
      next[l]!--;
    }
  }
  return { done: stops(counts, votes), stopOn };
}
