// CSV reading for the CLI only (the library stays free of I/O). RFC 4180 quoting, CRLF, BOM, blank lines.

export class InputError extends Error {
  override name = "InputError";
}

export type TCsvRow = { line: number; cells: string[] };

function splitLine(text: string, file: string, line: number): string[] {
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === "") quoted = true;
    else if (ch === ",") {
      cells.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (quoted) throw new InputError(`${file}:${line}: unterminated quoted field`);
  cells.push(cur);
  return cells.map((c) => c.trim());
}

/** Parses a CSV with a header; `columns` must appear in the header (any order, extra columns ignored). */
export function parseCsv(text: string, file: string, columns: readonly string[]): TCsvRow[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let headerAt = lines.findIndex((l) => l.trim() !== "");
  if (headerAt < 0) throw new InputError(`${file}: empty file (expected a header ${columns.join(",")})`);
  const header = splitLine(lines[headerAt]!, file, headerAt + 1).map((h) => h.toLowerCase());
  const index = columns.map((c) => header.indexOf(c));
  const missing = columns.filter((_, i) => index[i]! < 0);
  if (missing.length) {
    throw new InputError(
      `${file}:${headerAt + 1}: header must name ${columns.join(",")}; missing ${missing.join(",")}`,
    );
  }
  const rows: TCsvRow[] = [];
  for (let i = ++headerAt; i < lines.length; i++) {
    if (lines[i]!.trim() === "") continue;
    const cells = splitLine(lines[i]!, file, i + 1);
    if (cells.length !== header.length) {
      throw new InputError(`${file}:${i + 1}: expected ${header.length} fields, found ${cells.length}`);
    }
    rows.push({ line: i + 1, cells: index.map((j) => cells[j]!) });
  }
  return rows;
}

/** Quotes a CSV field when needed. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
