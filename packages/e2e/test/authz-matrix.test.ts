// The authorization matrix: every route handler and page found on disk x anonymous / annotator /
// researcher / admin -> the expected status. A route missing from EXPECTED (or listed but gone) fails the
// file, so a new route cannot escape review. Requests that an allowed role sends are harmless (invalid
// bodies, unknown ids): row counts before and after prove nothing changed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseUrl } from "../src/browser";
import { e2eDb } from "../src/db";
import { anonymous, type TSession } from "../src/http";
import { fillTemplate, listRoutes } from "../src/reliability/routes";
import { createUser, rowCounts, sessionFor, type TRole } from "../src/reliability/users";

type TAccess = "public" | "signed-in" | readonly TRole[];
const ADMIN = ["ADMIN"] as const;
const ANNOTATOR = ["ANNOTATOR"] as const;
const READERS = ["RESEARCHER", "ADMIN"] as const;
const ALL = ["ANNOTATOR", "RESEARCHER", "ADMIN"] as const;

// Route template -> method -> who may call it. Reviewed against issue 5 (roles), issue 7 and issue 13.
const EXPECTED_API: Record<string, Record<string, TAccess>> = {
  "/api/auth/[...nextauth]": { GET: "public", POST: "public" },
  "/api/datasets": { GET: ADMIN, POST: ADMIN },
  "/api/datasets/[id]": { GET: ADMIN, PATCH: ADMIN },
  "/api/datasets/[id]/checks": { GET: ADMIN, PATCH: ADMIN },
  "/api/datasets/upload": { POST: ADMIN },
  "/api/exports/annotators": { GET: READERS },
  "/api/exports/predictions": { GET: READERS },
  "/api/exports/runs/[id]": { GET: READERS },
  "/api/exports/soft-labels": { GET: READERS },
  "/api/exports/votes": { GET: READERS },
  "/api/images/[id]": { GET: READERS },
  "/api/images/[id]/png": { GET: ALL },
  "/api/images/actions": { POST: ADMIN },
  "/api/images/actions/[id]/revoke": { POST: ADMIN },
  "/api/predictions": { GET: READERS, POST: ADMIN },
  "/api/predictions/[id]": { GET: READERS },
  "/api/predictions/[id]/cancel": { POST: ADMIN },
  "/api/predictions/[id]/resume": { POST: ADMIN },
  "/api/qualification": { POST: ANNOTATOR },
  "/api/runs": { GET: READERS, POST: ADMIN },
  "/api/runs/[id]": { GET: READERS },
  "/api/runs/[id]/artifact": { GET: READERS },
  "/api/runs/[id]/cancel": { POST: ADMIN },
  "/api/runs/[id]/retry": { POST: ADMIN },
  "/api/snapshots": { GET: READERS, POST: ADMIN },
  "/api/snapshot-jobs/[id]/retry": { POST: ADMIN },
  "/api/snapshots/[id]": { GET: READERS },
  "/api/tasks/next": { GET: ANNOTATOR },
  "/api/users": { GET: ADMIN, POST: ADMIN },
  "/api/users/[id]": { PATCH: ADMIN },
  "/api/users/[id]/exclusion": { POST: ADMIN, DELETE: ADMIN },
  "/api/users/[id]/qualification": { POST: ADMIN },
  "/api/votes": { POST: ANNOTATOR },
  "/api/votes/last": { DELETE: ANNOTATOR },
};
const EXPECTED_PAGES: Record<string, TAccess> = {
  "/": "signed-in",
  "/login": "public",
  "/label": ANNOTATOR,
  "/label/checks": ANNOTATOR,
  // Admins read the guidelines as annotators see them.
  "/label/guidelines": ["ANNOTATOR", "ADMIN"],
  "/admin/datasets": ADMIN,
  "/admin/datasets/[id]": ADMIN,
  "/admin/jobs": ADMIN,
  "/admin/runs": ADMIN,
  "/admin/runs/[id]": ADMIN,
  "/admin/snapshots": ADMIN,
  "/admin/snapshots/[id]": ADMIN,
  "/admin/users": ADMIN,
  "/admin/users/[id]": ADMIN,
  "/admin/users/[id]/checks": ADMIN,
  "/research/agreement": READERS,
  "/research/compare": READERS,
  "/research/images/[id]": READERS,
  "/research/review": READERS,
  "/research/runs": READERS,
  "/research/runs/[id]": READERS,
};

const ROLES: TRole[] = ["ANNOTATOR", "RESEARCHER", "ADMIN"];
const MISSING = "authz-missing-id";
const db = e2eDb();
const sessions = {} as Record<TRole, TSession>;
let before: Record<string, number>;

beforeAll(async () => {
  for (const role of ROLES) sessions[role] = await sessionFor(await createUser(db, role, "authz"));
  before = await rowCounts(db);
});
afterAll(async () => {
  await db.$disconnect();
});

const routes = listRoutes();
const apiCases = routes
  .filter((r) => r.kind === "api")
  .flatMap((r) => r.methods.map((method) => ({ template: r.template, method })));
const pageCases = routes.filter((r) => r.kind === "page").map((r) => r.template);

function pathFor(template: string): string {
  if (template === "/api/auth/[...nextauth]") return "/api/auth/csrf";
  return fillTemplate(template, { id: MISSING });
}

function request(who: TRole | "anonymous", method: string, path: string, extra: Record<string, string> = {}) {
  const hasBody = method !== "GET" && method !== "HEAD";
  const init: RequestInit = {
    method,
    headers: { "content-type": "application/json", ...extra },
    body: hasBody ? "{}" : undefined,
  };
  return who === "anonymous" ? anonymous(path, init) : sessions[who].fetch(path, init);
}

describe("the matrix covers the filesystem", () => {
  it("every route handler method on disk has an expectation, and every expectation a handler", () => {
    const onDisk = apiCases.map((c) => `${c.method} ${c.template}`).sort();
    const expected = Object.entries(EXPECTED_API)
      .flatMap(([t, methods]) => Object.keys(methods).map((m) => `${m} ${t}`))
      .sort();
    expect(onDisk).toEqual(expected);
  });
  it("every page on disk has an expectation, and every expectation a page", () => {
    expect([...pageCases].sort()).toEqual(Object.keys(EXPECTED_PAGES).sort());
  });
  it("no state-changing route is open to researchers or to anonymous users", () => {
    for (const [template, methods] of Object.entries(EXPECTED_API))
      for (const [method, access] of Object.entries(methods)) {
        if (method === "GET" || template.startsWith("/api/auth/")) continue;
        expect(access, `${method} ${template}`).not.toBe("public");
        expect(access as readonly string[], `${method} ${template}`).not.toContain("RESEARCHER");
      }
  });
});

describe.each(["anonymous", ...ROLES] as const)("API as %s", (who) => {
  it.each(apiCases)("$method $template", async ({ template, method }) => {
    const access = EXPECTED_API[template]?.[method];
    expect(access, "route missing from the matrix").toBeDefined();
    const res = await request(who, method, pathFor(template));
    const body = await res.text();
    const allowed =
      access === "public" || (who !== "anonymous" && (access as readonly string[]).includes(who));
    if (allowed) {
      expect(res.status, body).not.toBe(401);
      expect(res.status, body).not.toBe(403);
      expect(res.status, body).toBeLessThan(500);
      // Harmless by construction: an allowed mutation gets an empty body or an unknown id and must refuse.
      if (method !== "GET" && access !== "public") expect(res.status, body).toBeGreaterThanOrEqual(400);
    } else if (who === "anonymous") {
      expect(res.status, body).toBe(401);
      expect(JSON.parse(body)).toEqual({ error: "Sign in required" });
    } else {
      expect(res.status, body).toBe(403);
      expect(JSON.parse(body).error).toMatch(/^Forbidden: requires role/);
    }
  });
});

describe.each(["anonymous", ...ROLES] as const)("pages as %s", (who) => {
  it.each(pageCases)("GET %s", async (template) => {
    const access = EXPECTED_PAGES[template];
    expect(access, "page missing from the matrix").toBeDefined();
    const res = await request(who, "GET", pathFor(template));
    const location = new URL(res.headers.get("location") ?? "/nowhere", baseUrl()).pathname;
    if (access === "public") {
      // The login page sends signed-in users home; everyone else gets the form.
      if (who === "anonymous") expect(res.status).toBe(200);
      else expect([303, 307, 308]).toContain(res.status);
    } else if (who === "anonymous") {
      expect([303, 307, 308]).toContain(res.status);
      expect(location).toBe("/login");
    } else if (access === "signed-in") {
      expect([303, 307, 308]).toContain(res.status);
      expect(location).not.toBe("/login");
    } else if ((access as readonly string[]).includes(who)) {
      // Unknown ids in dynamic pages are a 404, never a leak or a crash.
      expect(template.includes("[") ? [200, 404] : [200]).toContain(res.status);
    } else {
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("You do not have access to this page");
    }
  });
});

describe("nothing changed", () => {
  it("row counts are the same after every role probed every route", async () => {
    expect(await rowCounts(db)).toEqual(before);
  });
});
