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
 * smooth Dirichlet-multinomial part for unseen ones) is split into groups by the class each panel is about
 * (its plurality; ties shared) and how strongly it agrees (its top count; the smooth part is a group of its own
 * per class): P(panel) = sum over groups g of mass_g P(panel | g). An image's model prior re-weights the groups:
 *   P_i(group (c, t)) = q_i(c) * mass(c, t) * exp(tilt_i * t / H) / sum_t' mass(c, t') exp(tilt_i * t' / H),
 * q_i = the item's class prior (the model's distribution, tempered, mixed with the shares; vote classes the model
 * does not know keep their share) and tilt_i = gamma * (max_c q_i(c) - centre): a confident model expects a
 * panel that agrees more than is usual for its class, an unsure one a split panel. With tilt 0 and q = the
 * shares it is the plain panel prior (up to its smooth part, one Dirichlet per class here). So the prior still
 * knows how panels about each class look (neutral splits with sadness, not with happiness), and the model says
 * which class this face is about and how clear it is.
 * Given an item's votes so far (exact hypergeometric likelihood for seen panels, Polya completion for the smooth
 * part), P(the full panel's answer = x) = sum_g r_g top_g[x] / sum_g r_g like_g with r_g = P_i(g) / mass_g
 * (modelPanelProbabilities); the per-group sums depend only on the counts and are memoised.
 */
export type TModelPanelPrior = {
  kind: "model-panel";
  panel: TPanelPrior;
  /** Prior share of each class (the panels' plurality, ties shared). */
  share: Float64Array;
  /** M x C: class shares of each seen panel. */
  panelClass: Float64Array;
  /** Groups per class: top counts 0..H of seen panels, then the smooth part (G = H + 2). */
  groups: number;
  /** C x G prior mass of each group (sums to 1). */
  mass: Float64Array;
  /** C x G: the top count a group stands for in the tilt (the smooth part: the class's mean top count). */
  groupTop: Float64Array;
  /** C x C: Dirichlet of the smooth part per class (concentration by maximum likelihood, per class). */
  classAlpha: Float64Array;
  memo: Map<string, TClassConditionals>;
};

/**
 * Under the panel prior, per group g = c * G + t: like[g] = P(counts, group g),
 * top[g * C + x] = P(counts, group g, answer x).
 */
export type TClassConditionals = { like: Float64Array; top: Float64Array };

/** One item's prior under a model panel prior (modelItemPrior). */
export type TItemPrior = { classPrior: ArrayLike<number>; tilt: number };

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
  const H = panel.panelSize;
  const G = H + 2;
  const mass = new Float64Array(C * G);
  const groupTop = new Float64Array(C * G);
  for (let c = 0; c < C; c++) for (let t = 0; t <= H; t++) groupTop[c * G + t] = t;
  const topSum = new Float64Array(C);
  for (let v = 0; v < M; v++) {
    let t = 0;
    for (let d = 0; d < C; d++) t = Math.max(t, vectors[v * C + d]!);
    for (let c = 0; c < C; c++) {
      const w = weights[v]! * panelClass[v * C + c]!;
      if (w === 0) continue;
      mass[c * G + t]! += (1 - panel.novelty) * w;
      topSum[c]! += w * t;
    }
  }
  for (let c = 0; c < C; c++) {
    mass[c * G + H + 1] = panel.novelty * share[c]!;
    groupTop[c * G + H + 1] = share[c]! > 0 ? topSum[c]! / share[c]! : H / 2;
  }
  return {
    kind: "model-panel",
    panel,
    share,
    panelClass,
    groups: G,
    mass,
    groupTop,
    classAlpha,
    memo: new Map(),
  };
}

/** The per-group likelihood of the counts and joint with the full panel's answer (memoised per counts). */
export function classConditionals(
  mp: TModelPanelPrior,
  counts: ArrayLike<number>,
  reference: TReference,
): TClassConditionals {
  const { panel, panelClass, share, classAlpha, groups: G } = mp;
  const C = panel.numClasses;
  const H = panel.panelSize;
  const key = `${reference}|${Array.prototype.join.call(counts, ",")}`;
  const hit = mp.memo.get(key);
  if (hit) return hit;
  let k = 0;
  for (let c = 0; c < C; c++) k += counts[c]!;
  if (k > H) throw new RangeError(`${k} votes exceed the panel of ${H}`);
  const like = new Float64Array(C * G);
  const top = new Float64Array(C * G * C);
  const seen = (1 - panel.novelty) / choose(H, k);
  const M = panel.weights.length;
  for (let v = 0; v < M; v++) {
    const lik = seen * seenPanelWeight(panel, v, counts);
    if (lik <= 0) continue;
    const vector = panel.vectors.subarray(v * C, v * C + C);
    let t = 0;
    for (let d = 0; d < C; d++) t = Math.max(t, vector[d]!);
    const credit = pluralityCredit(vector, reference);
    for (let c = 0; c < C; c++) {
      const w = panelClass[v * C + c]!;
      if (w === 0) continue;
      const g = c * G + t;
      like[g]! += w * lik;
      for (let x = 0; x < C; x++) if (credit[x]! > 0) top[g * C + x]! += w * lik * credit[x]!;
    }
  }
  // Smooth part per class; its completion is computed only where it can matter (1e-9 of the largest class).
  const novel = new Float64Array(C);
  let max = 0;
  for (let c = 0; c < C; c++) {
    novel[c] =
      panel.novelty * share[c]! * dirichletMultinomial(counts, classAlpha.subarray(c * C, c * C + C));
    let seenC = 0;
    for (let t = 0; t <= H; t++) seenC += like[c * G + t]!;
    max = Math.max(max, (seenC + novel[c]!) / Math.max(share[c]!, 1e-12));
  }
  for (let c = 0; c < C; c++) {
    if (novel[c] === 0) continue;
    const g = c * G + H + 1;
    like[g] = novel[c]!;
    if (novel[c]! / Math.max(share[c]!, 1e-12) < 1e-9 * max) continue;
    const p = dirichletPluralityProbabilities(counts, H, classAlpha.subarray(c * C, c * C + C), reference);
    for (let x = 0; x < C; x++) top[g * C + x] = novel[c]! * p[x]!;
  }
  const out = { like, top };
  mp.memo.set(key, out);
  return out;
}

/** r_g = P_i(group g) / mass_g for one item (see TModelPanelPrior). */
function groupWeights(mp: TModelPanelPrior, item: TItemPrior): Float64Array {
  const C = mp.panel.numClasses;
  const G = mp.groups;
  const H = mp.panel.panelSize;
  const q = item.classPrior;
  if (q.length !== C)
    throw new RangeError(`class prior has ${q.length} entries, the panel prior ${C} classes`);
  const tilt = new Float64Array(H + 1); // exp(tilt * t / H) for the seen groups' integer top counts
  for (let t = 0; t <= H; t++) tilt[t] = Math.exp((item.tilt * t) / H);
  const r = new Float64Array(C * G);
  for (let c = 0; c < C; c++) {
    if (!(q[c]! > 0)) continue;
    let z = 0;
    for (let t = 0; t < G; t++) {
      const g = c * G + t;
      if (mp.mass[g] === 0) continue;
      r[g] = t <= H ? tilt[t]! : Math.exp((item.tilt * mp.groupTop[g]!) / H);
      z += mp.mass[g]! * r[g]!;
    }
    for (let t = 0; t < G; t++) r[c * G + t]! *= q[c]! / z;
  }
  return r;
}

/**
 * P(the full panel's answer = x | counts) for one item's prior (modelItemPrior; { classPrior: shares, tilt: 0 }
 * is the panel prior split by class).
 */
export function modelPanelProbabilities(
  mp: TModelPanelPrior,
  counts: ArrayLike<number>,
  item: TItemPrior,
  reference: TReference = "plurality",
): Float64Array {
  const C = mp.panel.numClasses;
  const r = groupWeights(mp, item);
  const { like, top } = classConditionals(mp, counts, reference);
  const out = new Float64Array(C);
  let z = 0;
  for (let g = 0; g < r.length; g++) {
    if (r[g] === 0 || like[g] === 0) continue;
    z += r[g]! * like[g]!;
    for (let x = 0; x < C; x++) out[x]! += r[g]! * top[g * C + x]!;
  }
  if (!(z > 0)) return pluralityCredit(counts, reference);
  for (let x = 0; x < C; x++) out[x]! /= z;
  return out;
}

/** How an item's model distribution becomes its prior (fitted by fitModelCalibration). */
export type TModelCalibration = {
  numModelClasses: number;
  temperature: number;
  mix: number;
  /** Tilt towards agreeing panels per unit of model confidence (max of the class prior); 0 = none. */
  gamma: number;
  /** The confidence with no tilt (the mean over the calibration items). */
  centre: number;
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

/** One item's prior from its model distribution: the calibrated class prior and the agreement tilt. */
export function modelItemPrior(
  mp: TModelPanelPrior,
  cal: TModelCalibration,
  probs: ArrayLike<number>,
  offset = 0,
): TItemPrior {
  const classPrior = calibratedClassPrior(mp, cal, probs, offset);
  let confidence = 0;
  for (const x of classPrior) confidence = Math.max(confidence, x);
  return { classPrior, tilt: cal.gamma * (confidence - cal.centre) };
}

const TEMPERATURES = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.15, 1.3, 1.5, 1.75, 2, 2.5, 3];
const MIXES = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5];
const GAMMAS = [0, 1, 2, 4, 6, 8, 12, 16, 24];

/**
 * Temperature, mix, then the tilt by maximum likelihood of the items' votes (any number each; the same exact
 * likelihood as the stopping rule uses): sum_i log sum_g r_ig like_ig. Needs no complete panels: the votes
 * items already have are enough, and a stopping rule that looks only at those votes leaves the likelihood
 * valid. Coordinate search: (temperature, mix) on a grid with no tilt, the tilt on a grid, (temperature, mix)
 * again.
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
  const centreOf = (cal: TModelCalibration) => {
    let s = 0;
    for (const { i } of likes) {
      const q = calibratedClassPrior(mp, cal, probs, i * K);
      let m = 0;
      for (const x of q) m = Math.max(m, x);
      s += m;
    }
    return s / likes.length;
  };
  const logLik = (cal: TModelCalibration) => {
    let ll = 0;
    for (const { i, like } of likes) {
      const r = groupWeights(mp, modelItemPrior(mp, cal, probs, i * K));
      let p = 0;
      for (let g = 0; g < r.length; g++) p += r[g]! * like[g]!;
      ll += Math.log(Math.max(p, 1e-300));
    }
    return ll;
  };
  let best: TModelCalibration & { logLikelihood: number } = {
    numModelClasses: K,
    temperature: 1,
    mix: 0,
    gamma: 0,
    centre: 0,
    logLikelihood: -Infinity,
  };
  // After the tilt, (temperature, mix) are searched again within two grid steps of where they were.
  const near = (grid: number[], x: number) => {
    const at = grid.indexOf(x);
    return grid.slice(Math.max(0, at - 2), at + 3);
  };
  const searchTemperatureMix = (temperatures = TEMPERATURES, mixes = MIXES) => {
    for (const temperature of temperatures) {
      for (const mix of mixes) {
        const cal = { ...best, temperature, mix };
        cal.centre = centreOf(cal);
        const ll = logLik(cal);
        if (ll > best.logLikelihood) best = { ...cal, logLikelihood: ll };
      }
    }
  };
  searchTemperatureMix();
  for (const gamma of GAMMAS) {
    const cal = { ...best, gamma };
    const ll = logLik(cal);
    if (ll > best.logLikelihood) best = { ...cal, logLikelihood: ll };
  }
  if (best.gamma !== 0) searchTemperatureMix(near(TEMPERATURES, best.temperature), near(MIXES, best.mix));
  return { ...best, items: likes.length };
}
