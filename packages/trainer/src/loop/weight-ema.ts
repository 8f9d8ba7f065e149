/** v = d v + e w in place, each value in float64, stored as float32 (the addon's emaUpdate gives the same bits). */
export type TEmaKernel = (v: Float32Array, w: Float32Array, d: number, e: number) => void;

export const jsEmaKernel: TEmaKernel = (v, w, d, e) => {
  for (let j = 0; j < v.length; j++) v[j] = d * (v[j] as number) + e * (w[j] as number);
};

/**
 * Exponential moving average of every model weight, batch-norm moving statistics included (they are averaged
 * like the rest, not recomputed): after optimizer step t (1-based),
 *   ema = d_t * ema + (1 - d_t) * w,  d_t = min(decay, (1 + t) / (10 + t)),
 * starting from the initial weights. The ramp on d_t (tf.train.ExponentialMovingAverage's num_updates rule)
 * keeps early averages from being dominated by the random initialisation on short runs. Each value is
 * computed in float64 and stored as float32, so the state (values and t) checkpoints and resumes exactly.
 */
export class WeightEma {
  constructor(
    readonly decay: number,
    readonly values: Float32Array[],
    public updates = 0,
  ) {}

  static decayAt(decay: number, t: number): number {
    return Math.min(decay, (1 + t) / (10 + t));
  }

  /** weights: read once, synchronously (views on the WASM heap are fine). */
  update(weights: Float32Array[], kernel: TEmaKernel = jsEmaKernel): void {
    if (weights.length !== this.values.length || weights.some((w, i) => w.length !== this.values[i]?.length))
      throw new Error("EMA state does not match the model");
    this.updates++;
    const d = WeightEma.decayAt(this.decay, this.updates);
    const e = 1 - d;
    weights.forEach((w, i) => {
      const v = this.values[i] as Float32Array;
      kernel(v, w, d, e);
    });
  }
}
