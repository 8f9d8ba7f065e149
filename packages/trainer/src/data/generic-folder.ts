import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { aggregate, buildVoteSet, FERPLUS_LABELS, softLabels } from "@concord/crowd";
import { hashFaces } from "@concord/importer/twins";
import type { TImageSet, TTrainData } from "../types";
import { PIXELS } from "./augment";
import { EMOTION_CLASSES, type TTargetOptions } from "./ferplus-targets";
import { decodePngInto } from "./png-decode";
import { schemeTargets } from "./scheme-targets";
import { DataError } from "./train-data";
import { withTrainTwins } from "./train-twins";

/**
 * Generic layout (the importer's): PNG faces anywhere under the folder (top-level train/ valid/ test/ folders
 * name the split, everything else is train), votes.csv `task,worker,label` (task = file name with or without
 * extension; label = a FER+ label name or its index) and optional gold.csv `task,label` (evaluation labels).
 * Votes are aggregated with @concord/crowd majority vote; faces whose consensus is unknown/not-a-face or that
 * have no votes are not trained on. Evaluation splits use gold labels, else the vote majority, and carry each
 * face's twin among all train faces.
 */
const SPLITS: Record<string, "train" | "valid" | "test"> = {
  train: "train",
  valid: "valid",
  val: "valid",
  validation: "valid",
  test: "test",
};

function listPngs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.png$/i.test(e.name)) out.push(p);
      else if (/\.(jpe?g|webp|gif|bmp|tiff?)$/i.test(e.name))
        throw new DataError(
          `${p}: only PNG faces can be trained on directly; import the folder with concord import first`,
        );
    }
  };
  walk(root);
  return out;
}

function labelIndex(raw: string, where: string): number {
  const v = raw.trim().toLowerCase();
  const byName = (FERPLUS_LABELS as readonly string[]).indexOf(v);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(v) && Number(v) < FERPLUS_LABELS.length) return Number(v);
  throw new DataError(
    `${where}: unknown label "${raw.trim()}" (expected one of ${FERPLUS_LABELS.join(", ")} or 0-9)`,
  );
}

function readCsv(text: string, file: string, columns: number): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  text.split(/\r?\n/).forEach((t, i) => {
    if (t.trim() === "") return;
    const cells = t.split(",");
    if (i === 0 && cells[0]?.trim().toLowerCase() === "task") return;
    if (cells.length !== columns || cells.some((c) => c.trim() === ""))
      throw new DataError(`${file}:${i + 1}: malformed row "${t}"`);
    rows.push({ line: i + 1, cells });
  });
  return rows;
}

const stem = (f: string) => path.basename(f).replace(/\.png$/i, "");

export async function loadGeneric(
  root: string,
  opts: TTargetOptions,
): Promise<TTrainData & { names: Record<string, string> }> {
  const votesFile = path.join(root, "votes.csv");
  if (!existsSync(votesFile))
    throw new DataError(`${root}: no label.csv (FER+ layout) and no votes.csv (generic layout)`);
  const files = listPngs(root);
  if (files.length === 0) throw new DataError(`${root} holds no PNG faces`);
  const ids = new Map<string, number>();
  files.forEach((f, i) => {
    const id = stem(f);
    if (ids.has(id)) throw new DataError(`${f}: duplicate task id "${id}"`);
    ids.set(id, i);
  });
  const task = (raw: string, where: string) => {
    const i = ids.get(stem(raw.trim()));
    if (i === undefined) throw new DataError(`${where}: unknown task "${raw.trim()}" (no such image)`);
    return i;
  };
  const workers = new Map<string, number>();
  const votes = readCsv(await readFile(votesFile, "utf8"), votesFile, 3).map(({ line, cells }) => {
    const where = `${votesFile}:${line}`;
    const w = cells[1]?.trim() as string;
    if (!workers.has(w)) workers.set(w, workers.size);
    return {
      item: task(cells[0] as string, where),
      worker: workers.get(w) as number,
      label: labelIndex(cells[2] as string, where),
    };
  });
  const set = buildVoteSet({ numClasses: FERPLUS_LABELS.length, numItems: files.length, votes });
  const mv = aggregate(set, "mv");
  const crowd = softLabels(set);
  const gold = new Int32Array(files.length).fill(-1);
  const goldFile = path.join(root, "gold.csv");
  if (existsSync(goldFile)) {
    for (const { line, cells } of readCsv(await readFile(goldFile, "utf8"), goldFile, 2)) {
      gold[task(cells[0] as string, `${goldFile}:${line}`)] = labelIndex(
        cells[1] as string,
        `${goldFile}:${line}`,
      );
    }
  }
  const bySplit: Record<"train" | "valid" | "test", number[]> = { train: [], valid: [], test: [] };
  files.forEach((f, i) => {
    const top = path.relative(root, f).split(path.sep);
    bySplit[(top.length > 1 && SPLITS[(top[0] as string).toLowerCase()]) || "train"].push(i);
  });
  const pixelsOf = async (items: number[]) => {
    const px = new Uint8Array(items.length * PIXELS);
    for (const [k, i] of items.entries()) {
      try {
        decodePngInto(await readFile(files[i] as string), px, k * PIXELS);
      } catch (e) {
        throw new DataError(`${files[i]}: not a readable PNG (${(e as Error).message})`);
      }
    }
    return px;
  };
  const emotion = (l: number) => (l >= 0 && l < EMOTION_CLASSES.length ? l : -1);
  const trainItems = bySplit.train.filter((i) => emotion(mv.labels[i] as number) >= 0);
  if (trainItems.length === 0)
    throw new DataError(`${root}: no training face has an emotion consensus in votes.csv`);
  const consensus = Int32Array.from(trainItems, (i) => mv.labels[i] as number);
  const q = trainItems.flatMap((i) => Array.from(crowd.subarray(i * 10, i * 10 + 8)));
  // A generic folder has no FER+ processing: every scheme's distribution is the vote shares (PLD still draws).
  const targets = schemeTargets({
    scheme: opts.scheme,
    eps: opts.eps,
    numClasses: 8,
    consensus,
    dist: q,
    crowd: q,
    smoothing: opts.smoothing,
  });
  // Every train face is hashed, voted or not: evaluation splits report their figures without train twins.
  const trainAll = await pixelsOf(bySplit.train);
  const trainHashes = hashFaces(trainAll);
  const row = new Map(bySplit.train.map((i, k) => [i, k]));
  const trainPixels = new Uint8Array(trainItems.length * PIXELS);
  trainItems.forEach((i, k) => {
    const src = row.get(i) as number;
    trainPixels.set(trainAll.subarray(src * PIXELS, (src + 1) * PIXELS), k * PIXELS);
  });
  const data: TTrainData & { names: Record<string, string> } = {
    classNames: EMOTION_CLASSES,
    train: { pixels: trainPixels, labels: consensus, targets },
    names: { train: `${path.basename(root)}/train` },
  };
  for (const split of ["valid", "test"] as const) {
    const items = bySplit[split];
    if (items.length === 0) continue;
    const labels = Int32Array.from(items, (i) =>
      emotion((gold[i] as number) >= 0 ? (gold[i] as number) : (mv.labels[i] as number)),
    );
    data[split] = withTrainTwins({ pixels: await pixelsOf(items), labels } satisfies TImageSet, trainHashes);
    data.names[split] = `${path.basename(root)}/${split}`;
  }
  return data;
}
