import * as tf from "@tensorflow/tfjs";
import { describe } from "vitest";
import { nativeAddon, nativeUnavailableReason, useNativeKernels } from "../src/native-kernels";

export type TKernelMode = "wasm" | "native";

/**
 * The kernel sets every WASM kernel test runs against: WASM's own plus ours (wasm-kernels*.ts), and the
 * native OpenBLAS kernels when the addon is built. CI sets CONCORD_REQUIRE_NATIVE=1, so a missing addon
 * fails there instead of silently testing less.
 */
export const KERNEL_MODES: TKernelMode[] = nativeAddon() ? ["wasm", "native"] : ["wasm"];

if (!nativeAddon()) {
  const why = nativeUnavailableReason();
  if (process.env.CONCORD_REQUIRE_NATIVE === "1") throw new Error(`native kernels required but ${why}`);
  describe.skip(`native kernel cases skipped: ${why}`, () => {});
}

/** Call after initBackend("wasm"). */
export function useKernelMode(mode: TKernelMode): void {
  const active = useNativeKernels(mode === "native");
  if (active !== (mode === "native")) throw new Error(`could not switch to ${mode} kernels`);
}

/** Largest absolute difference relative to the largest reference magnitude. */
export function maxRel(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    s = Math.max(s, Math.abs(b[i] as number));
  }
  return d / Math.max(s, 1e-12);
}

/** Runs fn on a backend and returns its output(s) as arrays, disposing every tensor. */
export async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  return values;
}
