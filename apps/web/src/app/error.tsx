"use client";

// Shown when a page fails to render (e.g. Postgres unreachable); the digest ties it to the server log.
export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <div className="mx-auto mt-16 max-w-md rounded-2xl border border-slate-200 bg-white p-8 text-center shadow-sm">
      <p className="text-sm font-semibold text-rose-600">Something went wrong</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">This page could not be loaded</h1>
      <p className="mt-3 text-sm text-slate-600">
        The server may be restarting or the database briefly unavailable. Your saved work is not affected.
      </p>
      {error.digest ? <p className="mt-2 font-mono text-xs text-slate-400">ref {error.digest}</p> : null}
      <button
        type="button"
        onClick={reset}
        className="mt-6 rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500"
      >
        Try again
      </button>
    </div>
  );
}
