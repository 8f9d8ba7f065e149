// Review action contract (pure, shared by the review page's buttons and POST /api/images/actions).
import { z } from "zod";

export const IMAGE_ACTIONS = ["more-votes", "accept", "exclude"] as const;
export type TImageAction = (typeof IMAGE_ACTIONS)[number];

export const IMAGE_ACTION_KIND = {
  "more-votes": "MORE_VOTES",
  accept: "ACCEPT",
  exclude: "EXCLUDE",
} as const satisfies Record<TImageAction, string>;

// What the page calls each action (buttons, history).
export const IMAGE_ACTION_TITLE: Record<(typeof IMAGE_ACTION_KIND)[TImageAction], string> = {
  MORE_VOTES: "Ask for more votes",
  ACCEPT: "Accept the crowd label",
  EXCLUDE: "Exclude from training",
};

export const MAX_BULK_IMAGES = 500;
export const MAX_MORE_VOTES = 20;

export const ZImageActionBody = z
  .object({
    action: z.enum(IMAGE_ACTIONS, { message: `action: one of ${IMAGE_ACTIONS.join(", ")}` }),
    imageIds: z
      .array(z.string().trim().min(1, "imageIds: an image id").max(64, "imageIds: at most 64 characters"), {
        message: "imageIds: a list of image ids",
      })
      .min(1, "imageIds: at least one image")
      .max(MAX_BULK_IMAGES, `imageIds: at most ${MAX_BULK_IMAGES} images`),
    // "more-votes" only: how many votes each image should still get.
    votes: z
      .number({ message: "votes: a number" })
      .int("votes: a whole number")
      .min(1, "votes: >= 1")
      .max(MAX_MORE_VOTES, `votes: <= ${MAX_MORE_VOTES}`)
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.action === "more-votes" && v.votes === undefined)
      ctx.addIssue({ code: "custom", path: ["votes"], message: "votes: required to ask for more votes" });
    if (v.action !== "more-votes" && v.votes !== undefined)
      ctx.addIssue({ code: "custom", path: ["votes"], message: `votes: only with "more-votes"` });
  });

export type TImageActionBody = z.infer<typeof ZImageActionBody>;
