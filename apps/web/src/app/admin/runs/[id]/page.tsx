import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PageHeader } from "@/components/tables/page-header";
import { requireUser } from "@/server/guards";
import { getRunDetail } from "@/server/runs/runs";
import { RunLive } from "./run-live";

export const metadata: Metadata = { title: "Run" };

export default async function RunPage(props: { params: Promise<{ id: string }> }) {
  await requireUser(["ADMIN"]);
  const { id } = await props.params;
  const run = await getRunDetail(id);
  if (!run) notFound();
  return (
    <>
      <PageHeader
        crumbs={
          <Link href="/admin/runs" className="hover:underline">
            ← Training runs
          </Link>
        }
        title={run.name}
        subtitle={`${run.dataset.name} · ${run.config.model ?? "?"} · ${run.config.scheme ?? "?"} · seed ${run.seed}`}
      />
      <RunLive initial={run} />
    </>
  );
}
