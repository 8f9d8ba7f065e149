import { PNG } from "pngjs";
import sharp from "sharp";
import { decodeGray8Png } from "./png-gray";

export const SIDE = 48;
export const PIXELS = SIDE * SIDE;

export type TDecoded = { pixels: Uint8Array; conversion: string | null };

export { sha256Hex } from "./twins";

// Luma (ITU-R BT.601), the weights sharp/libvips and PIL use for RGB -> grayscale.
function luma(r: number, g: number, b: number): number {
  return Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

/**
 * Synchronous fast path for 48x48 PNGs, far cheaper than sharp's per-call overhead: 8-bit gray (FER+) through
 * decodeGray8Png, other colour types through pngjs. Throws on corrupt or truncated data (CRC/zlib errors), which
 * callers turn into a rejected row. Returns undefined when the PNG is not 48x48 so the caller falls back to sharp.
 */
export function decodePng48(buf: Buffer): TDecoded | undefined {
  const gray = decodeGray8Png(buf);
  if (gray)
    return gray.width === SIDE && gray.height === SIDE
      ? { pixels: gray.pixels, conversion: null }
      : undefined;
  const png = PNG.sync.read(buf);
  if (png.width !== SIDE || png.height !== SIDE) return undefined;
  const rgba = png.data;
  const out = new Uint8Array(PIXELS);
  let isGray = true;
  for (let i = 0; i < PIXELS; i++) {
    const r = rgba[i * 4]!;
    const g = rgba[i * 4 + 1]!;
    const b = rgba[i * 4 + 2]!;
    if (r !== g || g !== b) isGray = false;
    out[i] = r === g && g === b ? r : luma(r, g, b);
  }
  // 48x48 gray input is stored as is; anything else is described so the provenance stays visible.
  return { pixels: out, conversion: isGray ? null : "png 48x48 rgb -> gray (BT.601 luma)" };
}

/**
 * Any image sharp reads (PNG, JPEG, WebP, ...), any size: flattened on black, converted to grayscale and
 * centre-cropped to a square ("cover") before resizing, so faces keep their aspect ratio.
 */
export async function convertImage(buf: Buffer): Promise<TDecoded> {
  const meta = await sharp(buf).metadata();
  if (!meta.width || !meta.height) throw new Error("unreadable image");
  const { data, info } = await sharp(buf)
    .flatten({ background: "#000000" })
    .grayscale()
    .resize(SIDE, SIDE, { fit: "cover", position: "centre", kernel: "lanczos3" })
    .toColourspace("b-w")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || data.length !== PIXELS) throw new Error("conversion did not give 48x48 gray");
  const kind = meta.channels === 1 || meta.channels === 2 ? "gray" : "rgb";
  const same = meta.width === SIDE && meta.height === SIDE && kind === "gray";
  return {
    pixels: new Uint8Array(data),
    conversion: same
      ? null
      : `${meta.format} ${meta.width}x${meta.height} ${kind} -> gray, cover ${SIDE}x${SIDE}`,
  };
}

/** PNGs take the pngjs path when they are 48x48; everything else goes through sharp. */
export async function decodeImage(buf: Buffer, fileName: string): Promise<TDecoded> {
  if (/\.png$/i.test(fileName)) {
    const fast = decodePng48(buf);
    if (fast) return fast;
  }
  return convertImage(buf);
}

/** Encodes 48x48 gray pixels as a PNG (tests, fixtures, thumbnails). */
export function encodePng48(pixels: Uint8Array): Buffer {
  const png = new PNG({ width: SIDE, height: SIDE, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(pixels);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}
