import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { f32, loadedAddon, type TAddon } from "./native-addon";

/**
 * The memory-bound part of a training step on the native addon (native/concord_train.c), one or two passes
 * each where tfjs composed five to ten WASM elementwise ops with a full-size temporary apiece:
 * - ConcordBatchNorm / ConcordBatchNormGrad: training batch norm over the last axis (fast-batch-norm.ts):
 *   statistics and output in two passes, the closed-form gradient in two, optionally with the ReLU that
 *   follows fused in (output clamped; the gradient masked by that output);
 * - ConcordReluGrad: dy where x > 0 (the Relu gradient, native-layers.ts);
 * - ConcordChannelSum: per-channel sums, through a ReLU mask when given (a fused bias gradient);
 * - ConcordDropout: the mask drawn natively (a counter-based hash) and applied in one pass (native-layers.ts);
 * - ConcordAdam / ConcordSgd: one variable's optimizer step in one pass (optimizer.ts);
 * - ConcordWeightedSum: a * wa + b * wb, the gradient threads' gradients averaged in one pass (gradient-pool.ts).
 * Registered with the convolution kernels by native-kernels.ts; callers check `tf.getKernel(name, "wasm")`
 * and otherwise compose tfjs ops, so every other backend (and WASM without the addon) works unchanged.
 */
type TInfo = tf.TensorInfo;
type TArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type TViews<I extends readonly (TInfo | undefined)[]> = {
  [K in keyof I]: I[K] extends TInfo ? Float32Array : Float32Array | null;
};

/**
 * Allocates outputs of the given shapes, then calls the addon through `fn` with heap views of the inputs (null for
 * an absent optional one) and of the outputs, taken after every allocation (one may grow and detach the heap).
 */
function native<
  const I extends readonly (TInfo | undefined)[],
  const O extends readonly (readonly number[])[],
>(
  args: TArgs,
  inputs: I,
  shapes: O,
  fn: (lib: TAddon, ins: TViews<I>, outs: { [K in keyof O]: Float32Array }) => void,
): TInfo[] {
  const backend = args.backend as BackendWasm;
  const outs = shapes.map((shape) => backend.makeOutput([...shape], "float32"));
  const ins = inputs.map((t) => (t ? f32(backend, t) : null)) as unknown as TViews<I>;
  fn(loadedAddon(), ins, outs.map((o) => f32(backend, o)) as unknown as { [K in keyof O]: Float32Array });
  return outs;
}

function channels(x: TInfo): number[] {
  return [x.shape[x.shape.length - 1] as number];
}

function channelSum(args: TArgs): TInfo {
  const { x, mask } = args.inputs as { x: TInfo; mask?: TInfo };
  return native(args, [x, mask], [channels(x)], (lib, [xv, mv], [out]) =>
    lib.channelSum(xv, out, mv),
  )[0] as TInfo;
}

function batchNorm(args: TArgs): TInfo[] {
  const { x, gamma, beta } = args.inputs as { x: TInfo; gamma: TInfo; beta: TInfo };
  const { epsilon, relu } = args.attrs as { epsilon: number; relu?: boolean };
  const c = channels(x);
  return native(args, [x, gamma, beta], [x.shape, c, c, c], (lib, [xv, g, b], [y, mean, variance, inv]) =>
    lib.bnForward(xv, g, b, y, mean, variance, inv, epsilon, relu === true),
  );
}

function batchNormGrad(args: TArgs): TInfo[] {
  // y: the output of a fused ReLU, when the forward applied one.
  const { dy, x, mean, inv, gamma, y } = args.inputs as {
    [k in "dy" | "x" | "mean" | "inv" | "gamma"]: TInfo;
  } & {
    y?: TInfo;
  };
  return native(
    args,
    [dy, x, mean, inv, gamma, y],
    [x.shape, gamma.shape, gamma.shape],
    (lib, [g, xv, m, iv, gm, yv], [dx, dgamma, dbeta]) =>
      lib.bnBackward(g, xv, m, iv, gm, dx, dgamma, dbeta, yv),
  );
}

function reluGrad(args: TArgs): TInfo {
  const { dy, x } = args.inputs as { dy: TInfo; x: TInfo };
  return native(args, [dy, x], [x.shape], (lib, [g, xv], [dx]) => lib.reluGrad(g, xv, dx))[0] as TInfo;
}

function dropout(args: TArgs): TInfo[] {
  const x = args.inputs.x as TInfo;
  const { rate, seed0, seed1 } = args.attrs as { rate: number; seed0: number; seed1: number };
  return native(args, [x], [x.shape, x.shape], (lib, [xv], [y, mask]) =>
    lib.dropout(xv, y, mask, rate, seed0, seed1),
  );
}

function weightedSum(args: TArgs): TInfo {
  const { a, b } = args.inputs as { a: TInfo; b: TInfo };
  const { wa, wb } = args.attrs as { wa: number; wb: number };
  return native(args, [a, b], [a.shape], (lib, [av, bv], [out]) =>
    lib.weightedSum(av, bv, out, wa, wb),
  )[0] as TInfo;
}

export type TAdamAttrs = { beta1: number; beta2: number; lrT: number; epsilon: number; weightDecay: number };
export type TSgdAttrs = { momentum: number; lrT: number; weightDecay: number };

function adam(args: TArgs): TInfo[] {
  const { v, m, s, g } = args.inputs as { v: TInfo; m: TInfo; s: TInfo; g: TInfo };
  const a = args.attrs as unknown as TAdamAttrs;
  return native(args, [v, m, s, g], [v.shape, v.shape, v.shape], (lib, [vv, mv, sv, gv], [vo, mo, so]) =>
    lib.adam(vv, mv, sv, gv, vo, mo, so, a.beta1, a.beta2, a.lrT, a.epsilon, a.weightDecay),
  );
}

function sgd(args: TArgs): TInfo[] {
  const { v, m, g } = args.inputs as { v: TInfo; m: TInfo; g: TInfo };
  const a = args.attrs as unknown as TSgdAttrs;
  return native(args, [v, m, g], [v.shape, v.shape], (lib, [vv, mv, gv], [vo, mo]) =>
    lib.sgd(vv, mv, gv, vo, mo, a.momentum, a.lrT, a.weightDecay),
  );
}

export const NATIVE_TRAIN_KERNELS: Record<string, (args: TArgs) => TInfo | TInfo[]> = {
  ConcordChannelSum: channelSum,
  ConcordBatchNorm: batchNorm,
  ConcordBatchNormGrad: batchNormGrad,
  ConcordReluGrad: reluGrad,
  ConcordDropout: dropout,
  ConcordWeightedSum: weightedSum,
  ConcordAdam: adam,
  ConcordSgd: sgd,
};
