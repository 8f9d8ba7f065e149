import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { maxRel, on } from "./helpers";
import { KERNEL_MODES, useKernelMode } from "./kernel-modes";

// The closed-form training batch norm (composed WASM ops, or the native kernels) must match autodiff
// through tfjs' moments + batchNorm.
describe.each(KERNEL_MODES)("fast batch norm (training mode) on %s kernels", (mode) => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
    useKernelMode(mode);
  });

  it.each([
    ["a conv activation [4,5,3,6], mean 2, std 3", [4, 5, 3, 6], 2, 3],
    ["a dense activation [37,19], mean 40, std 0.5", [37, 19], 40, 0.5],
  ])("matches stock outputs, gradients and moving statistics: %s", (_, shape, mu, sigma) => {
    const layer = tf.layers.batchNormalization({ momentum: 0.9 });
    const x = tf.randomNormal(shape as number[], mu as number, sigma as number, "float32", 11);
    const c = (shape as number[])[(shape as number[]).length - 1] as number;
    const axes = (shape as number[]).slice(0, -1).map((_, i) => i);
    layer.build(x.shape);
    const gamma = tf.randomUniform([c], 0.5, 1.5, "float32", 12);
    const beta = tf.randomNormal([c], 0, 1, "float32", 13);
    layer.setWeights([gamma, beta, tf.zeros([c]), tf.ones([c])]);
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
      const { mean, variance } = tf.moments(xi, axes);
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
    const expected = tf.mul(tf.moments(x, axes).mean, 1 - 0.9 ** 2);
    expect(close(movingMean as tf.Tensor, expected)).toBeLessThan(1e-4);
  });
});

// Inside a model, a batch norm whose only consumer is a ReLU layer applies the ReLU itself (native kernels).
describe.each(KERNEL_MODES)("batch norm + ReLU in a model on %s kernels", (mode) => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
    useKernelMode(mode);
  });

  function tinyModel(): tf.LayersModel {
    const input = tf.input({ shape: [6, 5, 3] });
    let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", useBias: false }).apply(input);
    y = tf.layers.batchNormalization({ name: "bn" }).apply(y);
    y = tf.layers.activation({ activation: "relu" }).apply(y);
    y = tf.layers.flatten().apply(y);
    const out = tf.layers.dense({ units: 3, activation: "softmax" }).apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    model.setWeights(model.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.2, 1, "float32", 40 + i)));
    return model;
  }

  it("trains to the same loss and gradients as cpu, and runs no separate ReLU on native kernels", async () => {
    const xv = tf.randomNormal([4, 6, 5, 3], 0, 1, "float32", 31).dataSync() as Float32Array;
    const f = () => {
      const model = tinyModel();
      const x = tf.tensor4d(xv, [4, 6, 5, 3]);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () =>
          tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, tf.range(1, 13).reshape([4, 3]))),
        vars,
      );
      return [value, ...vars.map((v) => grads[v.name] as tf.Tensor)];
    };
    const ref = await on("cpu", f);
    await tf.setBackend("wasm");
    const info = await tf.profile(() => tf.dispose(f()));
    const got = await on("wasm", f);
    for (const [i, r] of ref.entries()) expect(maxRel(got[i] as Float32Array, r)).toBeLessThan(1e-4);
    const kernels = new Set(info.kernels.map((k) => k.name));
    expect(kernels.has("Relu")).toBe(mode === "wasm");
  });

  it("a batch norm layer of such a model called on its own is not fused", () => {
    const model = tinyModel();
    const x = tf.randomNormal([4, 6, 5, 4], 0, 1, "float32", 32);
    const y = model.getLayer("bn").apply(x, { training: true }) as tf.Tensor;
    expect(tf.min(y).dataSync()[0]).toBeLessThan(0);
    tf.dispose([x, y]);
  });
});
