// The labeller's check-answer panels: feedback on a check face, a qualification round's banner and a round
// that was not passed. Leaf components of labeler.tsx (client).
import Link from "next/link";
import type { TCheckFeedback, TRoundBlock } from "./check-state";
import { titleOf } from "./hotkeys";

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function CheckFeedbackPanel({ feedback: f }: { feedback: TCheckFeedback }) {
  const q = f.task.qualification;
  return (
    <output
      data-testid="check-feedback"
      data-image-id={f.task.imageId}
      data-correct={f.isCorrect}
      className={`flex items-center gap-4 rounded-xl border p-3 shadow-sm transition-opacity duration-700 ${
        f.fading ? "opacity-0" : "opacity-100"
      } ${f.isCorrect ? "border-emerald-200 bg-emerald-50" : "border-amber-300 bg-amber-50"}`}
    >
      {/* biome-ignore lint/performance/noImgElement: the check face's own data URL, as it was shown */}
      <img
        src={f.task.image}
        alt="The check face you just answered"
        width={80}
        height={80}
        data-testid="check-face"
        data-image-id={f.task.imageId}
        className="pixelated size-20 shrink-0 rounded-lg ring-1 ring-slate-300"
      />
      <div className="min-w-0 text-sm">
        <p className={`font-semibold ${f.isCorrect ? "text-emerald-800" : "text-amber-900"}`}>
          {f.isCorrect ? "✓ Right" : "✗ Not the expected answer"}
          <span className="ml-2 font-normal text-slate-500">
            {q ? `qualification face ${q.position} of ${q.size}` : "check question"} · the face you just
            answered
          </span>
        </p>
        <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 text-slate-700">
          <dt className="text-slate-500">Your answer</dt>
          <dd className="font-medium" data-testid="check-answer">
            {titleOf(f.label)}
          </dd>
          <dt className="text-slate-500">Expected</dt>
          <dd className="font-medium" data-testid="check-expected">
            {titleOf(f.expected)}
          </dd>
        </dl>
      </div>
    </output>
  );
}

export function RoundBanner({
  datasetName,
  round,
}: {
  datasetName: string;
  round: { position: number; size: number; passMark: number };
}) {
  return (
    <div
      data-testid="qualification-banner"
      className="rounded-xl border border-indigo-200 bg-indigo-50 px-4 py-3 text-sm text-indigo-900"
    >
      <span className="font-semibold">
        Qualification round · {datasetName}: face {round.position} of {round.size}.
      </span>{" "}
      These answers are not votes. {pct(round.passMark)} right lets you start labelling; after each face you
      see the expected answer.
    </div>
  );
}

export function RoundBlockedPanel({
  block: b,
  onRetry,
  onDismiss,
}: {
  block: TRoundBlock;
  onRetry: () => void;
  onDismiss?: () => void;
}) {
  const link = "font-medium text-indigo-700 underline-offset-2 hover:underline";
  return (
    <div
      data-testid="qualification-failed"
      data-dataset-id={b.datasetId}
      className="rounded-2xl border border-rose-200 bg-white p-6 shadow-sm"
    >
      <p className="text-sm font-semibold text-rose-600">Qualification round not passed</p>
      {b.hasNoFaces ? (
        <h2 className="mt-1 text-lg font-semibold">
          “{b.datasetName}” starts with a qualification round but has no check faces to ask.
        </h2>
      ) : (
        <h2 className="mt-1 text-lg font-semibold">
          “{b.datasetName}”: {b.correct ?? 0} of {b.size} right; {pct(b.passMark)} (
          {Math.ceil(b.passMark * b.size - 1e-9)} of {b.size}) needed.
        </h2>
      )}
      <p className="mt-2 text-sm text-slate-600">
        Answers in the round are not votes and count nowhere. The guidelines show examples of each label.
      </p>
      <div className="mt-4 flex flex-wrap items-center gap-3 text-sm">
        {b.attemptsLeft > 0 && !b.hasNoFaces ? (
          <button
            type="button"
            onClick={onRetry}
            data-testid="retry-round"
            className="rounded-md bg-indigo-600 px-3 py-1.5 font-semibold text-white hover:bg-indigo-500"
          >
            Try again ({b.attemptsLeft} {b.attemptsLeft === 1 ? "attempt" : "attempts"} left)
          </button>
        ) : (
          <p className="text-slate-700" data-testid="ask-admin">
            No attempt left: ask an admin to allow another{b.ask.length ? ` (${b.ask.join(", ")})` : ""}.
          </p>
        )}
        <Link className={link} href={`/label/guidelines?dataset=${encodeURIComponent(b.datasetId)}`}>
          Read the guidelines
        </Link>
        <Link className={link} href="/label/checks">
          See your answers
        </Link>
        {onDismiss ? (
          <button type="button" onClick={onDismiss} className="text-slate-500 hover:text-slate-800">
            Go on with other datasets
          </button>
        ) : null}
      </div>
    </div>
  );
}
