import {
  choose,
  dirichletMultinomial,
  dirichletPluralityProbabilities,
  pluralityCredit,
  seenPanelWeight,
  type TPanelPrior,
  type TReference,
} from "./plurality";

/**
 * The panel prior with a model in it. The panel prior (fitPanelPrior: the complete panels seen before, plus a
 * smooth Dirichlet-multinomial part for unseen ones) is split by the class each panel is about (its plurality;
 * ties shared): P(panel) = sum_c share_c P(panel | class c). An image's model distribution replaces the shares:
 *   P_i(panel) = sum_c q_i(c) P(panel | class c),
 * q_i = the item's class prior (calibratedClassPrior: the model's distribution, tempered, mixed with the shares;
 * vote classes the model does not know keep their share). So the prior still knows how panels about each class
 * look (neutral splits with sadness, not with happiness), and the model says which class this face is about.
 * Given an item's votes so far (exact hypergeometric likelihood for seen panels, Polya completion for the smooth
 * part), P(the full panel's answer = x) = sum_c r_c top_c[x] / sum_c r_c like_c with r_c = q_i(c) / share_c
 * (modelPanelProbabilities); the per-class sums depend only on the counts and are memoised.
 */
export type TModelPanelPrior = {
  kind: "model-panel";
  panel: TPanelPrior;
  /** Prior share of each class (the panels' plurality, ties shared). */
  share: Float64Array;
  /** M x C: class shares of each seen panel. */
  panelClass: Float64Array;
  /** C x C: Dirichlet of the smooth part per class (concentration by maximum likelihood, per class). */
  classAlpha: Float64Array;
  memo: Map<string, TClassConditionals>;
};

/** Under the panel prior, per class c: like[c] = P(counts, class c), top[c * C + x] = P(counts, class c, answer x). */
export type TClassConditionals = { like: Float64Array; top: Float64Array };

export function createModelPanelPrior(panel: TPanelPrior): TModelPanelPrior {
  const { numClasses: C, vectors, weights } = panel;
  const M = weights.length;
  const panelClass = new Float64Array(M * C);
  const share = new Float64Array(C);
  for (let v = 0; v < M; v++) {
    const credit = pluralityCredit(vectors.subarray(v * C, v * C + C), "plurality-split");
    for (let c = 0; c < C; c++) {
      panelClass[v * C + c] = credit[c]!;
      share[c]! += weights[v]! * credit[c]!;
    }
  }
  const classAlpha = new Float64Array(C * C);
  for (let c = 0; c < C; c++) {
    const mean = new Float64Array(C);
    let z = 0;
    for (let v = 0; v < M; v++) {
      const w = weights[v]! * panelClass[v * C + c]!;
      if (w === 0) continue;
      z += w;
      for (let d = 0; d < C; d++) mean[d]! += (w * vectors[v * C + d]!) / panel.panelSize;
    }
    for (let d = 0; d < C; d++) mean[d] = (mean[d]! + 1e-3) / (z + C * 1e-3);
    let best = { ll: -Infinity, s: 1 };
    for (let e = -1; e <= 3; e += 0.125) {
      const s = 10 ** e;
      const alpha = mean.map((m) => m * s);
      let ll = 0;
      for (let v = 0; v < M; v++) {
        const w = weights[v]! * panelClass[v * C + c]!;
        if (w > 0) ll += w * Math.log(dirichletMultinomial(vectors.subarray(v * C, v * C + C), alpha));
      }
      if (ll > best.ll) best = { ll, s };
    }
    for (let d = 0; d < C; d++) classAlpha[c * C + d] = mean[d]! * best.s;
  }
  return { kind: "model-panel", panel, share, panelClass, classAlpha, memo: new Map() };
}

/** The per-class likelihood of the counts and joint with the full panel's answer (memoised per counts). */
export function classConditionals(
  mp: TModelPanelPrior,
  counts: ArrayLike<number>,
  reference: TReference,
): TClassConditionals {
  const { panel, panelClass, share, classAlpha } = mp;
  const C = panel.numClasses;
  const H = panel.panelSize;
  const key = `${reference}|${Array.prototype.join.call(counts, ",")}`;
  const hit = mp.memo.get(key);
  if (hit) return hit;
  let k = 0;
  for (let c = 0; c < C; c++) k += counts[c]!;
  if (k > H) throw new RangeError(`${k} votes exceed the panel of ${H}`);
  const like = new Float64Array(C);
  const top = new Float64Array(C * C);
  const seen = (1 - panel.novelty) / choose(H, k);
  const M = panel.weights.length;
  for (let v = 0; v < M; v++) {
    const lik = seen * seenPanelWeight(panel, v, counts);
    if (lik <= 0) continue;
    const credit = pluralityCredit(panel.vectors.subarray(v * C, v * C + C), reference);
    for (let c = 0; c < C; c++) {
      const w = panelClass[v * C + c]!;
      if (w === 0) continue;
      like[c]! += w * lik;
      for (let x = 0; x < C; x++) if (credit[x]! > 0) top[c * C + x]! += w * lik * credit[x]!;
    }
  }
  // Smooth part per class; its completion is computed only where it can matter (1e-9 of the largest class).
  const novel = new Float64Array(C);
  let max = 0;
  for (let c = 0; c < C; c++) {
    novel[c] =
      panel.novelty * share[c]! * dirichletMultinomial(counts, classAlpha.subarray(c * C, c * C + C));
    max = Math.max(max, like[c]! / Math.max(share[c]!, 1e-12), novel[c]! / Math.max(share[c]!, 1e-12));
  }
  for (let c = 0; c < C; c++) {
    if (novel[c] === 0) continue;
    like[c]! += novel[c]!;
    if (novel[c]! / Math.max(share[c]!, 1e-12) < 1e-9 * max) continue;
    const p = dirichletPluralityProbabilities(counts, H, classAlpha.subarray(c * C, c * C + C), reference);
    for (let x = 0; x < C; x++) top[c * C + x]! += novel[c]! * p[x]!;
  }
  const out = { like, top };
  mp.memo.set(key, out);
  return out;
}

/**
 * P(the full panel's answer = x | counts) for an item whose class prior is q (length C, sums to 1; e.g.
 * calibratedClassPrior). With q = share it is the plain panel prior's answer.
 */
export function modelPanelProbabilities(
  mp: TModelPanelPrior,
  counts: ArrayLike<number>,
  q: ArrayLike<number>,
  reference: TReference = "plurality",
): Float64Array {
  const C = mp.panel.numClasses;
  if (q.length !== C)
    throw new RangeError(`class prior has ${q.length} entries, the panel prior ${C} classes`);
  const { like, top } = classConditionals(mp, counts, reference);
  const out = new Float64Array(C);
  let z = 0;
  for (let c = 0; c < C; c++) {
    const r = q[c]! / Math.max(mp.share[c]!, 1e-12);
    if (r === 0) continue;
    z += r * like[c]!;
    for (let x = 0; x < C; x++) out[x]! += r * top[c * C + x]!;
  }
  if (!(z > 0)) return pluralityCredit(counts, reference);
  for (let x = 0; x < C; x++) out[x]! /= z;
  return out;
}

/** How an item's model distribution becomes its class prior (fitted by fitModelCalibration). */
export type TModelCalibration = {
  numModelClasses: number;
  temperature: number;
  mix: number;
};

/**
 * q = (1 - mix) * base + mix * share, base_c = (1 - R) * softmax(log p / temperature)_c over the model's K
 * classes and share_c for the vote classes the model does not know (R = their total share).
 */
export function calibratedClassPrior(
  mp: TModelPanelPrior,
  cal: TModelCalibration,
  probs: ArrayLike<number>,
  offset = 0,
): Float64Array {
  const C = mp.panel.numClasses;
  const K = cal.numModelClasses;
  const { share } = mp;
  let R = 0;
  for (let c = K; c < C; c++) R += share[c]!;
  const q = new Float64Array(C);
  const beta = 1 / cal.temperature;
  let mx = -Infinity;
  for (let k = 0; k < K; k++) {
    q[k] = beta * Math.log(Math.max(1e-7, probs[offset + k]!));
    mx = Math.max(mx, q[k]!);
  }
  let z = 0;
  for (let k = 0; k < K; k++) {
    q[k] = Math.exp(q[k]! - mx);
    z += q[k]!;
  }
  for (let c = 0; c < C; c++) {
    const base = c < K ? ((1 - R) * q[c]!) / z : share[c]!;
    q[c] = (1 - cal.mix) * base + cal.mix * share[c]!;
  }
  return q;
}

const TEMPERATURES = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.15, 1.3, 1.5, 1.75, 2, 2.5, 3];
const MIXES = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5];

/**
 * Temperature and mix by maximum likelihood of the items' votes (any number each, the same exact likelihood
 * as the stopping rule uses): sum_i log sum_c q_i(c) P(counts_i | class c). Needs no complete panels: the
 * votes an item already has are enough, and a stopping rule that looks only at those votes leaves the
 * likelihood valid.
 */
export function fitModelCalibration(
  mp: TModelPanelPrior,
  counts: ArrayLike<number>,
  probs: ArrayLike<number>,
  numModelClasses: number,
): TModelCalibration & { logLikelihood: number; items: number } {
  const C = mp.panel.numClasses;
  const K = numModelClasses;
  if (!(Number.isInteger(K) && K >= 2 && K <= C))
    throw new RangeError(`numModelClasses must be in [2, ${C}]`);
  const N = counts.length / C;
  if (!Number.isInteger(N)) throw new RangeError(`counts length ${counts.length} is not a multiple of ${C}`);
  if (probs.length !== N * K) throw new RangeError(`probs has ${probs.length} values, expected ${N} x ${K}`);
  const likes: { i: number; like: Float64Array }[] = [];
  for (let i = 0; i < N; i++) {
    const row = Array.prototype.slice.call(counts, i * C, i * C + C) as number[];
    if (row.reduce((a, b) => a + b, 0) === 0) continue;
    likes.push({ i, like: classConditionals(mp, row, "plurality").like });
  }
  if (likes.length === 0) throw new RangeError("no items with votes to calibrate the model on");
  const logLik = (cal: TModelCalibration) => {
    let ll = 0;
    for (const { i, like } of likes) {
      const q = calibratedClassPrior(mp, cal, probs, i * K);
      let p = 0;
      for (let c = 0; c < C; c++) p += (q[c]! / Math.max(mp.share[c]!, 1e-12)) * like[c]!;
      ll += Math.log(Math.max(p, 1e-300));
    }
    return ll;
  };
  let best: TModelCalibration & { logLikelihood: number } = {
    numModelClasses: K,
    temperature: 1,
    mix: 0,
    logLikelihood: -Infinity,
  };
  for (const temperature of TEMPERATURES) {
    for (const mix of MIXES) {
      const cal = { numModelClasses: K, temperature, mix };
      const ll = logLik(cal);
      if (ll > best.logLikelihood) best = { ...cal, logLikelihood: ll };
    }
  }
  return { ...best, items: likes.length };
}
