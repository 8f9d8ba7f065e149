import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { guideFor } from "@/server/checks/guidelines";
import { db } from "@/server/db";
import { requireUser } from "@/server/guards";
import { GuidelinesView } from "./guidelines-view";

export const metadata: Metadata = { title: "Guidelines" };

// /label/guidelines[?dataset=slug or id]: a dataset's guidelines (the first dataset without one). Admins may
// read them too, to see what annotators see.
export default async function GuidelinesPage({
  searchParams,
}: {
  searchParams: Promise<{ dataset?: string }>;
}) {
  await requireUser(["ANNOTATOR", "ADMIN"]);
  const { dataset } = await searchParams;
  const datasets = await db().dataset.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, slug: true, name: true },
  });
  const chosen = dataset ? datasets.find((d) => d.slug === dataset || d.id === dataset) : datasets[0];
  if (!chosen) notFound();
  const guide = await guideFor(chosen.id);
  if (!guide) notFound();
  return (
    <GuidelinesView
      guide={guide}
      datasets={datasets}
      startHref={`/label?dataset=${encodeURIComponent(chosen.slug)}&start=1`}
    />
  );
}
