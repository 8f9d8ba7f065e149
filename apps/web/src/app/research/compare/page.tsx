import { TWIN_RULE } from "@concord/importer/twins";
import { CHECKPOINT_SELECTION, CHECKPOINT_SELECTION_HOLDOUT } from "@concord/jobs/run-config";
import type { Metadata } from "next";
import Link from "next/link";
import { ChartCard } from "@/components/charts/chart-card";
import { CompareCurves, CompareF1 } from "@/components/charts/compare-charts";
import { TwinNote } from "@/components/tables/evaluation-table";
import { EmptyState, PageHeader, Section } from "@/components/tables/page-header";
import { StatusBadge } from "@/components/tables/status-badge";
import { compareRows } from "@/lib/compare-rows";
import { requireUser } from "@/server/guards";
import { getRunDetail, listRuns, type TRunDetail } from "@/server/runs/runs";

export const metadata: Metadata = { title: "Compare runs" };

const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

export default async function ComparePage(props: {
  searchParams: Promise<{ ids?: string | string[]; split?: string; diff?: string }>;
}) {
  await requireUser(["RESEARCHER", "ADMIN"]);
  const sp = await props.searchParams;
  // "?ids=a,b" from links, "?ids=a&ids=b" from the multi-select form.
  const ids = [
    ...new Set(
      [sp.ids ?? []]
        .flat()
        .flatMap((x) => x.split(","))
        .filter(Boolean),
    ),
  ].slice(0, 8);
  const split = sp.split === "TEST" || sp.split === "VALID" ? sp.split : "VALID";
  const runs = (await Promise.all(ids.map((id) => getRunDetail(id)))).filter(
    (r): r is TRunDetail => r !== null,
  );
  const all = await listRuns({ status: "SUCCEEDED" });
  const labels = [...new Set(runs.flatMap((r) => r.evaluations.flatMap((e) => e.labels)))];
  const ev = (r: TRunDetail, s: string) => r.evaluations.find((e) => e.split === s);
  const config = compareRows(
    runs.map((r) => ({
      config: r.config,
      datasetName: r.dataset.name,
      snapshot: r.snapshot,
      backend: r.backend,
      codeVersion: r.codeVersion,
      epochsRun: r.epochs.length,
    })),
  );
  const onlyDiffs = sp.diff === "1";
  const differing = config.filter((c) => c.differs).length;
  // Per split: the whole split and the split without its train twins, side by side, n with each.
  const free = (r: TRunDetail, s: string) => ev(r, s)?.withoutTrainTwins;
  const metrics: { name: string; split: string; get: (r: TRunDetail) => string }[] = (
    ["VALID", "TEST"] as const
  ).flatMap((s) => [
    { name: "n, whole split", split: s, get: (r: TRunDetail) => ev(r, s)?.n.toLocaleString("en-US") ?? "—" },
    {
      name: s === "VALID" ? "Accuracy, whole split *" : "Accuracy, whole split",
      split: s,
      get: (r: TRunDetail) => pct(ev(r, s)?.accuracy),
    },
    { name: "Macro-F1, whole split", split: s, get: (r: TRunDetail) => pct(ev(r, s)?.macroF1) },
    {
      name: "n, without train twins",
      split: s,
      get: (r: TRunDetail) => free(r, s)?.n.toLocaleString("en-US") ?? "—",
    },
    { name: "Accuracy, without train twins", split: s, get: (r: TRunDetail) => pct(free(r, s)?.accuracy) },
    { name: "Macro-F1, without train twins", split: s, get: (r: TRunDetail) => pct(free(r, s)?.macroF1) },
    { name: "ECE, whole split", split: s, get: (r: TRunDetail) => ev(r, s)?.ece.toFixed(3) ?? "—" },
  ]);
  const compareRuns = runs.map((r) => ({
    id: r.id,
    name: r.name,
    epochs: r.epochs,
    perClass: ev(r, split)?.perClass ?? [],
  }));
  return (
    <>
      <PageHeader
        title="Compare runs"
        subtitle="Runs side by side: configuration, metrics per split, learning curves and per-class F1."
        actions={
          <form method="get" className="flex flex-wrap items-center gap-2">
            <select
              name="ids"
              multiple
              defaultValue={ids}
              aria-label="Runs"
              className="h-24 min-w-72 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
            >
              {all.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name} · {r.datasetName}
                </option>
              ))}
            </select>
            <CompareSubmit />
          </form>
        }
      />
      {runs.length === 0 ? (
        <EmptyState title="Pick runs to compare">
          Select runs above (Ctrl/Cmd-click for several) or tick them on the{" "}
          <Link href="/research/runs" className="text-indigo-700 hover:underline">
            runs page
          </Link>
          .
        </EmptyState>
      ) : (
        <>
          <Section
            title="Side by side"
            aside={
              <span>
                {differing} configuration field{differing === 1 ? "" : "s"} differ ·{" "}
                {onlyDiffs ? (
                  <Link
                    className="text-indigo-700"
                    href={`/research/compare?ids=${ids.join(",")}&split=${split}`}
                  >
                    show every field
                  </Link>
                ) : (
                  <Link
                    className="text-indigo-700"
                    href={`/research/compare?ids=${ids.join(",")}&split=${split}&diff=1`}
                  >
                    only the differences
                  </Link>
                )}
              </span>
            }
          >
            <div
              className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm"
              data-testid="compare-table"
            >
              <table className="min-w-full text-sm">
                <thead className="bg-slate-50 text-xs text-slate-600">
                  <tr>
                    <th className="px-4 py-2 text-left">Run</th>
                    {runs.map((r) => (
                      <th key={r.id} className="px-4 py-2 text-right normal-case">
                        <Link href={`/research/runs/${r.id}`} className="text-indigo-700 hover:underline">
                          {r.name}
                        </Link>
                        <div className="mt-1">
                          <StatusBadge status={r.status} />
                        </div>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {config
                    .filter((row) => !onlyDiffs || row.differs)
                    .map((row) => (
                      <tr
                        key={row.key}
                        data-testid="config-row"
                        data-key={row.key}
                        data-differs={row.differs ? "true" : "false"}
                        className={row.differs ? "bg-amber-50/60" : undefined}
                      >
                        <th scope="row" className="px-4 py-2 text-left font-medium text-slate-600">
                          {row.label}
                          {row.differs ? (
                            <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-[10px] font-semibold uppercase text-amber-800">
                              differs
                            </span>
                          ) : null}
                        </th>
                        {row.values.map((v, i) => (
                          <td
                            key={runs[i]!.id}
                            className={`px-4 py-2 text-right tabular-nums ${row.key === "codeVersion" ? "max-w-48 truncate font-mono text-xs" : ""}`}
                            title={v}
                          >
                            {v}
                          </td>
                        ))}
                      </tr>
                    ))}
                  {metrics.map((row) => (
                    <tr key={`${row.name}-${row.split}`}>
                      <th scope="row" className="px-4 py-2 text-left font-medium text-slate-600">
                        {row.name}
                        <span className="ml-2">
                          <StatusBadge status={row.split} />
                        </span>
                      </th>
                      {runs.map((r) => (
                        <td key={r.id} className="px-4 py-2 text-right tabular-nums">
                          {row.get(r)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              <TwinNote
                selectedOn={`${CHECKPOINT_SELECTION} (runs without Valid faces: ${CHECKPOINT_SELECTION_HOLDOUT})`}
                twinRule={TWIN_RULE}
                testId="compare-notes"
                extra={'"—": not computed (stored before twin figures existed).'}
              />
            </div>
          </Section>
          <div className="grid gap-4 xl:grid-cols-2">
            <ChartCard title="Valid accuracy per epoch (whole split)" split="valid">
              <CompareCurves runs={compareRuns} />
            </ChartCard>
            <ChartCard
              title="Per-class F1 (whole split)"
              split={split.toLowerCase()}
              note={
                <span>
                  Show split:{" "}
                  <Link
                    className="text-indigo-700"
                    href={`/research/compare?ids=${ids.join(",")}&split=VALID`}
                  >
                    valid
                  </Link>{" "}
                  ·{" "}
                  <Link
                    className="text-indigo-700"
                    href={`/research/compare?ids=${ids.join(",")}&split=TEST`}
                  >
                    test
                  </Link>
                </span>
              }
            >
              <CompareF1 runs={compareRuns} labels={labels} />
            </ChartCard>
          </div>
        </>
      )}
    </>
  );
}

function CompareSubmit() {
  return (
    <button
      type="submit"
      className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
    >
      Compare
    </button>
  );
}
