import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";
import { PIXELS } from "../src/data/augment";
import { Rng } from "../src/loop/seeded-rng";
import { train } from "../src/loop/train";
import type { TTrainConfig, TTrainData, TTrainResult } from "../src/types";

/**
 * A learnable toy task: class 0 faces are bright on top, class 1 bright at the bottom, class 2 bright on
 * the left; noise on top. Soft targets put 0.8 on the true class.
 */
export function toyData(n: number, seed = 1, classes = 3): TTrainData {
  const rng = new Rng(seed);
  const make = (count: number) => {
    const pixels = new Uint8Array(count * PIXELS);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = i % classes;
      labels[i] = c;
      for (let y = 0; y < 48; y++) {
        for (let x = 0; x < 48; x++) {
          const bright = (c === 0 && y < 24) || (c === 1 && y >= 24) || (c === 2 && x < 24);
          pixels[i * PIXELS + y * 48 + x] = Math.round((bright ? 170 : 70) + rng.uniform(-40, 40));
        }
      }
    }
    return { pixels, labels };
  };
  const train = make(n);
  const targets = new Float32Array(n * classes);
  train.labels.forEach((l, i) => {
    for (let c = 0; c < classes; c++) targets[i * classes + c] = c === l ? 0.8 : 0.2 / (classes - 1);
  });
  return {
    classNames: ["top", "bottom", "left"].slice(0, classes),
    train: { ...train, targets },
    valid: make(Math.max(classes, n / 2)),
  };
}

/** Every weight of a model as plain arrays (compare runs exactly). */
export async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (t) => Array.from(await t.data())));
}

/** Largest absolute difference relative to the largest reference magnitude. */
export function maxRel(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    s = Math.max(s, Math.abs(b[i] as number));
  }
  return d / Math.max(s, 1e-12);
}

/** Runs fn on a backend and returns its output(s) as arrays, disposing every tensor. */
export async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  return values;
}

/** The interrupted run of a resume test: trains with checkpoints in `dir` and aborts it after epoch 1. */
export async function abortAfterEpoch1(
  data: TTrainData,
  cfg: Partial<TTrainConfig>,
  dir: string,
): Promise<void> {
  const controller = new AbortController();
  await expect(
    train(data, cfg, {
      checkpointDir: dir,
      signal: controller.signal,
      onEpoch: (m) => void (m.epoch === 1 && controller.abort()),
    }),
  ).rejects.toThrow(/abort/i);
}

/**
 * abortAfterEpoch1 (`checked` looks at what it left), then resumes there and returns the resumed run.
 */
export async function abortAfterEpoch1AndResume(
  data: TTrainData,
  cfg: Partial<TTrainConfig>,
  dir: string,
  checked: () => Promise<void> = async () => {},
): Promise<TTrainResult> {
  await abortAfterEpoch1(data, cfg, dir);
  await checked();
  return train(data, cfg, { checkpointDir: dir, resume: true });
}
