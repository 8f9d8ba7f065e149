-- Picking and leasing an open image in one round trip, at a cost that does not grow with the number of people
-- labelling (issue 15). Written by hand (see packages/db/README).
--
-- 1. Leases on the tally. Every person at the labelling page holds up to three leases (the face on screen and
--    two prefetched), on started images, which sort first: the pick used to pass every image leased to
--    capacity, counting its live leases for each one. With 1,000 people (3,000 leases) a pick read ~3,000 tally
--    rows and made ~9,000 lease lookups: 10-14 ms of Postgres CPU. "ImageTally" now counts its image's lease
--    rows ("leases", kept exact by a row trigger on "TaskLease", like "votes" by the one on "Vote") and says
--    whether they fill the image's capacity ("full": leases >= greatest(1, greatest(minVotes, target) -
--    votes)); a full image is out of the open-images index. Expired leases count until they are pruned (the web prunes them every few
--    seconds), so an abandoned face comes back a few seconds after its lease ends rather than at once; the
--    re-check under the row lock still counts live leases only.
-- 2. concord_lease_open does the web's former BEGIN; pick (FOR NO KEY UPDATE SKIP LOCKED); re-check + lease;
--    COMMIT (four round trips, with the transaction open, and the image row locked, while the web process
--    waited for its turn on a busy CPU) in one call. In a VOLATILE PL/pgSQL function under READ COMMITTED each
--    statement takes a fresh snapshot, so the re-check still sees every lease and vote committed before the row
--    lock was granted, as the second statement of the old transaction did; the lock is held until the calling
--    statement's transaction ends. A lost race answers `lost` with the image id: the caller moves on to the
--    next candidate in a new call (a new transaction: holding a failed candidate's lock while waiting for
--    another image could deadlock against a request doing the reverse). A lease is a soft reservation: losing
--    the last few to a crash only lets an image be handed out again, so its commit does not wait for the WAL
--    flush (synchronous_commit off for that transaction only); votes still do, and a vote's flush covers every
--    lease written before it.

-- AlterTable
ALTER TABLE "ImageTally" ADD COLUMN "leases" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "full" BOOLEAN NOT NULL DEFAULT false;

-- Whether an image's lease rows fill its capacity: the annotators it may have at once are the votes it must
-- still get before the rule may stop it (minVotes, or a target raised by review), at least one. Inlined into
-- its callers (a single expression).
CREATE FUNCTION concord_tally_full(leases INTEGER, votes INTEGER, target INTEGER, min_votes INTEGER) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT leases >= greatest(1, greatest(min_votes, coalesce(target, 0)) - votes)
$$;

-- The functions of migration 20261130200000_review_queue, with "full" following every change of votes,
-- target and minVotes.

CREATE OR REPLACE FUNCTION concord_tally_step(image TEXT, vote_label TEXT, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER;
  c JSONB;
  was BOOLEAN;
  was_full BOOLEAN;
  held INTEGER;
  dataset TEXT;
  tgt INTEGER;
  model BOOLEAN;
  is_done BOOLEAN;
  is_full BOOLEAN;
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
  RETURNING "votes", "counts", "done", "full", "leases", "datasetId", "target", "modelDone"
  INTO n, c, was, was_full, held, dataset, tgt, model;
  IF NOT FOUND THEN
    RETURN; -- the image is being deleted (cascade)
  END IF;
  SELECT concord_image_done(n, c, tgt, model, ds."maxVotes", ds."doneSignatures"),
         concord_tally_full(held, n, tgt, ds."minVotes")
  INTO is_done, is_full FROM "Dataset" ds WHERE ds.id = dataset;
  IF is_done IS DISTINCT FROM was OR is_full IS DISTINCT FROM was_full THEN
    UPDATE "ImageTally" SET "done" = is_done, "full" = is_full WHERE "imageId" = image;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION concord_tally_refresh(ids TEXT[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "ImageTally" WHERE "imageId" = ANY(ids) ORDER BY "imageId" FOR UPDATE;
  UPDATE "ImageTally" t
  SET "votes" = x.n, "counts" = x.counts, "modelDone" = x.model,
      "modelStopOn" = CASE WHEN x.model IS DISTINCT FROM t."modelDone" OR x.counts <> t."counts"
                           THEN ARRAY[]::TEXT[] ELSE t."modelStopOn" END,
      "done" = concord_image_done(x.n, x.counts, t."target", x.model, ds."maxVotes", ds."doneSignatures"),
      "full" = concord_tally_full(t."leases", x.n, t."target", ds."minVotes")
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
                                    ds."maxVotes", ds."doneSignatures"),
        "full" = concord_tally_full(t."leases", 0, t."target", ds."minVotes")
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
        "done" = concord_image_done(t."votes", t."counts", t."target", NULL, ds."maxVotes", ds."doneSignatures"),
        "full" = concord_tally_full(t."leases", t."votes", t."target", ds."minVotes")
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
  SET "done" = concord_image_done(t."votes", t."counts", t."target", t."modelDone", NEW."maxVotes", NEW."doneSignatures"),
      "full" = concord_tally_full(t."leases", t."votes", t."target", NEW."minVotes")
  FROM "Image" i
  WHERE i."datasetId" = NEW.id AND t."imageId" = i.id
    AND (t."done" IS DISTINCT FROM
           concord_image_done(t."votes", t."counts", t."target", t."modelDone", NEW."maxVotes", NEW."doneSignatures")
         OR t."full" IS DISTINCT FROM concord_tally_full(t."leases", t."votes", t."target", NEW."minVotes"));
  RETURN NULL;
END
$$;

DROP TRIGGER "Dataset_tally_policy" ON "Dataset";
CREATE TRIGGER "Dataset_tally_policy" AFTER UPDATE OF "maxVotes", "doneSignatures", "minVotes" ON "Dataset"
  FOR EACH ROW
  WHEN (OLD."maxVotes" IS DISTINCT FROM NEW."maxVotes" OR OLD."doneSignatures" IS DISTINCT FROM NEW."doneSignatures"
        OR OLD."minVotes" IS DISTINCT FROM NEW."minVotes")
  EXECUTE FUNCTION concord_tally_policy();

CREATE OR REPLACE FUNCTION concord_tally_target() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ImageTally" t
  SET "target" = x.target,
      "done" = concord_image_done(t."votes", t."counts", x.target, t."modelDone", ds."maxVotes", ds."doneSignatures"),
      "full" = concord_tally_full(t."leases", t."votes", x.target, ds."minVotes")
  FROM "Dataset" ds, (
    SELECT ids.id, (SELECT max(a."target") FROM "ImageAction" a
                    WHERE a."imageId" = ids.id AND a."kind" = 'MORE_VOTES' AND a."revokedAt" IS NULL) AS target
    FROM (SELECT DISTINCT "imageId" AS id FROM changed_actions) ids
  ) x
  WHERE t."imageId" = x.id AND ds.id = t."datasetId" AND t."target" IS DISTINCT FROM x.target;
  RETURN NULL;
END
$$;

-- One lease row more (d = 1) or less (d = -1) on this image. Concurrent lease writers on one image queue on
-- its tally row and each re-applies its increment to the committed row (as the vote tally does).
CREATE FUNCTION concord_tally_lease_step(image TEXT, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ImageTally" t
  SET "leases" = t."leases" + d, "full" = concord_tally_full(t."leases" + d, t."votes", t."target", ds."minVotes")
  FROM "Dataset" ds
  WHERE t."imageId" = image AND ds.id = t."datasetId";
END
$$;

CREATE FUNCTION concord_tally_leases() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE "ImageTally" t SET "leases" = 0, "full" = concord_tally_full(0, t."votes", t."target", ds."minVotes")
    FROM "Dataset" ds WHERE ds.id = t."datasetId" AND t."leases" <> 0;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM concord_tally_lease_step(OLD."imageId", -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM concord_tally_lease_step(NEW."imageId", 1);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "TaskLease_tally" AFTER INSERT OR DELETE ON "TaskLease"
  FOR EACH ROW EXECUTE FUNCTION concord_tally_leases();
CREATE TRIGGER "TaskLease_tally_update" AFTER UPDATE OF "imageId" ON "TaskLease"
  FOR EACH ROW WHEN (OLD."imageId" IS DISTINCT FROM NEW."imageId") EXECUTE FUNCTION concord_tally_leases();
CREATE TRIGGER "TaskLease_tally_truncate" AFTER TRUNCATE ON "TaskLease"
  FOR EACH STATEMENT EXECUTE FUNCTION concord_tally_leases();

-- Backfill: the lease rows already there.
UPDATE "ImageTally" t
SET "leases" = l.n, "full" = concord_tally_full(l.n, t."votes", t."target", ds."minVotes")
FROM (SELECT "imageId", count(*)::int AS n FROM "TaskLease" GROUP BY 1) l, "Dataset" ds
WHERE t."imageId" = l."imageId" AND ds.id = t."datasetId";

-- The open images that have a free lease slot, in assignment order: raised targets not yet reached first, then
-- started ones (most votes first), then import order. Replaces the index of all open images, whose leased-out
-- head every pick had to pass.
DROP INDEX "ImageTally_open_idx";
CREATE INDEX "ImageTally_open_idx" ON "ImageTally"("datasetId", (coalesce("target", 0) > "votes") DESC, "votes" DESC, "imageId")
  WHERE NOT "done" AND NOT "gold" AND NOT "full";

-- The open images of a dataset that an annotator may take, in assignment order (the index above): passes
-- the images the annotator voted on or holds. A SQL function with a single SELECT: inlined into its caller.
-- OFFSET 0 keeps each NOT EXISTS a per-candidate probe of a unique index ((image, annotator) on "Vote" and
-- "TaskLease") instead of an anti-join, which the planner would build from all of the annotator's votes (an
-- index range that grows by one a vote) or all leases (a scan of every lease out).
CREATE FUNCTION concord_open_images(dataset TEXT, annotator TEXT, skip TEXT[])
RETURNS SETOF "ImageTally" LANGUAGE sql STABLE AS $$
  SELECT t.* FROM "ImageTally" t
  WHERE t."datasetId" = dataset AND NOT t.done AND NOT t.gold AND NOT t."full"
    AND t."imageId" <> ALL(skip)
    AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = t."imageId" AND v."annotatorId" = annotator OFFSET 0)
    AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = t."imageId" AND l."annotatorId" = annotator
                    AND l."expiresAt" > (now() AT TIME ZONE 'UTC') OFFSET 0)
$$;

-- Picks, locks, re-checks and leases an open image for an annotator. Arguments: dataset, annotator, minVotes,
-- maxVotes, the dataset's done signatures (the policy's rule as the web computed it), lease seconds, image ids
-- to skip. Rows: none (nothing open for this annotator), or one: the leased face (lost = false) or the image
-- that filled up between the pick and the lock (lost = true). Locks: FOR NO KEY UPDATE on the chosen image row
-- only (votes and leases take KEY SHARE locks on it, which this does not block); no lock per dataset, so
-- assignments of different images run in parallel.
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
  FROM concord_open_images(dataset, annotator, skip) t JOIN "Image" i ON i.id = t."imageId"
  ORDER BY (coalesce(t.target, 0) > t.votes) DESC, t.votes DESC, t."imageId" LIMIT 1
  FOR NO KEY UPDATE OF i SKIP LOCKED;
  IF picked IS NULL THEN
    -- Every candidate was being leased by a concurrent request (the last open images): wait for them, so
    -- that "nothing to do" is never a false answer.
    SELECT i.id INTO picked
    FROM concord_open_images(dataset, annotator, skip) t JOIN "Image" i ON i.id = t."imageId"
    ORDER BY (coalesce(t.target, 0) > t.votes) DESC, t.votes DESC, t."imageId" LIMIT 1
    FOR NO KEY UPDATE OF i;
  END IF;
  IF picked IS NULL THEN
    RETURN; -- nothing open for this annotator
  END IF;
  -- Under the row lock, with a fresh snapshot: the capacity rule for this one image with its live leases,
  -- checked against the policy's rule itself (not only the cached "done" flag: concord_image_done with the
  -- signatures this request computed, the raised target and the model verdict), and the lease (renewing an
  -- expired one of ours).
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
