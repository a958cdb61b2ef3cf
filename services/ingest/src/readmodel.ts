/**
 * The ingest's read model: a log follower (libs/follower) of `<fed>.objects` folding every event with the pure
 * `evolve`; it tells waiting writes how their event ended and watchers what changed. A write is answered only once
 * this model has folded its event, so a client always reads its own writes.
 */
import type { FederationError, KubeObject, Keyring } from "@kubefed/events";
import { kindKey, parseObjectKey } from "@kubefed/names";
import {
  followObjects,
  outcomeOf,
  type ObjectsFollower,
  type ObjectsStep,
  type SnapshotStore,
} from "@kubefed/follower";
import { objectIn, type FederationState, type Outcome } from "@kubefed/state";
import type { LogRecord, TailSource } from "@kubefed/kafka";

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
  /** Roughly what keeping the change costs (its event's size): the watch window is bounded by the sum too. */
  bytes?: number;
}

export type ChangeListener = (changes: Change[]) => void;

function splitKey(key: string): { kindKey: string; nameKey: string; namespace: string } {
  const ref = parseObjectKey(key);
  const namespace = ref.namespace ?? "";
  return { kindKey: kindKey(ref), namespace, nameKey: `${namespace}/${ref.name}` };
}

function lookup(state: FederationState, key: string): KubeObject | undefined {
  const { kindKey, nameKey } = splitKey(key);
  return objectIn(state.kinds[kindKey], nameKey);
}

export class ReadModel {
  private readonly follower: ObjectsFollower;
  /** Recent changes, oldest first, for watches that start from a past resourceVersion. */
  private readonly changes: Change[] = [];
  private readonly listeners = new Set<ChangeListener>();
  /** Offset that created each existing object: tells status reports about an earlier incarnation apart. */
  private readonly created = new Map<string, bigint>();
  /** Sum of `bytes` of `changes`. */
  private windowBytes = 0;

  constructor(
    kafka: TailSource,
    private readonly topic: string,
    keyring: Keyring | undefined,
    private readonly opts: {
      watchWindow: number;
      /** The window's bound in bytes, besides its count. */
      watchWindowBytes?: number;
      onPoison: (offset: string, err: FederationError) => void;
      /** Start from the latest snapshot and fold only the tail; `onFallback` says why not when it cannot. */
      snapshots?: { store: SnapshotStore; onFallback: (reason: string, err?: unknown) => void };
    },
  ) {
    const s = opts.snapshots;
    this.follower = followObjects({
      source: kafka,
      topic,
      keyring,
      onSkipped: opts.onPoison,
      ...(s
        ? {
            snapshot: s.store.loader(
              (reason, err) => {
                this.created.clear();
                s.onFallback(reason, err);
              },
              (snap) => this.loadCreated(snap.extras.created),
            ),
          }
        : {}),
    });
    this.follower.subscribe((steps) => this.announce(steps));
  }

  /** The creation offsets a snapshot carries (they are not part of the folded state). */
  private loadCreated(entries: unknown): void {
    this.created.clear();
    if (!Array.isArray(entries)) return;
    for (const e of entries as [string, string][]) this.created.set(e[0], BigInt(e[1]));
  }

  /** What a snapshot of this model at its current position keeps beside the folded state. */
  snapshotExtras(): Record<string, unknown> {
    return { created: [...this.created].map(([k, v]) => [k, String(v)]) };
  }

  /** The offset folding started from: a snapshot's position, or 0. */
  get startedAt(): bigint {
    return this.follower.startedAt;
  }

  /** The next offset to fold. */
  get next(): bigint {
    return this.follower.next;
  }

  get current(): FederationState {
    return this.follower.state;
  }

  /** Events skipped as undecodable. */
  get poisonEvents(): number {
    return this.follower.skipped;
  }

  /** Offset of the last folded event (the resourceVersion of a list), "0" before any. */
  get resourceVersion(): string {
    return this.current.lastOffset ?? "0";
  }

  /**
   * The oldest resourceVersion a watch can still start from; older ones get 410 Gone. A watch from X needs the
   * objects changes after X and the status changes at X or later, so when the oldest kept change is a status
   * change at X, earlier ones at X may be gone and X itself is no longer safe.
   */
  get oldestWatchable(): bigint {
    // Started from a snapshot at P: the changes of offsets before P were never seen here.
    const floor = this.startedAt > 0n ? this.startedAt - 1n : 0n;
    const first = this.changes[0];
    if (!first || !this.trimmed) return floor;
    const oldest = first.status ? first.rv + 1n : first.rv;
    return oldest > floor ? oldest : floor;
  }

  /** True once the window has dropped a change (by count or by bytes). */
  private trimmed = false;

  /** The offset that created the object with this key (`objectKey`), while it exists. */
  createdAt(key: string): bigint | undefined {
    return this.created.get(key);
  }

  /** Replays the log from the start and keeps following it; resolves once caught up with the end at start. */
  async start(): Promise<void> {
    await this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  /** Resolves when the record at `offset` or a later one has been folded (or skipped as undecodable). */
  waitForOffset(offset: bigint): Promise<void> {
    return this.follower.waitFor(offset + 1n);
  }

  /** Registers interest in an event's outcome before it is appended (the fold may be faster than the ack). */
  expect(eventId: string): Promise<Outcome> {
    return this.follower.expect(eventId);
  }

  forget(eventId: string): void {
    this.follower.forget(eventId);
  }

  /** Told every folded batch's steps, with the events (the history index reads who changed what from them). */
  subscribeSteps(listener: (steps: readonly ObjectsStep[]) => void): () => void {
    return this.follower.subscribe(listener);
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
    this.record(changes.map((c) => ({ ...c, rv, status: true, bytes: JSON.stringify(c.object).length })));
  }

  private record(batch: Change[]): void {
    this.changes.push(...batch);
    for (const c of batch) this.windowBytes += c.bytes ?? 0;
    const maxBytes = this.opts.watchWindowBytes ?? Infinity;
    let drop = Math.max(0, this.changes.length - this.opts.watchWindow);
    let bytes = this.windowBytes;
    for (let i = 0; i < drop; i++) bytes -= this.changes[i]!.bytes ?? 0;
    while (bytes > maxBytes && drop < this.changes.length - 1) bytes -= this.changes[drop++]!.bytes ?? 0;
    if (drop > 0) {
      this.changes.splice(0, drop);
      this.windowBytes = bytes;
      this.trimmed = true;
    }
    for (const l of this.listeners) l(batch);
  }

  /**
   * Folds an event this process has just appended at `offset`, when everything before it is folded already: the
   * single-partition log guarantees it is exactly what the tail will deliver there, so the write is answered
   * without waiting for the consumer's fetch. The tail skips it when it arrives. Returns false (nothing done)
   * when the model is behind or ahead; the tail then folds it as usual.
   */
  foldOwn(record: Pick<LogRecord, "value" | "headers">, offset: string): boolean {
    return this.follower.foldOwn({ ...record, offset, topic: this.topic, partition: 0, key: null, timestamp: "0" });
  }

  /** What watchers hear of a folded batch: every object an applied event changed. */
  private announce(steps: readonly ObjectsStep[]): void {
    const batch: Change[] = [];
    for (const step of steps) {
      const { offset, before, after } = step;
      const outcome = outcomeOf(step);
      if (outcome?.status !== "applied") continue;
      const rv = BigInt(offset);
      const bytes = step.bytes ?? 0;
      for (const key of outcome.changedKeys) {
        const prev = lookup(before, key);
        const next = lookup(after, key);
        const { kindKey, namespace } = splitKey(key);
        if (next) {
          if (!prev) this.created.set(key, rv);
          batch.push({ rv, type: prev ? "MODIFIED" : "ADDED", kindKey, namespace, object: next, bytes });
        } else if (prev) {
          this.created.delete(key);
          // Kubernetes reports a deleted object with the resourceVersion of its deletion.
          const metadata = { ...(prev.metadata as Record<string, unknown>), resourceVersion: offset };
          // A delete's event is small; what the window holds is the deleted object.
          const object = { ...prev, metadata } as KubeObject;
          batch.push({ rv, type: "DELETED", kindKey, namespace, object, bytes: JSON.stringify(object).length });
        }
      }
    }
    if (batch.length > 0) this.record(batch);
  }
}
