// A dataset's annotator-quality settings (fair pausing, guidelines, qualification): the one schema the admin
// form and PATCH /api/datasets/:id/checks both read. Pure zod.
import { z } from "zod";
import type { TCheckSettings } from "./check-rule";

const share = (field: string) =>
  z
    .number({ message: `${field}: a number between 0.05 and 1` })
    .min(0.05, `${field}: at least 0.05`)
    .max(1, `${field}: at most 1`);
const whole = (field: string, min: number, max: number) =>
  z
    .number({ message: `${field}: a whole number` })
    .int(`${field}: a whole number`)
    .min(min, `${field}: at least ${min}`)
    .max(max, `${field}: at most ${max}`);

export const ZDatasetChecks = z
  .object({
    // Accuracy on check questions the dataset requires.
    goldMinAccuracy: share("goldMinAccuracy"),
    goldMinAnswers: whole("goldMinAnswers", 1, 500),
    goldWindow: whole("goldWindow", 1, 1000),
    goldConfidence: z
      .number({ message: "goldConfidence: a number between 0.8 and 0.999" })
      .min(0.8, "goldConfidence: at least 0.8")
      .max(0.999, "goldConfidence: at most 0.999"),
    guidelines: z.string().max(5000, "guidelines: at most 5000 characters"),
    guideExamples: whole("guideExamples", 0, 12),
    qualificationSize: whole("qualificationSize", 0, 100),
    qualificationPassMark: share("qualificationPassMark"),
    qualificationAttempts: whole("qualificationAttempts", 1, 20),
  })
  .strict()
  .refine((s) => s.goldWindow >= s.goldMinAnswers, {
    path: ["goldWindow"],
    message: "goldWindow: must hold at least goldMinAnswers answers",
  });
export type TDatasetChecks = z.infer<typeof ZDatasetChecks>;

export function checkRuleOf(d: {
  goldMinAccuracy: number;
  goldMinAnswers: number;
  goldWindow: number;
  goldConfidence: number;
}): TCheckSettings {
  return {
    threshold: d.goldMinAccuracy,
    minAnswers: d.goldMinAnswers,
    window: d.goldWindow,
    confidence: d.goldConfidence,
  };
}
