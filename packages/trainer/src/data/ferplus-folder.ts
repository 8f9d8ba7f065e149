import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { externalIdOrder, ferplusExternalId } from "@concord/importer/image-order";
import { hashFaces } from "@concord/importer/twins";
import type { TImageSet, TTrainData } from "../types";
import { PIXELS } from "./augment";
import { EMOTION_CLASSES, ferplusTargets, majorityLabels, type TTargetOptions } from "./ferplus-targets";
import { decodePngInto } from "./png-decode";
import { DataError, subsetImages, subsetPixels } from "./train-data";
import { describeTwins, withTrainTwins } from "./train-twins";

export type TFerplusSplit = { name: string; files: string[]; counts: Float64Array; pixels: Uint8Array };

/** Parses a FER+ label.csv (no header): file, "(x, y, w, h)", 10 non-negative vote counts. */
export function parseLabelCsv(text: string, source: string): { files: string[]; counts: Float64Array } {
  const files: string[] = [];
  const counts: number[] = [];
  const bad: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^([^,]+),"\(\s*\d+,\s*\d+,\s*\d+,\s*\d+\)",(.*)$/.exec(line.trim());
    const values = m?.[2]?.split(",").map((v) => Number(v.trim()));
    if (!m || !values || values.length !== 10 || values.some((v) => !Number.isFinite(v) || v < 0)) {
      bad.push(`${source}:${i + 1}: ${line.length > 80 ? `${line.slice(0, 80)}...` : line}`);
      return;
    }
    files.push(m[1] as string);
    counts.push(...values);
  });
  if (bad.length > 0) {
    throw new DataError(
      `${bad.length} bad row(s) in ${source} (expected file,"(x, y, w, h)",10 counts):\n  ${bad.slice(0, 5).join("\n  ")}`,
    );
  }
  if (files.length === 0) throw new DataError(`${source} has no rows`);
  return { files, counts: Float64Array.from(counts) };
}

/**
 * The rows of a label.csv in externalId order (the file name without ".png", compared by code units): the order
 * the worker hands the same faces to the trainer in after the importer stored them (`@concord/importer/
 * image-order`). FER+'s own label.csv files are already in that order; another folder's rows are sorted.
 */
export function inExternalIdOrder(parsed: { files: string[]; counts: Float64Array }) {
  const order = externalIdOrder(parsed.files.map(ferplusExternalId));
  if (order.every((src, k) => src === k)) return parsed;
  const counts = new Float64Array(parsed.counts.length);
  order.forEach((src, k) => {
    counts.set(parsed.counts.subarray(src * 10, src * 10 + 10), k * 10);
  });
  return { files: order.map((src) => parsed.files[src]!), counts };
}

/**
 * Reads one FER+ split folder (label.csv + PNGs), faces in externalId order (inExternalIdOrder). `limit` keeps
 * the first rows of that order (quick runs, tests).
 */
export async function readFerplusSplit(dir: string, limit?: number): Promise<TFerplusSplit> {
  const csv = path.join(dir, "label.csv");
  if (!existsSync(csv)) throw new DataError(`no label.csv in ${dir}`);
  let { files, counts } = inExternalIdOrder(parseLabelCsv(await readFile(csv, "utf8"), csv));
  if (limit !== undefined && limit < files.length) {
    files = files.slice(0, limit);
    counts = counts.slice(0, limit * 10);
  }
  const pixels = new Uint8Array(files.length * PIXELS);
  for (const [i, f] of files.entries()) {
    const file = path.join(dir, f);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      throw new DataError(`${csv}: image ${f} is missing`);
    }
    try {
      decodePngInto(bytes, pixels, i * PIXELS);
    } catch (e) {
      throw new DataError(`${file}: not a readable PNG (${(e as Error).message})`);
    }
  }
  return { name: path.basename(dir), files, counts, pixels };
}

const SPLIT_DIRS = { train: "FER2013Train", valid: "FER2013Valid", test: "FER2013Test" } as const;

/** Finds the FER+ split folders under `root` (or `root` itself when it holds a label.csv). */
export function locateFerplus(root: string): Partial<Record<keyof typeof SPLIT_DIRS, string>> {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new DataError(`data folder ${root} does not exist`);
  const found: Partial<Record<keyof typeof SPLIT_DIRS, string>> = {};
  for (const [split, name] of Object.entries(SPLIT_DIRS) as [keyof typeof SPLIT_DIRS, string][]) {
    const d = path.join(root, name);
    if (existsSync(path.join(d, "label.csv"))) found[split] = d;
  }
  if (Object.keys(found).length === 0 && existsSync(path.join(root, "label.csv"))) found.train = root;
  if (Object.keys(found).length === 0) {
    throw new DataError(
      `${root} is not a FER+ folder (no FER2013Train/, FER2013Valid/, FER2013Test/ or label.csv)`,
    );
  }
  return found;
}

export function majoritySet(split: TFerplusSplit): TImageSet {
  return { pixels: split.pixels, labels: majorityLabels(split.counts, split.files.length) };
}

export type TLoadOptions = TTargetOptions & { limit?: number; log?: (line: string) => void };

/**
 * Hashes of a Train split's faces for the twin rule: the faces with at least one vote, the ones the importer
 * imports (it skips the others), so the twins match the leak guard's and the worker's on the imported folder.
 */
export function trainFaceHashes(split: TFerplusSplit) {
  const voted = split.files.flatMap((_, i) =>
    split.counts.subarray(i * 10, i * 10 + 10).some((c) => c > 0) ? [i] : [],
  );
  return hashFaces(subsetPixels(split.pixels, voted));
}

/**
 * Loads a FER+ folder into trainer data: train targets by scheme, valid/test majority labels (8 emotions) and
 * each valid/test face's twin among the train faces read (exact or near, as the importer's leak guard). The
 * object is the one the worker builds from the same folder imported into Postgres (issue 14): faces in
 * externalId order, valid/test only the faces with a majority label (the only ones an evaluation scores), twins
 * among the train faces with a vote (the ones the importer stores).
 */
export async function loadFerplus(
  root: string,
  opts: TLoadOptions,
): Promise<TTrainData & { names: Record<string, string> }> {
  return loadFerplusSplits(locateFerplus(root), opts);
}

async function loadFerplusSplits(
  where: ReturnType<typeof locateFerplus>,
  opts: TLoadOptions,
): Promise<TTrainData & { names: Record<string, string> }> {
  if (!where.train)
    throw new DataError(`no FER2013Train/ split to train on (found ${Object.keys(where).join(", ")})`);
  const log = opts.log ?? (() => {});
  const tr = await readFerplusSplit(where.train, opts.limit);
  const t = ferplusTargets(tr.counts, tr.files.length, opts);
  log(`[trainer] ${tr.name}: ${tr.files.length} faces, ${t.kept.length} kept by scheme ${opts.scheme}`);
  const pixels = subsetPixels(tr.pixels, t.kept);
  const trainHashes = trainFaceHashes(tr);
  const data: TTrainData & { names: Record<string, string> } = {
    classNames: EMOTION_CLASSES,
    train: { pixels, labels: t.labels, targets: t.targets },
    names: { train: tr.name },
  };
  for (const split of ["valid", "test"] as const) {
    const dir = where[split];
    if (!dir) continue;
    const s = await readFerplusSplit(dir, opts.limit);
    const all = withTrainTwins(majoritySet(s), trainHashes);
    const labelled = Array.from(all.labels).flatMap((l, i) => (l >= 0 ? [i] : []));
    data[split] = {
      ...subsetImages(all, labelled),
      trainTwins: labelled.map((i) => all.trainTwins?.[i] ?? null),
    };
    data.names[split] = s.name;
    log(
      `[trainer] ${s.name}: ${s.files.length} faces, ${labelled.length} with a majority label; ${describeTwins(all, tr.name)}`,
    );
  }
  return data;
}
