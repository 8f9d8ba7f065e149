import * as tf from "@tensorflow/tfjs";
import { SIZE } from "../data/augment";
import { withSeededMathRandom } from "./seeded-rng";

export type TShard = {
  x: Float32Array;
  y: Float32Array;
  w: Float32Array | null;
  labels: Int32Array;
  seed: number;
};
export type TShardGrads = { grads: tf.Tensor[]; loss: number; correct: number; n: number };

export function trainableVars(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Forward + backward on one shard in training mode: gradients of the mean (optionally example-weighted)
 * soft-target cross-entropy, in trainable-variable order. Math.random is pinned to the shard seed so the
 * dropout masks repeat after a resume. The caller owns (and disposes) the returned gradient tensors.
 */
export function shardGradients(model: tf.LayersModel, shard: TShard): TShardGrads {
  const n = shard.labels.length;
  const classes = shard.y.length / n;
  const vars = trainableVars(model);
  return withSeededMathRandom(shard.seed, () => {
    let argmax: tf.Tensor | null = null;
    const { value, grads } = tf.tidy(() => {
      const xt = tf.tensor4d(shard.x, [n, SIZE, SIZE, 1]);
      const yt = tf.tensor2d(shard.y, [n, classes]);
      return tf.variableGrads(() => {
        const probs = model.apply(xt, { training: true }) as tf.Tensor;
        argmax = tf.keep(tf.argMax(probs, 1));
        let ce = tf.neg(tf.sum(tf.mul(yt, tf.log(tf.clipByValue(probs, 1e-7, 1))), 1));
        if (shard.w) ce = tf.mul(ce, tf.tensor1d(shard.w));
        return tf.mean(ce) as tf.Scalar;
      }, vars);
    });
    const loss = value.dataSync()[0] as number;
    const pred = (argmax as unknown as tf.Tensor).dataSync();
    tf.dispose([value, argmax as unknown as tf.Tensor]);
    let correct = 0;
    for (let i = 0; i < n; i++) if (pred[i] === shard.labels[i]) correct++;
    return { grads: vars.map((v) => grads[v.name] as tf.Tensor), loss, correct, n };
  });
}
