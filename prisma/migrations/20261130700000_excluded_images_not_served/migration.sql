-- A face excluded from training by review (an active EXCLUDE ImageAction, issue 12) is no longer served for
-- votes: its votes would go into no snapshot. Revoking the exclusion serves it again. Written by hand (see
-- packages/db/README).
--
-- "ImageTally"."excluded" follows the image's active EXCLUDE actions, kept by the statement triggers on
-- "ImageAction" that already keep "target" (concord_tally_target, now setting both), and the open-images index
-- and concord_open_images (every pick reads its candidates there) leave excluded images out. An exclusion that
-- commits while a pick holds the image as a candidate can still lease it once; the lease expires unused or its
-- vote is kept like any other (a snapshot skips it).

ALTER TABLE "ImageTally" ADD COLUMN "excluded" BOOLEAN NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION concord_tally_target() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ImageTally" t
  SET "target" = x.target,
      "excluded" = x.excluded,
      "done" = concord_image_done(t."votes", t."counts", x.target, t."modelDone", ds."maxVotes", ds."doneSignatures"),
      "full" = concord_tally_full(t."leases", t."votes", x.target, ds."minVotes")
  FROM "Dataset" ds, (
    SELECT ids.id,
           (SELECT max(a."target") FROM "ImageAction" a
            WHERE a."imageId" = ids.id AND a."kind" = 'MORE_VOTES' AND a."revokedAt" IS NULL) AS target,
           EXISTS (SELECT 1 FROM "ImageAction" a
                   WHERE a."imageId" = ids.id AND a."kind" = 'EXCLUDE' AND a."revokedAt" IS NULL) AS excluded
    FROM (SELECT DISTINCT "imageId" AS id FROM changed_actions) ids
  ) x
  WHERE t."imageId" = x.id AND ds.id = t."datasetId"
    AND (t."target" IS DISTINCT FROM x.target OR t."excluded" IS DISTINCT FROM x.excluded);
  RETURN NULL;
END
$$;

-- Backfill: the exclusions already there.
UPDATE "ImageTally" t SET "excluded" = true
WHERE EXISTS (SELECT 1 FROM "ImageAction" a
              WHERE a."imageId" = t."imageId" AND a."kind" = 'EXCLUDE' AND a."revokedAt" IS NULL);

DROP INDEX "ImageTally_open_idx";
CREATE INDEX "ImageTally_open_idx" ON "ImageTally"("datasetId", (coalesce("target", 0) > "votes") DESC, "votes" DESC, "imageId")
  WHERE NOT "done" AND NOT "gold" AND NOT "full" AND NOT "excluded";

-- As in migration 20261130520000, and not excluded (the index's predicate, so the pick still reads the index).
CREATE OR REPLACE FUNCTION concord_open_images(dataset TEXT, annotator TEXT, skip TEXT[])
RETURNS SETOF "ImageTally" LANGUAGE sql STABLE AS $$
  SELECT t.* FROM "ImageTally" t
  WHERE t."datasetId" = dataset AND NOT t.done AND NOT t.gold AND NOT t."full" AND NOT t.excluded
    AND t."imageId" <> ALL(skip)
    AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = t."imageId" AND v."annotatorId" = annotator OFFSET 0)
    AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = t."imageId" AND l."annotatorId" = annotator
                    OFFSET 0)
$$;
