/**
 * The ingest's read model: it tails `<fed>.objects`, folds every event with the pure `evolve`, and tells
 * waiting writes how their event ended and watchers what changed. A write is answered only once this
 * model has folded its event, so a client always reads its own writes.
 */
import { decodeEvent, FederationError, ErrorCode, type KubeObject, type Keyring } from "@kubefed/events";
import { evolve, initialState, type FederationState, type Outcome } from "@kubefed/state";
import type { KafkaClient, LogRecord, Tail } from "@kubefed/kafka";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  /** The offset of the event that made the change: the resourceVersion of the watch event. */
  rv: bigint;
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
  return state.kinds[kindKey]?.objects[nameKey];
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

  /** The oldest resourceVersion a watch can still start from; older ones get 410 Gone. */
  get oldestWatchable(): bigint {
    return this.changes.length > 0 && this.changes.length >= this.opts.watchWindow ? this.changes[0]!.rv : 0n;
  }

  /** Replays the log from the start and keeps following it; resolves once caught up with the end at start. */
  async start(): Promise<void> {
    const [end] = await this.kafka.endOffsets(this.topic);
    const target = BigInt(end?.offset ?? "0");
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

  /** Changes after `rv`, for a watch starting there; undefined when they are no longer kept (410 Gone). */
  changesSince(rv: bigint): Change[] | undefined {
    if (rv < this.oldestWatchable) return undefined;
    return this.changes.filter((c) => c.rv > rv);
  }

  private apply(records: LogRecord[]): void {
    const batch: Change[] = [];
    for (const r of records) {
      let event;
      try {
        event = decodeEvent({ value: r.value, headers: r.headers }, { keyring: this.keyring });
      } catch (err) {
        const fe = err instanceof FederationError ? err : new FederationError(ErrorCode.PoisonEvent, String(err));
        // A missing key must not be skipped: this replica's fold would diverge from the others'. Retry.
        if (fe.retryable) throw fe;
        this.poisonEvents++;
        this.opts.onPoison(r.offset, fe);
        continue;
      }
      const before = this.state;
      this.state = evolve(before, event, { offset: r.offset });
      this.folded++;
      const outcome = this.state.outcomes[event.metadata.eventId];
      if (outcome && outcome.offset === r.offset && outcome.status === "applied") {
        const rv = BigInt(r.offset);
        for (const key of outcome.changedKeys) {
          const prev = lookup(before, key);
          const next = lookup(this.state, key);
          const { kindKey, namespace } = splitKey(key);
          if (next) batch.push({ rv, type: prev ? "MODIFIED" : "ADDED", kindKey, namespace, object: next });
          else if (prev) {
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
    if (batch.length > 0) {
      this.changes.push(...batch);
      if (this.changes.length > this.opts.watchWindow) this.changes.splice(0, this.changes.length - this.opts.watchWindow);
      for (const l of this.listeners) l(batch);
    }
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
