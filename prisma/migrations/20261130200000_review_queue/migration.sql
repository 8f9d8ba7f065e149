-- Review actions and model-assisted stopping (issue 12). Written by hand (see packages/db/README).
--
-- "ImageAction" keeps every review action on an image as a row (revoked, never deleted). Its MORE_VOTES rows
-- set "ImageTally"."target" (a trigger below): an image below its raised target is open whatever the stopping
-- rule says and comes first in the open-images index, so the assignment serves it before any other.
-- "ImageTally"."modelDone"/"modelStopOn" carry the model-prior stopping rule, which is JS (@concord/crowd):
-- the web writes, per image, the verdict for the current counts and the labels whose next vote finishes the
-- image; the vote trigger applies the latter at once (no JS on the vote's path, no window in which a finished
-- image is still open) and empties it until the web recomputes it for the new counts (an empty list means
-- "needs more votes": a lost recompute costs votes, never a stop too early).
-- Every place that computes "done" now goes through concord_image_done (target + model verdict + panel rule).

-- CreateEnum
CREATE TYPE "StoppingPrior" AS ENUM ('PANEL', 'MODEL');

-- CreateEnum
CREATE TYPE "ImageActionKind" AS ENUM ('MORE_VOTES', 'ACCEPT', 'EXCLUDE');

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN "stoppingPrior" "StoppingPrior" NOT NULL DEFAULT 'PANEL',
ADD COLUMN "stoppingSetId" TEXT,
ADD COLUMN "stoppingFit" JSONB;

-- AlterTable
ALTER TABLE "ImageTally" ADD COLUMN "target" INTEGER,
ADD COLUMN "modelDone" BOOLEAN,
ADD COLUMN "modelStopOn" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "ImageAction" (
    "id" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "kind" "ImageActionKind" NOT NULL,
    "votes" INTEGER,
    "target" INTEGER,
    "label" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedById" TEXT,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ImageAction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ImageAction_imageId_createdAt_idx" ON "ImageAction"("imageId", "createdAt");

-- CreateIndex
CREATE INDEX "ImageAction_kind_revokedAt_idx" ON "ImageAction"("kind", "revokedAt");

-- AddForeignKey
ALTER TABLE "ImageAction" ADD CONSTRAINT "ImageAction_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageAction" ADD CONSTRAINT "ImageAction_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageAction" ADD CONSTRAINT "ImageAction_revokedById_fkey" FOREIGN KEY ("revokedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- One active ACCEPT and one active EXCLUDE per image (asking for more votes again is allowed: the highest
-- active target counts).
CREATE UNIQUE INDEX "ImageAction_active_key" ON "ImageAction"("imageId", "kind")
  WHERE "revokedAt" IS NULL AND "kind" IN ('ACCEPT', 'EXCLUDE');

-- "done" of a tally row: not below a raised target, and maxVotes reached or the stopping rule satisfied (the
-- model verdict where the web wrote one, else the dataset's panel-rule signatures). Inlined (one expression).
CREATE FUNCTION concord_image_done(votes INTEGER, counts JSONB, target INTEGER, model_done BOOLEAN,
                                   max_votes INTEGER, done_signatures TEXT[]) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT NOT coalesce(votes < target, false)
     AND (votes >= max_votes
          OR coalesce(model_done, concord_vote_signature(counts) = ANY(coalesce(done_signatures, ARRAY[]::TEXT[]))))
$$;

-- One vote more (d = 1) or less (d = -1). Under the model rule the new verdict is "the vote's label is one the
-- web listed" (a removed vote: not done), and the list is emptied until the web recomputes it.
CREATE OR REPLACE FUNCTION concord_tally_step(image TEXT, vote_label TEXT, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER;
  c JSONB;
  was BOOLEAN;
  dataset TEXT;
  tgt INTEGER;
  model BOOLEAN;
  is_done BOOLEAN;
BEGIN
  UPDATE "ImageTally"
  SET "votes" = "votes" + d,
      "counts" = CASE WHEN coalesce(("counts" ->> vote_label)::int, 0) + d = 0 THEN "counts" - vote_label
                      ELSE jsonb_set("counts", ARRAY[vote_label], to_jsonb(coalesce(("counts" ->> vote_label)::int, 0) + d))
                 END,
      "modelDone" = CASE WHEN "modelDone" IS NULL THEN NULL
                         ELSE d > 0 AND coalesce(vote_label = ANY("modelStopOn"), false) END,
      "modelStopOn" = ARRAY[]::TEXT[]
  WHERE "imageId" = image
  RETURNING "votes", "counts", "done", "datasetId", "target", "modelDone" INTO n, c, was, dataset, tgt, model;
  IF NOT FOUND THEN
    RETURN; -- the image is being deleted (cascade)
  END IF;
  SELECT concord_image_done(n, c, tgt, model, ds."maxVotes", ds."doneSignatures") INTO is_done
  FROM "Dataset" ds WHERE ds.id = dataset;
  IF is_done IS DISTINCT FROM was THEN
    UPDATE "ImageTally" SET "done" = is_done WHERE "imageId" = image;
  END IF;
END
$$;

-- Recount from "Vote" (bulk writers). A model verdict whose counts changed is stale: "needs more votes" until
-- the web recomputes it.
CREATE OR REPLACE FUNCTION concord_tally_refresh(ids TEXT[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "ImageTally" WHERE "imageId" = ANY(ids) ORDER BY "imageId" FOR UPDATE;
  UPDATE "ImageTally" t
  SET "votes" = x.n, "counts" = x.counts, "modelDone" = x.model,
      "modelStopOn" = CASE WHEN x.model IS DISTINCT FROM t."modelDone" OR x.counts <> t."counts"
                           THEN ARRAY[]::TEXT[] ELSE t."modelStopOn" END,
      "done" = concord_image_done(x.n, x.counts, t."target", x.model, ds."maxVotes", ds."doneSignatures")
  FROM "Dataset" ds, (
    SELECT r."imageId", coalesce(c.n, 0) AS n, coalesce(c.counts, '{}') AS counts,
           CASE WHEN r."modelDone" IS NULL THEN NULL
                WHEN r."counts" = coalesce(c.counts, '{}') THEN r."modelDone" ELSE false END AS model
    FROM "ImageTally" r
    LEFT JOIN (
      SELECT "imageId", sum(n)::int AS n, jsonb_object_agg(label, n) AS counts
      FROM (SELECT "imageId", label, count(*)::int AS n FROM "Vote" WHERE "imageId" = ANY(ids) AND NOT "isGold" GROUP BY 1, 2) v
      GROUP BY 1
    ) c ON c."imageId" = r."imageId"
    WHERE r."imageId" = ANY(ids)
  ) x
  WHERE t."imageId" = x."imageId" AND ds.id = t."datasetId";
END
$$;

CREATE OR REPLACE FUNCTION concord_tally_votes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('concord.tally_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE "ImageTally" t
    SET "votes" = 0, "counts" = '{}', "modelStopOn" = ARRAY[]::TEXT[],
        "modelDone" = CASE WHEN t."modelDone" IS NULL THEN NULL ELSE false END,
        "done" = concord_image_done(0, '{}', t."target", CASE WHEN t."modelDone" IS NULL THEN NULL ELSE false END,
                                    ds."maxVotes", ds."doneSignatures")
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

-- A new image starts with no target and the panel rule (the web adds model verdicts when it syncs); an image
-- moved to another dataset loses its model verdict (another dataset's predictions).
CREATE OR REPLACE FUNCTION concord_tally_images() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "ImageTally" ("imageId", "datasetId", "gold", "done")
    SELECT i.id, i."datasetId",
           EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = i.id),
           concord_image_done(0, '{}', NULL, NULL, ds."maxVotes", ds."doneSignatures")
    FROM new_images i JOIN "Dataset" ds ON ds.id = i."datasetId";
  ELSE
    UPDATE "ImageTally" t
    SET "datasetId" = i."datasetId", "modelDone" = NULL, "modelStopOn" = ARRAY[]::TEXT[],
        "done" = concord_image_done(t."votes", t."counts", t."target", NULL, ds."maxVotes", ds."doneSignatures")
    FROM new_images i JOIN "Dataset" ds ON ds.id = i."datasetId"
    WHERE t."imageId" = i.id AND t."datasetId" <> i."datasetId";
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION concord_tally_policy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ImageTally" t
  SET "done" = concord_image_done(t."votes", t."counts", t."target", t."modelDone", NEW."maxVotes", NEW."doneSignatures")
  FROM "Image" i
  WHERE i."datasetId" = NEW.id AND t."imageId" = i.id
    AND t."done" IS DISTINCT FROM
        concord_image_done(t."votes", t."counts", t."target", t."modelDone", NEW."maxVotes", NEW."doneSignatures");
  RETURN NULL;
END
$$;

-- "ImageTally"."target" = the highest target of the image's active MORE_VOTES actions, for the images a
-- statement on "ImageAction" touched (asked, revoked, or deleted with its image or by hand).
CREATE FUNCTION concord_tally_target() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ImageTally" t
  SET "target" = x.target,
      "done" = concord_image_done(t."votes", t."counts", x.target, t."modelDone", ds."maxVotes", ds."doneSignatures")
  FROM "Dataset" ds, (
    SELECT ids.id, (SELECT max(a."target") FROM "ImageAction" a
                    WHERE a."imageId" = ids.id AND a."kind" = 'MORE_VOTES' AND a."revokedAt" IS NULL) AS target
    FROM (SELECT DISTINCT "imageId" AS id FROM changed_actions) ids
  ) x
  WHERE t."imageId" = x.id AND ds.id = t."datasetId" AND t."target" IS DISTINCT FROM x.target;
  RETURN NULL;
END
$$;

CREATE TRIGGER "ImageAction_target_insert" AFTER INSERT ON "ImageAction"
  REFERENCING NEW TABLE AS changed_actions FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_target();
CREATE TRIGGER "ImageAction_target_update" AFTER UPDATE ON "ImageAction"
  REFERENCING NEW TABLE AS changed_actions FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_target();
CREATE TRIGGER "ImageAction_target_delete" AFTER DELETE ON "ImageAction"
  REFERENCING OLD TABLE AS changed_actions FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_target();

-- The open images in assignment order: raised targets not yet reached first, then started ones (most votes
-- first), then import order. The picker's ORDER BY repeats these expressions exactly.
DROP INDEX "ImageTally_open_idx";
CREATE INDEX "ImageTally_open_idx" ON "ImageTally"("datasetId", (coalesce("target", 0) > "votes") DESC, "votes" DESC, "imageId")
  WHERE NOT "done" AND NOT "gold";
