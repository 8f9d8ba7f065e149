import * as tf from "@tensorflow/tfjs";
import { SIZE } from "../data/augment";
import { withSeededMathRandom } from "./seeded-rng";

export type TShard = {
  x: Float32Array;
  y: Float32Array;
  w: Float32Array | null;
  labels: Int32Array;
  seed: number;
  /** Logit adjustment: tau x log(class prior) per class, added to the logits inside the loss; null = off. */
  adjust?: Float32Array | null;
};
export type TShardGrads = { grads: tf.Tensor[]; loss: number; correct: number; n: number };

export function trainableVars(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Mean (optionally example-weighted) soft-target cross-entropy of softmax outputs. With `adjust` (Menon et
 * al. 2021), the logits are shifted by adjust = tau x log(prior) first: the softmax's logits are log(probs)
 * up to a per-row constant, so the loss is -sum y log softmax(log probs + adjust), whose gradient in the logits
 * is softmax(logits + adjust) - y. Without it, the plain -sum y log probs (the same ops as always).
 */
export function softTargetLoss(
  probs: tf.Tensor,
  y: tf.Tensor,
  w: tf.Tensor | null,
  adjust: tf.Tensor | null,
): tf.Scalar {
  const logp = tf.log(tf.clipByValue(probs, 1e-7, 1));
  let ce = tf.neg(tf.sum(tf.mul(y, adjust ? tf.logSoftmax(tf.add(logp, adjust)) : logp), 1));
  if (w) ce = tf.mul(ce, w);
  return tf.mean(ce) as tf.Scalar;
}

/**
 * Forward + backward on one shard in training mode: gradients of softTargetLoss, in trainable-variable
 * order. Math.random is pinned to the shard seed so the dropout masks repeat after a resume. The caller owns (and disposes) the returned gradient tensors.
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
        return softTargetLoss(
          probs,
          yt,
          shard.w ? tf.tensor1d(shard.w) : null,
          shard.adjust ? tf.tensor2d(shard.adjust, [1, classes]) : null,
        );
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
