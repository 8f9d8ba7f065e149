import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { routeLayerCall } from "./native-layers";

/**
 * Training-mode batch norm with a closed-form gradient.
 *
 * tfjs-layers computes training BN as moments() + batchNorm() and lets autodiff walk both graphs: the
 * FusedBatchNorm gradient tiles its per-channel factors to the full activation size, and the moments
 * gradient adds more full-size passes (on WASM, Tile + Sum + Mean were ~35% of a training step). Here
 * the forward saves xhat and the backward is the textbook
 *   dx = gamma * inv / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)),
 * with per-channel sums done by a small kernel (WASM's Sum over leading axes transposes first, and a
 * [1,M] x [M,C] matMul measured slower still).
 * On the native kernels (native-train-kernels.ts) forward and backward are one kernel each, two passes
 * over memory apiece, the forward saving x and the per-channel mean and 1/std instead of xhat; inside a
 * model, the ReLU layer that follows is fused in (see graphDepth below).
 * Only BatchNormalization.call in training mode on the last axis changes; weights, config, inference and
 * serialisation stay stock tfjs, so saved models load anywhere.
 */
type TBnLayer = tf.layers.Layer & {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
};

let installed = false;

const CHANNEL_SUM = "ConcordChannelSum";

/** Per-channel sums of a [M, C] tensor in one pass over WASM memory (no transpose, no copy). */
function channelSumKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const channels = x.shape[x.shape.length - 1] as number;
  const out = backend.makeOutput([channels], "float32");
  // Views are taken after makeOutput: an allocation may grow (and detach) the WASM heap.
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const acc = new Float64Array(channels);
  for (let i = 0; i < src.length; i += channels) {
    for (let c = 0; c < channels; c++) acc[c] = (acc[c] as number) + (src[i + c] as number);
  }
  dst.set(acc);
  return out;
}

function channelSums(x2d: tf.Tensor2D): tf.Tensor1D {
  if (tf.getBackend() === "wasm") return tf.engine().runKernel(CHANNEL_SUM, { x: x2d }, {}) as tf.Tensor1D;
  return tf.sum(x2d, 0);
}

type TForward = (
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/**
 * Forward and closed-form backward as two native kernels; `keepStats` receives the batch mean and variance.
 * With `relu`, the ReLU after the layer is fused in: the output is clamped and the gradient masked by it.
 */
function nativeForward(epsilon: number, relu: boolean, keepStats: (s: tf.Tensor[]) => void): TForward {
  return (x, gamma, beta, save) => {
    const [y, mean, variance, inv] = tf
      .engine()
      .runKernel("ConcordBatchNorm", { x, gamma, beta }, { epsilon, relu }) as tf.Tensor[];
    keepStats([tf.keep(mean as tf.Tensor), tf.keep(variance as tf.Tensor)]);
    save([x, mean as tf.Tensor, inv as tf.Tensor, gamma, ...(relu ? [y as tf.Tensor] : [])]);
    return {
      value: y as tf.Tensor,
      gradFunc: (dy, saved) => {
        const [sx, sMean, sInv, sGamma, sy] = saved as tf.Tensor[];
        const inputs: tf.NamedTensorMap = {
          dy,
          x: sx as tf.Tensor,
          mean: sMean as tf.Tensor,
          inv: sInv as tf.Tensor,
          gamma: sGamma as tf.Tensor,
        };
        if (sy) inputs.y = sy;
        return tf.engine().runKernel("ConcordBatchNormGrad", inputs) as tf.Tensor[];
      },
    };
  };
}

// BN + ReLU fusion. Inside a model's graph (depth > 0), a batch norm layer whose only consumer is an
// Activation("relu") layer applies the ReLU itself; the Activation layer then passes the (already
// non-negative) tensor through. ReLU is idempotent, so a missed pass-through only costs time. Outside a
// graph (a layer called on its own) nothing is fused.
let graphDepth = 0;
const reluApplied = new WeakSet<tf.Tensor>();
const fusible = new WeakMap<tf.layers.Layer, boolean>();
type TGraphLayer = tf.layers.Layer & {
  outboundNodes: { outboundLayer: tf.layers.Layer }[];
  inboundNodes: unknown[];
  activation?: { getClassName(): string };
};

function isReluActivation(layer: tf.layers.Layer): boolean {
  const a = (layer as TGraphLayer).activation;
  return layer.getClassName() === "Activation" && a?.getClassName() === "relu";
}

function followedByRelu(layer: tf.layers.Layer): boolean {
  let known = fusible.get(layer);
  if (known === undefined) {
    const out = (layer as TGraphLayer).outboundNodes;
    const next = out.length === 1 ? out[0]?.outboundLayer : undefined;
    known = next !== undefined && isReluActivation(next) && (next as TGraphLayer).inboundNodes.length === 1;
    fusible.set(layer, known);
  }
  return known;
}

function trainingBatchNorm(layer: TBnLayer, input: tf.Tensor): tf.Tensor {
  const channels = input.shape[input.rank - 1] as number;
  const m = input.size / channels;
  const gammaIn = layer.gamma ? layer.gamma.read() : tf.ones([channels]);
  const betaIn = layer.beta ? layer.beta.read() : tf.zeros([channels]);
  let stats: tf.Tensor[] = [];
  const composed: TForward = (x, gamma, beta, save) => {
    const x2 = tf.reshape(x, [m, channels]) as tf.Tensor2D;
    const mean = tf.div(channelSums(x2), m);
    const xc = tf.sub(x2, mean) as tf.Tensor2D;
    const variance = tf.div(channelSums(tf.square(xc) as tf.Tensor2D), m);
    const inv = tf.rsqrt(tf.add(variance, layer.epsilon));
    const xhat = tf.mul(xc, inv) as tf.Tensor2D;
    const y = tf.reshape(tf.add(tf.mul(xhat, gamma), beta), x.shape);
    stats = [tf.keep(mean), tf.keep(variance)];
    save([xhat, inv, gamma]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sInv, sGamma] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const dy2 = tf.reshape(dy, [m, channels]) as tf.Tensor2D;
        const dBeta = channelSums(dy2);
        const dGamma = channelSums(tf.mul(dy2, sx) as tf.Tensor2D);
        const centred = tf.sub(tf.sub(dy2, tf.div(dBeta, m)), tf.mul(sx, tf.div(dGamma, m)));
        const dx = tf.reshape(tf.mul(centred, tf.mul(sGamma, sInv)), dy.shape);
        return [dx, dGamma, dBeta];
      },
    };
  };
  const native = tf.getBackend() === "wasm" && tf.getKernel("ConcordBatchNorm", "wasm") !== undefined;
  const relu = native && graphDepth > 0 && followedByRelu(layer);
  const forward = native
    ? nativeForward(layer.epsilon, relu, (s) => {
        stats = s;
      })
    : composed;
  const run = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = run(input, gammaIn, betaIn);
  if (relu) reluApplied.add(out);
  const [mean, variance] = stats as [tf.Tensor, tf.Tensor];
  // Same moving-average update as tfjs-layers (biased batch variance, as tfjs does).
  tf.tidy(() => {
    const decay = 1 - layer.momentum;
    const mm = layer.movingMean.read();
    layer.movingMean.write(tf.sub(mm, tf.mul(tf.sub(mm, mean), decay)));
    const mv = layer.movingVariance.read();
    layer.movingVariance.write(tf.sub(mv, tf.mul(tf.sub(mv, variance), decay)));
  });
  tf.dispose(stats);
  return out;
}

/**
 * Routes BatchNormalization (training, last axis) through the closed-form gradient and, inside a model on the
 * native kernels, fuses the ReLU layer after it (see graphDepth). Idempotent.
 */
export function installFastBatchNorm(): void {
  if (installed) return;
  if (!tf.getKernel(CHANNEL_SUM, "wasm")) {
    tf.registerKernel({ kernelName: CHANNEL_SUM, backendName: "wasm", kernelFunc: channelSumKernel });
  }
  routeLayerCall<TBnLayer>(tf.layers.batchNormalization({}), (layer, input, kwargs) =>
    kwargs.training === true && (layer.axis === -1 || layer.axis === input.rank - 1)
      ? tf.tidy(() => trainingBatchNorm(layer, input))
      : null,
  );
  const model = tf.LayersModel.prototype as unknown as { call: (...args: unknown[]) => unknown };
  const modelCall = model.call;
  model.call = function graphCall(this: unknown, ...args: unknown[]) {
    graphDepth++;
    try {
      return modelCall.apply(this, args);
    } finally {
      graphDepth--;
    }
  };
  routeLayerCall(tf.layers.activation({ activation: "relu" }), (layer, input) =>
    reluApplied.has(input) && isReluActivation(layer) ? input : null,
  );
  installed = true;
}
