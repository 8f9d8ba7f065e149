import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { homeFor } from "@/lib/roles";
import { getCurrentUser } from "@/server/guards";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage() {
  const user = await getCurrentUser().catch(() => null);
  if (user) redirect(homeFor(user.role));
  return (
    <div className="mx-auto mt-10 grid max-w-4xl overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm md:grid-cols-2">
      <div className="hidden flex-col justify-between bg-gradient-to-br from-indigo-600 to-violet-700 p-8 text-indigo-50 md:flex">
        <div>
          <h2 className="text-xl font-semibold text-white">Concord</h2>
          <p className="mt-2 text-sm leading-relaxed text-indigo-100">
            Facial-expression recognition from crowd-sourced labels. Annotators label faces, admins train
            models on the aggregated votes, researchers compare what the crowd agrees on with what the model
            learns.
          </p>
        </div>
        <ul className="space-y-2 text-sm text-indigo-100">
          <li>· 10 FER+ categories, keyboard-first labelling</li>
          <li>· Gold questions and dynamic overlap</li>
          <li>· Aggregation, soft labels, training runs</li>
        </ul>
      </div>
      <div className="p-8 sm:p-10">
        <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
        <p className="mt-1 text-sm text-slate-500">Use the account an admin created for you.</p>
        <Suspense>
          <LoginForm />
        </Suspense>
      </div>
    </div>
  );
}
