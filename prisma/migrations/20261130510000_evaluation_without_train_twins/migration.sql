-- Issue 14 (honest splits): every evaluation also reports its split without the faces that have an exact or
-- near twin in the train split (@concord/importer/twins), with n; the per-epoch valid accuracy too. Nullable:
-- rows written before this change have no such figures (the pages say "not computed"). Written by hand
-- (db:diff cannot diff from existing migrations, see packages/db/README).

-- AlterTable
ALTER TABLE "Evaluation" ADD COLUMN     "nWithoutTwins" INTEGER,
ADD COLUMN     "accuracyWithoutTwins" DOUBLE PRECISION,
ADD COLUMN     "macroF1WithoutTwins" DOUBLE PRECISION,
ADD COLUMN     "exactTwins" INTEGER,
ADD COLUMN     "exactOrNearTwins" INTEGER;

-- AlterTable
ALTER TABLE "EpochMetric" ADD COLUMN     "valAccuracyWithoutTwins" DOUBLE PRECISION;
