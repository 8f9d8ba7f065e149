/**
 * Agreement metrics over dense counts (numItems x numClasses, e.g. `itemCounts(set)`): counts handle
 * missing data (any number of raters per item) and anonymous tallies alike. Items with fewer than two
 * votes carry no pairwise information and are left out of kappa, alpha and percent agreement.
 */

export type TFleissKappa = {
  kappa: number;
  /** Per-category kappa (Fleiss 1971, eq. for kappa_j, generalised to varying raters per item). */
  perCategory: Float64Array;
  observedAgreement: number;
  expectedAgreement: number;
  /** Class proportions p_j over the used items. */
  proportions: Float64Array;
  itemsUsed: number;
};

function checkShape(counts: ArrayLike<number>, C: number): number {
  if (!Number.isInteger(C) || C < 2) throw new RangeError(`numClasses must be an integer >= 2, got ${C}`);
  if (counts.length % C !== 0)
    throw new RangeError(`counts length ${counts.length} is not a multiple of ${C}`);
  return counts.length / C;
}

function rowTotal(counts: ArrayLike<number>, i: number, C: number): number {
  let n = 0;
  for (let c = 0; c < C; c++) n += counts[i * C + c]!;
  return n;
}

/** Pairwise agreement of one item: share of ordered rater pairs that chose the same class (NaN if < 2 votes). */
export function itemAgreement(counts: ArrayLike<number>, i: number, C: number): number {
  const n = rowTotal(counts, i, C);
  if (n < 2) return Number.NaN;
  let a = 0;
  for (let c = 0; c < C; c++) a += counts[i * C + c]! * (counts[i * C + c]! - 1);
  return a / (n * (n - 1));
}

export function fleissKappa(counts: ArrayLike<number>, numClasses: number): TFleissKappa {
  const C = numClasses;
  const N = checkShape(counts, C);
  const p = new Float64Array(C);
  let used = 0;
  let sumP = 0;
  let total = 0;
  const disagree = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const n = rowTotal(counts, i, C);
    if (n < 2) continue;
    used++;
    sumP += itemAgreement(counts, i, C);
    total += n;
    for (let c = 0; c < C; c++) {
      const x = counts[i * C + c]!;
      p[c]! += x;
      disagree[c]! += (x * (n - x)) / (n - 1);
    }
  }
  if (used === 0) throw new RangeError("Fleiss' kappa needs at least one item with two or more votes");
  let pe = 0;
  for (let c = 0; c < C; c++) {
    p[c]! /= total;
    pe += p[c]! * p[c]!;
  }
  const po = sumP / used;
  const perCategory = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const pq = p[c]! * (1 - p[c]!);
    perCategory[c] = pq > 0 ? 1 - disagree[c]! / (total * pq) : Number.NaN;
  }
  return {
    kappa: pe < 1 ? (po - pe) / (1 - pe) : Number.NaN,
    perCategory,
    observedAgreement: po,
    expectedAgreement: pe,
    proportions: p,
    itemsUsed: used,
  };
}

export type TKrippendorffAlpha = {
  alpha: number;
  observedDisagreement: number;
  expectedDisagreement: number;
  /** Number of pairable values (votes on items with >= 2 votes). */
  pairable: number;
};

/** Krippendorff's alpha, nominal metric, via the coincidence matrix; missing data = fewer votes on an item. */
export function krippendorffAlpha(counts: ArrayLike<number>, numClasses: number): TKrippendorffAlpha {
  const C = numClasses;
  const N = checkShape(counts, C);
  const nc = new Float64Array(C);
  let diag = 0;
  let n = 0;
  for (let i = 0; i < N; i++) {
    const m = rowTotal(counts, i, C);
    if (m < 2) continue;
    n += m;
    for (let c = 0; c < C; c++) {
      const x = counts[i * C + c]!;
      nc[c]! += x;
      diag += (x * (x - 1)) / (m - 1);
    }
  }
  if (n === 0) throw new RangeError("Krippendorff's alpha needs at least one item with two or more votes");
  let sq = 0;
  for (let c = 0; c < C; c++) sq += nc[c]! * nc[c]!;
  const Do = (n - diag) / n;
  const De = (n * n - sq) / (n * (n - 1));
  return {
    alpha: De > 0 ? 1 - Do / De : Number.NaN,
    observedDisagreement: Do,
    expectedDisagreement: De,
    pairable: n,
  };
}

/** Mean pairwise agreement over items with >= 2 votes. */
export function percentAgreement(counts: ArrayLike<number>, numClasses: number): number {
  const N = checkShape(counts, numClasses);
  let s = 0;
  let used = 0;
  for (let i = 0; i < N; i++) {
    const a = itemAgreement(counts, i, numClasses);
    if (Number.isNaN(a)) continue;
    s += a;
    used++;
  }
  return used ? s / used : Number.NaN;
}

/** Shannon entropy of each item's vote distribution (bits by default); 0 for items without votes. */
export function itemEntropy(counts: ArrayLike<number>, numClasses: number, base = 2): Float64Array {
  const C = numClasses;
  const N = checkShape(counts, C);
  const out = new Float64Array(N);
  const lb = Math.log(base);
  for (let i = 0; i < N; i++) {
    const n = rowTotal(counts, i, C);
    if (n <= 0) continue;
    let h = 0;
    for (let c = 0; c < C; c++) {
      const q = counts[i * C + c]! / n;
      if (q > 0) h -= q * Math.log(q);
    }
    out[i] = h / lb;
  }
  return out;
}

export type TClassAgreement = {
  classIndex: number;
  /** Fleiss per-category kappa. */
  kappa: number;
  /** Specific agreement: given one rater chose this class, chance another rater on that item did too. */
  specificAgreement: number;
  /** Items whose consensus is this class (the n to quote beside a per-class F1). */
  support: number;
  /** Mean pairwise agreement over the items whose consensus is this class. */
  meanItemAgreement: number;
};

/**
 * Per-class agreement, one row per class, in class order: lines up with a per-class precision/recall/F1 table.
 * `consensus` defaults to the plurality label (lowest index on ties).
 */
export function perClassAgreement(
  counts: ArrayLike<number>,
  numClasses: number,
  consensus?: Int32Array,
): TClassAgreement[] {
  const C = numClasses;
  const N = checkShape(counts, C);
  const fk = fleissKappa(counts, C);
  const agreeNum = new Float64Array(C);
  const agreeDen = new Float64Array(C);
  const support = new Float64Array(C);
  const itemAgr = new Float64Array(C);
  const itemAgrN = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const n = rowTotal(counts, i, C);
    let y = consensus ? consensus[i]! : -1;
    if (!consensus && n > 0) {
      y = 0;
      for (let c = 1; c < C; c++) if (counts[i * C + c]! > counts[i * C + y]!) y = c;
    }
    if (y >= 0) support[y]!++;
    if (n < 2) continue;
    for (let c = 0; c < C; c++) {
      const x = counts[i * C + c]!;
      agreeNum[c]! += (x * (x - 1)) / (n - 1);
      agreeDen[c]! += x;
    }
    if (y >= 0) {
      itemAgr[y]! += itemAgreement(counts, i, C);
      itemAgrN[y]!++;
    }
  }
  return Array.from({ length: C }, (_, c) => ({
    classIndex: c,
    kappa: fk.perCategory[c]!,
    specificAgreement: agreeDen[c]! > 0 ? agreeNum[c]! / agreeDen[c]! : Number.NaN,
    support: support[c]!,
    meanItemAgreement: itemAgrN[c]! > 0 ? itemAgr[c]! / itemAgrN[c]! : Number.NaN,
  }));
}
