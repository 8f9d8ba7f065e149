import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PageHeader } from "@/components/tables/page-header";
import { requireUser } from "@/server/guards";
import { listPredictionSets } from "@/server/predictions/predictions";
import { getRunDetail } from "@/server/runs/runs";
import { PredictionsPanel } from "./predictions-panel";
import { RunLive } from "./run-live";

export const metadata: Metadata = { title: "Run" };

export default async function RunPage(props: { params: Promise<{ id: string }> }) {
  await requireUser(["ADMIN"]);
  const { id } = await props.params;
  const run = await getRunDetail(id);
  if (!run) notFound();
  const predictions = await listPredictionSets({ runId: id });
  return (
    <>
      <PageHeader
        crumbs={
          <Link href="/admin/runs" className="hover:underline">
            ← Training runs
          </Link>
        }
        title={run.name}
        subtitle={`${run.dataset.name} · ${run.config.model ?? "?"} · ${run.config.scheme ?? "?"} · seed ${run.seed}`}
      />
      <div className="space-y-6">
        <RunLive initial={run} />
        <PredictionsPanel
          runId={run.id}
          canPredict={run.status === "SUCCEEDED" && run.hasArtifact}
          expectAuto={
            (run.config.predictAfter ?? "none") !== "none" &&
            run.status !== "FAILED" &&
            run.status !== "CANCELLED"
          }
          initial={predictions}
        />
      </div>
    </>
  );
}
