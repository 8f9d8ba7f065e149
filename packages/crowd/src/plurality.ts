/**
 * P(final plurality of a panel of H votes = c | the first k votes), under two priors:
 * - a panel prior: the empirical distribution of complete panels seen before (exact Bayes with a
 *   multivariate hypergeometric likelihood, since the first k votes are a random subset of the panel);
 * - a Dirichlet on the item's vote distribution (Polya urn for the remaining H - k votes, exact DP).
 * What the full panel's answer is (`TReference`):
 * - "plurality" (default): its top classes; publishing any class tied at the top agrees;
 * - "plurality-split": its top classes, each of k tied classes earning 1/k;
 * - "majority": the class holding more than half of the panel's votes; a panel without one has no answer,
 *   so nothing published for it can disagree (such faces are dropped by majority-label protocols anyway);
 * - "ferplus-majority": the FER+ majority protocol: classes with a single vote are dropped first, then the
 *   class holding more than half of the remaining votes; no answer otherwise.
 */
import { majorityCompletionProbabilities } from "./majority-completion";

export type TReference = "plurality" | "plurality-split" | "majority" | "ferplus-majority";

export type TPanelPrior = {
  numClasses: number;
  panelSize: number;
  /** Distinct complete panels (M x numClasses counts, row-major) and how often each was seen. */
  vectors: Float64Array;
  weights: Float64Array;
  /** Mean class distribution over the panels (class prior). */
  mean: Float64Array;
  /**
   * Good-Turing share of panels never seen before (panels seen once / all panels): the prior mass given
   * to a smooth Dirichlet-multinomial component so a rare vote pattern cannot make the rule overconfident.
   */
  novelty: number;
  /** Dirichlet of the smooth component: mean * concentration, concentration fit by maximum likelihood. */
  alpha: Float64Array;
};

/** Credit of each class for a complete panel under a reference (all zero: the panel has no answer). */
export function pluralityCredit(
  counts: ArrayLike<number>,
  reference: TReference = "plurality",
): Float64Array {
  const C = counts.length;
  let max = 0;
  let total = 0;
  for (let c = 0; c < C; c++) {
    max = Math.max(max, counts[c]!);
    total += counts[c]!;
  }
  const out = new Float64Array(C);
  if (max <= 0) return out;
  if (reference === "majority") {
    if (2 * max > total) out[Array.prototype.indexOf.call(counts, max)] = 1;
    return out;
  }
  if (reference === "ferplus-majority") {
    let kept = 0;
    for (let c = 0; c < C; c++) if (counts[c]! >= 2) kept += counts[c]!;
    if (max >= 2 && 2 * max > kept) out[Array.prototype.indexOf.call(counts, max)] = 1;
    return out;
  }
  const mode = reference === "plurality-split" ? "split" : "any";
  let tied = 0;
  for (let c = 0; c < C; c++) if (counts[c] === max) tied++;
  for (let c = 0; c < C; c++) if (counts[c] === max) out[c] = mode === "split" ? 1 / tied : 1;
  return out;
}

/** Builds a panel prior from complete panels (numItems x numClasses counts); rows of another size are skipped. */
export function fitPanelPrior(counts: ArrayLike<number>, numClasses: number, panelSize = 10): TPanelPrior {
  const C = numClasses;
  if (counts.length % C !== 0)
    throw new RangeError(`counts length ${counts.length} is not a multiple of ${C}`);
  const seen = new Map<string, number>();
  const rows: number[][] = [];
  const mean = new Float64Array(C);
  let used = 0;
  for (let i = 0; i < counts.length / C; i++) {
    const row = Array.from({ length: C }, (_, c) => counts[i * C + c]!);
    if (row.reduce((a, b) => a + b, 0) !== panelSize || row.some((x) => !Number.isInteger(x) || x < 0))
      continue;
    used++;
    for (let c = 0; c < C; c++) mean[c]! += row[c]! / panelSize;
    const key = row.join(",");
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, rows.length);
      rows.push([...row, 1]);
    } else rows[at]![C]!++;
  }
  if (used === 0) throw new RangeError(`no complete panels of ${panelSize} votes to fit a prior on`);
  for (let c = 0; c < C; c++) mean[c] = (mean[c]! + 1 / C) / (used + 1);
  const singletons = rows.filter((r) => r[C] === 1).length;
  const vectors = Float64Array.from(rows.flatMap((r) => r.slice(0, C)));
  const weights = Float64Array.from(rows, (r) => r[C]! / used);
  // Concentration of the smooth component: the best of a log grid by likelihood of the seen panels.
  let best = { ll: -Infinity, s: 1 };
  for (let e = -2; e <= 3; e += 0.125) {
    const s = 10 ** e;
    const alpha = mean.map((m) => m * s);
    let ll = 0;
    for (let v = 0; v < weights.length; v++)
      ll += weights[v]! * Math.log(dirichletMultinomial(vectors.subarray(v * C, v * C + C), alpha));
    if (ll > best.ll) best = { ll, s };
  }
  return {
    numClasses: C,
    panelSize,
    vectors,
    weights,
    mean,
    novelty: Math.min(0.5, Math.max(1 / (used + 1), singletons / used)),
    alpha: mean.map((m) => m * best.s),
  };
}

/** P(counts) for sum(counts) draws from a Dirichlet-multinomial (an unordered count vector). */
export function dirichletMultinomial(counts: ArrayLike<number>, alpha: ArrayLike<number>): number {
  let p = 1;
  let k = 0;
  let A = 0;
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c]!;
    const a = alpha[c]!;
    A += a;
    for (let t = 0; t < n; t++) p *= (a + t) / (t + 1);
    k += n;
  }
  for (let t = 0; t < k; t++) p *= (t + 1) / (A + t);
  return p;
}

const binom: number[][] = [];
export function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  for (let a = binom.length; a <= n; a++) {
    const row = [1];
    for (let b = 1; b <= a; b++) row.push((binom[a - 1]?.[b - 1] ?? 0) + (b < a ? binom[a - 1]![b]! : 0));
    binom.push(row);
  }
  return binom[n]![k]!;
}

/**
 * Prior weight of seen panel v times the number of ways the counts are a subset of it (the hypergeometric
 * likelihood up to the shared 1 / C(H, k)); 0 when v cannot contain them.
 */
export function seenPanelWeight(prior: TPanelPrior, v: number, counts: ArrayLike<number>): number {
  const C = prior.numClasses;
  let lik = prior.weights[v]!;
  for (let c = 0; c < C && lik > 0; c++) {
    const n = counts[c]!;
    if (n > 0) lik *= choose(prior.vectors[v * C + c]!, n);
  }
  return lik;
}

/**
 * Exact posterior over the final top classes under a panel prior: with prior mass 1 - novelty the panel
 * is one seen before (hypergeometric likelihood of the counts), with mass novelty it is new (Dirichlet-
 * multinomial, Polya-urn completion). Both likelihoods are of the same event (this count vector).
 */
export function panelPluralityProbabilities(
  counts: ArrayLike<number>,
  prior: TPanelPrior,
  reference: TReference = "plurality",
): Float64Array {
  return panelPosterior(counts, prior, reference).top;
}

/** Panel-prior posterior: P(c among the final top classes) and the predictive distribution of the next vote. */
export function panelPosterior(
  counts: ArrayLike<number>,
  prior: TPanelPrior,
  reference: TReference = "plurality",
): { top: Float64Array; next: Float64Array } {
  const C = prior.numClasses;
  const H = prior.panelSize;
  const top = new Float64Array(C);
  const next = new Float64Array(C);
  let k = 0;
  let A = 0;
  for (let c = 0; c < C; c++) {
    k += counts[c]!;
    A += prior.alpha[c]!;
  }
  let z = 0;
  const M = prior.weights.length;
  for (let v = 0; v < M; v++) {
    const lik = seenPanelWeight(prior, v, counts);
    if (lik <= 0) continue;
    z += lik;
    const credit = pluralityCredit(prior.vectors.subarray(v * C, v * C + C), reference);
    for (let c = 0; c < C; c++) {
      top[c]! += lik * credit[c]!;
      if (k < H) next[c]! += (lik * (prior.vectors[v * C + c]! - counts[c]!)) / (H - k);
    }
  }
  const seen = (1 - prior.novelty) / choose(H, k);
  const novel = prior.novelty * dirichletMultinomial(counts, prior.alpha);
  const smooth = dirichletPluralityProbabilities(counts, H, prior.alpha, reference);
  const total = seen * z + novel;
  for (let c = 0; c < C; c++) {
    top[c] = (seen * top[c]! + novel * smooth[c]!) / total;
    next[c] = (seen * next[c]! + (novel * (prior.alpha[c]! + counts[c]!)) / (A + k)) / total;
  }
  return { top, next };
}

/**
 * Polya-urn DP: remaining r = H - k votes ~ DirMult(r, alpha + counts). For each candidate j and each
 * number m of remaining votes it gets, multiply the other classes' generating polynomials restricted to
 * "stay below j" (or tie, tracked by a second index) and read the coefficient of x^(r - m).
 * Classes with equal (alpha, count) are interchangeable, so each distinct pair is computed once.
 */
export function dirichletPluralityProbabilities(
  counts: ArrayLike<number>,
  panelSize: number,
  alpha: ArrayLike<number>,
  reference: TReference = "plurality",
): Float64Array {
  const C = counts.length;
  let k = 0;
  for (let c = 0; c < C; c++) k += counts[c]!;
  const r = panelSize - k;
  if (r <= 0) return pluralityCredit(counts, reference);
  const a = Float64Array.from({ length: C }, (_, c) => alpha[c]! + counts[c]!);
  // g[c][m] = a_c^(m rising) / m!  (Polya weight of class c receiving m of the remaining votes)
  const g = Array.from({ length: C }, (_, c) => {
    const row = new Float64Array(r + 1);
    row[0] = 1;
    for (let m = 1; m <= r; m++) row[m] = (row[m - 1]! * (a[c]! + m - 1)) / m;
    return row;
  });
  let A = 0;
  for (const x of a) A += x;
  if (reference === "majority") return majorityProbabilities(counts, panelSize, a, A, r);
  if (reference === "ferplus-majority") return majorityCompletionProbabilities(counts, panelSize, alpha);
  const ties = reference === "plurality-split" ? "split" : "any";
  let norm = 1; // r! / A^(r rising)
  for (let t = 0; t < r; t++) norm *= (t + 1) / (A + t);
  const out = new Float64Array(C);
  const memo = new Map<string, number>();
  // Tie counter dimension: only "split" credit depends on how many classes tie at the top; "any" sums over it.
  const T = ties === "split" ? C : 1;
  let dp = new Float64Array((r + 1) * T);
  let next = new Float64Array((r + 1) * T);
  for (let j = 0; j < C; j++) {
    const key = `${a[j]}|${counts[j]}`;
    const hit = memo.get(key);
    if (hit !== undefined) {
      out[j] = hit;
      continue;
    }
    let pj = 0;
    for (let mj = 0; mj <= r; mj++) {
      const F = counts[j]! + mj;
      const rest = r - mj;
      dp.fill(0);
      dp[0] = 1;
      for (let c = 0; c < C; c++) {
        if (c === j) continue;
        next.fill(0);
        const nc = counts[c]!;
        const gc = g[c]!;
        for (let u = 0; u <= rest; u++) {
          for (let t = 0; t < T; t++) {
            const base = dp[u * T + t]!;
            if (base === 0) continue;
            for (let m = 0; u + m <= rest && nc + m <= F; m++) {
              const tied = T > 1 && nc + m === F ? 1 : 0;
              next[(u + m) * T + t + tied]! += base * gc[m]!;
            }
          }
        }
        [dp, next] = [next, dp];
      }
      let s = 0;
      for (let t = 0; t < T; t++) s += ties === "split" ? dp[rest * T + t]! / (t + 1) : dp[rest * T + t]!;
      pj += g[j]![mj]! * s;
    }
    out[j] = pj * norm;
    memo.set(key, out[j]!);
  }
  return out;
}

/** P(class c ends with more than half of the panel): c's remaining votes are Beta-binomial(r, a_c, A - a_c). */
function majorityProbabilities(
  counts: ArrayLike<number>,
  H: number,
  a: Float64Array,
  A: number,
  r: number,
): Float64Array {
  const C = counts.length;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const b = A - a[c]!;
    // P(m) = C(r, m) * a^(m rising) * b^(r - m rising) / A^(r rising), built up term by term.
    let norm = 1;
    for (let t = 0; t < r; t++) norm /= A + t;
    for (let m = 0; m <= r; m++) {
      if (2 * (counts[c]! + m) <= H) continue;
      let p = choose(r, m) * norm;
      for (let t = 0; t < m; t++) p *= a[c]! + t;
      for (let t = 0; t < r - m; t++) p *= b + t;
      out[c]! += p;
    }
  }
  return out;
}
