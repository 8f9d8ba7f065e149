"use client";
// Client state of the labelling loop: current face, prefetched faces, votes sent in order (a serial queue,
// so an undo never overtakes the vote it undoes), retries with the same requestId (idempotent server).
// Each vote asks for the next face in its answer (`next`), so a face costs one request: GET /api/tasks/next
// only fills the queue at the start and when an answer brought no face (an error, a pause).
import { useCallback, useEffect, useRef, useState } from "react";

export type TTask = {
  imageId: string;
  datasetId: string;
  datasetName: string;
  taxonomy: string[];
  image: string;
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

export function useLabeling(initialProgress: TProgress, initialGold: TGold, datasetId: string | null) {
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

  const notify = useCallback(
    (kind: TToast["kind"], text: string) => setToast({ kind, text, id: Date.now() }),
    [],
  );

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
            gold?: { isCorrect: boolean; expected: string; accuracy: number | null; answered: number };
            paused?: { reason: string };
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
            setGold((prev) => ({
              answered: g.answered,
              correct: Math.round((g.accuracy ?? 0) * g.answered),
              accuracy: g.accuracy ?? prev.accuracy,
            }));
            notify(
              g.isCorrect ? "correct" : "wrong",
              g.isCorrect ? "Check question: correct" : `Check question: expected “${g.expected}”`,
            );
          }
          if (data.paused) setPaused(data.paused.reason);
        } catch {
          notify("error", "Network error: the vote was not saved");
        } finally {
          awaiting.current--;
          if (next) enqueue(next);
          else if (next === null) exhausted.current = true;
          // Tops the queue up by GET when the answer brought no face; shows "no tasks" when none is left.
          void refill();
        }
      });
    },
    [advance, notify, enqueue, refill, datasetId],
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

  return { current, progress, gold, toast, paused, session, vote, undo, skip };
}
