-- Stored predictions with mirror TTA when the run selected with it (issue 12/14): the set records it, so its
-- rows score as the run's evaluation did. Sets from before predicted the face alone (false).
ALTER TABLE "PredictionSet" ADD COLUMN "tta" BOOLEAN NOT NULL DEFAULT false;
