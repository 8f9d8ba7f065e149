// batch() (src/server/sql.ts): several statements in one round trip and one implicit transaction, against a
// real Postgres (fresh database for this file).
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
let sql: typeof import("../src/server/sql");

const INSERT = {
  name: "test.batch.insert",
  text: `INSERT INTO batch_t (v) VALUES ($1) RETURNING id, xmin::text AS x`,
};
// Sees the row the statement before it inserted (its own snapshot, after it).
const READ = {
  name: "test.batch.read",
  text: `SELECT count(*)::int AS n, pg_current_xact_id()::xid::text AS x FROM batch_t WHERE v = $1`,
};
const FAIL = { name: "test.batch.fail", text: `SELECT 1 / $1::int AS never` };
const PREPARED = {
  name: "test.batch.prepared",
  text: `SELECT array_agg(name ORDER BY name) AS names FROM pg_prepared_statements WHERE name LIKE 'test.batch.%'`,
};

beforeAll(async () => {
  t = await createTestDatabase("concord_web_sql_batch");
  process.env.DATABASE_URL = t.url;
  // One connection: every batch runs on the same one, so its prepared statements are visible across calls.
  process.env.CONCORD_DB_POOL = "1";
  sql = await import("../src/server/sql");
  await sql.pool().query(`CREATE TABLE batch_t (id serial PRIMARY KEY, v text NOT NULL)`);
});
afterAll(async () => {
  await sql?.pool().end();
  await t.drop();
});

const count = async (v: string) =>
  (await sql.pool().query<{ n: number }>(`SELECT count(*)::int AS n FROM batch_t WHERE v = $1`, [v])).rows[0]!
    .n;

describe("batch", () => {
  it("runs the statements in order, in one transaction, each seeing the ones before; rows per statement", async () => {
    const [inserted, read] = (await sql.batch([
      { statement: INSERT, values: ["a"] },
      { statement: READ, values: ["a"] },
    ])) as [{ id: number; x: string }[], { n: number; x: string }[]];
    expect(inserted).toHaveLength(1);
    expect(read).toEqual([{ n: 1, x: inserted[0]!.x }]);
    // One transaction: the read runs in the transaction that wrote the row; a second batch is another one.
    const [again] = (await sql.batch([{ statement: INSERT, values: ["a"] }])) as [{ x: string }[]];
    expect(again[0]!.x).not.toBe(inserted[0]!.x);
    expect(await count("a")).toBe(2);
  });

  it("parses a statement once per connection, then only binds it", async () => {
    const [, , prepared] = (await sql.batch([
      { statement: INSERT, values: ["p"] },
      { statement: READ, values: ["p"] },
      { statement: PREPARED, values: [] },
    ])) as [unknown, unknown, { names: string[] }[]];
    expect(prepared[0]!.names).toEqual(expect.arrayContaining([INSERT.name, READ.name, PREPARED.name]));
    // Sent again on the same connection: a second Parse of a named statement would fail ("already exists").
    await sql.batch([
      { statement: INSERT, values: ["p"] },
      { statement: PREPARED, values: [] },
    ]);
    expect(await count("p")).toBe(2);
  });

  it("one statement several times in a batch on a fresh connection: parsed once, bound each time", async () => {
    // A fresh connection: the failed batch drops its connection, so the next batch starts unparsed.
    await expect(sql.batch([{ statement: FAIL, values: [0] }])).rejects.toThrow(/division by zero/);
    const REPEAT = { name: "test.batch.repeat", text: `INSERT INTO batch_t (v) VALUES ($1) RETURNING v` };
    const rows = await sql.batch(["r1", "r2", "r3"].map((v) => ({ statement: REPEAT, values: [v] })));
    expect(rows).toEqual([[{ v: "r1" }], [{ v: "r2" }], [{ v: "r3" }]]);
    expect(await count("r2")).toBe(1);
  });

  it("an error in a later statement rolls back the earlier ones and is thrown; the pool goes on", async () => {
    await expect(
      sql.batch([
        { statement: INSERT, values: ["rolled back"] },
        { statement: FAIL, values: [0] },
        { statement: INSERT, values: ["never run"] },
      ]),
    ).rejects.toThrow(/division by zero/);
    expect(await count("rolled back")).toBe(0);
    expect(await count("never run")).toBe(0);
    // The failed batch's connection was dropped; the next batch gets a fresh one and parses again.
    const [rows] = (await sql.batch([{ statement: INSERT, values: ["after"] }])) as [unknown[]];
    expect(rows).toHaveLength(1);
    expect(await count("after")).toBe(1);
  });

  it("a parameter Postgres refuses fails the batch with Postgres' message; the next batch works", async () => {
    await expect(sql.batch([{ statement: FAIL, values: ["not a number"] }])).rejects.toThrow(
      /invalid input syntax/,
    );
    expect((await sql.batch([{ statement: READ, values: ["a"] }]))[0]).toEqual([
      expect.objectContaining({ n: 2 }),
    ]);
  });
});
