// Ranking of label-issue suspects (pure): the one call the review queue makes, @concord/crowd's label-issue
// finder on the crowd's vote counts and the model's out-of-sample distributions. Its default method
// (bayes-panel, measured best on FER+ Valid: packages/crowd/README.md) needs complete panels seen before;
// without any the queue falls back to "product" (model x one-coin vote likelihood) and says which it used.
import {
  buildVoteSet,
  findLabelIssues,
  type TLabelIssueMethod,
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
  scores: Float64Array;
  suggested: Int32Array;
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

// panel: the panel prior, its panel size and (fitted once per dataset: 9.6 s on 32,000 faces, the finder 91 ms
// given it) the model's calibration. Items with more votes than a panel (a raised target on a complete panel)
// are outside what bayes-panel models: they, and every item when there is no panel prior, get "product".
export function rankSuspects(input: TRankInput, panel: TPanel | null): TRanking {
  const N = input.labels.length;
  const C = input.numClasses;
  const all = Array.from({ length: N }, (_, i) => i);
  const product = find(input, all, "product");
  const out: TRanking = {
    scores: Float64Array.from(product.scores),
    suggested: Int32Array.from(product.suggested),
    methods: all.map(() => "product"),
  };
  if (!panel) return out;
  const within = all.filter((i) => {
    let n = 0;
    for (let c = 0; c < C; c++) n += input.counts[i * C + c]!;
    return n <= panel.panelSize;
  });
  if (within.length === 0) return out;
  const bayes = find(input, within, "bayes-panel", panel);
  within.forEach((i, j) => {
    out.scores[i] = bayes.scores[j]!;
    out.suggested[i] = bayes.suggested[j]!;
    out.methods[i] = "bayes-panel";
  });
  return out;
}
