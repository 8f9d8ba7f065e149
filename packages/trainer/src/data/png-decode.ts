import { PNG } from "pngjs";
import { PIXELS, SIZE } from "./augment";

/**
 * Decodes a PNG (any size, gray/RGB/RGBA/palette, 8 or 16 bit: pngjs normalises to RGBA8) into 48x48 8-bit
 * grayscale written at `out[offset..]`. Colour uses ITU-R BT.601 luma; other sizes are resampled bilinearly.
 */
export function decodePngInto(
  bytes: Buffer,
  out: Uint8Array,
  offset: number,
): { width: number; height: number } {
  const png = PNG.sync.read(bytes);
  const { width, height, data } = png;
  const gray = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    gray[i] =
      0.299 * (data[4 * i] as number) +
      0.587 * (data[4 * i + 1] as number) +
      0.114 * (data[4 * i + 2] as number);
  }
  if (width === SIZE && height === SIZE) {
    for (let i = 0; i < PIXELS; i++) out[offset + i] = Math.round(gray[i] as number);
    return { width, height };
  }
  for (let y = 0; y < SIZE; y++) {
    const sy = Math.min(height - 1, Math.max(0, ((y + 0.5) * height) / SIZE - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = sy - y0;
    for (let x = 0; x < SIZE; x++) {
      const sx = Math.min(width - 1, Math.max(0, ((x + 0.5) * width) / SIZE - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = sx - x0;
      const top = (gray[y0 * width + x0] as number) * (1 - fx) + (gray[y0 * width + x1] as number) * fx;
      const bottom = (gray[y1 * width + x0] as number) * (1 - fx) + (gray[y1 * width + x1] as number) * fx;
      out[offset + y * SIZE + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { width, height };
}
