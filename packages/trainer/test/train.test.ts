import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { subsetImages, subsetTargets } from "../src/data/train-data";
import { readCheckpoint, trainDataDigest } from "../src/loop/checkpoint";
import { train } from "../src/loop/train";
import { PREDATING_TRAIN_LEVERS } from "../src/loop/train-config";
import { loadModel, readModelMetadata, saveModel } from "../src/model/model-io";
import type { TTrainConfig } from "../src/types";
import { abortAfterEpoch1, abortAfterEpoch1AndResume, toyData, weightsOf } from "./helpers";

const tmp = mkdtempSync(path.join(os.tmpdir(), "concord-trainer-"));
const base: Partial<TTrainConfig> = {
  model: "fast-lite",
  batchSize: 8,
  learningRate: 3e-3,
  seed: 7,
  earlyStoppingPatience: 0,
};

describe("train", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("a tiny fit lowers the loss, leaks no tensors across epochs, and saves/loads", async () => {
    const data = toyData(24);
    const tensors: number[] = [];
    const r = await train(
      data,
      { ...base, epochs: 4 },
      { onEpoch: () => void tensors.push(tf.memory().numTensors) },
    );
    expect(r.history).toHaveLength(4);
    expect((r.history[3] as { loss: number }).loss).toBeLessThan((r.history[0] as { loss: number }).loss);
    expect(new Set(tensors).size).toBe(1);
    expect(r.backend).toBe("wasm");
    const dir = path.join(tmp, "model");
    await saveModel(r.model, dir, {
      classNames: [...data.classNames],
      modelName: "fast-lite",
      inputSize: 48,
    });
    const loaded = await loadModel(dir);
    expect(await weightsOf(loaded)).toEqual(await weightsOf(r.model));
    expect((await readModelMetadata(dir))?.classNames).toEqual(["top", "bottom", "left"]);
    loaded.dispose();
    r.model.dispose();
  });

  it("resuming from a checkpoint ends with the same weights as an uninterrupted run", async () => {
    const data = toyData(20, 3);
    // Levers off (the defaults turn them on): the plain path; the next tests resume with them on.
    const cfg = { ...base, epochs: 3, ...PREDATING_TRAIN_LEVERS, augment: true, classWeighting: true };
    const full = await train(data, cfg, { checkpointDir: path.join(tmp, "full") });
    const dir = path.join(tmp, "resumed");
    const resumed = await abortAfterEpoch1AndResume(data, cfg, dir, async () => {
      expect((await readCheckpoint(dir))?.epoch).toBe(1);
    });
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(await weightsOf(resumed.model)).toEqual(await weightsOf(full.model));
    full.model.dispose();
    resumed.model.dispose();
  });

  it("a resume on reordered training data says so; on the same data it does not", async () => {
    const data = toyData(12, 5);
    const cfg = { ...base, epochs: 2, ...PREDATING_TRAIN_LEVERS };
    const dir = path.join(tmp, "reordered");
    await abortAfterEpoch1(data, cfg, dir);
    const written = await readCheckpoint(dir);
    expect(written?.dataDigest).toBe(trainDataDigest(data.train));
    // The same faces, labels and targets with two rows swapped: what a change of the worker's order does.
    const swap = [1, 0, ...Array.from({ length: 10 }, (_, i) => i + 2)];
    const reordered = {
      ...data,
      train: { ...subsetImages(data.train, swap), targets: subsetTargets(data.train.targets, 3, swap) },
    };
    for (const [d, warned] of [
      [data, false],
      [reordered, true],
    ] as const) {
      const lines: string[] = [];
      const r = await train(d, cfg, { checkpointDir: dir, resume: true, log: (l) => lines.push(l) });
      expect(lines.some((l) => l.includes("resuming on other training data"))).toBe(warned);
      expect(lines.some((l) => l.includes("resumed from"))).toBe(true);
      r.model.dispose();
      // The finished run's checkpoint is after epoch 2: put epoch 1's back for the next resume.
      await abortAfterEpoch1(data, cfg, dir);
    }
  });

  it("resumes exactly with every issue-14 lever on (cosine + warm-up, EMA, mixup + cutmix, deferred logit adjustment, TTA)", async () => {
    const data = toyData(20, 3);
    const cfg: Partial<TTrainConfig> = {
      ...base,
      epochs: 3,
      augment: true,
      // No early stopping: the saved model is the last EMA, so a wrongly restored EMA would show.
      earlyStoppingPatience: 0,
      schedule: "cosine",
      warmupEpochs: 1,
      emaDecay: 0.9,
      mixupAlpha: 0.4,
      cutmixAlpha: 1,
      logitAdjustTau: 1,
      // Deferred to epoch 2: the resume below starts the rebalanced phase.
      rebalanceFromEpoch: 2,
      ttaEval: true,
    };
    const full = await train(data, cfg, { checkpointDir: path.join(tmp, "levers-full") });
    const dir = path.join(tmp, "levers-resumed");
    const resumed = await abortAfterEpoch1AndResume(data, cfg, dir, async () => {
      const ck = await readCheckpoint(dir);
      expect(ck?.epoch).toBe(1);
      // 20 faces, batch 8: 3 steps an epoch, one EMA update each.
      expect(ck?.ema?.updates).toBe(3);
    });
    expect(resumed.history).toEqual(
      full.history.map((h, i) => ({
        ...h,
        seconds: resumed.history[i]?.seconds,
        imagesPerSecond: resumed.history[i]?.imagesPerSecond,
        cpuSeconds: resumed.history[i]?.cpuSeconds,
      })),
    );
    expect(await weightsOf(resumed.model)).toEqual(await weightsOf(full.model));
    // An epoch reports its last step's rate: step 2 of the 3-step warm-up, step 5 (2/5 of the decay over
    // steps 3..8), and the cosine floor (1% of the rate) at the run's last step.
    const expected = [
      3e-3 * (0.1 + (0.9 * 2) / 3),
      3e-5 + (3e-3 - 3e-5) * 0.5 * (1 + Math.cos(Math.PI * (2 / 5))),
      3e-5,
    ];
    for (const [i, h] of full.history.entries())
      expect(h.learningRate).toBeCloseTo(expected[i] as number, 12);
    expect(full.valid?.tta).toBe(true);
    full.model.dispose();
    resumed.model.dispose();
  });

  it("a checkpoint written before the levers existed resumes as it trained, with them off", async () => {
    const data = toyData(20, 3);
    const cfg = { ...base, epochs: 3, ...PREDATING_TRAIN_LEVERS };
    const full = await train(data, cfg);
    const dir = path.join(tmp, "predating");
    await abortAfterEpoch1(data, cfg, dir);
    // What a checkpoint of that time holds: no lever in its config, no EMA file entry.
    const file = path.join(dir, "checkpoint.json");
    const meta = JSON.parse(readFileSync(file, "utf8"));
    for (const k of Object.keys(PREDATING_TRAIN_LEVERS)) delete meta.config[k];
    delete meta.files.ema;
    writeFileSync(file, JSON.stringify(meta));
    // Resumed with today's defaults (levers on): the log names what differs, and the EMA cannot be made up.
    const logs: string[] = [];
    const log = (l: string) => void logs.push(l);
    await expect(
      train(data, { ...base, epochs: 3 }, { checkpointDir: dir, resume: true, log }),
    ).rejects.toThrow(
      /EMA on\/off differs from this run \(the checkpoint has no weight EMA, this run's decay is 0.999\)/,
    );
    expect(logs.join("\n")).toContain(
      "resuming with changed settings (classWeighting, classBalanceBeta, schedule, warmupEpochs, emaDecay, rebalanceFromEpoch, ttaEval): the run will not match",
    );
    // Resumed with the levers off, as it trained: nothing differs, and it ends where the uninterrupted run did.
    logs.length = 0;
    const resumed = await train(data, cfg, { checkpointDir: dir, resume: true, log });
    expect(logs.join("\n")).not.toMatch(/changed settings/);
    expect(logs.join("\n")).toMatch(/resumed from .* after epoch 1/);
    expect(await weightsOf(resumed.model)).toEqual(await weightsOf(full.model));
    full.model.dispose();
    resumed.model.dispose();
  });

  it("an abort stops within one batch", async () => {
    const controller = new AbortController();
    let batchesAfterAbort = 0;
    let aborted = false;
    const run = train(
      toyData(40, 5),
      { ...base, epochs: 2 },
      {
        signal: controller.signal,
        onBatch: (p) => {
          if (aborted) batchesAfterAbort++;
          if (p.batch === 2) {
            aborted = true;
            controller.abort();
          }
        },
      },
    );
    await expect(run).rejects.toThrow(/abort/i);
    expect(batchesAfterAbort).toBe(0);
  });

  it("rejects bad data and bad config with clear messages", async () => {
    const data = toyData(6);
    await expect(
      train({ ...data, train: { ...data.train, targets: data.train.targets.slice(1) } }, base),
    ).rejects.toThrow(/targets has/);
    await expect(train(data, { ...base, epochs: 0 })).rejects.toThrow(/epochs/);
    await expect(train(data, { ...base, model: "resnet" as never })).rejects.toThrow(/model must be one of/);
  });
});
