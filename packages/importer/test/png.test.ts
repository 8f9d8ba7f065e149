import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { createRng } from "../src/demo/rng";
import { decodeGray8Png } from "../src/png-gray";

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
