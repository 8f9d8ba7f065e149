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

export async function query<R extends pg.QueryResultRow>(statement: TSql, values: unknown[]): Promise<R[]> {
  const res = await pool().query<R>({ name: statement.name, text: statement.text, values });
  return res.rows;
}

// A timestamp(3) column (stored as UTC) as an ISO-8601 string.
export const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
