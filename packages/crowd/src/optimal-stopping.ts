import { confidenceOf } from "./confidence";
import { panelPosterior, type TPanelPrior, type TReference } from "./plurality";

/**
 * Bayes-optimal sequential stopping under a panel prior: minimise E[votes] + errorCost * E[disagreement].
 * V(n) = min(stop, 1 + sum_c P(next vote c | n) V(n + e_c)), stop = errorCost * (1 - confidence(n)),
 * V = stop once the panel is full. The myopic "confidence >= target" rule spends the same effort on every
 * face; this one also stops on faces where more votes would buy little (a 4-4 split stays a coin flip),
 * and keeps going where one more vote is likely to settle the answer.
 * Exact prune: stop <= 1 means stopping wins (continuing costs at least one vote). Children whose
 * predictive probability is below 1e-6 are valued at their stop cost (an upper bound) instead of expanded.
 */
export type TStoppingPlan = {
  prior: TPanelPrior;
  errorCost: number;
  reference: TReference;
  /** Memoised state values and decisions, keyed by the count vector. */
  memo: Map<string, { value: number; stop: boolean; label: number; confidence: number; top: Float64Array }>;
};

export function createStoppingPlan(
  prior: TPanelPrior,
  errorCost: number,
  reference: TReference = "plurality",
): TStoppingPlan {
  if (!(errorCost > 0)) throw new RangeError(`errorCost must be > 0, got ${errorCost}`);
  return { prior, errorCost, reference, memo: new Map() };
}

export function planDecision(plan: TStoppingPlan, counts: ArrayLike<number>) {
  const C = plan.prior.numClasses;
  const H = plan.prior.panelSize;
  const key = Array.prototype.join.call(counts, ",");
  const hit = plan.memo.get(key);
  if (hit) return hit;
  let k = 0;
  for (let c = 0; c < C; c++) k += counts[c]!;
  const { top, next } = panelPosterior(counts, plan.prior, plan.reference);
  let label = 0;
  for (let c = 1; c < C; c++) if (top[c]! > top[label]!) label = c;
  const confidence = confidenceOf(top, label);
  const stopCost = plan.errorCost * (1 - confidence);
  let value = stopCost;
  let stop = true;
  if (k < H && stopCost > 1) {
    let cont = 1;
    const child = Array.from(counts);
    for (let c = 0; c < C; c++) {
      const p = next[c]!;
      if (p <= 0) continue;
      child[c]!++;
      cont += p * (p < 1e-6 ? stopCost : planDecision(plan, child).value);
      child[c]!--;
    }
    if (cont < stopCost) {
      value = cont;
      stop = false;
    }
  }
  const out = { value, stop, label, confidence, top };
  plan.memo.set(key, out);
  return out;
}
