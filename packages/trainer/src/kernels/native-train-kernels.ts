import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { f32, loadedAddon } from "./native-addon";

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

function channelSum(args: TArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { x, mask } = args.inputs as { x: TInfo; mask?: TInfo };
  const out = backend.makeOutput([x.shape[x.shape.length - 1] as number], "float32");
  loadedAddon().channelSum(f32(backend, x), f32(backend, out), mask ? f32(backend, mask) : null);
  return out;
}

function batchNorm(args: TArgs): TInfo[] {
  const backend = args.backend as BackendWasm;
  const { x, gamma, beta } = args.inputs as { x: TInfo; gamma: TInfo; beta: TInfo };
  const { epsilon, relu } = args.attrs as { epsilon: number; relu?: boolean };
  const channels = [x.shape[x.shape.length - 1] as number];
  const outs = [
    backend.makeOutput(x.shape, "float32"),
    backend.makeOutput(channels, "float32"),
    backend.makeOutput(channels, "float32"),
    backend.makeOutput(channels, "float32"),
  ];
  const [y, mean, variance, inv] = outs.map((o) => f32(backend, o)) as Float32Array[];
  loadedAddon().bnForward(
    f32(backend, x),
    f32(backend, gamma),
    f32(backend, beta),
    y as Float32Array,
    mean as Float32Array,
    variance as Float32Array,
    inv as Float32Array,
    epsilon,
    relu === true,
  );
  return outs;
}

function batchNormGrad(args: TArgs): TInfo[] {
  const backend = args.backend as BackendWasm;
  // y: the output of a fused ReLU, when the forward applied one.
  const { dy, x, mean, inv, gamma, y } = args.inputs as Record<string, TInfo | undefined>;
  const X = x as TInfo;
  const outs = [
    backend.makeOutput(X.shape, "float32"),
    backend.makeOutput((gamma as TInfo).shape, "float32"),
    backend.makeOutput((gamma as TInfo).shape, "float32"),
  ];
  const [dx, dgamma, dbeta] = outs.map((o) => f32(backend, o)) as Float32Array[];
  loadedAddon().bnBackward(
    f32(backend, dy as TInfo),
    f32(backend, X),
    f32(backend, mean as TInfo),
    f32(backend, inv as TInfo),
    f32(backend, gamma as TInfo),
    dx as Float32Array,
    dgamma as Float32Array,
    dbeta as Float32Array,
    y ? f32(backend, y) : null,
  );
  return outs;
}

function reluGrad(args: TArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { dy, x } = args.inputs as { dy: TInfo; x: TInfo };
  const out = backend.makeOutput(x.shape, "float32");
  loadedAddon().reluGrad(f32(backend, dy), f32(backend, x), f32(backend, out));
  return out;
}

function dropout(args: TArgs): TInfo[] {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as TInfo;
  const { rate, seed0, seed1 } = args.attrs as { rate: number; seed0: number; seed1: number };
  const outs = [backend.makeOutput(x.shape, "float32"), backend.makeOutput(x.shape, "float32")];
  const [y, mask] = outs.map((o) => f32(backend, o)) as Float32Array[];
  loadedAddon().dropout(f32(backend, x), y as Float32Array, mask as Float32Array, rate, seed0, seed1);
  return outs;
}

function weightedSum(args: TArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: TInfo; b: TInfo };
  const { wa, wb } = args.attrs as { wa: number; wb: number };
  const out = backend.makeOutput(a.shape, "float32");
  loadedAddon().weightedSum(f32(backend, a), f32(backend, b), f32(backend, out), wa, wb);
  return out;
}

export type TAdamAttrs = { beta1: number; beta2: number; lrT: number; epsilon: number; weightDecay: number };
export type TSgdAttrs = { momentum: number; lrT: number; weightDecay: number };

function adam(args: TArgs): TInfo[] {
  const backend = args.backend as BackendWasm;
  const { v, m, s, g } = args.inputs as Record<string, TInfo>;
  const a = args.attrs as unknown as TAdamAttrs;
  const outs = [0, 1, 2].map(() => backend.makeOutput((v as TInfo).shape, "float32"));
  const [vo, mo, so] = outs.map((o) => f32(backend, o)) as Float32Array[];
  loadedAddon().adam(
    f32(backend, v as TInfo),
    f32(backend, m as TInfo),
    f32(backend, s as TInfo),
    f32(backend, g as TInfo),
    vo as Float32Array,
    mo as Float32Array,
    so as Float32Array,
    a.beta1,
    a.beta2,
    a.lrT,
    a.epsilon,
    a.weightDecay,
  );
  return outs;
}

function sgd(args: TArgs): TInfo[] {
  const backend = args.backend as BackendWasm;
  const { v, m, g } = args.inputs as Record<string, TInfo>;
  const a = args.attrs as unknown as TSgdAttrs;
  const outs = [0, 1].map(() => backend.makeOutput((v as TInfo).shape, "float32"));
  const [vo, mo] = outs.map((o) => f32(backend, o)) as Float32Array[];
  loadedAddon().sgd(
    f32(backend, v as TInfo),
    f32(backend, m as TInfo),
    f32(backend, g as TInfo),
    vo as Float32Array,
    mo as Float32Array,
    a.momentum,
    a.lrT,
    a.weightDecay,
  );
  return outs;
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
