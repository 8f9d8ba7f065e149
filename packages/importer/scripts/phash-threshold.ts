// Measures how the pHash Hamming distance separates copies of the same photo from different faces on FER+,
// the evidence for NEAR_DUPLICATE_THRESHOLD:
//   npx tsx packages/importer/scripts/phash-threshold.ts [montage-dir]
// For every pair within 10 bits it computes the best normalised pixel correlation over shifts of up to 3 px
// (re-crops of one photo score > 0.9; look-alike different faces rarely do), per distance. With a montage-dir it
// also writes, per distance, a PNG of 12 random pairs side by side to look at.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { defaultFerplusPath } from "../src/demo/index";
import { createRng } from "../src/demo/rng";
import { findNearPairs } from "../src/near-pairs";
import { hammingDistance, perceptualHash } from "../src/phash";
import { decodePng48 } from "../src/pixels";

const root = defaultFerplusPath();
if (!root) throw new Error("FER+ folder not found (CONCORD_FERPLUS / CONCORD_SHARED)");
const faces: { px: Uint8Array; h: string }[] = [];
for (const split of ["FER2013Train", "FER2013Valid", "FER2013Test"]) {
  let files: string[] = [];
  try {
    files = readdirSync(join(root, split)).filter((f) => f.endsWith(".png"));
  } catch {
    continue;
  }
  for (const f of files) {
    const px = decodePng48(readFileSync(join(root, split, f)))!.pixels;
    faces.push({ px, h: perceptualHash(px) });
  }
}
console.log(`${faces.length} faces`);

function corr(A: Uint8Array, B: Uint8Array, dx: number, dy: number): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let y = 4; y < 44; y++) {
    for (let x = 4; x < 44; x++) {
      const a = A[y * 48 + x]!;
      const b = B[(y + dy) * 48 + x + dx]!;
      n++;
      sa += a;
      sb += b;
      saa += a * a;
      sbb += b * b;
      sab += a * b;
    }
  }
  const va = saa / n - (sa / n) ** 2;
  const vb = sbb / n - (sb / n) ** 2;
  return va < 1 || vb < 1 ? 0 : (sab / n - (sa / n) * (sb / n)) / Math.sqrt(va * vb);
}
function bestCorr(A: Uint8Array, B: Uint8Array): number {
  let m = -1;
  for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) m = Math.max(m, corr(A, B, dx, dy));
  return m;
}

const tSearch = performance.now();
findNearPairs(
  faces.map((f) => f.h),
  6,
);
console.log(
  `near-pair search at 6 bits over ${faces.length} hashes: ${(performance.now() - tSearch).toFixed(0)} ms`,
);
const pairs = findNearPairs(
  faces.map((f) => f.h),
  10,
);
const byD = new Map<number, number[]>();
for (const p of pairs) {
  const list = byD.get(p.distance) ?? [];
  list.push(bestCorr(faces[p.a]!.px, faces[p.b]!.px));
  byD.set(p.distance, list);
}
console.log("distance  pairs  aligned-corr>0.9  >0.8");
for (const d of [...byD.keys()].sort((a, b) => a - b)) {
  const l = byD.get(d)!;
  const frac = (t: number) => ((100 * l.filter((x) => x > t).length) / l.length).toFixed(1).padStart(5);
  console.log(
    `${String(d).padStart(8)} ${String(l.length).padStart(6)}  ${frac(0.9)}%           ${frac(0.8)}%`,
  );
}
const rng = createRng(1);
const random: number[] = [];
for (let k = 0; k < 100_000; k++) {
  const [i, j] = [rng.int(faces.length), rng.int(faces.length)];
  if (i !== j) random.push(hammingDistance(faces[i]!.h, faces[j]!.h));
}
random.sort((a, b) => a - b);
const q = (f: number) => random[Math.floor(f * (random.length - 1))];
console.log(`random pairs: median ${q(0.5)} bits, 1st percentile ${q(0.01)}, 0.1th percentile ${q(0.001)}`);

const montageDir = process.argv[2];
if (montageDir) {
  for (const d of [2, 4, 6, 8, 10]) {
    const pick = pairs
      .filter((p) => p.distance === d)
      .sort(() => rng.next() - 0.5)
      .slice(0, 12);
    const W = 104;
    const canvas = new Uint8Array(W * 48 * pick.length).fill(255);
    pick.forEach((p, r) => {
      for (const [k, im] of [faces[p.a]!, faces[p.b]!].entries()) {
        for (let y = 0; y < 48; y++)
          for (let x = 0; x < 48; x++) canvas[(r * 48 + y) * W + k * 56 + x] = im.px[y * 48 + x]!;
      }
    });
    await sharp(Buffer.from(canvas), { raw: { width: W, height: 48 * pick.length, channels: 1 } })
      .png()
      .toFile(join(montageDir, `phash-pairs-d${d}.png`));
  }
  console.log(`montages written to ${montageDir}`);
}
