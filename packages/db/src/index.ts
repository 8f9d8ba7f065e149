export { createDb, getDb, getPool, poolOf, type TDb } from "./client";
export { DEFAULT_DATABASE_URL, getDatabaseUrl } from "./env";
export * from "./generated/prisma/client";
export type * from "./generated/prisma/models";
