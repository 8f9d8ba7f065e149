import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState, PageHeader } from "@/components/tables/page-header";
import { plural } from "@/lib/format";
import { datasetOptions } from "@/server/datasets/datasets";
import { requireUser } from "@/server/guards";
import { getReviewQueue, QUEUE_ORDERS, type TQueueOrder } from "@/server/review/queue";
import { ReviewTable } from "./review-table";

export const metadata: Metadata = { title: "Review queue" };

const SPLITS = ["TRAIN", "VALID", "TEST"];

export default async function ReviewPage(props: {
  searchParams: Promise<{
    datasetId?: string;
    crowd?: string;
    model?: string;
    split?: string;
    order?: string;
  }>;
}) {
  const user = await requireUser(["RESEARCHER", "ADMIN"]);
  const sp = await props.searchParams;
  const datasets = await datasetOptions();
  const dataset = datasets.find((d) => d.id === sp.datasetId) ?? datasets[0];
  if (!dataset) {
    return (
      <>
        <PageHeader title="Review queue" />
        <EmptyState title="No dataset yet">An admin imports one under Admin → Datasets.</EmptyState>
      </>
    );
  }
  const pick = <T extends string>(v: string | undefined, allowed: readonly T[]) =>
    v && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
  // An unknown value is ignored, as the other filters: the default order, the suspects'.
  const order: TQueueOrder = pick(sp.order, QUEUE_ORDERS) ?? "suspects";
  const filter = {
    crowd: pick(sp.crowd, dataset.taxonomy),
    model: pick(sp.model, dataset.taxonomy),
    split: pick(sp.split, SPLITS),
    order,
  };
  const q = await getReviewQueue(dataset.id, filter);
  const select = "rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm";
  const href = (f: { crowd?: string; model?: string }) =>
    `/research/review?${new URLSearchParams({
      datasetId: dataset.id,
      ...(f.crowd ? { crowd: f.crowd } : {}),
      ...(f.model ? { model: f.model } : {}),
      ...(filter.split ? { split: filter.split } : {}),
      ...(order !== "suspects" ? { order } : {}),
    })}`;
  return (
    <>
      <PageHeader
        title="Review queue"
        subtitle="Faces whose crowd label is most likely wrong, ranked from their votes and the model's latest out-of-sample prediction. Ask for more votes, accept the crowd label, or exclude a face from training; every action is kept in the face's history and can be undone."
        actions={
          <form className="flex flex-wrap items-center gap-2" method="get">
            <select name="datasetId" defaultValue={dataset.id} className={select} aria-label="Dataset">
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            <select name="crowd" defaultValue={filter.crowd ?? ""} className={select} aria-label="Crowd says">
              <option value="">crowd: any</option>
              {q.taxonomy.map((l) => (
                <option key={l} value={l}>
                  crowd: {l}
                </option>
              ))}
            </select>
            <select name="model" defaultValue={filter.model ?? ""} className={select} aria-label="Model says">
              <option value="">model: any</option>
              {q.taxonomy.map((l) => (
                <option key={l} value={l}>
                  model: {l}
                </option>
              ))}
            </select>
            <select name="split" defaultValue={filter.split ?? ""} className={select} aria-label="Split">
              <option value="">all splits</option>
              {SPLITS.map((s) => (
                <option key={s} value={s}>
                  {s.toLowerCase()}
                </option>
              ))}
            </select>
            <select name="order" defaultValue={order} className={select} aria-label="Order">
              <option value="suspects">Suspects (P(crowd label wrong))</option>
              <option value="relabel">Relabel priority (P(suggested label wrong))</option>
            </select>
            <button
              type="submit"
              className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
            >
              Show
            </button>
          </form>
        }
      />
      {!q.hasPredictions ? (
        <EmptyState title="No predictions for this dataset yet">
          The queue ranks faces with the model's out-of-sample predictions: run a predict job on a finished
          run.
        </EmptyState>
      ) : (
        <>
          <p className="mb-3 text-sm text-slate-600" data-testid="queue-summary">
            {q.matching.toLocaleString()} of {q.candidates.toLocaleString()} faces match
            {q.suspects.length < q.matching ? ` (top ${q.suspects.length} shown)` : ""} · {q.handled.accepted}{" "}
            accepted and {q.handled.excluded} excluded faces are out of the queue.{" "}
            {order === "relabel"
              ? "Ordered by the probability that the suggested label is wrong (the relabel priority: the best label accuracy after a re-vote budget on FER+ Valid)"
              : "Ordered by the probability that the crowd label is wrong"}
            , from the label-issue finder of @concord/crowd:{" "}
            {q.completePanels > 0
              ? `bayes-panel for ${plural(q.methods["bayes-panel"] ?? 0, "face")} short of a complete panel (the panel prior of ${plural(q.completePanels, "complete panel")}), product for ${plural(q.methods.product ?? 0, "face")} with a complete panel`
              : "product (no complete panel yet for bayes-panel)"}
            .
          </p>
          {q.pairs.length > 0 ? (
            <div className="mb-4 flex flex-wrap gap-1.5 text-xs">
              <span className="text-slate-500">Crowd says → model says:</span>
              {q.pairs.slice(0, 12).map((p) => (
                <Link
                  key={`${p.crowd}-${p.model}`}
                  href={href(p)}
                  className={`rounded-full px-2 py-0.5 ring-1 ring-inset ${
                    p.crowd === filter.crowd && p.model === filter.model
                      ? "bg-indigo-600 text-white ring-indigo-600"
                      : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"
                  }`}
                >
                  {p.crowd} → {p.model} ({p.n})
                </Link>
              ))}
            </div>
          ) : null}
          {q.suspects.length === 0 ? (
            <EmptyState title="No face matches these filters" />
          ) : (
            <ReviewTable
              suspects={q.suspects}
              taxonomy={q.taxonomy}
              isAdmin={user.role === "ADMIN"}
              order={order}
            />
          )}
        </>
      )}
    </>
  );
}
