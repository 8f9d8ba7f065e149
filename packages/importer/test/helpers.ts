import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const SHARED = process.env.CONCORD_SHARED ?? resolve(repoRoot, "../shared");
export const FERPLUS = join(SHARED, "datasets/ferplus");
export const HAS_FERPLUS = existsSync(join(FERPLUS, "FER2013Train/label.csv"));
if (!HAS_FERPLUS) console.warn(`[importer tests] ${FERPLUS} not found: FER+ based tests are skipped`);

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `concord-${name}-`));

export type TFerRow = {
  file: string;
  split: "FER2013Train" | "FER2013Valid";
  line: string;
  counts: number[];
};

/** The first `n` label.csv rows of a FER+ split, with their counts. */
export function ferplusRows(split: TFerRow["split"], n: number): TFerRow[] {
  const lines = readFileSync(join(FERPLUS, split, "label.csv"), "utf8")
    .split("\n")
    .filter(Boolean)
    .slice(0, n);
  return lines.map((line) => {
    const file = line.split(",")[0]!;
    const counts = line.split('"')[2]!.slice(1).split(",").map(Number);
    return { file, split, line: line.replace(/\r$/, ""), counts };
  });
}

export const ferplusPng = (r: { split: string; file: string }) =>
  readFileSync(join(FERPLUS, r.split, r.file));
