import type { ReactNode } from "react";

export function PageHeader(props: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
  crumbs?: ReactNode;
}) {
  return (
    <header className="mb-6 flex flex-wrap items-end justify-between gap-4 border-b border-slate-200 pb-4">
      <div>
        {props.crumbs ? <div className="mb-1 text-xs text-slate-500">{props.crumbs}</div> : null}
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{props.title}</h1>
        {props.subtitle ? <p className="mt-1 max-w-3xl text-sm text-slate-600">{props.subtitle}</p> : null}
      </div>
      {props.actions ? <div className="flex flex-wrap items-center gap-2">{props.actions}</div> : null}
    </header>
  );
}

export function Section(props: { title: ReactNode; children: ReactNode; aside?: ReactNode; id?: string }) {
  return (
    <section className="mb-8" id={props.id}>
      <div className="mb-3 flex items-baseline justify-between gap-3">
        <h2 className="text-lg font-semibold text-slate-800">{props.title}</h2>
        {props.aside ? <div className="text-xs text-slate-500">{props.aside}</div> : null}
      </div>
      {props.children}
    </section>
  );
}

export function EmptyState(props: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      <p className="font-medium text-slate-700">{props.title}</p>
      {props.children ? <div className="mt-1 text-sm text-slate-500">{props.children}</div> : null}
    </div>
  );
}
