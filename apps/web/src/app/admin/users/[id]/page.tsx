import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ConfusionHeatmap } from "@/components/charts/confusion-heatmap";
import { StatCard } from "@/components/charts/stat-card";
import { ExcludedBadge, FlagBadges } from "@/components/tables/flag-badges";
import { PageHeader, Section } from "@/components/tables/page-header";
import { ACCESS } from "@/lib/roles";
import { getAnnotatorConfusions } from "@/server/agreement/agreement";
import { exclusionHistory } from "@/server/annotators/exclusions";
import { FLAG_RULES } from "@/server/annotators/flags";
import { annotatorQuality } from "@/server/annotators/quality";
import { db } from "@/server/db";
import { requireUser } from "@/server/guards";
import { ExclusionPanel } from "./exclusion-panel";

export const metadata: Metadata = { title: "Annotator" };

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace("T", " ") : "—");

export default async function AnnotatorPage(props: { params: Promise<{ id: string }> }) {
  await requireUser(ACCESS.admin);
  const { id } = await props.params;
  const user = await db().user.findUnique({
    where: { id },
    select: { id: true, name: true, email: true, role: true, pausedAt: true, pausedReason: true },
  });
  if (!user) notFound();
  const [quality, history] = await Promise.all([annotatorQuality(id), exclusionHistory(id)]);
  const confusions = await Promise.all(
    quality.map(async (q) => ({ q, c: await getAnnotatorConfusions(q.datasetId, "ALL", [id]) })),
  );
  const active = history.find((h) => h.revokedAt === null) ?? null;
  const votes = quality.reduce((a, q) => a + q.votes, 0);
  const flags = quality.flatMap((q) => q.flags.map((f) => ({ ...f, datasetName: q.datasetName })));
  return (
    <>
      <PageHeader
        crumbs={
          <Link href="/admin/users" className="hover:underline">
            ← Users
          </Link>
        }
        title={user.name}
        subtitle={`${user.email} · ${user.role.toLowerCase()} · ${votes.toLocaleString("en")} votes in ${quality.length} dataset${quality.length === 1 ? "" : "s"}${user.pausedAt ? ` · paused: ${user.pausedReason ?? ""}` : ""}`}
        actions={
          <>
            {active ? <ExcludedBadge since={active.createdAt} /> : null}
            <Link
              href={`/admin/users/${user.id}/checks`}
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
            >
              Check answers →
            </Link>
          </>
        }
      />
      <Section title="Label snapshots">
        <ExclusionPanel
          userId={user.id}
          name={user.name}
          active={active ? { since: active.createdAt, by: active.createdBy, reason: active.reason } : null}
        />
        {history.length > 0 ? (
          <table className="mt-3 min-w-full text-xs text-slate-600" data-testid="exclusion-history">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="py-1 pr-4 font-medium">Excluded</th>
                <th className="py-1 pr-4 font-medium">by</th>
                <th className="py-1 pr-4 font-medium">Reason</th>
                <th className="py-1 pr-4 font-medium">Included again</th>
                <th className="py-1 pr-4 font-medium">by</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr key={h.id} className="border-t border-slate-100">
                  <td className="py-1 pr-4 tabular-nums">{when(h.createdAt)}</td>
                  <td className="py-1 pr-4">{h.createdBy ?? "—"}</td>
                  <td className="py-1 pr-4">{h.reason || "—"}</td>
                  <td className="py-1 pr-4 tabular-nums">
                    {h.revokedAt ? when(h.revokedAt) : "still excluded"}
                  </td>
                  <td className="py-1 pr-4">{h.revokedBy ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>
      <Section
        title="Quality flags"
        aside={`from ≥ ${FLAG_RULES.minVotes} votes per dataset: expected accuracy ≤ ${FLAG_RULES.chanceMultiple}× chance, agreement's 95% upper bound < ${Math.round(FLAG_RULES.maxAgreement * 100)}%, or ≥ ${Math.round(FLAG_RULES.fastShare * 100)}% of votes under ${FLAG_RULES.fastMs} ms`}
      >
        {flags.length === 0 ? (
          <p className="text-sm text-slate-500" data-testid="no-flags">
            No flags.
          </p>
        ) : (
          <ul className="space-y-1 text-sm" data-testid="flag-list">
            {flags.map((f) => (
              <li key={`${f.datasetName}-${f.kind}`} className="flex flex-wrap items-center gap-2">
                <FlagBadges flags={[f]} />
                <span className="text-slate-600">
                  {f.datasetName}: {f.detail}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      {confusions.map(({ q, c }) => (
        <Section key={q.datasetId} title={q.datasetName} aside="all splits · identified votes">
          <div
            className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6"
            data-testid="annotator-stats"
          >
            <StatCard label="Votes" value={q.votes.toLocaleString("en")} sub={`${q.timedVotes} timed`} />
            <StatCard
              label="Agreement"
              value={pct(q.agreement)}
              sub={`with the others' plurality · n=${q.comparable}`}
            />
            <StatCard label="Gold accuracy" value={pct(q.goldAccuracy)} sub={`n=${q.goldAnswered}`} />
            <StatCard
              label="Expected accuracy"
              value={pct(q.skill)}
              sub={
                q.skillSource
                  ? `${q.skillSource.method} snapshot ${when(q.skillSource.createdAt)}`
                  : "no Dawid-Skene snapshot with these votes"
              }
            />
            <StatCard
              label="Median time"
              value={q.medianMs === null ? "—" : `${(q.medianMs / 1000).toFixed(2)} s`}
              sub="face shown → key"
            />
            <StatCard
              label={`Under ${FLAG_RULES.fastMs} ms`}
              value={q.timedVotes ? pct(q.fastVotes / q.timedVotes) : "—"}
              sub={`${q.fastVotes} of ${q.timedVotes} timed votes`}
            />
          </div>
          {c.matrices[id] ? (
            <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
              <p className="mb-2 text-xs text-slate-500">
                {c.kind === "ds"
                  ? `Dawid-Skene confusion of the ${c.snapshot?.method} snapshot of ${when(c.snapshot?.createdAt ?? null)}: rows true class, columns this annotator's label, cell = probability, small number = votes behind it (against that snapshot's consensus).`
                  : c.kind === "counts"
                    ? `Votes against the consensus of the ${c.snapshot?.method} snapshot of ${when(c.snapshot?.createdAt ?? null)}.`
                    : "Votes against the plurality of the other votes on the same image (no snapshot yet)."}
              </p>
              <ConfusionHeatmap
                labels={c.labels}
                matrix={c.matrices[id]!}
                counts={c.kind === "ds" ? c.counts[id] : undefined}
                rowTitle={c.kind === "ds" ? "true" : "consensus"}
                colTitle="annotator"
                isProbability={c.kind === "ds"}
                testId="annotator-confusion-heatmap"
              />
            </div>
          ) : (
            <p className="text-sm text-slate-500">No votes on images with a consensus yet.</p>
          )}
        </Section>
      ))}
    </>
  );
}
