-- The labelling page's face in one round trip and one transaction (issue 15). Written by hand (see
-- packages/db/README).
--
-- POST /api/votes with `next` sends two statements in one message batch, one implicit transaction, one
-- synchronous commit (apps/web/src/server/sql.ts `batch`): the vote statement (unchanged, tasks/votes.ts), then
-- a call of concord_lease_next below, which leases the caller's next face in the common case (the first dataset
-- in creation order, no qualification round to take, no check question drawn) and otherwise leaves the pick to
-- the web's own code (assign.ts) in a transaction of its own, as before. The lease is written in the vote's
-- transaction, so it is as durable as the vote (synchronous commit) and nothing is committed twice.
--
-- Locks. Holding the vote's tally row (its trigger updated it) while picking another face must never wait for
-- a transaction that could be waiting for us, or two people voting on each other's next face would deadlock
-- (A votes X then leases Y, B votes Y then leases X: each lease trigger waits for the other's tally row). So a
-- pick now locks the candidate's "ImageTally" row, the row every vote and every lease on that image updates,
-- instead of its "Image" row, and the pick after a vote takes it with SKIP LOCKED only: it never waits, and
-- the lease trigger then updates a row this transaction already holds. A face whose tally row is locked (being
-- voted on or leased right now) is skipped; when every candidate is, the answer leaves `next` out and the page
-- asks GET /api/tasks/next, whose pick (a transaction of its own, holding nothing else) may wait as before.
-- Locking the tally row keeps the guarantee of migration 20261130400000: whoever writes a lease or a vote on an
-- image holds its tally row until commit, so the re-check under the lock, with a fresh snapshot, sees them all
-- and two requests cannot both take the last slot. The one other wait, an INSERT on a lease row of our own that
-- the lease pruner is deleting (an expired lease of ours on the candidate), is ruled out by passing every image
-- the annotator holds a lease row on, live or expired (an expired one is pruned within seconds).

-- The open images of a dataset that an annotator may take, in assignment order: passes the images the
-- annotator voted on or holds a lease row on (live or expired, see above).
CREATE OR REPLACE FUNCTION concord_open_images(dataset TEXT, annotator TEXT, skip TEXT[])
RETURNS SETOF "ImageTally" LANGUAGE sql STABLE AS $$
  SELECT t.* FROM "ImageTally" t
  WHERE t."datasetId" = dataset AND NOT t.done AND NOT t.gold AND NOT t."full"
    AND t."imageId" <> ALL(skip)
    AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = t."imageId" AND v."annotatorId" = annotator OFFSET 0)
    AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = t."imageId" AND l."annotatorId" = annotator
                    OFFSET 0)
$$;

-- One pick: the first open image whose tally row it can lock (a function's rows cannot be locked: the row is
-- joined again by its key) (SKIP LOCKED; with `wait`, when every candidate
-- is locked, it waits for the first), then under that lock, with a fresh snapshot, the capacity re-check against
-- the rule (concord_image_done with the given signatures, the raised target, the model verdict; live leases) and
-- the lease. Rows: none (nothing open), or one: the leased face (lost = false) or the image that filled up
-- between the pick and the lock (lost = true). Arguments as concord_lease_open's, plus `wait`.
CREATE FUNCTION concord_lease_pick(
  dataset TEXT, annotator TEXT, min_votes INTEGER, max_votes INTEGER, done_signatures TEXT[],
  lease_seconds DOUBLE PRECISION, skip TEXT[], wait BOOLEAN
) RETURNS TABLE ("imageId" TEXT, "expiresAt" TEXT, pixels BYTEA, width INTEGER, height INTEGER, lost BOOLEAN)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  picked TEXT;
  now_utc TIMESTAMP := now() AT TIME ZONE 'UTC';
BEGIN
  SELECT t."imageId" INTO picked
  FROM concord_open_images(dataset, annotator, skip) o JOIN "ImageTally" t ON t."imageId" = o."imageId"
  ORDER BY (coalesce(o.target, 0) > o.votes) DESC, o.votes DESC, o."imageId" LIMIT 1
  FOR NO KEY UPDATE OF t SKIP LOCKED;
  IF picked IS NULL AND wait THEN
    -- Every candidate was being voted on or leased by a concurrent request (the last open images): wait for
    -- them, so that "nothing to do" is never a false answer.
    SELECT t."imageId" INTO picked
    FROM concord_open_images(dataset, annotator, skip) o JOIN "ImageTally" t ON t."imageId" = o."imageId"
    ORDER BY (coalesce(o.target, 0) > o.votes) DESC, o.votes DESC, o."imageId" LIMIT 1
    FOR NO KEY UPDATE OF t;
  END IF;
  IF picked IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  WITH s AS (
    SELECT tt.votes AS n, tt.target,
           concord_image_done(tt.votes, tt.counts, tt.target, tt."modelDone", max_votes, done_signatures) AS done
    FROM "ImageTally" tt WHERE tt."imageId" = picked
  ), l AS (
    SELECT count(*) FILTER (WHERE tl."annotatorId" <> annotator)::int AS others,
           coalesce(bool_or(tl."annotatorId" = annotator), false) AS mine
    FROM "TaskLease" tl WHERE tl."imageId" = picked AND tl."expiresAt" > now_utc
  ), ins AS (
    INSERT INTO "TaskLease" ("imageId", "annotatorId", "expiresAt")
    SELECT picked, annotator, now_utc + make_interval(secs => lease_seconds)
    FROM s, l
    WHERE NOT s.done
      AND NOT l.mine
      AND l.others < greatest(1, greatest(min_votes, coalesce(s.target, 0)) - s.n)
      AND NOT EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = picked)
      AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = picked AND v."annotatorId" = annotator)
    ON CONFLICT ON CONSTRAINT "TaskLease_pkey" DO UPDATE SET "expiresAt" = EXCLUDED."expiresAt"
    RETURNING "TaskLease"."imageId", "TaskLease"."expiresAt"
  )
  SELECT ins."imageId", to_char(ins."expiresAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), i.pixels, i.width, i.height, false
  FROM ins JOIN "Image" i ON i.id = ins."imageId";
  IF NOT FOUND THEN
    RETURN QUERY SELECT picked, NULL::TEXT, NULL::BYTEA, NULL::INTEGER, NULL::INTEGER, true;
  END IF;
END
$$;

-- GET /api/tasks/next's pick (a transaction of its own): as before, one attempt that may wait, its commit not
-- waiting for the WAL flush (a lease is a soft reservation; see migration 20261130400000).
CREATE OR REPLACE FUNCTION concord_lease_open(
  dataset TEXT, annotator TEXT, min_votes INTEGER, max_votes INTEGER, done_signatures TEXT[],
  lease_seconds DOUBLE PRECISION, skip TEXT[]
) RETURNS TABLE ("imageId" TEXT, "expiresAt" TEXT, pixels BYTEA, width INTEGER, height INTEGER, lost BOOLEAN)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  RETURN QUERY SELECT * FROM concord_lease_pick(dataset, annotator, min_votes, max_votes, done_signatures,
                                                lease_seconds, skip, true);
END
$$;

-- The next face after a vote, in the vote's transaction. Arguments: the annotator, the dataset asked for (NULL:
-- any), the web's draw in [0, 1) for a check question, lease seconds, the vote's requestId. Nothing (no row)
-- unless this very transaction inserted that vote (a replay, a refusal or a qualification answer leave the
-- pick to the web). Else one row: the dataset the pick is for (the first in creation order that matches) and,
-- when it leased one, the face. No face (imageId NULL): a qualification round to take, a check question drawn
-- (draw < goldRate), nothing open, every candidate locked, or an error (failure: its message); the web then
-- runs its own pick. The overlap rule is the dataset's stored "doneSignatures" (the web checks them against the
-- policy after the call). Lost races move on to the next candidate in the same transaction: a pick that never
-- waits cannot deadlock. Whatever goes wrong in the pick is caught (its writes rolled back to the block's start):
-- it must never cost the vote it follows.
CREATE FUNCTION concord_lease_next(
  annotator TEXT, dataset_filter TEXT, gold_draw DOUBLE PRECISION, lease_seconds DOUBLE PRECISION,
  request_id TEXT
) RETURNS TABLE ("datasetId" TEXT, "imageId" TEXT, "expiresAt" TEXT, pixels BYTEA, width INTEGER, height INTEGER,
                 failure TEXT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ds RECORD;
  r RECORD;
  skip TEXT[] := ARRAY[]::TEXT[];
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM "Vote" v
    WHERE v."requestId" = request_id AND v."annotatorId" = annotator AND v.xmin = pg_current_xact_id()::xid
  ) THEN
    RETURN;
  END IF;
  SELECT d.id, d."minVotes", d."maxVotes", d."doneSignatures", d."goldRate", d."qualificationSize" INTO ds
  FROM "Dataset" d WHERE dataset_filter IS NULL OR d.id = dataset_filter ORDER BY d."createdAt" LIMIT 1;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF ds."qualificationSize" = 0 AND gold_draw >= ds."goldRate" THEN
    BEGIN
      FOR attempt IN 1..32 LOOP
        SELECT * INTO r FROM concord_lease_pick(ds.id, annotator, ds."minVotes", ds."maxVotes",
                                                ds."doneSignatures", lease_seconds, skip, false);
        EXIT WHEN NOT FOUND;
        IF NOT r.lost THEN
          RETURN QUERY SELECT ds.id, r."imageId", r."expiresAt", r.pixels, r.width, r.height, NULL::TEXT;
          RETURN;
        END IF;
        skip := skip || r."imageId";
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      RETURN QUERY SELECT ds.id, NULL::TEXT, NULL::TEXT, NULL::BYTEA, NULL::INTEGER, NULL::INTEGER, SQLERRM;
      RETURN;
    END;
  END IF;
  RETURN QUERY SELECT ds.id, NULL::TEXT, NULL::TEXT, NULL::BYTEA, NULL::INTEGER, NULL::INTEGER, NULL::TEXT;
END
$$;

-- One vote more (d = 1) or less (d = -1) on an image's tally, now one UPDATE: it was an UPDATE, a read of the
-- dataset's policy and, whenever "done" or "full" changed, a second UPDATE of the same row (every vote runs it:
-- the hottest write there is). The values are the same, computed from the row as locked: the counts, the model
-- verdict for them (under the model rule "the vote's label is one the web listed"; a removed vote: not done;
-- the list is emptied until the web recomputes it), and "done" and "full" for the new counts.
CREATE OR REPLACE FUNCTION concord_tally_step(image TEXT, vote_label TEXT, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ImageTally" t
  SET "votes" = t."votes" + d,
      "counts" = CASE WHEN coalesce((t."counts" ->> vote_label)::int, 0) + d = 0 THEN t."counts" - vote_label
                      ELSE jsonb_set(t."counts", ARRAY[vote_label], to_jsonb(coalesce((t."counts" ->> vote_label)::int, 0) + d))
                 END,
      "modelDone" = CASE WHEN t."modelDone" IS NULL THEN NULL
                         ELSE d > 0 AND coalesce(vote_label = ANY(t."modelStopOn"), false) END,
      "modelStopOn" = ARRAY[]::TEXT[],
      "done" = concord_image_done(
        t."votes" + d,
        CASE WHEN coalesce((t."counts" ->> vote_label)::int, 0) + d = 0 THEN t."counts" - vote_label
             ELSE jsonb_set(t."counts", ARRAY[vote_label], to_jsonb(coalesce((t."counts" ->> vote_label)::int, 0) + d))
        END,
        t."target",
        CASE WHEN t."modelDone" IS NULL THEN NULL ELSE d > 0 AND coalesce(vote_label = ANY(t."modelStopOn"), false) END,
        ds."maxVotes", ds."doneSignatures"),
      "full" = concord_tally_full(t."leases", t."votes" + d, t."target", ds."minVotes")
  FROM "Dataset" ds
  WHERE t."imageId" = image AND ds.id = t."datasetId";
END
$$;
