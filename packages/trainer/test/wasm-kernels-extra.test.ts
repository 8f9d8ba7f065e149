import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { maxRel, on } from "./helpers";
import { KERNEL_MODES, useKernelMode } from "./kernel-modes";

describe.each(KERNEL_MODES)("%s BatchMatMul (transposed) and MaxPoolGrad kernels", (mode) => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
    useKernelMode(mode);
  });

  it.each([
    [false, true],
    [true, false],
    [true, true],
  ])("matMul transposeA=%s transposeB=%s matches cpu", async (ta, tb) => {
    const av = Float32Array.from({ length: 2 * 5 * 7 }, (_, i) => Math.sin(i));
    const bv = Float32Array.from({ length: 2 * 7 * 3 }, (_, i) => Math.cos(i));
    const f = () =>
      tf.matMul(
        tf.tensor3d(av, ta ? [2, 7, 5] : [2, 5, 7]),
        tf.tensor3d(bv, tb ? [2, 3, 7] : [2, 7, 3]),
        ta,
        tb,
      );
    const [ref] = await on("cpu", f);
    const [got] = await on("wasm", f);
    expect(maxRel(got as Float32Array, ref as Float32Array)).toBeLessThan(1e-5);
  });

  it.each([
    [[3, 8, 8, 4], 2, 2, "valid"],
    [[2, 6, 10, 19], 2, 2, "valid"],
    [[2, 7, 9, 3], 2, 2, "same"],
    [[1, 9, 9, 2], 3, 2, "valid"],
    [[2, 6, 6, 5], 3, 1, "same"],
  ] as const)(
    "max-pool gradient on %j pool %i stride %i %s matches cpu",
    async (shape, size, stride, pad) => {
      // Quantised values make ties common: the gradient must go to the same (first) maximum as on cpu.
      const xv = Float32Array.from(
        { length: (shape as readonly number[]).reduce((p, v) => p * v, 1) },
        (_, i) => Math.round(Math.sin(i * 1.7) * 3),
      );
      const f = () => {
        const x = tf.tensor4d(xv, [...shape]);
        const y = tf.maxPool(x, size, stride, pad);
        const dy = tf.tensor4d(
          Float32Array.from({ length: y.size }, (_, i) => (i % 5) - 2),
          y.shape as [number, number, number, number],
        );
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, size, stride, pad), dy)))(
          x,
        );
      };
      const [ref] = await on("cpu", f);
      const [got] = await on("wasm", f);
      expect(Array.from(got as Float32Array)).toEqual(Array.from(ref as Float32Array));
    },
  );

  it("clone and same-dtype cast share memory and outlive their source; other casts convert", async () => {
    await tf.setBackend("wasm");
    const before = tf.memory().numBytes;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor1d([1.5, -2.25, 3]);
    const buffers = backend.numDataIds();
    const c = x.clone();
    const f = tf.cast(x, "float32");
    expect(backend.numDataIds()).toBe(buffers);
    const i = tf.cast(x, "int32");
    expect(backend.numDataIds()).toBe(buffers + 1);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(Array.from(f.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(i.dtype).toBe("int32");
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([c, f, i]);
    expect(tf.memory().numBytes).toBe(before);
  });
});
