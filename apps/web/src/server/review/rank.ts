// Ranking of label-issue suspects (pure): the one call the review queue makes, @concord/crowd's label-issue
// finder on the crowd's vote counts and the model's out-of-sample distributions. Its default method
// (bayes-panel, measured best on FER+ Valid: packages/crowd/README.md) needs complete panels seen before;
// without any the queue falls back to "product" (model x one-coin vote likelihood) and says which it used.
import {
  buildVoteSet,
  findLabelIssues,
  type TLabelIssueMethod,
  type TLabelIssues,
  type TModelCalibration,
  type TModelPanelPrior,
} from "@concord/crowd";

export type TRankInput = {
  numClasses: number;
  /** numItems x numClasses crowd vote counts (identified + imported). */
  counts: ArrayLike<number>;
  /** numItems x numModelClasses model distributions; model class k is vote class k. */
  probs: ArrayLike<number>;
  numModelClasses: number;
  /** Current crowd label per item (-1: none). */
  labels: ArrayLike<number>;
};

export type TRanking = {
  /** Per item: P(the current crowd label is wrong), the suspects' order. */
  scores: Float64Array;
  suggested: Int32Array;
  /** Per item: P(the suggested label is wrong) = 1 - its posterior, the relabel priority (0 without a label). */
  suggestedWrong: Float64Array;
  /** Per item: the finder's method that scored it. */
  methods: TLabelIssueMethod[];
};

type TPanel = { prior: TModelPanelPrior; calibration?: TModelCalibration; panelSize: number };

function find(input: TRankInput, items: number[], method: TLabelIssueMethod, panel?: TPanel) {
  const { numClasses: C, numModelClasses: K } = input;
  // Counts without annotator identities: one anonymous tally per item (the finder reads the counts).
  const set = buildVoteSet({
    numClasses: C,
    numItems: items.length,
    numWorkers: 1,
    votes: { item: [], worker: [], label: [] },
    tallies: Float64Array.from(
      items.flatMap((i) => Array.from({ length: C }, (_, c) => input.counts[i * C + c]!)),
    ),
  });
  return findLabelIssues(
    {
      set,
      probs: Float64Array.from(
        items.flatMap((i) => Array.from({ length: K }, (_, k) => input.probs[i * K + k]!)),
      ),
      numModelClasses: K,
      labels: items.map((i) => input.labels[i]!),
    },
    {
      method,
      ...(panel ? { panelPrior: panel.prior } : {}),
      ...(panel?.calibration ? { calibration: panel.calibration } : {}),
    },
  );
}

// The finder's rankBy "suggested" key, per item: it returns only that order, the queue needs the figure itself
// (to show it and to sort a filtered subset). product and bayes-panel always return posteriors.
function suggestedWrongOf(r: TLabelIssues, C: number): Float64Array {
  const post = r.posteriors;
  if (!post) throw new Error(`label-issue method ${r.method} returned no posteriors`);
  return Float64Array.from(r.suggested, (s, i) => (s >= 0 ? 1 - post[i * C + s]! : 0));
}

// panel: the panel prior, its panel size and (fitted once per dataset: 9.6 s on 32,000 faces, the finder 91 ms
// given it) the model's calibration. bayes-panel predicts what the complete panel will say, so it scores the
// faces still short of one; a complete panel (or more, after a raised target) already says it (its score would
// be 0 or 1), so those faces, and every face when there is no panel prior, get "product": the probability that
// the crowd label is not the true class under the model and a one-coin likelihood of all their votes.
export function rankSuspects(input: TRankInput, panel: TPanel | null): TRanking {
  const N = input.labels.length;
  const C = input.numClasses;
  const all = Array.from({ length: N }, (_, i) => i);
  const product = find(input, all, "product");
  const out: TRanking = {
    scores: Float64Array.from(product.scores),
    suggested: Int32Array.from(product.suggested),
    suggestedWrong: suggestedWrongOf(product, C),
    methods: all.map(() => "product"),
  };
  if (!panel) return out;
  const within = all.filter((i) => {
    let n = 0;
    for (let c = 0; c < C; c++) n += input.counts[i * C + c]!;
    return n < panel.panelSize;
  });
  if (within.length === 0) return out;
  const bayes = find(input, within, "bayes-panel", panel);
  const bayesWrong = suggestedWrongOf(bayes, C);
  within.forEach((i, j) => {
    out.scores[i] = bayes.scores[j]!;
    out.suggested[i] = bayes.suggested[j]!;
    out.suggestedWrong[i] = bayesWrong[j]!;
    out.methods[i] = "bayes-panel";
  });
  return out;
}
