-- Stored predictions (issue 12): "PredictionSet" is one predict job (a run's model, or a cross-fit of the run's
-- config, over every image of a dataset); "Prediction" holds one compact row per image per set (REAL[] in the
-- dataset's taxonomy order, an out-of-sample flag and the cross-fit fold that made it). Statements taken from
-- `npm run db:diff -w @concord/db` run against an empty database (diffing from migrations needs the shadow
-- database that adapter-pg sets up wrongly, see packages/db/README.md).

-- CreateTable
CREATE TABLE "PredictionSet" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "scheme" TEXT NOT NULL,
    "folds" INTEGER NOT NULL DEFAULT 1,
    "jobId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "progress" JSONB,
    "foldModels" JSONB,
    "predicted" INTEGER NOT NULL DEFAULT 0,
    "imagesPerSec" DOUBLE PRECISION,
    "backend" TEXT,
    "error" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "PredictionSet_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Prediction" (
    "setId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "probs" REAL[],
    "outOfSample" BOOLEAN NOT NULL,
    "fold" INTEGER,

    CONSTRAINT "Prediction_pkey" PRIMARY KEY ("setId","imageId")
);

-- CreateIndex
CREATE INDEX "PredictionSet_datasetId_status_idx" ON "PredictionSet"("datasetId", "status");

-- CreateIndex
CREATE INDEX "PredictionSet_runId_idx" ON "PredictionSet"("runId");

-- CreateIndex
CREATE INDEX "PredictionSet_status_idx" ON "PredictionSet"("status");

-- CreateIndex
CREATE INDEX "Prediction_imageId_idx" ON "Prediction"("imageId");

-- AddForeignKey
ALTER TABLE "PredictionSet" ADD CONSTRAINT "PredictionSet_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PredictionSet" ADD CONSTRAINT "PredictionSet_runId_fkey" FOREIGN KEY ("runId") REFERENCES "TrainingRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PredictionSet" ADD CONSTRAINT "PredictionSet_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Prediction" ADD CONSTRAINT "Prediction_setId_fkey" FOREIGN KEY ("setId") REFERENCES "PredictionSet"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Prediction" ADD CONSTRAINT "Prediction_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
