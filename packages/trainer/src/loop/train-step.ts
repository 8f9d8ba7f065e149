import * as tf from "@tensorflow/tfjs";
import type { GradientPool } from "./gradient-pool";
import type { Optimizer } from "./optimizer";
import { mixSeed } from "./seeded-rng";
import { shardGradients, type TShard, trainableVars } from "./shard-gradients";

/** Cuts a batch into `count` contiguous shards, each with its own dropout seed. */
export function makeShards(
  x: Float32Array,
  y: Float32Array,
  w: Float32Array | null,
  labels: Int32Array,
  count: number,
  seed: number,
  adjust: Float32Array | null = null,
): TShard[] {
  const n = labels.length;
  const classes = y.length / n;
  const px = x.length / n;
  const shards: TShard[] = [];
  for (let k = 0; k < count; k++) {
    const a = Math.floor((k * n) / count);
    const b = Math.floor(((k + 1) * n) / count);
    if (b <= a) continue;
    shards.push({
      x: x.slice(a * px, b * px),
      y: y.slice(a * classes, b * classes),
      w: w ? w.slice(a, b) : null,
      labels: labels.slice(a, b),
      seed: k === 0 ? seed : mixSeed(seed, k),
      adjust,
    });
  }
  return shards;
}

/** One optimisation step, in-process or data-parallel (a last batch too small to shard runs locally). */
export async function step(
  model: tf.LayersModel,
  opt: Optimizer,
  pool: GradientPool | null,
  shardsIn: TShard[],
): Promise<{ loss: number; correct: number }> {
  if (pool && shardsIn.length === pool.size + 1) return pool.step(model, opt, shardsIn);
  let lossSum = 0;
  let correct = 0;
  let total = 0;
  const vars = trainableVars(model);
  const parts = shardsIn.map((s) => shardGradients(model, s));
  for (const p of parts) total += p.n;
  const grads: tf.NamedTensorMap = {};
  tf.tidy(() => {
    vars.forEach((v, i) => {
      let g: tf.Tensor | null = null;
      for (const p of parts) {
        const term =
          parts.length === 1 ? (p.grads[i] as tf.Tensor) : tf.mul(p.grads[i] as tf.Tensor, p.n / total);
        g = g ? tf.add(g, term) : term;
      }
      grads[v.name] = tf.keep(g as tf.Tensor);
    });
  });
  for (const p of parts) {
    lossSum += p.loss * p.n;
    correct += p.correct;
    if (parts.length > 1) tf.dispose(p.grads);
  }
  opt.apply(vars, grads);
  tf.dispose(Object.values(grads));
  return { loss: lossSum / total, correct };
}
