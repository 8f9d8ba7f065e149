import "server-only";

// Which gold faces serve which purpose, as SQL fragments (subqueries returning "imageId").

// The gold faces of a dataset shown as guideline examples: per label, the first `perLabel` by image id. They
// are never served as check or qualification questions (their answer is on the guidelines page).
export const exampleGold = (dataset: string, perLabel: string) => `SELECT e."imageId" FROM (
    SELECT g."imageId", row_number() OVER (PARTITION BY g.label ORDER BY g."imageId") AS r
    FROM "GoldLabel" g JOIN "Image" ei ON ei.id = g."imageId" WHERE ei."datasetId" = ${dataset}
  ) e WHERE e.r <= ${perLabel}`;

// Gold faces an annotator answered in a qualification round (they saw the expected answer afterwards).
export const qualificationSeen = (annotator: string) => `SELECT qa."imageId"
  FROM "QualificationAnswer" qa JOIN "QualificationAttempt" qt ON qt.id = qa."attemptId"
  WHERE qt."userId" = ${annotator}`;
