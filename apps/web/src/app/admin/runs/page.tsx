import type { Metadata } from "next";
import { PageHeader, Section } from "@/components/tables/page-header";
import { RunsTable } from "@/components/tables/runs-table";
import { datasetOptions } from "@/server/datasets/datasets";
import { requireUser } from "@/server/guards";
import { listRuns } from "@/server/runs/runs";
import { listSnapshots } from "@/server/snapshots/snapshots";
import { RunForm } from "./run-form";

export const metadata: Metadata = { title: "Training runs" };

export default async function RunsPage() {
  await requireUser(["ADMIN"]);
  const [datasets, snapshots, runs] = await Promise.all([datasetOptions(), listSnapshots(), listRuns()]);
  return (
    <>
      <PageHeader
        title="Training runs"
        subtitle="Launch a model on a label snapshot; the worker trains it in the background. Runs are queued through Redis and recorded in Postgres, epoch by epoch."
      />
      <div>
        <Section title="New run">
          <RunForm
            datasets={datasets.map((d) => ({ id: d.id, name: d.name }))}
            snapshots={snapshots.map((s) => ({
              id: s.id,
              datasetId: s.datasetId,
              label: `${s.method} · ${new Date(s.createdAt).toISOString().slice(0, 16).replace("T", " ")} · ${s.labelled} labelled`,
            }))}
          />
        </Section>
        <Section title="All runs" aside="newest first · click a column to sort">
          <RunsTable initialRuns={runs} basePath="/admin/runs" />
        </Section>
      </div>
    </>
  );
}
