export { exportDataset, type TExportOptions, type TExportReport } from "./archive/export";
export { ARCHIVE_VERSION, ArchiveError, type TAnyManifest, type TManifest } from "./archive/format";
export { readManifest, restoreArchive, type TRestoreOptions, type TRestoreReport } from "./archive/restore";
export {
  detectLayout,
  ImportInputError,
  importDataset,
  type TImportOptions,
  type TImportReport,
  ZImportOptions,
} from "./import";
export type { TLayout, TRejection, TSplit } from "./layouts/types";
export {
  detectDuplicates,
  formatLeakSummary,
  leakReport,
  listDuplicates,
  NEAR_DUPLICATE_THRESHOLD,
  type TDuplicate,
  type TLeakSummary,
} from "./leaks";
export { findNearPairs } from "./near-pairs";
export { hammingDistance, perceptualHash } from "./phash";
export { convertImage, decodeImage, decodePng48, encodePng48, sha256Hex } from "./pixels";
export { FER2013_EMOTIONS, FERPLUS_LABELS, resolveLabel } from "./taxonomy";
export { UNUSABLE_PASSWORD_HASH } from "./write";
