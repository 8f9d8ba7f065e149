import type { Metadata } from "next";
import { ACCESS } from "@/lib/roles";
import { db } from "@/server/db";
import { requireUser } from "@/server/guards";
import { annotatorProgress, goldStats } from "@/server/tasks/progress";
import { Labeler } from "./labeler";

export const metadata: Metadata = { title: "Label" };

export default async function LabelPage({ searchParams }: { searchParams: Promise<{ dataset?: string }> }) {
  const user = await requireUser(ACCESS.label);
  if (user.pausedAt) {
    return (
      <div
        className="mx-auto mt-10 max-w-xl rounded-2xl border border-rose-200 bg-white p-8 shadow-sm"
        data-testid="paused"
      >
        <p className="text-sm font-semibold text-rose-600">Labelling paused</p>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight">Your account is paused</h1>
        <p className="mt-3 text-sm leading-relaxed text-slate-600">{user.pausedReason}</p>
        <p className="mt-4 text-xs text-slate-400">
          Paused {user.pausedAt.toISOString().slice(0, 16).replace("T", " ")} UTC
        </p>
      </div>
    );
  }
  const { dataset: slug } = await searchParams;
  const [progress, gold, datasets] = await Promise.all([
    annotatorProgress(user.id),
    goldStats(user.id),
    db().dataset.findMany({ orderBy: { createdAt: "asc" }, select: { id: true, slug: true, name: true } }),
  ]);
  const chosen = slug ? (datasets.find((d) => d.slug === slug) ?? null) : null;
  // key: a new dataset starts a fresh queue (prefetched faces belong to the previous one).
  return (
    <Labeler
      key={chosen?.id ?? "all"}
      initialProgress={progress}
      initialGold={gold}
      datasets={datasets}
      datasetId={chosen?.id ?? null}
    />
  );
}
