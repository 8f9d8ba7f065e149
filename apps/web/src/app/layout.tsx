import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Nav } from "@/components/nav";
import { getCurrentUser } from "@/server/guards";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Concord", template: "%s · Concord" },
  description:
    "Facial-expression recognition from crowd-sourced labels: annotate, aggregate, train, compare.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The nav degrades to the signed-out look when the database is unreachable; pages report the error.
  const user = await getCurrentUser().catch(() => null);
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <Nav user={user ? { name: user.name, email: user.email, role: user.role } : null} />
        <main className="mx-auto w-full max-w-7xl px-4 py-8 sm:px-6 lg:px-8">{children}</main>
      </body>
    </html>
  );
}
