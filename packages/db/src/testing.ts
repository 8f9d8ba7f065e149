// Test helper: a fresh, migrated database per test file, dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type TDb } from "./client";
import { migrate } from "./migrate";

export const TEST_SERVER_URL = process.env.CONCORD_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export type TTestDatabase = { url: string; name: string; db: TDb; drop: () => Promise<void> };

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createTestDatabase(prefix = "concord_test"): Promise<TTestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = withDatabase(TEST_SERVER_URL, name);
  await migrate(url);
  const db = createDb(url, 5);
  return {
    url,
    name,
    db,
    drop: async () => {
      await db.$disconnect();
      const c = new pg.Client({ connectionString: TEST_SERVER_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
