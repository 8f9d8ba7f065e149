// Hostile files for the import tests: a valid gray PNG and its broken variants, built byte by byte so each
// defect is exactly the one named (bad CRC, cut in half, a 20000x20000 header over a few bytes of data).
import { deflateSync } from "node:zlib";
import { encodeGrayPng, gray8Header, PNG_SIGNATURE, pngChunk } from "@concord/importer/png";

export function grayPng(width = 48, height = 48, seed = 1): Buffer {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels[y * width + x] = (x * 5 + y * 3 + seed * 17) & 0xff;
  return encodeGrayPng(pixels, width, height);
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
    PNG_SIGNATURE,
    gray8Header(20_000, 20_000),
    pngChunk("IDAT", deflateSync(rows)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

export const NOT_AN_IMAGE = Buffer.from("#!/bin/sh\necho this is a shell script, not a face\n");
