import type { Rng } from "../loop/seeded-rng";

export const SIZE = 48;
export const PIXELS = SIZE * SIZE;

/** FER+ training augmentation (microsoft/FERPlus src/train.py defaults). */
export type TAugmentParams = {
  maxShift: number;
  maxScale: number;
  maxAngleDeg: number;
  maxSkew: number;
  flip: boolean;
};
export const FERPLUS_AUGMENT: TAugmentParams = {
  maxShift: 0.08,
  maxScale: 1.05,
  maxAngleDeg: 20,
  maxSkew: 0.05,
  flip: true,
};

/**
 * Random affine warp (scale, rotation, skew, shift about the centre, optional mirror) with bilinear sampling
 * and replicated borders, as FER+ did with OpenCV. Draws exactly 6 numbers from rng per image so the stream
 * (and therefore a resumed run) stays aligned whatever the parameters.
 */
export function augmentInto(
  src: Uint8Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  rng: Rng,
  p: TAugmentParams,
): void {
  const scale = rng.uniform(1 / p.maxScale, p.maxScale);
  const angle = (rng.uniform(-p.maxAngleDeg, p.maxAngleDeg) * Math.PI) / 180;
  const skew = rng.uniform(-p.maxSkew, p.maxSkew);
  const tx = rng.uniform(-p.maxShift, p.maxShift) * SIZE;
  const ty = rng.uniform(-p.maxShift, p.maxShift) * SIZE;
  const mirror = p.flip && rng.next() < 0.5 ? -1 : 1;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  // Inverse map: output pixel -> source position (rotation/scale, then skew, mirror, shift).
  const a = cos * mirror;
  const b = sin + skew * cos;
  const c = -sin * mirror;
  const d = cos - skew * sin;
  const centre = (SIZE - 1) / 2;
  for (let y = 0; y < SIZE; y++) {
    const dy = y - centre - ty;
    for (let x = 0; x < SIZE; x++) {
      const dx = x - centre - tx;
      const sx = clamp(a * dx + b * dy + centre, 0, SIZE - 1);
      const sy = clamp(c * dx + d * dy + centre, 0, SIZE - 1);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, SIZE - 1);
      const y1 = Math.min(y0 + 1, SIZE - 1);
      const fx = sx - x0;
      const fy = sy - y0;
      const r0 = srcOffset + y0 * SIZE;
      const r1 = srcOffset + y1 * SIZE;
      const top = (src[r0 + x0] as number) * (1 - fx) + (src[r0 + x1] as number) * fx;
      const bottom = (src[r1 + x0] as number) * (1 - fx) + (src[r1 + x1] as number) * fx;
      dst[dstOffset + y * SIZE + x] = top * (1 - fy) + bottom * fy;
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Per-image standardisation in place: zero mean, unit variance (flat images stay at zero). */
export function standardise(buf: Float32Array, offset: number): void {
  let sum = 0;
  let sq = 0;
  for (let i = offset; i < offset + PIXELS; i++) {
    const v = buf[i] as number;
    sum += v;
    sq += v * v;
  }
  const mean = sum / PIXELS;
  const std = Math.sqrt(Math.max(sq / PIXELS - mean * mean, 0));
  const inv = 1 / Math.max(std, 1);
  for (let i = offset; i < offset + PIXELS; i++) buf[i] = ((buf[i] as number) - mean) * inv;
}

/** Builds a standardised [n,48,48,1] batch buffer from image indices, augmenting when rng is given. */
export function makeBatch(
  pixels: Uint8Array,
  indices: ArrayLike<number>,
  rng: Rng | null,
  p: TAugmentParams = FERPLUS_AUGMENT,
  mirrorAll = false,
): Float32Array {
  const out = new Float32Array(indices.length * PIXELS);
  for (let k = 0; k < indices.length; k++) {
    const src = (indices[k] as number) * PIXELS;
    const dst = k * PIXELS;
    if (rng) augmentInto(pixels, src, out, dst, rng, p);
    else if (mirrorAll) {
      for (let y = 0; y < SIZE; y++)
        for (let x = 0; x < SIZE; x++)
          out[dst + y * SIZE + x] = pixels[src + y * SIZE + (SIZE - 1 - x)] as number;
    } else for (let i = 0; i < PIXELS; i++) out[dst + i] = pixels[src + i] as number;
    standardise(out, dst);
  }
  return out;
}
