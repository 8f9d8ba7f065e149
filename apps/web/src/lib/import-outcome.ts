// How an import report reads (pure): an import that added nothing because every file was refused failed,
// whatever its HTTP status; one that added some and refused others finished with problems.

export type TImportOutcome = "ok" | "partial" | "failed";

export function importOutcome(r: { added: number; rejected: unknown[]; aborted: boolean }): TImportOutcome {
  if (r.aborted) return "failed";
  if (r.rejected.length === 0) return "ok";
  return r.added === 0 ? "failed" : "partial";
}

export function importHeadline(r: { added: number; rejected: unknown[]; aborted: boolean }): string {
  if (r.aborted) return "Strict mode: nothing committed.";
  switch (importOutcome(r)) {
    case "failed":
      return "Import failed: no file was added.";
    case "partial":
      return "Import finished with refused files.";
    default:
      return "Import finished.";
  }
}
