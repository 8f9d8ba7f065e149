// The one order a dataset's faces are handed to the trainer in, whichever road reads them: the worker (Postgres
// images, apps/worker/src/train-data.ts) and concord-train / concord-eval (a FER+ folder's label.csv). Both sort
// by the image's externalId, so the seeded shuffles of a run see the same face at the same index on both roads
// (issue 14, platform parity). Pure: subpath `@concord/importer/image-order`.

/** The externalId the FER+ layout gives a face: its label.csv file name without ".png" ("fer0000000"). */
export function ferplusExternalId(fileName: string): string {
  return fileName.trim().replace(/\.png$/i, "");
}

/**
 * Compares externalIds by UTF-16 code units: JavaScript's own `<`, the same on every machine. Not a locale
 * compare and not Postgres's ORDER BY, whose result depends on the database's collation.
 */
export function compareExternalIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Indices of `externalIds` in externalId order (stable: equal ids keep their input order). */
export function externalIdOrder(externalIds: readonly string[]): number[] {
  return externalIds
    .map((_, i) => i)
    .sort((i, j) => compareExternalIds(externalIds[i]!, externalIds[j]!) || i - j);
}
