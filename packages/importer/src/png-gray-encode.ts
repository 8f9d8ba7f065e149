// PNG writing for 8-bit grayscale, the flavour decodeGray8Png reads: the web app's face images and the e2e
// tests' hostile files. The pieces are exported because those tests assemble broken PNGs on purpose (a
// header that lies about the size, a bad CRC) from the same chunks a valid one is made of.
import { crc32, deflateSync } from "node:zlib";

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// length, type, data, CRC over type + data.
export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([len, typed, crc]);
}

// The IHDR chunk of an 8-bit grayscale, non-interlaced image.
export function gray8Header(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grayscale
  return pngChunk("IHDR", ihdr);
}

// A zlib stream of stored (uncompressed) deflate blocks: header, blocks of at most 65,535 bytes, Adler-32.
// A few microseconds for a 48x48 face where deflateSync takes ~40 us even at level 0 (zlib allocates and
// initialises its ~256 kB of state per call) and ~120-180 us at its default level.
export function zlibStored(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / 0xffff));
  const out = Buffer.alloc(2 + data.length + 5 * blocks + 4);
  out[0] = 0x78; // deflate, 32 kB window
  out[1] = 0x01; // no preset dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const from = b * 0xffff;
    const len = Math.min(0xffff, data.length - from);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    out.writeUInt16LE(len, at + 1);
    out.writeUInt16LE(~len & 0xffff, at + 3);
    out.set(data.subarray(from, from + len), at + 5);
    at += 5 + len;
  }
  let a = 1;
  let c = 0;
  for (let i = 0; i < data.length; ) {
    // 5,552 bytes at most between reductions keep the sums below 2^32 (zlib's NMAX).
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i]!;
      c += a;
    }
    a %= 65521;
    c %= 65521;
  }
  out.writeUInt32BE(((c << 16) | a) >>> 0, at);
  return out;
}

// compress: false writes the image data as stored deflate blocks (~2% larger than the raw pixels, no
// compression work): the labelling page's faces, where the encode was the web's largest single cost per vote.
export function encodeGrayPng(
  pixels: Uint8Array,
  width: number,
  height: number,
  { compress = true }: { compress?: boolean } = {},
): Buffer {
  if (pixels.length !== width * height) {
    throw new Error(`encodeGrayPng: ${pixels.length} bytes for ${width}x${height}`);
  }
  // Each scanline starts with filter type 0 (none).
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    gray8Header(width, height),
    pngChunk("IDAT", compress ? deflateSync(raw) : zlibStored(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}
