import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toApiError } from "../src/lib/api-error";
import { parseEnv } from "../src/server/env";
import {
  errorToResponse,
  fieldError,
  HttpError,
  isDatabaseUnavailable,
  jsonError,
  MAX_JSON_BYTES,
  parseJson,
} from "../src/server/http";
import { nodeRouteRequest, parseCookieHeader } from "../src/server/node-route";
import { isMutating, isSameOrigin } from "../src/server/origin";
import { createRateLimiter } from "../src/server/rate-limit";

describe("rate limiter", () => {
  it("allows `limit` hits per window, then refuses with a retry delay, and resets after the window", () => {
    const rl = createRateLimiter(3, 60_000);
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => rl.hit("a|ip", t0).allowed)).toEqual([true, true, true]);
    const refused = rl.hit("a|ip", t0 + 10_000);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterS).toBe(50);
    expect(rl.hit("b|ip", t0).allowed).toBe(true); // other key unaffected
    expect(rl.hit("a|ip", t0 + 60_000).allowed).toBe(true);
  });
  it("check() reports without counting", () => {
    const rl = createRateLimiter(2, 60_000);
    expect(rl.check("k", 0).allowed).toBe(true);
    rl.hit("k", 0);
    expect(rl.check("k", 1).allowed).toBe(true);
    rl.hit("k", 1);
    expect(rl.check("k", 2)).toEqual({ allowed: false, retryAfterS: 60 });
    expect(rl.check("k", 60_000).allowed).toBe(true);
  });
  it("reset clears a key (successful login)", () => {
    const rl = createRateLimiter(1, 60_000);
    rl.hit("k", 0);
    expect(rl.hit("k", 1).allowed).toBe(false);
    rl.reset("k");
    expect(rl.hit("k", 2).allowed).toBe(true);
  });
});

describe("origin check", () => {
  it("treats GET/HEAD/OPTIONS as safe", () => {
    expect(isMutating("GET")).toBe(false);
    expect(isMutating("post")).toBe(true);
    expect(isMutating("DELETE")).toBe(true);
  });
  it("accepts same host, forwarded host and NEXTAUTH_URL; refuses others and garbage", () => {
    const pub = "https://concord.example.org";
    expect(isSameOrigin("http://localhost:3000", "localhost:3000", null, pub)).toBe(true);
    expect(isSameOrigin("https://concord.example.org", "10.0.0.5:3000", null, pub)).toBe(true);
    expect(isSameOrigin("https://a.example", "x:1", "a.example, proxy", pub)).toBe(true);
    expect(isSameOrigin("https://evil.example", "localhost:3000", null, pub)).toBe(false);
    expect(isSameOrigin("null", "localhost:3000", null, pub)).toBe(false);
    expect(isSameOrigin(null, "localhost:3000", null, pub)).toBe(true);
  });
});

describe("http helpers", () => {
  const ZBody = z.object({ n: z.number().int() });
  const req = (body: string, type = "application/json") =>
    new Request("http://x/", { method: "POST", body, headers: { "content-type": type } });

  it("parses a valid body", async () => {
    await expect(parseJson(req('{"n":3}'), ZBody)).resolves.toEqual({ n: 3 });
  });
  const bodyOf = async (error: unknown) => {
    const res = errorToResponse(error);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it("400 on malformed JSON, naming the body", async () => {
    const err = await parseJson(req("{n:"), ZBody).catch((e: unknown) => e);
    expect(await bodyOf(err)).toEqual({
      status: 400,
      body: {
        error: "body: malformed JSON",
        details: { field: "body", issues: [{ field: "body", message: "body: malformed JSON" }] },
      },
    });
  });
  it("400 on wrong types, naming the field first and listing every issue", async () => {
    const ZTwo = z.object({ n: z.number().int(), name: z.string().min(1, "name: required") });
    const err = await parseJson(req('{"n":"three","name":""}'), ZTwo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    const { status, body } = await bodyOf(err);
    expect(status).toBe(400);
    expect(body).toMatchObject({
      error: expect.stringMatching(/^n: Invalid input/),
      details: {
        field: "n",
        // A message that already names its field keeps it once.
        issues: [
          { field: "n", message: expect.stringMatching(/^n: /) },
          { field: "name", message: "name: required" },
        ],
      },
    });
  });
  it("a body that is not an object is refused as the body", async () => {
    const err = await parseJson(req("[]"), ZBody).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, details: { field: "body" } });
    expect((err as HttpError).message).toMatch(/^body: /);
  });
  it("server checks and query parameters answer the same shape", async () => {
    expect(await bodyOf(fieldError("k", "an integer between 1 and 100"))).toEqual({
      status: 400,
      body: {
        error: "k: an integer between 1 and 100",
        details: { field: "k", issues: [{ field: "k", message: "k: an integer between 1 and 100" }] },
      },
    });
    expect((await bodyOf(fieldError("images", "images: too large", 413))).status).toBe(413);
  });
  it("the forms read the field and the message from that shape", async () => {
    const { status, body } = await bodyOf(fieldError("epochs", "epochs: <= 500"));
    expect(toApiError(status, body)).toEqual({ field: "epochs", message: "epochs: <= 500" });
    expect(toApiError(409, { error: "dup" })).toEqual({ message: "dup" });
    expect(toApiError(502, null, "Import")).toEqual({ message: "Import failed (502)" });
  });
  it("415 on a non-JSON content type", async () => {
    await expect(parseJson(req("n=3", "application/x-www-form-urlencoded"), ZBody)).rejects.toMatchObject({
      status: 415,
    });
  });
  it("maps errors to statuses", async () => {
    expect((await jsonError(409, "dup", { id: 1 }).json()) as unknown).toEqual({
      error: "dup",
      details: { id: 1 },
    });
    expect(errorToResponse(new HttpError(404, "Unknown image")).status).toBe(404);
    const q = Object.assign(new Error("redis down"), { name: "QueueUnavailableError" });
    expect(errorToResponse(q).status).toBe(503);
    const pg = new Error("wrapped", {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
    });
    expect(isDatabaseUnavailable(pg)).toBe(true);
    expect(errorToResponse(pg).status).toBe(503);
    expect(isDatabaseUnavailable(new Error("unique constraint"))).toBe(false);
    // Shape seen from Prisma 7 + adapter-pg when Postgres is shut down under a live connection.
    const terminated = Object.assign(
      new Error("Invalid `prisma.user.findUnique()` invocation: Database error."),
      {
        code: "P2039",
        meta: {
          modelName: "User",
          driverAdapterError: Object.assign(
            new Error("terminating connection due to administrator command"),
            {
              cause: { kind: "postgres", originalCode: "57P01" },
            },
          ),
        },
      },
    );
    expect(isDatabaseUnavailable(terminated)).toBe(true);
    expect(
      isDatabaseUnavailable({
        code: "P2039",
        meta: { driverAdapterError: { cause: { originalCode: "57P01" } } },
      }),
    ).toBe(true);
    expect(
      isDatabaseUnavailable({
        code: "P2039",
        meta: { driverAdapterError: { cause: { originalCode: "23505" } } },
      }),
    ).toBe(false);
  });
});

describe("env", () => {
  it("applies defaults and a dev secret outside production", () => {
    const env = parseEnv({ NODE_ENV: "test" });
    expect(env.DATABASE_URL).toBe("postgresql://postgres@127.0.0.1:5432/concord");
    expect(env.NEXTAUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(env.CONCORD_LOGIN_LIMIT).toBe(10);
    expect(env.CONCORD_TRUST_PROXY).toBe(false);
    expect(parseEnv({ NODE_ENV: "test", CONCORD_TRUST_PROXY: "1" }).CONCORD_TRUST_PROXY).toBe(true);
  });
  it("names a malformed variable", () => {
    expect(() => parseEnv({ NODE_ENV: "test", DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
  });
  it("requires NEXTAUTH_SECRET under production, but not while `next build` collects pages", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/NEXTAUTH_SECRET is required/);
    expect(
      parseEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: "x".repeat(40) }).NEXTAUTH_SECRET,
    ).toHaveLength(40);
    expect(
      parseEnv({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build" }).NEXTAUTH_SECRET,
    ).toBeTruthy();
  });
});

describe("cookie header of the node:http entry (server.mjs), read as Next reads it", () => {
  it("splits on ';', decodes values, drops undecodable ones, the later of two wins, __proto__ is a name", () => {
    const cookies = parseCookieHeader(
      "a=1; next-auth.session-token=x.y%2Ez;bad=%E0%A4%A; flag; a=2; __proto__=p",
    );
    expect({ ...cookies }).toEqual({
      a: "2",
      "next-auth.session-token": "x.y.z",
      flag: "true",
      ["__proto__"]: "p",
    });
    expect(Object.keys(parseCookieHeader(undefined))).toEqual([]);
  });
});

describe("body of the node:http entry", () => {
  it("keeps at most the limit and one chunk of a large body, and reads the rest through (413 follows)", async () => {
    const chunk = 16 * 1024;
    let read = 0;
    const stream = Readable.from(
      (function* () {
        for (let i = 0; i < 64; i++) {
          read += chunk;
          yield Buffer.alloc(chunk, 97);
        }
      })(),
    );
    const req = Object.assign(stream, {
      headers: { "content-type": "application/json" },
      method: "POST",
      url: "/",
    });
    const text = await nodeRouteRequest(req as unknown as IncomingMessage).text();
    expect(read).toBe(64 * chunk);
    expect(text.length).toBeGreaterThan(MAX_JSON_BYTES);
    expect(text.length).toBeLessThanOrEqual(MAX_JSON_BYTES + chunk);
    const small = Object.assign(Readable.from([Buffer.from('{"a":1}')]), {
      headers: {},
      method: "POST",
      url: "/",
    });
    expect(await nodeRouteRequest(small as unknown as IncomingMessage).text()).toBe('{"a":1}');
  });
});
