-- Per-class decision biases (issue 14): each evaluation row can carry the same predictions decided with the run's
-- biases (cross-fitted on the split they were fitted on, applied as stored elsewhere). Null for runs from before.
ALTER TABLE "Evaluation" ADD COLUMN "decisions" JSONB;
