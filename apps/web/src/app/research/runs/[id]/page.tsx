import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AgreementScatter } from "@/components/charts/agreement-scatter";
import { ChartCard } from "@/components/charts/chart-card";
import { ConfusionHeatmap } from "@/components/charts/confusion-heatmap";
import { LearningCurves } from "@/components/charts/learning-curves";
import { ReliabilityDiagram } from "@/components/charts/reliability-diagram";
import { StatCard } from "@/components/charts/stat-card";
import { AutoRefresh } from "@/components/tables/auto-refresh";
import { EvaluationTable } from "@/components/tables/evaluation-table";
import { EmptyState, PageHeader, Section } from "@/components/tables/page-header";
import { PerClassTable } from "@/components/tables/per-class-table";
import { StatusBadge } from "@/components/tables/status-badge";
import { requireUser } from "@/server/guards";
import { getDatasetScatters, primaryEvaluation } from "@/server/runs/run-dashboard";
import { getRunDetail, type TEvaluationView } from "@/server/runs/runs";

export const metadata: Metadata = { title: "Run dashboard" };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

// "without train twins: 83.0% (n=3,052)", or why there is no such figure.
function withoutTwins(ev: TEvaluationView, metric: "accuracy" | "macroF1"): string {
  const t = ev.withoutTrainTwins;
  return t ? `without train twins: ${pct(t[metric])} (n=${t.n})` : "without train twins: not computed";
}

// " · with decision biases: 86.4% (cross-fitted)", or nothing when the run's model has none.
function decided(ev: TEvaluationView, metric: "accuracy" | "macroF1"): string {
  const d = ev.decisions;
  return d ? ` · with decision biases: ${pct(d[metric])} (${d.protocol})` : "";
}

export default async function RunDashboard(props: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ split?: string }>;
}) {
  await requireUser(["RESEARCHER", "ADMIN"]);
  const { id } = await props.params;
  const { split } = await props.searchParams;
  const run = await getRunDetail(id);
  if (!run) notFound();
  const ev = run.evaluations.find((e) => e.split === split) ?? primaryEvaluation(run);
  const scatters = await getDatasetScatters(run.dataset.id, run.id);
  const mine = scatters.find((s) => s.runId === run.id);
  const agreeBy = new Map(mine?.points.map((p) => [p.label, p.agreement]) ?? []);
  const splitName = ev?.split.toLowerCase() ?? "—";
  const link =
    "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50";
  return (
    <>
      <AutoRefresh active={run.status === "QUEUED" || run.status === "RUNNING"} />
      <PageHeader
        crumbs={
          <Link href="/research/runs" className="hover:underline">
            ← Runs
          </Link>
        }
        title={run.name}
        subtitle={`${run.dataset.name} · ${run.config.model ?? "?"} · ${run.config.scheme ?? "?"}${run.config.eps ? ` · ε ${run.config.eps}` : ""} · seed ${run.seed} · ${run.backend ?? "backend ?"}${run.snapshot ? ` · snapshot ${run.snapshot.method}` : ""}`}
        actions={
          <>
            <StatusBadge status={run.status} />
            <a className={link} href={`/api/exports/runs/${run.id}`}>
              Run report (JSON)
            </a>
            {run.hasArtifact ? (
              <a className={link} href={`/api/runs/${run.id}/artifact`}>
                Model
              </a>
            ) : null}
            <Link className={link} href={`/research/compare?ids=${run.id}`}>
              Compare…
            </Link>
          </>
        }
      />
      {run.evaluations.length > 0 ? (
        <div className="mb-2 flex flex-wrap gap-2 text-sm">
          {run.evaluations.map((e) => (
            <Link
              key={e.split}
              href={`/research/runs/${run.id}?split=${e.split}`}
              className={`rounded-full px-3 py-1 ${e.split === ev?.split ? "bg-indigo-600 text-white" : "bg-white text-slate-700 ring-1 ring-slate-200 hover:bg-slate-50"}`}
            >
              {e.split.toLowerCase()} ({e.n.toLocaleString()} images)
            </Link>
          ))}
        </div>
      ) : null}
      {ev ? (
        <div className="mb-8 grid grid-cols-2 gap-3 md:grid-cols-5" data-testid="run-stats">
          <StatCard
            label="Accuracy"
            value={pct(ev.accuracy)}
            sub={`split: ${splitName}, whole · n=${ev.n} · ${withoutTwins(ev, "accuracy")}${decided(ev, "accuracy")}`}
          />
          <StatCard
            label="Macro-F1"
            value={pct(ev.macroF1)}
            sub={`split: ${splitName}, whole · ${withoutTwins(ev, "macroF1")}${decided(ev, "macroF1")}`}
          />
          <StatCard label="Loss" value={ev.loss.toFixed(4)} sub={`split: ${splitName}`} />
          <StatCard label="ECE" value={ev.ece.toFixed(3)} sub={`split: ${splitName}`} />
          <StatCard
            label="Agreement ↔ F1"
            value={
              mine?.pearson === null || mine?.pearson === undefined ? "—" : `r = ${mine.pearson.toFixed(2)}`
            }
            sub={`Pearson over ${mine?.points.length ?? 0} classes · ${mine?.split.toLowerCase() ?? "—"}`}
          />
        </div>
      ) : (
        <div className="mb-8">
          <EmptyState title="No evaluation yet">
            The worker stores evaluations when the run finishes.
          </EmptyState>
        </div>
      )}

      {run.evaluations.length > 0 ? (
        <Section title="Whole split and without train twins" aside="n with each figure">
          <EvaluationTable
            evaluations={run.evaluations}
            checkpointSelectedOn={run.checkpointSelectedOn}
            checkpointSplit={run.checkpointSplit}
            twinRule={run.twinRule}
          />
        </Section>
      ) : null}

      <Section title="Annotator agreement vs model F1, per class" aside="one point per class; size = support">
        <ChartCard
          title="Agreement (x) vs F1 (y)"
          split={mine ? mine.split.toLowerCase() : splitName}
          note={
            mine
              ? `x: ${mine.agreementSource}; y: the model's F1 on the same split. Tick other runs on this dataset to overlay them.`
              : "Needs an evaluation and crowd votes with two or more votes per image."
          }
          testId="scatter-card"
        >
          {scatters.length > 0 ? (
            <AgreementScatter
              runs={scatters}
              agreementSource="specific agreement"
              initialSelected={[run.id]}
            />
          ) : (
            <p className="py-10 text-center text-sm text-slate-500">Nothing to plot yet.</p>
          )}
        </ChartCard>
      </Section>

      <Section title="Learning curves" aside="per epoch: train split and valid split">
        <LearningCurves epochs={run.epochs} checkpointSplit={run.checkpointSplit} />
      </Section>

      {ev ? (
        <>
          <div className="mb-8 grid gap-4 xl:grid-cols-2">
            <ChartCard
              title="Confusion matrix"
              split={splitName}
              note="whole split · rows: true label · columns: predicted · colour: share of the row (recall)"
            >
              <ConfusionHeatmap labels={ev.labels} matrix={ev.confusion} />
            </ChartCard>
            <ChartCard title="Calibration (reliability diagram)" split={splitName}>
              <ReliabilityDiagram bins={ev.calibration} ece={ev.ece} />
            </ChartCard>
          </div>
          <Section title="Per-class precision, recall and F1" aside="whole split">
            <PerClassTable
              rows={ev.perClass.map((p) => ({ ...p, agreement: agreeBy.get(p.label) ?? null }))}
              split={splitName}
            />
          </Section>
        </>
      ) : null}
    </>
  );
}
