-- Per-image vote tally, so that picking the next task is an index scan instead of an aggregate over every vote
-- of the dataset (issue 7). Written by hand (db:diff cannot diff from existing migrations, see packages/db/README).
--
-- "ImageTally" holds one row per image: its non-gold votes (total and per label), whether it is a gold image,
-- and whether it needs no more votes ("done": maxVotes reached, or its sorted count signature is one the
-- dataset's dynamic-overlap rule calls done). Triggers on "Image", "Vote", "GoldLabel" and "Dataset" keep it
-- exact for every writer (the web's single-row statements, the importers' multi-row ones, Prisma, psql).
-- The vote triggers are row-level PL/pgSQL (their plans are cached per connection: a vote costs one extra
-- UPDATE of one tally row). A statement-level variant with transition tables and SQL helper functions (which
-- are planned on every call) added 1.2 ms to a single-row INSERT under pgbench; these add about 0.6 ms. They increment (votes = votes + 1) rather
-- than recount: under READ COMMITTED a concurrent vote on the same image waits for the row lock and then
-- re-applies its increment to the committed row, where a recount from the trigger's snapshot would lose the
-- other vote. The tally row stays locked until commit, so "done" is computed from the latest counts.
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
-- PL/pgSQL rather than SQL so that its query plan is cached (a non-inlined SQL function is planned per call).
CREATE FUNCTION concord_vote_signature(counts JSONB) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN (SELECT coalesce(string_agg(value, ',' ORDER BY value::int DESC), '')
          FROM jsonb_each_text(counts) WHERE value::int > 0);
END
$$;

-- Inlined into its callers (a single expression).
CREATE FUNCTION concord_tally_done(votes INTEGER, counts JSONB, max_votes INTEGER, done_signatures TEXT[]) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT votes >= max_votes OR concord_vote_signature(counts) = ANY(coalesce(done_signatures, ARRAY[]::TEXT[]))
$$;

-- One vote more (d = 1) or less (d = -1) with this label on this image.
CREATE FUNCTION concord_tally_step(image TEXT, vote_label TEXT, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER;
  c JSONB;
  was BOOLEAN;
  dataset TEXT;
  is_done BOOLEAN;
BEGIN
  UPDATE "ImageTally"
  SET "votes" = "votes" + d,
      "counts" = CASE WHEN coalesce(("counts" ->> vote_label)::int, 0) + d = 0 THEN "counts" - vote_label
                      ELSE jsonb_set("counts", ARRAY[vote_label], to_jsonb(coalesce(("counts" ->> vote_label)::int, 0) + d))
                 END
  WHERE "imageId" = image
  RETURNING "votes", "counts", "done", "datasetId" INTO n, c, was, dataset;
  IF NOT FOUND THEN
    RETURN; -- the image is being deleted (cascade)
  END IF;
  SELECT concord_tally_done(n, c, ds."maxVotes", ds."doneSignatures") INTO is_done FROM "Dataset" ds WHERE ds.id = dataset;
  IF is_done IS DISTINCT FROM was THEN
    UPDATE "ImageTally" SET "done" = is_done WHERE "imageId" = image;
  END IF;
END
$$;

-- Recounts the tallies of these images from "Vote" (bulk writers: see concord.tally_deferred below). Locks the
-- tally rows first, so the recount (a new snapshot) sees every vote committed before it and none can slip in.
CREATE FUNCTION concord_tally_refresh(ids TEXT[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "ImageTally" WHERE "imageId" = ANY(ids) ORDER BY "imageId" FOR UPDATE;
  UPDATE "ImageTally" t
  SET "votes" = coalesce(c.n, 0), "counts" = coalesce(c.counts, '{}'),
      "done" = concord_tally_done(coalesce(c.n, 0), coalesce(c.counts, '{}'), ds."maxVotes", ds."doneSignatures")
  FROM "Dataset" ds, (SELECT DISTINCT unnest(ids) AS id) x
  LEFT JOIN (
    SELECT "imageId", sum(n)::int AS n, jsonb_object_agg(label, n) AS counts
    FROM (SELECT "imageId", label, count(*)::int AS n FROM "Vote" WHERE "imageId" = ANY(ids) AND NOT "isGold" GROUP BY 1, 2) v
    GROUP BY 1
  ) c ON c."imageId" = x.id
  WHERE t."imageId" = x.id AND ds.id = t."datasetId";
END
$$;

-- Bulk writers (the importers) may set concord.tally_deferred = 'on' for their transaction (set_config(...,
-- true)), insert many votes without the per-row tally update, then call concord_tally_refresh for the images
-- they wrote: one recount instead of one UPDATE per vote (290,000 votes in one INSERT: 7.5 s without the
-- trigger, 20.3 s with it, on the shared 2 cores).
CREATE FUNCTION concord_tally_votes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('concord.tally_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE "ImageTally" t
    SET "votes" = 0, "counts" = '{}', "done" = concord_tally_done(0, '{}', ds."maxVotes", ds."doneSignatures")
    FROM "Dataset" ds
    WHERE ds.id = t."datasetId" AND (t."votes" <> 0 OR t."counts" <> '{}');
    RETURN NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') AND NOT OLD."isGold" THEN
    PERFORM concord_tally_step(OLD."imageId", OLD.label, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW."isGold" THEN
    PERFORM concord_tally_step(NEW."imageId", NEW.label, 1);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Vote_tally" AFTER INSERT OR DELETE ON "Vote"
  FOR EACH ROW EXECUTE FUNCTION concord_tally_votes();
CREATE TRIGGER "Vote_tally_update" AFTER UPDATE OF "imageId", label, "isGold" ON "Vote"
  FOR EACH ROW WHEN (OLD."imageId" IS DISTINCT FROM NEW."imageId" OR OLD.label IS DISTINCT FROM NEW.label
                     OR OLD."isGold" IS DISTINCT FROM NEW."isGold")
  EXECUTE FUNCTION concord_tally_votes();
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
