// 64-bit DCT perceptual hash (the pHash / Python `imagehash.phash` recipe): downscale to 32x32, 2-D DCT-II, keep
// the 8x8 lowest frequencies, one bit per coefficient = coefficient > median of the 64. Robust to small shifts,
// re-encoding, brightness/contrast changes and light noise, so re-saved or slightly edited copies of a face land
// within a few bits while different faces sit near 32 bits apart.
const N = 32;
const K = 8;
const SIDE = 48;

// cos table for the K lowest DCT-II frequencies over N samples: COS[u * N + x].
const COS = new Float64Array(K * N);
for (let u = 0; u < K; u++) {
  for (let x = 0; x < N; x++) COS[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
}

// Area-average 48 -> 32 (each output pixel covers 1.5 input pixels): weights per output index.
const AREA: { i: number; w: number }[][] = [];
for (let o = 0; o < N; o++) {
  const a = (o * SIDE) / N;
  const b = ((o + 1) * SIDE) / N;
  const taps: { i: number; w: number }[] = [];
  for (let i = Math.floor(a); i < Math.ceil(b); i++) {
    const w = Math.min(b, i + 1) - Math.max(a, i);
    if (w > 0) taps.push({ i, w: w / (b - a) });
  }
  AREA.push(taps);
}

function downscale(pixels: Uint8Array): Float64Array {
  const tmp = new Float64Array(SIDE * N);
  for (let y = 0; y < SIDE; y++) {
    for (let o = 0; o < N; o++) {
      let s = 0;
      for (const { i, w } of AREA[o]!) s += pixels[y * SIDE + i]! * w;
      tmp[y * N + o] = s;
    }
  }
  const out = new Float64Array(N * N);
  for (let o = 0; o < N; o++) {
    for (let x = 0; x < N; x++) {
      let s = 0;
      for (const { i, w } of AREA[o]!) s += tmp[i * N + x]! * w;
      out[o * N + x] = s;
    }
  }
  return out;
}

/** 16 hex digits for a 48x48 grayscale face. */
export function perceptualHash(pixels: Uint8Array): string {
  if (pixels.length !== SIDE * SIDE) throw new Error(`perceptualHash needs ${SIDE * SIDE} pixels`);
  const img = downscale(pixels);
  // Separable DCT, only the K lowest frequencies in each direction: rows first, then columns.
  const rows = new Float64Array(N * K);
  for (let y = 0; y < N; y++) {
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += img[y * N + x]! * COS[u * N + x]!;
      rows[y * K + u] = s;
    }
  }
  const coef = new Float64Array(K * K);
  for (let v = 0; v < K; v++) {
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y * K + u]! * COS[v * N + y]!;
      coef[v * K + u] = s;
    }
  }
  const sorted = Array.from(coef).sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 64; b++) {
    const bit = coef[b]! > median ? 1 : 0;
    if (b < 32) hi = (hi << 1) | bit;
    else lo = (lo << 1) | bit;
  }
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Hash as two unsigned 32-bit halves, for fast Hamming distances over many hashes. */
export function hashWords(hex: string): [number, number] {
  return [Number.parseInt(hex.slice(0, 8), 16) >>> 0, Number.parseInt(hex.slice(8, 16), 16) >>> 0];
}

export function hammingWords(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return popcount32((aHi ^ bHi) >>> 0) + popcount32((aLo ^ bLo) >>> 0);
}

export function hammingDistance(a: string, b: string): number {
  const [aHi, aLo] = hashWords(a);
  const [bHi, bLo] = hashWords(b);
  return hammingWords(aHi, aLo, bHi, bLo);
}
