// FER+ vote panels for the replay scripts: each split's label.csv (file, "(x, y, w, h)", 10 vote counts).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The FER+ folder under ../shared (or CONCORD_SHARED); null when absent. */
export function ferplusFolder(): string | null {
  const shared = process.env.CONCORD_SHARED ?? path.resolve(here, "../../../../shared");
  const dir = path.join(shared, "datasets/ferplus");
  return existsSync(dir) ? dir : null;
}

/** Face file names and their 10 vote counts (N x 10, FER+ taxonomy order) of one split folder. */
export function readPanels(splitDir: string): { files: string[]; counts: Float64Array } {
  const lines = readFileSync(path.join(splitDir, "label.csv"), "utf8").split(/\r?\n/).filter(Boolean);
  const counts = new Float64Array(lines.length * 10);
  const files = lines.map((line, i) => {
    const cells = line.split('"')[2]!.split(",").slice(1).map(Number);
    for (let c = 0; c < 10; c++) counts[i * 10 + c] = cells[c]!;
    return line.slice(0, line.indexOf(","));
  });
  return { files, counts };
}
