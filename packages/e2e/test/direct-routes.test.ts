// apps/web/server.mjs answers POST /api/votes and GET /api/tasks/next itself (the routes' own handlers, called
// directly) and hands every other request to Next. Which one answered shows in the headers: a direct answer is
// written in one piece with its Content-Length; Next's app-route answers carry its `Vary: rsc, ...`.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2eDb } from "../src/db";
import { anonymous, type TSession } from "../src/http";
import { createUser, sessionFor } from "../src/reliability/users";

const db = e2eDb();
let annotator: TSession;

beforeAll(async () => {
  annotator = await sessionFor(await createUser(db, "ANNOTATOR", "direct"));
});
afterAll(async () => {
  await db.$disconnect();
});

const isDirect = (res: Response) =>
  res.headers.get("content-length") !== null && res.headers.get("vary") === null;

describe("the labelling loop's two routes are served directly", () => {
  it("GET /api/tasks/next and POST /api/votes (with next): direct, with the routes' own answers", async () => {
    const next = await annotator.fetch("/api/tasks/next?x=1");
    expect(next.status).toBe(200);
    expect(isDirect(next)).toBe(true);
    const { task } = (await next.json()) as { task: { imageId: string; taxonomy: string[] } };
    const vote = await annotator.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        imageId: task.imageId,
        label: task.taxonomy[0],
        requestId: randomUUID(),
        next: {},
      }),
    });
    expect(vote.status).toBe(201);
    expect(isDirect(vote)).toBe(true);
    const body = (await vote.json()) as { vote: { imageId: string }; next: { imageId: string } | null };
    expect(body.vote.imageId).toBe(task.imageId);
    expect(body.next?.imageId).not.toBe(task.imageId);
  });

  it("refusals on the direct path are the routes' own: 401, cross-origin 403, 400 naming the field", async () => {
    const anon = await anonymous("/api/votes", { method: "POST", body: "{}" });
    expect(anon.status).toBe(401);
    expect(isDirect(anon)).toBe(true);
    const cross = await annotator.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: "{}",
    });
    expect(cross.status).toBe(403);
    const bad = await annotator.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ imageId: "x", label: "y", requestId: "short" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/requestId/);
  });

  it("other methods, paths and routes go to Next", async () => {
    for (const [path, init] of [
      ["/api/tasks/next", { method: "HEAD" }],
      ["/api/votes", { method: "PUT" }],
      ["/api/votes/", { method: "POST", body: "{}" }],
      ["/api/votes/last", { method: "DELETE" }],
    ] as const) {
      const res = await annotator.fetch(path, { ...init, redirect: "manual" });
      expect(isDirect(res), `${init.method} ${path} -> ${res.status}`).toBe(false);
    }
  });
});
