// Pure formatting helpers shared by pages, exports and tests (no server-only: unit-tested directly).

// RFC 4180 field quoting: quote when the value holds a comma, quote, CR or LF; double inner quotes.
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const s = typeof value === "number" && !Number.isFinite(value) ? "" : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: Iterable<readonly unknown[]>): string {
  const lines = [header.map(csvField).join(",")];
  for (const row of rows) lines.push(row.map(csvField).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

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

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
