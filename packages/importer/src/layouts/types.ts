import type { TDuplicatePolicy, TDuplicateReport } from "@concord/crowd";

export type TSplit = "TRAIN" | "VALID" | "TEST";
export type TLayout = "ferplus" | "fer2013" | "generic";

export type TRejection = { file: string; line?: number; reason: string };

// One face with everything that must land with it in the same transaction ("never half a row").
export type TRow = {
  externalId: string;
  split: TSplit;
  pixels: Uint8Array;
  conversion: string | null;
  tallies: { source: string; counts: number[] }[];
  votes: { worker: string; label: string }[];
  gold?: string;
  origin: { file: string; line?: number };
  // Filled by the importer as rows arrive, so hashing overlaps with the previous batch's INSERTs.
  sha256?: string;
  phash?: string;
};

export type TEvent =
  | { kind: "row"; row: TRow }
  | { kind: "reject"; reject: TRejection }
  // A face the external crowd left without votes (FER+ dropped some FER2013 rows).
  | { kind: "unvoted" }
  // Already in the dataset: not decoded again.
  | { kind: "known" };

// How votes.csv rows repeating a worker/task pair are treated (@concord/crowd's policies). keep-all is not
// one: the database holds one vote per annotator per image.
export type TImportDuplicatePolicy = Exclude<TDuplicatePolicy, "keep-all">;

export type TReadContext = {
  taxonomy: readonly string[];
  isKnown: (externalId: string) => boolean;
  // Generic layout only: annotator ids seen in votes.csv, so the importer can create their accounts.
  workers?: Set<string>;
  // Generic layout only: the policy for repeated votes, and what the reader found (set when votes.csv exists).
  repeats?: { policy: TImportDuplicatePolicy; report: TDuplicateReport | null };
};

/** Parses a non-negative integer vote count; distinguishes negative from malformed for the report. */
export function parseCount(raw: string): number | "negative" | "malformed" {
  const s = raw.trim();
  if (/^-\d+$/.test(s)) return Number(s) === 0 ? 0 : "negative";
  if (!/^\d+$/.test(s)) return "malformed";
  return Number(s);
}

/** Parses the 10 FER+ counts (neutral .. NF), which are already in taxonomy order. */
export function parseFerplusCounts(fields: string[]): number[] | string {
  if (fields.length !== 10) return `expected 10 vote counts, got ${fields.length}`;
  const counts: number[] = [];
  for (const [k, f] of fields.entries()) {
    const c = parseCount(f);
    if (c === "negative") return `negative count ${f.trim()} in column ${k + 1} of the counts`;
    if (c === "malformed") return `malformed count "${f}" in column ${k + 1} of the counts`;
    counts.push(c);
  }
  return counts;
}
