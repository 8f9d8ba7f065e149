import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { FERPLUS_EMOTIONS, formatPredictionsCsv } from "@concord/crowd";
import { hashFaces } from "@concord/importer/twins";
import { CHECKPOINT_SELECTION } from "@concord/jobs/run-config";
import { locateFerplus, majoritySet, readFerplusSplit } from "../data/ferplus-folder";
import { DataError } from "../data/train-data";
import { describeTwins, withTrainTwins } from "../data/train-twins";
import { TrainerEnvError, trainerEnv } from "../env";
import { evaluate, predictProbabilities } from "../evaluation/evaluate";
import { loadModel } from "../model/model-io";
import type { TImageSet } from "../types";
import { BACKEND_FLAGS, initBackendFromFlags } from "./backend-flags";
import { formatEvaluation } from "./evaluation-table";

const USAGE = `usage: concord-eval --model <dir> --data <FER+ folder or split folder> [--split train|valid|test] [--tta] [--json FILE]
                    [--predictions FILE.csv] [--limit N]
  --predictions writes every face of the split (with or without a majority label): image,split,p_neutral,...,p_contempt
  (the predictions export format of @concord/crowd; image = the FER+ face file name).`;

/**
 * The split with its train twins, found among every face of FER2013Train beside it (the importer's rule);
 * unchanged for the train split itself or when no FER2013Train/ is there (the report says "not computed").
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
  const out = withTrainTwins(set, hashFaces(train.pixels));
  console.error(`concord-eval: ${describeTwins(out, train.name)}`);
  return out;
}

async function main(): Promise<void> {
  const env = trainerEnv();
  const { values: a } = parseArgs({
    options: {
      model: { type: "string" },
      data: { type: "string" },
      split: { type: "string", default: "test" },
      tta: { type: "boolean", default: false },
      json: { type: "string" },
      predictions: { type: "string" },
      limit: { type: "string" },
      ...BACKEND_FLAGS,
      help: { type: "boolean", default: false },
    },
  });
  if (a.help || !a.model || !a.data) {
    console.error(USAGE);
    process.exit(a.help ? 0 : 2);
  }
  const split = a.split as "train" | "valid" | "test";
  if (!["train", "valid", "test"].includes(split))
    throw new DataError(`--split must be train, valid or test (got ${a.split})`);
  await initBackendFromFlags(a, env);
  const model = await loadModel(path.resolve(a.model));
  const input = model.inputs[0]?.shape;
  if (input?.[1] !== 48 || input[2] !== 48 || input[3] !== 1) {
    throw new DataError(`incompatible model: input shape ${JSON.stringify(input)} (expected [null,48,48,1])`);
  }
  const classes = model.outputs[0]?.shape[1];
  if (classes !== 8)
    throw new DataError(`incompatible model: ${classes} outputs, FER+ evaluation needs the 8 emotions`);
  const saved = (model.getUserDefinedMetadata() as { classNames?: string[] } | undefined)?.classNames;
  if (saved && saved.join(",") !== FERPLUS_EMOTIONS.join(","))
    throw new DataError(
      `incompatible model: classes ${saved.join(",")}, expected ${FERPLUS_EMOTIONS.join(",")}`,
    );
  const where = locateFerplus(path.resolve(a.data));
  const dir = where[split];
  if (!dir) throw new DataError(`${a.data} has no ${split} split (found: ${Object.keys(where).join(", ")})`);
  const s = await readFerplusSplit(dir, a.limit ? Number(a.limit) : undefined);
  const set = await withTwinsOfTrain(majoritySet(s), split, where.train);
  const ev = await evaluate(model, set, s.name, { tta: a.tta });
  console.log(formatEvaluation(ev));
  if (split === "valid")
    console.log(`(concord-train and the worker choose a run's checkpoint on ${CHECKPOINT_SELECTION})`);
  if (a.json) await writeFile(path.resolve(a.json), JSON.stringify(ev, null, 2));
  if (a.predictions) {
    const probs = await predictProbabilities(model, s.pixels, { tta: a.tta });
    const csv = formatPredictionsCsv({
      images: s.files,
      splits: s.files.map(() => split.toUpperCase()),
      classes: [...FERPLUS_EMOTIONS],
      probs: Float64Array.from(probs),
    });
    await writeFile(path.resolve(a.predictions), csv);
    console.error(`concord-eval: wrote ${s.files.length} predictions of ${s.name} to ${a.predictions}`);
  }
}

main().catch((e: Error) => {
  console.error(`concord-eval: ${e.message}`);
  process.exit(e instanceof DataError || e instanceof TrainerEnvError ? 2 : 1);
});
