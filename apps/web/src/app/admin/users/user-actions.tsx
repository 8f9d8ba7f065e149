"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toApiError } from "@/lib/api-error";
import { ROLES, type TRole } from "@/lib/roles";

async function patchUser(id: string, body: unknown): Promise<string | null> {
  const res = await fetch(`/api/users/${encodeURIComponent(id)}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.ok) return null;
  return toApiError(res.status, await res.json().catch(() => null)).message;
}

const ROLE_EFFECT: Record<TRole, string> = {
  ANNOTATOR: "An annotator labels faces at /label and sees no admin or research page.",
  RESEARCHER: "A researcher reads the dashboards and exports, and can change nothing.",
  ADMIN: "An admin manages users (other admins included), datasets, snapshots and runs.",
};

// Choosing a role only proposes it: nothing is saved until the admin confirms what the change does.
export function RoleSelect(props: { userId: string; name: string; role: TRole; isSelf: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [proposed, setProposed] = useState<TRole | null>(null);
  const shown = proposed ?? props.role;
  async function confirm() {
    if (!proposed) return;
    setBusy(true);
    setError(await patchUser(props.userId, { role: proposed }));
    setBusy(false);
    setProposed(null);
    router.refresh();
  }
  return (
    <div>
      <select
        aria-label="Role"
        value={shown}
        disabled={props.isSelf || isBusy}
        title={props.isSelf ? "You cannot change your own role" : undefined}
        onChange={(e) => {
          setError(null);
          const next = e.target.value as TRole;
          setProposed(next === props.role ? null : next);
        }}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm disabled:bg-slate-50 disabled:text-slate-500"
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r.toLowerCase()}
          </option>
        ))}
      </select>
      {proposed ? (
        <div
          role="alertdialog"
          aria-label="Confirm role change"
          className={`mt-2 max-w-xs rounded-md border p-2 text-xs ${proposed === "ADMIN" ? "border-amber-300 bg-amber-50 text-amber-900" : "border-slate-200 bg-slate-50 text-slate-700"}`}
          data-testid="role-confirm"
        >
          <p>
            Make {props.name} {proposed === "ADMIN" ? "an" : "a"} <strong>{proposed.toLowerCase()}</strong>{" "}
            (was {props.role.toLowerCase()})? {ROLE_EFFECT[proposed]} It applies at their next request.
          </p>
          <div className="mt-2 flex gap-2">
            <button
              type="button"
              disabled={isBusy}
              onClick={confirm}
              className="rounded bg-indigo-600 px-2 py-1 font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
            >
              {isBusy ? "Saving…" : `Make ${proposed.toLowerCase()}`}
            </button>
            <button
              type="button"
              disabled={isBusy}
              onClick={() => setProposed(null)}
              className="rounded border border-slate-300 bg-white px-2 py-1 font-medium text-slate-700 hover:bg-slate-100"
            >
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </div>
  );
}

export function ResumeButton({ userId }: { userId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        onClick={async () => {
          setError(await patchUser(userId, { resume: true }));
          router.refresh();
        }}
        className="rounded-md border border-slate-300 px-2 py-0.5 text-xs font-medium text-slate-700 hover:bg-slate-100"
      >
        Resume
      </button>
      {error ? <p className="text-xs text-rose-600">{error}</p> : null}
    </>
  );
}
