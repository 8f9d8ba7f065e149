// The admin run form's fields -> the POST /api/runs body (pure, unit-tested): numbers from the number inputs
// (empty = the run config's default), checkboxes to booleans, "" snapshot = auto. ZRunConfig validates it.

/** The form's number inputs. */
export const RUN_FORM_NUMERIC = [
  "eps",
  "epochs",
  "patience",
  "learningRate",
  "batchSize",
  "seed",
  "maxTrainImages",
  "predictFolds",
  "warmupEpochs",
  "ema",
  "mixup",
  "cutmix",
  "logitAdjust",
  "rebalanceFrom",
  "classBalanceBeta",
] as const;
/** The form's checkboxes (unchecked ones are absent from the form data). */
export const RUN_FORM_BOOLEAN = ["ttaEval", "classWeighting"] as const;

export function runFormBody(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const body: Record<string, unknown> = Object.fromEntries(entries);
  for (const k of RUN_FORM_NUMERIC)
    if (typeof body[k] === "string") body[k] = body[k] === "" ? undefined : Number(body[k]);
  for (const k of RUN_FORM_BOOLEAN) body[k] = body[k] !== undefined;
  if (body.snapshotId === "") body.snapshotId = null;
  return body;
}
