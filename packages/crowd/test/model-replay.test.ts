import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readPanels } from "../scripts/ferplus-panels";
import {
  BUDGETS,
  C,
  crossFitClassPriors,
  drawVisible,
  issueVariants,
  K,
  majorityOf,
  panelConfusion,
  replayIssues,
  replayStopping,
} from "../scripts/model-replay";
import { buildVoteSet, findLabelIssues, recoveryAtBudgets } from "../src/index";
import { createModelPanelPrior } from "../src/model-panel-prior";
import { fitPanelPrior } from "../src/plurality";
import { parsePredictionsCsv, predictionRowFinder } from "../src/predictions-csv";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const shared = process.env.CONCORD_SHARED ?? path.resolve(repoRoot, "../shared");
const ferplus = path.join(shared, "datasets/ferplus");
const present = existsSync(path.join(ferplus, "FER2013Valid/label.csv"));
if (!present)
  console.warn(`[crowd] skipping the model replay tests: ${ferplus} not found (set CONCORD_SHARED)`);
// Predictions of a model trained on FER2013Train only (concord-eval --predictions), e.g. the README's figures.
const predictions = process.env.CONCORD_PREDICTIONS;
if (present && !predictions)
  console.warn(
    "[crowd] skipping the replay goals: set CONCORD_PREDICTIONS to a FER2013Valid predictions CSV",
  );

const buildSet = (counts: Float64Array) =>
  buildVoteSet({ numClasses: C, numItems: counts.length / C, tallies: counts });

describe.skipIf(!present)("model replay on FER+ Valid", () => {
  const load = () => {
    const valid = readPanels(path.join(ferplus, "FER2013Valid"));
    const train = readPanels(path.join(ferplus, "FER2013Train"));
    const panelPrior = fitPanelPrior(train.counts, C, 10);
    return { valid, train, panelPrior, mp: createModelPanelPrior(panelPrior) };
  };

  it("with a model that knows nothing (every face: the class shares) the rule stays calibrated and the finder beats margin", () => {
    const { valid, train, panelPrior, mp } = load();
    const N = valid.files.length;
    const probs = new Float64Array(N * K);
    for (let i = 0; i < N; i++)
      for (let k = 0; k < K; k++) probs[i * K + k] = mp.share[k]! / (1 - mp.share[8]! - mp.share[9]!);
    const { classPriors } = crossFitClassPriors(mp, valid.counts, probs);
    const rows = replayStopping(
      valid.counts,
      panelPrior,
      { prior: mp, classPriors },
      [{ reference: "majority", target: 0.98 }],
      { replays: 1, seed: 7 },
    );
    // Calibrated: at least the target agrees, and no more votes than the panel prior needs for the same target.
    expect(rows[0]!.model.faces).toBe(3579);
    expect(rows[0]!.model.agreementMajority).toBeGreaterThanOrEqual(0.98);
    expect(rows[0]!.model.meanVotes).toBeLessThanOrEqual(rows[0]!.panel.meanVotes);
    // Label issues on 3 visible votes: the panel prior alone ranks by how vote patterns end, margin by the margin.
    const truth = majorityOf(valid.counts);
    const visible = drawVisible(valid.counts, 3, 1);
    const runs = replayIssues(
      visible,
      probs,
      truth,
      issueVariants(mp, panelConfusion(train.counts)).slice(0, 3),
      1,
    );
    const at10 = (name: string) => runs.find((r) => r.name.startsWith(name))!.recovery[1]!.recovered;
    expect(at10("bayes-panel")).toBeGreaterThanOrEqual(at10("margin"));
  }, 120_000);

  it.skipIf(!predictions)(
    "with a FER2013Train-only model's predictions: <= 3 votes for 99% majority agreement; what the finder recovers",
    () => {
      const { valid, panelPrior, mp } = load();
      const p = parsePredictionsCsv(readFileSync(predictions!, "utf8"), predictions!);
      const rowOf = predictionRowFinder(p);
      const probs = new Float64Array(valid.files.length * K);
      valid.files.forEach((f, i) => {
        const r = rowOf(f);
        if (r === undefined) throw new Error(`${predictions}: no prediction for ${f}`);
        probs.set(p.probs.subarray(r * K, r * K + K), i * K);
      });
      // a) The issue's goal: >= 99% agreement with the 10-vote majority at <= 3.0 votes per image.
      const { classPriors } = crossFitClassPriors(mp, valid.counts, probs);
      const [stop] = replayStopping(
        valid.counts,
        panelPrior,
        { prior: mp, classPriors },
        [{ reference: "majority", target: 0.9925 }],
        { replays: 1, seed: 7 },
      );
      expect(stop!.model.agreementMajority).toBeGreaterThanOrEqual(0.99);
      expect(stop!.model.meanVotes).toBeLessThanOrEqual(3.0);
      // b) One draw of 3 visible votes (README: the 84.1% model, 10 draws: 67.3% / 89.2% / 96.5%).
      const truth = majorityOf(valid.counts);
      const visible = drawVisible(valid.counts, 3, 1);
      const r = findLabelIssues(
        { set: buildSet(visible.counts), probs, numModelClasses: K, labels: visible.current },
        { method: "bayes-panel", panelPrior: mp, reference: "ferplus-majority" },
      );
      const rec = recoveryAtBudgets(r.order, visible.current, r.suggested, truth, BUDGETS);
      expect(rec[1]!.recovered).toBeGreaterThanOrEqual(0.65);
      expect(rec[2]!.recovered).toBeGreaterThanOrEqual(0.88);
      expect(rec[1]!.accuracy).toBeGreaterThanOrEqual(0.96);
    },
    180_000,
  );
});
