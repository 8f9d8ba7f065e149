// POST /api/votes with `next` (what the labelling page sends): the route handler itself, with a real next-auth
// session token, against a fresh migrated Postgres. The answer carries the vote and the next task, leased to
// the caller; without `next` the answer is unchanged; a replay carries `next` too; refusals carry none.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { getPool } from "@concord/db";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { NextRequest } from "next/server";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SECRET = "vote-next-test-secret-0123456789abcdef";
const ORIGIN = "http://localhost:3000";

let t: TTestDatabase;
let route: typeof import("../src/app/api/votes/route");
let datasetId: string;
let images: string[];
let cookie: string;
let annotatorId: string;

type TAnswer = {
  vote?: { id: string; imageId: string };
  paused?: { reason: string };
  replayed?: boolean;
  progress?: { today: number; total: number };
  next?: { imageId: string; datasetId: string; image: string; leaseExpiresAt: string } | null;
  error?: string;
};

beforeAll(async () => {
  t = await createTestDatabase("concord_web_vote_next");
  Object.assign(process.env, { DATABASE_URL: t.url, NEXTAUTH_SECRET: SECRET, NEXTAUTH_URL: ORIGIN });
  route = await import("../src/app/api/votes/route");
  const user = await t.db.user.create({
    data: { email: "a@t.local", name: "a", passwordHash: "x", role: "ANNOTATOR" },
  });
  annotatorId = user.id;
  const token = await encode({ token: { id: user.id, sub: user.id, role: user.role }, secret: SECRET });
  cookie = `next-auth.session-token=${token}`;
  const ds = await t.db.dataset.create({
    data: { slug: "vn", name: "VN", source: "SYNTHETIC", taxonomy: [...FERPLUS_LABELS], goldRate: 0 },
  });
  datasetId = ds.id;
  await t.db.image.createMany({
    data: Array.from({ length: 3 }, (_, i) => ({
      datasetId,
      split: "TRAIN" as const,
      externalId: `vn-${i}`,
      sha256: String(i).padStart(64, "0"),
      phash: String(i).padStart(16, "0"),
      pixels: new Uint8Array(48 * 48).fill(i * 60),
    })),
  });
  images = (await t.db.image.findMany({ where: { datasetId }, orderBy: { externalId: "asc" } })).map(
    (i) => i.id,
  );
});
afterAll(async () => {
  const { getDb } = await import("@concord/db");
  await getDb().$disconnect();
  await t?.drop();
});

async function post(body: unknown, as = cookie): Promise<{ status: number; body: TAnswer }> {
  const req = new NextRequest(`${ORIGIN}/api/votes`, {
    method: "POST",
    headers: { cookie: as, origin: ORIGIN, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const res = await route.POST(req, { params: Promise.resolve({}) });
  return { status: res.status, body: (await res.json()) as TAnswer };
}

const leasesOf = () =>
  t.db.taskLease.findMany({ where: { annotatorId }, select: { imageId: true }, orderBy: { imageId: "asc" } });

describe("POST /api/votes with next", () => {
  it("answers the vote and the next task, leased to the caller; without next, no next field", async () => {
    const plain = await post({ imageId: images[0], label: "neutral", requestId: randomUUID() });
    expect(plain.status).toBe(201);
    expect(plain.body).not.toHaveProperty("next");
    expect(await leasesOf()).toEqual([]);

    const requestId = randomUUID();
    const first = await post({ imageId: images[1], label: "happiness", requestId, next: {} });
    expect(first.status).toBe(201);
    expect(first.body.vote?.imageId).toBe(images[1]);
    expect(first.body.progress).toEqual({ today: 2, total: 2 });
    // The only image this annotator has not voted on, as GET /api/tasks/next would serve it.
    expect(first.body.next).toMatchObject({ imageId: images[2], datasetId });
    expect(first.body.next?.image).toMatch(/^data:image\/png;base64,/);
    expect(Date.parse(first.body.next!.leaseExpiresAt)).toBeGreaterThan(Date.now());
    expect(await leasesOf()).toEqual([{ imageId: images[2] }]);

    // A retry of the same request (as if its answer was lost): the same vote, and a next task picked as
    // GET /api/tasks/next would: never a face the caller holds, so here none (images[2] is leased to them
    // by the first answer, until it expires).
    const again = await post({ imageId: images[1], label: "happiness", requestId, next: { datasetId } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, vote: { id: first.body.vote?.id } });
    expect(again.body.next).toBeNull();
    expect(await t.db.vote.count({ where: { annotatorId } })).toBe(2);
    expect(await leasesOf()).toEqual([{ imageId: images[2] }]);

    // The last face: nothing left after it, which the answer says with next: null.
    const last = await post({ imageId: images[2], label: "fear", requestId: randomUUID(), next: {} });
    expect(last.status).toBe(201);
    expect(last.body.next).toBeNull();
    expect(await leasesOf()).toEqual([]);
  });

  it("refuses a malformed next (400) and a failed vote carries no next; nothing written", async () => {
    const before = await t.db.vote.count();
    const bad = await post({ imageId: images[0], label: "neutral", requestId: randomUUID(), next: { x: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/next/);
    const twice = await post({ imageId: images[0], label: "anger", requestId: randomUUID(), next: {} });
    expect(twice.status).toBe(409);
    expect(twice.body).not.toHaveProperty("next");
    expect(await t.db.vote.count()).toBe(before);
    expect(await leasesOf()).toEqual([]);
  });
});

describe("POST /api/votes with next: the face leased in the vote's transaction", () => {
  let other: string;
  let otherCookie: string;
  let faces: string[];
  let ds2: string;

  const leasesOfOther = async () =>
    (await t.db.taskLease.findMany({ where: { annotatorId: other }, orderBy: { imageId: "asc" } })).map(
      (l) => l.imageId,
    );

  // Pool checkouts during fn: each is a round trip (a batch is one).
  async function checkouts<T>(fn: () => Promise<T>): Promise<{ result: T; n: number }> {
    let n = 0;
    const count = () => n++;
    getPool().on("acquire", count);
    try {
      return { result: await fn(), n };
    } finally {
      getPool().off("acquire", count);
    }
  }

  beforeAll(async () => {
    const user = await t.db.user.create({
      data: { email: "b@t.local", name: "b", passwordHash: "x", role: "ANNOTATOR" },
    });
    other = user.id;
    otherCookie = `next-auth.session-token=${await encode({ token: { id: other, sub: other, role: user.role }, secret: SECRET })}`;
    const ds = await t.db.dataset.create({
      data: { slug: "vn2", name: "VN2", source: "SYNTHETIC", taxonomy: [...FERPLUS_LABELS], goldRate: 0 },
    });
    ds2 = ds.id;
    await t.db.image.createMany({
      data: Array.from({ length: 6 }, (_, i) => ({
        datasetId: ds2,
        split: "TRAIN" as const,
        externalId: `vn2-${i}`,
        sha256: `b${String(i).padStart(63, "0")}`,
        phash: `b${String(i).padStart(15, "0")}`,
        pixels: new Uint8Array(48 * 48).fill(i * 30),
      })),
    });
    faces = (await t.db.image.findMany({ where: { datasetId: ds2 }, orderBy: { externalId: "asc" } })).map(
      (i) => i.id,
    );
    // The stored overlap rule as the web writes it on its first pick in this dataset.
    const { findNextTask } = await import("../src/server/tasks/assign");
    const first = await findNextTask(other, { datasetId: ds2 });
    expect(first?.imageId).toBe(faces[0]);
  });

  it("a vote and its next face are one round trip; the face is leased to the caller", async () => {
    const warm = await post(
      { imageId: faces[0], label: "neutral", requestId: randomUUID(), next: { datasetId: ds2 } },
      otherCookie,
    );
    expect(warm.status).toBe(201);
    const held = warm.body.next!.imageId;
    const { result, n } = await checkouts(() =>
      post({ imageId: held, label: "anger", requestId: randomUUID(), next: { datasetId: ds2 } }, otherCookie),
    );
    expect(result.status).toBe(201);
    expect(result.body.next?.datasetId).toBe(ds2);
    expect(n).toBe(1);
    expect(await leasesOfOther()).toEqual([result.body.next!.imageId]);
  });

  it("a stale stored overlap rule: the face is handed back, the rule rewritten, and the web's own pick serves", async () => {
    const { overlapRule } = await import("../src/server/tasks/overlap");
    const d = await t.db.dataset.findUniqueOrThrow({ where: { id: ds2 } });
    const rule = overlapRule({
      classes: d.taxonomy.length,
      minVotes: d.minVotes,
      maxVotes: d.maxVotes,
      targetConfidence: d.targetConfidence,
    });
    expect(rule.doneSignatures.length).toBeGreaterThan(0);
    await t.db.$executeRaw`UPDATE "Dataset" SET "doneSignatures" = '{}' WHERE id = ${ds2}`;
    const [held] = await leasesOfOther();
    const { result, n } = await checkouts(() =>
      post({ imageId: held, label: "fear", requestId: randomUUID(), next: { datasetId: ds2 } }, otherCookie),
    );
    expect(result.status).toBe(201);
    expect(result.body.next?.datasetId).toBe(ds2);
    expect(n).toBeGreaterThan(1);
    expect((await t.db.dataset.findUniqueOrThrow({ where: { id: ds2 } })).doneSignatures).toEqual(
      rule.doneSignatures,
    );
    expect(await leasesOfOther()).toEqual([result.body.next!.imageId]);
  });

  it("a vote that pauses the caller carries no next and leaves them no lease", async () => {
    const ds = await t.db.dataset.create({
      data: {
        slug: "vn3",
        name: "VN3",
        source: "SYNTHETIC",
        taxonomy: [...FERPLUS_LABELS],
        goldRate: 0,
        guideExamples: 0,
        goldMinAnswers: 1,
        goldMinAccuracy: 0.95,
      },
    });
    const image = await t.db.image.create({
      data: {
        datasetId: ds.id,
        split: "TRAIN",
        externalId: "vn3-gold",
        sha256: "c".repeat(64),
        phash: "c".repeat(16),
        pixels: new Uint8Array(48 * 48),
      },
    });
    await t.db.goldLabel.create({ data: { imageId: image.id, label: "fear" } });
    expect(await leasesOfOther()).toHaveLength(1);
    const wrong = await post(
      { imageId: image.id, label: "happiness", requestId: randomUUID(), next: {} },
      otherCookie,
    );
    expect(wrong.status).toBe(201);
    expect(wrong.body.paused?.reason).toBeTruthy();
    expect(wrong.body).not.toHaveProperty("next");
    expect(await leasesOfOther()).toEqual([]);
  });
});

// apps/web/server.mjs serves these routes from node:http through POST.node / GET.node (guards.ts sessionRoute):
// the same route as the Next handler, without NextRequest or Response. Same inputs, same answers.
describe("the routes' node:http entry (what server.mjs calls) answers as their Next handlers", () => {
  let server: Server;
  let base: string;
  let tasks: typeof import("../src/app/api/tasks/next/route");

  beforeAll(async () => {
    tasks = await import("../src/app/api/tasks/next/route");
    server = createServer((req, res) => {
      const entry = req.method === "GET" ? tasks.GET.node : route.POST.node;
      void entry(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function viaNode(body: string, headers: Record<string, string>) {
    const res = await fetch(`${base}/api/votes`, { method: "POST", headers, body });
    return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as TAnswer };
  }
  async function viaNext(body: string, headers: Record<string, string>) {
    const req = new NextRequest(`${ORIGIN}/api/votes`, { method: "POST", headers, body });
    const res = await route.POST(req, { params: Promise.resolve({}) });
    return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as TAnswer };
  }

  it("refusals: 401 anonymous, 403 cross-origin, 400 naming the field, 413 too large, 404 unknown image: identical", async () => {
    const json = { "content-type": "application/json" };
    const cases: [string, Record<string, string>, number][] = [
      ["{}", json, 401],
      ["{}", { ...json, cookie, origin: "http://evil.example" }, 403],
      [JSON.stringify({ imageId: "x", label: "y", requestId: "short" }), { ...json, cookie }, 400],
      ["{not json", { ...json, cookie }, 400],
      ["{}", { "content-type": "text/plain", cookie }, 415],
      // Over the 64 KiB limit: the node entry keeps only the first 64 KiB and a chunk of it.
      [
        JSON.stringify({ imageId: "x".repeat(1 << 20), label: "fear", requestId: randomUUID() }),
        { ...json, cookie },
        413,
      ],
      [JSON.stringify({ imageId: "nope", label: "fear", requestId: randomUUID() }), { ...json, cookie }, 404],
    ];
    for (const [body, headers, status] of cases) {
      const node = await viaNode(body, headers);
      expect(node.status, body).toBe(status);
      expect(node).toEqual(await viaNext(body, headers));
    }
  });

  it("a vote through the node entry is the route's: recorded, replayed by the Next handler as the same vote", async () => {
    const image = await t.db.image.create({
      data: {
        datasetId,
        split: "TRAIN",
        externalId: "vn-node",
        sha256: "d".repeat(64),
        phash: "d".repeat(16),
        pixels: new Uint8Array(48 * 48).fill(7),
      },
    });
    const body = JSON.stringify({ imageId: image.id, label: "surprise", requestId: randomUUID(), next: {} });
    const headers = { "content-type": "application/json", cookie, origin: ORIGIN };
    const first = await viaNode(body, headers);
    expect(first.status).toBe(201);
    expect(first.body).toHaveProperty("next");
    const replay = await viaNext(body, headers);
    expect(replay.status).toBe(200);
    expect(replay.body.vote?.id).toBe(first.body.vote?.id);
    expect(await t.db.vote.count({ where: { imageId: image.id } })).toBe(1);
  });

  it("GET /api/tasks/next through the node entry reads the query string and sends its headers", async () => {
    const res = await fetch(`${base}/api/tasks/next?datasetId=${datasetId}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(0);
    const answer = (await res.json()) as { task: { datasetId: string } | null };
    if (answer.task) expect(answer.task.datasetId).toBe(datasetId);
    const anon = await fetch(`${base}/api/tasks/next`);
    expect(anon.status).toBe(401);
  });
});
