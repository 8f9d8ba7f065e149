import Link from "next/link";
import { navFor, type TRole } from "@/lib/roles";
import { NavLinks } from "./nav-links";
import { SignOutButton } from "./sign-out-button";

const ROLE_BADGE: Record<TRole, string> = {
  ADMIN: "bg-amber-100 text-amber-800 ring-amber-200",
  RESEARCHER: "bg-sky-100 text-sky-800 ring-sky-200",
  ANNOTATOR: "bg-emerald-100 text-emerald-800 ring-emerald-200",
};

export function Nav({ user }: { user: { name: string; email: string; role: TRole } | null }) {
  const sections = user ? navFor(user.role) : [];
  return (
    <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/90 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4 sm:px-6 lg:px-8">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight text-slate-900">
          <span
            aria-hidden
            className="grid size-7 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white shadow-sm"
          >
            C
          </span>
          Concord
        </Link>
        <nav aria-label="Main" className="flex min-w-0 flex-1 items-center gap-5 overflow-x-auto">
          {sections.map((s) => (
            <div key={s.title} className="flex items-center gap-1">
              <span className="mr-1 hidden text-[11px] font-semibold uppercase tracking-wider text-slate-400 md:inline">
                {s.title}
              </span>
              <NavLinks links={s.links} />
            </div>
          ))}
        </nav>
        {user ? (
          <div className="flex items-center gap-3">
            {/* Name and email only where the admin's nine links still fit beside them (below 2xl they
                clipped the last link): the badge carries them as a tooltip. */}
            <div className="hidden text-right leading-tight 2xl:block">
              <div className="max-w-48 truncate text-sm font-medium text-slate-800">{user.name}</div>
              <div className="max-w-48 truncate text-xs text-slate-500">{user.email}</div>
            </div>
            <span
              title={`${user.name} <${user.email}>`}
              className={`rounded-full px-2 py-0.5 text-[11px] font-semibold ring-1 ring-inset ${ROLE_BADGE[user.role]}`}
            >
              {user.role.toLowerCase()}
            </span>
            <SignOutButton />
          </div>
        ) : (
          <Link
            href="/login"
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
          >
            Sign in
          </Link>
        )}
      </div>
    </header>
  );
}
