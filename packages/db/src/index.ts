export { createDb, getDb, getPool, poolOf, type TDb } from "./client";
export { dbEnv, getDatabaseUrl, type TDbEnv, ZDbEnv } from "./env";
export * from "./generated/prisma/client";
export type * from "./generated/prisma/models";
