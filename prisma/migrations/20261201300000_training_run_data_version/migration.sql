-- How the worker built a run's training data (apps/worker/src/train-data.ts, TRAIN_DATA_VERSION), recorded when the
-- run first loads it, so that a resumed run keeps training on the data it started with and its predictions find
-- the faces it trained on. Null for runs from before: a run that has a checkpoint, or has finished, trained on
-- version 1 (image id order); one that never trained takes the current version when it starts.
ALTER TABLE "TrainingRun" ADD COLUMN "trainDataVersion" INTEGER;
