import { once } from "node:events";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodePng48 } from "../src/pixels";

const SPLITS = [
  ["FER2013Train", "Training"],
  ["FER2013Valid", "PublicTest"],
  ["FER2013Test", "PrivateTest"],
] as const;
// FER2013 code of each FER+ emotion column (neutral..fear), to give every row a plausible single label.
const FER2013_CODE = [6, 3, 5, 4, 0, 1, 2];

/**
 * Writes a Kaggle-style fer2013.csv and FER+'s fer2013new.csv from a FER+ folder (the Kaggle file is not in
 * ../shared): rows in file-name order, emotion = the FER+ top vote among the 7 FER2013 emotions.
 */
export async function writeFer2013FromFerplus(ferplus: string, outDir: string): Promise<number> {
  const main = createWriteStream(join(outDir, "fer2013.csv"));
  const votes = createWriteStream(join(outDir, "fer2013new.csv"));
  main.write("emotion,pixels,Usage\n");
  votes.write("Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n");
  let n = 0;
  for (const [dir, usage] of SPLITS) {
    let lines: string[];
    try {
      lines = readFileSync(join(ferplus, dir, "label.csv"), "utf8")
        .split("\n")
        .filter(Boolean);
    } catch {
      continue;
    }
    const present = new Set(readdirSync(join(ferplus, dir)));
    for (const line of lines) {
      const file = line.split(",")[0]!;
      if (!present.has(file)) continue;
      const counts = line.split('"')[2]!.slice(1).split(",").map(Number);
      const top = counts.slice(0, 7).indexOf(Math.max(...counts.slice(0, 7)));
      const px = decodePng48(readFileSync(join(ferplus, dir, file)))!.pixels;
      if (!main.write(`${FER2013_CODE[top]},${px.join(" ")},${usage}\n`)) await once(main, "drain");
      votes.write(`${usage},${file},${counts.join(",")}\n`);
      n++;
    }
  }
  main.end();
  votes.end();
  await Promise.all([once(main, "finish"), once(votes, "finish")]);
  return n;
}
