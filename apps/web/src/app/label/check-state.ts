"use client";
// Client state of check answers: the feedback panel (which carries the check face itself, since the answer is
// judged after the next face is already up) and failed qualification rounds.
import { useCallback, useEffect, useRef, useState } from "react";
import type { TQualificationResult, TQualificationState } from "@/server/checks/qualification";
import type { TCheckStandingView } from "@/server/tasks/votes";
import type { TTask } from "./use-labeling";

export type TQualificationOutcome = TQualificationResult;
export type TRoundState = TQualificationState;

export type TCheckFeedback = {
  id: number;
  task: TTask;
  label: string;
  expected: string;
  isCorrect: boolean;
  standing?: TCheckStandingView;
  fading: boolean;
};

// Shown for a few seconds, and never for more than a few faces: feedback must not sit beside a face it is
// not about.
export const FEEDBACK_MS = 4000;
export const FEEDBACK_FADE_MS = 700;
export const FEEDBACK_FACES = 3;

export function useCheckFeedback() {
  const [feedback, setFeedback] = useState<TCheckFeedback | null>(null);
  const faces = useRef(0);
  const seq = useRef(0);

  const show = useCallback((f: Omit<TCheckFeedback, "id" | "fading">) => {
    faces.current = 0;
    seq.current += 1;
    setFeedback({ ...f, id: seq.current, fading: false });
  }, []);

  // Every answered face: after FEEDBACK_FACES more faces the panel goes, however fast they came.
  const countFace = useCallback(() => {
    faces.current += 1;
    if (faces.current >= FEEDBACK_FACES) setFeedback(null);
  }, []);

  useEffect(() => {
    if (!feedback) return;
    const id = feedback.id;
    const t = feedback.fading
      ? setTimeout(() => setFeedback((f) => (f?.id === id ? null : f)), FEEDBACK_FADE_MS)
      : setTimeout(
          () => setFeedback((f) => (f?.id === id ? { ...f, fading: true } : f)),
          FEEDBACK_MS - FEEDBACK_FADE_MS,
        );
    return () => clearTimeout(t);
  }, [feedback]);

  return { feedback, show, countFace };
}

// A round the annotator cannot go on with: failed (retry while attempts are left, else ask an admin), or a
// dataset without check faces to ask.
export type TRoundBlock = {
  datasetId: string;
  datasetName: string;
  correct: number | null;
  size: number;
  passMark: number;
  attemptsLeft: number;
  ask: string[];
  hasNoFaces: boolean;
};

export function roundBlockOf(r: TQualificationResult | TQualificationState, ask: string[]): TRoundBlock {
  if ("status" in r) {
    return { ...pick(r), correct: r.correct, size: r.size, passMark: r.passMark, ask, hasNoFaces: false };
  }
  return {
    ...pick(r),
    correct: r.last?.correct ?? null,
    size: r.last?.size ?? r.size,
    passMark: r.passMark,
    ask,
    hasNoFaces: r.attempts === 0 && r.checkFaces === 0,
  };
}

const pick = (r: { datasetId: string; datasetName: string; attemptsLeft: number }) => ({
  datasetId: r.datasetId,
  datasetName: r.datasetName,
  attemptsLeft: r.attemptsLeft,
});
