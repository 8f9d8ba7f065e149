/**
 * How a label-issue ranking pays off when the top of it is sent back for more votes, against reference
 * labels (gold, or the full panel's answer): the share of wrong current labels among the re-voted items, and
 * the dataset's label accuracy when re-voted items get the reference label and the others keep the method's.
 * Only items with a reference label (`truth[i] >= 0`) count, in the ranking and in the budget.
 */
export type TRecovery = {
  /** Budget as a share of the items with a reference label. */
  budget: number;
  revoted: number;
  /** Wrong current labels among the re-voted items / all wrong current labels. */
  recovered: number;
  /** Label accuracy after re-voting, each other item keeping the method's label. */
  accuracy: number;
};

export function recoveryAtBudgets(
  order: ArrayLike<number>,
  current: ArrayLike<number>,
  kept: ArrayLike<number>,
  truth: ArrayLike<number>,
  budgets: readonly number[],
): TRecovery[] {
  const N = truth.length;
  const ranked: number[] = [];
  const inRanking = new Uint8Array(N);
  for (let r = 0; r < order.length; r++) {
    const i = order[r]!;
    if (truth[i]! >= 0 && !inRanking[i]) {
      ranked.push(i);
      inRanking[i] = 1;
    }
  }
  let items = 0;
  let wrong = 0;
  let keptRight = 0;
  for (let i = 0; i < N; i++) {
    if (truth[i]! < 0) continue;
    items++;
    if (current[i] !== truth[i]) wrong++;
    if (kept[i] === truth[i]) keptRight++;
  }
  return budgets.map((budget) => {
    if (!(budget >= 0 && budget <= 1)) throw new RangeError(`budget ${budget} is not a share in [0, 1]`);
    const revoted = Math.min(ranked.length, Math.round(budget * items));
    let found = 0;
    let right = keptRight;
    for (let r = 0; r < revoted; r++) {
      const i = ranked[r]!;
      if (current[i] !== truth[i]) found++;
      if (kept[i] !== truth[i]) right++;
    }
    return {
      budget,
      revoted,
      recovered: wrong > 0 ? found / wrong : 1,
      accuracy: items > 0 ? right / items : 1,
    };
  });
}
