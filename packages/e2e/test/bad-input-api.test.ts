// Bad input to the JSON APIs (votes, run launch, users, query strings): each case gets a clear 4xx that
// says what is wrong (every 400 in the one shape that names the field), and the database row counts are
// identical before and after it.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2eDb } from "../src/db";
import type { TSession } from "../src/http";
import { createUser, rowCounts, sessionFor } from "../src/reliability/users";

const db = e2eDb();
let annotator: TSession;
let admin: TSession;
let image: { id: string; label: string };
let datasetId: string;

beforeAll(async () => {
  annotator = await sessionFor(await createUser(db, "ANNOTATOR", "bad"));
  admin = await sessionFor(await createUser(db, "ADMIN", "bad"));
  const task = (await (await annotator.fetch("/api/tasks/next")).json()) as {
    task: { imageId: string; datasetId: string; taxonomy: string[] } | null;
  };
  if (!task.task) throw new Error("the e2e dataset has no open image for a fresh annotator");
  image = { id: task.task.imageId, label: task.task.taxonomy[0]! };
  datasetId = task.task.datasetId;
});
afterAll(async () => {
  await db.$disconnect();
});

type TCase = {
  name: string;
  as: "annotator" | "admin";
  method?: string;
  path: string;
  body?: string | (() => string);
  contentType?: string;
  status: number;
  error: RegExp;
};

const vote = (over: Record<string, unknown>) => () =>
  JSON.stringify({ imageId: image.id, label: image.label, requestId: `bad-${randomUUID()}`, ...over });

const validRun = {
  name: "bad-input",
  model: "fast",
  scheme: "probability",
  eps: 0.1,
  epochs: 3,
  patience: 1,
  learningRate: 0.001,
  batchSize: 32,
  seed: 1,
};
const run = (over: Record<string, unknown>) => () => JSON.stringify({ ...validRun, datasetId, ...over });

const CASES: TCase[] = [
  // Vote API
  {
    name: "vote: malformed JSON",
    as: "annotator",
    path: "/api/votes",
    body: '{"imageId": "x", "label":',
    status: 400,
    error: /^body: malformed JSON$/,
  },
  {
    name: "vote: JSON array instead of an object",
    as: "annotator",
    path: "/api/votes",
    body: "[]",
    status: 400,
    error: /^body: Invalid input: expected object/,
  },
  {
    name: "vote: JSON null",
    as: "annotator",
    path: "/api/votes",
    body: "null",
    status: 400,
    error: /^body: Invalid input: expected object/,
  },
  {
    name: "vote: wrong types (imageId number, label boolean)",
    as: "annotator",
    path: "/api/votes",
    body: vote({ imageId: 123, label: true }),
    status: 400,
    error: /imageId/,
  },
  {
    name: "vote: missing requestId",
    as: "annotator",
    path: "/api/votes",
    body: vote({ requestId: undefined }),
    status: 400,
    error: /requestId/,
  },
  {
    name: "vote: SQL-looking requestId",
    as: "annotator",
    path: "/api/votes",
    body: vote({ requestId: `x'; DELETE FROM "Vote"; --` }),
    status: 400,
    error: /requestId/,
  },
  {
    name: "vote: unknown label",
    as: "annotator",
    path: "/api/votes",
    body: vote({ label: "joy" }),
    status: 400,
    error: /not in this dataset's taxonomy/,
  },
  {
    name: "vote: label with markup",
    as: "annotator",
    path: "/api/votes",
    body: vote({ label: "<script>alert(1)</script>" }),
    status: 400,
    error: /taxonomy/,
  },
  {
    name: "vote: unknown image",
    as: "annotator",
    path: "/api/votes",
    body: vote({ imageId: "no-such-image" }),
    status: 404,
    error: /Unknown image/,
  },
  {
    name: "vote: SQL-looking image id",
    as: "annotator",
    path: "/api/votes",
    body: vote({ imageId: "' OR '1'='1" }),
    status: 404,
    error: /Unknown image/,
  },
  {
    name: "vote: negative duration",
    as: "annotator",
    path: "/api/votes",
    body: vote({ durationMs: -5 }),
    status: 400,
    error: /durationMs/,
  },
  {
    name: "vote: text/plain body",
    as: "annotator",
    path: "/api/votes",
    body: vote({}),
    contentType: "text/plain",
    status: 415,
    error: /application\/json/,
  },
  {
    name: "vote: 100 KB body",
    as: "annotator",
    path: "/api/votes",
    body: vote({ pad: "x".repeat(100_000) }),
    status: 413,
    error: /larger than/,
  },
  // Run launch form
  {
    name: "run: epochs 1e9",
    as: "admin",
    path: "/api/runs",
    body: run({ epochs: 1e9 }),
    status: 400,
    error: /epochs: <= 500/,
  },
  {
    name: "run: negative learning rate",
    as: "admin",
    path: "/api/runs",
    body: run({ learningRate: -0.01 }),
    status: 400,
    error: /learningRate: must be > 0/,
  },
  {
    name: "run: unknown snapshot",
    as: "admin",
    path: "/api/runs",
    body: run({ snapshotId: "no-such-snapshot" }),
    status: 400,
    error: /snapshotId: no such snapshot/,
  },
  {
    name: "run: learning rate NaN-like string",
    as: "admin",
    path: "/api/runs",
    body: run({ learningRate: "NaN" }),
    status: 400,
    error: /learningRate: a number/,
  },
  {
    name: "run: fractional batch size",
    as: "admin",
    path: "/api/runs",
    body: run({ batchSize: 0.5 }),
    status: 400,
    error: /batchSize/,
  },
  {
    name: "run: eps outside [0, 1]",
    as: "admin",
    path: "/api/runs",
    body: run({ eps: 7 }),
    status: 400,
    error: /eps: <= 1/,
  },
  {
    name: "run: unknown model",
    as: "admin",
    path: "/api/runs",
    body: run({ model: "resnet-9000" }),
    status: 400,
    error: /model: one of/,
  },
  {
    name: "run: deferred rebalancing with nothing to defer",
    as: "admin",
    path: "/api/runs",
    body: run({ rebalanceFrom: 19, classWeighting: false }),
    status: 400,
    error: /^rebalanceFrom: defers class weighting or logit adjustment/,
  },
  {
    name: "run: deferred rebalancing past the last epoch",
    as: "admin",
    path: "/api/runs",
    body: run({ rebalanceFrom: 11, epochs: 10, classWeighting: true }),
    status: 400,
    error: /^rebalanceFrom: at most epochs \(10\)/,
  },
  {
    name: "run: class-balance beta above 1",
    as: "admin",
    path: "/api/runs",
    body: run({ classBalanceBeta: 2, classWeighting: true }),
    status: 400,
    error: /^classBalanceBeta: <= 1/,
  },
  {
    name: "run: malformed JSON",
    as: "admin",
    path: "/api/runs",
    body: "{epochs: 3}",
    status: 400,
    error: /^body: malformed JSON$/,
  },
  {
    name: "run: unknown dataset",
    as: "admin",
    path: "/api/runs",
    body: run({ datasetId: "no-such-dataset" }),
    status: 400,
    error: /datasetId: no such dataset/,
  },
  // Users
  {
    name: "user: not an email",
    as: "admin",
    path: "/api/users",
    body: JSON.stringify({ name: "x", email: "x' OR 1=1 --", role: "ANNOTATOR", password: "0123456789ab" }),
    status: 400,
    error: /email/,
  },
  {
    name: "user: unknown role",
    as: "admin",
    path: "/api/users",
    body: JSON.stringify({
      name: "x",
      email: "root@reliability.test",
      role: "ROOT",
      password: "0123456789ab",
    }),
    status: 400,
    error: /role/,
  },
  {
    name: "user: short password",
    as: "admin",
    path: "/api/users",
    body: JSON.stringify({ name: "x", email: "short@reliability.test", role: "ANNOTATOR", password: "123" }),
    status: 400,
    error: /password/,
  },
  {
    name: "user: PATCH with nothing to change",
    as: "admin",
    method: "PATCH",
    path: "/api/users/no-such-user",
    body: "{}",
    status: 400,
    error: /nothing to change/,
  },
  // Query strings
  {
    name: "datasets: SQL-looking k",
    as: "admin",
    method: "GET",
    path: `/api/datasets?k=${encodeURIComponent("1; DROP TABLE")}`,
    status: 400,
    error: /k: an integer/,
  },
  {
    name: "runs: SQL-looking status",
    as: "admin",
    method: "GET",
    path: `/api/runs?status=${encodeURIComponent("' OR 1=1 --")}`,
    status: 400,
    error: /status: one of/,
  },
  {
    name: "soft labels: missing snapshotId",
    as: "admin",
    method: "GET",
    path: "/api/exports/soft-labels",
    status: 400,
    error: /snapshotId/,
  },
];

describe("JSON APIs refuse bad input and change nothing", () => {
  it.each(CASES)("$name -> $status", async (c) => {
    const session = c.as === "admin" ? admin : annotator;
    const before = await rowCounts(db);
    const method = c.method ?? "POST";
    const body = typeof c.body === "function" ? c.body() : c.body;
    const res = await session.fetch(c.path, {
      method,
      headers: { "content-type": c.contentType ?? "application/json" },
      body: method === "GET" ? undefined : body,
    });
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    const answer = JSON.parse(text) as { error: string; details?: { field?: unknown; issues?: unknown[] } };
    expect(answer.error).toMatch(c.error);
    if (c.status === 400) {
      // Every 400 for a bad body or query parameter has one shape: the field, and an error that names it.
      const field = String(answer.details?.field);
      expect(answer.error.startsWith(`${field}: `), text).toBe(true);
      expect(answer.details?.issues?.[0]).toEqual({ field, message: answer.error });
    }
    expect(await rowCounts(db)).toEqual(before);
  });
});

describe("duplicates and SQL-looking text", () => {
  it("a second vote on the same image (new requestId) is 409 and adds no row", async () => {
    const first = await annotator.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: vote({})(),
    });
    expect(first.status).toBe(201);
    const before = await rowCounts(db);
    const again = await annotator.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: vote({ label: "anger" })(),
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toMatch(/already voted/);
    expect(await rowCounts(db)).toEqual(before);
  });

  it("a SQL-looking user name is stored verbatim (parameterised queries) and the table is intact", async () => {
    const name = `Robert'); DROP TABLE "User";-- ${randomUUID().slice(0, 6)}`;
    const email = `bobby-${randomUUID().slice(0, 8)}@reliability.test`;
    const before = (await rowCounts(db)).User!;
    const res = await admin.fetch("/api/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, email, role: "ANNOTATOR", password: "0123456789ab" }),
    });
    expect(res.status).toBe(201);
    expect((await db.user.findUniqueOrThrow({ where: { email } })).name).toBe(name);
    expect((await rowCounts(db)).User).toBe(before + 1);
  });
});
