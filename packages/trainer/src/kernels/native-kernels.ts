import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { maxPoolGradInfo } from "./wasm-matmul-maxpool-kernels";

/**
 * Native kernels for the WASM backend (native/concord_kernels.c, built by `npm run build:native`): the
 * convolutions and matmuls of a training step as im2col + sgemm, plus MaxPoolGrad and the batch norm's
 * channel sums. WASM has 128-bit SIMD and no FMA; the sgemm uses the CPU's AVX2/AVX-512 FMA units, which is
 * where PyTorch's speed comes from too. It is OpenBLAS's where that is installed, else the addon's own
 * (native/concord_sgemm.c); `nativeSgemm()` says which. They work on the WASM heap in place (no copies),
 * so everything else (elementwise ops, batch norm, the optimizer) stays on WASM unchanged.
 *
 * Optional: without the addon (no C compiler where it was installed), or when initBackend is told not to
 * use it, training runs on WASM's kernels and ours from wasm-conv-grad-kernels.ts and
 * wasm-matmul-maxpool-kernels.ts.
 */
type TInfo = tf.TensorInfo;
type TArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
export type TSgemmLibrary = "openblas" | "builtin";
export type TAddon = {
  /** Which sgemm the addon was built with, and its kernel ("Cooperlake" for OpenBLAS, "avx512 12x32", ...). */
  sgemmLibrary: TSgemmLibrary;
  sgemmKernel: string;
  /** c = op(a) op(b) + beta c, row-major; p = [transA, transB, m, n, k, lda, ldb, ldc]. */
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, p: Int32Array, beta: number): void;
  conv2d(x: Float32Array, f: Float32Array, out: Float32Array, p: Int32Array): void;
  conv2dBackpropInput(dy: Float32Array, f: Float32Array, dx: Float32Array, p: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, p: Int32Array): void;
  gemm(a: Float32Array, b: Float32Array, out: Float32Array, p: Int32Array): void;
  biasAct(x: Float32Array, bias: Float32Array | null, act: number): void;
  channelSum(x: Float32Array, out: Float32Array): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, p: Int32Array): void;
};

export const NATIVE_ADDON_PATH = path.resolve(import.meta.dirname, "../../native/build/concord_kernels.node");

let addon: TAddon | null | undefined;
let loadError: string | undefined;
let registered = false;
const fallbacks = new Map<string, tf.KernelFunc>();

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

function f32(backend: BackendWasm, info: TInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function fallback(name: string, args: TArgs): TInfo {
  const fn = fallbacks.get(name);
  if (!fn) throw new Error(`no wasm fallback for ${name}`);
  return fn(args as Parameters<tf.KernelFunc>[0]) as TInfo;
}

type TConvAttrs = {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
};

function convParams(inShape: number[], filterShape: number[], attrs: TConvAttrs): Int32Array | null {
  if (attrs.dataFormat === "NCHW") return null;
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ]);
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1 };

/** Conv2D and FusedConv2D (bias and linear/ReLU activation fused; PReLU and others fall back to WASM). */
function conv2dImpl(args: TArgs, name: "Conv2D" | "FusedConv2D"): TInfo {
  const backend = args.backend as BackendWasm;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TInfo | undefined>;
  const attrs = args.attrs as unknown as TConvAttrs & { activation?: string };
  const act = ACTIVATIONS[attrs.activation ?? "linear"];
  const p = convParams((x as TInfo).shape, (filter as TInfo).shape, attrs);
  const co = (filter as TInfo).shape[3] as number;
  if (!p || act === undefined || preluActivationWeights || (bias && sizeOf(bias.shape) !== co))
    return fallback(name, args);
  const out = backend.makeOutput([p[0] as number, p[7] as number, p[8] as number, co], "float32");
  const lib = addon as TAddon;
  const o = f32(backend, out);
  lib.conv2d(f32(backend, x as TInfo), f32(backend, filter as TInfo), o, p);
  if (bias || act !== 0) lib.biasAct(o, bias ? f32(backend, bias) : null, act);
  return out;
}

/** Both convolution gradients: the same geometry, one native call each. */
function convGradImpl(args: TArgs, name: "Conv2DBackpropInput" | "Conv2DBackpropFilter"): TInfo {
  const backend = args.backend as BackendWasm;
  const attrs = args.attrs as unknown as TConvAttrs & { inputShape: number[]; filterShape: number[] };
  const input = name === "Conv2DBackpropInput";
  const { x, dy, filter } = args.inputs as Record<string, TInfo>;
  const inShape = input ? attrs.inputShape : (x as TInfo).shape;
  const filterShape = input ? (filter as TInfo).shape : attrs.filterShape;
  const p = convParams(inShape, filterShape, attrs);
  if (!p) return fallback(name, args);
  const out = backend.makeOutput(input ? inShape : filterShape, "float32");
  const lib = addon as TAddon;
  if (input)
    lib.conv2dBackpropInput(f32(backend, dy as TInfo), f32(backend, filter as TInfo), f32(backend, out), p);
  else lib.conv2dBackpropFilter(f32(backend, x as TInfo), f32(backend, dy as TInfo), f32(backend, out), p);
  return out;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((x, y) => x * y, 1);
}

/** [batch..., m, k] x [batch..., k, n] with equal batch shapes or one operand's batch of 1. */
function matMulImpl(args: TArgs, fused: boolean): TInfo {
  const backend = args.backend as BackendWasm;
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TInfo | undefined>;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  const name = fused ? "_FusedMatMul" : "BatchMatMul";
  const A = a as TInfo;
  const B = b as TInfo;
  const act = ACTIVATIONS[attrs.activation ?? "linear"];
  const ra = A.shape.length;
  const rb = B.shape.length;
  if (ra < 2 || rb < 2 || act === undefined || preluActivationWeights) return fallback(name, args);
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  const nA = sizeOf(batchA);
  const nB = sizeOf(batchB);
  const sameBatch = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
  if (!sameBatch && nA !== 1 && nB !== 1) return fallback(name, args);
  const m = (attrs.transposeA ? A.shape[ra - 1] : A.shape[ra - 2]) as number;
  const k = (attrs.transposeA ? A.shape[ra - 2] : A.shape[ra - 1]) as number;
  const k2 = (attrs.transposeB ? B.shape[rb - 1] : B.shape[rb - 2]) as number;
  const n = (attrs.transposeB ? B.shape[rb - 2] : B.shape[rb - 1]) as number;
  if (k !== k2) return fallback(name, args);
  if (bias && sizeOf(bias.shape) !== n) return fallback(name, args);
  const outBatch = nA >= nB ? batchA : batchB;
  const out = backend.makeOutput([...outBatch, m, n], "float32");
  const batch = Math.max(nA, nB);
  const p = Int32Array.from([
    batch,
    m,
    n,
    k,
    attrs.transposeA ? 1 : 0,
    attrs.transposeB ? 1 : 0,
    nA === 1 && batch > 1 ? 0 : m * k,
    nB === 1 && batch > 1 ? 0 : k * n,
  ]);
  const lib = addon as TAddon;
  const o = f32(backend, out);
  lib.gemm(f32(backend, A), f32(backend, B), o, p);
  if (bias || act !== 0) lib.biasAct(o, bias ? f32(backend, bias) : null, act);
  return out;
}

function maxPoolGrad(args: TArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: TInfo; input: TInfo };
  const info = maxPoolGradInfo(input, args.attrs);
  const out = backend.makeOutput(input.shape, "float32");
  (addon as TAddon).maxPoolGrad(
    f32(backend, input),
    f32(backend, dy),
    f32(backend, out),
    Int32Array.from([
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    ]),
  );
  return out;
}

function channelSum(args: TArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as TInfo;
  const out = backend.makeOutput([x.shape[x.shape.length - 1] as number], "float32");
  (addon as TAddon).channelSum(f32(backend, x), f32(backend, out));
  return out;
}

const KERNELS: Record<string, (args: TArgs) => TInfo> = {
  Conv2D: (args) => conv2dImpl(args, "Conv2D"),
  FusedConv2D: (args) => conv2dImpl(args, "FusedConv2D"),
  Conv2DBackpropInput: (args) => convGradImpl(args, "Conv2DBackpropInput"),
  Conv2DBackpropFilter: (args) => convGradImpl(args, "Conv2DBackpropFilter"),
  BatchMatMul: (args) => matMulImpl(args, false),
  _FusedMatMul: (args) => matMulImpl(args, true),
  MaxPoolGrad: maxPoolGrad,
  ConcordChannelSum: channelSum,
};

/**
 * Replaces the WASM kernels above with the native ones (idempotent). Call after the other WASM kernel
 * registrations: the kernels it replaces become the fallbacks for shapes the native path does not take.
 * Returns false (and changes nothing) when the addon is unavailable.
 */
export function registerNativeKernels(): boolean {
  return useNativeKernels(true);
}

/**
 * Switches this thread's wasm backend between the native kernels and the WASM ones they replaced (tests
 * and benchmarks compare both in one process). Returns whether the native kernels are now active.
 */
export function useNativeKernels(on: boolean): boolean {
  if (on === registered) return registered;
  if (on) {
    if (!nativeAddon()) return false;
    for (const [name, kernelFunc] of Object.entries(KERNELS)) {
      const existing = tf.getKernel(name, "wasm");
      if (existing) {
        fallbacks.set(name, existing.kernelFunc);
        tf.unregisterKernel(name, "wasm");
      }
      tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: kernelFunc as tf.KernelFunc });
    }
  } else {
    for (const name of Object.keys(KERNELS)) {
      tf.unregisterKernel(name, "wasm");
      const previous = fallbacks.get(name);
      if (previous) tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: previous });
    }
  }
  registered = on;
  return registered;
}

/** Whether the native kernels are registered on the wasm backend in this thread. */
export function nativeKernelsActive(): boolean {
  return registered;
}
