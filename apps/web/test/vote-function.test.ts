// concord_vote (migration 20261201100000_vote_function), called directly against a fresh migrated Postgres: the
// branches the web's answers rest on (tasks/votes.ts), the gate before the insert, and that a failing pick of the
// next face never costs the vote.
import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
let datasetId: string;
let annotator: string;
let images: string[];
let seq = 0;
const rid = () => `fn-${Date.now()}-${seq++}`;

type TRow = {
  userFound: number;
  prevId: string | null;
  imageFound: string | null;
  labelOk: boolean | null;
  voteTaxonomy: string[] | null;
  mustQualify: boolean | null;
  newId: string | null;
  alreadyVoted: boolean | null;
  total: number;
  nextDatasetId: string | null;
  nextImageId: string | null;
  nextFailure: string | null;
};

// $1 annotator, $2 image, $3 label, $4 requestId, $5 roles, $6 want next, $7 lease seconds.
async function vote(
  image: string,
  options: {
    label?: string;
    requestId?: string;
    roles?: string[] | null;
    next?: boolean;
    lease?: number;
  } = {},
): Promise<TRow> {
  const rows = await t.db.$queryRawUnsafe<TRow[]>(
    `SELECT * FROM concord_vote($1, $2, $3, NULL, $4, $5, $6::text[], $7, NULL, 0.5, $8)`,
    annotator,
    image,
    options.label ?? "neutral",
    options.requestId ?? rid(),
    `v${Date.now().toString(36)}${seq++}`,
    options.roles === undefined ? ["ANNOTATOR"] : options.roles,
    options.next ?? true,
    options.lease ?? 60,
  );
  return rows[0]!;
}

const votesOf = () => t.db.vote.count({ where: { annotatorId: annotator } });

beforeAll(async () => {
  t = await createTestDatabase("concord_web_vote_fn");
  annotator = (
    await t.db.user.create({ data: { email: "f@t.local", name: "f", passwordHash: "x", role: "ANNOTATOR" } })
  ).id;
  datasetId = (
    await t.db.dataset.create({
      data: { slug: "fn", name: "FN", source: "SYNTHETIC", taxonomy: [...FERPLUS_LABELS], goldRate: 0 },
    })
  ).id;
  await t.db.image.createMany({
    data: Array.from({ length: 6 }, (_, i) => ({
      datasetId,
      split: "TRAIN" as const,
      externalId: `fn-${i}`,
      sha256: String(i).padStart(64, "0"),
      phash: String(i).padStart(16, "0"),
      pixels: new Uint8Array(48 * 48),
    })),
  });
  images = (await t.db.image.findMany({ where: { datasetId }, orderBy: { externalId: "asc" } })).map(
    (i) => i.id,
  );
});
afterAll(async () => {
  await t?.drop();
});

describe("concord_vote", () => {
  it("inserts, releases the lease on the image and leases the next face in the same call", async () => {
    await t.db.taskLease.create({
      data: { imageId: images[0]!, annotatorId: annotator, expiresAt: new Date(Date.now() + 60_000) },
    });
    const row = await vote(images[0]!);
    expect(row).toMatchObject({
      userFound: 1,
      imageFound: images[0],
      labelOk: true,
      mustQualify: false,
      total: 0,
    });
    expect(row.newId).not.toBeNull();
    expect(row.nextDatasetId).toBe(datasetId);
    expect(row.nextImageId).not.toBe(images[0]);
    const leases = await t.db.taskLease.findMany({ where: { annotatorId: annotator } });
    expect(leases.map((l) => l.imageId)).toEqual([row.nextImageId]);
    const tally = await t.db.imageTally.findUnique({ where: { imageId: images[0]! } });
    expect(tally).toMatchObject({ votes: 1, leases: 0 });
  });

  it("without want_next picks nothing; a replay, a refusal or a second vote insert nothing and pick nothing", async () => {
    const requestId = rid();
    const first = await vote(images[1]!, { requestId, next: false });
    expect(first.newId).not.toBeNull();
    expect(first.nextDatasetId).toBeNull();
    const before = await votesOf();
    const replay = await vote(images[1]!, { requestId });
    expect(replay).toMatchObject({ prevId: first.newId, newId: null, nextDatasetId: null });
    const again = await vote(images[1]!);
    expect(again).toMatchObject({ prevId: null, newId: null, alreadyVoted: true, nextDatasetId: null });
    const unknown = await vote("no-such-image");
    expect(unknown).toMatchObject({ imageFound: null, newId: null, alreadyVoted: null });
    const badLabel = await vote(images[2]!, { label: "not-a-label" });
    expect(badLabel).toMatchObject({ labelOk: false, newId: null });
    expect(badLabel.voteTaxonomy).toEqual([...FERPLUS_LABELS]);
    const wrongRole = await vote(images[2]!, { roles: ["ADMIN"] });
    expect(wrongRole).toMatchObject({ userFound: 1, newId: null, alreadyVoted: false });
    expect(await votesOf()).toBe(before);
  });

  it("refuses a paused annotator when roles are given, and not when the caller checked already (roles NULL)", async () => {
    await t.db.user.update({
      where: { id: annotator },
      data: { pausedAt: new Date(), pausedReason: "test" },
    });
    try {
      expect((await vote(images[3]!)).newId).toBeNull();
      expect((await vote(images[3]!, { roles: null, next: false })).newId).not.toBeNull();
    } finally {
      await t.db.user.update({ where: { id: annotator }, data: { pausedAt: null, pausedReason: null } });
    }
  });

  it("keeps the vote when the pick fails, and says why", async () => {
    const before = await votesOf();
    const leasesElsewhere = () =>
      t.db.taskLease.count({ where: { annotatorId: annotator, imageId: { not: images[4]! } } });
    const leasesBefore = await leasesElsewhere();
    // A lease length no timestamp can hold: the pick's insert fails inside the function.
    const row = await vote(images[4]!, { lease: 1e300 });
    expect(row.newId).not.toBeNull();
    expect(row.nextImageId).toBeNull();
    expect(row.nextFailure).toMatch(/out of range/);
    expect(await votesOf()).toBe(before + 1);
    expect(await leasesElsewhere()).toBe(leasesBefore);
  });
});
