import { crc32, inflateSync } from "node:zlib";
import { PNG_SIGNATURE } from "./png-gray-encode";

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decoder for the one PNG flavour FER+ ships (8-bit grayscale, not interlaced): chunk walk with CRC checks,
 * one inflate, row unfiltering straight into the gray buffer. 1.5-1.9x faster than pngjs, which expands every
 * image to RGBA (scripts/png-decode-bench.ts). Returns undefined for any other flavour (the caller falls back to pngjs); throws on corrupt or
 * truncated data.
 */
export function decodeGray8Png(
  buf: Buffer,
): { width: number; height: number; pixels: Uint8Array } | undefined {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE))
    throw new Error("not a PNG (bad signature)");
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  let sawEnd = false;
  while (pos + 12 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const end = pos + 8 + len;
    if (end + 4 > buf.length) throw new Error(`truncated ${type} chunk`);
    if (crc32(buf.subarray(pos + 4, end)) !== buf.readUInt32BE(end))
      throw new Error(`bad CRC in ${type} chunk`);
    if (type === "IHDR") {
      width = buf.readUInt32BE(pos + 8);
      height = buf.readUInt32BE(pos + 12);
      const [depth, color, , , interlace] = buf.subarray(pos + 16, pos + 21);
      if (depth !== 8 || color !== 0 || interlace !== 0) return undefined;
    } else if (type === "IDAT") idat.push(buf.subarray(pos + 8, end));
    else if (type === "IEND") {
      sawEnd = true;
      break;
    }
    pos = end + 4;
  }
  if (!sawEnd) throw new Error("truncated PNG (no IEND chunk)");
  if (width === 0 || height === 0 || idat.length === 0) throw new Error("PNG without IHDR or IDAT");
  const raw = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat));
  if (raw.length !== (width + 1) * height) throw new Error("PNG image data has the wrong length");
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)]!;
    const src = y * (width + 1) + 1;
    const row = y * width;
    const up = row - width;
    for (let x = 0; x < width; x++) {
      const v = raw[src + x]!;
      const a = x > 0 ? out[row + x - 1]! : 0;
      const b = y > 0 ? out[up + x]! : 0;
      const c = x > 0 && y > 0 ? out[up + x - 1]! : 0;
      let r: number;
      if (filter === 0) r = v;
      else if (filter === 1) r = v + a;
      else if (filter === 2) r = v + b;
      else if (filter === 3) r = v + ((a + b) >> 1);
      else if (filter === 4) r = v + paeth(a, b, c);
      else throw new Error(`bad PNG filter type ${filter}`);
      out[row + x] = r & 0xff;
    }
  }
  return { width, height, pixels: out };
}
