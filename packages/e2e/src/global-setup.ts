// Vitest global setup: one fresh database, one production build, one production web server (apps/web/server.mjs) for every e2e file.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import {
  buildWebIfStale,
  holdLock,
  repoRoot,
  startNext,
  type TWebServer,
  WEB_BUILD_LOCK,
} from "@concord/web-runner";
import type { TestProject } from "vitest/node";
import { seedE2E } from "./seed";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
    screenshotDir: string;
  }
}

const log = (m: string) => console.log(`e2e: ${m}`);

export default async function setup(project: TestProject) {
  process.env.CONCORD_QUEUE_PREFIX ??= `concord-e2e-${randomBytes(4).toString("hex")}`; // web + test workers share it
  const t0 = Date.now();
  let database: TTestDatabase | undefined;
  let server: TWebServer | undefined;
  let release = () => {};
  try {
    // Seeding uses its own database: done before the lock, so runs from several shells overlap here.
    database = await createTestDatabase("concord_e2e");
    const seeded = await seedE2E(database.db, repoRoot);
    log(`database ${database.name} seeded (${seeded.how}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const line of seeded.summary) log(`  ${line}`);
    // apps/web/.next is shared: one build + server at a time on this machine, held until teardown.
    const tLock = Date.now();
    release = await holdLock(WEB_BUILD_LOCK, log);
    if (Date.now() - tLock > 2000) log(`waited ${((Date.now() - tLock) / 1000).toFixed(0)} s for the lock`);
    const build = await buildWebIfStale({ log, force: Boolean(process.env.CONCORD_E2E_REBUILD) });
    log(build.built ? `next build took ${(build.ms / 1000).toFixed(1)} s` : "reusing cached build");

    server = await startNext({
      env: {
        DATABASE_URL: database.url,
        // Tests stand in for clients behind a proxy: X-Forwarded-For names the client for the login limiter.
        CONCORD_TRUST_PROXY: "1",
      },
    });
    log(`web server ready at ${server.url} (setup ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

    const screenshotDir = resolve(import.meta.dirname, "../screenshots");
    mkdirSync(screenshotDir, { recursive: true });
    project.provide("baseUrl", server.url);
    project.provide("databaseUrl", database.url);
    project.provide("screenshotDir", screenshotDir);
  } catch (error) {
    await server?.stop();
    await database?.drop();
    release();
    throw error;
  }

  return async () => {
    await server?.stop();
    await database?.drop();
    release();
  };
}
