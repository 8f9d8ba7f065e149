// Group commit for one hot statement (issue 15: 1,000 people labelling at once on a 2-core machine).
//
// Every vote is its own transaction, so every vote waits for its own WAL flush (synchronous commit: no
// acknowledged vote may be lost). Under load that flush, not the vote, is what the pool's connections spend
// their time on (sampling pg_stat_activity through 1,000 people: backends waiting on WALWrite/WALSync 2-3x as
// often as running), and ten backends runnable at once on two cores wait on the scheduler too. Here the calls
// that arrive while earlier ones are in flight queue, and the next free slot takes all of them (up to
// `maxBatch`) as one transaction: one round trip, one commit, one flush, one runnable backend. Alone a call
// goes at once, as before (a batch of one is the plain statement): batching costs nothing at low load and grows
// with the load, which is when each call's share of the commit matters.
//
// A batch is all or nothing (runMany: one transaction). When it fails, nothing of it was committed (or, if the
// connection dropped after the commit, its calls are idempotent: the vote's requestId replays), and each call is
// run again on its own (runOne), so one call's error is that call's alone and never its neighbours'.
export type TGroupCommitOptions<P, R> = {
  runOne: (params: P) => Promise<R>;
  runMany: (params: P[]) => Promise<R[]>; // one transaction; the results in order
  maxBatch: number; // calls per transaction (1: no batching)
  maxInFlight: number; // transactions at once
  // Order inside a batch: concurrent batches take their row locks in this order (no lock cycle between them).
  order?: (a: P, b: P) => number;
};

export type TGroupCommitStats = { calls: number; batches: number; fallbacks: number; largest: number };

type TPending<P, R> = { params: P; resolve: (r: R) => void; reject: (e: unknown) => void };

export class GroupCommit<P, R> {
  private readonly queue: TPending<P, R>[] = [];
  private inFlight = 0;
  readonly stats: TGroupCommitStats = { calls: 0, batches: 0, fallbacks: 0, largest: 0 };

  constructor(private readonly o: TGroupCommitOptions<P, R>) {
    if (!(o.maxBatch >= 1 && o.maxInFlight >= 1))
      throw new Error("GroupCommit: maxBatch and maxInFlight >= 1");
  }

  run(params: P): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ params, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.maxBatch);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(batch: TPending<P, R>[]) {
    this.stats.calls += batch.length;
    this.stats.batches++;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    if (batch.length === 1) return this.one(batch[0]!);
    if (this.o.order) batch.sort((a, b) => this.o.order!(a.params, b.params));
    let results: R[];
    try {
      results = await this.o.runMany(batch.map((p) => p.params));
      if (results.length !== batch.length)
        throw new Error(`GroupCommit: ${results.length} results for ${batch.length} calls`);
    } catch {
      this.stats.fallbacks++;
      await Promise.all(batch.map((p) => this.one(p)));
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(results[i]!);
  }

  private async one(p: TPending<P, R>) {
    try {
      p.resolve(await this.o.runOne(p.params));
    } catch (error) {
      p.reject(error);
    }
  }
}
