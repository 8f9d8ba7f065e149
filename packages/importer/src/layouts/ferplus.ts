import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { csvLines, splitCsvLine } from "../csv";
import { ferplusExternalId } from "../image-order";
import { decodePng48 } from "../pixels";
import { parseFerplusCounts, type TEvent, type TReadContext, type TSplit } from "./types";

export const FERPLUS_SPLITS: [string, TSplit][] = [
  ["FER2013Train", "TRAIN"],
  ["FER2013Valid", "VALID"],
  ["FER2013Test", "TEST"],
];

export function isFerplusFolder(path: string): boolean {
  return FERPLUS_SPLITS.some(([dir]) => existsSync(join(path, dir, "label.csv")));
}

/** FER+ folder as written by microsoft/FERPlus generate_training_data.py: <split>/label.csv + PNGs. */
export async function* readFerplus(root: string, ctx: TReadContext): AsyncGenerator<TEvent> {
  for (const [dir, split] of FERPLUS_SPLITS) {
    const labelFile = join(root, dir, "label.csv");
    if (!existsSync(join(root, dir))) continue;
    const rel = `${dir}/label.csv`;
    if (!existsSync(labelFile)) {
      yield { kind: "reject", reject: { file: rel, reason: "missing file label.csv" } };
      continue;
    }
    for (const { line, text } of csvLines(readFileSync(labelFile, "utf8"))) {
      const fields = splitCsvLine(text);
      if (fields?.length !== 12) {
        const got = fields ? `${fields.length} fields` : "an unterminated quote";
        yield {
          kind: "reject",
          reject: { file: rel, line, reason: `malformed row: expected 12 fields, got ${got}` },
        };
        continue;
      }
      const fileName = fields[0]!.trim();
      if (!/^[\w.-]+\.png$/i.test(fileName)) {
        yield {
          kind: "reject",
          reject: { file: rel, line, reason: `malformed row: bad file name "${fileName}"` },
        };
        continue;
      }
      const counts = parseFerplusCounts(fields.slice(2));
      if (typeof counts === "string") {
        yield { kind: "reject", reject: { file: rel, line, reason: counts } };
        continue;
      }
      if (counts.every((c) => c === 0)) {
        yield { kind: "unvoted" };
        continue;
      }
      const externalId = ferplusExternalId(fileName);
      if (ctx.isKnown(externalId)) {
        yield { kind: "known" };
        continue;
      }
      const pngPath = join(root, dir, fileName);
      let buf: Buffer;
      try {
        buf = readFileSync(pngPath);
      } catch {
        yield { kind: "reject", reject: { file: `${dir}/${fileName}`, line, reason: "missing file" } };
        continue;
      }
      let decoded: ReturnType<typeof decodePng48>;
      try {
        decoded = decodePng48(buf);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        yield { kind: "reject", reject: { file: `${dir}/${fileName}`, line, reason: `corrupt PNG: ${why}` } };
        continue;
      }
      if (!decoded) {
        yield { kind: "reject", reject: { file: `${dir}/${fileName}`, line, reason: "not a 48x48 image" } };
        continue;
      }
      yield {
        kind: "row",
        row: {
          externalId,
          split,
          pixels: decoded.pixels,
          conversion: decoded.conversion,
          tallies: [{ source: "ferplus", counts }],
          votes: [],
          origin: { file: rel, line },
        },
      };
    }
  }
}
