export { createDb, getDb, type TDb } from "./client";
export { DEFAULT_DATABASE_URL, getDatabaseUrl } from "./env";
export * from "./generated/prisma/client";
export type * from "./generated/prisma/models";
