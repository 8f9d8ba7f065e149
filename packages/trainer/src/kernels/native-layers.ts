import * as tf from "@tensorflow/tfjs";

/**
 * Routes two layer types through the native kernels (native-conv-kernels.ts, native-train-kernels.ts) when
 * they are registered on the wasm backend; anywhere else the stock tfjs path runs.
 *
 * - Conv2D layers: tfjs-layers calls tf.fused.conv2d, a customGrad whose backward computes the input
 *   gradient even where nothing needs it (the first layer's, from the image: 7% of a `fast` step) and the
 *   ReLU and bias gradients as separate WASM ops (Step, Multiply, a Sum that transposes first). Here the
 *   layer runs one registered op, ConcordConv2D (forward: the native fused conv), whose gradient is lazy per
 *   input, as registered gradients are: input, filter and bias gradients are each one native call, and a
 *   fused ReLU is applied inside them as a mask on dy (its saved output) instead of a full-size pass.
 * - Relu (the models' Activation layers): tfjs' gradient is dy * cast(step(x)), three full-size ops; on the
 *   native kernels it is one pass (ConcordReluGrad).
 * - Dropout layers in training: tfjs draws the mask in JavaScript (randomUniform, 4% of a `fast` step) and
 *   applies it in four WASM ops; ConcordDropout does both in one native pass, its seeds drawn from
 *   Math.random, which the trainer seeds per shard (so runs and resumes stay deterministic). Same
 *   distribution (keep with probability 1 - rate, scaled by 1 / (1 - rate)), other draws.
 *
 * Weights, configs and saved models are the stock layers'; only how a layer computes changes.
 */
type TConvLayer = tf.layers.Layer & {
  rank: number;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
};
type TConvOpAttrs = {
  strides: number[];
  pad: "same" | "valid";
  dataFormat: "NHWC";
  dilations: number[];
  activation: "linear" | "relu";
};

const CONV = "ConcordConv2D";
const FUSED: Record<string, "linear" | "relu"> = { linear: "linear", relu: "relu" };
let installed = false;

function nativeHas(kernel: string): boolean {
  return tf.getBackend() === "wasm" && tf.getKernel(kernel, "wasm") !== undefined;
}

function convGradient(): tf.GradConfig {
  return {
    kernelName: CONV,
    inputsToSave: ["x", "filter"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as TConvOpAttrs;
      const mask: tf.NamedTensorMap = a.activation === "relu" ? { mask: y } : {};
      const geometry = { strides: a.strides, pad: a.pad, dataFormat: "NHWC", dilations: a.dilations };
      const run = (name: string, inputs: tf.NamedTensorMap, extra: tf.NamedAttrMap = {}) =>
        tf.engine().runKernel(name, { ...inputs, ...mask }, { ...geometry, ...extra }) as tf.Tensor;
      return {
        x: () => run("ConcordConvGradInput", { dy: dy as tf.Tensor, filter }, { inputShape: x.shape }),
        filter: () => run("ConcordConvGradFilter", { x, dy: dy as tf.Tensor }, { filterShape: filter.shape }),
        bias: () => run("ConcordChannelSum", { x: dy as tf.Tensor }),
      };
    },
  };
}

function reluGradient(): tf.GradConfig {
  return {
    kernelName: "Relu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      const g = dy as tf.Tensor;
      return {
        x: () =>
          nativeHas("ConcordReluGrad")
            ? (tf.engine().runKernel("ConcordReluGrad", { dy: g, x }) as tf.Tensor)
            : tf.mul(g, tf.cast(tf.step(x), "float32")),
      };
    },
  };
}

type TDropoutLayer = tf.layers.Layer & { rate: number; noiseShape?: unknown; seed?: unknown };

/** Inverted dropout through ConcordDropout: y = x * mask, dy * mask back. */
function nativeDropout(x: tf.Tensor, rate: number): tf.Tensor {
  const draw = () => Math.floor(Math.random() * 0x100000000) >>> 0;
  const attrs = { rate, seed0: draw(), seed1: draw() };
  const forward = (input: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mask] = tf.engine().runKernel("ConcordDropout", { x: input }, attrs) as tf.Tensor[];
    save([mask as tf.Tensor]);
    return {
      value: y as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0] as tf.Tensor),
    };
  };
  return tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

type TLayerCall = (
  this: tf.layers.Layer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs?: tf.serialization.ConfigDict,
) => tf.Tensor | tf.Tensor[];

/**
 * Routes the `call` of a layer class (its own or inherited; `sample` is any instance): `route` gets the layer,
 * its single float32 input and kwargs, and returns the output, or null to let the stock call run.
 */
export function routeLayerCall<L extends tf.layers.Layer>(
  sample: tf.layers.Layer,
  route: (layer: L, x: tf.Tensor, kwargs: tf.serialization.ConfigDict) => tf.Tensor | null,
): void {
  const proto = Object.getPrototypeOf(sample) as { call: TLayerCall };
  const original = proto.call;
  proto.call = function routed(this: tf.layers.Layer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const out = x && x.dtype === "float32" ? route(this as L, x, kwargs ?? {}) : null;
    return out ?? original.call(this, inputs, kwargs);
  };
}

/**
 * Installs the Conv2D and Dropout layer routes and the Relu gradient (idempotent); each checks for its kernel
 * per call.
 */
export function installNativeLayers(): void {
  if (installed) return;
  routeLayerCall<TDropoutLayer>(tf.layers.dropout({ rate: 0.5 }), (layer, x, kwargs) =>
    kwargs.training === true &&
    layer.rate > 0 &&
    layer.rate < 1 &&
    layer.noiseShape == null &&
    layer.seed == null &&
    nativeHas("ConcordDropout")
      ? tf.tidy(() => nativeDropout(x, layer.rate))
      : null,
  );
  tf.registerGradient(convGradient());
  tf.registerGradient(reluGradient());
  routeLayerCall<TConvLayer>(tf.layers.conv2d({ filters: 1, kernelSize: 1 }), (layer, x) => {
    const activation = FUSED[layer.activation.getClassName()];
    if (
      x.rank !== 4 ||
      layer.rank !== 2 ||
      layer.dataFormat !== "channelsLast" ||
      (layer.padding !== "same" && layer.padding !== "valid") ||
      activation === undefined ||
      !nativeHas(CONV)
    )
      return null;
    const op: TConvOpAttrs = {
      strides: layer.strides,
      pad: layer.padding,
      dataFormat: "NHWC",
      dilations: layer.dilationRate,
      activation,
    };
    return tf.tidy(() => {
      const filter = layer.kernel.read();
      const inputs: tf.NamedTensorMap = layer.bias ? { x, filter, bias: layer.bias.read() } : { x, filter };
      return tf.engine().runKernel(CONV, inputs, op as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  });
  installed = true;
}
