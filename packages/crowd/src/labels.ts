/** FER+ taxonomy in the order of microsoft/FERPlus label.csv columns; stored as label keys everywhere. */
export const FERPLUS_LABELS = [
  "neutral",
  "happiness",
  "surprise",
  "sadness",
  "anger",
  "disgust",
  "fear",
  "contempt",
  "unknown",
  "not-a-face",
] as const;

export type TFerplusLabel = (typeof FERPLUS_LABELS)[number];

/** The first 8 FER+ classes are emotions; unknown and not-a-face are "reject" classes. */
export type TFerplusEmotion = Exclude<TFerplusLabel, "unknown" | "not-a-face">;
export const FERPLUS_EMOTIONS = FERPLUS_LABELS.slice(0, 8) as readonly TFerplusEmotion[];
export const FERPLUS_UNKNOWN = 8;
export const FERPLUS_NOT_A_FACE = 9;

/** Labels a model is never trained to predict: an item whose consensus is one of them is left out. */
export const REJECT_LABELS: readonly string[] = ["unknown", "not-a-face"];

/** The labels of a taxonomy that a model trains on and outputs, in taxonomy order (FER+: the 8 emotions). */
export function trainableLabels(taxonomy: readonly string[]): string[] {
  return taxonomy.filter((l) => !REJECT_LABELS.includes(l));
}
