// Vitest global setup: one fresh database, one production build, one `next start` for every e2e file.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import type { TestProject } from "vitest/node";
import { buildWebOnce } from "./build";
import { holdLock } from "./lock";
import { freePort } from "./reliability/web";
import { seedE2E } from "./seed";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
    screenshotDir: string;
  }
}

const repoRoot = resolve(import.meta.dirname, "../../..");
const log = (m: string) => console.log(m);

async function waitReady(url: string, server: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited (${server.exitCode}):\n${output()}`);
    const ok = await fetch(`${url}/login`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`next start not ready after 60 s:\n${output()}`);
}

export default async function setup(project: TestProject) {
  process.env.CONCORD_QUEUE_PREFIX ??= `concord-e2e-${randomBytes(4).toString("hex")}`; // web + test workers share it
  const t0 = Date.now();
  let database: TTestDatabase | undefined;
  let server: ChildProcess | undefined;
  let release = () => {};
  try {
    // Seeding uses its own database: done before the lock, so runs from several shells overlap here.
    database = await createTestDatabase("concord_e2e");
    const seeded = await seedE2E(database.db, repoRoot);
    log(
      `e2e: database ${database.name} seeded (${seeded.how}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const line of seeded.summary) log(`e2e:   ${line}`);
    // apps/web/.next is shared: one build + server at a time on this machine, held until teardown.
    const tLock = Date.now();
    release = await holdLock("/tmp/concord-e2e.lock", log);
    if (Date.now() - tLock > 2000)
      log(`e2e: waited ${((Date.now() - tLock) / 1000).toFixed(0)} s for the lock`);
    const build = await buildWebOnce(repoRoot, log);
    log(build.built ? `e2e: next build took ${(build.ms / 1000).toFixed(1)} s` : "e2e: reusing cached build");

    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    let output = "";
    server = spawn("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: resolve(repoRoot, "apps/web"),
      env: {
        ...process.env,
        NODE_ENV: "production",
        DATABASE_URL: database.url,
        NEXTAUTH_URL: baseUrl,
        NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
        NEXT_TELEMETRY_DISABLED: "1",
        // Tests stand in for clients behind a proxy: X-Forwarded-For names the client for the login limiter.
        CONCORD_TRUST_PROXY: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const append = (c: Buffer) => {
      output = (output + c.toString()).slice(-20_000);
    };
    server.stdout?.on("data", append);
    server.stderr?.on("data", append);
    await waitReady(baseUrl, server, () => output);
    log(`e2e: next start ready at ${baseUrl} (setup ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

    const screenshotDir = resolve(import.meta.dirname, "../screenshots");
    mkdirSync(screenshotDir, { recursive: true });
    project.provide("baseUrl", baseUrl);
    project.provide("databaseUrl", database.url);
    project.provide("screenshotDir", screenshotDir);
  } catch (error) {
    await stop(server);
    await database?.drop();
    release();
    throw error;
  }

  return async () => {
    await stop(server);
    await database?.drop();
    release();
  };
}

async function stop(server: ChildProcess | undefined) {
  if (!server?.pid || server.exitCode !== null) return;
  // `npx next start` is a process group (npx -> node): stop the whole group we created, by its id.
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {}
  await new Promise((r) => {
    const t = setTimeout(r, 5000);
    server.once("exit", () => {
      clearTimeout(t);
      r(null);
    });
  });
}
