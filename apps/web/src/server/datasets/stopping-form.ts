// The dataset's stopping-prior setting (pure, shared by the admin form and PATCH /api/datasets/:id).
import { z } from "zod";

export const STOPPING_PRIORS = ["panel", "model"] as const;

export const ZStoppingSetting = z.object({
  stoppingPrior: z.enum(STOPPING_PRIORS, { message: `stoppingPrior: one of ${STOPPING_PRIORS.join(", ")}` }),
});
export type TStoppingSetting = z.infer<typeof ZStoppingSetting>;
