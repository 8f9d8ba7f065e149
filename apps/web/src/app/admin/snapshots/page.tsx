import type { Metadata } from "next";
import Link from "next/link";
import { LivePoller } from "@/components/live-poller";
import { PageHeader, Section } from "@/components/tables/page-header";
import { SnapshotsTable } from "@/components/tables/snapshots-table";
import { StatusBadge } from "@/components/tables/status-badge";
import { datasetOptions } from "@/server/datasets/datasets";
import { requireUser } from "@/server/guards";
import { listSnapshotRequests, listSnapshots, type TSnapshotRequest } from "@/server/snapshots/snapshots";
import { SnapshotForm } from "./snapshot-form";

export const metadata: Metadata = { title: "Label snapshots" };

export default async function SnapshotsPage(props: { searchParams: Promise<{ datasetId?: string }> }) {
  await requireUser(["ADMIN"]);
  const { datasetId } = await props.searchParams;
  const datasets = await datasetOptions();
  const current = datasets.find((d) => d.id === datasetId) ?? datasets[0];
  const [snapshots, requests] = current
    ? await Promise.all([listSnapshots(current.id), listSnapshotRequests(current.id)])
    : [[], []];
  const isActive = requests.some((r) => r.status === "QUEUED" || r.status === "RUNNING");
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
          />
        </Section>
        <div>
          <Section
            title="Requests"
            aside={<LivePoller active={isActive} renderedAt={new Date().toISOString()} />}
          >
            <RequestsTable rows={requests} />
          </Section>
          <Section title={current ? `Snapshots of ${current.name}` : "Snapshots"} aside="newest first">
            <SnapshotsTable rows={snapshots} showExports />
          </Section>
        </div>
      </div>
    </>
  );
}

function RequestsTable(props: { rows: TSnapshotRequest[] }) {
  if (props.rows.length === 0)
    return <p className="text-sm text-slate-500">No snapshot requested for this dataset yet.</p>;
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full text-sm" data-testid="snapshot-requests">
        <tbody className="divide-y divide-slate-100">
          {props.rows.map((r) => (
            <tr key={r.id} data-testid="snapshot-request" data-status={r.status}>
              <td className="px-4 py-2">
                <StatusBadge status={r.status} />
              </td>
              <td className="px-4 py-2 font-medium">{r.method}</td>
              <td className="px-4 py-2 text-slate-600">
                {r.status === "QUEUED" ? (
                  "waiting for a worker"
                ) : r.status === "RUNNING" ? (
                  (r.stage ?? "running")
                ) : r.status === "SUCCEEDED" && r.snapshotId ? (
                  <Link href={`/admin/snapshots/${r.snapshotId}`} className="text-indigo-700 hover:underline">
                    {r.reused ? "same as an earlier snapshot (reused)" : "open snapshot"}
                  </Link>
                ) : null}
                {r.error ? <span className="block text-xs text-rose-700">{r.error}</span> : null}
              </td>
              <td className="whitespace-nowrap px-4 py-2 text-right text-xs tabular-nums text-slate-500">
                {r.createdAt.slice(0, 16).replace("T", " ")}
                {r.createdBy ? ` · ${r.createdBy}` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="border-t border-slate-100 px-4 py-2 text-xs text-slate-500">
        Every queued, running, failed and finished job, with retry:{" "}
        <Link href="/admin/jobs" className="text-indigo-700 hover:underline">
          Jobs
        </Link>
      </p>
    </div>
  );
}
