// The production server under test: `next build` (only when the sources are newer than the build) and
// `next start` on a loopback port, pointed at the bench's own database. Used by the vote benchmark.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

export const webDir = resolve(import.meta.dirname, "..");
export const repoRoot = resolve(webDir, "../..");
const nextBin = join(repoRoot, "node_modules/next/dist/bin/next");

// Holds flock(1) on a file while the bench runs: the e2e harness takes the same lock around its build and
// server, so neither rebuilds .next under the other. The child owns the lock until its stdin closes.
export async function holdLock(file: string): Promise<() => void> {
  const child = spawn("flock", [file, "sh", "-c", "echo locked; exec cat"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const note = setTimeout(() => console.log(`bench: waiting for ${file} (an e2e run holds it)…`), 2000);
  await new Promise<void>((ok, fail) => {
    child.stdout.once("data", () => ok());
    child.once("exit", (code) => fail(new Error(`flock ${file} exited with ${code}`)));
  });
  clearTimeout(note);
  return () => child.stdin.end();
}

function newestSourceMtime(): number {
  const files = spawnSync(
    "git",
    ["ls-files", "--cached", "--others", "--exclude-standard", "--", "apps/web/src", "packages/*/src"],
    { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  ).stdout.split("\n");
  let newest = 0;
  for (const f of files) {
    const p = join(repoRoot, f);
    if (f && existsSync(p)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

// Builds apps/web unless .next/BUILD_ID is newer than every source file (CONCORD_BENCH_REBUILD=1 forces a
// build; CONCORD_BENCH_REUSE_BUILD=1 measures whatever build exists).
export function buildIfStale(log: (m: string) => void): void {
  const buildId = join(webDir, ".next", "BUILD_ID");
  const fresh = existsSync(buildId) && statSync(buildId).mtimeMs > newestSourceMtime();
  if (fresh && !process.env.CONCORD_BENCH_REBUILD) {
    log("bench: reusing the production build in apps/web/.next");
    return;
  }
  // The shared checkout moves while others work: measure an existing build as it is when asked to.
  if (existsSync(buildId) && process.env.CONCORD_BENCH_REUSE_BUILD) {
    log(
      `bench: CONCORD_BENCH_REUSE_BUILD set: measuring the existing build (${statSync(buildId).mtime.toISOString()})`,
    );
    return;
  }
  log("bench: npm run build (sources changed since the last build)…");
  const t0 = Date.now();
  // The package's own build script (whatever bundler flags apps/web settles on), production mode.
  const r = spawnSync("npm", ["run", "build"], {
    cwd: webDir,
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`next build failed (${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  log(`bench: next build took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export type TWebServer = {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
  child: ChildProcess;
};

// `next start` in its own process group (stopped by its id), NODE_ENV=production, loopback only.
export async function startWeb(
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<TWebServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(
    process.execPath,
    [...nodeArgs, nextBin, "start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: webDir,
      env: {
        ...process.env,
        NODE_ENV: "production",
        DATABASE_URL: databaseUrl,
        NEXTAUTH_URL: url,
        NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
        NEXT_TELEMETRY_DISABLED: "1",
        ...extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const append = (c: Buffer) => {
    output = (output + c.toString()).slice(-50_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const stop = async () => {
    if (!child.pid || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await new Promise((r) => {
      const t = setTimeout(() => {
        try {
          process.kill(-(child.pid as number), "SIGKILL");
        } catch {}
        r(null);
      }, 5000);
      child.once("exit", () => {
        clearTimeout(t);
        r(null);
      });
    });
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output}`);
    const ok = await fetch(`${url}/login`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return { url, output: () => output, stop, child };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`next start not ready after 60 s:\n${output}`);
}
