import { FERPLUS_LABELS } from "../taxonomy";
import type { TRng } from "./rng";

// Expressions people mix up (FER+ paper, Table 2 confusions): a noisy annotator errs towards these first.
const CONFUSABLE: Record<string, string[]> = {
  neutral: ["sadness", "contempt"],
  happiness: ["contempt", "neutral"],
  surprise: ["fear", "happiness"],
  sadness: ["neutral", "fear"],
  anger: ["disgust", "sadness"],
  disgust: ["anger", "contempt"],
  fear: ["surprise", "sadness"],
  contempt: ["neutral", "disgust"],
  "not-a-face": ["unknown", "neutral"],
  unknown: ["neutral", "not-a-face"],
};

export type TSimAnnotator = {
  id: string;
  kind: "reliable" | "noisy" | "spammer";
  // confusion[true][given], rows sum to 1, taxonomy order.
  confusion: number[][];
};

/** A row-stochastic confusion matrix with `accuracy` on the diagonal, 75% of the errors on confusable labels. */
export function confusionMatrix(accuracy: number): number[][] {
  const K = FERPLUS_LABELS.length;
  return FERPLUS_LABELS.map((label, t) => {
    const row = new Array<number>(K).fill(0);
    const near = CONFUSABLE[label]!.map((l) => FERPLUS_LABELS.indexOf(l as (typeof FERPLUS_LABELS)[number]));
    const err = 1 - accuracy;
    for (let g = 0; g < K; g++) if (g !== t) row[g] = (0.25 * err) / (K - 1);
    for (const g of near) row[g]! += (0.75 * err) / near.length;
    row[t] = accuracy;
    return row;
  });
}

/** 5 reliable (85-92%), 5 noisy (55-68%) annotators and one spammer who answers uniformly at random. */
export function simulatedAnnotators(rng: TRng): TSimAnnotator[] {
  const K = FERPLUS_LABELS.length;
  const out: TSimAnnotator[] = [];
  for (let k = 0; k < 5; k++)
    out.push({
      id: `reliable${k + 1}`,
      kind: "reliable",
      confusion: confusionMatrix(0.85 + rng.next() * 0.07),
    });
  for (let k = 0; k < 5; k++)
    out.push({ id: `noisy${k + 1}`, kind: "noisy", confusion: confusionMatrix(0.55 + rng.next() * 0.13) });
  out.push({
    id: "spammer1",
    kind: "spammer",
    confusion: FERPLUS_LABELS.map(() => new Array<number>(K).fill(1 / K)),
  });
  return out;
}

/** Draws the label an annotator gives to a face whose true label index is `truth`. */
export function simulateVote(a: TSimAnnotator, truth: number, rng: TRng): string {
  const row = a.confusion[truth]!;
  let r = rng.next();
  for (let g = 0; g < row.length; g++) {
    r -= row[g]!;
    if (r < 0) return FERPLUS_LABELS[g]!;
  }
  return FERPLUS_LABELS[row.length - 1]!;
}
