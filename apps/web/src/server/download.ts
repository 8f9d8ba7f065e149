// File downloads (CSV / JSON) for the export routes. Pure (no server-only): unit-tested directly.
import { fieldError } from "./http";

export type TExportFormat = "csv" | "json";

export function readFormat(url: URL): TExportFormat {
  const f = url.searchParams.get("format") ?? "csv";
  if (f !== "csv" && f !== "json") throw fieldError("format", "csv or json");
  return f;
}

export function download(body: string, filename: string, format: TExportFormat): Response {
  return new Response(body, {
    headers: {
      "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}

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
