-- Annotator checks (issue 13): fair pausing settings, a probation start on Resume, guidelines and a qualification
-- round per dataset. Written by hand in Prisma's style (see packages/db/README).

-- AlterTable
ALTER TABLE "User" ADD COLUMN "resumedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN "goldMinAnswers" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN "goldWindow" INTEGER NOT NULL DEFAULT 20,
ADD COLUMN "goldConfidence" DOUBLE PRECISION NOT NULL DEFAULT 0.95,
ADD COLUMN "guidelines" TEXT NOT NULL DEFAULT '',
ADD COLUMN "guideExamples" INTEGER NOT NULL DEFAULT 2,
ADD COLUMN "qualificationSize" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "qualificationPassMark" DOUBLE PRECISION NOT NULL DEFAULT 0.8,
ADD COLUMN "qualificationAttempts" INTEGER NOT NULL DEFAULT 2;

-- CreateTable
CREATE TABLE "QualificationAttempt" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "passMark" DOUBLE PRECISION NOT NULL,
    "answered" INTEGER NOT NULL DEFAULT 0,
    "correct" INTEGER NOT NULL DEFAULT 0,
    "passed" BOOLEAN,
    "voidedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "QualificationAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "QualificationAnswer" (
    "id" TEXT NOT NULL,
    "attemptId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "expected" TEXT NOT NULL,
    "isCorrect" BOOLEAN NOT NULL,
    "durationMs" INTEGER,
    "requestId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QualificationAnswer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "QualificationAttempt_userId_datasetId_idx" ON "QualificationAttempt"("userId", "datasetId");

-- One open attempt per annotator and dataset: concurrent task requests cannot start two.
CREATE UNIQUE INDEX "QualificationAttempt_open_key" ON "QualificationAttempt"("userId", "datasetId") WHERE "finishedAt" IS NULL;

-- CreateIndex
CREATE UNIQUE INDEX "QualificationAnswer_requestId_key" ON "QualificationAnswer"("requestId");

-- CreateIndex
CREATE UNIQUE INDEX "QualificationAnswer_attemptId_imageId_key" ON "QualificationAnswer"("attemptId", "imageId");

-- AddForeignKey
ALTER TABLE "QualificationAttempt" ADD CONSTRAINT "QualificationAttempt_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QualificationAttempt" ADD CONSTRAINT "QualificationAttempt_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QualificationAnswer" ADD CONSTRAINT "QualificationAnswer_attemptId_fkey" FOREIGN KEY ("attemptId") REFERENCES "QualificationAttempt"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QualificationAnswer" ADD CONSTRAINT "QualificationAnswer_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
