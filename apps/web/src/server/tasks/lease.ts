import "server-only";
import { iso } from "../sql";
import { grayPngDataUrl } from "./png";

// SQL pieces shared by the pickers that lease a face to an annotator (assign.ts for votes and checks, the
// qualification round in ../checks/qualification.ts), and the task they hand out.

export type TTask = {
  imageId: string;
  datasetId: string;
  datasetName: string;
  taxonomy: string[];
  image: string; // PNG data URL: the prefetched task carries its face, no second round trip
  leaseExpiresAt: string;
  // Set on a qualification face: its place in the round (1..size) and the share of right answers needed.
  qualification?: { position: number; size: number; passMark: number };
};

export const NOW = `(now() AT TIME ZONE 'UTC')`;

// A lease insert (CTE "ins", renewing the caller's own lease) returning the leased face.
export const leaseReturningFace = (select: string) => `ins AS (
  INSERT INTO "TaskLease" ("imageId", "annotatorId", "expiresAt")
  ${select}
  ON CONFLICT ("imageId", "annotatorId") DO UPDATE SET "expiresAt" = EXCLUDED."expiresAt"
  RETURNING "imageId", "expiresAt"
)
SELECT ins."imageId", ${iso(`ins."expiresAt"`)} AS "expiresAt", i.pixels, i.width, i.height
FROM ins JOIN "Image" i ON i.id = ins."imageId"`;

export type TLeased = { imageId: string; expiresAt: string; pixels: Buffer; width: number; height: number };

export function taskOf(
  leased: TLeased,
  dataset: { id: string; name: string; taxonomy: string[] },
  extra: Pick<TTask, "qualification"> = {},
): TTask {
  return {
    imageId: leased.imageId,
    datasetId: dataset.id,
    datasetName: dataset.name,
    taxonomy: dataset.taxonomy,
    image: grayPngDataUrl(leased.pixels, leased.width, leased.height, { compress: false }),
    leaseExpiresAt: leased.expiresAt,
    ...extra,
  };
}
