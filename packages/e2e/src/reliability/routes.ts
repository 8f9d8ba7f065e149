// Every route handler and page of apps/web, read from the filesystem (the App Router's own source of
// truth), so the authorization matrix cannot silently miss a new route.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { webDir } from "@concord/web-runner";

export const appDir = join(webDir, "src/app");

export type TFsRoute = { kind: "api" | "page"; template: string; methods: string[]; file: string };

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/^(route\.(ts|js)|page\.(tsx|jsx|ts|js))$/.test(name)) out.push(full);
  }
  return out;
}

// "admin/runs/[id]/page.tsx" -> "/admin/runs/[id]"; route groups "(x)" and private "_x" folders drop out.
function templateOf(file: string): string | null {
  const parts = relative(appDir, file).split(sep).slice(0, -1);
  if (parts.some((p) => p.startsWith("_"))) return null;
  const kept = parts.filter((p) => !(p.startsWith("(") && p.endsWith(")")) && !p.startsWith("@"));
  return `/${kept.join("/")}`;
}

// Methods a route module exports: `export const GET = …`, `export async function POST`, `export { h as GET }`.
export function exportedMethods(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:const|let|var|async\s+function|function)\s+([A-Z]+)\b/g))
    if (HTTP_METHODS.includes(m[1]!)) found.add(m[1]!);
  for (const block of source.matchAll(/export\s*\{([^}]*)\}/g))
    for (const item of block[1]!.split(",")) {
      const name = item
        .trim()
        .split(/\s+as\s+/)
        .at(-1)
        ?.trim();
      if (name && HTTP_METHODS.includes(name)) found.add(name);
    }
  return [...found].sort();
}

export function listRoutes(): TFsRoute[] {
  const routes: TFsRoute[] = [];
  for (const file of walk(appDir)) {
    const template = templateOf(file);
    if (template === null) continue;
    if (/route\.(ts|js)$/.test(file)) {
      routes.push({ kind: "api", template, methods: exportedMethods(readFileSync(file, "utf8")), file });
    } else {
      routes.push({ kind: "page", template, methods: ["GET"], file });
    }
  }
  return routes.sort((a, b) => a.template.localeCompare(b.template));
}

// "/api/runs/[id]/cancel" + { id: "x" } -> "/api/runs/x/cancel"; catch-alls take the value as one segment.
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\[\[?(?:\.\.\.)?([^\]]+)\]?\]/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for [${name}] in ${template}`);
    return encodeURIComponent(v);
  });
}
