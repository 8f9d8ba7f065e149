/**
 * P(the complete panel's majority is c | the votes so far) when the item's vote distribution is
 * Dirichlet(alpha): the remaining H - k votes follow a Dirichlet-multinomial (Polya urn) with alpha + counts.
 * The majority follows the FER+ protocol (`dropSingles`, the default): classes holding a single vote of the
 * panel are dropped first, then c must hold more than half of what remains; without it, c must hold more than
 * half of the H votes. A panel can end without a majority, so the entries sum to <= 1.
 * Exact: for each candidate c, a DP over the other classes on (remaining votes used, votes they keep), capped
 * where c can no longer win; O(C^2 r^2 H) for r remaining votes.
 */
export function majorityCompletionProbabilities(
  counts: ArrayLike<number>,
  panelSize: number,
  alpha: ArrayLike<number>,
  options: { dropSingles?: boolean; classes?: ArrayLike<number> } = {},
): Float64Array {
  const C = counts.length;
  const drop = options.dropSingles ?? true;
  let k = 0;
  for (let c = 0; c < C; c++) k += counts[c]!;
  const r = panelSize - k;
  if (r < 0) throw new RangeError(`${k} votes exceed the panel of ${panelSize}`);
  const kept = (f: number) => (drop && f < 2 ? 0 : f);
  const out = new Float64Array(C);
  // w[c][m] = (alpha_c + n_c)^(m rising) / m!, the Polya weight of class c receiving m of the remaining votes.
  let A = 0;
  const w = Array.from({ length: C }, (_, c) => {
    const a = alpha[c]! + counts[c]!;
    A += a;
    const row = new Float64Array(r + 1);
    row[0] = 1;
    for (let m = 1; m <= r; m++) row[m] = (row[m - 1]! * (a + m - 1)) / m;
    return row;
  });
  let norm = 1; // r! / A^(r rising)
  for (let t = 0; t < r; t++) norm *= (t + 1) / (A + t);
  const candidates = options.classes ? Array.from(options.classes) : Array.from({ length: C }, (_, c) => c);
  const G = panelSize + 1; // kept-mass dimension; values >= the cap are dead and not stored
  let dp = new Float64Array((r + 1) * G);
  let next = new Float64Array((r + 1) * G);
  for (const c of candidates) {
    const nc = counts[c]!;
    // FER+ rule: the others must keep less than c's final count, at most nc + r; strict: no cap (all H votes count).
    const cap = drop ? nc + r : G;
    dp.fill(0);
    dp[0] = 1;
    for (let d = 0; d < C; d++) {
      if (d === c) continue;
      next.fill(0);
      const nd = counts[d]!;
      const wd = w[d]!;
      for (let u = 0; u <= r; u++) {
        for (let g = 0; g < cap; g++) {
          const base = dp[u * G + g]!;
          if (base === 0) continue;
          for (let m = 0; u + m <= r; m++) {
            const g2 = g + kept(nd + m);
            if (g2 >= cap) continue;
            next[(u + m) * G + g2]! += base * wd[m]!;
          }
        }
      }
      [dp, next] = [next, dp];
    }
    let p = 0;
    for (let x = 0; x <= r; x++) {
      const f = nc + x;
      if (kept(f) === 0 || 2 * f <= (drop ? 0 : panelSize)) continue;
      // Others keep g < f (FER+ rule: f > (f + g) / 2), or, strict majority, f > H / 2 (checked above).
      let s = 0;
      for (let g = 0; g < (drop ? f : cap); g++) s += dp[(r - x) * G + g]!;
      p += w[c]![x]! * s;
    }
    out[c] = p * norm;
  }
  return out;
}
