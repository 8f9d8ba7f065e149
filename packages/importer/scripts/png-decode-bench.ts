// Decoding speed of the FER+ PNGs: own 8-bit gray decoder vs pngjs (the README's "2.6x" figure):
//   npx tsx packages/importer/scripts/png-decode-bench.ts
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { defaultFerplusPath } from "../src/demo/index";
import { decodeGray8Png } from "../src/png-gray";

const root = defaultFerplusPath();
if (!root) throw new Error("FER+ folder not found (CONCORD_FERPLUS / CONCORD_SHARED)");
const dir = join(root, "FER2013Train");
const bufs = readdirSync(dir)
  .filter((f) => f.endsWith(".png"))
  .slice(0, 8000)
  .map((f) => readFileSync(join(dir, f)));
for (let round = 0; round < 5; round++) {
  let t = performance.now();
  for (const b of bufs) PNG.sync.read(b);
  const pngjs = performance.now() - t;
  t = performance.now();
  for (const b of bufs) decodeGray8Png(b);
  const own = performance.now() - t;
  console.log(
    `${bufs.length} PNGs: pngjs ${pngjs.toFixed(0)} ms, own decoder ${own.toFixed(0)} ms (${(pngjs / own).toFixed(1)}x)`,
  );
}
