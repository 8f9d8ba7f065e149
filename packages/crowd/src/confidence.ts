/**
 * Probability that publishing `label` does not disagree with the full panel: 1 - P(the panel has an
 * answer and it is not `label`). For plurality references every panel has an answer, so this is
 * probabilities[label]; under "majority", panels that end without a majority cannot disagree.
 */
export function confidenceOf(probabilities: ArrayLike<number>, label: number): number {
  let answered = 0;
  for (let c = 0; c < probabilities.length; c++) answered += probabilities[c]!;
  // Plurality "any" credits can sum above 1 (ties); an answer always exists then.
  return answered >= 1 ? probabilities[label]! : 1 - answered + probabilities[label]!;
}
