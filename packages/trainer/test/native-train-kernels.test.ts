import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { nativeAddon } from "../src/kernels/native-kernels";
import { Optimizer } from "../src/loop/optimizer";
import { mulberry32, withSeededMathRandom } from "../src/loop/seeded-rng";
import { jsEmaKernel, type TEmaKernel, WeightEma } from "../src/loop/weight-ema";
import { maxRel, on } from "./helpers";
import { KERNEL_MODES, useKernelMode } from "./kernel-modes";

// The training-step kernels of native-train-kernels.ts and the layer routes of native-layers.ts, in both
// kernel sets ("wasm": the composed tfjs ops they replace; "native": the addon), against the tfjs CPU
// backend: ReLU gradient, conv layers (bias, fused ReLU, strides) with all three gradients, the optimizer
// step. Batch norm has its own file (batchnorm.test.ts).
function rand(seed: number, n: number, scale = 1, offset = 0): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale + offset);
}

describe.each(KERNEL_MODES)("%s training-step kernels", (mode) => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
    useKernelMode(mode);
  });

  it("the ReLU gradient matches cpu, zeros and negative inputs included", async () => {
    const xv = rand(1, 4 * 33, 2);
    for (let i = 0; i < xv.length; i += 7) xv[i] = 0;
    const dyv = rand(2, xv.length);
    const f = () =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), tf.tensor2d(dyv, [4, 33]))))(
        tf.tensor2d(xv, [4, 33]),
      );
    const [ref] = await on("cpu", f);
    const [got] = await on("wasm", f);
    // Equal up to the sign of zero (cpu multiplies dy by 0, giving -0 where dy < 0).
    expect(maxRel(got as Float32Array, ref as Float32Array)).toBe(0);
  });

  it.each([
    ["3x3 same, bias + ReLU", 3, { filters: 5, kernelSize: 3, padding: "same", activation: "relu" }],
    ["3x3 same, no bias, linear", 3, { filters: 6, kernelSize: 3, padding: "same", useBias: false }],
    [
      "2x3 valid stride 2, bias, linear",
      3,
      { filters: 4, kernelSize: [2, 3] as number[], strides: 2, padding: "valid" },
    ],
    ["1x1, bias + ReLU", 3, { filters: 7, kernelSize: 1, activation: "relu" }],
    // Winograd (3x3 stride 1, >= 16 channels): the ReLU mask read inside its tile transforms.
    [
      "3x3 same 16 -> 20 channels, bias + ReLU",
      16,
      { filters: 20, kernelSize: 3, padding: "same", activation: "relu" },
    ],
    ["3x3 valid 20 -> 16 channels, linear", 20, { filters: 16, kernelSize: 3, padding: "valid" }],
  ] as const)(
    "a conv2d layer (%s): output and gradients of input, kernel, bias match cpu",
    async (_, channels, cfg) => {
      const xv = rand(3, 2 * 9 * 10 * channels);
      const f = () => {
        const layer = tf.layers.conv2d({
          ...cfg,
          kernelInitializer: "glorotUniform",
          biasInitializer: "ones",
        });
        const x = tf.tensor4d(xv, [2, 9, 10, channels]);
        layer.build(x.shape);
        // Same weights on every backend: seeded from the layer's shapes.
        layer.setWeights(
          layer.getWeights().map((w, i) => tf.tensor(rand(10 + i, w.size, 0.5, 0.1), w.shape)),
        );
        const y = layer.apply(x) as tf.Tensor;
        const dy = tf.tensor(rand(4, y.size), y.shape);
        const loss = (a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a) as tf.Tensor, dy)) as tf.Scalar;
        const dx = tf.grad(loss)(x);
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => loss(x), vars);
        return [y, dx, ...vars.map((v) => grads[v.name] as tf.Tensor)];
      };
      const ref = await on("cpu", f);
      const got = await on("wasm", f);
      expect(got.length).toBe(ref.length);
      for (const [i, r] of ref.entries()) expect(maxRel(got[i] as Float32Array, r)).toBeLessThan(1e-5);
    },
  );

  it.runIf(mode === "native")(
    "a conv layer on the input computes no input gradient (only what variableGrads needs)",
    async () => {
      await tf.setBackend("wasm");
      const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu" });
      const x = tf.randomNormal([2, 8, 8, 1]);
      layer.build(x.shape);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar,
          vars,
        );
        tf.dispose([value, ...Object.values(grads)]);
      });
      const names = new Set(info.kernels.map((k) => k.name));
      expect(names.has("ConcordConv2D")).toBe(true);
      expect(names.has("ConcordConvGradFilter")).toBe(true);
      expect(names.has("ConcordConvGradInput")).toBe(false);
      tf.dispose(x);
    },
  );

  it.each([
    ["adam", 0],
    ["adam", 0.01],
    ["sgd", 0],
    ["sgd", 0.01],
  ] as const)("three %s steps (weight decay %s) match cpu", async (kind, weightDecay) => {
    const f = () => {
      const kernel = tf.variable(tf.tensor2d(rand(20, 6 * 5), [6, 5]));
      const bias = tf.variable(tf.tensor1d(rand(21, 5)));
      const opt = new Optimizer(kind, 0.01, { momentum: 0.9, weightDecay });
      for (let s = 0; s < 3; s++) {
        const grads = {
          [kernel.name]: tf.tensor2d(rand(30 + s, 30), [6, 5]),
          [bias.name]: tf.tensor1d(rand(40 + s, 5)),
        };
        opt.apply([kernel, bias], grads);
        tf.dispose(Object.values(grads));
      }
      opt.dispose();
      const out = [kernel.clone(), bias.clone()];
      tf.dispose([kernel, bias]);
      return out;
    };
    const ref = await on("cpu", f);
    const got = await on("wasm", f);
    for (const [i, r] of ref.entries()) expect(maxRel(got[i] as Float32Array, r)).toBeLessThan(1e-6);
  });
});

describe.runIf(KERNEL_MODES.includes("native"))("native weighted sum (gradient threads' average)", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
    useKernelMode("native");
  });

  it("equals tfjs' add(mul(a, wa), mul(b, wb)) on cpu bit for bit", async () => {
    const av = rand(50, 1001, 3);
    const bv = rand(51, 1001, 0.01);
    const [ref] = await on("cpu", () =>
      tf.add(tf.mul(tf.tensor1d(av), 0.40625), tf.mul(tf.tensor1d(bv), 0.59375)),
    );
    const [got] = await on(
      "wasm",
      () =>
        tf
          .engine()
          .runKernel(
            "ConcordWeightedSum",
            { a: tf.tensor1d(av), b: tf.tensor1d(bv) },
            { wa: 0.40625, wb: 0.59375 },
          ) as tf.Tensor,
    );
    expect(Array.from(got as Float32Array)).toEqual(Array.from(ref as Float32Array));
  });
});

describe.runIf(KERNEL_MODES.includes("native"))("native weight EMA update", () => {
  it("equals WeightEma's JavaScript loop bit for bit, over the decay ramp and odd values", () => {
    const addon = nativeAddon();
    if (!addon) throw new Error("native addon missing");
    const n = 4099; // not a multiple of any vector width
    const init = rand(60, n, 3);
    init.set([0, -0, 1e-38, -3e38, 3e38, Number.MIN_VALUE, 1 / 3], 0);
    const js = new WeightEma(0.999, [init.slice()]);
    const native = new WeightEma(0.999, [init.slice()]);
    const kernel: TEmaKernel = (v, w, d, e) => addon.emaUpdate(v, w, d, e);
    for (let t = 0; t < 40; t++) {
      const w = rand(61 + t, n, t % 2 ? 5 : 0.001);
      w[1] = -3e38;
      js.update([w], jsEmaKernel);
      native.update([w], kernel);
    }
    expect(native.updates).toBe(40);
    // Object.is: -0 and +0 told apart.
    const a = js.values[0] as Float32Array;
    const b = native.values[0] as Float32Array;
    expect(a.every((v, i) => Object.is(v, b[i]))).toBe(true);
  });

  it("refuses mismatched lengths and leaves the state alone", () => {
    const addon = nativeAddon();
    if (!addon) throw new Error("native addon missing");
    const v = new Float32Array(5).fill(2);
    expect(() => addon.emaUpdate(v, new Float32Array(4), 0.5, 0.5)).toThrow(/emaUpdate/);
    const ema = new WeightEma(0.9, [v]);
    expect(() => ema.update([new Float32Array(4)], (x, w, d, e) => addon.emaUpdate(x, w, d, e))).toThrow(
      /does not match/,
    );
    expect(ema.updates).toBe(0);
    expect(Array.from(v)).toEqual([2, 2, 2, 2, 2]);
  });
});

describe.runIf(KERNEL_MODES.includes("native"))("native dropout layer", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
    useKernelMode("native");
  });

  const run = (seed: number, rate: number) =>
    withSeededMathRandom(seed, () => {
      const layer = tf.layers.dropout({ rate });
      const x = tf.add(tf.randomUniform([50, 40, 10], 0.5, 2, "float32", 9), 0) as tf.Tensor;
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const dx = tf.grad((a: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, 3)),
      )(x);
      const out = { x: x.dataSync(), y: y.dataSync(), dx: dx.dataSync() };
      tf.dispose([x, y, dx]);
      return out;
    });

  it("keeps 1 - rate of the values scaled by 1 / (1 - rate), the gradient through the same multipliers", () => {
    const rate = 0.25;
    const { x, y } = run(7, rate);
    let kept = 0;
    for (let i = 0; i < x.length; i++) {
      const v = y[i] as number;
      if (v !== 0) {
        kept++;
        expect(v).toBe(Math.fround((x[i] as number) * Math.fround(1 / Math.fround(1 - rate))));
      }
    }
    // 20,000 draws: the kept share is within 4 standard deviations (0.012) of 0.75.
    expect(Math.abs(kept / x.length - (1 - rate))).toBeLessThan(0.012);
  });

  it("draws from the seeded Math.random: the same seed gives the same mask, another seed another", () => {
    const a = run(11, 0.5);
    const b = run(11, 0.5);
    const c = run(12, 0.5);
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Array.from(a.y)).not.toEqual(Array.from(c.y));
    // The gradient of sum(3 * dropout(x)) is 3 times that call's multipliers: 0 or 3 / (1 - 0.5).
    expect(new Set(a.dx)).toEqual(new Set([0, 6]));
  });

  it("passes the input through outside training", () => {
    const layer = tf.layers.dropout({ rate: 0.5 });
    const x = tf.ones([4, 3]);
    expect(Array.from((layer.apply(x) as tf.Tensor).dataSync())).toEqual(new Array(12).fill(1));
    tf.dispose(x);
  });
});

describe.runIf(KERNEL_MODES.includes("native"))("native training kernels: argument checks", () => {
  it("refuses mismatched lengths with an error and leaves the outputs alone", () => {
    const addon = nativeAddon();
    if (!addon) throw new Error("native addon missing");
    const y = new Float32Array(12).fill(7);
    const c = () => new Float32Array(4);
    expect(() =>
      addon.bnForward(new Float32Array(12), c(), c(), y, c(), c(), new Float32Array(3), 1e-3),
    ).toThrow(/bnForward: x and y must be/);
    expect(Array.from(y)).toEqual(new Array(12).fill(7));
    expect(() =>
      addon.bnBackward(
        new Float32Array(12),
        new Float32Array(12),
        c(),
        c(),
        c(),
        y,
        c(),
        new Float32Array(5),
      ),
    ).toThrow(/bnBackward/);
    expect(() => addon.reluGrad(new Float32Array(3), new Float32Array(4), y)).toThrow(/reluGrad/);
    expect(() => addon.weightedSum(new Float32Array(12), new Float32Array(11), y, 0.5, 0.5)).toThrow(
      /weightedSum/,
    );
    expect(() => addon.dropout(new Float32Array(12), y, new Float32Array(12), 1, 1, 2)).toThrow(/rate/);
    expect(() => addon.channelSum(new Float32Array(12), new Float32Array(5))).toThrow(/channelSum/);
    expect(() => addon.channelSum(new Float32Array(12), c(), new Float32Array(8))).toThrow(/mask/);
    const v = c();
    expect(() =>
      addon.adam(v, c(), c(), new Float32Array(3), c(), c(), c(), 0.9, 0.999, 1e-3, 1e-7, 0),
    ).toThrow(/adam/);
    expect(() => addon.sgd(v, c(), c(), c(), new Float32Array(5), 0.9, 1e-3, 0)).toThrow(/sgd/);
    expect(() =>
      addon.maxPoolGrad(
        new Float32Array(12),
        new Float32Array(4),
        y,
        Int32Array.from([1, 2, 2, 3, 1, 1, 2, 2, 2, 2, 0, 0]),
      ),
    ).toThrow(/maxPoolGrad/);
    expect(Array.from(y)).toEqual(new Array(12).fill(7));
  });
});
