-- What chose a finished run's checkpoint, recorded by the worker when the run succeeds: "VALID" (the whole Valid
-- split) or "HOLDOUT" (a stratified hold-out of the train faces, the dataset had no Valid faces). Null for runs
-- from before: the web then infers it (no VALID evaluation = hold-out), which an evaluate job run on VALID later
-- would fool.
ALTER TABLE "TrainingRun" ADD COLUMN "checkpointSplit" TEXT;
