import "server-only";
import { db } from "../db";
import { download, type TExportFormat, toCsv } from "../download";
import { HttpError } from "../http";

export async function exportSoftLabels(snapshotId: string, format: TExportFormat) {
  const snap = await db().labelSnapshot.findUnique({
    where: { id: snapshotId },
    include: { dataset: { select: { slug: true, taxonomy: true } } },
  });
  if (!snap) throw new HttpError(404, "No such snapshot");
  const labels = await db().softLabel.findMany({
    where: { snapshotId },
    select: { probs: true, label: true, votes: true, image: { select: { externalId: true, split: true } } },
    orderBy: { imageId: "asc" },
  });
  const tax = snap.dataset.taxonomy;
  const name = `${snap.dataset.slug}-${snap.method}-${snapshotId.slice(-6)}-soft-labels.${format}`;
  if (format === "csv") {
    const header = ["image", "split", "consensus", "votes", ...tax.map((t) => `p_${t}`)];
    return download(
      toCsv(
        header,
        labels.map((l) => [l.image.externalId, l.image.split, l.label, l.votes, ...l.probs]),
      ),
      name,
      format,
    );
  }
  return download(
    JSON.stringify({
      snapshot: {
        id: snap.id,
        method: snap.method,
        params: snap.params,
        contentHash: snap.contentHash,
        createdAt: snap.createdAt,
      },
      dataset: snap.dataset.slug,
      taxonomy: tax,
      items: labels.map((l) => ({
        image: l.image.externalId,
        split: l.image.split,
        consensus: l.label,
        votes: l.votes,
        probs: l.probs,
      })),
    }),
    name,
    format,
  );
}
