import type * as tf from "@tensorflow/tfjs";
import { PIXELS } from "../src/augment";
import { Rng } from "../src/rng";
import type { TTrainData } from "../src/types";

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
