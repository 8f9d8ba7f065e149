import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { hashFaces } from "@concord/importer/twins";
import type { TImageSet, TTrainData } from "../types";
import { PIXELS } from "./augment";
import { EMOTION_CLASSES, ferplusTargets, majorityLabels, type TTargetOptions } from "./ferplus-targets";
import { decodePngInto } from "./png-decode";
import { DataError } from "./train-data";
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

/** Reads one FER+ split folder (label.csv + PNGs). `limit` keeps the first rows (quick runs, tests). */
export async function readFerplusSplit(dir: string, limit?: number): Promise<TFerplusSplit> {
  const csv = path.join(dir, "label.csv");
  if (!existsSync(csv)) throw new DataError(`no label.csv in ${dir}`);
  let { files, counts } = parseLabelCsv(await readFile(csv, "utf8"), csv);
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
 * Loads a FER+ folder into trainer data: train targets by scheme, valid/test majority labels (8 emotions) and
 * each valid/test face's twin among the train faces read (exact or near, as the importer's leak guard).
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
  const pixels = new Uint8Array(t.kept.length * PIXELS);
  t.kept.forEach((src, k) => {
    pixels.set(tr.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), k * PIXELS);
  });
  const trainHashes = hashFaces(tr.pixels);
  const data: TTrainData & { names: Record<string, string> } = {
    classNames: EMOTION_CLASSES,
    train: { pixels, labels: t.labels, targets: t.targets },
    names: { train: tr.name },
  };
  for (const split of ["valid", "test"] as const) {
    const dir = where[split];
    if (!dir) continue;
    const s = await readFerplusSplit(dir, opts.limit);
    const set = withTrainTwins(majoritySet(s), trainHashes);
    data[split] = set;
    data.names[split] = s.name;
    log(
      `[trainer] ${s.name}: ${s.files.length} faces, ${set.labels.filter((l) => l >= 0).length} with a majority label; ${describeTwins(set, tr.name)}`,
    );
  }
  return data;
}
