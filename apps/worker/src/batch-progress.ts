// What train and predict jobs report per training batch, throttled: each report is a row update.
import type { TBatchProgress } from "@concord/trainer";

export type TBatchReport = {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSec: number;
};

/** A batch's progress (epoch = epochs completed) at most every `ms`, else null. */
export function batchReporter(ms = 500): (b: TBatchProgress) => TBatchReport | null {
  let last = 0;
  return (b) => {
    const now = Date.now();
    if (now - last < ms) return null;
    last = now;
    return {
      epoch: b.epoch - 1,
      batch: b.batch,
      batches: b.batches,
      loss: b.loss,
      imagesPerSec: b.imagesPerSecond,
    };
  };
}
