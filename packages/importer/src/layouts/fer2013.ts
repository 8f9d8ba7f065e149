import { createReadStream, existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { splitCsvLine } from "../csv";
import { PIXELS } from "../pixels";
import { FER2013_EMOTIONS } from "../taxonomy";
import { parseFerplusCounts, type TEvent, type TReadContext, type TSplit } from "./types";

const USAGE: Record<string, TSplit> = { training: "TRAIN", publictest: "VALID", privatetest: "TEST" };

/** Where fer2013.csv / fer2013new.csv are for a path that is either the CSV itself or its folder. */
export function locateFer2013(path: string): { csv: string; votes?: string } | undefined {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const csv = isDir ? join(path, "fer2013.csv") : path;
  if (!existsSync(csv) || !/\.csv$/i.test(csv) || basename(csv).toLowerCase() === "fer2013new.csv")
    return undefined;
  const votes = join(dirname(csv), "fer2013new.csv");
  return { csv, votes: existsSync(votes) ? votes : undefined };
}

async function* numberedLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const raw of rl) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (text.trim() !== "") yield { line, text };
  }
}

function parsePixels(s: string): Uint8Array | string {
  const parts = s.trim().split(/\s+/);
  if (parts.length !== PIXELS) return `expected ${PIXELS} pixel values, got ${parts.length}`;
  const out = new Uint8Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const v = Number(parts[i]);
    if (!Number.isInteger(v) || v < 0 || v > 255) return `pixel ${i} is "${parts[i]}", not 0-255`;
    out[i] = v;
  }
  return out;
}

/**
 * Kaggle fer2013.csv (`emotion,pixels,Usage`), optionally zipped row by row with FER+'s fer2013new.csv
 * (`Usage,[Image name,]neutral,...,NF`). Row i of both files is the same face, named fer%07d like the FER+ PNGs,
 * so the same face keeps the same id whichever layout imported it.
 */
export async function* readFer2013(
  files: { csv: string; votes?: string },
  ctx: TReadContext,
): AsyncGenerator<TEvent> {
  const csvName = basename(files.csv);
  const votesName = files.votes ? basename(files.votes) : "";
  const main = numberedLines(files.csv);
  const votes = files.votes ? numberedLines(files.votes) : undefined;
  const head = await main.next();
  const cols = head.done ? [] : (splitCsvLine(head.value.text) ?? []).map((c) => c.trim().toLowerCase());
  const iEmotion = cols.indexOf("emotion");
  const iPixels = cols.indexOf("pixels");
  const iUsage = cols.indexOf("usage");
  if (iEmotion === -1 || iPixels === -1 || iUsage === -1) {
    yield {
      kind: "reject",
      reject: { file: csvName, line: 1, reason: "header must be emotion,pixels,Usage" },
    };
    return;
  }
  let iName = -1;
  let iCounts = -1;
  if (votes) {
    const vh = await votes.next();
    const vcols = vh.done ? [] : (splitCsvLine(vh.value.text) ?? []).map((c) => c.trim().toLowerCase());
    iName = vcols.indexOf("image name");
    iCounts = vcols.indexOf("neutral");
    if (iCounts === -1 || vcols[iCounts + 9] !== "nf") {
      yield {
        kind: "reject",
        reject: { file: votesName, line: 1, reason: "header must list neutral .. NF" },
      };
      return;
    }
  }
  let index = -1;
  for await (const { line, text } of main) {
    index++;
    const v = votes ? await votes.next() : undefined;
    const fields = splitCsvLine(text);
    if (!fields || fields.length !== cols.length) {
      yield {
        kind: "reject",
        reject: { file: csvName, line, reason: `malformed row: ${cols.length} fields expected` },
      };
      continue;
    }
    const split = USAGE[fields[iUsage]!.trim().toLowerCase()];
    if (!split) {
      yield { kind: "reject", reject: { file: csvName, line, reason: `unknown Usage "${fields[iUsage]}"` } };
      continue;
    }
    const code = fields[iEmotion]!.trim();
    const emotion = /^\d+$/.test(code) ? FER2013_EMOTIONS[Number(code)] : undefined;
    if (!emotion || !ctx.taxonomy.includes(emotion)) {
      yield {
        kind: "reject",
        reject: { file: csvName, line, reason: `unknown label "${code}" (0-6 expected)` },
      };
      continue;
    }
    let externalId = `fer${String(index).padStart(7, "0")}`;
    let tally: { source: string; counts: number[] };
    if (votes) {
      if (!v || v.done) {
        yield { kind: "reject", reject: { file: votesName, reason: `no row for ${csvName} line ${line}` } };
        continue;
      }
      const vf = splitCsvLine(v.value.text);
      const counts =
        vf && vf.length > iCounts + 9 ? parseFerplusCounts(vf.slice(iCounts, iCounts + 10)) : undefined;
      if (!vf || counts === undefined) {
        yield { kind: "reject", reject: { file: votesName, line: v.value.line, reason: "malformed row" } };
        continue;
      }
      if (typeof counts === "string") {
        yield { kind: "reject", reject: { file: votesName, line: v.value.line, reason: counts } };
        continue;
      }
      const name = iName === -1 ? "" : vf[iName]!.trim();
      // FER+ blanks the image name (and the counts) of the faces it dropped.
      if ((iName !== -1 && name === "") || counts.every((c) => c === 0)) {
        yield { kind: "unvoted" };
        continue;
      }
      if (name) externalId = name.replace(/\.png$/i, "");
      tally = { source: "ferplus", counts };
    } else {
      tally = { source: "fer2013", counts: ctx.taxonomy.map((k) => (k === emotion ? 1 : 0)) };
    }
    if (ctx.isKnown(externalId)) {
      yield { kind: "known" };
      continue;
    }
    const pixels = parsePixels(fields[iPixels]!);
    if (typeof pixels === "string") {
      yield { kind: "reject", reject: { file: csvName, line, reason: `malformed row: ${pixels}` } };
      continue;
    }
    yield {
      kind: "row",
      row: {
        externalId,
        split,
        pixels,
        conversion: null,
        tallies: [tally],
        votes: [],
        origin: { file: csvName, line },
      },
    };
  }
  if (votes && !(await votes.next()).done) {
    yield { kind: "reject", reject: { file: votesName, reason: `more rows than ${csvName}` } };
  }
}
