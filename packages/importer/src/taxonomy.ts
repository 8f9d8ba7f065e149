import { FERPLUS_LABELS, type TFerplusLabel } from "@concord/crowd";

// The taxonomy (label keys and their order) is owned by @concord/crowd; the importer maps file formats onto it.
export { FERPLUS_LABELS, type TFerplusLabel };

// Kaggle FER2013 emotion codes -> taxonomy keys (FER2013 has no contempt/unknown/not-a-face).
export const FER2013_EMOTIONS: readonly TFerplusLabel[] = [
  "anger",
  "disgust",
  "fear",
  "happiness",
  "sadness",
  "surprise",
  "neutral",
];

// Spellings seen in crowd files: the FER+ CSV header names ("NF"), the plain English adjectives, and indices.
const ALIASES: Record<string, string> = {
  nf: "not-a-face",
  notaface: "not-a-face",
  "not a face": "not-a-face",
  not_a_face: "not-a-face",
  happy: "happiness",
  sad: "sadness",
  angry: "anger",
  surprised: "surprise",
  disgusted: "disgust",
  fearful: "fear",
  scared: "fear",
  contemptuous: "contempt",
};

// Maps a label as written in a CSV (key, alias, or 0-based index into the taxonomy) to the taxonomy key.
export function resolveLabel(raw: string, taxonomy: readonly string[]): string | undefined {
  const s = raw.trim().toLowerCase();
  if (s === "") return undefined;
  if (/^\d+$/.test(s)) return taxonomy[Number(s)];
  if (taxonomy.includes(s)) return s;
  const alias = ALIASES[s];
  return alias && taxonomy.includes(alias) ? alias : undefined;
}
