// evaluate: a run's saved model on splits of its own dataset (Evaluation rows upserted) or of another
// dataset with the same classes (results returned only: Evaluation rows are one per run and split).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TDb } from "@concord/db";
import type { TEvaluateProgress, TEvaluateResult, TJobPayload } from "@concord/jobs";
import { ttaEvalOfStored } from "@concord/jobs/run-config";
import { backendOptions, evaluate, initBackend, loadModel } from "@concord/trainer";
import { UnrecoverableError } from "bullmq";
import type { TWorkerEnv } from "../env";
import { loadMajoritySplits } from "../train-data";
import { runDir, writeEvaluation } from "./train";

export async function evaluateRun(
  db: TDb,
  env: TWorkerEnv,
  payload: TJobPayload<"evaluate">,
  onProgress: (p: TEvaluateProgress) => Promise<void> | void = () => {},
): Promise<TEvaluateResult> {
  const run = await db.trainingRun.findUnique({ where: { id: payload.runId } });
  if (!run) throw new UnrecoverableError(`training run ${payload.runId} does not exist`);
  if (!run.artifactPath) throw new UnrecoverableError(`training run ${payload.runId} has no saved model`);
  const meta = JSON.parse(await readFile(join(runDir(env, run.id).root, "run.json"), "utf8")) as {
    classNames: string[];
  };
  // Scored as the run scored itself: with mirror TTA when it selected with it (a run without the lever, or from
  // before it, without), so a re-evaluation of its own split rewrites the same figures, not other ones.
  const tta = ttaEvalOfStored(run.config);
  const datasetId = payload.datasetId ?? run.datasetId;
  const stored = datasetId === run.datasetId;
  await initBackend(env.CONCORD_TF_BACKEND, backendOptions(env));
  const model = await loadModel(run.artifactPath);
  // Twins are looked for in the run's own TRAIN split, whichever dataset is evaluated.
  const sets = await loadMajoritySplits(db, datasetId, meta.classNames, payload.splits, run.datasetId);
  const splits: TEvaluateResult["splits"] = [];
  try {
    for (const split of payload.splits) {
      const set = sets[split.toLowerCase() as "train" | "valid" | "test"];
      if (!set) continue;
      await onProgress({ split, done: 0, total: set.labels.length });
      const e = await evaluate(model, set, split.toLowerCase(), { labels: meta.classNames, tta });
      if (stored) await writeEvaluation(db, run.id, split, e);
      const free = e.withoutTrainTwins;
      splits.push({
        split,
        n: e.n,
        accuracy: e.accuracy,
        macroF1: e.macroF1,
        loss: e.loss,
        withoutTrainTwins: free ? { n: free.n, accuracy: free.accuracy, macroF1: free.macroF1 } : null,
      });
      await onProgress({ split, done: set.labels.length, total: set.labels.length });
    }
  } finally {
    model.dispose();
  }
  if (splits.length === 0)
    throw new UnrecoverableError(`no labelled images in ${payload.splits.join(", ")} of ${datasetId}`);
  return { runId: run.id, datasetId, stored, splits };
}
