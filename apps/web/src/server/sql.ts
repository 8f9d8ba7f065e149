import "server-only";
import { getPool } from "@concord/db";
import type pg from "pg";
import { getEnv } from "./env";

// Hand-written SQL for the hot paths (vote, next task, the per-request user lookup), on the pg pool that
// Prisma uses. Every statement is named: Postgres parses and plans it once per connection, not per request.
// Timestamps are read back as ISO strings (to_char below): no time-zone guessing by the driver.
export function pool(): pg.Pool {
  getEnv();
  return getPool();
}

export type TSql = { name: string; text: string };

export async function query<R extends pg.QueryResultRow>(
  statement: TSql,
  values: unknown[],
  client?: pg.PoolClient,
): Promise<R[]> {
  const res = await (client ?? pool()).query<R>({ name: statement.name, text: statement.text, values });
  return res.rows;
}

// A timestamp(3) column (stored as UTC) as an ISO-8601 string.
export const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// Runs fn in a transaction on one pooled connection. A connection that failed (Postgres restarting) is
// destroyed instead of being returned to the pool; the original error is what the caller sees.
export async function transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool().connect();
  // Errors between statements (the server going away) arrive as events on the checked-out client.
  const onError = () => {};
  client.on("error", onError);
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((e: Error) => {
      broken = e;
    });
    throw error;
  } finally {
    client.removeListener("error", onError);
    client.release(broken);
  }
}
