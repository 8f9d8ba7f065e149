import type { Metadata } from "next";
import { CheckReportView } from "@/components/checks/check-report";
import { PageHeader } from "@/components/tables/page-header";
import { ACCESS } from "@/lib/roles";
import { checkReport } from "@/server/checks/my-checks";
import { requireUser } from "@/server/guards";

export const metadata: Metadata = { title: "My checks" };

// The annotator's own check answers and standing; open while paused too (the pause text sends them here).
export default async function MyChecksPage() {
  const user = await requireUser(ACCESS.label);
  const report = await checkReport(user.id);
  if (!report) return null;
  return (
    <>
      <PageHeader
        title="My checks"
        subtitle="Check questions are faces with a known answer, mixed in with the others. Here are your answers, your accuracy and how close you are to the pause rule of each dataset."
      />
      <CheckReportView report={report} />
    </>
  );
}
