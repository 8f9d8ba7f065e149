// `concord export <dataset> --out dir`: every row of a dataset that people made (images, votes with their
// annotator, time, duration and request id, imported tallies, gold, leak-guard pairs, exclusions, review
// actions, qualification rounds, label snapshots with their soft labels) and its settings as an archive
// (format.ts). Rows are written in a fixed order, so exporting the same
// content twice gives the same files and the same archive hash.
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TDb } from "@concord/db";
import { writeDecisions } from "./export-decisions";
import {
  ARCHIVE_FILES,
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  ArchiveError,
  annotatorRef,
  archiveHashOf,
  canonicalJson,
  compareText as cmp,
  MANIFEST,
  type TArchiveDataset,
  type TArchiveFile,
  type TArchiveRow,
  type TFileEntry,
  type TManifest,
  ZArchiveDataset,
} from "./format";
import { excludedAnnotatorsOf, mapStatsKeys } from "./stats-keys";

export type TExportOptions = { slug: string; out: string; identified?: boolean; pageSize?: number };
export type TExportReport = { manifest: TManifest; dir: string };
/** Writes one archive file from the rows `rows` emits, in the order it emits them. */
export type TWriteFile = <F extends TArchiveFile>(
  name: F,
  rows: (emit: (row: TArchiveRow<F>) => Promise<void>) => Promise<void>,
) => Promise<void>;

const iso = (d: Date) => d.toISOString();

class NdjsonWriter {
  private readonly stream;
  private readonly hash = createHash("sha256");
  private rows = 0;
  private bytes = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  async write(row: unknown): Promise<void> {
    const line = `${JSON.stringify(row)}\n`;
    this.hash.update(line);
    this.rows++;
    this.bytes += Buffer.byteLength(line);
    if (!this.stream.write(line)) await new Promise<void>((ok) => this.stream.once("drain", () => ok()));
  }

  async close(): Promise<TFileEntry> {
    await new Promise<void>((ok, fail) => this.stream.end((e?: Error | null) => (e ? fail(e) : ok())));
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest("hex") };
  }
}

export async function exportDataset(db: TDb, options: TExportOptions): Promise<TExportReport> {
  const ds = await db.dataset.findUnique({ where: { slug: options.slug } });
  if (!ds) throw new ArchiveError(`no dataset "${options.slug}"`);
  const dir = options.out;
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new ArchiveError(`${dir} is not empty: export into a new or empty folder`);
  await mkdir(dir, { recursive: true });
  const pageSize = options.pageSize ?? 2000;
  const files: Partial<Record<TArchiveFile, TFileEntry>> = {};
  const writeFileRows: TWriteFile = async (name, rows) => {
    const w = new NdjsonWriter(join(dir, name));
    await rows((row) => w.write(row));
    files[name] = await w.close();
  };

  const snapshots = await db.labelSnapshot.findMany({
    where: { datasetId: ds.id },
    orderBy: [{ createdAt: "asc" }, { contentHash: "asc" }],
  });
  // Exclusions of the people whose votes the dataset's snapshots weigh: its voters and whoever a snapshot says
  // it left out (an exclusion is about a person, in every dataset).
  const leftOut = [...new Set(snapshots.flatMap((s) => excludedAnnotatorsOf(s.stats)))];
  const exclusions = await db.annotatorExclusion.findMany({
    where: {
      OR: [
        { annotatorId: { in: leftOut } },
        { annotator: { votes: { some: { image: { datasetId: ds.id } } } } },
      ],
    },
  });
  const named = [
    ...leftOut,
    ...exclusions.flatMap((x) => [x.annotatorId, x.createdById, x.revokedById]),
  ].filter((id) => id !== null);
  // Everyone the dataset's rows name: voters, snapshot authors and the annotators in snapshot statistics, the
  // people and deciders of exclusions, review actions' deciders and qualification candidates.
  const users = await db.$queryRawUnsafe<{ id: string; email: string; name: string; role: string }[]>(
    `SELECT u."id", u."email", u."name", u."role"::text AS role FROM "User" u
     WHERE u."id" = ANY($2::text[])
        OR u."id" IN (SELECT v."annotatorId" FROM "Vote" v JOIN "Image" i ON i."id" = v."imageId"
                      WHERE i."datasetId" = $1)
        OR u."id" IN (SELECT s."createdById" FROM "LabelSnapshot" s WHERE s."datasetId" = $1)
        OR u."id" IN (SELECT unnest(ARRAY[a."createdById", a."revokedById"]) FROM "ImageAction" a
                      JOIN "Image" i ON i."id" = a."imageId" WHERE i."datasetId" = $1)
        OR u."id" IN (SELECT q."userId" FROM "QualificationAttempt" q WHERE q."datasetId" = $1)`,
    ds.id,
    [...new Set(named)],
  );
  const refOf = new Map(users.map((u) => [u.id, annotatorRef(u)]));
  const ref = (id: string | null) => (id === null ? null : (refOf.get(id) ?? null));
  await writeFileRows("annotators.ndjson", async (emit) => {
    const rows = users.map((u) => ({ u, ref: refOf.get(u.id)! })).sort((a, b) => cmp(a.ref, b.ref));
    for (const { u, ref } of rows)
      await emit({
        ref,
        role: u.role as "ANNOTATOR",
        ...(options.identified ? { email: u.email, name: u.name } : {}),
      });
  });

  await writeFileRows("images.ndjson", async (emit) => {
    let after = "";
    for (;;) {
      const page = await db.image.findMany({
        where: { datasetId: ds.id, externalId: { gt: after } },
        orderBy: { externalId: "asc" },
        take: pageSize,
      });
      for (const im of page)
        await emit({
          ext: im.externalId,
          split: im.split,
          sha256: im.sha256,
          phash: im.phash,
          width: im.width,
          height: im.height,
          conversion: im.conversion,
          createdAt: iso(im.createdAt),
          pixels: Buffer.from(im.pixels).toString("base64"),
        });
      if (page.length < pageSize) break;
      after = page[page.length - 1]!.externalId;
    }
  });

  await writeFileRows("tallies.ndjson", async (emit) => {
    const rows = await db.importedTally.findMany({
      where: { image: { datasetId: ds.id } },
      select: { source: true, counts: true, createdAt: true, image: { select: { externalId: true } } },
    });
    rows.sort((a, b) => cmp(a.image.externalId, b.image.externalId) || cmp(a.source, b.source));
    for (const t of rows)
      await emit({
        image: t.image.externalId,
        source: t.source,
        counts: t.counts,
        createdAt: iso(t.createdAt),
      });
  });

  await writeFileRows("votes.ndjson", async (emit) => {
    const rows = await db.vote.findMany({
      where: { image: { datasetId: ds.id } },
      select: {
        annotatorId: true,
        label: true,
        durationMs: true,
        requestId: true,
        isGold: true,
        createdAt: true,
        image: { select: { externalId: true } },
      },
    });
    const keyed = rows.map((v) => ({ v, image: v.image.externalId, annotator: ref(v.annotatorId)! }));
    keyed.sort((a, b) => cmp(a.image, b.image) || cmp(a.annotator, b.annotator));
    for (const { v, image, annotator } of keyed)
      await emit({
        image,
        annotator,
        label: v.label,
        durationMs: v.durationMs,
        requestId: v.requestId,
        isGold: v.isGold,
        createdAt: iso(v.createdAt),
      });
  });

  await writeFileRows("gold.ndjson", async (emit) => {
    const rows = await db.goldLabel.findMany({
      where: { image: { datasetId: ds.id } },
      select: { label: true, createdAt: true, image: { select: { externalId: true } } },
    });
    rows.sort((a, b) => cmp(a.image.externalId, b.image.externalId));
    for (const g of rows)
      await emit({ image: g.image.externalId, label: g.label, createdAt: iso(g.createdAt) });
  });

  await writeFileRows("duplicates.ndjson", async (emit) => {
    const rows = await db.duplicatePair.findMany({
      where: { datasetId: ds.id },
      select: {
        kind: true,
        distance: true,
        crossSplit: true,
        imageA: { select: { externalId: true } },
        imageB: { select: { externalId: true } },
      },
    });
    const pairs = rows.map((p) => {
      const [a, b] = [p.imageA.externalId, p.imageB.externalId].sort(cmp) as [string, string];
      return { a, b, kind: p.kind, distance: p.distance, crossSplit: p.crossSplit };
    });
    pairs.sort((x, y) => cmp(x.a, y.a) || cmp(x.b, y.b));
    for (const p of pairs) await emit(p);
  });

  const exclusionKeyOf = await writeDecisions(db, ds.id, exclusions, ref, writeFileRows);
  await writeFileRows("snapshots.ndjson", async (emit) => {
    for (const s of snapshots)
      await emit({
        contentHash: s.contentHash,
        method: s.method,
        params: canonicalJson(s.params),
        stats: canonicalJson(
          mapStatsKeys(s.stats, {
            annotator: (id) => refOf.get(id),
            exclusion: (id) => exclusionKeyOf.get(id),
          }),
        ),
        createdBy: ref(s.createdById),
        createdAt: iso(s.createdAt),
      });
  });
  await writeFileRows("soft-labels.ndjson", async (emit) => {
    for (const s of snapshots) {
      const rows = await db.softLabel.findMany({
        where: { snapshotId: s.id },
        select: { probs: true, label: true, votes: true, image: { select: { externalId: true } } },
      });
      rows.sort((a, b) => cmp(a.image.externalId, b.image.externalId));
      for (const r of rows)
        await emit({
          snapshot: s.contentHash,
          image: r.image.externalId,
          probs: r.probs,
          label: r.label,
          votes: r.votes,
        });
    }
  });

  // Parsed: the record's keys in the schema's order, as a restore's check of the archive hash sees them.
  // (Dataset columns not in the schema, such as the derived stopping fit, are dropped by the parse.)
  const dataset = ZArchiveDataset.parse({ ...ds, createdAt: iso(ds.createdAt) } satisfies Record<
    keyof TArchiveDataset,
    unknown
  >);
  const complete = Object.fromEntries(ARCHIVE_FILES.map((n) => [n, files[n]!])) as TManifest["files"];
  const manifest: TManifest = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    createdAt: new Date().toISOString(),
    identified: options.identified === true,
    dataset,
    files: complete,
    archiveHash: archiveHashOf({ version: ARCHIVE_VERSION, dataset, files: complete }),
  };
  // The manifest last: a folder without one is an export that did not finish.
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, dir };
}
