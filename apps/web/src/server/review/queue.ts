import "server-only";
import { db } from "../db";
import { loadCrowdCounts } from "./crowd-counts";
import { datasetModelPrior } from "./model-prior";
import { latestPredictions, modelClassesOf, newestPredictionSet } from "./predictions";
import { rankSuspects } from "./rank";

export type TSuspect = {
  imageId: string;
  externalId: string;
  split: string;
  counts: number[];
  crowdLabel: string;
  modelLabel: string;
  modelConfidence: number;
  // Probability that the crowd label is wrong (the ranking's score), and the label the ranking suggests.
  score: number;
  suggested: string | null;
  // Probability that the suggested label is wrong: the relabel priority (the order "relabel").
  suggestedWrong: number;
  // Votes asked for and not yet cast (an active "more votes" action).
  pendingVotes: number;
};

// The queue's orders: "suspects", P(the crowd label is wrong), finds the wrong labels; "relabel", P(the suggested
// label is wrong), gave the best label accuracy after a re-vote budget on FER+ Valid (packages/crowd/README.md
// "Relabel priority").
export const QUEUE_ORDERS = ["suspects", "relabel"] as const;
export type TQueueOrder = (typeof QUEUE_ORDERS)[number];

export type TQueueFilter = {
  crowd?: string;
  model?: string;
  split?: string;
  order?: TQueueOrder;
  limit?: number;
};

export type TReviewQueue = {
  taxonomy: string[];
  // Faces with crowd votes and an out-of-sample prediction, not gold, not accepted or excluded.
  candidates: number;
  // After the filters; suspects holds the first `limit` of them, highest key of the order first.
  matching: number;
  suspects: TSuspect[];
  // How often the crowd and the model disagree, per (crowd, model) pair, most frequent first (the filter menu).
  pairs: { crowd: string; model: string; n: number }[];
  handled: { accepted: number; excluded: number };
  hasPredictions: boolean;
  // How many faces each finder method scored: bayes-panel (short of a complete panel), product (a complete
  // panel or more, or no complete panel in the dataset yet).
  methods: Record<string, number>;
  completePanels: number;
};

// The review queue of a dataset: every face with crowd votes and a model prediction, ranked by the probability
// that its crowd label is wrong, or with order "relabel" that its suggested label is wrong (rank.ts), minus
// those an admin accepted or excluded.
export async function getReviewQueue(datasetId: string, filter: TQueueFilter = {}): Promise<TReviewQueue> {
  const [images, predictions, handled, setId, dataset] = await Promise.all([
    loadCrowdCounts({ datasetId }),
    latestPredictions({ datasetId }),
    db().imageAction.groupBy({
      by: ["imageId", "kind"],
      where: { revokedAt: null, kind: { in: ["ACCEPT", "EXCLUDE"] }, image: { datasetId } },
    }),
    newestPredictionSet(datasetId),
    db().dataset.findUnique({ where: { id: datasetId }, select: { maxVotes: true } }),
  ]);
  const found =
    setId && dataset
      ? await datasetModelPrior(datasetId, dataset.maxVotes, setId, { images, predictions })
      : null;
  const model = found && typeof found !== "string" ? found : null;
  const taxonomy = images[0]?.taxonomy ?? [];
  const C = taxonomy.length;
  const K = modelClassesOf(taxonomy);
  const skip = new Set(handled.map((h) => h.imageId));
  const items = images.filter(
    (i) => i.crowdLabel >= 0 && !i.gold && predictions.has(i.imageId) && !skip.has(i.imageId),
  );
  const probs = new Float64Array(items.length * K);
  items.forEach((item, n) => {
    probs.set(predictions.get(item.imageId)!.probs.slice(0, K), n * K);
  });
  const ranking =
    items.length > 0
      ? rankSuspects(
          {
            numClasses: C,
            numModelClasses: K,
            counts: items.flatMap((i) => i.counts),
            probs,
            labels: items.map((i) => i.crowdLabel),
          },
          model && dataset ? { ...model, panelSize: dataset.maxVotes } : null,
        )
      : null;
  const pairCounts = new Map<string, number>();
  const all = items.map((item, n): TSuspect => {
    let top = 0;
    for (let k = 1; k < K; k++) if (probs[n * K + k]! > probs[n * K + top]!) top = k;
    const crowdLabel = taxonomy[item.crowdLabel]!;
    const modelLabel = taxonomy[top]!;
    if (crowdLabel !== modelLabel) {
      const key = `${crowdLabel}\u0000${modelLabel}`;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + 1);
    }
    return {
      imageId: item.imageId,
      externalId: item.externalId,
      split: item.split,
      counts: item.counts,
      crowdLabel,
      modelLabel,
      modelConfidence: probs[n * K + top]!,
      score: ranking!.scores[n]!,
      suggested: taxonomy[ranking!.suggested[n]!] ?? null,
      suggestedWrong: ranking!.suggestedWrong[n]!,
      pendingVotes: Math.max(0, (item.target ?? 0) - item.webVotes),
    };
  });
  const orderKey = (s: TSuspect) => (filter.order === "relabel" ? s.suggestedWrong : s.score);
  const matching = all
    .filter(
      (s) =>
        (!filter.crowd || s.crowdLabel === filter.crowd) &&
        (!filter.model || s.modelLabel === filter.model) &&
        (!filter.split || s.split === filter.split),
    )
    .sort((a, b) => orderKey(b) - orderKey(a) || a.imageId.localeCompare(b.imageId));
  const pairs = [...pairCounts]
    .map(([key, n]) => {
      const [crowd, model] = key.split("\u0000") as [string, string];
      return { crowd, model, n };
    })
    .sort((a, b) => b.n - a.n || a.crowd.localeCompare(b.crowd) || a.model.localeCompare(b.model));
  return {
    taxonomy,
    candidates: all.length,
    matching: matching.length,
    suspects: matching.slice(0, filter.limit ?? 60),
    pairs,
    handled: {
      accepted: handled.filter((h) => h.kind === "ACCEPT").length,
      excluded: handled.filter((h) => h.kind === "EXCLUDE").length,
    },
    hasPredictions: predictions.size > 0,
    methods: Object.fromEntries(
      ["bayes-panel", "product"].map((m) => [m, ranking?.methods.filter((x) => x === m).length ?? 0]),
    ),
    completePanels: model?.panels ?? 0,
  };
}
