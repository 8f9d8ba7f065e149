import type { Metadata } from "next";
import { ChartCard } from "@/components/charts/chart-card";
import { DistributionBar } from "@/components/charts/distribution-bar";
import { StatCard } from "@/components/charts/stat-card";
import { AnnotatorTable, PerClassAgreementTable } from "@/components/tables/agreement-tables";
import { EmptyState, PageHeader, Section } from "@/components/tables/page-header";
import { SnapshotsTable } from "@/components/tables/snapshots-table";
import { getAgreement, getAnnotatorConfusions, type TSplitFilter } from "@/server/agreement/agreement";
import { datasetOptions } from "@/server/datasets/datasets";
import { requireUser } from "@/server/guards";
import { listSnapshots } from "@/server/snapshots/snapshots";

export const metadata: Metadata = { title: "Agreement" };

const SPLITS: TSplitFilter[] = ["ALL", "TRAIN", "VALID", "TEST"];
const f3 = (x: number | null) => (x === null ? "—" : x.toFixed(3));

export default async function AgreementPage(props: {
  searchParams: Promise<{ datasetId?: string; split?: string }>;
}) {
  await requireUser(["RESEARCHER", "ADMIN"]);
  const sp = await props.searchParams;
  const datasets = await datasetOptions();
  const dataset = datasets.find((d) => d.id === sp.datasetId) ?? datasets[0];
  const split = (SPLITS.includes(sp.split as TSplitFilter) ? sp.split : "ALL") as TSplitFilter;
  const splitName = split === "ALL" ? "all splits" : split.toLowerCase();
  if (!dataset) {
    return (
      <>
        <PageHeader title="Annotator agreement" />
        <EmptyState title="No dataset yet">An admin imports one under Admin → Datasets.</EmptyState>
      </>
    );
  }
  const a = await getAgreement(dataset.id, split);
  const snapshots = await listSnapshots(dataset.id);
  const top = (a?.annotators ?? []).slice(0, 200);
  const conf = await getAnnotatorConfusions(
    dataset.id,
    split,
    top.map((r) => r.annotatorId),
  );
  const select = "rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm";
  return (
    <>
      <PageHeader
        title="Annotator agreement"
        subtitle="How much the crowd agrees, per class and per annotator. Computed from identified votes plus imported tallies (tallies count as votes, never as annotators)."
        actions={
          <form className="flex items-center gap-2" method="get">
            <select name="datasetId" defaultValue={dataset.id} className={select} aria-label="Dataset">
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            <select name="split" defaultValue={split} className={select} aria-label="Split">
              {SPLITS.map((s) => (
                <option key={s} value={s}>
                  {s === "ALL" ? "all splits" : s.toLowerCase()}
                </option>
              ))}
            </select>
            <button
              type="submit"
              className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
            >
              Show
            </button>
            <a
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
              href={`/api/exports/votes?datasetId=${dataset.id}&format=csv`}
              title="annotators as pseudonymous ids; their names are in the annotators file"
            >
              Export votes
            </a>
            <a
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
              href={`/api/exports/annotators?datasetId=${dataset.id}&format=csv`}
              title="one row per annotator id: name, agreement, skill, response times, flags, exclusion"
            >
              Export annotators
            </a>
          </form>
        }
      />
      {!a || a.itemsWithTwoVotes === 0 ? (
        <EmptyState title={`No image in ${splitName} has two or more votes yet`}>
          Agreement needs at least two votes on an image.
        </EmptyState>
      ) : (
        <>
          <div
            className="mb-8 grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6"
            data-testid="agreement-stats"
          >
            <StatCard
              label="Fleiss' κ"
              value={f3(a.fleissKappa)}
              sub={`split: ${splitName}`}
              testId="stat-kappa"
            />
            <StatCard
              label="Krippendorff's α"
              value={f3(a.krippendorffAlpha)}
              sub={`split: ${splitName} · nominal`}
              testId="stat-alpha"
            />
            <StatCard label="Pairwise agreement" value={f3(a.percentAgreement)} sub={`split: ${splitName}`} />
            <StatCard
              label="Images ≥ 2 votes"
              value={a.itemsWithTwoVotes.toLocaleString()}
              sub={`of ${a.items.toLocaleString()} · ${splitName}`}
            />
            <StatCard label="Identified votes" value={a.identifiedVotes.toLocaleString()} sub={splitName} />
            <StatCard label="Imported tally votes" value={a.tallyVotes.toLocaleString()} sub={splitName} />
          </div>
          <Section title="Per-class agreement">
            <div className="grid gap-4 xl:grid-cols-[minmax(0,1fr)_400px]">
              <PerClassAgreementTable rows={a.perClass} split={splitName} />
              <ChartCard title="Specific agreement per class" split={splitName}>
                <DistributionBar
                  data={a.perClass.map((c) => ({
                    label: c.label,
                    count: Number((c.specificAgreement ?? 0).toFixed(3)),
                  }))}
                  color="#7c3aed"
                  height={260}
                />
              </ChartCard>
            </div>
          </Section>
          <Section title="Annotators" aside={`${a.annotators.length} annotators · ${splitName}`}>
            <AnnotatorTable
              rows={top}
              split={splitName}
              labels={conf.labels}
              matrices={conf.matrices}
              counts={conf.counts}
              kind={conf.kind}
              consensusName={
                conf.snapshot ? `${conf.snapshot.method} (${conf.snapshot.createdAt.slice(0, 10)})` : null
              }
            />
          </Section>
          <p className="mb-8 text-xs text-slate-500">
            Computed in {a.computedMs.toFixed(0)} ms; cached until the votes change.
          </p>
        </>
      )}
      <Section title="Label snapshots" aside="soft labels per image, for export">
        <SnapshotsTable rows={snapshots} linked={false} showExports />
      </Section>
    </>
  );
}
