"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

// Re-renders the server page in place every `ms` while `active` (a run still training): fresh numbers,
// no full reload, scroll position kept.
export function AutoRefresh(props: { active: boolean; ms?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!props.active) return;
    const t = setInterval(() => router.refresh(), props.ms ?? 5000);
    return () => clearInterval(t);
  }, [props.active, props.ms, router]);
  return null;
}
