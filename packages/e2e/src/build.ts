// `next build` once per source state: the stamp is a hash of every file the web app compiles from.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function sourceStamp(repoRoot: string): string {
  const files = spawnSync(
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
    { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  )
    .stdout.split("\n")
    .filter((f) => f && !f.startsWith("packages/e2e/") && /\.(tsx?|mjs|cjs|js|json|css)$/.test(f))
    .sort();
  const h = createHash("sha256");
  for (const f of files) {
    const p = join(repoRoot, f);
    if (!existsSync(p)) continue;
    h.update(f);
    h.update(readFileSync(p));
  }
  return h.digest("hex");
}

export async function buildWebOnce(
  repoRoot: string,
  log: (m: string) => void,
): Promise<{ built: boolean; ms: number }> {
  const webDir = join(repoRoot, "apps/web");
  const stampFile = join(webDir, ".next", "e2e-build-stamp");
  const stamp = sourceStamp(repoRoot);
  if (
    !process.env.CONCORD_E2E_REBUILD &&
    existsSync(join(webDir, ".next", "BUILD_ID")) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, "utf8") === stamp
  ) {
    return { built: false, ms: 0 };
  }
  log("e2e: building apps/web (npm run build; cached until the sources change)…");
  const t0 = Date.now();
  const child = spawn("npm", ["run", "build"], {
    cwd: webDir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${output.slice(-4000)}`);
  writeFileSync(stampFile, stamp);
  return { built: true, ms: Date.now() - t0 };
}
