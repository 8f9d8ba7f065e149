import { hashFaces } from "@concord/importer/twins";
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { initBackend } from "../backend";
import { FERPLUS_AUGMENT, makeBatch, SIZE } from "../data/augment";
import { mixOrCut } from "../data/mixup";
import {
  classPrior,
  classWeights,
  stratifiedSplit,
  subsetImages,
  subsetTargets,
  validateData,
} from "../data/train-data";
import { withTrainTwins } from "../data/train-twins";
import { storedDecisionBiases } from "../evaluation/decision-biases";
import { evaluate } from "../evaluation/evaluate";
import { nativeAddon } from "../kernels/native-addon";
import { nativeKernelsActive } from "../kernels/native-kernels";
import { buildModel } from "../model/model-factories";
import type { TEpochMetrics, TImageSet, TTrainConfig, TTrainData, TTrainHooks, TTrainResult } from "../types";
import { readCheckpoint, trainDataDigest, writeCheckpoint } from "./checkpoint";
import { GradientPool } from "./gradient-pool";
import { lrAt } from "./lr-schedule";
import { Optimizer } from "./optimizer";
import { mixSeed, Rng, withSeededMathRandom } from "./seeded-rng";
import { FRESH_EARLY, FRESH_PLATEAU, selectAfterEpoch, shouldStop } from "./selection";
import { trainableVars } from "./shard-gradients";
import { DEFAULT_CONFIG, PREDATING_TRAIN_LEVERS, resolveConfig } from "./train-config";
import { makeShards, step } from "./train-step";
import { type TEmaKernel, WeightEma } from "./weight-ema";

async function readWeights(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (t) => (await t.data()) as Float32Array));
}

/**
 * The weights as they are now, read in place: views on the WASM heap on wasm (no copy; valid until the next
 * allocation, so use them at once), dataSync's arrays elsewhere.
 */
function weightViews(model: tf.LayersModel): Float32Array[] {
  const ws = model.getWeights();
  if (tf.getBackend() !== "wasm") return ws.map((t) => t.dataSync() as Float32Array);
  const wasm = tf.backend() as unknown as BackendWasm;
  return ws.map((t) => wasm.typedArrayFromHeap(t) as Float32Array);
}

function writeWeights(model: tf.LayersModel, values: Float32Array[]): void {
  const shapes = model.weights.map((w) => w.shape);
  if (values.length !== shapes.length) throw new Error("checkpoint does not match the model (weight count)");
  const tensors = values.map((v, i) => tf.tensor(v, shapes[i] as number[]));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** PLD: a one-hot per example drawn from its target row. */
function drawTargets(targets: Float32Array, classes: number, idx: number[], rng: Rng): Float32Array {
  const out = new Float32Array(idx.length * classes);
  idx.forEach((i, k) => {
    let u = rng.next();
    let pick = classes - 1;
    for (let c = 0; c < classes; c++) {
      u -= targets[i * classes + c] as number;
      if (u < 0) {
        pick = c;
        break;
      }
    }
    out[k * classes + pick] = 1;
  });
  return out;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException("training aborted", "AbortError");
}

/**
 * Trains `config.model` on data.train (soft targets) and selects on data.valid (majority labels, the whole
 * split), or on a stratified hold-out of train when no valid split is given. Checkpoints every epoch when
 * hooks.checkpointDir is set; with hooks.resume the run continues from it and ends with the same weights as
 * an uninterrupted run with the same seed.
 */
export async function train(
  data: TTrainData,
  partial: Partial<TTrainConfig> = {},
  hooks: TTrainHooks = {},
): Promise<TTrainResult> {
  const config = resolveConfig(partial);
  const log = hooks.log ?? (() => {});
  // The entry point has chosen the backend (CLI flags, env); a bare library call gets auto-detection.
  const backend = await initBackend("auto", { quiet: true });
  validateData(data);
  const classes = data.classNames.length;
  let trainSet = data.train;
  let valid: TImageSet = data.valid ?? { pixels: new Uint8Array(0), labels: new Int32Array(0) };
  let validName = "valid";
  if (!data.valid) {
    const split = stratifiedSplit(data.train.labels, config.validationFraction, mixSeed(config.seed, 7));
    const t = subsetImages(data.train, split.train);
    // The hold-out's train twins are among the faces the run keeps training on.
    valid = withTrainTwins(subsetImages(data.train, split.valid), hashFaces(t.pixels));
    trainSet = { ...t, targets: subsetTargets(data.train.targets, classes, split.train) };
    validName = `train-holdout-${config.validationFraction}`;
  }
  const n = trainSet.labels.length;
  const cw = config.classWeighting ? classWeights(trainSet.labels, classes, config.classBalanceBeta) : null;
  // Logit adjustment: tau x log(prior of the training targets), added to the logits inside the loss only.
  const prior = config.logitAdjustTau > 0 ? classPrior(trainSet.targets, classes) : null;
  const adjust = prior ? prior.map((p) => config.logitAdjustTau * Math.log(p)) : null;
  const model = withSeededMathRandom(mixSeed(config.seed, 1), () =>
    buildModel({ name: config.model, classes }),
  );
  const opt = new Optimizer(config.optimizer, config.learningRate, {
    momentum: config.momentum,
    weightDecay: config.weightDecay,
  });
  const rng = new Rng(mixSeed(config.seed, 2));
  // The rate ReduceLROnPlateau manages; each step's rate is lrAt(step, config, batches, baseLr).
  let baseLr = config.learningRate;
  // With the native kernels, the EMA's pass over the weights runs in the addon (same bits; bench:ema).
  const addon = nativeKernelsActive() ? nativeAddon() : null;
  const emaKernel: TEmaKernel | undefined =
    addon && typeof addon.emaUpdate === "function" ? (v, w, d, e) => addon.emaUpdate(v, w, d, e) : undefined;
  let ema =
    config.emaDecay > 0
      ? new WeightEma(
          config.emaDecay,
          (await readWeights(model)).map((w) => w.slice()),
        )
      : null;
  let startEpoch = 0;
  let history: TEpochMetrics[] = [];
  let plateau = FRESH_PLATEAU;
  let early = FRESH_EARLY;
  let bestWeights: Float32Array[] | null = null;
  const dataDigest = hooks.checkpointDir ? trainDataDigest(trainSet) : undefined;

  if (hooks.checkpointDir && hooks.resume) {
    const ck = await readCheckpoint(hooks.checkpointDir);
    if (ck) {
      if (ck.config.model !== config.model || ck.config.seed !== config.seed) {
        throw new Error(
          `checkpoint in ${hooks.checkpointDir} is for model ${ck.config.model} seed ${ck.config.seed}`,
        );
      }
      // Settings a checkpoint predates read as what it trained with (the levers: off; the rest: their
      // defaults); the cosine schedule spans the run's epochs.
      const before: Partial<TTrainConfig> = PREDATING_TRAIN_LEVERS;
      const changed = (Object.keys(config) as (keyof TTrainConfig)[]).filter(
        (k) =>
          (k !== "epochs" || config.schedule === "cosine") &&
          (ck.config[k] ?? before[k] ?? DEFAULT_CONFIG[k]) !== config[k],
      );
      if (changed.length > 0)
        log(
          `[trainer] resuming with changed settings (${changed.join(", ")}): the run will not match an uninterrupted one`,
        );
      if (ck.dataDigest !== undefined && ck.dataDigest !== dataDigest)
        log(
          "[trainer] resuming on other training data than the checkpoint's (faces, their order, labels or targets differ): the run will not match an uninterrupted one",
        );
      writeWeights(model, ck.weights);
      opt.setState(trainableVars(model), ck.optimizer);
      baseLr = ck.learningRate;
      rng.state = ck.rngState;
      if (ema && ck.ema) ema = new WeightEma(config.emaDecay, ck.ema.weights, ck.ema.updates);
      else if (ema || ck.ema)
        throw new Error(
          `checkpoint in ${hooks.checkpointDir}: EMA on/off differs from this run (the checkpoint ${ck.ema ? "has" : "has no"} weight EMA, this run's decay is ${config.emaDecay})`,
        );
      ({ plateau, early, history } = ck);
      bestWeights = ck.bestWeights;
      startEpoch = ck.epoch;
      log(`[trainer] resumed from ${hooks.checkpointDir} after epoch ${ck.epoch}`);
    }
  }

  const batches = Math.ceil(n / config.batchSize);
  const pool = config.workers > 1 ? await GradientPool.create(model, config.workers - 1) : null;
  try {
    return await runEpochs();
  } finally {
    await pool?.close();
    opt.dispose();
  }

  /** Runs fn with the EMA weights in the model (when on), then puts the trained weights back. */
  async function withEmaWeights<T>(fn: () => Promise<T>): Promise<T> {
    if (!ema) return fn();
    const live = await readWeights(model);
    writeWeights(model, ema.values);
    try {
      return await fn();
    } finally {
      writeWeights(model, live);
    }
  }

  async function runEpochs(): Promise<TTrainResult> {
    const started = performance.now();
    let stoppedEarly = shouldStop(early, config);
    let imagesDone = 0;
    for (let epoch = startEpoch; epoch < config.epochs && !stoppedEarly; epoch++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      // Deferred rebalancing (DRW): class weights and logit adjustment from rebalanceFromEpoch on.
      const rebalancing = epoch + 1 >= config.rebalanceFromEpoch;
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        if (hooks.signal?.aborted) throw abortError(hooks.signal);
        const idx = order.slice(b * config.batchSize, (b + 1) * config.batchSize);
        let x: Float32Array = makeBatch(trainSet.pixels, idx, config.augment ? rng : null, FERPLUS_AUGMENT);
        let y: Float32Array = config.sampleTargets
          ? drawTargets(trainSet.targets, classes, idx, rng)
          : subsetTargets(trainSet.targets, classes, idx);
        const labels = Int32Array.from(idx, (i) => trainSet.labels[i] as number);
        let w: Float32Array | null =
          cw && rebalancing ? Float32Array.from(labels, (l) => (l >= 0 ? (cw[l] as number) : 1)) : null;
        const mixed = mixOrCut({ n: idx.length, x, y, w }, rng, {
          mixup: config.mixupAlpha,
          cutmix: config.cutmixAlpha,
        });
        if (mixed) ({ x, y, w } = mixed);
        const shards = makeShards(
          x,
          y,
          w,
          labels,
          pool ? pool.size + 1 : 1,
          mixSeed(config.seed, 3, epoch, b),
          rebalancing ? adjust : null,
        );
        opt.learningRate = lrAt(epoch * batches + b, config, batches, baseLr);
        const out = await step(model, opt, pool, shards);
        ema?.update(weightViews(model), emaKernel);
        lossSum += out.loss * idx.length;
        correct += out.correct;
        imagesDone += idx.length;
        const elapsed = (performance.now() - started) / 1000;
        const ips = imagesDone / Math.max(elapsed, 1e-9);
        const remaining = (config.epochs - epoch - 1) * n + (n - (b + 1) * config.batchSize);
        hooks.onBatch?.({
          epoch: epoch + 1,
          epochs: config.epochs,
          batch: b + 1,
          batches,
          loss: lossSum / Math.min(n, (b + 1) * config.batchSize),
          imagesPerSecond: ips,
          etaSeconds: Math.max(0, remaining) / ips,
        });
        // Let timers and abort listeners run between batches.
        await new Promise((r) => setImmediate(r));
      }
      const seconds = (performance.now() - t0) / 1000;
      const ev = await withEmaWeights(() =>
        evaluate(model, valid, validName, {
          labels: data.classNames,
          signal: hooks.signal,
          tta: config.ttaEval,
          decisionBiases: null,
        }),
      );
      const metrics: TEpochMetrics = {
        epoch: epoch + 1,
        loss: lossSum / n,
        trainAccuracy: correct / n,
        validLoss: ev.loss,
        validAccuracy: ev.accuracy,
        validMacroF1: ev.macroF1,
        validWithoutTrainTwins: ev.withoutTrainTwins,
        learningRate: opt.learningRate,
        seconds,
        imagesPerSecond: n / seconds,
        cpuSeconds: (() => {
          const u = process.cpuUsage(cpu0);
          return (u.user + u.system) / 1e6;
        })(),
      };
      history.push(metrics);
      // EarlyStopping (restores best) and ReduceLROnPlateau, both on valid accuracy over the whole split
      // (CHECKPOINT_SELECTION in @concord/jobs/run-config: the words every view shows).
      const sel = selectAfterEpoch({ early, plateau }, epoch + 1, ev.accuracy, config);
      ({ early, plateau } = sel);
      if (sel.improved) bestWeights = ema ? ema.values.map((v) => v.slice()) : await readWeights(model);
      // The cosine schedule ignores the plateau rule (it is kept for the record only).
      if (sel.halveRate && config.schedule === "plateau")
        baseLr = Math.max(config.minLearningRate, baseLr * config.reduceLrFactor);
      stoppedEarly = sel.stop;
      if (hooks.checkpointDir) {
        await writeCheckpoint(hooks.checkpointDir, {
          version: 1,
          epoch: epoch + 1,
          config,
          rngState: rng.state,
          learningRate: baseLr,
          plateau,
          early,
          history,
          weights: await readWeights(model),
          optimizer: await opt.getState(trainableVars(model)),
          bestWeights,
          ema: ema ? { updates: ema.updates, weights: ema.values } : null,
          dataDigest,
        });
      }
      await hooks.onEpoch?.(metrics);
    }
    // The kept model: the best epoch's weights (EMA ones when on) with early stopping, else the last EMA.
    if (bestWeights && config.earlyStoppingPatience > 0) writeWeights(model, bestWeights);
    else if (ema) writeWeights(model, ema.values);
    const opts = { labels: data.classNames, tta: config.ttaEval };
    // Per-class decision biases fitted on the selection split, reported there cross-fitted, applied to test
    // and saved with the model (evaluation/decision-biases.ts); the argmax figures stay beside them.
    const validEval = await evaluate(model, valid, validName, { ...opts, fitDecisionBiases: true });
    const decisionBiases = validEval.decisions ? storedDecisionBiases(validEval.decisions) : null;
    const testEval = data.test ? await evaluate(model, data.test, "test", { ...opts, decisionBiases }) : null;
    model.setUserDefinedMetadata({
      classNames: [...data.classNames],
      modelName: config.model,
      inputSize: SIZE,
      ...(decisionBiases ? { decisionBiases } : {}),
      // The crowd reads the vote shares the loss fitted: crowdProbabilities (evaluation/crowd-probabilities.ts).
      ...(prior ? { logitAdjustment: { tau: config.logitAdjustTau, prior: Array.from(prior) } } : {}),
      ...(cw ? { classWeights: Array.from(cw) } : {}),
    });
    return {
      model,
      backend: backend.name,
      history,
      bestEpoch: early.bestEpoch,
      stoppedEarly,
      seconds: (performance.now() - started) / 1000,
      valid: validEval,
      test: testEval,
      config,
    };
  }
}
