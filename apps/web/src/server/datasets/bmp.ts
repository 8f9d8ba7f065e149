// Leak-guard thumbnails (pure, no server-only: unit-tested directly).

// 8-bit grayscale pixels -> BMP (palette of 256 grays). Browsers render BMP in <img>, so leak-guard thumbnails
// need no PNG encoder on the server and no canvas on the client.
export function grayToBmp(pixels: Uint8Array, width: number, height: number): Uint8Array {
  if (pixels.length !== width * height) {
    throw new Error(`grayToBmp: expected ${width * height} pixels, got ${pixels.length}`);
  }
  const rowSize = Math.ceil(width / 4) * 4;
  const paletteSize = 256 * 4;
  const dataOffset = 14 + 40 + paletteSize;
  const fileSize = dataOffset + rowSize * height;
  const buf = new Uint8Array(fileSize);
  const view = new DataView(buf.buffer);
  buf[0] = 0x42; // "B"
  buf[1] = 0x4d; // "M"
  view.setUint32(2, fileSize, true);
  view.setUint32(10, dataOffset, true);
  view.setUint32(14, 40, true); // BITMAPINFOHEADER
  view.setInt32(18, width, true);
  view.setInt32(22, height, true); // positive: rows stored bottom-up
  view.setUint16(26, 1, true);
  view.setUint16(28, 8, true);
  view.setUint32(34, rowSize * height, true);
  view.setUint32(46, 256, true);
  for (let i = 0; i < 256; i++) {
    const o = 54 + i * 4;
    buf[o] = i;
    buf[o + 1] = i;
    buf[o + 2] = i;
  }
  for (let y = 0; y < height; y++) {
    const src = (height - 1 - y) * width;
    buf.set(pixels.subarray(src, src + width), dataOffset + y * rowSize);
  }
  return buf;
}

export function grayToDataUrl(pixels: Uint8Array, width = 48, height = 48): string {
  return `data:image/bmp;base64,${Buffer.from(grayToBmp(pixels, width, height)).toString("base64")}`;
}
