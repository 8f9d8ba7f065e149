import { describe, expect, it } from "vitest";
import { grayToBmp, grayToDataUrl } from "./bmp";

describe("grayToBmp", () => {
  it("writes a valid 8-bit BMP with rows bottom-up and padded to 4 bytes", () => {
    // 3x2 image: row 0 = 10,20,30; row 1 = 40,50,60
    const bmp = grayToBmp(Uint8Array.from([10, 20, 30, 40, 50, 60]), 3, 2);
    const view = new DataView(bmp.buffer);
    expect(String.fromCharCode(bmp[0]!, bmp[1]!)).toBe("BM");
    const offset = view.getUint32(10, true);
    expect(offset).toBe(14 + 40 + 1024);
    expect(view.getUint32(2, true)).toBe(bmp.length);
    expect(bmp.length).toBe(offset + 4 * 2);
    expect(view.getInt32(18, true)).toBe(3);
    expect(view.getUint16(28, true)).toBe(8);
    // First stored row is the bottom row of the image.
    expect(Array.from(bmp.subarray(offset, offset + 4))).toEqual([40, 50, 60, 0]);
    expect(Array.from(bmp.subarray(offset + 4, offset + 8))).toEqual([10, 20, 30, 0]);
    // Palette entry 200 is gray 200.
    expect(Array.from(bmp.subarray(54 + 200 * 4, 54 + 200 * 4 + 3))).toEqual([200, 200, 200]);
  });

  it("refuses a wrong pixel count", () => {
    expect(() => grayToBmp(new Uint8Array(10), 48, 48)).toThrow(/expected 2304 pixels, got 10/);
  });

  it("makes a data URL for a 48x48 face", () => {
    const url = grayToDataUrl(new Uint8Array(48 * 48).fill(128));
    expect(url.startsWith("data:image/bmp;base64,Qk")).toBe(true);
  });
});
