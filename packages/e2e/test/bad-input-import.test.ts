// Bad input to imports: the upload API (strict mode: all or nothing), the folder-import API, the importer
// library and the `concord` CLI. Each gets a clear refusal naming the file (and line), and row counts are
// the same before and after. Names with markup are stored as text and rendered escaped in the browser.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { importDataset } from "@concord/importer";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, newContext } from "../src/browser";
import { e2eDb } from "../src/db";
import type { TSession } from "../src/http";
import { corruptPng, grayPng, hugeHeaderPng, NOT_AN_IMAGE, truncatedPng } from "../src/reliability/bad-files";
import { declareHugeUpload, type TUploadFile, upload } from "../src/reliability/upload";
import { createUser, rowCounts, sessionFor } from "../src/reliability/users";

const db = e2eDb();
const repoRoot = resolve(import.meta.dirname, "../../..");
let admin: TSession;
const tmp = mkdtempSync(join(tmpdir(), "concord-bad-input-"));

beforeAll(async () => {
  const user = await createUser(db, "ADMIN", "bad-import");
  admin = await sessionFor(user);
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await db.$disconnect();
});

const good = (i: number): TUploadFile => ({ name: `face${i}.png`, data: grayPng(48, 48, i) });
const strict = (slug: string) => ({ datasetSlug: `bad-${slug}`, strict: "true" });
const rejectedReasons = (body: Record<string, unknown>) =>
  ((body.rejected as { file: string; line?: number; reason: string }[]) ?? []).map(
    (r) => `${r.file}:${r.line ?? ""} ${r.reason}`,
  );

type TUploadCase = {
  name: string;
  images: TUploadFile[];
  csv?: { votes?: string; gold?: string };
  fields?: Record<string, string>;
  status: number;
  reason: RegExp;
};

const UPLOADS: TUploadCase[] = [
  {
    name: "corrupt PNG",
    images: [good(1), { name: "broken.png", data: corruptPng() }],
    status: 422,
    reason: /broken\.png.*corrupt/,
  },
  {
    name: "truncated PNG",
    images: [good(1), { name: "half.png", data: truncatedPng() }],
    status: 422,
    reason: /half\.png.*corrupt/,
  },
  {
    name: "20000x20000 PNG header",
    images: [good(1), { name: "bomb.png", data: hugeHeaderPng() }],
    status: 422,
    reason: /bomb\.png.*(corrupt|pixel|large|limit)/i,
  },
  {
    name: "non-image content named .png",
    images: [good(1), { name: "script.png", data: NOT_AN_IMAGE }],
    status: 422,
    reason: /script\.png.*corrupt/,
  },
  {
    name: "non-image file name",
    images: [good(1), { name: "run.sh", data: NOT_AN_IMAGE, type: "text/x-sh" }],
    status: 400,
    reason: /not an image file name/,
  },
  {
    name: "one file over 10 MiB",
    images: [{ name: "big.png", data: Buffer.alloc(10 * 1024 * 1024 + 10, 1) }],
    status: 413,
    reason: /larger than 10 MiB/,
  },
  {
    name: "votes.csv with a missing column",
    images: [good(1), good(2)],
    csv: { votes: "task,worker,label\nface1,w1\n" },
    status: 422,
    reason: /votes\.csv:2 malformed row/,
  },
  {
    name: "votes.csv with an extra column",
    images: [good(1), good(2)],
    csv: { votes: "task,worker,label\nface1,w1,happiness,extra\n" },
    status: 422,
    reason: /votes\.csv:2 malformed row/,
  },
  {
    name: "votes.csv with an unknown label",
    images: [good(1), good(2)],
    csv: { votes: "task,worker,label\nface1,w1,joyful\n" },
    status: 422,
    reason: /unknown label "joyful"/,
  },
  {
    name: "votes for an unknown image",
    images: [good(1), good(2)],
    csv: { votes: "task,worker,label\nface999,w1,happiness\n" },
    status: 422,
    reason: /unknown task "face999"/,
  },
  {
    name: "gold.csv with a SQL-looking label",
    images: [good(1)],
    csv: { gold: 'task,label\nface1,\'; DROP TABLE "Vote"; --\n' },
    status: 422,
    reason: /unknown label/,
  },
  {
    name: "SQL-looking dataset slug",
    images: [good(1)],
    fields: { datasetSlug: 'x\'; DROP TABLE "Dataset"; --' },
    status: 400,
    reason: /datasetSlug/,
  },
  {
    name: "no image at all",
    images: [],
    fields: { datasetSlug: "bad-empty" },
    status: 400,
    reason: /at least one image/,
  },
];

describe("upload API (strict) refuses bad files and commits nothing", () => {
  it.each(UPLOADS)("$name -> $status", async (c) => {
    const before = await rowCounts(db);
    const fields = { ...strict(c.name.replace(/\W+/g, "-").toLowerCase().slice(0, 40)), ...c.fields };
    const { status, body } = await upload(admin, fields, c.images, c.csv);
    expect(status, JSON.stringify(body)).toBe(c.status);
    const said = c.status === 422 ? rejectedReasons(body).join("\n") : String(body.error);
    expect(said).toMatch(c.reason);
    if (c.status === 422) expect(body.aborted).toBe(true);
    expect(await rowCounts(db)).toEqual(before);
  });

  it("a request declaring 60 MiB is refused with 413 before its body is read", async () => {
    const before = await rowCounts(db);
    const res = await declareHugeUpload(admin, 60 * 1024 * 1024);
    expect(res.status).toBe(413);
    expect(res.body).toMatch(/larger than 50 MiB/);
    expect(await rowCounts(db)).toEqual(before);
  });

  it("a JSON body to the upload endpoint is 415", async () => {
    const res = await admin.fetch("/api/datasets/upload", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(415);
  });
});

describe("folder import API", () => {
  it.each([
    ["a relative path", { datasetSlug: "bad-rel", path: "../../etc", layout: "auto" }, /absolute path/],
    [
      "a path that does not exist",
      { datasetSlug: "bad-missing", path: "/nonexistent/concord", layout: "auto" },
      /does not exist/,
    ],
    ["an unknown layout", { datasetSlug: "bad-layout", path: "/tmp", layout: "evil" }, /layout/],
    ["a SQL-looking slug", { datasetSlug: "a' OR 1=1", path: "/tmp", layout: "auto" }, /datasetSlug/],
  ])("%s -> 400", async (_name, body, error) => {
    const before = await rowCounts(db);
    const res = await admin.fetch("/api/datasets", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { error: string };
    expect(res.status, json.error).toBe(400);
    expect(json.error).toMatch(error);
    expect(await rowCounts(db)).toEqual(before);
  });
});

// A FER+-layout folder whose label.csv has one good row and one bad row.
function ferplusFolder(name: string, badRow: string): string {
  const dir = join(tmp, name, "FER2013Train");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "fer0000001.png"), grayPng(48, 48, 11));
  writeFileSync(join(dir, "fer0000002.png"), grayPng(48, 48, 12));
  writeFileSync(join(dir, "label.csv"), `fer0000001.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0\n${badRow}\n`);
  return join(tmp, name);
}

describe("importer library and CLI (FER+ layout, strict)", () => {
  it.each([
    [
      "negative counts",
      'fer0000002.png,"(0, 0, 48, 48)",4,-3,0,1,3,2,0,0,0,0',
      /label\.csv:2 .*negative|label\.csv:2 .*count/i,
    ],
    [
      "missing count columns",
      'fer0000002.png,"(0, 0, 48, 48)",4,0,0',
      /label\.csv:2 malformed row: expected 12 fields, got 5/,
    ],
  ])("%s: aborted, nothing written, the line named", async (name, row, reason) => {
    const before = await rowCounts(db);
    const path = ferplusFolder(name.replace(/\W+/g, "-"), row);
    const report = await importDataset(db, {
      datasetSlug: `bad-lib-${name.replace(/\W+/g, "-")}`,
      path,
      layout: "ferplus",
      strict: true,
    });
    expect(report.aborted).toBe(true);
    expect(report.rejected.map((r) => `${r.file.split("/").pop()}:${r.line} ${r.reason}`).join("\n")).toMatch(
      reason,
    );
    expect(await rowCounts(db)).toEqual(before);
  });

  it("`concord import --strict` exits 2 with the reason and writes nothing", async () => {
    const before = await rowCounts(db);
    const path = ferplusFolder("cli", 'fer0000002.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,-1');
    const r = spawnSync(
      process.execPath,
      [
        join(repoRoot, "packages/importer/bin/concord.mjs"),
        "import",
        path,
        "--dataset",
        "bad-cli",
        "--layout",
        "ferplus",
        "--strict",
      ],
      {
        env: { ...process.env, DATABASE_URL: inject("databaseUrl") },
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr + r.stdout).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/label\.csv/);
    expect(await rowCounts(db)).toEqual(before);
  });
});

describe("markup in names is stored as text and rendered escaped", () => {
  it("dataset and user names with <img onerror> and <script> never run in the admin pages", async () => {
    const tag = Date.now().toString(36);
    const datasetName = `<img src=x onerror="window.__pwned='dataset'"><script>window.__pwned='script'</script>DS${tag}`;
    const uploaded = await upload(admin, { datasetSlug: `xss-${tag}`, name: datasetName, strict: "true" }, [
      good(7),
    ]);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
    const userName = `<svg onload="window.__pwned='user'">U${tag}`;
    const created = await admin.fetch("/api/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: userName,
        email: `xss-${tag}@reliability.test`,
        role: "ANNOTATOR",
        password: "0123456789ab",
      }),
    });
    expect(created.status).toBe(201);
    const dataset = await db.dataset.findUniqueOrThrow({ where: { slug: `xss-${tag}` } });
    expect(dataset.name).toBe(datasetName);

    const browser = await launchBrowser();
    try {
      const context = await newContext(browser);
      const [name, value] = admin.cookie.split("=") as [string, string];
      await context.addCookies([{ name, value, url: inject("baseUrl"), httpOnly: true, sameSite: "Lax" }]);
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      for (const [path, text] of [
        ["/admin/datasets", `DS${tag}`],
        [`/admin/datasets/${dataset.id}`, `DS${tag}`],
        ["/admin/users", `U${tag}`],
      ] as const) {
        await page.goto(path, { waitUntil: "networkidle" });
        const body = await page.locator("body").textContent();
        expect(body, path).toContain(text);
        expect(body, path).toContain(text.startsWith("DS") ? "<img src=x onerror=" : "<svg onload=");
        expect(
          await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned),
          path,
        ).toBeUndefined();
        expect(await page.locator("img[src='x'], svg[onload]").count(), path).toBe(0);
      }
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
