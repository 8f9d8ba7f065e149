// Shared by the restore's writers: rows go in as column arrays (INSERT ... SELECT FROM unnest), in batches.

/** The new id of the image named u.ext in dataset $1. */
export const IMAGE_ID_OF_EXT = `(SELECT i."id" FROM "Image" i WHERE i."datasetId" = $1 AND i."externalId" = u.ext)`;

export const inBatches = <T>(rows: T[], size = 2000): T[][] =>
  Array.from({ length: Math.ceil(rows.length / size) }, (_, k) => rows.slice(k * size, (k + 1) * size));
