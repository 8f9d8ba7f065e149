import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { dbEnv, getDatabaseUrl } from "./env";
import { PrismaClient } from "./generated/prisma/client";

export type TDb = PrismaClient;

// The pg pool under a Prisma client: hot paths (the vote API, task assignment) run their few hand-written
// statements on it directly, sharing the connections Prisma uses instead of opening a second pool.
const pools = new WeakMap<PrismaClient, pg.Pool>();

export function createDb(connectionString: string = getDatabaseUrl(), poolMax = 10): PrismaClient {
  const pool = new pg.Pool({ connectionString, max: poolMax, connectionTimeoutMillis: 5_000 });
  // An idle connection dropped by the server (Postgres restarting) must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on("error", () => {});
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

export function poolOf(db: PrismaClient): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("poolOf: this Prisma client was not made by createDb");
  return pool;
}

// One client per process, kept on globalThis so Next's hot reload does not open a new pool each time.
const globalForDb = globalThis as unknown as { concordDb?: PrismaClient };

export function getDb(): PrismaClient {
  if (!globalForDb.concordDb) {
    const env = dbEnv();
    globalForDb.concordDb = createDb(env.DATABASE_URL, env.CONCORD_DB_POOL);
  }
  return globalForDb.concordDb;
}

// The pool of getDb()'s client.
export function getPool(): pg.Pool {
  return poolOf(getDb());
}
