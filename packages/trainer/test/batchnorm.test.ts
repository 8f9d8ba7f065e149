import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";

// The closed-form training batch norm must match autodiff through tfjs' moments + batchNorm.
describe("fast batch norm (training mode)", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });

  it("matches stock outputs, gradients and moving statistics", () => {
    const layer = tf.layers.batchNormalization({ momentum: 0.9 });
    const x = tf.randomNormal([4, 5, 3, 6], 2, 3, "float32", 11);
    layer.build(x.shape);
    const gamma = tf.randomUniform([6], 0.5, 1.5, "float32", 12);
    const beta = tf.randomNormal([6], 0, 1, "float32", 13);
    layer.setWeights([gamma, beta, tf.zeros([6]), tf.ones([6])]);
    const dy = tf.randomNormal(x.shape, 0, 1, "float32", 14);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const fast = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, dy)) as tf.Scalar,
      vars,
    );
    const fastX = tf.grad((xi: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, dy)),
    )(x);
    const [movingMean] = layer.getWeights().slice(2);
    const ref = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(xi, mean, variance, b, g, 1e-3), dy));
    };
    const [rx, rg, rb] = tf.grads(ref)([x, gamma, beta]);
    const close = (a: tf.Tensor, b: tf.Tensor) =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
    expect(close(fastX, rx as tf.Tensor)).toBeLessThan(1e-4);
    expect(close(fast.grads[vars[0]?.name as string] as tf.Tensor, rg as tf.Tensor)).toBeLessThan(1e-3);
    expect(close(fast.grads[vars[1]?.name as string] as tf.Tensor, rb as tf.Tensor)).toBeLessThan(1e-3);
    expect(close(fast.value, ref(x, gamma, beta))).toBeLessThan(1e-2);
    // After 2 training calls from zero: moving mean = (1 - 0.9^2) * batch mean.
    const expected = tf.mul(tf.moments(x, [0, 1, 2]).mean, 1 - 0.9 ** 2);
    expect(close(movingMean as tf.Tensor, expected)).toBeLessThan(1e-4);
  });
});
