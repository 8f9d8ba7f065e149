"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { TNavLink } from "@/lib/roles";

export function NavLinks({ links }: { links: TNavLink[] }) {
  const pathname = usePathname();
  // The most specific link wins: /label/checks lights "My checks", not "Label" too.
  const active = links
    .filter((l) => pathname === l.href || pathname.startsWith(`${l.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;
  return links.map((l) => {
    const isActive = l.href === active;
    return (
      <Link
        key={l.href}
        href={l.href}
        aria-current={isActive ? "page" : undefined}
        className={`whitespace-nowrap rounded-md px-2.5 py-1.5 text-sm font-medium transition-colors ${
          isActive ? "bg-indigo-50 text-indigo-700" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"
        }`}
      >
        {l.label}
      </Link>
    );
  });
}
