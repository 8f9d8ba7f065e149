// Hostile files for the import tests: a valid gray PNG and its broken variants, built byte by byte so each
// defect is exactly the one named (bad CRC, cut in half, a 20000x20000 header over a few bytes of data).
import { crc32, deflateSync } from "node:zlib";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([len, typed, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = 8; // bit depth
  h[9] = 0; // grayscale
  return chunk("IHDR", h);
}

export function grayPng(width = 48, height = 48, seed = 1): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = (x * 5 + y * 3 + seed * 17) & 0xff;
  return Buffer.concat([
    SIGNATURE,
    ihdr(width, height),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// Same size, but bytes inside the compressed data are overwritten (the chunk CRC no longer matches).
export function corruptPng(): Buffer {
  const png = Buffer.from(grayPng(48, 48, 2));
  for (let i = 45; i < 75; i++) png[i] = 0xa5;
  return png;
}

// A download cut off half way: no IEND, IDAT incomplete.
export function truncatedPng(): Buffer {
  const png = grayPng(48, 48, 3);
  return png.subarray(0, Math.floor(png.length / 2));
}

// Decompression-bomb shape: a header claiming 20000x20000 (400 Mpixel) over a tiny IDAT.
export function hugeHeaderPng(): Buffer {
  const rows = Buffer.alloc(20_001 * 4); // four scanlines of data, far from 20000
  return Buffer.concat([
    SIGNATURE,
    ihdr(20_000, 20_000),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export const NOT_AN_IMAGE = Buffer.from("#!/bin/sh\necho this is a shell script, not a face\n");
