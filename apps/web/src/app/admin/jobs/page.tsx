import type { Metadata } from "next";
import Link from "next/link";
import { LivePoller } from "@/components/live-poller";
import { PageHeader } from "@/components/tables/page-header";
import { ACCESS } from "@/lib/roles";
import { requireUser } from "@/server/guards";
import { JOB_STATUSES, listJobs, type TJobStatusFilter } from "@/server/jobs/jobs";
import { JobsTable } from "./jobs-table";

export const metadata: Metadata = { title: "Jobs" };
export const dynamic = "force-dynamic";

const TABS: { status: TJobStatusFilter; label: string }[] = [
  { status: "ALL", label: "All" },
  { status: "QUEUED", label: "Queued" },
  { status: "RUNNING", label: "Running" },
  { status: "FAILED", label: "Failed" },
  { status: "SUCCEEDED", label: "Done" },
  { status: "CANCELLED", label: "Cancelled" },
];

export default async function JobsPage(props: { searchParams: Promise<{ status?: string }> }) {
  await requireUser(ACCESS.admin);
  const { status: raw } = await props.searchParams;
  const status = ([...JOB_STATUSES, "ALL"] as string[]).includes(raw ?? "")
    ? (raw as TJobStatusFilter)
    : "ALL";
  const overview = await listJobs(status);
  const total = Object.values(overview.counts).reduce((a, b) => a + b, 0);
  return (
    <>
      <PageHeader
        title="Jobs"
        subtitle="Every label snapshot, training run and prediction set admins started, from the moment it is queued: waiting for a worker, running (with the time left from the epoch times), failed with the reason, or done. Failed and cancelled work can be retried with the same settings (prediction sets resume where they stopped)."
        actions={<LivePoller active={overview.isActive} renderedAt={new Date().toISOString()} />}
      />
      <nav className="mb-4 flex flex-wrap gap-1" aria-label="Filter by status">
        {TABS.map((t) => {
          const n = t.status === "ALL" ? total : overview.counts[t.status];
          const isCurrent = t.status === status;
          return (
            <Link
              key={t.status}
              href={t.status === "ALL" ? "/admin/jobs" : `/admin/jobs?status=${t.status}`}
              aria-current={isCurrent ? "page" : undefined}
              className={`rounded-md px-3 py-1.5 text-sm font-medium ${
                isCurrent ? "bg-indigo-50 text-indigo-700" : "text-slate-600 hover:bg-slate-100"
              }`}
            >
              {t.label} <span className="tabular-nums text-slate-400">{n}</span>
            </Link>
          );
        })}
      </nav>
      <JobsTable rows={overview.rows} />
      <p className="mt-4 text-xs text-slate-500" data-testid="queue-counts">
        {"error" in overview.queues
          ? `Queue counts unavailable: ${overview.queues.error}`
          : `In Redis now: ${overview.queues
              .map((q) => `${q.name} ${q.waiting} waiting, ${q.active} active, ${q.failed} failed`)
              .join(" · ")}. A queued row with nothing active in its queue means no worker takes that queue.`}
      </p>
    </>
  );
}
