import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { FERPLUS_EMOTIONS, formatPredictionsCsv } from "@concord/crowd";
import { CHECKPOINT_SELECTION, DEFERRED_SELECTION } from "@concord/jobs/run-config";
import type * as tf from "@tensorflow/tfjs";
import { locateFerplus, majoritySet, readFerplusSplit, trainFaceHashes } from "../data/ferplus-folder";
import { DataError } from "../data/train-data";
import { describeTwins, withTrainTwins } from "../data/train-twins";
import { TrainerEnvError, trainerEnv } from "../env";
import { crowdAdjustmentOf, crowdProbabilities } from "../evaluation/crowd-probabilities";
import { decisionBiasesOf } from "../evaluation/decision-biases";
import { labelledFaces, predictProbabilities, scoreProbabilities } from "../evaluation/evaluate";
import { loadModel } from "../model/model-io";
import type { TImageSet } from "../types";
import { BACKEND_FLAGS, initBackendFromFlags } from "./backend-flags";
import { formatEvaluation } from "./evaluation-table";

const USAGE = `usage: concord-eval --model <dir> [--model <dir> ...] --data <FER+ folder or split folder> [--split train|valid|test]
                    [--tta] [--fit-decision-biases] [--json FILE] [--predictions FILE.csv] [--limit N]
  A model saved with per-class decision biases (concord-train and the worker fit them on the selection split) is
  also scored decided with them: cross-fitted over random halvings on the split they were fitted on, applied as
  stored on any other. --fit-decision-biases fits them on this split instead and reports them cross-fitted (for an
  ensemble, or a model saved before biases were fitted).
  --model given more than once: an ensemble, scored (and written by --predictions) on the mean of the models'
  probabilities (each with --tta if given).
  --predictions writes every face of the split (with or without a majority label): image,split,p_neutral,...,p_contempt
  (the predictions export format of @concord/crowd; image = the FER+ face file name): the crowd's vote shares as
  the model estimates them, so a model trained with --logit-adjust has its rows reweighted by its training prior
  (softmax(z + tau log prior), what its loss fitted) while it is scored on its own argmax.`;

/**
 * The split with its train twins (the importer's rule), found among the faces of FER2013Train beside it that
 * have a vote (the ones the importer imports); unchanged for the train split itself or when no FER2013Train/ is
 * there (the report says "not computed").
 */
async function withTwinsOfTrain(set: TImageSet, split: string, trainDir: string | undefined) {
  if (split === "train" || !trainDir) {
    if (split !== "train")
      console.error(
        "concord-eval: no FER2013Train/ in --data: the figures without train twins are not computed",
      );
    return set;
  }
  const train = await readFerplusSplit(trainDir);
  const out = withTrainTwins(set, trainFaceHashes(train));
  console.error(`concord-eval: ${describeTwins(out, train.name)}`);
  return out;
}

async function main(): Promise<void> {
  const env = trainerEnv();
  const { values: a } = parseArgs({
    options: {
      model: { type: "string", multiple: true },
      data: { type: "string" },
      split: { type: "string", default: "test" },
      tta: { type: "boolean", default: false },
      "fit-decision-biases": { type: "boolean", default: false },
      json: { type: "string" },
      predictions: { type: "string" },
      limit: { type: "string" },
      ...BACKEND_FLAGS,
      help: { type: "boolean", default: false },
    },
  });
  if (a.help || !a.model?.length || !a.data) {
    console.error(USAGE);
    process.exit(a.help ? 0 : 2);
  }
  const split = a.split as "train" | "valid" | "test";
  if (!["train", "valid", "test"].includes(split))
    throw new DataError(`--split must be train, valid or test (got ${a.split})`);
  await initBackendFromFlags(a, env);
  const models = [];
  for (const dir of a.model) models.push(await loadFerplusModel(path.resolve(dir)));
  const where = locateFerplus(path.resolve(a.data));
  const dir = where[split];
  if (!dir) throw new DataError(`${a.data} has no ${split} split (found: ${Object.keys(where).join(", ")})`);
  const s = await readFerplusSplit(dir, a.limit ? Number(a.limit) : undefined);
  const set = await withTwinsOfTrain(majoritySet(s), split, where.train);
  const classes = FERPLUS_EMOTIONS.length;
  const keep = labelledFaces(set, classes, s.name);
  // One pass over every face of the split: the labelled ones are scored, all of them go to --predictions.
  const { scored: probs, crowd } = await meanProbabilities(models, s.pixels, a.tta);
  const scored = new Float32Array(keep.length * classes);
  keep.forEach((i, k) => {
    scored.set(probs.subarray(i * classes, (i + 1) * classes), k * classes);
  });
  // One model's stored biases; an ensemble's mean probabilities are not what any model's biases were fitted on.
  const stored = models.length === 1 ? decisionBiasesOf(models[0]!.getUserDefinedMetadata(), classes) : null;
  if (models.length > 1 && !a["fit-decision-biases"])
    console.error(
      "concord-eval: an ensemble is scored without decision biases (--fit-decision-biases fits them on this split)",
    );
  const ev = scoreProbabilities(scored, set, keep, s.name, FERPLUS_EMOTIONS, a.tta, {
    stored,
    fit: a["fit-decision-biases"],
  });
  if (models.length > 1)
    console.log(
      `ensemble of ${models.length} models: the mean of their class probabilities${a.tta ? " (each with mirror TTA)" : ""}`,
    );
  console.log(formatEvaluation(ev));
  if (split === "valid")
    // A model does not record how its checkpoint was chosen (its run's report and page do), so name both rules.
    console.log(
      `(concord-train and the worker choose a run's checkpoint on ${CHECKPOINT_SELECTION}; a run that defers its class weighting or logit adjustment, the default since 2026-12-02, keeps ${DEFERRED_SELECTION.replace(": ", " (")}))`,
    );
  if (a.json) await writeFile(path.resolve(a.json), JSON.stringify({ ...ev, models: a.model }, null, 2));
  if (a.predictions) {
    const csv = formatPredictionsCsv({
      images: s.files,
      splits: s.files.map(() => split.toUpperCase()),
      classes: [...FERPLUS_EMOTIONS],
      probs: Float64Array.from(crowd),
    });
    await writeFile(path.resolve(a.predictions), csv);
    console.error(`concord-eval: wrote ${s.files.length} predictions of ${s.name} to ${a.predictions}`);
  }
}

/** A saved model that takes 48x48x1 faces and predicts the 8 FER+ emotions (in FER+ order when it names them). */
async function loadFerplusModel(dir: string) {
  const model = await loadModel(dir);
  const input = model.inputs[0]?.shape;
  if (input?.[1] !== 48 || input[2] !== 48 || input[3] !== 1) {
    throw new DataError(
      `incompatible model ${dir}: input shape ${JSON.stringify(input)} (expected [null,48,48,1])`,
    );
  }
  const classes = model.outputs[0]?.shape[1];
  if (classes !== FERPLUS_EMOTIONS.length)
    throw new DataError(
      `incompatible model ${dir}: ${classes} outputs, FER+ evaluation needs the 8 emotions`,
    );
  const saved = (model.getUserDefinedMetadata() as { classNames?: string[] } | undefined)?.classNames;
  if (saved && saved.join(",") !== FERPLUS_EMOTIONS.join(","))
    throw new DataError(
      `incompatible model ${dir}: classes ${saved.join(",")}, expected ${FERPLUS_EMOTIONS.join(",")}`,
    );
  return model;
}

/**
 * The mean over the models of their class probabilities (each the mean over face and mirror with tta), scored
 * as they are, and the mean of their crowd probabilities (vote shares: a logit-adjusted or class-weighted
 * model's rows reweighted by its stored prior or weights, crowdProbabilities), which --predictions writes for
 * the crowd.
 */
async function meanProbabilities(models: tf.LayersModel[], pixels: Uint8Array, tta: boolean) {
  const sum = { scored: null as Float32Array | null, crowd: null as Float32Array | null };
  const add = (into: Float32Array | null, p: Float32Array) => {
    if (!into) return Float32Array.from(p);
    for (let i = 0; i < p.length; i++) into[i] = (into[i] as number) + (p[i] as number);
    return into;
  };
  for (const model of models) {
    const p = await predictProbabilities(model, pixels, { tta });
    const adjustment = crowdAdjustmentOf(model.getUserDefinedMetadata(), FERPLUS_EMOTIONS.length);
    sum.scored = add(sum.scored, p);
    sum.crowd = add(sum.crowd, crowdProbabilities(p, adjustment));
  }
  return {
    scored: sum.scored!.map((v) => v / models.length),
    crowd: sum.crowd!.map((v) => v / models.length),
  };
}

main().catch((e: Error) => {
  console.error(`concord-eval: ${e.message}`);
  process.exit(e instanceof DataError || e instanceof TrainerEnvError ? 2 : 1);
});
