import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { nativeAddon, nativeKernelsActive } from "../src/kernels/native-kernels";
import { mulberry32 } from "../src/loop/seeded-rng";
import { maxRel, on } from "./helpers";
import { KERNEL_MODES } from "./kernel-modes";

// Cases the shared kernel tests do not reach: fused bias + ReLU (vgg13's convs, every dense layer),
// dilation, 1x1 convolutions (a single sgemm), batches large enough to be cut into im2col chunks, and
// batched matmuls with a broadcast operand.
const hasNative = KERNEL_MODES.includes("native");

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, v) => p * v, 1);
}

function rand(seed: number, n: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

async function expectSame(fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<void> {
  const ref = await on("cpu", fn);
  const got = await on("wasm", fn);
  expect(got.length).toBe(ref.length);
  ref.forEach((r, i) => {
    expect(got[i]?.length).toBe(r.length);
    expect(maxRel(got[i] as Float32Array, r)).toBeLessThan(tol);
  });
}

describe.runIf(hasNative)("native OpenBLAS kernels", () => {
  beforeAll(async () => {
    const info = await initBackend("wasm", { quiet: true });
    expect(info.nativeKernels).toBe(true);
    expect(nativeKernelsActive()).toBe(true);
  });

  it.each([
    ["relu", true],
    ["linear", true],
    ["relu", false],
  ] as const)(
    "fused conv2d with %s activation (bias %s) and its gradients match cpu",
    async (act, withBias) => {
      const xv = rand(1, 2 * 9 * 11 * 3);
      const fv = rand(2, 3 * 3 * 3 * 5);
      const bv = rand(3, 5);
      await expectSame(() => {
        const x = tf.tensor4d(xv, [2, 9, 11, 3]);
        const f = tf.tensor4d(fv, [3, 3, 3, 5]);
        const b = tf.tensor1d(bv);
        const conv = (a: tf.Tensor, w: tf.Tensor) =>
          tf.fused.conv2d({
            x: a as tf.Tensor4D,
            filter: w as tf.Tensor4D,
            strides: 1,
            pad: "same",
            bias: withBias ? b : undefined,
            activation: act,
          });
        const [gx, gw] = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(conv(a, w))))([x, f]);
        return [conv(x, f), gx as tf.Tensor, gw as tf.Tensor];
      });
    },
  );

  it("dilated conv2d matches cpu", async () => {
    const xv = rand(4, 2 * 12 * 10 * 4);
    const fv = rand(5, 3 * 2 * 4 * 6);
    await expectSame(() =>
      tf.conv2d(tf.tensor4d(xv, [2, 12, 10, 4]), tf.tensor4d(fv, [3, 2, 4, 6]), 1, "same", "NHWC", [2, 3]),
    );
  });

  it.each([
    ["1x1 conv2d (one sgemm)", [3, 5, 7, 8], [1, 1, 8, 4], "valid"],
    // im2col chunks of 512 KB of columns (327 rows of 400): 327 + 327 + 146, cut across an image.
    ["a batch cut into three im2col chunks", [2, 20, 20, 16], [5, 5, 16, 4], "same"],
  ] as const)("%s and its gradients match cpu", async (_, xs, fs, pad) => {
    const xv = rand(6, sizeOf(xs));
    const fv = rand(7, sizeOf(fs));
    await expectSame(() => {
      const x = tf.tensor4d(xv, [...xs] as [number, number, number, number]);
      const f = tf.tensor4d(fv, [...fs] as [number, number, number, number]);
      const g = tf.grads((a: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, pad))),
      )([x, f]);
      return [tf.conv2d(x, f, 1, pad), ...g];
    });
  });

  it.each([
    [
      [3, 4, 5],
      [1, 5, 2],
    ],
    [
      [1, 4, 5],
      [3, 5, 2],
    ],
    [
      [2, 3, 4, 5],
      [2, 3, 5, 6],
    ],
  ])("batched matMul %j x %j (broadcast batch) matches cpu", async (sa, sb) => {
    const av = rand(
      10,
      sa.reduce((p, v) => p * v, 1),
    );
    const bv = rand(
      11,
      sb.reduce((p, v) => p * v, 1),
    );
    await expectSame(() => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb)));
  });

  it("a dense layer with bias and ReLU (fused matMul) and its gradients match cpu", async () => {
    const xv = rand(12, 6 * 10);
    const wv = rand(13, 10 * 4);
    const bv = rand(14, 4);
    await expectSame(() => {
      const x = tf.tensor2d(xv, [6, 10]);
      const w = tf.tensor2d(wv, [10, 4]);
      const b = tf.tensor1d(bv);
      const dense = (a: tf.Tensor, k: tf.Tensor) =>
        tf.fused.matMul({ a: a as tf.Tensor2D, b: k as tf.Tensor2D, bias: b, activation: "relu" });
      const g = tf.grads((a: tf.Tensor, k: tf.Tensor) => tf.sum(tf.square(dense(a, k))))([x, w]);
      return [dense(x, w), ...g];
    });
  });

  it("rejects arguments of the wrong type with an error instead of touching memory", () => {
    const addon = nativeAddon();
    expect(addon).not.toBeNull();
    const p = new Int32Array(15);
    expect(() =>
      addon?.conv2d(
        new Float32Array(4),
        new Float64Array(4) as unknown as Float32Array,
        new Float32Array(4),
        p,
      ),
    ).toThrow(/bad arguments/);
    expect(() =>
      addon?.gemm(new Float32Array(4), new Float32Array(4), new Float32Array(4), new Int32Array(3)),
    ).toThrow(/bad arguments/);
  });
});
