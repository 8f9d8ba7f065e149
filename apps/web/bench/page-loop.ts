// One person at the labelling page, open loop: the requests of src/app/label/use-labeling.ts (same prefetch
// depth, same serial vote queue, same retries with the same requestId) driven by a person who presses a key
// an exponentially distributed time (mean `thinkMs`) after a face appears, whether or not earlier answers
// came back: they wait only where the page makes them wait (no face prefetched yet). Keep in step with
// use-labeling.ts: refill(), enqueue(), advance() and vote() below are its functions without React.
//   carry: each vote asks for the next face in its answer (`next`); GET /api/tasks/next only at the start and
//          when an answer brought no face (the page now).
//   split: GET /api/tasks/next + POST /api/votes per face (the page before `next`).
import { randomUUID } from "node:crypto";
import { labelFor, type TEndpointStats } from "./annotators";
import type { TAnswer, TBrowser } from "./http-client";

export type TPageLoop = "carry" | "split";
export type TCall = "next" | "vote";

const PREFETCH = 2; // use-labeling.ts

type TTask = { imageId: string };

// What every page of a step writes into: latencies of the requests started inside the measured window,
// statuses, key presses and acks inside it, how long a key press waited for the next face, and every ack
// (for the Postgres check).
export type TRecorder = {
  window: { from: number; to: number }; // performance.now() bounds
  calls: Record<TCall, TEndpointStats>;
  voteStarts: number[]; // ms from the window's start to each vote's send, aligned with calls.vote.latencies
  presses: number;
  acks: number;
  faceWaits: number[]; // ms from a key press to the next face on screen (0: it was there)
  acked: Map<string, string>; // requestId -> vote id, every 2xx vote answer of the whole run
  givenUp: { votes: number }; // votes of the whole run the page gave up on (every attempt failed)
  paused: number;
  exhausted: number;
};

export function newRecorder(acked: Map<string, string>, givenUp: { votes: number }): TRecorder {
  return {
    window: { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY },
    calls: {
      next: { latencies: [], statuses: new Map() },
      vote: { latencies: [], statuses: new Map() },
    },
    voteStarts: [],
    presses: 0,
    acks: 0,
    faceWaits: [],
    acked,
    givenUp,
    paused: 0,
    exhausted: 0,
  };
}

const inWindow = (r: TRecorder, t: number) => t >= r.window.from && t < r.window.to;
const exponential = (mean: number) => -Math.log(1 - Math.random()) * mean;

export class SimulatedPage {
  private queue: TTask[] = [];
  private current: TTask | null | undefined = undefined;
  private exhausted = false;
  private fetching = false;
  private awaiting = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private refilling: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pressedAt: number | undefined; // a key press still waiting for its next face
  private shownAt = 0;
  private isPaused = false;

  constructor(
    private readonly browser: TBrowser,
    private readonly loop: TPageLoop,
    private readonly thinkMs: number,
    public recorder: TRecorder,
  ) {}

  // Opens the page (first call) or lets the person go on after a pause between steps.
  start(): void {
    this.running = true;
    if (this.current) this.schedulePress();
    else this.startRefill();
  }

  // No more key presses; resolves when every request the page started has its answer.
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.pressedAt = undefined;
    let chain: Promise<unknown>;
    let refilling: Promise<void>;
    do {
      chain = this.chain;
      refilling = this.refilling;
      await Promise.all([chain, refilling]);
    } while (chain !== this.chain || refilling !== this.refilling);
  }

  // A reload: the prefetched faces are dropped (their leases expire on the server).
  reload(): void {
    this.queue = [];
    this.current = undefined;
    this.exhausted = false;
  }

  close(): void {
    this.browser.close();
  }

  private schedulePress() {
    clearTimeout(this.timer);
    if (!this.running || this.isPaused) return;
    this.timer = setTimeout(() => this.press(), exponential(this.thinkMs));
  }

  private show(task: TTask | null) {
    this.current = task;
    this.shownAt = performance.now();
    if (this.pressedAt !== undefined) {
      this.recorder.faceWaits.push(performance.now() - this.pressedAt);
      this.pressedAt = undefined;
    }
    if (task) this.schedulePress();
  }

  private async send(call: TCall, method: "GET" | "POST", path: string, body?: unknown): Promise<TAnswer> {
    // use-labeling.ts send(): 4 attempts on 5xx or a network error, 250 ms doubling backoff.
    for (let i = 0; ; i++) {
      const t0 = performance.now();
      const answer = await this.browser.request(method, path, body);
      if (inWindow(this.recorder, t0)) {
        const stats = this.recorder.calls[call];
        stats.latencies.push(performance.now() - t0);
        if (call === "vote") this.recorder.voteStarts.push(t0 - this.recorder.window.from);
        const key = answer.error ?? String(answer.status);
        stats.statuses.set(key, (stats.statuses.get(key) ?? 0) + 1);
      }
      if ((answer.status > 0 && answer.status < 500) || i >= 3) return answer;
      await new Promise((r) => setTimeout(r, 250 * 2 ** i));
    }
  }

  private enqueue(task: TTask) {
    const isKnown = (t: TTask | null | undefined) => t?.imageId === task.imageId;
    if (isKnown(this.current) || this.queue.some(isKnown)) return;
    this.queue.push(task);
    if (this.current === undefined || this.current === null) this.show(this.queue.shift() ?? null);
  }

  private async refill(): Promise<void> {
    if (this.fetching) return;
    this.fetching = true;
    try {
      while (this.queue.length + this.awaiting < PREFETCH && !this.exhausted) {
        const res = await this.send("next", "GET", "/api/tasks/next");
        const data = res.body as { task?: TTask | null; details?: { reason?: string } } | null;
        if (res.status === 403 && data?.details?.reason) return this.pause();
        if (res.status !== 200 || !data) return;
        if (!data.task) {
          this.markExhausted();
          break;
        }
        this.enqueue(data.task);
      }
      if (this.exhausted && this.queue.length === 0 && !this.current) this.show(null);
    } finally {
      this.fetching = false;
    }
  }

  // refill() runs one at a time (use-labeling's `fetching`): keep the promise of the one running.
  private startRefill() {
    if (!this.fetching) this.refilling = this.refill();
  }

  private markExhausted() {
    if (!this.exhausted) this.recorder.exhausted++;
    this.exhausted = true;
  }

  private advance() {
    const next = this.queue.shift();
    if (next) this.show(next);
    else if (this.exhausted) this.show(null);
    else this.current = undefined; // loading: refill() shows the face when it arrives
    this.startRefill();
  }

  private press() {
    const task = this.current;
    if (!task || !this.running) return;
    const t = performance.now();
    if (inWindow(this.recorder, t)) this.recorder.presses++;
    this.pressedAt = inWindow(this.recorder, t) ? t : undefined;
    const requestId = randomUUID();
    const durationMs = Math.round(t - this.shownAt); // before advance() shows the next face
    const carry = this.loop === "carry";
    if (carry) this.awaiting++;
    this.advance();
    const body = {
      imageId: task.imageId,
      label: labelFor(task.imageId),
      requestId,
      durationMs,
      ...(carry ? { next: {} } : {}),
    };
    this.chain = this.chain.then(async () => {
      let next: TTask | null | undefined;
      try {
        const res = await this.send("vote", "POST", "/api/votes", body);
        const data = res.body as {
          vote?: { id: string };
          next?: TTask | null;
          paused?: unknown;
          details?: { reason?: string };
        } | null;
        if (res.error) this.recorder.givenUp.votes++; // written or not: the Postgres check allows for it
        if (res.status < 200 || res.status >= 300 || !data?.vote) {
          if (res.status === 403 && data?.details?.reason) this.pause();
          return;
        }
        this.recorder.acked.set(requestId, data.vote.id);
        if (inWindow(this.recorder, performance.now())) this.recorder.acks++;
        if (data.paused) this.pause();
        next = data.next;
      } finally {
        if (carry) {
          this.awaiting--;
          if (next) this.enqueue(next);
          else if (next === null) this.markExhausted();
          this.startRefill();
        }
      }
    });
  }

  private pause() {
    this.isPaused = true;
    this.recorder.paused++;
    clearTimeout(this.timer);
  }
}
