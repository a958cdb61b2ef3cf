/**
 * The ingest's read model: it tails `<fed>.objects`, folds every event with the pure `evolve`, and tells
 * waiting writes how their event ended and watchers what changed. A write is answered only once this
 * model has folded its event, so a client always reads its own writes.
 */
import { decodeForFold, FederationError, type KubeObject, type Keyring } from "@kubefed/events";
import { evolve, getOutcome, initialState, objectIn, type FederationState, type Outcome } from "@kubefed/state";
import type { KafkaClient, LogRecord, Tail } from "@kubefed/kafka";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  /**
   * The offset of the event that made the change. For a status change (`status`), the objects offset folded
   * when the status model changed: status does not advance the objects log, so see `publishStatus`.
   */
  rv: bigint;
  /** True when the change came from the status model, not from the objects log. */
  status?: boolean;
  type: WatchEventType;
  /** `group/kind` of the object. */
  kindKey: string;
  namespace: string;
  object: KubeObject;
}

export type ChangeListener = (changes: Change[]) => void;

interface Waiter {
  resolve: (o: Outcome) => void;
}

function splitKey(key: string): { kindKey: string; nameKey: string; namespace: string } {
  const [group, kind, namespace = "", ...rest] = key.split("/");
  return { kindKey: `${group}/${kind}`, namespace, nameKey: `${namespace}/${rest.join("/")}` };
}

function lookup(state: FederationState, key: string): KubeObject | undefined {
  const { kindKey, nameKey } = splitKey(key);
  return objectIn(state.kinds[kindKey], nameKey);
}

export class ReadModel {
  private state: FederationState = initialState();
  /** Recent changes, oldest first, for watches that start from a past resourceVersion. */
  private readonly changes: Change[] = [];
  private readonly waiters = new Map<string, Waiter>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly offsetWaiters: { offset: bigint; resolve: () => void }[] = [];
  private tail: Tail | undefined;
  private folded = 0n;
  /** Offset that created each existing object: tells status reports about an earlier incarnation apart. */
  private readonly created = new Map<string, bigint>();
  poisonEvents = 0;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly topic: string,
    private readonly keyring: Keyring | undefined,
    private readonly opts: { watchWindow: number; onPoison: (offset: string, err: FederationError) => void },
  ) {}

  get current(): FederationState {
    return this.state;
  }

  /** Offset of the last folded event (the resourceVersion of a list), "0" before any. */
  get resourceVersion(): string {
    return this.state.lastOffset ?? "0";
  }

  /**
   * The oldest resourceVersion a watch can still start from; older ones get 410 Gone. A watch from X needs the
   * objects changes after X and the status changes at X or later, so when the oldest kept change is a status
   * change at X, earlier ones at X may be gone and X itself is no longer safe.
   */
  get oldestWatchable(): bigint {
    const first = this.changes[0];
    if (!first || this.changes.length < this.opts.watchWindow) return 0n;
    return first.status ? first.rv + 1n : first.rv;
  }

  /** The offset that created the object with this key (`refKey`), while it exists. */
  createdAt(key: string): bigint | undefined {
    return this.created.get(key);
  }

  /** Replays the log from the start and keeps following it; resolves once caught up with the end at start. */
  async start(): Promise<void> {
    const target = await this.kafka.endOffsetOfOnlyPartition(this.topic);
    const caughtUp = this.waitForOffset(target - 1n);
    this.tail = await this.kafka.tail({ topic: this.topic, from: "earliest", onBatch: async (records) => this.apply(records) });
    await caughtUp;
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }

  /** Resolves when an event at `offset` or later has been folded. */
  waitForOffset(offset: bigint): Promise<void> {
    if (offset < 0n || (this.state.lastOffset !== null && BigInt(this.state.lastOffset) >= offset)) return Promise.resolve();
    return new Promise((resolve) => this.offsetWaiters.push({ offset, resolve }));
  }

  /** Registers interest in an event's outcome before it is appended (the fold may be faster than the ack). */
  expect(eventId: string): Promise<Outcome> {
    return new Promise((resolve) => this.waiters.set(eventId, { resolve }));
  }

  forget(eventId: string): void {
    this.waiters.delete(eventId);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Changes a watch starting at `rv` must replay; undefined when they are no longer kept (410 Gone). Objects
   * changes after `rv`; status changes at `rv` too, since they share the resourceVersion of the objects state
   * they were folded on: some of those may precede the list the client got at `rv` (a harmless repeat of a
   * MODIFIED), none that follow it is lost.
   */
  changesSince(rv: bigint): Change[] | undefined {
    if (rv < this.oldestWatchable) return undefined;
    return this.changes.filter((c) => c.rv > rv || (c.status === true && c.rv === rv));
  }

  /**
   * Tells watchers about changes of the status model. A status report does not advance the objects log, so such a
   * change carries the current objects offset as its rv (and the object keeps its own resourceVersion): watches
   * that resume from an rv replay the status changes at that rv too (see `changesSince`).
   */
  publishStatus(changes: Omit<Change, "rv" | "status">[]): void {
    if (changes.length === 0) return;
    const rv = BigInt(this.resourceVersion);
    this.record(changes.map((c) => ({ ...c, rv, status: true })));
  }

  private record(batch: Change[]): void {
    this.changes.push(...batch);
    if (this.changes.length > this.opts.watchWindow) this.changes.splice(0, this.changes.length - this.opts.watchWindow);
    for (const l of this.listeners) l(batch);
  }

  /**
   * Folds an event this process has just appended at `offset`, when everything before it is folded already: the
   * single-partition log guarantees it is exactly what the tail will deliver there, so the write is answered
   * without waiting for the consumer's fetch. The tail skips it when it arrives. Returns false (nothing done)
   * when the model is behind or ahead; the tail then folds it as usual.
   */
  foldOwn(record: Pick<LogRecord, "value" | "headers">, offset: string): boolean {
    const last = this.state.lastOffset === null ? -1n : BigInt(this.state.lastOffset);
    if (BigInt(offset) !== last + 1n) return false;
    this.apply([{ ...record, offset, topic: this.topic, partition: 0, key: null, timestamp: "0" }]);
    return true;
  }

  private apply(records: LogRecord[]): void {
    const batch: Change[] = [];
    for (const r of records) {
      // Already folded (an own write folded at append time).
      if (this.state.lastOffset !== null && BigInt(r.offset) <= BigInt(this.state.lastOffset)) continue;
      const event = decodeForFold({ value: r.value, headers: r.headers }, { keyring: this.keyring });
      if (event instanceof FederationError) {
        this.poisonEvents++;
        this.opts.onPoison(r.offset, event);
        continue;
      }
      const before = this.state;
      this.state = evolve(before, event, { offset: r.offset });
      this.folded++;
      const outcome = getOutcome(this.state, event.metadata.eventId);
      if (outcome && outcome.offset === r.offset && outcome.status === "applied") {
        const rv = BigInt(r.offset);
        for (const key of outcome.changedKeys) {
          const prev = lookup(before, key);
          const next = lookup(this.state, key);
          const { kindKey, namespace } = splitKey(key);
          if (next) {
            if (!prev) this.created.set(key, rv);
            batch.push({ rv, type: prev ? "MODIFIED" : "ADDED", kindKey, namespace, object: next });
          } else if (prev) {
            this.created.delete(key);
            // Kubernetes reports a deleted object with the resourceVersion of its deletion.
            const metadata = { ...(prev.metadata as Record<string, unknown>), resourceVersion: r.offset };
            batch.push({ rv, type: "DELETED", kindKey, namespace, object: { ...prev, metadata } as KubeObject });
          }
        }
      }
      if (outcome && outcome.offset === r.offset) {
        const w = this.waiters.get(event.metadata.eventId);
        if (w) {
          this.waiters.delete(event.metadata.eventId);
          w.resolve(outcome);
        }
      }
    }
    if (batch.length > 0) this.record(batch);
    const last = this.state.lastOffset === null ? -1n : BigInt(this.state.lastOffset);
    for (let i = this.offsetWaiters.length - 1; i >= 0; i--) {
      const w = this.offsetWaiters[i]!;
      if (w.offset <= last) {
        this.offsetWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
