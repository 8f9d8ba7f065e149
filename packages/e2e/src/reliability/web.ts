// A second `next start` of the build the global setup made, pointed at a database of the test's own (the
// fault tests stop and start that database; the shared server on 5432 is never touched).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "../../../..");

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

export type TOwnWeb = { url: string; child: ChildProcess; output: () => string; stop: () => Promise<void> };

export async function startOwnWeb(databaseUrl: string): Promise<TOwnWeb> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(
    process.execPath,
    [join(repoRoot, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: join(repoRoot, "apps/web"),
      env: {
        ...process.env,
        NODE_ENV: "production",
        DATABASE_URL: databaseUrl,
        NEXTAUTH_URL: url,
        NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const append = (c: Buffer) => {
    output = (output + c.toString()).slice(-30_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const stop = async () => {
    if (!child.pid || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await new Promise((r) => {
      const t = setTimeout(r, 5000);
      child.once("exit", () => {
        clearTimeout(t);
        r(null);
      });
    });
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output}`);
    if (
      await fetch(`${url}/login`)
        .then((r) => r.status === 200)
        .catch(() => false)
    )
      return { url, child, output: () => output, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`next start not ready after 60 s:\n${output}`);
}
