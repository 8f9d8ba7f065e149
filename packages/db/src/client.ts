import { PrismaPg } from "@prisma/adapter-pg";
import { getDatabaseUrl } from "./env";
import { PrismaClient } from "./generated/prisma/client";

export type TDb = PrismaClient;

export function createDb(connectionString: string = getDatabaseUrl(), poolMax = 10): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString, max: poolMax, connectionTimeoutMillis: 5_000 }),
  });
}

// One client per process, kept on globalThis so Next's hot reload does not open a new pool each time.
const globalForDb = globalThis as unknown as { concordDb?: PrismaClient };

export function getDb(): PrismaClient {
  globalForDb.concordDb ??= createDb(undefined, Number(process.env.CONCORD_DB_POOL ?? 10));
  return globalForDb.concordDb;
}
