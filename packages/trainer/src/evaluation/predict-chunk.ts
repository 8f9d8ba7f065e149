import * as tf from "@tensorflow/tfjs";
import { makeBatch, PIXELS, SIZE } from "../data/augment";

/**
 * Class probabilities (n x C, inference mode) of consecutive raw 48x48 images, standardised as in
 * training. Synchronous: the main thread and the inference threads of a GradientPool run the same code.
 */
export function predictChunk(model: tf.LayersModel, pixels: Uint8Array, mirror = false): Float32Array {
  const n = pixels.length / PIXELS;
  const x = makeBatch(
    pixels,
    Array.from({ length: n }, (_, i) => i),
    null,
    undefined,
    mirror,
  );
  const probs = tf.tidy(() => model.predict(tf.tensor4d(x, [n, SIZE, SIZE, 1])) as tf.Tensor);
  const values = probs.dataSync() as Float32Array;
  probs.dispose();
  return values;
}
