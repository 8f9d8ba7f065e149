import type { Metadata } from "next";
import { PageHeader, Section } from "@/components/tables/page-header";
import { SnapshotsTable } from "@/components/tables/snapshots-table";
import { datasetOptions } from "@/server/datasets/datasets";
import { requireUser } from "@/server/guards";
import { listSnapshots } from "@/server/snapshots/snapshots";
import { SnapshotForm } from "./snapshot-form";

export const metadata: Metadata = { title: "Label snapshots" };

export default async function SnapshotsPage(props: { searchParams: Promise<{ datasetId?: string }> }) {
  await requireUser(["ADMIN"]);
  const { datasetId } = await props.searchParams;
  const datasets = await datasetOptions();
  const current = datasets.find((d) => d.id === datasetId) ?? datasets[0];
  const snapshots = current ? await listSnapshots(current.id) : [];
  return (
    <>
      <PageHeader
        title="Label snapshots"
        subtitle="Freeze a dataset's votes into training targets: choose an aggregation method and crowd-aware smoothing, target = (1 − ε)·onehot(consensus) + ε·q. The worker runs the aggregation (EM included) and stores one soft label per image."
      />
      <div className="grid gap-8 xl:grid-cols-[320px_minmax(0,1fr)]">
        <Section title="New snapshot">
          <SnapshotForm
            datasets={datasets.map((d) => ({ id: d.id, name: d.name }))}
            datasetId={current?.id ?? ""}
            count={snapshots.length}
          />
        </Section>
        <Section title={current ? `Snapshots of ${current.name}` : "Snapshots"} aside="newest first">
          <SnapshotsTable rows={snapshots} showExports />
        </Section>
      </div>
    </>
  );
}
