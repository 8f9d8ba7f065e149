-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ANNOTATOR', 'RESEARCHER', 'ADMIN');

-- CreateEnum
CREATE TYPE "Split" AS ENUM ('TRAIN', 'VALID', 'TEST');

-- CreateEnum
CREATE TYPE "DatasetSource" AS ENUM ('FERPLUS', 'FER2013', 'GENERIC', 'SYNTHETIC');

-- CreateEnum
CREATE TYPE "DuplicateKind" AS ENUM ('EXACT', 'NEAR');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'ANNOTATOR',
    "pausedAt" TIMESTAMP(3),
    "pausedReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Dataset" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "source" "DatasetSource" NOT NULL,
    "taxonomy" TEXT[],
    "targetConfidence" DOUBLE PRECISION NOT NULL DEFAULT 0.99,
    "minVotes" INTEGER NOT NULL DEFAULT 2,
    "maxVotes" INTEGER NOT NULL DEFAULT 10,
    "goldRate" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    "goldMinAccuracy" DOUBLE PRECISION NOT NULL DEFAULT 0.6,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "split" "Split" NOT NULL,
    "externalId" TEXT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "phash" CHAR(16) NOT NULL,
    "width" INTEGER NOT NULL DEFAULT 48,
    "height" INTEGER NOT NULL DEFAULT 48,
    "pixels" BYTEA NOT NULL,
    "conversion" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Vote" (
    "id" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "annotatorId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "durationMs" INTEGER,
    "requestId" TEXT,
    "isGold" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Vote_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportedTally" (
    "id" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "counts" INTEGER[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ImportedTally_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GoldLabel" (
    "imageId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GoldLabel_pkey" PRIMARY KEY ("imageId")
);

-- CreateTable
CREATE TABLE "TaskLease" (
    "imageId" TEXT NOT NULL,
    "annotatorId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TaskLease_pkey" PRIMARY KEY ("imageId","annotatorId")
);

-- CreateTable
CREATE TABLE "ImportBatch" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "layout" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "strict" BOOLEAN NOT NULL DEFAULT false,
    "added" INTEGER NOT NULL,
    "skipped" INTEGER NOT NULL,
    "rejected" JSONB NOT NULL,
    "stats" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ImportBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DuplicatePair" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "imageAId" TEXT NOT NULL,
    "imageBId" TEXT NOT NULL,
    "kind" "DuplicateKind" NOT NULL,
    "distance" INTEGER NOT NULL,
    "crossSplit" BOOLEAN NOT NULL,

    CONSTRAINT "DuplicatePair_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LabelSnapshot" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "contentHash" TEXT NOT NULL,
    "stats" JSONB NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LabelSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SoftLabel" (
    "snapshotId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "probs" DOUBLE PRECISION[],
    "label" TEXT,
    "votes" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "SoftLabel_pkey" PRIMARY KEY ("snapshotId","imageId")
);

-- CreateTable
CREATE TABLE "TrainingRun" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "datasetId" TEXT NOT NULL,
    "snapshotId" TEXT,
    "config" JSONB NOT NULL,
    "seed" INTEGER NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "backend" TEXT,
    "codeVersion" TEXT,
    "jobId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "currentEpoch" INTEGER NOT NULL DEFAULT 0,
    "progress" JSONB,
    "error" TEXT,
    "artifactPath" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "TrainingRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EpochMetric" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "trainLoss" DOUBLE PRECISION NOT NULL,
    "trainAccuracy" DOUBLE PRECISION NOT NULL,
    "valLoss" DOUBLE PRECISION,
    "valAccuracy" DOUBLE PRECISION,
    "learningRate" DOUBLE PRECISION NOT NULL,
    "imagesPerSec" DOUBLE PRECISION NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EpochMetric_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "split" "Split" NOT NULL,
    "labels" TEXT[],
    "n" INTEGER NOT NULL,
    "accuracy" DOUBLE PRECISION NOT NULL,
    "macroF1" DOUBLE PRECISION NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "ece" DOUBLE PRECISION NOT NULL,
    "confusion" JSONB NOT NULL,
    "perClass" JSONB NOT NULL,
    "calibration" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Dataset_slug_key" ON "Dataset"("slug");

-- CreateIndex
CREATE INDEX "Image_datasetId_split_idx" ON "Image"("datasetId", "split");

-- CreateIndex
CREATE INDEX "Image_sha256_idx" ON "Image"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "Image_datasetId_externalId_key" ON "Image"("datasetId", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "Vote_requestId_key" ON "Vote"("requestId");

-- CreateIndex
CREATE INDEX "Vote_annotatorId_createdAt_idx" ON "Vote"("annotatorId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Vote_imageId_annotatorId_key" ON "Vote"("imageId", "annotatorId");

-- CreateIndex
CREATE UNIQUE INDEX "ImportedTally_imageId_source_key" ON "ImportedTally"("imageId", "source");

-- CreateIndex
CREATE INDEX "TaskLease_expiresAt_idx" ON "TaskLease"("expiresAt");

-- CreateIndex
CREATE INDEX "DuplicatePair_datasetId_crossSplit_idx" ON "DuplicatePair"("datasetId", "crossSplit");

-- CreateIndex
CREATE UNIQUE INDEX "DuplicatePair_imageAId_imageBId_key" ON "DuplicatePair"("imageAId", "imageBId");

-- CreateIndex
CREATE UNIQUE INDEX "LabelSnapshot_datasetId_contentHash_key" ON "LabelSnapshot"("datasetId", "contentHash");

-- CreateIndex
CREATE INDEX "TrainingRun_status_idx" ON "TrainingRun"("status");

-- CreateIndex
CREATE UNIQUE INDEX "EpochMetric_runId_epoch_key" ON "EpochMetric"("runId", "epoch");

-- CreateIndex
CREATE UNIQUE INDEX "Evaluation_runId_split_key" ON "Evaluation"("runId", "split");

-- AddForeignKey
ALTER TABLE "Image" ADD CONSTRAINT "Image_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Vote" ADD CONSTRAINT "Vote_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Vote" ADD CONSTRAINT "Vote_annotatorId_fkey" FOREIGN KEY ("annotatorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportedTally" ADD CONSTRAINT "ImportedTally_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoldLabel" ADD CONSTRAINT "GoldLabel_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskLease" ADD CONSTRAINT "TaskLease_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskLease" ADD CONSTRAINT "TaskLease_annotatorId_fkey" FOREIGN KEY ("annotatorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportBatch" ADD CONSTRAINT "ImportBatch_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DuplicatePair" ADD CONSTRAINT "DuplicatePair_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DuplicatePair" ADD CONSTRAINT "DuplicatePair_imageAId_fkey" FOREIGN KEY ("imageAId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DuplicatePair" ADD CONSTRAINT "DuplicatePair_imageBId_fkey" FOREIGN KEY ("imageBId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LabelSnapshot" ADD CONSTRAINT "LabelSnapshot_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LabelSnapshot" ADD CONSTRAINT "LabelSnapshot_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SoftLabel" ADD CONSTRAINT "SoftLabel_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "LabelSnapshot"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SoftLabel" ADD CONSTRAINT "SoftLabel_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingRun" ADD CONSTRAINT "TrainingRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingRun" ADD CONSTRAINT "TrainingRun_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "LabelSnapshot"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingRun" ADD CONSTRAINT "TrainingRun_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EpochMetric" ADD CONSTRAINT "EpochMetric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "TrainingRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_runId_fkey" FOREIGN KEY ("runId") REFERENCES "TrainingRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
