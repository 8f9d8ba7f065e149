import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PageHeader, Section } from "@/components/tables/page-header";
import { StatusBadge } from "@/components/tables/status-badge";
import { requireUser } from "@/server/guards";
import { IMAGE_ACTION_TITLE } from "@/server/review/action-form";
import { getImageHistory, type THistoryAction } from "@/server/review/history";
import { ActionButtons } from "../../review/action-buttons";
import { RevokeButton } from "./revoke-button";

export const metadata: Metadata = { title: "Face history" };

const when = (iso: string) => iso.replace("T", " ").slice(0, 19);

function describe(a: THistoryAction): string {
  if (a.kind === "MORE_VOTES") return `${a.votes} more votes (target ${a.target} identified votes)`;
  if (a.kind === "ACCEPT") return `crowd label "${a.label ?? "none"}" accepted`;
  return `excluded from training (crowd label then: ${a.label ?? "none"})`;
}

export default async function ImageHistoryPage(props: { params: Promise<{ id: string }> }) {
  const user = await requireUser(["RESEARCHER", "ADMIN"]);
  const { id } = await props.params;
  const h = await getImageHistory(id);
  if (!h) notFound();
  const isAdmin = user.role === "ADMIN";
  const total = h.counts.reduce((s, x) => s + x, 0);
  const status =
    h.target !== null && h.webVotes < h.target
      ? `waiting for ${h.target - h.webVotes} more votes (served first)`
      : h.done
        ? "needs no more votes"
        : "open for votes";
  return (
    <>
      <PageHeader
        crumbs={
          <Link href={`/research/review?datasetId=${h.datasetId}`} className="hover:underline">
            ← Review queue
          </Link>
        }
        title={`Face ${h.externalId}`}
        subtitle={`${h.datasetName} · ${h.split.toLowerCase()} · ${status}${h.gold ? " · gold check question" : ""}`}
      />
      <div className="mb-8 grid gap-6 md:grid-cols-[200px_1fr]">
        <div>
          {/* biome-ignore lint/performance/noImgElement: 48x48 stored face, served as PNG */}
          <img
            src={`/api/images/${h.imageId}/png`}
            alt={h.externalId}
            width={192}
            height={192}
            className="pixelated rounded-lg border border-slate-200"
          />
          <div className="mt-2 flex flex-wrap gap-1" data-testid="image-flags">
            <StatusBadge status={h.split} />
            {h.excluded ? <StatusBadge status="EXCLUDED" /> : null}
            {h.accepted ? <StatusBadge status="ACCEPTED" /> : null}
          </div>
        </div>
        <div>
          <table className="w-full max-w-xl text-sm" data-testid="vote-table">
            <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="py-1">Class</th>
                <th className="py-1 text-right">Votes here</th>
                <th className="py-1 text-right">Imported</th>
                <th className="py-1 text-right">Total</th>
                <th className="py-1 pl-4">Model</th>
              </tr>
            </thead>
            <tbody>
              {h.taxonomy.map((label, c) => (
                <tr key={label} className={c === h.crowdLabel ? "font-semibold" : ""}>
                  <td className="py-0.5">{label}</td>
                  <td className="py-0.5 text-right tabular-nums">{h.web[c]}</td>
                  <td className="py-0.5 text-right tabular-nums">{h.imported[c]}</td>
                  <td className="py-0.5 text-right tabular-nums">{h.counts[c]}</td>
                  <td className="py-0.5 pl-4">
                    {h.prediction ? (
                      <span className="flex items-center gap-2">
                        <span
                          className="inline-block h-2 rounded bg-indigo-400"
                          style={{ width: `${Math.round((h.prediction.probs[c] ?? 0) * 120)}px` }}
                        />
                        <span className="tabular-nums text-xs text-slate-600">
                          {((h.prediction.probs[c] ?? 0) * 100).toFixed(1)}%
                        </span>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="mt-2 text-xs text-slate-500">
            {total} votes; crowd label (plurality): {h.taxonomy[h.crowdLabel] ?? "none yet"}.{" "}
            {h.prediction
              ? `Model: latest out-of-sample prediction (set ${h.prediction.setId}, run ${h.prediction.runId}, ${when(h.prediction.finishedAt)}).`
              : "No out-of-sample prediction for this face yet."}
          </p>
          {isAdmin ? (
            <div className="mt-4">
              <ActionButtons imageIds={[h.imageId]} />
            </div>
          ) : null}
        </div>
      </div>
      <Section title="History" aside="newest first; revoked actions stay listed">
        {h.actions.length === 0 ? (
          <p className="text-sm text-slate-500">No review action on this face yet.</p>
        ) : (
          <ol className="space-y-2" data-testid="history">
            {h.actions.map((a) => (
              <li
                key={a.id}
                data-kind={a.kind}
                data-revoked={a.revokedAt ? "true" : "false"}
                className={`flex flex-wrap items-center justify-between gap-2 rounded-lg border px-3 py-2 text-sm ${
                  a.revokedAt ? "border-slate-200 bg-slate-50 text-slate-500" : "border-slate-200 bg-white"
                }`}
              >
                <span>
                  <span className="font-medium">{IMAGE_ACTION_TITLE[a.kind]}</span>: {describe(a)} · by{" "}
                  {a.createdBy ?? "a deleted user"} at {when(a.createdAt)}
                  {a.revokedAt
                    ? ` · revoked by ${a.revokedBy ?? "a deleted user"} at ${when(a.revokedAt)}`
                    : ""}
                </span>
                {isAdmin && !a.revokedAt ? <RevokeButton actionId={a.id} /> : null}
              </li>
            ))}
          </ol>
        )}
      </Section>
    </>
  );
}
