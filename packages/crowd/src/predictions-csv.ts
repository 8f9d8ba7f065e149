// The predictions export format, one contract for its writers (concord-eval, the web export) and readers
// (concord-crowd issues, the replay benchmark): a CSV with a header
//   image,split,p_<class>,...        (extra columns such as model or out_of_sample are allowed and ignored)
// one row per image: the image's id (FER+: the face file name), its split and the model's class distribution.
// Pure string functions; files are read and written by the callers.
import { csvField, InputError, parseCsv } from "./cli/csv";

export type TPredictions = {
  /** Image ids in file order. */
  images: string[];
  /** Split per image ("" when the file has no split column). */
  splits: string[];
  /** Class names from the p_<class> columns, in header order. */
  classes: string[];
  /** images.length x classes.length, rows normalised to sum 1. */
  probs: Float64Array;
};

/** Six significant digits: small probabilities keep their order of magnitude (1e-9 is not written as 0). */
const formatProbability = (x: number) => String(Number(x.toPrecision(6)));

/** Writes predictions in the export format (rows in the given order). */
export function formatPredictionsCsv(p: TPredictions): string {
  const K = p.classes.length;
  if (p.probs.length !== p.images.length * K)
    throw new RangeError(`probs has ${p.probs.length} values for ${p.images.length} images x ${K} classes`);
  if (p.splits.length !== p.images.length)
    throw new RangeError(`${p.splits.length} splits for ${p.images.length} images`);
  const lines = [["image", "split", ...p.classes.map((c) => `p_${c}`)].map(csvField).join(",")];
  p.images.forEach((image, i) => {
    const cells = [csvField(image), csvField(p.splits[i]!)];
    for (let k = 0; k < K; k++) cells.push(formatProbability(p.probs[i * K + k]!));
    lines.push(cells.join(","));
  });
  return `${lines.join("\n")}\n`;
}

/**
 * Reads the export format. The id column is `image` (or `task`, the crowd CLI's and the peers' name); `split`
 * is optional. Errors name the file and line: a missing id or p_ column, a repeated image, a value that is not
 * a probability, a row that does not sum to 1 (within 1e-3; rows are then renormalised).
 */
export function parsePredictionsCsv(text: string, file: string): TPredictions {
  const header = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  const names = header.split(",").map((h) => h.trim().replace(/^"|"$/g, "").toLowerCase());
  const id = names.includes("image") ? "image" : names.includes("task") ? "task" : null;
  if (!id) throw new InputError(`${file}:1: header must name an image (or task) column`);
  const pCols = names.filter((n) => n.startsWith("p_") && n.length > 2);
  if (pCols.length < 2) throw new InputError(`${file}:1: header must name >= 2 p_<class> columns`);
  const hasSplit = names.includes("split");
  const rows = parseCsv(text, file, [id, ...(hasSplit ? ["split"] : []), ...pCols]);
  if (rows.length === 0) throw new InputError(`${file}: no predictions (only a header)`);
  const K = pCols.length;
  const probs = new Float64Array(rows.length * K);
  const images: string[] = [];
  const splits: string[] = [];
  const seen = new Map<string, number>();
  const off = hasSplit ? 2 : 1;
  rows.forEach((r, i) => {
    const image = r.cells[0]!;
    if (image === "") throw new InputError(`${file}:${r.line}: empty ${id}`);
    const before = seen.get(image);
    if (before !== undefined)
      throw new InputError(`${file}:${r.line}: ${id} "${image}" repeats line ${before}`);
    seen.set(image, r.line);
    images.push(image);
    splits.push(hasSplit ? r.cells[1]! : "");
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const cell = r.cells[off + k]!;
      const x = Number(cell);
      if (cell === "" || !Number.isFinite(x) || x < 0 || x > 1)
        throw new InputError(`${file}:${r.line}: ${pCols[k]} = "${cell}" is not a probability`);
      probs[i * K + k] = x;
      sum += x;
    }
    if (Math.abs(sum - 1) > 1e-3)
      throw new InputError(`${file}:${r.line}: probabilities sum to ${sum.toFixed(6)}, not 1`);
    for (let k = 0; k < K; k++) probs[i * K + k]! /= sum;
  });
  return { images, splits, classes: pCols.map((c) => c.slice(2)), probs };
}

/**
 * Finds a face's row in parsed predictions by its file name (`fer0000001.png`, what concord-eval writes) or by
 * that name without `.png` (the externalId the web app's predictions export writes). undefined when absent.
 */
export function predictionRowFinder(p: Pick<TPredictions, "images">): (file: string) => number | undefined {
  const row = new Map(p.images.map((image, r) => [image, r]));
  return (file) => row.get(file) ?? row.get(file.replace(/\.png$/i, ""));
}
