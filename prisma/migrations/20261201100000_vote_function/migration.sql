-- A vote and its next face in one PL/pgSQL call (issue 15: Postgres CPU per vote). Written by hand (see
-- packages/db/README).
--
-- POST /api/votes used to send two statements in one batch (migration 20261130520000): the vote statement, one
-- large SQL statement (the caller's row, a replay of the requestId, the image, the insert, the lease release,
-- the progress, the gold standing and the model state as subplans), and concord_lease_next. Postgres built the
-- executor state of every part of that plan on every vote, the branches a vote does not take included (a
-- check answer's standing, the model state, the replay), and planned the two statements' parameters per
-- connection as generic plans. concord_vote does the same work as statements of its own, each planned once per
-- connection (PL/pgSQL caches its statements' plans) and run only when its branch is taken: a plain vote runs
-- the user row, the replay lookup, the image, the progress, the insert, the lease release and the pick.
--
-- Semantics are those of the two statements, step for step:
-- - Reads before the insert (the user row, the replay, the image with its dataset and gold answer, the
--   qualification, the progress) see what the vote statement saw: the insert is not in them.
-- - The insert is skipped when the image is unknown, the label is outside the taxonomy, the caller must pass a
--   qualification round, the requestId was used already, or (roles given) the caller's role is not one of
--   them or they are paused; ON CONFLICT DO NOTHING against a concurrent duplicate (requestId, or a second
--   vote on the image), as before. The web decides the answer from the returned row (tasks/votes.ts).
-- - After an insert: the caller's lease on the image goes, and with want_next the next face is picked in the
--   same transaction exactly as concord_lease_next picked it (which this replaces: dropped below): the first
--   dataset in creation order that matches, unless it has a qualification round or the draw says check
--   question; FOR NO KEY UPDATE SKIP LOCKED only (never waits: see migration 20261130520000 for why that
--   cannot deadlock); lost races move on; anything failing in the pick is caught (rolled back to the block's
--   start) and answered as `failure`, never costing the vote.
-- - The check answer's standing and the model state are not read here, nor by the vote's statement any more:
--   the web reads them after the commit, only for a check answer or on a model-stopping dataset (they were
--   subplans of the vote statement, initialised on every vote), so they now include the new vote.
-- - ROWS 1: with the default estimate (1,000 rows) the generic plan of the calling statement looked costlier
--   than a custom one and Postgres planned it afresh on ~40% of the calls (pg_prepared_statements).

CREATE FUNCTION concord_vote(
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

  SELECT count(*)::int,
         count(*) FILTER (WHERE v."createdAt" >= date_trunc('day', now() AT TIME ZONE 'UTC'))::int
  INTO total, today
  FROM "Vote" v WHERE v."annotatorId" = annotator;

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

-- Replaced by concord_vote (no caller left).
DROP FUNCTION concord_lease_next(TEXT, TEXT, DOUBLE PRECISION, DOUBLE PRECISION, TEXT);
