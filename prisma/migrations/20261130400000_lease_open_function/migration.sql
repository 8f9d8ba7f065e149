-- Picking and leasing an open image in one round trip (issue 15). Written by hand (see packages/db/README).
--
-- The web used to run BEGIN; pick (FOR NO KEY UPDATE SKIP LOCKED); re-check + lease; COMMIT: four round trips,
-- with the transaction open (and the image row locked) while the web process waited for its turn on a busy
-- CPU. concord_lease_open runs the same two statements inside one call. In a VOLATILE PL/pgSQL function under
-- READ COMMITTED each statement takes a fresh snapshot, so the re-check still sees every lease and vote
-- committed before the row lock was granted, exactly as the second statement of the old transaction did; the
-- lock is held until the calling statement's transaction ends. A lost race answers `lost` with the image id:
-- the caller moves on to the next candidate in a new call (a new transaction: holding a failed candidate's
-- lock while waiting for another image could deadlock against a request doing the reverse).
--
-- A lease is a soft reservation: losing the last few to a crash only lets an image be handed out again. Its
-- commit therefore does not wait for the WAL flush (synchronous_commit off for this transaction only); votes
-- still do, and a vote's flush covers every lease written before it.
--
-- Locks: FOR NO KEY UPDATE on the chosen image row only (votes and leases take KEY SHARE locks on it, which
-- this does not block); no lock per dataset, so assignments of different images run in parallel.

-- The open images of a dataset that an annotator may take, in assignment order with the partial index
-- "ImageTally_open_idx" (started ones first, most votes first): passes images the annotator voted on or holds
-- and images leased to capacity. A SQL function with a single SELECT: inlined into its caller's plan.
CREATE FUNCTION concord_open_images(dataset TEXT, annotator TEXT, min_votes INTEGER, skip TEXT[])
RETURNS SETOF "ImageTally" LANGUAGE sql STABLE AS $$
  SELECT t.* FROM "ImageTally" t
  WHERE t."datasetId" = dataset AND NOT t.done AND NOT t.gold
    AND t."imageId" <> ALL(skip)
    AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = t."imageId" AND v."annotatorId" = annotator)
    AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = t."imageId" AND l."annotatorId" = annotator
                    AND l."expiresAt" > (now() AT TIME ZONE 'UTC'))
    AND (SELECT count(*) FROM "TaskLease" l WHERE l."imageId" = t."imageId"
         AND l."expiresAt" > (now() AT TIME ZONE 'UTC')) < greatest(1, min_votes - t.votes)
$$;

-- Arguments: dataset, annotator, minVotes, maxVotes, the dataset's done signatures (the policy's rule as the
-- web computed it), lease seconds, image ids to skip. Rows: none (nothing open for this annotator), or one:
-- the leased face (lost = false) or the image that filled up between the pick and the lock (lost = true).
CREATE FUNCTION concord_lease_open(
  dataset TEXT, annotator TEXT, min_votes INTEGER, max_votes INTEGER, done_signatures TEXT[],
  lease_seconds DOUBLE PRECISION, skip TEXT[]
) RETURNS TABLE ("imageId" TEXT, "expiresAt" TEXT, pixels BYTEA, width INTEGER, height INTEGER, lost BOOLEAN)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  picked TEXT;
  now_utc TIMESTAMP := now() AT TIME ZONE 'UTC';
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  -- The first open image whose row no concurrent request is leasing right now (those are skipped).
  SELECT i.id INTO picked
  FROM concord_open_images(dataset, annotator, min_votes, skip) t JOIN "Image" i ON i.id = t."imageId"
  ORDER BY t.votes DESC, t."imageId" LIMIT 1
  FOR NO KEY UPDATE OF i SKIP LOCKED;
  IF picked IS NULL THEN
    -- Every candidate was being leased by a concurrent request (the last open images): wait for them, so
    -- that "nothing to do" is never a false answer.
    SELECT i.id INTO picked
    FROM concord_open_images(dataset, annotator, min_votes, skip) t JOIN "Image" i ON i.id = t."imageId"
    ORDER BY t.votes DESC, t."imageId" LIMIT 1
    FOR NO KEY UPDATE OF i;
  END IF;
  IF picked IS NULL THEN
    RETURN; -- nothing open for this annotator
  END IF;
  -- Under the row lock, with a fresh snapshot: the same capacity rule for this one image, checked against the
  -- policy's rule itself (not only the cached "done" flag), and the lease (renewing an expired one of ours).
  RETURN QUERY
  WITH s AS (
    SELECT tt.votes AS n, concord_vote_signature(tt.counts) AS sig FROM "ImageTally" tt WHERE tt."imageId" = picked
  ), l AS (
    SELECT count(*) FILTER (WHERE tl."annotatorId" <> annotator)::int AS others,
           coalesce(bool_or(tl."annotatorId" = annotator), false) AS mine
    FROM "TaskLease" tl WHERE tl."imageId" = picked AND tl."expiresAt" > now_utc
  ), ins AS (
    INSERT INTO "TaskLease" ("imageId", "annotatorId", "expiresAt")
    SELECT picked, annotator, now_utc + make_interval(secs => lease_seconds)
    FROM s, l
    WHERE s.n < max_votes
      AND NOT (s.sig = ANY(done_signatures))
      AND NOT l.mine
      AND l.others < greatest(1, min_votes - s.n)
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
