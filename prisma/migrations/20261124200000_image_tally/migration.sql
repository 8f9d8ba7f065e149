-- Per-image vote tally, so that picking the next task is an index scan instead of an aggregate over every vote
-- of the dataset (issue 7). Written by hand (db:diff cannot diff from existing migrations, see packages/db/README).
--
-- "ImageTally" holds one row per image: its non-gold votes (total and per label), whether it is a gold image,
-- and whether it needs no more votes ("done": maxVotes reached, or its sorted count signature is one the
-- dataset's dynamic-overlap rule calls done). Triggers on "Image", "Vote", "GoldLabel" and "Dataset" keep it
-- exact for every writer (the web's single-row statements, the importers' multi-row ones, Prisma, psql).
-- The vote triggers are statement-level with transition tables, so a bulk insert updates each image once, and
-- they increment (votes = votes + n) rather than recount: under READ COMMITTED a concurrent vote on the same
-- image waits for the row lock and then re-applies its increment to the committed row, where a recount from
-- the trigger's snapshot would lose the other vote.
-- "Dataset"."doneSignatures" caches the dynamic-overlap rule (@concord/crowd, enumerated by the web in
-- apps/web/src/server/tasks/overlap.ts); the web rewrites it when the policy's rule differs from it, and the
-- "Dataset" trigger then recomputes "done" for the dataset's images.

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN "doneSignatures" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "ImageTally" (
    "imageId" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "votes" INTEGER NOT NULL DEFAULT 0,
    "counts" JSONB NOT NULL DEFAULT '{}',
    "gold" BOOLEAN NOT NULL DEFAULT false,
    "done" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "ImageTally_pkey" PRIMARY KEY ("imageId")
);

-- AddForeignKey
ALTER TABLE "ImageTally" ADD CONSTRAINT "ImageTally_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The open images of a dataset in assignment order (started ones first, most votes first, then import order):
-- "pick the next image" reads this index from its start. Partial, so finished and gold images are not in it.
CREATE INDEX "ImageTally_open_idx" ON "ImageTally"("datasetId", "votes" DESC, "imageId") WHERE NOT "done" AND NOT "gold";

-- Sorted vote counts of an image as the overlap rule names them: {"a":1,"b":5,"c":2} -> '5,2,1'.
CREATE FUNCTION concord_vote_signature(counts JSONB) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(value, ',' ORDER BY value::int DESC), '')
  FROM jsonb_each_text(counts) WHERE value::int > 0
$$;

-- Per-label counts plus a per-label delta (labels that reach 0 are dropped).
CREATE FUNCTION concord_counts_add(counts JSONB, delta JSONB) RETURNS JSONB
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(key, n), '{}'::jsonb)
  FROM (
    SELECT key, sum(value::int)::int AS n
    FROM (SELECT * FROM jsonb_each_text(counts) UNION ALL SELECT * FROM jsonb_each_text(delta)) e
    GROUP BY key
  ) s
  WHERE n <> 0
$$;

CREATE FUNCTION concord_tally_done(votes INTEGER, counts JSONB, max_votes INTEGER, done_signatures TEXT[]) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT votes >= max_votes OR concord_vote_signature(counts) = ANY(coalesce(done_signatures, ARRAY[]::TEXT[]))
$$;

-- Applies per-image deltas (non-gold vote count and per-label counts) to the tallies.
CREATE FUNCTION concord_tally_apply(ids TEXT[], dvotes INTEGER[], dcounts JSONB[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE "ImageTally" t
  SET "votes" = t."votes" + d.dv,
      "counts" = concord_counts_add(t."counts", d.dc),
      "done" = concord_tally_done(t."votes" + d.dv, concord_counts_add(t."counts", d.dc), ds."maxVotes", ds."doneSignatures")
  FROM unnest(ids, dvotes, dcounts) AS d(id, dv, dc), "Dataset" ds
  WHERE t."imageId" = d.id AND ds.id = t."datasetId"
$$;

CREATE FUNCTION concord_tally_votes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM concord_tally_apply(array_agg(id), array_agg(dv), array_agg(dc))
    FROM (
      SELECT id, sum(n)::int AS dv, jsonb_object_agg(label, n) AS dc
      FROM (SELECT "imageId" AS id, label, count(*)::int AS n FROM new_votes WHERE NOT "isGold" GROUP BY 1, 2) c
      GROUP BY id
    ) d;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM concord_tally_apply(array_agg(id), array_agg(dv), array_agg(dc))
    FROM (
      SELECT id, sum(n)::int AS dv, jsonb_object_agg(label, n) AS dc
      FROM (SELECT "imageId" AS id, label, -count(*)::int AS n FROM old_votes WHERE NOT "isGold" GROUP BY 1, 2) c
      GROUP BY id
    ) d;
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM concord_tally_apply(array_agg(id), array_agg(dv), array_agg(dc))
    FROM (
      SELECT id, sum(n)::int AS dv, jsonb_object_agg(label, n) AS dc
      FROM (
        SELECT id, label, sum(n)::int AS n
        FROM (
          SELECT "imageId" AS id, label, 1 AS n FROM new_votes WHERE NOT "isGold"
          UNION ALL
          SELECT "imageId", label, -1 FROM old_votes WHERE NOT "isGold"
        ) u
        GROUP BY 1, 2
      ) c
      WHERE n <> 0
      GROUP BY id
    ) d;
  ELSIF TG_OP = 'TRUNCATE' THEN
    UPDATE "ImageTally" t
    SET "votes" = 0, "counts" = '{}', "done" = concord_tally_done(0, '{}', ds."maxVotes", ds."doneSignatures")
    FROM "Dataset" ds
    WHERE ds.id = t."datasetId" AND (t."votes" <> 0 OR t."counts" <> '{}');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Vote_tally_insert" AFTER INSERT ON "Vote"
  REFERENCING NEW TABLE AS new_votes FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_votes();
CREATE TRIGGER "Vote_tally_delete" AFTER DELETE ON "Vote"
  REFERENCING OLD TABLE AS old_votes FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_votes();
CREATE TRIGGER "Vote_tally_update" AFTER UPDATE ON "Vote"
  REFERENCING OLD TABLE AS old_votes NEW TABLE AS new_votes FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_votes();
CREATE TRIGGER "Vote_tally_truncate" AFTER TRUNCATE ON "Vote"
  FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_votes();

-- A tally row for every new image (one statement per batch of imported images), and the dataset followed if
-- an image ever moves.
CREATE FUNCTION concord_tally_images() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "ImageTally" ("imageId", "datasetId", "gold", "done")
    SELECT i.id, i."datasetId",
           EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = i.id),
           concord_tally_done(0, '{}', ds."maxVotes", ds."doneSignatures")
    FROM new_images i JOIN "Dataset" ds ON ds.id = i."datasetId";
  ELSE
    UPDATE "ImageTally" t
    SET "datasetId" = i."datasetId",
        "done" = concord_tally_done(t."votes", t."counts", ds."maxVotes", ds."doneSignatures")
    FROM new_images i JOIN "Dataset" ds ON ds.id = i."datasetId"
    WHERE t."imageId" = i.id AND t."datasetId" <> i."datasetId";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Image_tally_insert" AFTER INSERT ON "Image"
  REFERENCING NEW TABLE AS new_images FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_images();
CREATE TRIGGER "Image_tally_update" AFTER UPDATE ON "Image"
  REFERENCING NEW TABLE AS new_images FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_images();

-- Gold images are never offered as ordinary tasks: the flag keeps them out of the open-images index.
CREATE FUNCTION concord_tally_gold() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "ImageTally" t SET "gold" = true FROM new_gold g WHERE t."imageId" = g."imageId" AND NOT t."gold";
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "ImageTally" t SET "gold" = false FROM old_gold g
    WHERE t."imageId" = g."imageId" AND t."gold"
      AND NOT EXISTS (SELECT 1 FROM "GoldLabel" x WHERE x."imageId" = g."imageId");
  ELSE
    UPDATE "ImageTally" t SET "gold" = EXISTS (SELECT 1 FROM "GoldLabel" x WHERE x."imageId" = t."imageId")
    WHERE t."imageId" IN (SELECT "imageId" FROM old_gold UNION SELECT "imageId" FROM new_gold);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "GoldLabel_tally_insert" AFTER INSERT ON "GoldLabel"
  REFERENCING NEW TABLE AS new_gold FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_gold();
CREATE TRIGGER "GoldLabel_tally_delete" AFTER DELETE ON "GoldLabel"
  REFERENCING OLD TABLE AS old_gold FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_gold();
CREATE TRIGGER "GoldLabel_tally_update" AFTER UPDATE ON "GoldLabel"
  REFERENCING OLD TABLE AS old_gold NEW TABLE AS new_gold FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_gold();

-- A new maxVotes or overlap rule: recompute "done" for the dataset's images (via "Image": no extra index on
-- the tally, whose rows change on every vote).
CREATE FUNCTION concord_tally_policy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ImageTally" t
  SET "done" = concord_tally_done(t."votes", t."counts", NEW."maxVotes", NEW."doneSignatures")
  FROM "Image" i
  WHERE i."datasetId" = NEW.id AND t."imageId" = i.id
    AND t."done" IS DISTINCT FROM concord_tally_done(t."votes", t."counts", NEW."maxVotes", NEW."doneSignatures");
  RETURN NULL;
END
$$;

CREATE TRIGGER "Dataset_tally_policy" AFTER UPDATE OF "maxVotes", "doneSignatures" ON "Dataset"
  FOR EACH ROW
  WHEN (OLD."maxVotes" IS DISTINCT FROM NEW."maxVotes" OR OLD."doneSignatures" IS DISTINCT FROM NEW."doneSignatures")
  EXECUTE FUNCTION concord_tally_policy();

-- Backfill: the tallies of the images already there. "done" from maxVotes only: the overlap rule's
-- signatures are written by the web on its first assignment, which recomputes "done" through the trigger.
INSERT INTO "ImageTally" ("imageId", "datasetId", "votes", "counts", "gold", "done")
SELECT i.id, i."datasetId", coalesce(c.n, 0), coalesce(c.counts, '{}'),
       EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = i.id),
       concord_tally_done(coalesce(c.n, 0), coalesce(c.counts, '{}'), ds."maxVotes", ds."doneSignatures")
FROM "Image" i
JOIN "Dataset" ds ON ds.id = i."datasetId"
LEFT JOIN (
  SELECT "imageId", sum(n)::int AS n, jsonb_object_agg(label, n) AS counts
  FROM (SELECT "imageId", label, count(*)::int AS n FROM "Vote" WHERE NOT "isGold" GROUP BY 1, 2) v
  GROUP BY 1
) c ON c."imageId" = i.id;
