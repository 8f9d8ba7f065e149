import type { Metadata } from "next";
import { DatasetsTable } from "@/components/tables/datasets-table";
import { PageHeader, Section } from "@/components/tables/page-header";
import { listDatasets } from "@/server/datasets/datasets";
import { UPLOAD_LIMITS } from "@/server/datasets/import";
import { requireUser } from "@/server/guards";
import { ImportForms } from "./import-forms";

export const metadata: Metadata = { title: "Datasets" };

export default async function DatasetsPage() {
  await requireUser(["ADMIN"]);
  const datasets = await listDatasets();
  return (
    <>
      <PageHeader
        title="Datasets"
        subtitle="Faces per split, vote coverage and imported tallies. Coverage counts identified votes plus imported tally votes; k is each dataset's minimum votes per image."
      />
      <Section title="All datasets" aside="click a column to sort">
        <DatasetsTable rows={datasets.map((d) => ({ ...d, createdAt: d.createdAt.toISOString() }))} />
      </Section>
      <Section title="Import">
        <ImportForms
          uploadLimitMiB={UPLOAD_LIMITS.totalBytes / 1024 / 1024}
          existing={datasets.map((d) => d.slug)}
        />
      </Section>
    </>
  );
}
