import Link from "next/link";
import { describeCheckRule } from "@/lib/check-rule";
import type { TGuide } from "@/server/checks/guidelines";
import { hotkeysFor } from "../hotkeys";
import { LABEL_NOTES } from "../label-notes";

const pct = (x: number) => `${Math.round(x * 100)}%`;

// A dataset's guidelines: the admin's note, each label with its key, a line on what it looks like and example
// faces (gold faces), the check rule in words and the qualification round. Shown before an annotator's first
// face and on /label/guidelines.
export function GuidelinesView({
  guide,
  datasets,
  startHref,
  isGate = false,
}: {
  guide: TGuide;
  datasets: { id: string; slug: string; name: string }[];
  startHref: string;
  // Shown instead of the first face (the annotator has not begun on this dataset).
  isGate?: boolean;
}) {
  const { dataset: d, qualification: q } = guide;
  const start = (
    <Link
      href={startHref}
      data-testid="start-labelling"
      className="inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
    >
      {q ? "Start the qualification round" : "Start labelling"}
    </Link>
  );
  return (
    <div className="space-y-8" data-testid={isGate ? "guidelines-gate" : "guidelines"}>
      <header className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <p className="text-sm font-semibold text-indigo-600">
            {isGate ? "Before your first face" : "Guidelines"}
          </p>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight">{d.name}</h1>
          {d.description ? <p className="mt-1 max-w-3xl text-sm text-slate-500">{d.description}</p> : null}
          {datasets.length > 1 ? (
            <nav aria-label="Datasets" className="mt-3 flex flex-wrap gap-2 text-sm">
              {datasets.map((x) => (
                <Link
                  key={x.id}
                  href={`?dataset=${encodeURIComponent(x.slug)}`}
                  aria-current={x.id === d.id ? "page" : undefined}
                  className={`rounded-md px-2 py-1 ${x.id === d.id ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-600 hover:bg-slate-100"}`}
                >
                  {x.name}
                </Link>
              ))}
            </nav>
          ) : null}
        </div>
        {start}
      </header>

      {d.guidelines ? (
        <section className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
          <h2 className="text-base font-semibold">From the dataset's admins</h2>
          <p className="mt-2 whitespace-pre-line text-sm leading-relaxed text-slate-700">{d.guidelines}</p>
        </section>
      ) : null}

      {q ? (
        <section
          className="rounded-xl border border-indigo-200 bg-indigo-50 p-5 text-sm text-indigo-950"
          data-testid="guidelines-qualification"
        >
          <h2 className="text-base font-semibold">Qualification round</h2>
          <p className="mt-2 leading-relaxed">
            Your first {q.size} faces here are check faces with a known answer. They are not votes; after each
            one you see the expected answer. With {pct(q.passMark)} right (
            {Math.ceil(q.passMark * q.size - 1e-9)} of {q.size}) you start labelling and your votes count. You
            have {q.attempts} {q.attempts === 1 ? "attempt" : "attempts"}; after that an admin can allow
            another.
          </p>
        </section>
      ) : null}

      <section>
        <h2 className="text-base font-semibold">The labels, with examples</h2>
        <p className="mt-1 text-sm text-slate-500">
          Example faces carry their known answer; they are never asked as check questions.
        </p>
        <div className="mt-4 grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
          {hotkeysFor(d.taxonomy).map((h) => (
            <article
              key={h.label}
              data-testid="guide-label"
              data-label={h.label}
              className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
            >
              <h3 className="flex items-center justify-between text-sm font-semibold text-slate-900">
                {h.title}
                {h.key ? (
                  <kbd className="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 text-xs">
                    {h.key}
                  </kbd>
                ) : null}
              </h3>
              {LABEL_NOTES[h.label] ? (
                <p className="mt-1 text-sm text-slate-600">{LABEL_NOTES[h.label]}</p>
              ) : null}
              <div className="mt-3 flex flex-wrap gap-2">
                {(guide.examples[h.label] ?? []).map((e) => (
                  // biome-ignore lint/performance/noImgElement: 48x48 data URLs shown pixelated
                  <img
                    key={e.imageId}
                    src={e.thumb}
                    alt={`Example: ${h.title}`}
                    width={72}
                    height={72}
                    data-testid="guide-example"
                    data-image-id={e.imageId}
                    className="pixelated size-18 rounded-lg ring-1 ring-slate-200"
                  />
                ))}
                {(guide.examples[h.label] ?? []).length === 0 ? (
                  <p className="text-xs text-slate-400">No example face yet.</p>
                ) : null}
              </div>
            </article>
          ))}
        </div>
      </section>

      <section className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
        <h2 className="text-base font-semibold">Check questions and pausing</h2>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm leading-relaxed text-slate-700">
          {describeCheckRule(guide.rule).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        <p className="mt-3 text-sm">
          <Link
            href="/label/checks"
            className="font-medium text-indigo-700 underline-offset-2 hover:underline"
          >
            My checks
          </Link>{" "}
          lists your answers and where you stand.
        </p>
      </section>
      <div>{start}</div>
    </div>
  );
}
