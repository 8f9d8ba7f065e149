// Minimal ustar writer: a model artifact folder (model.json + weights) downloads as one .tar that every
// OS opens, with no archive dependency. Pure; unit-tested against the format's fixed offsets.
export type TTarEntry = { name: string; data: Uint8Array; mtime?: Date };

function writeString(buf: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > length) throw new Error(`tar: "${value}" longer than ${length} bytes`);
  buf.set(bytes, offset);
}

function writeOctal(buf: Uint8Array, offset: number, length: number, value: number): void {
  writeString(buf, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

export function tarHeader(entry: TTarEntry): Uint8Array {
  const h = new Uint8Array(512);
  writeString(h, 0, 100, entry.name);
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, entry.data.length);
  writeOctal(h, 136, 12, Math.floor((entry.mtime ?? new Date(0)).getTime() / 1000));
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h[156] = 0x30; // "0": regular file
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

export function buildTar(entries: readonly TTarEntry[]): Uint8Array<ArrayBuffer> {
  const size = entries.reduce((n, e) => n + 512 + Math.ceil(e.data.length / 512) * 512, 1024);
  const out = new Uint8Array(size);
  let o = 0;
  for (const e of entries) {
    out.set(tarHeader(e), o);
    o += 512;
    out.set(e.data, o);
    o += Math.ceil(e.data.length / 512) * 512;
  }
  return out; // trailing two zero blocks are already zero
}
