import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { CheckReportView } from "@/components/checks/check-report";
import { PageHeader } from "@/components/tables/page-header";
import { ACCESS } from "@/lib/roles";
import { checkReport } from "@/server/checks/my-checks";
import { qualificationStates } from "@/server/checks/qualification";
import { requireUser } from "@/server/guards";
import { ResumeButton } from "../../user-actions";
import { AllowAttemptButton } from "./allow-attempt";

export const metadata: Metadata = { title: "Annotator checks" };

// An annotator's check answers as they see them on My checks, with the admin's actions: resume a pause
// (starts a probation window) and allow another qualification attempt.
export default async function UserChecksPage(props: { params: Promise<{ id: string }> }) {
  await requireUser(ACCESS.admin);
  const { id } = await props.params;
  const [report, rounds] = await Promise.all([checkReport(id), qualificationStates(id)]);
  if (!report) notFound();
  const spent = rounds.filter((r) => !r.passed && !r.open && r.attempts > 0 && r.attemptsLeft === 0);
  return (
    <>
      <PageHeader
        crumbs={
          <Link href="/admin/users" className="hover:underline">
            ← Users
          </Link>
        }
        title={`Checks · ${report.user.name}`}
        subtitle={`${report.user.email}: check answers, standing on each dataset's pause rule, qualification rounds.`}
        actions={spent.map((r) => (
          <AllowAttemptButton
            key={r.datasetId}
            userId={id}
            datasetId={r.datasetId}
            datasetName={r.datasetName}
          />
        ))}
      />
      <CheckReportView
        report={report}
        actions={report.user.pausedAt ? <ResumeButton userId={id} /> : undefined}
      />
    </>
  );
}
