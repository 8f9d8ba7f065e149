import { RUN_MODELS, type TRunModel } from "@concord/jobs/run-config";
import * as tf from "@tensorflow/tfjs";

// The model list is the run config's (@concord/jobs): FACTORIES below must cover exactly that list.
export type TModelName = TRunModel;
export const MODEL_NAMES: readonly TModelName[] = RUN_MODELS;
export type TModelConfig = { name: TModelName; classes: number; inputSize?: number };

type TLayersApi = typeof tf.layers;
const L: TLayersApi = tf.layers;

/** Keras "same" 3x3 conv without bias (batch norm follows and has its own offset), BN, ReLU. */
function convBnRelu(x: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor {
  let y = L.conv2d({ filters, kernelSize: 3, padding: "same", useBias: false, name: `${name}_conv` }).apply(
    x,
  ) as tf.SymbolicTensor;
  y = L.batchNormalization({ name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
  return L.activation({ activation: "relu", name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
}

function poolDrop(x: tf.SymbolicTensor, rate: number, name: string): tf.SymbolicTensor {
  const y = L.maxPooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` }).apply(x) as tf.SymbolicTensor;
  return rate > 0 ? (L.dropout({ rate, name: `${name}_drop` }).apply(y) as tf.SymbolicTensor) : y;
}

function head(x: tf.SymbolicTensor, units: number, classes: number): tf.SymbolicTensor {
  let y = L.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  y = L.dense({ units, useBias: false, name: "fc" }).apply(y) as tf.SymbolicTensor;
  y = L.batchNormalization({ name: "fc_bn" }).apply(y) as tf.SymbolicTensor;
  y = L.activation({ activation: "relu", name: "fc_relu" }).apply(y) as tf.SymbolicTensor;
  y = L.dropout({ rate: 0.5, name: "fc_drop" }).apply(y) as tf.SymbolicTensor;
  return L.dense({ units: classes, activation: "softmax", name: "output" }).apply(y) as tf.SymbolicTensor;
}

/**
 * seed: the Keras-style FER CNN: three blocks of two 3x3 conv + BN + ReLU (32/64/128 channels), each
 * followed by 2x2 max-pool and dropout 0.25, then dense 256 + BN + ReLU + dropout 0.5 and softmax.
 * Choices the paper leaves open, fixed here: "same" padding, BN before ReLU, no conv bias (BN has one),
 * Glorot-uniform init (Keras default), 1.2M parameters.
 */
function seed(input: tf.SymbolicTensor, classes: number): tf.SymbolicTensor {
  let x = input;
  for (const [i, filters] of [32, 64, 128].entries()) {
    x = convBnRelu(x, filters, `b${i + 1}c1`);
    x = convBnRelu(x, filters, `b${i + 1}c2`);
    x = poolDrop(x, 0.25, `b${i + 1}`);
  }
  return head(x, 256, classes);
}

/**
 * vgg13: microsoft/FERPlus src/models.py VGG13 (conv 64x2, 128x2, 256x3, 256x3, each block max-pool + dropout
 * 0.25; dense 1024 + dropout 0.5 twice; linear output). Differences: 48x48 input (FER+ used 64x64 crops), a
 * softmax on the output (CNTK applied it inside the loss), conv biases kept as in the original (no BN).
 */
function vgg13(input: tf.SymbolicTensor, classes: number): tf.SymbolicTensor {
  let x = input;
  const blocks: [number, number][] = [
    [64, 2],
    [128, 2],
    [256, 3],
    [256, 3],
  ];
  for (const [b, [filters, convs]] of blocks.entries()) {
    for (let c = 0; c < convs; c++) {
      x = L.conv2d({
        filters,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        name: `conv${b + 1}-${c + 1}`,
      }).apply(x) as tf.SymbolicTensor;
    }
    x = poolDrop(x, 0.25, `block${b + 1}`);
  }
  x = L.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  for (const i of [5, 6]) {
    x = L.dense({ units: 1024, activation: "relu", name: `fc${i}` }).apply(x) as tf.SymbolicTensor;
    x = L.dropout({ rate: 0.5, name: `drop${i}` }).apply(x) as tf.SymbolicTensor;
  }
  return L.dense({ units: classes, activation: "softmax", name: "output" }).apply(x) as tf.SymbolicTensor;
}

/**
 * fast: seed with the costly second 48x48 conv removed (a third of seed's multiply-adds sit there) and a
 * 256-channel 6x6 conv added where it is cheap, so depth and receptive field are kept.
 * fast-lite (`convsAt24 = 1`): one conv at 24x24 too; the comparison point for `fast`.
 * fast-wide (`width = 1.5`): fast's blocks with 1.5x the channels (48/96/192/384; the head stays 256 units).
 * Every conv after the first is 3x3 stride 1 with >= 16 channels in and out, multiples of 4: the shapes the
 * native Winograd kernels take (concord_wino_fits in native/concord_winograd.c).
 */
function fastFamily(convsAt24: 1 | 2, width = 1) {
  const ch = (c: number) => Math.round(c * width);
  return (input: tf.SymbolicTensor, classes: number): tf.SymbolicTensor => {
    let x = convBnRelu(input, ch(32), "b1c1");
    x = poolDrop(x, 0, "b1");
    for (let c = 1; c <= convsAt24; c++) x = convBnRelu(x, ch(64), `b2c${c}`);
    x = poolDrop(x, 0.25, "b2");
    x = convBnRelu(x, ch(128), "b3c1");
    x = convBnRelu(x, ch(128), "b3c2");
    x = poolDrop(x, 0.25, "b3");
    x = convBnRelu(x, ch(256), "b4c1");
    x = poolDrop(x, 0.25, "b4");
    return head(x, 256, classes);
  };
}

const FACTORIES: Record<TModelName, (input: tf.SymbolicTensor, classes: number) => tf.SymbolicTensor> = {
  seed,
  vgg13,
  fast: fastFamily(2),
  "fast-lite": fastFamily(1),
  "fast-wide": fastFamily(2, 1.5),
};

/** Builds an uncompiled model (input [48,48,1] grayscale, standardised per image; softmax output). */
export function buildModel(config: TModelConfig): tf.LayersModel {
  const factory = FACTORIES[config.name];
  if (!factory) throw new Error(`Unknown model "${config.name}"; expected one of ${MODEL_NAMES.join(", ")}`);
  if (!Number.isInteger(config.classes) || config.classes < 2) {
    throw new Error(`classes must be an integer >= 2 (got ${config.classes})`);
  }
  const size = config.inputSize ?? 48;
  const input = tf.input({ shape: [size, size, 1], name: "image" });
  return tf.model({ inputs: input, outputs: factory(input, config.classes), name: config.name });
}
