import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ChartCard } from "@/components/charts/chart-card";
import { DistributionBar } from "@/components/charts/distribution-bar";
import { StatCard } from "@/components/charts/stat-card";
import { PageHeader, Section } from "@/components/tables/page-header";
import { StatusBadge } from "@/components/tables/status-badge";
import { getAgreement } from "@/server/agreement/agreement";
import { requireUser } from "@/server/guards";
import { getSnapshotDetail } from "@/server/snapshots/snapshots";

export const metadata: Metadata = { title: "Snapshot" };

const SPLITS = ["TRAIN", "VALID", "TEST"] as const;
const COLORS = { TRAIN: "#4f46e5", VALID: "#059669", TEST: "#d97706" } as const;
const fmt = (x: number | null | undefined, d = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d);

export default async function SnapshotPage(props: { params: Promise<{ id: string }> }) {
  await requireUser(["ADMIN"]);
  const { id } = await props.params;
  const s = await getSnapshotDetail(id);
  if (!s) notFound();
  const agreement = await getAgreement(s.datasetId, "ALL");
  const stats = s.stats;
  const num = (k: string) => (typeof stats[k] === "number" ? (stats[k] as number) : null);
  const excluded = s.excludedAnnotators;
  const link =
    "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50";
  return (
    <>
      <PageHeader
        crumbs={
          <Link href={`/admin/snapshots?datasetId=${s.datasetId}`} className="hover:underline">
            ← Snapshots of {s.datasetName}
          </Link>
        }
        title={`${s.method} snapshot`}
        subtitle={`${s.datasetName} · ${
          Object.entries(s.params)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(" · ") || "default parameters"
        } · ${s.createdAt.slice(0, 16).replace("T", " ")} · hash ${s.contentHash.slice(0, 12)}`}
        actions={
          <>
            <a className={link} href={`/api/exports/soft-labels?snapshotId=${s.id}&format=csv`}>
              Soft labels CSV
            </a>
            <a className={link} href={`/api/exports/soft-labels?snapshotId=${s.id}&format=json`}>
              Soft labels JSON
            </a>
          </>
        }
      />
      <div className="mb-8 grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6">
        <StatCard label="Images" value={num("items")?.toLocaleString() ?? "—"} sub="all splits, ≥ 1 vote" />
        <StatCard label="With consensus" value={num("labelled")?.toLocaleString() ?? "—"} sub="all splits" />
        <StatCard
          label="Excluded"
          value={num("excluded")?.toLocaleString() ?? "—"}
          sub="no consensus (e.g. unknown / NF)"
        />
        <StatCard {...iterationsCard(stats)} testId="stat-iterations" />
        <StatCard label="Fleiss' κ" value={fmt(agreement?.fleissKappa)} sub="all splits, crowd votes" />
        <StatCard
          label="Krippendorff's α"
          value={fmt(agreement?.krippendorffAlpha)}
          sub="all splits, nominal"
        />
      </div>
      <Section title="Consensus label distribution" aside="images per consensus label, per split">
        <div className="grid gap-4 lg:grid-cols-3" data-testid="snapshot-distribution">
          {SPLITS.map((split) => {
            const rows = s.distribution.filter((d) => d.split === split);
            if (rows.length === 0) return null;
            const data = [...s.taxonomy, "(excluded)"].map((label) => ({
              label,
              count: rows.find((r) => r.label === label)?.count ?? 0,
            }));
            return (
              <ChartCard key={split} title={`${split.toLowerCase()} consensus`} split={split.toLowerCase()}>
                <DistributionBar data={data} color={COLORS[split]} />
              </ChartCard>
            );
          })}
        </div>
      </Section>
      <Section
        title="Mean soft label"
        aside="average probability mass per label: what a model trained on these targets sees"
      >
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-xs text-slate-600">
              <tr>
                <th className="px-4 py-2 text-left">Split</th>
                {s.taxonomy.map((t) => (
                  <th key={t} className="px-3 py-2 text-right">
                    {t}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {SPLITS.filter((sp) => s.softMass.some((m) => m.split === sp)).map((sp) => (
                <tr key={sp}>
                  <td className="px-4 py-2">
                    <StatusBadge status={sp} />
                  </td>
                  {s.taxonomy.map((t) => {
                    const m = s.softMass.find((x) => x.split === sp && x.label === t)?.mass;
                    return (
                      <td key={t} className="px-3 py-2 text-right tabular-nums">
                        {m === undefined ? "—" : `${(m * 100).toFixed(1)}%`}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      {s.workerSkills.length > 0 ? (
        <Section title="Annotator parameters" aside={`${s.method}: one skill value per identified annotator`}>
          <div className="flex flex-wrap gap-2 text-xs">
            {s.workerSkills.slice(0, 80).map((w) => (
              <span
                key={w.id}
                className="rounded-full border border-slate-200 bg-white px-2.5 py-1 tabular-nums"
              >
                {w.name}: <span className="font-semibold">{w.skill.toFixed(3)}</span>
              </span>
            ))}
          </div>
        </Section>
      ) : null}
      <Section title="Excluded annotators" aside="an admin excluded them before this snapshot was made">
        {excluded.length === 0 ? (
          <p className="text-sm text-slate-500" data-testid="snapshot-excluded">
            None: every identified annotator&apos;s votes were used.
          </p>
        ) : (
          <ul className="space-y-1 text-sm" data-testid="snapshot-excluded">
            {excluded.map((x) => (
              <li key={x.annotatorId}>
                <Link href={`/admin/users/${x.annotatorId}`} className="text-indigo-700 hover:underline">
                  {x.name}
                </Link>{" "}
                <span className="text-slate-500">· {x.votes.toLocaleString("en")} votes left out</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Runs trained on this snapshot">
        {s.runs.length === 0 ? (
          <p className="text-sm text-slate-500">
            None yet.{" "}
            <Link href="/admin/runs" className="text-indigo-700 hover:underline">
              Launch a run →
            </Link>
          </p>
        ) : (
          <ul className="space-y-1 text-sm">
            {s.runs.map((r) => (
              <li key={r.id} className="flex items-center gap-2">
                <StatusBadge status={r.status} />
                <Link href={`/admin/runs/${r.id}`} className="text-indigo-700 hover:underline">
                  {r.name}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

// EM methods report their iterations and why they stopped; closed-form methods (mv, the FER+ schemes) have
// none, and say so instead of "0 · converged". Snapshots written before stopReason was stored fall back to
// iterations > 0.
function iterationsCard(stats: Record<string, unknown>): { label: string; value: string; sub: string } {
  const iterations = typeof stats.iterations === "number" ? stats.iterations : 0;
  const reason = stats.stopReason;
  const isIterative = reason === "tolerance" || reason === "max-iterations" || iterations > 0;
  if (!isIterative) return { label: "Iterations", value: "—", sub: "closed form: no EM" };
  const sub =
    reason === "max-iterations" || stats.converged === false
      ? "stopped at the iteration limit (not converged)"
      : "converged (change below tolerance)";
  return { label: "EM iterations", value: String(iterations), sub };
}
