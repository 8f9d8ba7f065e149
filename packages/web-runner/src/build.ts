// `next build` once per source state. Staleness is a hash of the content of every file the web app compiles
// from, not mtimes: a checkout, a rebase or a touched file that ends up with the same bytes builds nothing,
// and an edit that keeps an old mtime still builds.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths";

// Kept inside .next: a deleted or replaced build takes its stamp with it.
const STAMP = "concord-source-stamp";
// Workspaces the web app never compiles: a change there must not cost a build.
const NOT_IN_WEB_BUILD = ["packages/e2e/", "packages/web-runner/"];

export function sourceStamp(root = repoRoot): string {
  const listed = spawnSync(
    "git",
    [
      "ls-files",
      "--cached",
      "--others",
      "--exclude-standard",
      "--",
      "apps/web",
      "packages",
      "package-lock.json",
    ],
    { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${root}: ${listed.stderr}`);
  const files = listed.stdout
    .split("\n")
    .filter(
      (f) =>
        f && !NOT_IN_WEB_BUILD.some((dir) => f.startsWith(dir)) && /\.(tsx?|mjs|cjs|js|json|css)$/.test(f),
    )
    .sort();
  const h = createHash("sha256");
  for (const f of files) {
    const p = join(root, f);
    if (!existsSync(p)) continue; // deleted but not yet staged
    h.update(f);
    h.update(readFileSync(p));
  }
  return h.digest("hex");
}

export type TBuildOptions = {
  log: (m: string) => void;
  force?: boolean; // build even when the stamp matches
  reuseExisting?: boolean; // keep any existing build, stale or not (measuring a build as it is)
  echo?: boolean; // show the build's output live instead of only in the error
  env?: Record<string, string | undefined>;
  root?: string;
};

export type TBuildResult = { built: boolean; ms: number; why: string };

function runBuild(webDir: string, env: Record<string, string | undefined>, echo: boolean): Promise<void> {
  // The app's own build script: whatever bundler flags apps/web settles on, in production mode.
  const child = spawn("npm", ["run", "build"], {
    cwd: webDir,
    env: { ...process.env, ...env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
    stdio: ["ignore", echo ? "inherit" : "pipe", echo ? "inherit" : "pipe"],
  });
  let output = "";
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return new Promise((ok, fail) => {
    child.once("error", fail);
    child.once("exit", (code) =>
      code === 0 ? ok() : fail(new Error(`next build failed (exit ${code})${echo ? "" : `:\n${output}`}`)),
    );
  });
}

// Callers hold WEB_BUILD_LOCK around this (and around the server that serves the build).
export async function buildWebIfStale(options: TBuildOptions): Promise<TBuildResult> {
  const root = options.root ?? repoRoot;
  const webDir = join(root, "apps/web");
  const buildId = join(webDir, ".next", "BUILD_ID");
  const stampFile = join(webDir, ".next", STAMP);
  const hasBuild = existsSync(buildId);
  if (hasBuild && options.reuseExisting && !options.force)
    return { built: false, ms: 0, why: "reusing the existing build as asked" };
  const stamp = sourceStamp(root);
  const fresh = hasBuild && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;
  if (fresh && !options.force) return { built: false, ms: 0, why: "sources unchanged since the last build" };
  const why = options.force ? "rebuild forced" : hasBuild ? "sources changed" : "no build yet";
  options.log(`building apps/web (${why}; npm run build)…`);
  const t0 = Date.now();
  // A build that dies half way must not look fresh next time.
  rmSync(stampFile, { force: true });
  await runBuild(webDir, options.env ?? {}, options.echo ?? false);
  // The stamp taken before the build: an edit made while it ran is seen as a change next time.
  writeFileSync(stampFile, stamp);
  return { built: true, ms: Date.now() - t0, why };
}
