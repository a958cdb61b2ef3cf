/**
 * A member's cursor in the objects log: the batches its consumer (group `<fed>.propagator.<cluster>`) fetches
 * become keys to reconcile, and the group's offset, committed here, moves only past batches whose keys are all
 * done, in order, so it is exactly how far the member has converged. An unreachable member moves the cursor
 * back before its oldest batch not yet committed. The fast path (keys reconciled as soon as the projection
 * folded them) runs beside it, and the cursor's batches claim those runs.
 */
import type { GroupBatch, GroupMember, LogRecord } from "@kubefed/kafka";
import type { Logger } from "@kubefed/logging";
import { toFederationError } from "@kubefed/events";
import { EarlyRuns } from "./earlyruns.ts";
import { isPropagated } from "./keys.ts";
import { reachedMember, type RunResult } from "./retry.ts";

/** What the cursor reads of the projection (the one fold of the objects log). */
export interface FoldedLog {
  /** Next offset to fold. */
  readonly nextOffset: bigint;
  /** Resolves once every event before `offset` is folded. */
  waitFor(offset: bigint): Promise<void>;
  /** Keys an event changed besides its own. */
  changedAt(offset: string): readonly string[];
}

export type LagStage = "fetched" | "folded" | "applied";

export interface CursorOptions {
  readonly logger: Logger;
  readonly log: FoldedLog;
  /** Runs (or joins) a reconcile of the key. */
  reconcile(key: string): Promise<RunResult>;
  /** Keys queued or running, from every source. */
  queued(): number;
  /** Whether the member is known to be offline: a batch then goes back at once. */
  offline(): boolean;
  /** A batch found the member unreachable and the cursor went back: probe it now. */
  unreachable(): void;
  /** Whether the group has a committed offset (a new member's cursor is positioned instead). */
  hasCommitted(): Promise<boolean>;
  /** Seconds from the append of a batch's newest change to each stage. */
  readonly lag?: (stage: LagStage, seconds: number) => void;
  /** The least time between two commits of a partition (default 250 ms). */
  readonly commitIntervalMs?: number;
}

/** A batch whose keys are being reconciled: the cursor commits past it once it and every older one are done. */
interface InFlightBatch {
  readonly batch: GroupBatch;
  readonly first: LogRecord;
  readonly last: LogRecord;
  done: boolean;
  settled: Promise<void>;
}

/**
 * Keys queued or running (all sources), and batches of a partition in flight, above which the cursor stops
 * taking batches until the oldest settles: batches of keys already queued share their runs and add no keys, but
 * each holds its records.
 */
const OUTSTANDING_KEYS = 256;
const OUTSTANDING_BATCHES = 64;

/** The fast path stays off while more keys than this are queued: a burst goes through the cursor alone. */
const FAST_PATH_MAX_QUEUE = 64;
/** Fast-path runs kept for the cursor to claim; beyond, the oldest go (the cursor reconciles those keys again). */
const FAST_PATH_MAX_KEYS = 4096;

export class Cursor {
  /** Records below this offset are covered by the activation resync of a new cursor (see `position`). */
  private startAt = 0n;
  private positioned: Promise<void> = Promise.resolve();
  /** Set when a batch found the member unreachable (or offline), until `resume`. */
  private pausedNow = false;
  private stopped = false;
  /** Per partition, the batches whose keys are being reconciled, oldest first. */
  private readonly batches = new Map<number, InFlightBatch[]>();
  /** Per partition, bumped whenever its cursor is repositioned: batches of an older epoch no longer commit. */
  private readonly epochs = new Map<number, number>();
  private readonly commits = new Map<
    number,
    { running: boolean; last: number; next?: { batch: GroupBatch; record: LogRecord } }
  >();
  /** Keys the fast path reconciled, until the cursor's batch with their records takes the run over. */
  private readonly early = new EarlyRuns<RunResult>(FAST_PATH_MAX_KEYS, reachedMember);

  constructor(private readonly o: CursorOptions) {}

  get paused(): boolean {
    return this.pausedNow;
  }

  /** Settles once the cursor of the current assignment is positioned. */
  get ready(): Promise<void> {
    return this.positioned;
  }

  /** The member answers again: batches are taken again (the caller resumes the consumer). */
  resume(): void {
    this.pausedNow = false;
  }

  stop(): void {
    this.stopped = true;
    this.early.clear();
  }

  /** A new assignment: nothing in flight moves any offset, commits not yet sent are dropped, and the cursor is positioned. */
  assigned(partitions: readonly number[], group: Promise<Pick<GroupMember, "seek">>): void {
    for (const p of new Set([...this.epochs.keys(), ...this.batches.keys()])) this.forget(p);
    for (const c of this.commits.values()) c.next = undefined;
    if (partitions.length > 0) this.positioned = this.position(group, partitions);
  }

  /**
   * Where the cursor starts. With a committed offset: there (the delta since this member last converged). A new
   * member (no commit yet): where the projection stands now. The resync that activation runs converges
   * everything folded so far, so replaying the history before that would only redo it.
   */
  private async position(group: Promise<Pick<GroupMember, "seek">>, partitions: readonly number[]): Promise<void> {
    if (await this.o.hasCommitted()) {
      this.startAt = 0n;
      return;
    }
    this.startAt = this.o.log.nextOffset;
    const g = await group;
    for (const p of partitions) g.seek(p, String(this.startAt));
  }

  /**
   * The fast path: keys the projection has just folded are reconciled at once (`open`: the member is active,
   * ready and reachable) unless the cursor is paused or the queue busy, instead of when this cluster's own
   * consumer has fetched the same records (a few ms later, and the fetches of a worker's clusters arrive one
   * after another). The cursor still decides what is committed: its batch claims such a run instead of starting
   * another (`EarlyRuns`).
   */
  folded(changed: readonly string[], through: bigint, open: boolean): void {
    if (!open || this.pausedNow) return;
    const keys = new Set(changed.filter(isPropagated));
    if (keys.size === 0 || this.o.queued() + keys.size > FAST_PATH_MAX_QUEUE) return;
    for (const key of keys) this.early.add(key, through, this.o.reconcile(key));
  }

  /** Runs of the fast path not yet claimed are dropped (the member changed, or this worker stands by). */
  dropEarlyRuns(): void {
    this.early.clear();
  }

  /**
   * A batch's keys go to the reconcile queue and the consumer fetches on at once, so the member always has work in
   * flight (waiting for the slowest key of each batch before the next fetch left it idle between batches). The
   * group's offset moves only past batches whose keys are all done, in order (`settle`); while more than
   * OUTSTANDING_KEYS keys wait, the next batch waits too.
   */
  async onBatch(b: GroupBatch): Promise<void> {
    await this.positioned;
    const last = b.records[b.records.length - 1]!;
    // Fetched before the seek to a new cursor's start: the resync covers these, and the seek makes it stale.
    if (BigInt(last.offset) < this.startAt) return;
    const first = b.records[0]!;
    if (this.pausedNow || this.o.offline()) {
      this.pausedNow = true;
      b.pause(this.inFlight(b.partition)[0]?.first ?? first);
      this.forget(b.partition);
      return;
    }
    const beat = setInterval(() => void b.heartbeat().catch(() => undefined), 1000);
    // Lag of the newest change of the batch, from its append (the producer's timestamp, in ms).
    const lag = (stage: LagStage) => this.o.lag?.(stage, Math.max(0, Date.now() - Number(last.timestamp)) / 1000);
    lag("fetched");
    try {
      await this.o.log.waitFor(BigInt(last.offset) + 1n);
      lag("folded");
      // Paused meanwhile (an earlier batch found the member unreachable): the cursor went back before this batch.
      if (b.isStale() || this.pausedNow) return;
      const epoch = this.epochOf(b.partition);
      const keys = this.keysOf(b);
      const entry: InFlightBatch = { batch: b, first, last, done: false, settled: Promise.resolve() };
      this.inFlight(b.partition).push(entry);
      entry.settled = Promise.all([...keys].map(([k, upTo]) => this.early.claim(k, upTo) ?? this.o.reconcile(k))).then(
        (results) => {
          const reached = results.every(reachedMember);
          if (reached) lag("applied");
          this.settle(entry, epoch, !reached);
        },
        (e: unknown) => {
          // Not expected (a run reports its own failures): go back before the batch, as for an unreachable member.
          this.o.logger.error(
            { err: toFederationError(e).message },
            "reconciling a batch failed; the cursor goes back before it",
          );
          this.settle(entry, epoch, true);
        },
      );
      b.resolve(last);
      const waiting = this.inFlight(b.partition);
      const busy = () =>
        (this.o.queued() > OUTSTANDING_KEYS || waiting.length > OUTSTANDING_BATCHES) && waiting.length > 0;
      while (busy() && this.epochOf(b.partition) === epoch && !this.stopped && !b.isStale()) {
        // Woken each second as well, to notice a stop.
        await Promise.race([waiting[0]!.settled, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
    } finally {
      clearInterval(beat);
    }
  }

  /** The batches of a partition whose keys are being reconciled, oldest first. */
  private inFlight(partition: number): InFlightBatch[] {
    let list = this.batches.get(partition);
    if (!list) this.batches.set(partition, (list = []));
    return list;
  }

  private epochOf(partition: number): number {
    return this.epochs.get(partition) ?? 0;
  }

  /** A partition's cursor was moved back (paused) or reassigned: its work still running no longer moves its offset. */
  private forget(partition: number): void {
    this.early.clear();
    this.epochs.set(partition, this.epochOf(partition) + 1);
    this.batches.delete(partition);
  }

  /** A batch's keys are done: commit past every batch done in order, or go back before it when the member is unreachable. */
  private settle(entry: InFlightBatch, epoch: number, unreachable: boolean): void {
    entry.done = true;
    if (epoch !== this.epochOf(entry.batch.partition)) return;
    const list = this.inFlight(entry.batch.partition);
    if (unreachable) {
      // Nothing is lost: the cursor goes back before the oldest batch not committed until the member is back.
      this.pausedNow = true;
      entry.batch.pause(list[0]?.first ?? entry.first);
      this.forget(entry.batch.partition);
      this.o.unreachable();
      return;
    }
    let upTo: InFlightBatch | undefined;
    while (list[0]?.done) upTo = list.shift();
    if (upTo) this.commit(upTo.batch, upTo.last);
  }

  /**
   * Commits per partition one at a time and at most every commit interval (so a steady trickle of batches does
   * not cost a commit request each); meanwhile only the newest offset to commit is kept. A crash redoes at most
   * that much work, which reconcile makes harmless.
   */
  private commit(batch: GroupBatch, record: LogRecord): void {
    const c = this.commits.get(batch.partition) ?? { running: false, last: 0 };
    this.commits.set(batch.partition, c);
    c.next = { batch, record };
    if (c.running) return;
    c.running = true;
    const interval = this.o.commitIntervalMs ?? 250;
    void (async () => {
      while (c.next && !this.stopped) {
        const wait = c.last + interval - Date.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait).unref());
        if (!c.next || this.stopped) break;
        const { batch: b, record: r } = c.next;
        c.next = undefined;
        c.last = Date.now();
        // A failed commit leaves the offset where it was: a restart reconciles those keys again.
        await b
          .commit(r)
          .catch((e: unknown) =>
            this.o.logger.warn({ err: toFederationError(e).message }, "could not commit the cursor"),
          );
      }
      c.running = false;
    })();
  }

  /**
   * The keys a batch changed, each with the offset of its last record in the batch: each record's key, plus what
   * its event changed besides (a Namespace deletion removes the namespace's objects in the same event), as the
   * projection recorded it. Only the propagated kinds.
   */
  private keysOf(b: GroupBatch): Map<string, bigint> {
    const keys = new Map<string, bigint>();
    for (const r of b.records) {
      const offset = BigInt(r.offset);
      if (offset < this.startAt) continue;
      const k = r.key?.toString("utf8") ?? "";
      if (k !== "") keys.set(k, offset);
      for (const extra of this.o.log.changedAt(r.offset)) keys.set(extra, offset);
    }
    for (const k of keys.keys()) if (!isPropagated(k)) keys.delete(k);
    return keys;
  }
}
