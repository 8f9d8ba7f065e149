import type { Metadata } from "next";
import Link from "next/link";
import { ACCESS } from "@/lib/roles";
import { guideFor, hasStarted } from "@/server/checks/guidelines";
import { checkWarnings } from "@/server/checks/my-checks";
import { db } from "@/server/db";
import { requireUser } from "@/server/guards";
import { annotatorProgress, goldStats } from "@/server/tasks/progress";
import { GuidelinesView } from "./guidelines/guidelines-view";
import { Labeler } from "./labeler";

export const metadata: Metadata = { title: "Label" };

export default async function LabelPage({
  searchParams,
}: {
  searchParams: Promise<{ dataset?: string; start?: string }>;
}) {
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
        <Link
          href="/label/checks"
          className="mt-4 inline-block text-sm font-medium text-indigo-700 underline-offset-2 hover:underline"
        >
          See my check answers →
        </Link>
      </div>
    );
  }
  const { dataset: slug, start } = await searchParams;
  const datasets = await db().dataset.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, slug: true, name: true },
  });
  const chosen = slug ? (datasets.find((d) => d.slug === slug) ?? null) : null;
  // Guidelines come before the first face (on the chosen dataset, or at all); "start" is the way past them.
  const gated = chosen ?? datasets[0];
  if (!start && gated && !(await hasStarted(user.id, chosen?.id ?? null))) {
    const guide = await guideFor(gated.id);
    if (guide) {
      return (
        <GuidelinesView
          guide={guide}
          datasets={chosen ? [] : datasets}
          startHref={`/label?${chosen ? `dataset=${encodeURIComponent(chosen.slug)}&` : ""}start=1`}
          isGate
        />
      );
    }
  }
  const [progress, gold, warnings] = await Promise.all([
    annotatorProgress(user.id),
    goldStats(user.id),
    checkWarnings(user.id),
  ]);
  // key: a new dataset starts a fresh queue (prefetched faces belong to the previous one).
  return (
    <Labeler
      key={chosen?.id ?? "all"}
      initialProgress={progress}
      initialGold={gold}
      datasets={datasets}
      datasetId={chosen?.id ?? null}
      initialWarnings={warnings}
    />
  );
}
