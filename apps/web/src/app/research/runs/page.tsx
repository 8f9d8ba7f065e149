import type { Metadata } from "next";
import { PageHeader, Section } from "@/components/tables/page-header";
import { requireUser } from "@/server/guards";
import { listRuns } from "@/server/runs/runs";
import { RunsPicker } from "./runs-picker";

export const metadata: Metadata = { title: "Runs" };

export default async function ResearchRunsPage() {
  await requireUser(["RESEARCHER", "ADMIN"]);
  const runs = await listRuns();
  return (
    <>
      <PageHeader
        title="Runs"
        subtitle="Every training run with its evaluation. Open one for its dashboard, or tick several to compare them side by side."
      />
      <Section
        title="All runs"
        aside="accuracy / macro-F1 columns name their split: whole, or w/o twins (without the faces that have a train twin)"
      >
        <RunsPicker runs={runs} />
      </Section>
    </>
  );
}
