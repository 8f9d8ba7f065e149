// What a duplicate face is, written once: the importer's leak guard (DuplicatePair rows) and every evaluation
// that reports a split "without its train twins" (concord-train / concord-eval on folders, the worker on
// Postgres images) call these functions. Pure (no Prisma, no sharp): subpath `@concord/importer/twins`.
import { createHash } from "node:crypto";
import { findNearPairs } from "./near-pairs";
import { perceptualHash } from "./phash";

/**
 * Near-duplicate threshold in bits of the 64-bit DCT hash. Measured on the 32,137 FER+ faces (README, "Leak
 * guard"): pairs within 6 bits are re-encodings, watermarked or slightly cropped copies of the same photo
 * (88% have a shift-aligned pixel correlation > 0.8, 73% > 0.9); at 8 bits that falls to 45% and look-alike
 * different faces dominate; unrelated faces sit around 30 bits (1% of random pairs are within 20).
 * Median-split hashes have exactly 32 ones, so distances are always even.
 */
export const NEAR_DUPLICATE_THRESHOLD = 6;

/** What "without train twins" leaves out, in the words every evaluation view uses. */
export const TWIN_RULE = `without train twins: the faces with an exact (same pixels) or near (perceptual hash within ${NEAR_DUPLICATE_THRESHOLD} bits) duplicate anywhere in the train split are left out`;

const FACE_BYTES = 48 * 48;

/** EXACT: the same 48x48 pixels (sha256); NEAR: a perceptual hash within the threshold, pixels differ. */
export type TTwinKind = "EXACT" | "NEAR";
export type TFaceHash = { sha256: string; phash: string };
/** A duplicate pair by index into the hashed faces, a < b. */
export type TDuplicateIdx = { a: number; b: number; distance: number; kind: TTwinKind };

export function sha256Hex(pixels: Uint8Array): string {
  return createHash("sha256").update(pixels).digest("hex");
}

/** sha256 and perceptual hash of each face of `pixels` (48x48 8-bit gray faces, concatenated). */
export function hashFaces(pixels: Uint8Array): TFaceHash[] {
  if (pixels.length % FACE_BYTES !== 0)
    throw new Error(`hashFaces needs whole 48x48 faces (${pixels.length} bytes)`);
  const out: TFaceHash[] = [];
  for (let at = 0; at < pixels.length; at += FACE_BYTES) {
    const face = pixels.subarray(at, at + FACE_BYTES);
    out.push({ sha256: sha256Hex(face), phash: perceptualHash(face) });
  }
  return out;
}

/**
 * Every exact or near duplicate pair among `faces`: the pairs the importer stores as DuplicatePair rows.
 * Identical pixels give identical hashes, so every exact pair is among the distance-0 pairs.
 */
export function findDuplicatePairs(
  faces: readonly TFaceHash[],
  threshold = NEAR_DUPLICATE_THRESHOLD,
): TDuplicateIdx[] {
  return findNearPairs(
    faces.map((f) => f.phash),
    threshold,
  ).map((p) => ({ ...p, kind: faces[p.a]!.sha256 === faces[p.b]!.sha256 ? "EXACT" : "NEAR" }));
}

/**
 * For each of `faces`, its twin in `train`: "EXACT" when some train face has the same pixels, else "NEAR"
 * when one is a near duplicate, else null. The same pairs as DuplicatePair (same hashes, same threshold).
 */
export function findTrainTwins(
  train: readonly TFaceHash[],
  faces: readonly TFaceHash[],
  threshold = NEAR_DUPLICATE_THRESHOLD,
): (TTwinKind | null)[] {
  const out: (TTwinKind | null)[] = faces.map(() => null);
  const n = train.length;
  for (const p of findDuplicatePairs([...train, ...faces], threshold)) {
    // a < b: a cross pair has a in train and b among the faces.
    if (p.a >= n || p.b < n) continue;
    const k = p.b - n;
    if (out[k] !== "EXACT") out[k] = p.kind;
  }
  return out;
}

/** How many faces have an exact twin, and an exact or near one. */
export function countTwins(twins: readonly (TTwinKind | null)[]): { exact: number; exactOrNear: number } {
  let exact = 0;
  let exactOrNear = 0;
  for (const t of twins) {
    if (t === "EXACT") exact++;
    if (t !== null) exactOrNear++;
  }
  return { exact, exactOrNear };
}
