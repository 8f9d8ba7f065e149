import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { f32, fallback, loadedAddon } from "./native-addon";
import { maxPoolGradInfo } from "./wasm-matmul-maxpool-kernels";

/**
 * The sgemm-bound kernels on the native addon: Conv2D and FusedConv2D (im2col + sgemm, bias and ReLU
 * fused), both convolution gradients, BatchMatMul and _FusedMatMul, and MaxPoolGrad. Shapes they do not take
 * go to the WASM kernel they replaced (`fallback`).
 */
type TInfo = tf.TensorInfo;
type TArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

export type TConvAttrs = {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
};

export function convParams(inShape: number[], filterShape: number[], attrs: TConvAttrs): Int32Array | null {
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
  const lib = loadedAddon();
  const o = f32(backend, out);
  lib.conv2d(f32(backend, x as TInfo), f32(backend, filter as TInfo), o, p);
  if (bias || act !== 0) lib.biasAct(o, bias ? f32(backend, bias) : null, act);
  return out;
}

/**
 * Both convolution gradients: the same geometry, one native call each. The Concord* variants (the gradient
 * of ConcordConv2D, native-layers.ts) take an optional `mask` input, the output of the fused ReLU, and use
 * dy only where it is > 0.
 */
function convGradImpl(
  args: TArgs,
  name: "Conv2DBackpropInput" | "Conv2DBackpropFilter" | "ConcordConvGradInput" | "ConcordConvGradFilter",
): TInfo {
  const backend = args.backend as BackendWasm;
  const attrs = args.attrs as unknown as TConvAttrs & { inputShape: number[]; filterShape: number[] };
  const input = name === "Conv2DBackpropInput" || name === "ConcordConvGradInput";
  const { x, dy, filter, mask } = args.inputs as Record<string, TInfo | undefined>;
  const inShape = input ? attrs.inputShape : (x as TInfo).shape;
  const filterShape = input ? (filter as TInfo).shape : attrs.filterShape;
  const p = convParams(inShape, filterShape, attrs);
  if (!p) {
    if (name.startsWith("Concord")) throw new Error(`${name}: only NHWC convolutions`);
    return fallback(name, args);
  }
  const out = backend.makeOutput(input ? inShape : filterShape, "float32");
  const lib = loadedAddon();
  const m = mask ? f32(backend, mask) : null;
  if (input)
    lib.conv2dBackpropInput(
      f32(backend, dy as TInfo),
      f32(backend, filter as TInfo),
      f32(backend, out),
      p,
      m,
    );
  else lib.conv2dBackpropFilter(f32(backend, x as TInfo), f32(backend, dy as TInfo), f32(backend, out), p, m);
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
  const lib = loadedAddon();
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
  loadedAddon().maxPoolGrad(
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

export const NATIVE_CONV_KERNELS: Record<string, (args: TArgs) => TInfo> = {
  Conv2D: (args) => conv2dImpl(args, "Conv2D"),
  FusedConv2D: (args) => conv2dImpl(args, "FusedConv2D"),
  Conv2DBackpropInput: (args) => convGradImpl(args, "Conv2DBackpropInput"),
  Conv2DBackpropFilter: (args) => convGradImpl(args, "Conv2DBackpropFilter"),
  BatchMatMul: (args) => matMulImpl(args, false),
  _FusedMatMul: (args) => matMulImpl(args, true),
  MaxPoolGrad: maxPoolGrad,
  // The conv layers' own op (native-layers.ts): FusedConv2D's forward, gradients through the ReLU mask.
  ConcordConv2D: (args) => conv2dImpl(args, "FusedConv2D"),
  ConcordConvGradInput: (args) => convGradImpl(args, "ConcordConvGradInput"),
  ConcordConvGradFilter: (args) => convGradImpl(args, "ConcordConvGradFilter"),
};
