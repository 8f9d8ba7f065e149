-- Issue 13 (admin side): snapshot requests as rows (the admin jobs page lists queued / running / failed /
-- finished snapshot work from Postgres, not from Redis) and recorded, reversible annotator exclusions (votes of
-- an excluded annotator are left out of later label snapshots). Written by hand from the schema engine's
-- output (db:diff cannot diff from existing migrations, see packages/db/README).

-- CreateTable
CREATE TABLE "SnapshotJob" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "jobId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "progress" JSONB,
    "error" TEXT,
    "snapshotId" TEXT,
    "reused" BOOLEAN NOT NULL DEFAULT false,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "SnapshotJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AnnotatorExclusion" (
    "id" TEXT NOT NULL,
    "annotatorId" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "revokedById" TEXT,

    CONSTRAINT "AnnotatorExclusion_pkey" PRIMARY KEY ("id")
);


-- CreateIndex
CREATE INDEX "SnapshotJob_status_idx" ON "SnapshotJob"("status");

-- CreateIndex
CREATE INDEX "SnapshotJob_createdAt_idx" ON "SnapshotJob"("createdAt");

-- CreateIndex
CREATE INDEX "AnnotatorExclusion_annotatorId_createdAt_idx" ON "AnnotatorExclusion"("annotatorId", "createdAt");


-- At most one active exclusion per annotator (Prisma's schema cannot express a partial unique index).
CREATE UNIQUE INDEX "AnnotatorExclusion_active_key" ON "AnnotatorExclusion"("annotatorId") WHERE "revokedAt" IS NULL;

-- AddForeignKey
ALTER TABLE "SnapshotJob" ADD CONSTRAINT "SnapshotJob_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SnapshotJob" ADD CONSTRAINT "SnapshotJob_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "LabelSnapshot"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SnapshotJob" ADD CONSTRAINT "SnapshotJob_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AnnotatorExclusion" ADD CONSTRAINT "AnnotatorExclusion_annotatorId_fkey" FOREIGN KEY ("annotatorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AnnotatorExclusion" ADD CONSTRAINT "AnnotatorExclusion_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AnnotatorExclusion" ADD CONSTRAINT "AnnotatorExclusion_revokedById_fkey" FOREIGN KEY ("revokedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
