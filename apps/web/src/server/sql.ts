import "server-only";
import { getPool } from "@concord/db";
import pg from "pg";
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

export type TBatchItem = { statement: TSql; values: unknown[] };

// Several statements in one round trip and one transaction: sent together (Parse once per connection, then
// Bind/Describe/Execute each) and closed by a single Sync, which Postgres runs as one implicit transaction:
// each statement sees the writes of those before it (a snapshot of its own, after their triggers), an error
// in any of them rolls all of them back (the rest are skipped), and the Sync's commit is the only one, with
// the session's synchronous_commit. The rows of each statement, in order. This is pg's own extended-protocol
// sequence (lib/query.js) with one Sync instead of one per statement, through the Submittable interface that
// pg-cursor uses. After an error the connection is closed rather than returned to the pool: which statements
// of a failed batch the server kept parsed is unknown.
export async function batch(items: readonly TBatchItem[]): Promise<unknown[][]> {
  const client = await pool().connect();
  let broken: Error | undefined;
  try {
    return await new Promise<unknown[][]>((resolve, reject) => {
      const query = new BatchQuery(items, (error, rows) => (error ? reject(error) : resolve(rows)));
      client.query(query as unknown as pg.Submittable);
    });
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(broken);
  }
}

// The part of pg's Connection a Submittable drives (pg/lib/connection.js).
type TConnection = {
  parsedStatements: Record<string, string>;
  stream: { cork?: () => void; uncork?: () => void };
  parse(query: { text: string; name: string; types: unknown[] }): void;
  bind(config: { statement: string; values: unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(config: { type: "P"; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
};
type TFieldsMessage = { fields: unknown[] };
type TResult = {
  rows: unknown[];
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): unknown;
  addRow(row: unknown): void;
};
const { Result, utils } = pg as unknown as {
  Result: new () => TResult;
  utils: { prepareValue: (value: unknown) => unknown };
};

class BatchQuery {
  private readonly results: TResult[];
  private current = 0;
  private failure: Error | undefined;
  private isDone = false;

  constructor(
    private readonly items: readonly TBatchItem[],
    private readonly onDone: (error: Error | undefined, rows: unknown[][]) => void,
  ) {
    this.results = items.map(() => new Result());
  }

  submit(connection: TConnection): null {
    // One write for the whole batch (as pg corks one statement's messages).
    connection.stream.cork?.();
    // A statement is parsed once, on its first use in the batch (a second Parse of the name is an error).
    const parsing = new Set<string>();
    try {
      for (const { statement, values } of this.items) {
        if (connection.parsedStatements[statement.name] === undefined && !parsing.has(statement.name)) {
          connection.parse({ text: statement.text, name: statement.name, types: [] });
          parsing.add(statement.name);
        }
        connection.bind({ statement: statement.name, values, valueMapper: utils.prepareValue });
        connection.describe({ type: "P", name: "" });
        connection.execute({ portal: "", rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(msg: TFieldsMessage) {
    this.results[this.current]?.addFields(msg.fields);
  }

  handleDataRow(msg: TFieldsMessage) {
    const result = this.results[this.current];
    if (!result || this.failure) return;
    try {
      result.addRow(result.parseRow(msg.fields));
    } catch (error) {
      this.failure = error as Error;
    }
  }

  handleCommandComplete() {
    this.current++;
  }

  handleEmptyQuery() {
    this.current++;
  }

  // The server's error (the batch is rolled back; pg's Client drops this query at once and ignores the
  // ReadyForQuery that follows) or one from the client itself.
  handleError(error: Error) {
    this.finish(error);
  }

  handleReadyForQuery(connection: TConnection) {
    if (!this.failure)
      for (const { statement } of this.items) connection.parsedStatements[statement.name] = statement.text;
    this.finish(this.failure);
  }

  handlePortalSuspended() {}

  handleCopyInResponse(connection: TConnection) {
    connection.sendCopyFail("COPY is not supported in a batch");
  }

  handleCopyData() {}

  private finish(error: Error | undefined) {
    if (this.isDone) return;
    this.isDone = true;
    this.onDone(
      error,
      this.results.map((r) => r.rows),
    );
  }
}
