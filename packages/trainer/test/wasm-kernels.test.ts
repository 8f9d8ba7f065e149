import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { mulberry32 } from "../src/loop/seeded-rng";
import { maxRel } from "./helpers";
import { KERNEL_MODES, useKernelMode } from "./kernel-modes";

type TCase = {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: 1 | 2;
  pad: "same" | "valid";
};

// Random shapes: strides 1 and 2, same/valid padding, odd and even sizes, batch 1 and many.
function randomCases(count: number): TCase[] {
  const r = mulberry32(1234);
  const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const cases: TCase[] = [];
  for (let i = 0; i < count; i++) {
    const k = pick(1, 5);
    const size = pick(k + 1, 13);
    cases.push({
      x: [i % 3 === 0 ? 1 : pick(2, 6), size, pick(k + 1, 13), pick(1, 6)],
      f: [k, pick(1, 5), 0, pick(1, 7)],
      s: i % 2 === 0 ? 1 : 2,
      pad: i % 4 < 2 ? "same" : "valid",
    });
    const c = cases[cases.length - 1] as TCase;
    c.f[2] = c.x[3];
  }
  return cases;
}

async function gradsOn(backend: string, c: TCase, xv: Float32Array, fv: Float32Array, dyv: Float32Array) {
  await tf.setBackend(backend);
  const x = tf.tensor4d(xv, c.x);
  const f = tf.tensor4d(fv, c.f);
  const y = tf.conv2d(x, f, c.s, c.pad);
  const dy = tf.tensor(dyv, y.shape);
  const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), dy)),
  )([x, f]);
  const out = { dx: (await gx?.data()) as Float32Array, dw: (await gf?.data()) as Float32Array };
  tf.dispose([x, f, y, dy, gx, gf]);
  return out;
}

describe.each(KERNEL_MODES)("%s gradient kernels", (mode) => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
    useKernelMode(mode);
  });

  it("registers Conv2DBackpropFilter and replaces Conv2DBackpropInput", () => {
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
    // wasm-conv-grad-kernels.ts's backpropInput, or the native kernel table's entry (named by its key).
    expect(tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc.name).toBe(
      mode === "wasm" ? "backpropInput" : "Conv2DBackpropInput",
    );
  });

  it.each(randomCases(24))("matches the cpu backend: x=$x f=$f stride=$s $pad", async (c) => {
    const r = mulberry32(c.x[1] * 131 + c.f[0]);
    const rand = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
    const xv = rand(c.x.reduce((a, b) => a * b, 1));
    const fv = rand(c.f.reduce((a, b) => a * b, 1));
    await tf.setBackend("cpu");
    const yShape = tf.tidy(
      () => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.s, c.pad).shape,
    );
    const dyv = rand(yShape.reduce((a, b) => a * b, 1));
    const ref = await gradsOn("cpu", c, xv, fv, dyv);
    const got = await gradsOn("wasm", c, xv, fv, dyv);
    expect(maxRel(got.dx, ref.dx)).toBeLessThan(1e-4);
    expect(maxRel(got.dw, ref.dw)).toBeLessThan(1e-4);
  });

  it("does not leak wasm tensors", async () => {
    await tf.setBackend("wasm");
    const c: TCase = { x: [3, 9, 9, 2], f: [3, 3, 2, 4], s: 2, pad: "same" };
    const x = tf.randomNormal(c.x) as tf.Tensor4D;
    const f = tf.randomNormal(c.f) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) {
      tf.dispose(
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad)),
        )([x, f]),
      );
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
    tf.dispose([x, f]);
  });
});
