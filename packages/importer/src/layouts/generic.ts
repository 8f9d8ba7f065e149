import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, relative } from "node:path";
import { DEFAULT_DUPLICATE_POLICY, resolveDuplicates } from "@concord/crowd";
import { csvLines, splitCsvLine } from "../csv";
import { decodeImage } from "../pixels";
import { resolveLabel } from "../taxonomy";
import type { TEvent, TReadContext, TRejection, TSplit } from "./types";

const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp"]);
// Top-level sub-folders that name a split; images anywhere else are training faces.
const SPLIT_DIRS: Record<string, TSplit> = {
  train: "TRAIN",
  training: "TRAIN",
  valid: "VALID",
  val: "VALID",
  validation: "VALID",
  publictest: "VALID",
  test: "TEST",
  privatetest: "TEST",
};

function listImages(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXT.has(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(root);
  return out;
}

const stem = (name: string) => name.replace(/\.[^./]+$/, "");
// votes.csv may name a task by its id ("img1") or by its file ("img1.png").
const taskKey = (task: string) => (IMAGE_EXT.has(extname(task).toLowerCase()) ? stem(task) : task).trim();

type TParsedVotes = {
  votes: Map<string, { worker: string; label: string }[]>;
  gold: Map<string, string>;
  rejects: TRejection[];
};

function readSideFiles(root: string, ids: Set<string>, ctx: TReadContext): TParsedVotes {
  const out: TParsedVotes = { votes: new Map(), gold: new Map(), rejects: [] };
  const votesFile = join(root, "votes.csv");
  if (existsSync(votesFile)) {
    const valid: { line: number; task: string; worker: string; label: string }[] = [];
    for (const { line, text } of csvLines(readFileSync(votesFile, "utf8"))) {
      const f = splitCsvLine(text);
      if (line === 1 && f?.[0]?.trim().toLowerCase() === "task") continue;
      const reject = (reason: string) => out.rejects.push({ file: "votes.csv", line, reason });
      if (f?.length !== 3 || f.some((x) => x.trim() === "")) {
        reject("malformed row: expected task,worker,label");
        continue;
      }
      const task = taskKey(f[0]!);
      const worker = f[1]!.trim();
      const label = resolveLabel(f[2]!, ctx.taxonomy);
      if (!label) reject(`unknown label "${f[2]!.trim()}"`);
      else if (!ids.has(task)) reject(`unknown task "${task}" (no such image)`);
      else if (!/^[\w.+-]{1,64}$/.test(worker)) reject(`malformed worker id "${worker}"`);
      else valid.push({ line, task, worker, label });
    }
    // Repeats of a worker/task pair: "error" rejects every repeat after the first row (a rejected row aborts a
    // strict import); keep-first / keep-last keep one row of the pair and count the others.
    const policy = ctx.repeats?.policy ?? DEFAULT_DUPLICATE_POLICY;
    const { keep, report } = resolveDuplicates(
      valid.map((v) => `${v.task}\u0000${v.worker}`),
      policy === "error" ? "keep-first" : policy,
      valid.map((v) => v.label),
    );
    if (ctx.repeats)
      ctx.repeats.report = { ...report, policy, dropped: policy === "error" ? 0 : report.dropped };
    valid.forEach(({ line, task, worker, label }, k) => {
      if (!keep[k]) {
        if (policy === "error")
          out.rejects.push({
            file: "votes.csv",
            line,
            reason: `duplicate vote of worker "${worker}" on "${task}"`,
          });
        return;
      }
      const list = out.votes.get(task) ?? [];
      list.push({ worker, label });
      out.votes.set(task, list);
      ctx.workers?.add(worker);
    });
    out.rejects.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)); // all from votes.csv so far
  }
  const goldFile = join(root, "gold.csv");
  if (existsSync(goldFile)) {
    for (const { line, text } of csvLines(readFileSync(goldFile, "utf8"))) {
      const f = splitCsvLine(text);
      if (line === 1 && f?.[0]?.trim().toLowerCase() === "task") continue;
      const reject = (reason: string) => out.rejects.push({ file: "gold.csv", line, reason });
      if (f?.length !== 2 || f.some((x) => x.trim() === "")) {
        reject("malformed row: expected task,label");
        continue;
      }
      const task = taskKey(f[0]!);
      const label = resolveLabel(f[1]!, ctx.taxonomy);
      if (!label) reject(`unknown label "${f[1]!.trim()}"`);
      else if (!ids.has(task)) reject(`unknown task "${task}" (no such image)`);
      else if (out.gold.has(task)) reject(`second gold label for "${task}"`);
      else out.gold.set(task, label);
    }
  }
  return out;
}

/**
 * A folder of images (any size, PNG/JPEG/...; top-level train/valid/test sub-folders give the split) with optional
 * votes.csv (`task,worker,label`) and gold.csv (`task,label`); a task is an image's file name without extension.
 */
export async function* readGeneric(root: string, ctx: TReadContext): AsyncGenerator<TEvent> {
  const files = listImages(root);
  const byId = new Map<string, string>();
  const dupes: TRejection[] = [];
  for (const p of files) {
    const rel = relative(root, p);
    const id = stem(rel.split(/[\\/]/).pop()!);
    if (byId.has(id)) dupes.push({ file: rel, reason: `duplicate task id "${id}" (also ${byId.get(id)})` });
    else byId.set(id, rel);
  }
  const side = readSideFiles(root, new Set(byId.keys()), ctx);
  for (const reject of [...dupes, ...side.rejects]) yield { kind: "reject", reject };
  // sharp decodes on libuv's thread pool: keep a few images in flight so both cores work, yielding in file order.
  let known = 0;
  const entries = [...byId].filter(([externalId]) => {
    if (!ctx.isKnown(externalId)) return true;
    known++;
    return false;
  });
  for (let k = 0; k < known; k++) yield { kind: "known" };
  const window: Promise<TEvent>[] = [];
  let next = 0;
  const start = () => {
    const [externalId, rel] = entries[next++]!;
    window.push(decodeEntry(root, externalId, rel, side));
  };
  while (next < entries.length && window.length < PREFETCH) start();
  while (window.length > 0) {
    const ev = await window.shift()!;
    if (next < entries.length) start();
    yield ev;
  }
}

const PREFETCH = 8;

async function decodeEntry(
  root: string,
  externalId: string,
  rel: string,
  side: TParsedVotes,
): Promise<TEvent> {
  const top = rel.split(/[\\/]/);
  const split = (top.length > 1 && SPLIT_DIRS[top[0]!.toLowerCase()]) || "TRAIN";
  try {
    const decoded = await decodeImage(await readFile(join(root, rel)), rel);
    return {
      kind: "row",
      row: {
        externalId,
        split,
        pixels: decoded.pixels,
        conversion: decoded.conversion,
        tallies: [],
        votes: side.votes.get(externalId) ?? [],
        gold: side.gold.get(externalId),
        origin: { file: rel },
      },
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { kind: "reject", reject: { file: rel, reason: `corrupt image: ${why}` } };
  }
}
