import { hammingWords, hashWords } from "./phash";

export type TPairIdx = { a: number; b: number; distance: number };

function chunkBounds(parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < parts; k++)
    out.push([Math.floor((k * 64) / parts), Math.floor(((k + 1) * 64) / parts)]);
  return out;
}

/**
 * All pairs of 64-bit hashes within Hamming distance `threshold`, without comparing all n^2 pairs: split the bits
 * into threshold+1 chunks; two hashes that differ in at most `threshold` bits agree exactly on at least one chunk
 * (pigeonhole), so only hashes sharing a chunk value are compared (multi-index hashing, Norouzi et al. 2012).
 * A pair is reported once, from the first chunk on which it agrees.
 */
export function findNearPairs(hashes: readonly string[], threshold: number): TPairIdx[] {
  const n = hashes.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const big = new Array<bigint>(n);
  for (let i = 0; i < n; i++) {
    const [h, l] = hashWords(hashes[i]!);
    hi[i] = h;
    lo[i] = l;
    big[i] = (BigInt(h) << 32n) | BigInt(l);
  }
  const bounds = chunkBounds(Math.min(64, threshold + 1));
  const keys = bounds.map(([s, e]) => {
    const mask = (1n << BigInt(e - s)) - 1n;
    const shift = BigInt(64 - e);
    return Int32Array.from(big, (v) => Number((v >> shift) & mask));
  });
  const pairs: TPairIdx[] = [];
  for (let c = 0; c < keys.length; c++) {
    const buckets = new Map<number, number[]>();
    const key = keys[c]!;
    for (let i = 0; i < n; i++) {
      const list = buckets.get(key[i]!);
      if (list) list.push(i);
      else buckets.set(key[i]!, [i]);
    }
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        const i = list[x]!;
        for (let y = x + 1; y < list.length; y++) {
          const j = list[y]!;
          const d = hammingWords(hi[i]!, lo[i]!, hi[j]!, lo[j]!);
          if (d > threshold) continue;
          let isFirst = true;
          for (let p = 0; p < c; p++) {
            if (keys[p]![i] === keys[p]![j]) {
              isFirst = false;
              break;
            }
          }
          if (isFirst) pairs.push(i < j ? { a: i, b: j, distance: d } : { a: j, b: i, distance: d });
        }
      }
    }
  }
  return pairs;
}
