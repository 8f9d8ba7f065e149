// ARCHITECTURE.md's Repository table, enforced: every import of every workspace's source files against the
// "may import" column. The rules live in the document only; this file knows no path inside any package.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkFile,
  checkTable,
  formatViolation,
  isLibraryFile,
  listWorkspaces,
  sourceFilesOf,
  type TWorkspace,
} from "./architecture/check";
import { importsOf } from "./architecture/imports";
import { parseArchitecture, parseMayImport } from "./architecture/table";

const root = resolve(import.meta.dirname, "../../..");
const arch = parseArchitecture(readFileSync(join(root, "ARCHITECTURE.md"), "utf8"));
const workspaces = listWorkspaces(root);

describe("the architecture table", () => {
  it("has a row per workspace, and grants no package -> app or app -> app arrow", () => {
    expect(workspaces.length).toBeGreaterThan(5);
    expect(checkTable(arch, workspaces)).toEqual([]);
  });

  it("no source file imports across an arrow the table forbids", () => {
    const violations: string[] = [];
    let files = 0;
    for (const w of workspaces) {
      const rule = arch.rules.find((r) => r.path === w.dir);
      if (!rule) continue; // reported by the test above
      for (const file of sourceFilesOf(root, w.dir)) {
        files++;
        const text = readFileSync(join(root, file), "utf8");
        violations.push(...checkFile(arch, rule, workspaces, file, text).map(formatViolation));
      }
    }
    expect(files).toBeGreaterThan(100);
    expect(violations.join("\n")).toBe("");
  });
});

// The checker itself, on made-up files: each rule must be able to fail.
describe("the import checker", () => {
  const fakeWorkspaces: TWorkspace[] = [
    { dir: "apps/web", name: "@concord/web" },
    { dir: "packages/crowd", name: "@concord/crowd" },
    { dir: "packages/e2e", name: "@concord/e2e" },
    { dir: "packages/trainer", name: "@concord/trainer" },
    { dir: "packages/jobs", name: "@concord/jobs" },
  ];
  const fake = {
    rules: [
      parseMayImport("packages/e2e", "`@concord/crowd`"),
      parseMayImport("packages/crowd", "none; not `node-io` in library, `@tensorflow/*`"),
      parseMayImport(
        "packages/trainer",
        "`@concord/crowd`, `@concord/jobs/run-config`; not `prisma`, `bullmq`",
      ),
    ],
    groups: new Map([
      ["node-io", ["node:fs", "node:child_process"]],
      ["prisma", ["@prisma/*", "prisma"]],
    ]),
  };
  const check = (path: string, file: string, text: string) =>
    checkFile(fake, fake.rules.find((r) => r.path === path)!, fakeWorkspaces, file, text).map(
      formatViolation,
    );

  it("finds every form of import, with its line", () => {
    const text = [
      'import a from "a";',
      'import type { B } from "b";',
      'export { c } from "c";',
      'export * from "d";',
      'const e = await import("e");',
      'const f = require("f");',
      'import g = require("g");',
      'type H = import("h").H;',
      "const i = await import(`i`);",
      "const j = await import(name);",
      'require.resolve("not-an-import");',
    ].join("\n");
    expect(importsOf("x.ts", text)).toEqual(
      ["a", "b", "c", "d", "e", "f", "g", "h", "i"].map((specifier, k) => ({ specifier, line: k + 1 })),
    );
    expect(importsOf("x.mjs", 'import x from "m";\nconst y = require("n");').map((i) => i.specifier)).toEqual(
      ["m", "n"],
    );
  });

  it("flags a package importing an app, by name or by relative path", () => {
    expect(
      check("packages/e2e", "packages/e2e/src/web.ts", 'import { x } from "@concord/web/bench/server";'),
    ).toEqual([
      'packages/e2e/src/web.ts:1: packages/e2e -> apps/web ("@concord/web/bench/server"): @concord/web is not in the "may import" of packages/e2e',
    ]);
    expect(
      check("packages/e2e", "packages/e2e/src/web.ts", 'export * from "../../../apps/web/src/x";'),
    ).toHaveLength(1);
    expect(
      check("packages/e2e", "packages/e2e/test/a.test.ts", 'import "@concord/crowd";\nimport "../src/b";'),
    ).toEqual([]);
  });

  it("bans modules, groups and scopes; library-only bans spare the CLI, tests and scripts", () => {
    expect(
      check(
        "packages/trainer",
        "packages/trainer/src/run/train.ts",
        'import { PrismaClient } from "@prisma/client";\nimport "bullmq/dist/x";',
      ),
    ).toEqual([
      "packages/trainer/src/run/train.ts:1: packages/trainer -> @prisma/client: packages/trainer may not import `prisma`",
      "packages/trainer/src/run/train.ts:2: packages/trainer -> bullmq/dist/x: packages/trainer may not import `bullmq`",
    ]);
    expect(check("packages/trainer", "packages/trainer/src/x.ts", 'import "@concord/db";')).toHaveLength(1);
    // A subpath grant is that export only.
    const jobs =
      'import "@concord/jobs/run-config";\nimport "@concord/jobs";\nimport "@concord/jobs/run-configs";';
    expect(check("packages/trainer", "packages/trainer/src/x.ts", jobs).map((v) => v.split(": ")[0])).toEqual(
      ["packages/trainer/src/x.ts:2", "packages/trainer/src/x.ts:3"],
    );
    const io = 'import { readFileSync } from "fs";\nimport { spawn } from "node:child_process";';
    expect(check("packages/crowd", "packages/crowd/src/aggregate.ts", io)).toHaveLength(2);
    for (const spared of ["src/cli.ts", "src/cli/main.ts", "test/cli.test.ts", "scripts/sim.ts", "bin/x.mjs"])
      expect(check("packages/crowd", `packages/crowd/${spared}`, io)).toEqual([]);
    expect(
      check("packages/crowd", "packages/crowd/test/a.test.ts", 'import "@tensorflow/tfjs";'),
    ).toHaveLength(1);
    expect(isLibraryFile("packages/crowd", "packages/crowd/src/deep/clip.ts")).toBe(false);
    expect(isLibraryFile("packages/crowd", "packages/crowd/src/deep/agreement.ts")).toBe(true);
  });

  it("a table that lets a package import an app, or an app another app, is refused", () => {
    const bad = {
      rules: [
        parseMayImport("packages/e2e", "`@concord/web`"),
        parseMayImport("apps/web", "`@concord/worker`"),
        { path: "packages/crowd", allowed: [], bans: [], declared: false },
      ],
      groups: new Map(),
    };
    const ws = [...fakeWorkspaces, { dir: "apps/worker", name: "@concord/worker" }];
    expect(checkTable(bad, ws)).toEqual([
      "packages/trainer (@concord/trainer) has no row in ARCHITECTURE.md's Repository table",
      "packages/jobs (@concord/jobs) has no row in ARCHITECTURE.md's Repository table",
      "apps/worker (@concord/worker) has no row in ARCHITECTURE.md's Repository table",
      "packages/e2e may import the app apps/web: no package imports an app",
      "apps/web may import apps/worker: apps never import each other",
      'packages/crowd has an empty "may import" (write none if it imports none)',
    ]);
    expect(() => parseMayImport("packages/x", "crowd")).toThrow(/must list workspaces or say none/);
  });
});
