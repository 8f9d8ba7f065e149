// The stored 48x48 8-bit grayscale faces as PNG: the encoder is @concord/importer's, beside its decoder.
import { encodeGrayPng } from "@concord/importer/png";

export { encodeGrayPng };

// compress: false for the labelling page's face (every vote's answer carries one): no deflate work, ~800 more
// bytes of base64 per 48x48 face (see encodeGrayPng).
export function grayPngDataUrl(
  pixels: Uint8Array,
  width: number,
  height: number,
  options?: { compress?: boolean },
): string {
  return `data:image/png;base64,${encodeGrayPng(pixels, width, height, options).toString("base64")}`;
}
