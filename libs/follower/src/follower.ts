/**
 * The one log follower: it tails a one-partition topic from its start, decodes each record, folds the decoded
 * batch into a state, and lets callers wait for an offset or an event id and subscribe to what each batch changed.
 * The ingest's objects read model and status view, the propagator's projection and the history reader are each one.
 *
 * One policy for a record that cannot be decoded: a terminal error (poison: it will never decode, on any replica)
 * is counted, reported and skipped, and the position moves past it; a retryable one (a Secret's key not in the
 * keyring yet) fails the batch, which the tail fetches again. Records already folded (a batch fetched again, or
 * one folded ahead of the tail by `foldOwn`) are not folded twice.
 */
import { ErrorCode, FederationError } from "@kubefed/events";
import type { LogRecord, Tail, TailSource } from "@kubefed/kafka";

/** A decoded event and the offset of its record. */
export interface Positioned<E> {
  readonly event: E;
  readonly offset: string;
  /** Size of the record's value: what holding the event costs, roughly (bounded windows count it). */
  readonly bytes?: number;
}

/** One event folded by `byEvent`, with the states around it (the same object if the fold mutates its state). */
export interface Step<S, E> {
  readonly event: E;
  readonly offset: string;
  readonly bytes?: number;
  readonly before: S;
  readonly after: S;
}

/**
 * Folds a decoded batch, in offset order, into the state; returns the new state and what the batch changed, which
 * subscribers are told. Deterministic: the same batches in the same order give the same state.
 */
export type Fold<S, E, C> = (state: S, batch: readonly Positioned<E>[]) => { state: S; changes: C };

/** The fold of a pure `evolve`, event by event; the changes are the steps. */
export function byEvent<S, E>(evolve: (state: S, event: E, offset: string) => S): Fold<S, E, Step<S, E>[]> {
  return (state, batch) => {
    const steps: Step<S, E>[] = [];
    let current = state;
    for (const { event, offset, bytes } of batch) {
      const before = current;
      current = evolve(before, event, offset);
      steps.push({ event, offset, before, after: current, ...(bytes !== undefined ? { bytes } : {}) });
    }
    return { state: current, changes: steps };
  };
}

export interface FollowerOptions<S, E, C, R = never> {
  source: TailSource;
  /** A topic with exactly one partition: offsets are one order, and waits are by offset. */
  topic: string;
  initial: S;
  /** Decodes one record; throws what cannot be decoded (see the policy above). */
  decode: (record: LogRecord) => E;
  fold: Fold<S, E, C>;
  /** The event ids a folded batch settles, with what their waiters get (`expect`). */
  settled?: (changes: C) => Iterable<readonly [eventId: string, result: R]>;
  /** Told about every record skipped as undecodable. */
  onSkipped: (offset: string, err: FederationError) => void;
  /**
   * Where to start instead of offset 0: the folded state of every record before `position` (a snapshot). The
   * follower folds only the tail. When `load` fails or finds nothing the follower starts from 0 and says why
   * through `onFallback`: a snapshot only ever saves time.
   */
  snapshot?: SnapshotLoader<S>;
}

/** The state of every record before `position`, as the same fold made it. */
export interface Snapshot<S> {
  readonly position: bigint;
  readonly state: S;
}

export interface SnapshotLoader<S> {
  load: () => Promise<Snapshot<S> | undefined>;
  /** Told why the follower starts from offset 0 (nothing stored, or a snapshot it could not read). */
  onFallback: (reason: string, err?: unknown) => void;
}

export interface WaitOptions {
  /** Rejects with a Timeout FederationError when not settled by then. */
  timeoutMs?: number;
}

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

/** A rejected wait nobody listens to any more (its caller gave up) must not become an unhandled rejection. */
function settledLater<T>(executor: (w: Waiter<T>) => void, opts: WaitOptions, what: string): Promise<T> {
  const p = new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done =
      <A>(f: (a: A) => void) =>
      (a: A) => {
        if (timer !== undefined) clearTimeout(timer);
        f(a);
      };
    const w = { resolve: done(resolve), reject: done(reject) };
    if (opts.timeoutMs !== undefined)
      timer = setTimeout(
        () => w.reject(new FederationError(ErrorCode.Timeout, `${what} not folded within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
    executor(w);
  });
  p.catch(() => undefined);
  return p;
}

/** The one policy: terminal errors are returned (to skip the record), retryable ones thrown (to fetch it again). */
function undecodable(err: unknown): FederationError {
  if (err instanceof FederationError) {
    if (err.retryable) throw err;
    return err;
  }
  return new FederationError(ErrorCode.PoisonEvent, err instanceof Error ? err.message : String(err), { cause: err });
}

export class Follower<S, E, C, R = never> {
  private current: S;
  /** The next offset to read: every record before it is folded or skipped. */
  private position = 0n;
  private tail: Tail | undefined;
  private stopped = false;
  private readonly offsetWaiters: { offset: bigint; waiter: Waiter<void> }[] = [];
  private readonly idWaiters = new Map<string, Waiter<R>>();
  private readonly listeners = new Set<(changes: C, through: bigint) => void>();
  /** Records skipped as undecodable. */
  skipped = 0;
  /** The position the follower started folding from: a snapshot's, or 0. */
  startedAt = 0n;

  constructor(private readonly o: FollowerOptions<S, E, C, R>) {
    this.current = o.initial;
  }

  get state(): S {
    return this.current;
  }

  /** The next offset to read: every record before it is folded or skipped. */
  get next(): bigint {
    return this.position;
  }

  /**
   * Tails the topic from its start (or from the snapshot `snapshot` loads); resolves once caught up with the end it
   * had when called.
   */
  async start(): Promise<void> {
    const end = await this.o.source.endOffsetOfOnlyPartition(this.o.topic);
    const from = await this.loadSnapshot(end);
    if (from) {
      this.current = from.state;
      this.position = from.position;
      this.startedAt = from.position;
    }
    const caughtUp = this.waitFor(end);
    this.tail = await this.o.source.tail({
      topic: this.o.topic,
      from: from ? [{ partition: 0, offset: String(from.position) }] : "earliest",
      onBatch: async (records) => this.apply(records),
    });
    await caughtUp;
  }

  private async loadSnapshot(end: bigint): Promise<Snapshot<S> | undefined> {
    const loader = this.o.snapshot;
    if (!loader) return undefined;
    let snap: Snapshot<S> | undefined;
    try {
      snap = await loader.load();
    } catch (err) {
      loader.onFallback(`the snapshot could not be read (${err instanceof Error ? err.message : String(err)})`, err);
      return undefined;
    }
    if (!snap) loader.onFallback("no snapshot stored");
    else if (snap.position > end)
      // A snapshot of a log that is not this one (a topic recreated under the same name).
      loader.onFallback(`the snapshot is at offset ${snap.position}, past the log's end ${end}`);
    else return snap;
    return undefined;
  }

  /** Stops tailing; waits still pending are rejected (Unavailable). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.tail?.stop();
    const stopped = () => new FederationError(ErrorCode.Unavailable, `stopped following ${this.o.topic}`);
    for (const { waiter } of this.offsetWaiters.splice(0)) waiter.reject(stopped());
    for (const w of this.idWaiters.values()) w.reject(stopped());
    this.idWaiters.clear();
  }

  /** Resolves once every record before `offset` is folded (or skipped as undecodable). */
  waitFor(offset: bigint, opts: WaitOptions = {}): Promise<void> {
    if (this.position >= offset) return Promise.resolve();
    return settledLater<void>(
      (waiter) => {
        if (this.stopped)
          return waiter.reject(new FederationError(ErrorCode.Unavailable, `stopped following ${this.o.topic}`));
        const entry = { offset, waiter };
        this.offsetWaiters.push(entry);
        // A timed-out waiter leaves the list at once, not at the next fold.
        const reject = waiter.reject;
        waiter.reject = (e) => {
          const i = this.offsetWaiters.indexOf(entry);
          if (i >= 0) this.offsetWaiters.splice(i, 1);
          reject(e);
        };
      },
      opts,
      `offset ${offset - 1n} of ${this.o.topic}`,
    );
  }

  /**
   * Registers interest in an event before it is appended (the fold may be faster than the append's answer); resolves
   * with what `settled` gives for it. One waiter per id; `forget` drops it.
   */
  expect(eventId: string, opts: WaitOptions = {}): Promise<R> {
    return settledLater<R>(
      (waiter) => {
        if (this.stopped)
          return waiter.reject(new FederationError(ErrorCode.Unavailable, `stopped following ${this.o.topic}`));
        const reject = waiter.reject;
        waiter.reject = (e) => {
          if (this.idWaiters.get(eventId) === waiter) this.idWaiters.delete(eventId);
          reject(e);
        };
        this.idWaiters.set(eventId, waiter);
      },
      opts,
      `event ${eventId} of ${this.o.topic}`,
    );
  }

  forget(eventId: string): void {
    this.idWaiters.delete(eventId);
  }

  /** Told what every batch that folded at least one event changed, and the offset it read through. */
  subscribe(listener: (changes: C, through: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Folds a record ahead of the tail (one this process has just appended at `offset`), when it is exactly the next
   * one: on a one-partition topic it is what the tail will deliver there, and the tail skips it when it arrives.
   * Returns false (nothing done) otherwise; the tail then folds it as usual.
   */
  foldOwn(record: LogRecord): boolean {
    if (BigInt(record.offset) !== this.position) return false;
    this.apply([record]);
    return true;
  }

  private apply(records: readonly LogRecord[]): void {
    const batch: Positioned<E>[] = [];
    let through = this.position;
    let retry: unknown;
    for (const r of records) {
      const offset = BigInt(r.offset);
      if (offset < through) continue;
      try {
        batch.push({ event: this.o.decode(r), offset: r.offset, bytes: r.value.length });
      } catch (err) {
        let poison: FederationError;
        try {
          poison = undecodable(err);
        } catch (e) {
          // Fold what came before it; the tail fetches the batch again from this record.
          retry = e;
          break;
        }
        this.skipped++;
        this.o.onSkipped(r.offset, poison);
      }
      through = offset + 1n;
    }
    if (batch.length > 0) {
      const { state, changes } = this.o.fold(this.current, batch);
      this.current = state;
      this.position = through;
      this.settle(changes);
      for (const l of this.listeners) l(changes, through - 1n);
    } else this.position = through;
    this.resolveOffsets();
    if (retry !== undefined) throw retry;
  }

  private settle(changes: C): void {
    if (!this.o.settled || this.idWaiters.size === 0) return;
    for (const [id, result] of this.o.settled(changes)) {
      const w = this.idWaiters.get(id);
      if (w) {
        this.idWaiters.delete(id);
        w.resolve(result);
      }
    }
  }

  private resolveOffsets(): void {
    for (let i = this.offsetWaiters.length - 1; i >= 0; i--) {
      const { offset, waiter } = this.offsetWaiters[i]!;
      if (offset <= this.position) {
        this.offsetWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

/**
 * Folds a topic from its start to the end it has when called, then stops: a one-shot read (history). Records
 * appended meanwhile are not folded.
 */
export async function foldToEnd<S, E, C>(o: Omit<FollowerOptions<S, E, C>, "settled">): Promise<S> {
  const end = await o.source.endOffsetOfOnlyPartition(o.topic);
  if (end === 0n) return o.initial;
  const follower = new Follower<S, E, C>({
    ...o,
    // The end already read: caught up means through it, not through whatever came since.
    source: { endOffsetOfOnlyPartition: async () => end, tail: (t) => o.source.tail(t) },
    fold: (state, batch) =>
      o.fold(
        state,
        batch.filter((p) => BigInt(p.offset) < end),
      ),
  });
  try {
    await follower.start();
  } finally {
    await follower.stop();
  }
  return follower.state;
}
