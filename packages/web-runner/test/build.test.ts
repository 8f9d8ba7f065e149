import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebIfStale, sourceStamp } from "../src/build";

// A checkout in miniature: apps/web whose build script writes .next/BUILD_ID and counts its runs.
let root: string;
const write = (rel: string, text: string) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};
const builds = () => readFileSync(join(root, "builds.log"), "utf8").length;
const quiet = { log: () => {} };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "web-runner-build-"));
  write(".gitignore", ".next/\nbuilds.log\n");
  write(
    "apps/web/package.json",
    JSON.stringify({ name: "fake-web", private: true, scripts: { build: "node build.mjs" } }),
  );
  write(
    "apps/web/build.mjs",
    `import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
if (process.env.FAIL_BUILD) { console.error("compile error in page.tsx"); process.exit(1); }
mkdirSync(".next", { recursive: true });
writeFileSync(".next/BUILD_ID", String(Date.now()));
appendFileSync("../../builds.log", "x");`,
  );
  write("apps/web/src/page.tsx", "export const a = 1;\n");
  write("packages/crowd/src/index.ts", "export const b = 2;\n");
  write("packages/e2e/test/x.test.ts", "export const c = 3;\n");
  write("builds.log", "");
  spawnSync("git", ["init", "-q"], { cwd: root });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("buildWebIfStale", () => {
  it("builds the first time, then not until a source's content changes", async () => {
    expect((await buildWebIfStale({ ...quiet, root })).built).toBe(true);
    expect(builds()).toBe(1);
    expect((await buildWebIfStale({ ...quiet, root })).built).toBe(false);
    // A newer mtime with the same bytes is not a change.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, "apps/web/src/page.tsx"), later, later);
    expect((await buildWebIfStale({ ...quiet, root })).built).toBe(false);
    write("packages/crowd/src/index.ts", "export const b = 3;\n");
    const r = await buildWebIfStale({ ...quiet, root });
    expect(r).toMatchObject({ built: true, why: "sources changed" });
    expect(builds()).toBe(2);
  });

  it("ignores workspaces the web app does not compile", async () => {
    const before = sourceStamp(root);
    write("packages/e2e/test/x.test.ts", "export const c = 4;\n");
    expect(sourceStamp(root)).toBe(before);
    write("packages/e2e/new.ts", "export {};\n"); // untracked files count too, outside e2e
    expect(sourceStamp(root)).toBe(before);
    write("apps/web/src/new.ts", "export {};\n");
    expect(sourceStamp(root)).not.toBe(before);
  });

  it("force rebuilds; reuseExisting keeps a stale build", async () => {
    await buildWebIfStale({ ...quiet, root });
    const n = builds();
    expect((await buildWebIfStale({ ...quiet, root, force: true })).built).toBe(true);
    write("apps/web/src/page.tsx", "export const a = 2;\n");
    expect((await buildWebIfStale({ ...quiet, root, reuseExisting: true })).built).toBe(false);
    expect(builds()).toBe(n + 1);
  });

  it("a failed build throws with its output and does not count as fresh", async () => {
    write("apps/web/src/page.tsx", "export const a = 3;\n");
    await expect(buildWebIfStale({ ...quiet, root, env: { FAIL_BUILD: "1" } })).rejects.toThrow(
      /exit 1[\s\S]*compile error in page\.tsx/,
    );
    // The old BUILD_ID is still there; without a stamp the next call builds again.
    const n = builds();
    expect((await buildWebIfStale({ ...quiet, root })).built).toBe(true);
    expect(builds()).toBe(n + 1);
  });
});
