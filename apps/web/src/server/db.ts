import "server-only";
import { getDb } from "@concord/db";
import { getEnv } from "./env";

// One Prisma client per process (kept on globalThis by @concord/db); DATABASE_URL is validated first.
export function db() {
  getEnv();
  return getDb();
}
