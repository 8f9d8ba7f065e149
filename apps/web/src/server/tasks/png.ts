// The stored 48x48 8-bit grayscale faces as PNG: the encoder is @concord/importer's, beside its decoder.
import { encodeGrayPng } from "@concord/importer/png";

export { encodeGrayPng };

export function grayPngDataUrl(pixels: Uint8Array, width: number, height: number): string {
  return `data:image/png;base64,${encodeGrayPng(pixels, width, height).toString("base64")}`;
}
