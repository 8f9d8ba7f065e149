// ARCHITECTURE.md's "Repository" table as rules: per workspace path, the workspaces it may import and the
// modules it must not, plus the module groups those bans name. The document is the only place they are written.
export type TBan = { pattern: string; libraryOnly: boolean };
// declared: the row fills "may import" (rows of folders that are no workspace, like prisma/, leave it empty).
export type TRule = { path: string; allowed: string[]; bans: TBan[]; declared: boolean };
export type TArchitecture = { rules: TRule[]; groups: Map<string, string[]> };

type TTable = { header: string[]; rows: string[][] };

function cellsOf(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((c) => c.trim());
}

// Every markdown table of the text, in order.
function tablesOf(markdown: string): TTable[] {
  const tables: TTable[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith("|") || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1]!)) continue;
    const header = cellsOf(lines[i]!);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith("|"); j++) rows.push(cellsOf(lines[j]!));
    tables.push({ header, rows });
    i = j;
  }
  return tables;
}

const ticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

// "`@concord/crowd`, `@concord/db`; not `tfjs`, `node-io` in library" (or "none; not ...", or empty).
export function parseMayImport(path: string, cell: string): TRule {
  const [left = "", ...rest] = cell.split(/;\s*not\s+/);
  const allowed = ticked(left);
  if (allowed.length === 0 && left.trim() !== "none")
    throw new Error(`ARCHITECTURE.md: "may import" of ${path} must list workspaces or say none: "${cell}"`);
  const bans = rest
    .join(", ")
    .split(",")
    .filter((item) => item.trim())
    .map((item) => {
      const [pattern, ...more] = ticked(item);
      if (!pattern || more.length)
        throw new Error(`ARCHITECTURE.md: ban "${item.trim()}" of ${path} must name one module or group`);
      return { pattern, libraryOnly: /\bin library\b/.test(item) };
    });
  return { path, allowed, bans, declared: true };
}

export function parseArchitecture(markdown: string): TArchitecture {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("Repository"));
  if (!section) throw new Error('ARCHITECTURE.md has no "## Repository" section');
  const tables = tablesOf(section);
  const repo = tables.find((t) => t.header.includes("path") && t.header.includes("may import"));
  if (!repo)
    throw new Error('ARCHITECTURE.md: no table with "path" and "may import" columns under Repository');
  const pathCol = repo.header.indexOf("path");
  const importCol = repo.header.indexOf("may import");
  const rules: TRule[] = [];
  for (const row of repo.rows) {
    const path = ticked(row[pathCol] ?? "")[0]?.replace(/\/$/, "");
    if (!path) throw new Error(`ARCHITECTURE.md: a Repository row without a path: ${row.join(" | ")}`);
    const cell = row[importCol] ?? "";
    if (cell.trim()) rules.push(parseMayImport(path, cell));
    else rules.push({ path, allowed: [], bans: [], declared: false });
  }
  const groupTable = tables.find((t) => t.header[0] === "group" && t.header[1] === "modules");
  const groups = new Map<string, string[]>();
  for (const row of groupTable?.rows ?? []) groups.set(ticked(row[0] ?? "")[0] ?? "", ticked(row[1] ?? ""));
  return { rules, groups };
}
