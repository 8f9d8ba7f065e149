// A route answers 503 (not 500) when Postgres cannot be reached: checked against the real errors of
// Prisma + adapter-pg for a refused connection, not a hand-made error object.
import { createServer, type Server } from "node:net";
import { createDb } from "@concord/db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { errorToResponse, isDatabaseUnavailable } from "../src/server/http";

let closedPort = 0;
let dropping: Server;

beforeAll(async () => {
  // A port nobody listens on: bind, read the number, close.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  // A server that accepts and immediately hangs up, like Postgres going down mid-connection.
  dropping = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => dropping.listen(0, "127.0.0.1", r));
});
afterAll(async () => {
  await new Promise((r) => dropping.close(r));
});

it("connection refused -> 503 with Retry-After", async () => {
  const db = createDb(`postgresql://postgres@127.0.0.1:${closedPort}/concord`, 1);
  const error = await db.user.count().then(
    () => null,
    (e: unknown) => e,
  );
  await db.$disconnect();
  expect(error).not.toBeNull();
  expect(isDatabaseUnavailable(error)).toBe(true);
  const res = errorToResponse(error);
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("2");
  expect(await res.json()).toEqual({ error: "Database unavailable; try again shortly" });
});

it("connection dropped by the server -> 503", async () => {
  const port = (dropping.address() as { port: number }).port;
  const db = createDb(`postgresql://postgres@127.0.0.1:${port}/concord`, 1);
  const error = await db.user.count().then(
    () => null,
    (e: unknown) => e,
  );
  await db.$disconnect();
  expect(isDatabaseUnavailable(error)).toBe(true);
  expect(errorToResponse(error).status).toBe(503);
});
