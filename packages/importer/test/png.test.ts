import { inflateSync } from "node:zlib";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { createRng } from "../src/demo/rng";
import { decodeGray8Png } from "../src/png-gray";
import { encodeGrayPng, pngChunk } from "../src/png-gray-encode";

// pngjs picks the row filter per row heuristically; forcing each filter type in turn checks every unfilter path.
function encode(pixels: Uint8Array, filterType: number): Buffer {
  const png = new PNG({
    width: 48,
    height: 48,
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
    filterType,
  });
  png.data = Buffer.from(pixels);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, filterType });
}

describe("decodeGray8Png", () => {
  const rng = createRng(1);
  const pixels = Uint8Array.from({ length: 2304 }, (_, i) => (i % 48) * 3 + rng.int(40));

  it.each([0, 1, 2, 3, 4])("decodes rows written with filter type %i", (f) => {
    const out = decodeGray8Png(encode(pixels, f));
    expect(out?.width).toBe(48);
    expect(Buffer.from(out!.pixels)).toEqual(Buffer.from(pixels));
  });

  it("fails loudly on truncated, bit-flipped and non-PNG data", () => {
    const good = encode(pixels, 4);
    expect(() => decodeGray8Png(good.subarray(0, good.length - 30))).toThrow(/truncated/);
    const flipped = Buffer.from(good);
    flipped[60]! ^= 0x10;
    expect(() => decodeGray8Png(flipped)).toThrow(/CRC/);
    expect(() => decodeGray8Png(Buffer.from("GIF89a......"))).toThrow(/signature/);
  });

  it("leaves other PNG flavours to pngjs", () => {
    const rgba = new PNG({ width: 4, height: 4 });
    expect(decodeGray8Png(PNG.sync.write(rgba))).toBeUndefined();
  });
});

describe("encodeGrayPng", () => {
  it("writes what an independent decoder (pngjs) reads back, any size", () => {
    const pixels = Uint8Array.from({ length: 7 * 3 }, (_, i) => (i * 37) & 0xff);
    const png = PNG.sync.read(encodeGrayPng(pixels, 7, 3));
    expect([png.width, png.height]).toEqual([7, 3]);
    // pngjs expands to RGBA: every pixel's red channel is the gray value.
    expect(Array.from({ length: 21 }, (_, i) => png.data[i * 4])).toEqual(Array.from(pixels));
    expect(Buffer.from(decodeGray8Png(encodeGrayPng(pixels, 7, 3))!.pixels)).toEqual(Buffer.from(pixels));
  });

  it("compress: false (stored deflate blocks) is read back the same by pngjs, zlib and our decoder", () => {
    for (const [w, h] of [
      [7, 3],
      [48, 48],
      [300, 300], // 90,300 bytes of scanlines: two stored blocks, Adler-32 sums past 5,552 bytes
    ] as const) {
      const pixels = Uint8Array.from({ length: w * h }, (_, i) => (i * 37 + (i >> 7)) & 0xff);
      const stored = encodeGrayPng(pixels, w, h, { compress: false });
      const png = PNG.sync.read(stored);
      expect(Array.from({ length: w * h }, (_, i) => png.data[i * 4])).toEqual(Array.from(pixels));
      expect(Buffer.from(decodeGray8Png(stored)!.pixels)).toEqual(Buffer.from(pixels));
      // The zlib stream itself: node's inflate checks the header, block lengths and the Adler-32.
      const raw = (w + 1) * h;
      const idat = stored.subarray(33 + 8, 33 + 8 + stored.readUInt32BE(33));
      expect(inflateSync(idat).length).toBe(raw);
      expect(idat.length).toBe(2 + raw + 5 * Math.ceil(raw / 0xffff) + 4);
    }
  });

  it("chunks carry the standard CRC (the IEND every PNG ends with)", () => {
    expect(pngChunk("IEND", Buffer.alloc(0)).toString("hex")).toBe("0000000049454e44ae426082");
  });

  it("refuses pixels that do not fill width x height", () => {
    expect(() => encodeGrayPng(new Uint8Array(10), 4, 4)).toThrow(/10 bytes for 4x4/);
  });
});
