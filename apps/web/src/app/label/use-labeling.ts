"use client";
// Client state of the labelling loop: current face, prefetched faces, votes sent in order (a serial queue,
// so an undo never overtakes the vote it undoes), retries with the same requestId (idempotent server).
// Each vote asks for the next face in its answer (`next`), so a face costs one request: GET /api/tasks/next
// only fills the queue at the start and when an answer brought no face (an error, a pause).
import { useCallback, useEffect, useRef, useState } from "react";
import { warningText } from "@/lib/check-rule";
import {
  roundBlockOf,
  type TCheckFeedback,
  type TQualificationOutcome,
  type TRoundBlock,
  type TRoundState,
  useCheckFeedback,
} from "./check-state";

export type TTask = {
  imageId: string;
  datasetId: string;
  datasetName: string;
  taxonomy: string[];
  image: string;
  // A face of a qualification round: its place in the round and the share of right answers needed.
  qualification?: { position: number; size: number; passMark: number };
};
export type TProgress = { today: number; total: number };
export type TGold = { answered: number; correct: number; accuracy: number | null };
export type TToast = { kind: "correct" | "wrong" | "info" | "error"; text: string; id: number };

const PREFETCH = 2;

async function send(url: string, init: RequestInit, attempts = 4): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(url, init);
      if (res.status < 500 || i >= attempts - 1) return res;
    } catch (error) {
      if (i >= attempts - 1) throw error;
    }
    await new Promise((r) => setTimeout(r, 250 * 2 ** i));
  }
}

export function useLabeling(
  initialProgress: TProgress,
  initialGold: TGold,
  datasetId: string | null,
  initialWarnings: Record<string, string> = {},
) {
  const [current, setCurrent] = useState<TTask | null | undefined>(undefined);
  const [progress, setProgress] = useState(initialProgress);
  const [gold, setGold] = useState(initialGold);
  const [toast, setToast] = useState<TToast | null>(null);
  const [paused, setPaused] = useState<string | null>(null);
  const [session, setSession] = useState({ votes: 0, startedAt: 0 });
  const queue = useRef<TTask[]>([]);
  const history = useRef<TTask[]>([]);
  const exhausted = useRef(false);
  const awaiting = useRef(0); // votes in flight whose answer will bring a face
  const fetching = useRef(false);
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const shownAt = useRef(0);
  const currentRef = useRef<TTask | null | undefined>(undefined);
  const checks = useCheckFeedback();
  // Check-rule warnings by dataset id: from the page, then from each check answer's standing.
  const [warnings, setWarnings] = useState<Record<string, string>>(initialWarnings);
  const [blocked, setBlocked] = useState<TRoundBlock[]>([]);
  const [passedRound, setPassedRound] = useState<string | null>(null);

  const notify = useCallback(
    (kind: TToast["kind"], text: string) => setToast({ kind, text, id: Date.now() }),
    [],
  );

  // Notices go after a few seconds; errors stay until the next message.
  useEffect(() => {
    if (!toast || toast.kind === "error") return;
    const t = setTimeout(() => setToast((x) => (x?.id === toast.id ? null : x)), 4000);
    return () => clearTimeout(t);
  }, [toast]);

  const show = useCallback((task: TTask | null) => {
    currentRef.current = task;
    shownAt.current = performance.now();
    setCurrent(task);
  }, []);

  // A face for the queue, never one on screen or queued already (a lease that expired can hand it out again).
  const enqueue = useCallback(
    (task: TTask) => {
      const isKnown = (t: TTask | null | undefined) => t?.imageId === task.imageId;
      if (isKnown(currentRef.current) || queue.current.some(isKnown)) return;
      queue.current.push(task);
      if (currentRef.current === undefined || currentRef.current === null)
        show(queue.current.shift() ?? null);
    },
    [show],
  );

  const refill = useCallback(async () => {
    if (fetching.current) return;
    fetching.current = true;
    try {
      while (queue.current.length + awaiting.current < PREFETCH && !exhausted.current) {
        const query = datasetId ? `?datasetId=${encodeURIComponent(datasetId)}` : "";
        const res = await send(`/api/tasks/next${query}`, { cache: "no-store" });
        const data = (await res.json().catch(() => ({}))) as {
          task?: TTask | null;
          progress?: TProgress;
          error?: string;
          details?: { reason?: string };
          blocked?: { rounds: TRoundState[]; ask: string[] };
        };
        if (res.status === 403 && data.details?.reason) {
          setPaused(data.details.reason);
          return;
        }
        if (!res.ok) {
          notify("error", data.error ?? `Could not load the next face (${res.status})`);
          return;
        }
        if (!data.task) {
          exhausted.current = true;
          if (data.blocked) setBlocked(data.blocked.rounds.map((r) => roundBlockOf(r, data.blocked!.ask)));
          break;
        }
        enqueue(data.task);
      }
      if (exhausted.current && queue.current.length === 0 && !currentRef.current) show(null);
    } catch {
      notify("error", "Network error while loading the next face");
    } finally {
      fetching.current = false;
    }
  }, [notify, show, enqueue, datasetId]);

  useEffect(() => {
    void refill();
  }, [refill]);

  const advance = useCallback(() => {
    const next = queue.current.shift();
    if (next) show(next);
    else if (exhausted.current) show(null);
    else {
      // Still fetching: show the loading state; refill() puts the face up when it arrives.
      currentRef.current = undefined;
      setCurrent(undefined);
    }
    void refill();
  }, [refill, show]);

  const vote = useCallback(
    (label: string) => {
      const task = currentRef.current;
      if (!task) return;
      const durationMs = Math.round(performance.now() - shownAt.current);
      const requestId = crypto.randomUUID();
      history.current.push(task);
      setSession((s) => ({ votes: s.votes + 1, startedAt: s.startedAt || Date.now() }));
      checks.countFace();
      awaiting.current++;
      advance();
      chain.current = chain.current.then(async () => {
        let next: TTask | null | undefined;
        try {
          const res = await send("/api/votes", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              imageId: task.imageId,
              label,
              requestId,
              durationMs,
              next: datasetId ? { datasetId } : {},
            }),
          });
          const data = (await res.json().catch(() => ({}))) as {
            error?: string;
            details?: { reason?: string };
            progress?: TProgress;
            gold?: {
              isCorrect: boolean;
              expected: string;
              accuracy: number | null;
              answered: number;
              standing?: TCheckFeedback["standing"];
            };
            paused?: { reason: string };
            qualification?: TQualificationOutcome;
            next?: TTask | null;
          };
          if (!res.ok) {
            history.current = history.current.filter((t) => t !== task);
            if (res.status === 403 && data.details?.reason) setPaused(data.details.reason);
            else notify("error", data.error ?? `Vote failed (${res.status})`);
            return;
          }
          next = data.next;
          if (data.progress) setProgress(data.progress);
          if (data.gold) {
            const g = data.gold;
            // A check question's answer is final: it leaves the undo history.
            history.current = history.current.filter((t) => t !== task);
            // A qualification answer's figures are the round's, not the check accuracy shown here.
            if (!data.qualification) {
              setGold((prev) => ({
                answered: g.answered,
                correct: Math.round((g.accuracy ?? 0) * g.answered),
                accuracy: g.accuracy ?? prev.accuracy,
              }));
            }
            // Feedback carries the check face itself: it arrives after the next face is up.
            checks.show({ task, label, expected: g.expected, isCorrect: g.isCorrect, standing: g.standing });
            const standing = g.standing;
            if (standing) {
              setWarnings(({ [task.datasetId]: _, ...others }) =>
                standing.status === "warning"
                  ? { ...others, [task.datasetId]: warningText(task.datasetName, standing) }
                  : others,
              );
            }
          }
          const q = data.qualification;
          if (q?.status === "passed") {
            setPassedRound(
              `You passed the qualification round of “${q.datasetName}” (${q.correct} of ${q.size} right). Your votes count from now on.`,
            );
            // The round's faces are all answered: real tasks of that dataset may now be served.
            exhausted.current = false;
            void refill();
          } else if (q?.status === "failed") {
            setBlocked((b) => [...b.filter((x) => x.datasetId !== q.datasetId), roundBlockOf(q, q.ask)]);
          }
          if (data.paused) setPaused(data.paused.reason);
        } catch {
          notify("error", "Network error: the vote was not saved");
        } finally {
          awaiting.current--;
          if (next) enqueue(next);
          // Tops the queue up by GET when the answer brought no face (none left for now, an error, a pause):
          // GET also says why there is none (a qualification round to retake) and shows "no tasks".
          void refill();
        }
      });
    },
    [advance, notify, enqueue, refill, datasetId, checks.countFace, checks.show],
  );

  const undo = useCallback(() => {
    chain.current = chain.current.then(async () => {
      const last = history.current.at(-1);
      if (!last) {
        notify("info", "Nothing to undo");
        return;
      }
      const res = await send("/api/votes/last", { method: "DELETE" });
      const data = (await res.json().catch(() => ({}))) as {
        error?: string;
        undone?: { imageId: string; label: string };
        progress?: TProgress;
      };
      if (!res.ok) {
        notify("error", data.error ?? `Undo failed (${res.status})`);
        return;
      }
      history.current.pop();
      if (data.progress) setProgress(data.progress);
      setSession((s) => ({ ...s, votes: Math.max(0, s.votes - 1) }));
      const back = data.undone?.imageId === last.imageId ? last : null;
      if (back) {
        if (currentRef.current) queue.current.unshift(currentRef.current);
        show(back);
      }
      notify("info", `Undid “${data.undone?.label ?? "vote"}”`);
    });
  }, [notify, show]);

  const skip = useCallback(() => {
    if (currentRef.current) advance();
  }, [advance]);

  // Starts another qualification attempt (POST /api/qualification), then asks for faces again.
  const retryRound = useCallback(
    async (datasetId: string) => {
      const res = await send("/api/qualification", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ datasetId }),
      });
      const data = (await res.json().catch(() => ({}))) as { error?: string };
      if (!res.ok) {
        notify("error", data.error ?? `Could not start another attempt (${res.status})`);
        return;
      }
      setBlocked((b) => b.filter((x) => x.datasetId !== datasetId));
      exhausted.current = false;
      void refill();
    },
    [notify, refill],
  );

  // All-datasets mode: leave a failed round aside and go on with the other datasets.
  const dismissRound = useCallback(
    (datasetId: string) => {
      setBlocked((b) => b.filter((x) => x.datasetId !== datasetId));
      if (!currentRef.current) {
        exhausted.current = false;
        void refill();
      }
    },
    [refill],
  );

  return {
    current,
    progress,
    gold,
    toast,
    paused,
    session,
    vote,
    undo,
    skip,
    feedback: checks.feedback,
    warnings: Object.values(warnings),
    blocked,
    passedRound,
    retryRound,
    dismissRound,
  };
}
