import type { Metadata } from "next";
import Link from "next/link";
import { ExcludedBadge, FlagBadges } from "@/components/tables/flag-badges";
import { plural } from "@/lib/format";
import { ACCESS } from "@/lib/roles";
import { activeExclusions } from "@/server/annotators/exclusions";
import { annotatorQuality } from "@/server/annotators/quality";
import { requireUser } from "@/server/guards";
import { listUsers } from "@/server/users/users";
import { CreateUserForm } from "./create-user-form";
import { ResumeButton, RoleSelect } from "./user-actions";

export const metadata: Metadata = { title: "Users" };

const pct = (n: number, d: number) => (d ? `${Math.round((100 * n) / d)}%` : "—");

export default async function UsersPage() {
  const me = await requireUser(ACCESS.admin);
  const [users, quality, excluded] = await Promise.all([listUsers(), annotatorQuality(), activeExclusions()]);
  const flagsOf = (id: string) =>
    quality
      .filter((q) => q.annotatorId === id)
      .flatMap((q) => q.flags.map((f) => ({ ...f, datasetName: q.datasetName })));
  const counts = users.reduce<Record<string, number>>((acc, u) => {
    acc[u.role] = (acc[u.role] ?? 0) + 1;
    return acc;
  }, {});
  return (
    <div className="space-y-8">
      <header className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
          <p className="mt-1 text-sm text-slate-500">
            {[
              plural(users.length, "account"),
              plural(counts.ANNOTATOR ?? 0, "annotator"),
              plural(counts.RESEARCHER ?? 0, "researcher"),
              plural(counts.ADMIN ?? 0, "admin"),
            ].join(" · ")}
          </p>
        </div>
      </header>

      <section className="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-50 text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-3">Name</th>
              <th className="px-4 py-3">Email</th>
              <th className="px-4 py-3">Role</th>
              <th className="px-4 py-3 text-right">Votes</th>
              <th className="whitespace-nowrap px-4 py-3 text-right">Gold accuracy</th>
              <th className="px-4 py-3" title="likely spammers and random clickers, per dataset">
                Quality
              </th>
              <th className="px-4 py-3">Status</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {users.map((u) => (
              <tr key={u.id} className="align-top hover:bg-slate-50/60" data-testid="user-row">
                <td className="px-4 py-3 font-medium text-slate-900">
                  <Link href={`/admin/users/${u.id}`} className="text-indigo-700 hover:underline">
                    {u.name}
                  </Link>
                  {u.id === me.id ? (
                    <span className="ml-2 text-xs font-normal text-slate-400">(you)</span>
                  ) : null}
                </td>
                <td className="px-4 py-3 text-slate-600">{u.email}</td>
                <td className="px-4 py-3">
                  <RoleSelect userId={u.id} name={u.name} role={u.role} isSelf={u.id === me.id} />
                </td>
                <td className="px-4 py-3 text-right tabular-nums">{u.votes.toLocaleString("en")}</td>
                <td className="px-4 py-3 text-right tabular-nums">
                  {pct(u.goldCorrect, u.goldAnswered)}
                  <span className="ml-1 text-xs text-slate-400">({u.goldAnswered})</span>
                  {u.role === "ANNOTATOR" ? (
                    <Link
                      href={`/admin/users/${u.id}/checks`}
                      className="block text-xs text-indigo-700 hover:underline"
                    >
                      checks →
                    </Link>
                  ) : null}
                </td>
                <td className="px-4 py-3">
                  <FlagBadges flags={flagsOf(u.id)} />
                </td>
                <td className="px-4 py-3">
                  <div className="flex flex-wrap items-start gap-1">
                    {excluded.has(u.id) ? <ExcludedBadge since={excluded.get(u.id)!} /> : null}
                    {u.pausedAt ? (
                      <div className="max-w-xs space-y-1">
                        <span className="rounded-full bg-rose-50 px-2 py-0.5 text-xs font-semibold text-rose-700 ring-1 ring-inset ring-rose-200">
                          paused
                        </span>
                        <p className="text-xs text-slate-500">{u.pausedReason}</p>
                        <ResumeButton userId={u.id} />
                      </div>
                    ) : (
                      <span className="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-semibold text-emerald-700 ring-1 ring-inset ring-emerald-200">
                        active
                      </span>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 className="text-base font-semibold">Create a user</h2>
        <p className="mt-1 text-sm text-slate-500">
          The password is hashed with argon2id; share it with the person.
        </p>
        <CreateUserForm />
      </section>
    </div>
  );
}
