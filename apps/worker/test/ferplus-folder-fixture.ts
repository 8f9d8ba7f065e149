// A small FER+ folder on disk (FER2013Train/Valid/Test: label.csv + 48x48 gray PNGs), written to be read by both
// roads to the trainer: the importer (then the worker from Postgres) and concord-train's folder loader. The vote
// counts cover what the FER+ rules decide on: clear majorities, ties between emotions (first maximum wins), ties
// with unknown, unknown- and not-a-face-topped faces, single votes (outliers, dropped), faces without any vote
// (the importer skips them), totals other than 10. label.csv rows are shuffled, not in file-name order, and the
// names mix cases and punctuation ("Fer", "fer-", "fer_"), whose order differs between a locale-aware collation
// and a plain code-unit compare.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "@concord/crowd";
import { encodePng48 } from "@concord/importer";

type TFace = { file: string; counts: number[]; pixels: Uint8Array };

// Count vectors over neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, not-a-face.
const PATTERNS: number[][] = [
  [8, 1, 0, 0, 0, 0, 0, 0, 1, 0], // clear majority
  [0, 4, 4, 1, 0, 0, 0, 0, 1, 0], // tie between two emotions
  [3, 0, 3, 0, 3, 0, 0, 0, 1, 0], // three-way tie
  [0, 0, 0, 2, 0, 0, 0, 0, 8, 0], // unknown on top: dropped
  [1, 0, 0, 0, 0, 0, 0, 0, 0, 9], // not a face: dropped
  [4, 0, 0, 0, 0, 0, 0, 0, 4, 2], // tie with unknown
  [0, 0, 0, 0, 4, 4, 0, 0, 0, 0], // a tie without any other vote
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], // single votes only: all outliers, dropped
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // no vote: the importer skips it, the FER+ rules drop it
  [2, 3, 0, 0, 0, 2, 2, 0, 0, 3], // no majority, 12 votes
  [0, 0, 0, 0, 0, 0, 2, 1, 0, 0], // 3 votes
  [5, 0, 0, 0, 0, 0, 0, 5, 0, 0], // a tie: neutral (first) against contempt
  [2, 2, 2, 2, 0, 0, 0, 0, 0, 2], // tie with not-a-face, emotions first
];

/** A face of seeded noise: every face hashes apart from every other (no accidental twins). */
function noiseFace(rand: () => number): Uint8Array {
  return Uint8Array.from({ length: 48 * 48 }, () => Math.floor(rand() * 256));
}

function votes(rand: () => number, k: number): number[] {
  if (k < PATTERNS.length) return PATTERNS[k]!;
  // Otherwise 10 votes, mostly on a few classes of this face, sometimes unknown / not-a-face.
  const counts = new Array<number>(10).fill(0);
  const favourite = Math.floor(rand() * 10);
  const other = Math.floor(rand() * 10);
  for (let v = 0; v < 10; v++) {
    const u = rand();
    counts[u < 0.5 ? favourite : u < 0.8 ? other : Math.floor(rand() * 10)]! += 1;
  }
  return counts;
}

function name(k: number, prefix: string): string {
  // Mostly FER+'s own names, with a few that sort differently by collation than by code units.
  const odd = ["Fer", "fer-", "fer_", "FER.", "fer"];
  return `${k % 7 === 3 ? odd[k % odd.length] : prefix}${String(k).padStart(7, "0")}.png`;
}

function writeSplit(root: string, dir: string, faces: TFace[], rand: () => number) {
  mkdirSync(join(root, dir));
  for (const f of faces) writeFileSync(join(root, dir, f.file), encodePng48(f.pixels));
  // Shuffled rows: the file-name order is not the label.csv order.
  const rows = faces.map((f) => `${f.file},"(0, 0, 48, 48)",${f.counts.join(",")}`);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  writeFileSync(join(root, dir, "label.csv"), `${rows.join("\n")}\n`);
}

/**
 * Writes the folder and returns its path. Valid and Test each end with exact copies of three Train faces, with a
 * clear majority of their own: of Train face 0 (a clear majority), 1 (a tie) and 8 (no vote). The importer does
 * not import the face without a vote, so its copies are nobody's twin on either road.
 */
export function writeFerplusFolder(seed = 14, sizes = { train: 60, valid: 24, test: 16 }): string {
  const rand = createRng(seed);
  const root = mkdtempSync(join(tmpdir(), "concord-parity-ferplus-"));
  let n = 0;
  const make = (count: number): TFace[] =>
    Array.from({ length: count }, (_, k) => ({
      file: name(n++, "fer"),
      counts: votes(rand, k),
      pixels: noiseFace(rand),
    }));
  const train = make(sizes.train);
  const withCopies = (faces: TFace[]) => {
    [0, 1, 8].forEach((src, k) => {
      const face = faces[faces.length - 1 - k]!;
      face.pixels = Uint8Array.from(train[src]!.pixels);
      face.counts = PATTERNS[0]!;
    });
    return faces;
  };
  writeSplit(root, "FER2013Train", train, rand);
  writeSplit(root, "FER2013Valid", withCopies(make(sizes.valid)), rand);
  writeSplit(root, "FER2013Test", withCopies(make(sizes.test)), rand);
  return root;
}
