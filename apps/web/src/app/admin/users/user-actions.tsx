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

export function RoleSelect({ userId, role, isSelf }: { userId: string; role: TRole; isSelf: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  return (
    <div>
      <select
        aria-label="Role"
        defaultValue={role}
        disabled={isSelf || isBusy}
        title={isSelf ? "You cannot change your own role" : undefined}
        onChange={async (e) => {
          setBusy(true);
          setError(await patchUser(userId, { role: e.target.value }));
          setBusy(false);
          router.refresh();
        }}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm disabled:bg-slate-50 disabled:text-slate-500"
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r.toLowerCase()}
          </option>
        ))}
      </select>
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
