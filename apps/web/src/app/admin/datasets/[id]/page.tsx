import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ChartCard } from "@/components/charts/chart-card";
import { DistributionBar } from "@/components/charts/distribution-bar";
import { StatCard } from "@/components/charts/stat-card";
import { EmptyState, PageHeader, Section } from "@/components/tables/page-header";
import { StatusBadge } from "@/components/tables/status-badge";
import { datasetChecks } from "@/server/checks/settings";
import {
  getDatasetSummary,
  leakReport,
  recentImports,
  votesPerImageHistogram,
} from "@/server/datasets/datasets";
import { requireUser } from "@/server/guards";
import { getStoppingStatus } from "@/server/tasks/model-stopping";
import { CheckSettingsForm } from "./check-settings-form";
import { StoppingForm } from "./stopping-form";

export const metadata: Metadata = { title: "Dataset" };

const pct = (a: number, b: number) => (b ? `${((a / b) * 100).toFixed(1)}%` : "—");

export default async function DatasetPage(props: { params: Promise<{ id: string }> }) {
  await requireUser(["ADMIN"]);
  const { id } = await props.params;
  const d = await getDatasetSummary(id);
  if (!d) notFound();
  const [histogram, leaks, imports, checks, stopping] = await Promise.all([
    votesPerImageHistogram(d.id),
    leakReport(d.id, 48),
    recentImports(d.id),
    datasetChecks(d.id),
    getStoppingStatus(d.id),
  ]);
  const link =
    "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50";
  return (
    <>
      <PageHeader
        crumbs={
          <Link href="/admin/datasets" className="hover:underline">
            ← Datasets
          </Link>
        }
        title={d.name}
        subtitle={`${d.slug} · ${d.source.toLowerCase()} · taxonomy: ${d.taxonomy.join(", ")}`}
        actions={
          <>
            <a className={link} href={`/api/exports/votes?datasetId=${d.id}&format=csv`}>
              Votes CSV
            </a>
            <a className={link} href={`/api/exports/votes?datasetId=${d.id}&format=json`}>
              Votes JSON
            </a>
            <Link className={link} href={`/admin/snapshots?datasetId=${d.id}`}>
              Snapshots
            </Link>
            <Link className={link} href={`/research/agreement?datasetId=${d.id}`}>
              Agreement
            </Link>
          </>
        }
      />
      <Section title="Coverage per split" aside={`k = ${d.k} votes (identified + imported tallies)`}>
        <div className="grid gap-3 md:grid-cols-3">
          {d.splits.map((s) => (
            <div key={s.split} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
              <div className="flex items-center justify-between">
                <StatusBadge status={s.split} />
                <span className="text-2xl font-semibold tabular-nums">{s.images.toLocaleString()}</span>
              </div>
              <dl className="mt-3 space-y-1 text-sm">
                <div className="flex justify-between">
                  <dt className="text-slate-500">≥ {d.k} votes</dt>
                  <dd className="tabular-nums">
                    {s.covered.toLocaleString()} ({pct(s.covered, s.images)})
                  </dd>
                </div>
                <div className="flex justify-between">
                  <dt className="text-slate-500">identified votes</dt>
                  <dd className="tabular-nums">{s.votes.toLocaleString()}</dd>
                </div>
                <div className="flex justify-between">
                  <dt className="text-slate-500">votes / image</dt>
                  <dd className="tabular-nums">
                    {s.images ? ((s.votes + s.tallyVotes) / s.images).toFixed(2) : "—"}
                  </dd>
                </div>
                <div className="flex justify-between">
                  <dt className="text-slate-500">imported tallies</dt>
                  <dd className="tabular-nums">
                    {s.talliedImages.toLocaleString()} images · {s.tallyVotes.toLocaleString()} votes
                  </dd>
                </div>
                <div className="flex justify-between">
                  <dt className="text-slate-500">gold</dt>
                  <dd className="tabular-nums">{s.gold}</dd>
                </div>
              </dl>
            </div>
          ))}
        </div>
      </Section>
      <div className="mb-8 grid gap-4 lg:grid-cols-[1fr_320px]">
        <ChartCard
          title="Identified votes per image"
          split="all"
          note="Votes cast on this platform (imported tallies excluded); 10+ grouped."
        >
          {d.totals.votes === 0 ? (
            <p className="py-16 text-center text-sm text-slate-500">
              No votes cast on this platform yet
              {d.totals.tallyVotes > 0
                ? `; its ${d.totals.tallyVotes.toLocaleString()} votes are imported tallies.`
                : "."}
            </p>
          ) : (
            <DistributionBar
              data={histogram.map((h) => ({
                label: `${h.votes} vote${h.votes === "1" ? "" : "s"}`,
                count: h.images,
              }))}
              color="#0891b2"
            />
          )}
        </ChartCard>
        <div className="grid gap-3">
          <StatCard label="Images" value={d.totals.images.toLocaleString()} sub="all splits" />
          <StatCard label="Identified votes" value={d.totals.votes.toLocaleString()} sub="all splits" />
          <StatCard
            label="Snapshots · runs"
            value={`${d.snapshots} · ${d.runs}`}
            sub={<Link href={`/admin/snapshots?datasetId=${d.id}`}>open snapshots →</Link>}
          />
        </div>
      </div>

      {stopping ? (
        <Section
          title="Stopping rule"
          aside="when an image needs no more votes: its votes so far under a prior (panel: votes only; model: the image's latest out-of-sample prediction)"
        >
          <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="stopping">
            <StoppingForm
              datasetId={d.id}
              chosen={stopping.chosen}
              hasPredictions={stopping.newestSetId !== null}
            />
            <p className="mt-3 text-sm">
              In use: <strong data-testid="stopping-in-use">{stopping.inUse.toLowerCase()} prior</strong>.{" "}
              <span className="text-slate-600">{stopping.note}</span>
            </p>
            {stopping.fit ? (
              <p className="mt-1 text-xs text-slate-500">
                Predictions of set {stopping.fit.setId}; panel prior from{" "}
                {stopping.fit.panels.toLocaleString()} complete panels, the model calibrated on{" "}
                {stopping.fit.items.toLocaleString()} voted faces (temperature{" "}
                {stopping.fit.calibration.temperature}, mix {stopping.fit.calibration.mix});{" "}
                {stopping.modelImages.toLocaleString()} open faces decided by the model prior.
              </p>
            ) : null}
          </div>
        </Section>
      ) : null}

      {checks ? (
        <Section
          title="Annotator checks"
          id="checks"
          aside={
            <Link href={`/label/guidelines?dataset=${d.slug}`} className="hover:underline">
              guidelines as annotators see them →
            </Link>
          }
        >
          <CheckSettingsForm
            datasetId={d.id}
            initial={{
              goldMinAccuracy: checks.goldMinAccuracy,
              goldMinAnswers: checks.goldMinAnswers,
              goldWindow: checks.goldWindow,
              goldConfidence: checks.goldConfidence,
              guidelines: checks.guidelines,
              guideExamples: checks.guideExamples,
              qualificationSize: checks.qualificationSize,
              qualificationPassMark: checks.qualificationPassMark,
              qualificationAttempts: checks.qualificationAttempts,
            }}
            pool={checks.pool}
          />
        </Section>
      ) : null}

      <Section
        title="Leak guard"
        aside="exact = same 48×48 pixels (sha256); near = perceptual hash within the importer's Hamming threshold"
      >
        <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-4">
          <StatCard
            label="Exact, across splits"
            value={leaks.exactCross}
            sub="pairs"
            testId="leak-exact-cross"
          />
          <StatCard label="Near, across splits" value={leaks.nearCross} sub="pairs" />
          <StatCard
            label="Valid faces with a train twin"
            value={leaks.evalWithTrainTwin.VALID}
            sub="split valid"
          />
          <StatCard
            label="Test faces with a train twin"
            value={leaks.evalWithTrainTwin.TEST}
            sub="split test"
          />
        </div>
        <p className="mb-3 text-xs text-slate-500">
          Within one split: {leaks.exactWithin} exact, {leaks.nearWithin} near pairs. Showing {leaks.shown}{" "}
          pairs, cross-split first.
        </p>
        {leaks.pairs.length === 0 ? (
          <EmptyState title="No duplicate pairs recorded">
            The importer's leak guard found no exact or near twins.
          </EmptyState>
        ) : (
          <div
            className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-6"
            data-testid="leak-pairs"
          >
            {leaks.pairs.map((p) => (
              <figure
                key={p.id}
                className={`rounded-lg border bg-white p-2 shadow-sm ${p.crossSplit ? "border-rose-200" : "border-slate-200"}`}
              >
                <div className="flex gap-1">
                  {[p.a, p.b].map((side) => (
                    <div key={side.id} className="flex-1 text-center">
                      {/* biome-ignore lint/performance/noImgElement: data-URL thumbnails need no optimisation */}
                      <img
                        src={side.thumb}
                        alt={`${side.externalId} (${side.split})`}
                        width={72}
                        height={72}
                        className="pixelated mx-auto aspect-square w-full rounded"
                      />
                      <div className="mt-1 truncate text-[10px] text-slate-500" title={side.externalId}>
                        {side.split.toLowerCase()} · {side.externalId}
                      </div>
                    </div>
                  ))}
                </div>
                <figcaption className="mt-1 flex items-center justify-between text-[11px]">
                  <StatusBadge status={p.kind} />
                  <span className="text-slate-500">d = {p.distance}</span>
                </figcaption>
              </figure>
            ))}
          </div>
        )}
      </Section>

      <Section title="Import history">
        {imports.length === 0 ? (
          <EmptyState title="No import batches recorded" />
        ) : (
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table className="min-w-full text-sm">
              <thead className="bg-slate-50 text-xs text-slate-600">
                <tr>
                  <th className="px-4 py-2 text-left">When</th>
                  <th className="px-4 py-2 text-left">Layout</th>
                  <th className="px-4 py-2 text-left">Origin</th>
                  <th className="px-4 py-2 text-right">Added</th>
                  <th className="px-4 py-2 text-right">Skipped</th>
                  <th className="px-4 py-2 text-right">Rejected</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {imports.map((b) => (
                  <tr key={b.id}>
                    <td className="px-4 py-2">{b.createdAt.toISOString().slice(0, 16).replace("T", " ")}</td>
                    <td className="px-4 py-2">{b.layout}</td>
                    <td className="max-w-md truncate px-4 py-2 font-mono text-xs" title={b.origin}>
                      {b.origin}
                    </td>
                    <td className="px-4 py-2 text-right tabular-nums">{b.added}</td>
                    <td className="px-4 py-2 text-right tabular-nums">{b.skipped}</td>
                    <td className="px-4 py-2 text-right tabular-nums">
                      {Array.isArray(b.rejected) ? b.rejected.length : 0}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
