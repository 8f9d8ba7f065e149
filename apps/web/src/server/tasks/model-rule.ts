// The model-prior stopping rule as the web uses it (pure), on @concord/crowd's model panel prior: the panel
// prior of the dataset's complete panels, split by class (createModelPanelPrior(fitPanelPrior(...))), each
// image's class prior from its out-of-sample prediction (calibratedClassPrior, temperature and mix fitted by
// fitModelCalibration on the voted images), and needsMoreVotesWithModel for the decision.
import {
  calibratedClassPrior,
  createModelPanelPrior,
  fitModelCalibration,
  fitPanelPrior,
  needsMoreVotesWithModel,
  type TModelCalibration,
  type TModelPanelPrior,
} from "@concord/crowd";

export type TStoppingPolicy = { minVotes: number; maxVotes: number; targetConfidence: number };
export type TModelRule = { prior: TModelPanelPrior; calibration: TModelCalibration };

// panels: N x C vote counts; the rows with exactly panelSize votes are the complete panels. Null: none.
export function buildPanelPrior(
  panels: ArrayLike<number>,
  numClasses: number,
  panelSize: number,
): { prior: TModelPanelPrior; panels: number } | null {
  let complete = 0;
  for (let i = 0; i < panels.length / numClasses; i++) {
    let n = 0;
    for (let c = 0; c < numClasses; c++) n += panels[i * numClasses + c]!;
    if (n === panelSize) complete++;
  }
  if (complete === 0) return null;
  return { prior: createModelPanelPrior(fitPanelPrior(panels, numClasses, panelSize)), panels: complete };
}

// Temperature and mix of the model's distributions (N x K) by the likelihood of the images' votes (N x C).
// Null when no image has a vote.
export function calibrateModel(
  prior: TModelPanelPrior,
  counts: ArrayLike<number>,
  probs: ArrayLike<number>,
  numModelClasses: number,
): (TModelCalibration & { items: number }) | null {
  let voted = false;
  for (let j = 0; j < counts.length && !voted; j++) voted = counts[j]! > 0;
  if (!voted) return null;
  const { logLikelihood: _, ...calibration } = fitModelCalibration(prior, counts, probs, numModelClasses);
  return calibration;
}

export type TModelVerdict = { done: boolean; stopOn: number[] };

// Whether the image needs no more votes now, and which label's next vote would finish it (what the vote
// trigger applies before the web recomputes). Below minVotes nothing is computed: the rule cannot stop there.
export function modelVerdict(
  counts: readonly number[],
  probs: ArrayLike<number>,
  rule: TModelRule,
  policy: TStoppingPolicy,
): TModelVerdict {
  const classPrior = calibratedClassPrior(rule.prior, rule.calibration, probs);
  const votes = counts.reduce((s, x) => s + x, 0);
  // At maxVotes the rule always stops (the panel is complete; a raised target may take an image past it,
  // where the panel prior has nothing to say).
  const stops = (c: readonly number[], n: number) =>
    n >= policy.minVotes &&
    (n >= policy.maxVotes ||
      !needsMoreVotesWithModel(c, classPrior, rule.prior, {
        minVotes: policy.minVotes,
        maxVotes: policy.maxVotes,
        targetConfidence: policy.targetConfidence,
      }).needsMore);
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
