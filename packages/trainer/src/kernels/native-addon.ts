import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * The native addon (native/concord_kernels.c + concord_train.c, built by `npm run build:native`): loading it,
 * and its functions. Every array argument is a view on the WASM heap (no copies); see native-kernels.ts
 * (convolutions, matmuls) and native-train-kernels.ts (batch norm, ReLU, pooling, optimizer) for the
 * tfjs kernels on top.
 */
export type TSgemmLibrary = "openblas" | "builtin";
export type TAddon = {
  /** Which sgemm the addon was built with, and its kernel ("Cooperlake" for OpenBLAS, "avx512 12x32", ...). */
  sgemmLibrary: TSgemmLibrary;
  sgemmKernel: string;
  /** c = op(a) op(b) + beta c, row-major; p = [transA, transB, m, n, k, lda, ldb, ldc]. */
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, p: Int32Array, beta: number): void;
  conv2d(x: Float32Array, f: Float32Array, out: Float32Array, p: Int32Array): void;
  /** mask: the output of a ReLU fused into the forward convolution (dy counts where it is > 0). */
  conv2dBackpropInput(
    dy: Float32Array,
    f: Float32Array,
    dx: Float32Array,
    p: Int32Array,
    mask?: Float32Array | null,
  ): void;
  conv2dBackpropFilter(
    x: Float32Array,
    dy: Float32Array,
    dw: Float32Array,
    p: Int32Array,
    mask?: Float32Array | null,
  ): void;
  gemm(a: Float32Array, b: Float32Array, out: Float32Array, p: Int32Array): void;
  biasAct(x: Float32Array, bias: Float32Array | null, act: number): void;
  channelSum(x: Float32Array, out: Float32Array, mask?: Float32Array | null): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, p: Int32Array): void;
  bnForward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    inv: Float32Array,
    epsilon: number,
    relu?: boolean,
  ): void;
  bnBackward(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    inv: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    reluOut?: Float32Array | null,
  ): void;
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  weightedSum(a: Float32Array, b: Float32Array, out: Float32Array, wa: number, wb: number): void;
  /** v = d v + e w, in float64 per value, stored as float32 (WeightEma's update, bit for bit). */
  emaUpdate(v: Float32Array, w: Float32Array, d: number, e: number): void;
  dropout(
    x: Float32Array,
    y: Float32Array,
    mask: Float32Array,
    rate: number,
    seed0: number,
    seed1: number,
  ): void;
  adam(
    v: Float32Array,
    m: Float32Array,
    s: Float32Array,
    g: Float32Array,
    vOut: Float32Array,
    mOut: Float32Array,
    sOut: Float32Array,
    beta1: number,
    beta2: number,
    lrT: number,
    epsilon: number,
    weightDecay: number,
  ): void;
  sgd(
    v: Float32Array,
    m: Float32Array,
    g: Float32Array,
    vOut: Float32Array,
    mOut: Float32Array,
    momentum: number,
    lrT: number,
    weightDecay: number,
  ): void;
};

export const NATIVE_ADDON_PATH = path.resolve(import.meta.dirname, "../../native/build/concord_kernels.node");

let addon: TAddon | null | undefined;
let loadError: string | undefined;

/** The addon, or null when it is not built or fails to load. */
export function nativeAddon(): TAddon | null {
  if (addon !== undefined) return addon;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    loadError = `not built (${path.relative(process.cwd(), NATIVE_ADDON_PATH)}; run npm run build:native -w @concord/trainer)`;
    addon = null;
  } else {
    try {
      addon = loadAddonFile(NATIVE_ADDON_PATH);
    } catch (e) {
      loadError = `failed to load: ${(e as Error).message}`;
      addon = null;
    }
  }
  return addon;
}

/** The loaded addon, for kernels that only run once it is (they are registered only then). */
export function loadedAddon(): TAddon {
  if (!addon) throw new Error("native kernel called without the native addon");
  return addon;
}

/** Loads an addon build from any path (build.mjs --out), e.g. the builtin-sgemm one beside OpenBLAS's. */
export function loadAddonFile(file: string): TAddon {
  return createRequire(import.meta.url)(file) as TAddon;
}

/**
 * Makes this thread's native kernels call another build of the addon (benchmarks compare the builtin sgemm
 * with OpenBLAS's in one process). Gradient threads keep loading the default build.
 */
export function useNativeAddon(other: TAddon): void {
  addon = other;
  loadError = undefined;
}

/** The sgemm under the native kernels, or null when the addon is not available. */
export function nativeSgemm(): { library: TSgemmLibrary; kernel: string } | null {
  const lib = nativeAddon();
  return lib ? { library: lib.sgemmLibrary, kernel: lib.sgemmKernel } : null;
}

/** Why the native kernels are not in use (undefined when they are). */
export function nativeUnavailableReason(): string | undefined {
  nativeAddon();
  return loadError;
}

/** A tensor's data as a view on the WASM heap (take views after makeOutput: allocation may move the heap). */
export function f32(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

// The WASM kernels the native ones replaced, by kernel name: shapes a native kernel does not take go there,
// and turning the native kernels off registers them again.
const fallbacks = new Map<string, tf.KernelFunc>();

export function setFallback(name: string, kernel: tf.KernelFunc): void {
  fallbacks.set(name, kernel);
}

export function fallbackOf(name: string): tf.KernelFunc | undefined {
  return fallbacks.get(name);
}

/** Runs the WASM kernel a native one replaced (for a shape or option the native one does not take). */
export function fallback(
  name: string,
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const fn = fallbacks.get(name);
  if (!fn) throw new Error(`no wasm fallback for ${name}`);
  return fn(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
