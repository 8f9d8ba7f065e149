import type { ReactNode } from "react";
import { titleOf } from "@/app/label/hotkeys";
import { describeCheckRule } from "@/lib/check-rule";
import type { TCheckReport, TDatasetStanding } from "@/server/checks/my-checks";
import { EmptyState, Section } from "../tables/page-header";

const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 1000) / 10}%`);
const when = (iso: string) => `${iso.slice(0, 19).replace("T", " ")} UTC`;

const COUNTS = {
  yes: "yes",
  "before-resume": "no: before the resume",
  older: "no: older than the window",
  qualification: "no: qualification",
} as const;

const STATUS = {
  ok: { text: "Fine", style: "bg-emerald-50 text-emerald-700 ring-emerald-200" },
  warning: { text: "Warning", style: "bg-amber-50 text-amber-800 ring-amber-200" },
  pause: { text: "Below the bound", style: "bg-rose-50 text-rose-700 ring-rose-200" },
} as const;

function StandingCard({ s, resumedAt }: { s: TDatasetStanding; resumedAt: string | null }) {
  const { standing: st, rule } = s;
  const status = STATUS[st.status];
  return (
    <article
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm"
      data-testid="check-standing"
      data-dataset-id={s.datasetId}
      data-status={st.status}
    >
      <header className="flex items-center justify-between gap-3">
        <h3 className="font-semibold text-slate-900">{s.datasetName}</h3>
        <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset ${status.style}`}>
          {status.text}
        </span>
      </header>
      <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Counted now</dt>
        <dd data-testid="standing-window">
          {st.answered === 0
            ? "no check answers yet"
            : `${st.correct} right of the last ${st.answered} (${pct(st.accuracy)})`}
          {resumedAt ? (
            <span className="text-slate-500"> · since the resume on {when(resumedAt)}</span>
          ) : null}
        </dd>
        <dt className="text-slate-500">{pct(rule.confidence)} interval</dt>
        <dd>
          {st.answered === 0 ? "—" : `${pct(st.interval.lower)} to ${pct(st.interval.upper)}`} · required{" "}
          {pct(rule.threshold)}
        </dd>
        <dt className="text-slate-500">Next</dt>
        <dd data-testid="standing-words">
          {st.toMinimum > 0
            ? `${st.toMinimum} more check ${st.toMinimum === 1 ? "answer" : "answers"} before a pause is possible.`
            : st.status === "pause"
              ? "The upper end of the interval is below the requirement."
              : `A pause needs the upper end of the interval below ${pct(rule.threshold)}.`}
          {st.status === "warning" ? " The accuracy is below the requirement: a warning." : ""}
        </dd>
        <dt className="text-slate-500">All time</dt>
        <dd>
          {s.allTime.correct} right of {s.allTime.answered} check answers on this dataset
        </dd>
      </dl>
      <details className="mt-3 text-sm text-slate-600">
        <summary className="cursor-pointer font-medium text-slate-700">The rule on this dataset</summary>
        <ul className="mt-2 list-disc space-y-1 pl-5">
          {describeCheckRule(rule).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </details>
    </article>
  );
}

// An annotator's check answers and standing: /label/checks (their own) and /admin/users/:id/checks.
export function CheckReportView({ report, actions }: { report: TCheckReport; actions?: ReactNode }) {
  const { user } = report;
  return (
    <div className="space-y-2">
      {user.pausedAt ? (
        <div
          className="mb-6 rounded-xl border border-rose-200 bg-rose-50 p-4 text-sm text-rose-900"
          data-testid="checks-paused"
        >
          <p className="font-semibold">Paused since {when(user.pausedAt)}</p>
          <p className="mt-1">{user.pausedReason}</p>
          <p className="mt-1 text-rose-800">
            After a resume only later check answers count, and no pause comes before the minimum again.
          </p>
          {actions ? <div className="mt-3">{actions}</div> : null}
        </div>
      ) : user.resumedAt ? (
        <p className="mb-6 rounded-xl border border-slate-200 bg-white p-4 text-sm text-slate-700">
          Resumed on {when(user.resumedAt)}: check answers from before no longer count toward a pause.
        </p>
      ) : null}

      <Section title="Standing per dataset" aside="judged on the latest check answers">
        {report.standings.length === 0 ? (
          <EmptyState title="No check answers yet">
            Check questions are mixed in with the faces; your answers will appear here.
          </EmptyState>
        ) : (
          <div className="grid gap-4 lg:grid-cols-2">
            {report.standings.map((s) => (
              <StandingCard key={s.datasetId} s={s} resumedAt={user.resumedAt} />
            ))}
          </div>
        )}
      </Section>

      <Section
        title="Check answers"
        aside={
          report.totalAnswers > report.answers.length
            ? `latest ${report.answers.length} of ${report.totalAnswers}`
            : `${report.totalAnswers} in all`
        }
      >
        {report.answers.length === 0 ? (
          <EmptyState title="Nothing answered yet" />
        ) : (
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table className="min-w-full text-sm">
              <thead className="bg-slate-50 text-left text-xs text-slate-600">
                <tr>
                  <th className="px-4 py-2">Face</th>
                  <th className="px-4 py-2">Dataset</th>
                  <th className="px-4 py-2">Answer</th>
                  <th className="px-4 py-2">Expected</th>
                  <th className="px-4 py-2">Result</th>
                  <th className="px-4 py-2">Kind</th>
                  <th className="px-4 py-2">Counts now</th>
                  <th className="px-4 py-2">When</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {report.answers.map((a) => (
                  <tr
                    key={a.id}
                    data-testid="check-row"
                    data-image-id={a.imageId}
                    data-counts={a.counts === "yes"}
                  >
                    <td className="px-4 py-1.5">
                      {/* biome-ignore lint/performance/noImgElement: 48x48 data URLs shown pixelated */}
                      <img
                        src={a.thumb}
                        alt="Check face"
                        width={48}
                        height={48}
                        className="pixelated size-12 rounded ring-1 ring-slate-200"
                      />
                    </td>
                    <td className="px-4 py-1.5 text-slate-600">{a.datasetName}</td>
                    <td className="px-4 py-1.5 font-medium">{titleOf(a.label)}</td>
                    <td className="px-4 py-1.5">{titleOf(a.expected)}</td>
                    <td className="px-4 py-1.5">
                      {a.isCorrect ? (
                        <span className="font-semibold text-emerald-700">✓ right</span>
                      ) : (
                        <span className="font-semibold text-amber-800">✗ wrong</span>
                      )}
                    </td>
                    <td className="px-4 py-1.5 text-slate-600">{a.kind}</td>
                    <td className="px-4 py-1.5 text-slate-600">{COUNTS[a.counts]}</td>
                    <td className="whitespace-nowrap px-4 py-1.5 text-slate-500">{when(a.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      {report.attempts.length > 0 ? (
        <Section title="Qualification rounds">
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table className="min-w-full text-sm" data-testid="qualification-attempts">
              <thead className="bg-slate-50 text-left text-xs text-slate-600">
                <tr>
                  <th className="px-4 py-2">Dataset</th>
                  <th className="px-4 py-2">Started</th>
                  <th className="px-4 py-2">Right</th>
                  <th className="px-4 py-2">Needed</th>
                  <th className="px-4 py-2">Result</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {report.attempts.map((t) => (
                  <tr key={t.id}>
                    <td className="px-4 py-2">{t.datasetName}</td>
                    <td className="whitespace-nowrap px-4 py-2 text-slate-500">{when(t.startedAt)}</td>
                    <td className="px-4 py-2 tabular-nums">
                      {t.correct} of {t.answered}
                      {t.answered < t.size ? ` (${t.size - t.answered} to go)` : ""}
                    </td>
                    <td className="px-4 py-2 tabular-nums">
                      {pct(t.passMark)} of {t.size}
                    </td>
                    <td className="px-4 py-2">
                      {t.passed === null ? "in progress" : t.passed ? "passed" : "not passed"}
                      {t.voidedAt ? ` · another attempt allowed ${when(t.voidedAt)}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      ) : null}
    </div>
  );
}
