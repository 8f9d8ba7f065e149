-- An annotator's progress (votes today, UTC, and all time) in O(1) (issue 15: Postgres CPU per vote). Written by
-- hand (see packages/db/README).
--
-- Every vote (concord_vote), every GET /api/tasks/next and every undo answer with the annotator's progress. It was
-- count(*) over the annotator's votes (an index-only scan of "Vote"("annotatorId", "createdAt")), whose cost
-- grows with the annotator's votes: timed in a PL/pgSQL loop on this machine (2,000 counts, load average 4.8),
-- 0.07-0.10 ms per count at 300 votes and 0.88 ms at 5,200, more than the rest of a vote's backend CPU (a
-- serial probe of concord_vote: 0.65-0.95 ms per vote at 100 prior votes per annotator, 1.63-1.70 ms at 5,000).
-- An annotator labelling full time has thousands.
--
-- "AnnotatorProgress" keeps one row per annotator who has voted, maintained by a row trigger on "Vote" like
-- "ImageTally": "total" (their votes) and, for "today", "day" (the latest UTC day of any of their votes) with
-- "today" (their votes on that day). Invariant: no vote of the annotator is dated after "day", and "today" counts
-- those dated on it. An insert dated after "day" moves "day" to its date with "today" = 1, on "day" adds one,
-- before it only counts in "total"; a delete dated on "day" takes one off "today" (which may reach 0: then every
-- vote left is older). So for the current UTC day C, the votes dated C or later are: 0 when "day" < C, "today"
-- when "day" = C, and when "day" > C (votes dated in the future: an archive restored from a machine whose clock
-- was ahead) the count as before (concord_annotator_progress). Exactly what the count said, in every case.
--
-- Concurrency: the trigger's upsert takes the row lock; one annotator's concurrent votes queue on it (the page
-- sends one at a time) and each adds to the committed row. The progress trigger fires before the tally trigger
-- ("Vote_progress" < "Vote_tally": row triggers fire in name order), and concord_tally_refresh locks progress rows
-- before tally rows, so every writer takes the annotator's row before an image's tally row: no lock cycle. The
-- read in concord_vote is of the committed row under the statement's snapshot, as the count was (both exclude
-- the vote being inserted; the web adds it).
--
-- Bulk writers that defer the tally (concord.tally_deferred, the importers: inserts only) defer this too, and
-- concord_tally_refresh(imageIds) recounts the progress of every annotator with a vote on those images, under
-- their rows' locks with a fresh snapshot (as it does the tallies). Deletes and updates are never deferred.

-- CreateTable
CREATE TABLE "AnnotatorProgress" (
    "annotatorId" TEXT NOT NULL,
    "total" INTEGER NOT NULL DEFAULT 0,
    "day" DATE,
    "today" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "AnnotatorProgress_pkey" PRIMARY KEY ("annotatorId")
);

-- AddForeignKey
ALTER TABLE "AnnotatorProgress" ADD CONSTRAINT "AnnotatorProgress_annotatorId_fkey" FOREIGN KEY ("annotatorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The annotator's votes dated on or after this day: the count, for the rare case above (votes in the future). A
-- function of its own, not inlined (a scalar SQL function with a FROM never is): as a subquery inlined into
-- concord_annotator_progress's callers, its estimated cost (the annotator's votes, from the column statistics)
-- made every generic plan of the caller look costlier than a custom one, and Postgres planned the progress read
-- afresh on every call (pg_prepared_statements: 0 generic of 12; 7 of 12 with this function).
CREATE FUNCTION concord_votes_since(annotator TEXT, since DATE) RETURNS INTEGER
LANGUAGE sql STABLE AS $$
  SELECT count(*)::int FROM "Vote" v WHERE v."annotatorId" = annotator AND v."createdAt" >= since
$$;

-- Progress as the count said it: votes dated today (UTC) or later, and all votes. A SQL function with a single
-- SELECT: inlined into its caller. (0, 0) for an annotator without votes.
CREATE FUNCTION concord_annotator_progress(annotator TEXT) RETURNS TABLE (today INTEGER, total INTEGER)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p.day IS NULL OR p.day < n.day THEN 0
              WHEN p.day = n.day THEN p.today
              ELSE concord_votes_since(annotator, n.day)
         END,
         coalesce(p.total, 0)
  FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS day) n
  LEFT JOIN "AnnotatorProgress" p ON p."annotatorId" = annotator
$$;

-- Sets these annotators' rows to a recount of their votes (a row each must exist; the caller holds their locks).
CREATE FUNCTION concord_progress_recount(annotators TEXT[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE "AnnotatorProgress" p
  SET "total" = coalesce(c.total, 0), "day" = c.day,
      "today" = coalesce((SELECT count(*)::int FROM "Vote" v WHERE v."annotatorId" = p."annotatorId" AND v."createdAt" >= c.day), 0)
  FROM unnest(annotators) a(id)
  LEFT JOIN (SELECT v."annotatorId" AS id, count(*)::int AS total, max(v."createdAt")::date AS day
             FROM "Vote" v WHERE v."annotatorId" = ANY(annotators) GROUP BY 1) c ON c.id = a.id
  WHERE p."annotatorId" = a.id
$$;

CREATE FUNCTION concord_progress_votes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM "AnnotatorProgress";
    RETURN NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE "AnnotatorProgress" p
    SET "total" = p."total" - 1, "today" = p."today" - CASE WHEN OLD."createdAt"::date = p."day" THEN 1 ELSE 0 END
    WHERE p."annotatorId" = OLD."annotatorId";
  END IF;
  IF TG_OP = 'UPDATE' OR (TG_OP = 'INSERT' AND current_setting('concord.tally_deferred', true) IS DISTINCT FROM 'on') THEN
    INSERT INTO "AnnotatorProgress" AS p ("annotatorId", "total", "day", "today")
    VALUES (NEW."annotatorId", 1, NEW."createdAt"::date, 1)
    ON CONFLICT ("annotatorId") DO UPDATE
    SET "total" = p."total" + 1,
        "today" = CASE WHEN p."day" IS NULL OR EXCLUDED."day" > p."day" THEN 1
                       WHEN EXCLUDED."day" = p."day" THEN p."today" + 1
                       ELSE p."today" END,
        "day" = greatest(p."day", EXCLUDED."day");
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Vote_progress" AFTER INSERT OR DELETE ON "Vote"
  FOR EACH ROW EXECUTE FUNCTION concord_progress_votes();
CREATE TRIGGER "Vote_progress_update" AFTER UPDATE OF "annotatorId", "createdAt" ON "Vote"
  FOR EACH ROW WHEN (OLD."annotatorId" IS DISTINCT FROM NEW."annotatorId" OR OLD."createdAt" IS DISTINCT FROM NEW."createdAt")
  EXECUTE FUNCTION concord_progress_votes();
CREATE TRIGGER "Vote_progress_truncate" AFTER TRUNCATE ON "Vote"
  FOR EACH STATEMENT EXECUTE FUNCTION concord_progress_votes();

-- Backfill: the votes already there.
INSERT INTO "AnnotatorProgress" ("annotatorId") SELECT DISTINCT "annotatorId" FROM "Vote";
SELECT concord_progress_recount(ARRAY(SELECT "annotatorId" FROM "AnnotatorProgress"));

-- concord_tally_refresh of migration 20261130400000_lease_open_function, unchanged, now under the name
-- concord_tally_recount; concord_tally_refresh first recounts the progress of the images' voters (their rows
-- created if new, then locked in key order, then recounted with a fresh snapshot: a concurrent vote either
-- committed before the lock, and is counted, or adds itself to the recount after it), then the tallies.
ALTER FUNCTION concord_tally_refresh(TEXT[]) RENAME TO concord_tally_recount;

CREATE FUNCTION concord_tally_refresh(ids TEXT[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  voters TEXT[];
BEGIN
  SELECT array_agg(DISTINCT v."annotatorId") INTO voters FROM "Vote" v WHERE v."imageId" = ANY(ids);
  IF voters IS NOT NULL THEN
    INSERT INTO "AnnotatorProgress" ("annotatorId") SELECT unnest(voters) ORDER BY 1 ON CONFLICT DO NOTHING;
    PERFORM 1 FROM "AnnotatorProgress" WHERE "annotatorId" = ANY(voters) ORDER BY "annotatorId" FOR UPDATE;
    PERFORM concord_progress_recount(voters);
  END IF;
  PERFORM concord_tally_recount(ids);
END
$$;

-- concord_vote of migration 20261201100000_vote_function, reading the progress from "AnnotatorProgress".
CREATE OR REPLACE FUNCTION concord_vote(
  annotator TEXT, image TEXT, vote_label TEXT, duration_ms INTEGER, request_id TEXT, vote_id TEXT,
  roles TEXT[], want_next BOOLEAN, dataset_filter TEXT, gold_draw DOUBLE PRECISION,
  lease_seconds DOUBLE PRECISION
) RETURNS TABLE (
  "userFound" INTEGER, role TEXT, "pausedAt" TEXT, "pausedReason" TEXT,
  "prevId" TEXT, "prevImageId" TEXT, "prevLabel" TEXT, "prevAnnotatorId" TEXT, "prevCreatedAt" TEXT,
  "imageFound" TEXT, "labelOk" BOOLEAN, "voteTaxonomy" TEXT[], gold TEXT, "voteDatasetId" TEXT,
  "datasetName" TEXT, "mustQualify" BOOLEAN, "goldMinAccuracy" DOUBLE PRECISION, "goldMinAnswers" INTEGER,
  "goldWindow" INTEGER, "goldConfidence" DOUBLE PRECISION, "modelStopping" BOOLEAN,
  "newId" TEXT, "newCreatedAt" TEXT, "alreadyVoted" BOOLEAN, today INTEGER, total INTEGER,
  "nextDatasetId" TEXT, "nextImageId" TEXT, "nextExpiresAt" TEXT, "nextPixels" BYTEA, "nextWidth" INTEGER,
  "nextHeight" INTEGER, "nextFailure" TEXT
)
LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
DECLARE
  u RECORD;
  img RECORD;
  ds RECORD;
  r RECORD;
  skip TEXT[] := ARRAY[]::TEXT[];
  allowed BOOLEAN;
BEGIN
  SELECT x.role::text AS role, to_char(x."pausedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS paused_at,
         x."pausedReason" AS paused_reason
  INTO u FROM "User" x WHERE x.id = annotator;
  "userFound" := CASE WHEN FOUND THEN 1 ELSE 0 END;
  role := u.role;
  "pausedAt" := u.paused_at;
  "pausedReason" := u.paused_reason;
  allowed := roles IS NULL OR ("userFound" = 1 AND u.role = ANY(roles) AND u.paused_at IS NULL);

  SELECT v.id, v."imageId", v.label, v."annotatorId", to_char(v."createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  INTO "prevId", "prevImageId", "prevLabel", "prevAnnotatorId", "prevCreatedAt"
  FROM "Vote" v WHERE v."requestId" = request_id;

  SELECT i.id, i."datasetId", d.name, d.taxonomy, d."goldMinAccuracy", d."goldMinAnswers", d."goldWindow",
         d."goldConfidence", g.label AS gold, d."stoppingSetId" IS NOT NULL AS model_stopping,
         d."qualificationSize"
  INTO img
  FROM "Image" i JOIN "Dataset" d ON d.id = i."datasetId" LEFT JOIN "GoldLabel" g ON g."imageId" = i.id
  WHERE i.id = image;
  IF FOUND THEN
    "imageFound" := img.id;
    "labelOk" := vote_label = ANY(img.taxonomy);
    IF NOT "labelOk" THEN
      "voteTaxonomy" := img.taxonomy;
    END IF;
    gold := img.gold;
    "voteDatasetId" := img."datasetId";
    "datasetName" := img.name;
    "goldMinAccuracy" := img."goldMinAccuracy";
    "goldMinAnswers" := img."goldMinAnswers";
    "goldWindow" := img."goldWindow";
    "goldConfidence" := img."goldConfidence";
    "modelStopping" := img.model_stopping;
    "mustQualify" := img."qualificationSize" > 0 AND NOT EXISTS (
      SELECT 1 FROM "QualificationAttempt" q WHERE q."userId" = annotator AND q."datasetId" = img."datasetId"
        AND q.passed);
  END IF;

  SELECT p.today, p.total INTO today, total FROM concord_annotator_progress(annotator) p;

  IF "imageFound" IS NOT NULL AND "labelOk" AND NOT "mustQualify" AND "prevId" IS NULL AND allowed THEN
    INSERT INTO "Vote" (id, "imageId", "annotatorId", label, "durationMs", "requestId", "isGold", "createdAt")
    VALUES (vote_id, image, annotator, vote_label, duration_ms, request_id, img.gold IS NOT NULL,
            now() AT TIME ZONE 'UTC')
    ON CONFLICT DO NOTHING
    RETURNING "Vote".id, to_char("Vote"."createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    INTO "newId", "newCreatedAt";
  END IF;

  IF "newId" IS NULL THEN
    -- A fresh snapshot here: it sees a concurrent insert ON CONFLICT waited for. When that was the same
    -- request (same requestId) it is not "already voted" but a replay, which the web then reads, as the vote
    -- statement (whose snapshot did not see that insert) made it do.
    IF "imageFound" IS NOT NULL THEN
      "alreadyVoted" := EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = image AND v."annotatorId" = annotator)
        AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."requestId" = request_id);
    END IF;
    RETURN NEXT;
    RETURN;
  END IF;

  DELETE FROM "TaskLease" l WHERE l."imageId" = image AND l."annotatorId" = annotator;

  IF want_next THEN
    SELECT d.id, d."minVotes", d."maxVotes", d."doneSignatures", d."goldRate", d."qualificationSize" INTO ds
    FROM "Dataset" d WHERE dataset_filter IS NULL OR d.id = dataset_filter ORDER BY d."createdAt" LIMIT 1;
    IF FOUND THEN
      "nextDatasetId" := ds.id;
      IF ds."qualificationSize" = 0 AND gold_draw >= ds."goldRate" THEN
        BEGIN
          FOR attempt IN 1..32 LOOP
            SELECT * INTO r FROM concord_lease_pick(ds.id, annotator, ds."minVotes", ds."maxVotes",
                                                    ds."doneSignatures", lease_seconds, skip, false);
            EXIT WHEN NOT FOUND;
            IF NOT r.lost THEN
              "nextImageId" := r."imageId";
              "nextExpiresAt" := r."expiresAt";
              "nextPixels" := r.pixels;
              "nextWidth" := r.width;
              "nextHeight" := r.height;
              EXIT;
            END IF;
            skip := skip || r."imageId";
          END LOOP;
        EXCEPTION WHEN OTHERS THEN
          "nextFailure" := SQLERRM;
        END;
      END IF;
    END IF;
  END IF;
  RETURN NEXT;
END
$$;
