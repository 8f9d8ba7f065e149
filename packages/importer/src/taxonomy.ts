// The FER+ taxonomy, in the order the contracts fix (packages/crowd exports the same list as FERPLUS_LABELS).
// Kept here too so the importer does not depend on the crowd package's build order; a test asserts they agree
// once crowd exports it.
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
