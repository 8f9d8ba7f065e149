// Which arrows a workspace's files draw, and which of them the architecture table forbids.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, posix } from "node:path";
import { importsOf } from "./imports";
import type { TArchitecture, TRule } from "./table";

export type TWorkspace = { dir: string; name: string }; // dir relative to the repository root, "packages/crowd"
export type TViolation = { file: string; line: number; arrow: string; why: string };

const SOURCE = /\.(ts|tsx|mts|cts|mjs|cjs)$/;

// The root package.json's workspaces ("apps/*", "packages/*" or plain folders) that hold a package.json.
export function listWorkspaces(root: string): TWorkspace[] {
  const globs = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] })
    .workspaces;
  const dirs = globs.flatMap((g) =>
    g.endsWith("/*")
      ? readdirSync(join(root, g.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => `${g.slice(0, -2)}/${d.name}`)
      : [g],
  );
  return dirs
    .filter((dir) => existsSync(join(root, dir, "package.json")))
    .map((dir) => ({
      dir,
      name: (JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as { name: string }).name,
    }))
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

// Tracked and new (not ignored) source files: generated clients, node_modules and .next stay out.
export function sourceFilesOf(root: string, dir: string): string[] {
  const listed = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", dir], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  return listed.stdout
    .split("\n")
    .filter((f) => SOURCE.test(f) && existsSync(join(root, f)))
    .sort();
}

// Library files: the package's own code under src/, its CLI (a file or folder named cli*) excepted.
export function isLibraryFile(workspaceDir: string, file: string): boolean {
  const inside = posix.relative(workspaceDir, file).split("/");
  return inside[0] === "src" && !inside.slice(1).some((part) => part.startsWith("cli"));
}

function normalizeModule(specifier: string): string {
  return isBuiltin(specifier) && !specifier.startsWith("node:") ? `node:${specifier}` : specifier;
}

function matches(specifier: string, pattern: string): boolean {
  if (pattern.endsWith("/*")) return specifier.startsWith(pattern.slice(0, -1));
  return specifier === pattern || specifier.startsWith(`${pattern}/`);
}

function workspaceOfPath(workspaces: TWorkspace[], path: string): TWorkspace | undefined {
  return workspaces.find((w) => path === w.dir || path.startsWith(`${w.dir}/`));
}

// The workspace a specifier points into (by package name or by a relative path), if any.
function targetWorkspace(workspaces: TWorkspace[], file: string, specifier: string): TWorkspace | undefined {
  if (specifier.startsWith(".")) return workspaceOfPath(workspaces, posix.join(dirname(file), specifier));
  if (!specifier.startsWith("@concord/")) return undefined;
  const name = specifier.split("/").slice(0, 2).join("/");
  return workspaces.find((w) => w.name === name) ?? { dir: `(no workspace ${name})`, name };
}

// The whole workspace, or one export of it ("@concord/jobs/run-config": that subpath only, by package name).
function isGranted(rule: TRule, target: TWorkspace, specifier: string): boolean {
  return rule.allowed.some(
    (grant) =>
      grant === target.name ||
      (grant.startsWith(`${target.name}/`) && (specifier === grant || specifier.startsWith(`${grant}/`))),
  );
}

export function checkFile(
  arch: TArchitecture,
  rule: TRule,
  workspaces: TWorkspace[],
  file: string,
  text: string,
): TViolation[] {
  const self = workspaceOfPath(workspaces, file);
  const violations: TViolation[] = [];
  for (const { specifier, line } of importsOf(file, text)) {
    if (specifier.startsWith("@/")) continue; // the workspace's own tsconfig alias
    const target = targetWorkspace(workspaces, file, specifier);
    if (target) {
      if (target.dir !== self?.dir && !isGranted(rule, target, specifier))
        violations.push({
          file,
          line,
          arrow: `${rule.path} -> ${target.dir} ("${specifier}")`,
          why: `${target.name} is not in the "may import" of ${rule.path}`,
        });
      continue;
    }
    if (specifier.startsWith(".")) continue; // inside the workspace, or outside every workspace
    const module = normalizeModule(specifier);
    for (const ban of rule.bans) {
      if (ban.libraryOnly && !isLibraryFile(rule.path, file)) continue;
      const patterns = (arch.groups.get(ban.pattern) ?? [ban.pattern]).map(normalizeModule);
      if (patterns.some((p) => matches(module, p)))
        violations.push({
          file,
          line,
          arrow: `${rule.path} -> ${specifier}`,
          why: `${rule.path} may not import \`${ban.pattern}\`${ban.libraryOnly ? " in library files" : ""}`,
        });
    }
  }
  return violations;
}

// Rows that do not match the workspaces, and grants the architecture never allows whatever the table says.
export function checkTable(arch: TArchitecture, workspaces: TWorkspace[]): string[] {
  const problems: string[] = [];
  const byDir = new Map(workspaces.map((w) => [w.dir, w]));
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  for (const w of workspaces) {
    const rule = arch.rules.find((r) => r.path === w.dir);
    if (!rule) problems.push(`${w.dir} (${w.name}) has no row in ARCHITECTURE.md's Repository table`);
  }
  for (const rule of arch.rules) {
    if (!byDir.has(rule.path)) {
      if (rule.declared) problems.push(`row ${rule.path} has a "may import" but is not a workspace`);
      continue;
    }
    if (!rule.declared)
      problems.push(`${rule.path} has an empty "may import" (write none if it imports none)`);
    for (const grant of rule.allowed) {
      const name = grant.split("/").slice(0, 2).join("/");
      const target = byName.get(name);
      if (!target) problems.push(`${rule.path} may import ${name}, which is no workspace`);
      else if (target.dir.startsWith("apps/") && rule.path.startsWith("packages/"))
        problems.push(`${rule.path} may import the app ${target.dir}: no package imports an app`);
      else if (target.dir.startsWith("apps/") && rule.path.startsWith("apps/"))
        problems.push(`${rule.path} may import ${target.dir}: apps never import each other`);
    }
  }
  return problems;
}

export function formatViolation(v: TViolation): string {
  return `${v.file}:${v.line}: ${v.arrow}: ${v.why}`;
}
