"use client";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { toApiError } from "@/lib/api-error";
import { ROLES } from "@/lib/roles";

const input =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm outline-none focus:border-indigo-500 focus:ring-2 focus:ring-indigo-200";

export function CreateUserForm() {
  const router = useRouter();
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [isBusy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    // A new attempt starts clean: the previous answer (an earlier 409, say) must not stay beside the next one.
    setMessage(null);
    setBusy(true);
    const res = await fetch("/api/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Object.fromEntries(form.entries())),
    });
    const data = (await res.json().catch(() => ({}))) as { user?: { email: string } };
    setBusy(false);
    if (!res.ok) {
      setMessage({ kind: "error", text: toApiError(res.status, data).message });
      return;
    }
    formEl.reset();
    setMessage({ kind: "ok", text: `Created ${data.user?.email ?? "user"}.` });
    router.refresh();
  }

  return (
    <form
      onSubmit={onSubmit}
      // Editing the form (or the browser refusing a field) makes the last server answer stale.
      onInput={() => setMessage(null)}
      onInvalidCapture={() => setMessage(null)}
      className="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-5"
      aria-label="Create user"
    >
      <label className="block">
        <span className="text-sm font-medium text-slate-700">Name</span>
        <input name="name" required maxLength={120} className={input} />
      </label>
      <label className="block">
        <span className="text-sm font-medium text-slate-700">Email</span>
        <input name="email" type="email" required className={input} />
      </label>
      <label className="block">
        <span className="text-sm font-medium text-slate-700">Role</span>
        <select name="role" defaultValue="ANNOTATOR" className={input}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r.toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label className="block">
        <span className="text-sm font-medium text-slate-700">Password</span>
        <input
          name="password"
          type="password"
          required
          minLength={10}
          autoComplete="new-password"
          className={input}
        />
      </label>
      <div className="flex items-end">
        <button
          type="submit"
          disabled={isBusy}
          className="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
        >
          {isBusy ? "Creating…" : "Create user"}
        </button>
      </div>
      {message ? (
        <p
          role="status"
          className={`sm:col-span-2 lg:col-span-5 text-sm ${message.kind === "ok" ? "text-emerald-700" : "text-rose-700"}`}
        >
          {message.text}
        </p>
      ) : null}
    </form>
  );
}
