// Minimal RFC 4180 line splitter: the inputs (label.csv, fer2013.csv, votes.csv) are one record per line, with
// quoted fields only for the FER+ face box "(0, 0, 48, 48)". Returns undefined on an unterminated quote so the
// caller can reject the row as malformed instead of guessing.
export function splitCsvLine(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    if (line[i] === '"') {
      let field = "";
      i++;
      while (true) {
        if (i >= n) return undefined;
        const c = line[i];
        if (c === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      out.push(field);
      if (i < n && line[i] !== ",") return undefined;
    } else {
      const end = line.indexOf(",", i);
      out.push(end === -1 ? line.slice(i) : line.slice(i, end));
      i = end === -1 ? n : end;
    }
    if (i >= n) return out;
    i++; // skip the comma
  }
}

// Lines of a text file with their 1-based line numbers, skipping blank lines and tolerating CRLF and a BOM.
export function csvLines(text: string): { line: number; text: string }[] {
  const rows: { line: number; text: string }[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (let k = 0; k < lines.length; k++) {
    const t = (lines[k] ?? "").replace(/\r$/, "");
    if (t.trim() !== "") rows.push({ line: k + 1, text: t });
  }
  return rows;
}
