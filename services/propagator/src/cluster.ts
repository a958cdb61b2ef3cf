/**
 * Everything one worker does for one member cluster: its consumer in group `<fed>.propagator.<cluster>` (the
 * committed offset is how far this member has converged), per-key reconciles with retries, drift watches on
 * the member, the periodic resync, and health probes with flap damping.
 */
import { ObservedOutcome, StatusType, refKey, type KubeObject, type StatusReport } from "@kubefed/events";
import type { GroupBatch, GroupMember, KafkaClient, LogRecord } from "@kubefed/kafka";
import { OWNED_BY_LABEL, propagatorGroup } from "@kubefed/names";
import type { Logger } from "@kubefed/logging";
import { EarlyRuns } from "./earlyruns.ts";
import { KeyQueue } from "./keyqueue.ts";
import { MEMBER_KINDS, memberKind, parseKey, type MemberKind } from "@kubefed/placement";
import { ENDPOINT_SLICES, ReadyEndpoints, withReadyEndpoints } from "./endpoints.ts";
import { MemberClient, MemberError, type MemberWatch, type WatchEvent } from "./member.ts";
import type { ClusterInfo, Projection } from "./projection.ts";
import { desiredIn, reconcile, type ReconcileResult } from "./reconcile.ts";

export interface ClusterWorkerOptions {
  readonly federation: string;
  readonly worker: string;
  readonly topic: string;
  readonly kafka: KafkaClient;
  readonly projection: Projection;
  /** Appends a report to the status topic; `onLost` runs when it could not be appended. */
  readonly publish: (report: StatusReport, onLost: () => void) => void;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly healthProbeIntervalMs: number;
  readonly failuresToOffline: number;
  readonly successesToReady: number;
  readonly resyncPeriodMs: number;
  readonly sessionTimeoutMs?: number;
  readonly metrics?: {
    reconciles: (cluster: string, result: string) => void;
    health: (cluster: string, ready: boolean) => void;
    lag: (cluster: string, stage: "fetched" | "folded" | "applied", seconds: number) => void;
  };
}

type RunResult = "done" | "parked" | "unreachable";

/** The fast path stays off while more keys than this are queued: a burst goes through the cursor alone. */
const FAST_PATH_MAX_QUEUE = 64;
/** Fast-path runs kept for the cursor to claim; beyond, the oldest go (the cursor reconciles those keys again). */
const FAST_PATH_MAX_KEYS = 4096;

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

/** The least time between two commits of a partition's cursor. */
const COMMIT_INTERVAL_MS = 250;

/** Sockets to a member: the reconciles, a watch per propagated kind, the EndpointSlice watch, probes and lists. */
const memberSockets = (concurrency: number) => concurrency + MEMBER_KINDS.length + 3;
/** Whether a key is of a kind the propagator copies into members. */
const isPropagated = (key: string): boolean => memberKind(parseKey(key)) !== undefined;

/** Lists of a member's kinds in flight at once when (re)building the cache of what it holds. */
const LISTS_IN_FLIGHT = 4;

const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000, 60_000];

export class ClusterWorker {
  private member: MemberClient | undefined;
  private group: GroupMember | undefined;
  private readonly queue: KeyQueue<RunResult>;
  /** The member's objects of the propagated kinds, by key, kept by list + watch while this worker is active. */
  private readonly cache = new Map<string, KubeObject>();
  /** `group/kind`s whose cache is complete (listed and watched in the current watch generation). */
  private readonly synced = new Set<string>();
  private readonly retries = new Map<string, { attempt: number; timer: NodeJS.Timeout }>();
  private readonly lastReport = new Map<string, string>();
  /** resourceVersion of each object as this worker last wrote it: its watch event is our own echo, not drift. */
  private readonly written = new Map<string, string>();
  /** Keys being reconciled, with the latest watch event of each that arrived meanwhile (see `runOnce`). */
  private readonly reconciling = new Map<string, { resourceVersion: string; deleted: boolean; relevant: boolean } | null>();
  private watches: MemberWatch[] = [];
  /** Bumped by stopWatches: a watch loop of an older generation ends instead of watching again. */
  private watchGen = 0;
  /**
   * Ready endpoints per Service in the member, from its EndpointSlices (listed and watched while active, apart
   * from the propagated kinds). Kept across stopWatches: the last known counts stand until the next list.
   */
  private readonly endpoints = new ReadyEndpoints();
  /** Bumped by each list of the EndpointSlices: a slice watch of an older list ends. */
  private sliceGen = 0;
  /** The last health report could not be appended: publish the state again at the next probe. */
  private healthLost = false;
  private active = false;
  private stopped = false;
  private paused = false;
  private healthTimer: NodeJS.Timeout | undefined;
  /** Records below this offset are covered by the activation resync of a new cursor (see `position`). */
  private startAt = 0n;
  /** Keys the fast path reconciled, until the cursor's batch with their records takes the run over (`claim`). */
  private readonly early = new EarlyRuns<RunResult>(FAST_PATH_MAX_KEYS, (r) => r !== "unreachable");
  private unsubscribe: (() => void) | undefined;
  /** Settles once the cursor of the current assignment is positioned. */
  private positioned: Promise<void> = Promise.resolve();
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Per partition, the batches whose keys are being reconciled (see onBatch). */
  private readonly batches = new Map<number, InFlightBatch[]>();
  /** Per partition, bumped whenever its cursor is repositioned: batches of an older epoch no longer commit. */
  private readonly epochs = new Map<number, number>();
  private readonly commits = new Map<number, { running: boolean; last: number; next?: { batch: GroupBatch; record: LogRecord } }>();
  /** Flap damping: the published state and the run of probes disagreeing with it. */
  private health: { ready: boolean | undefined; streak: number; message: string } = { ready: undefined, streak: 0, message: "" };
  private topology: { region: string | null; zones: string[] } = { region: null, zones: [] };

  constructor(
    private info: ClusterInfo,
    private readonly o: ClusterWorkerOptions,
  ) {
    this.queue = new KeyQueue(o.concurrency, (key) => this.runOnce(key));
    this.member = info.endpoint ? new MemberClient(info.name, info.endpoint, { maxSockets: memberSockets(o.concurrency) }) : undefined;
  }

  get name(): string {
    return this.info.name;
  }

  get isActive(): boolean {
    return this.active;
  }

  get isReady(): boolean | undefined {
    return this.health.ready;
  }

  async start(): Promise<void> {
    const groupId = propagatorGroup(this.o.federation, this.info.name);
    this.unsubscribe = this.o.projection.subscribe((keys, through) => this.onFolded(keys, through));
    await this.probe();
    this.healthTimer = setInterval(() => void this.probe(), this.o.healthProbeIntervalMs);
    let joined: (g: GroupMember) => void = () => undefined;
    const group = new Promise<GroupMember>((r) => (joined = r));
    this.group = await this.o.kafka.join({
      groupId,
      topic: this.o.topic,
      // A member with a committed offset resumes there; a new one is positioned by `position`.
      fromBeginning: false,
      sessionTimeoutMs: this.o.sessionTimeoutMs,
      onBatch: (b) => this.onBatch(b),
      onAssignment: (partitions) => {
        this.forgetAllInFlight();
        if (partitions.length > 0) this.positioned = this.position(groupId, group, partitions);
        this.setActive(partitions.length > 0);
      },
    });
    joined(this.group);
  }

  /**
   * Where the cursor starts. With a committed offset: there (the delta since this member last converged). A new
   * member (no commit yet): where the projection stands now. The resync that activation runs converges
   * everything folded so far, so replaying the history before that would only redo it.
   */
  private async position(groupId: string, group: Promise<GroupMember>, partitions: readonly number[]): Promise<void> {
    const committed = await this.o.kafka.committedOffsets(groupId, this.o.topic).catch(() => []);
    if (committed.some((c) => c.offset !== null)) {
      this.startAt = 0n;
      return;
    }
    this.startAt = this.o.projection.nextOffset;
    const g = await group;
    for (const p of partitions) g.seek(p, String(this.startAt));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.early.clear();
    clearInterval(this.healthTimer);
    clearInterval(this.resyncTimer);
    for (const r of this.retries.values()) clearTimeout(r.timer);
    this.retries.clear();
    this.stopWatches();
    await this.group?.stop().catch(() => undefined);
    this.member?.close();
  }

  /** The Cluster object or its credentials changed. */
  update(info: ClusterInfo): void {
    const endpointChanged = JSON.stringify(info.endpoint) !== JSON.stringify(this.info.endpoint);
    const labelsChanged = JSON.stringify(info.labels) !== JSON.stringify(this.info.labels);
    this.info = info;
    if (endpointChanged) {
      this.early.clear();
      this.member?.close();
      this.member = info.endpoint ? new MemberClient(info.name, info.endpoint, { maxSockets: memberSockets(this.o.concurrency) }) : undefined;
      if (this.active) {
        this.stopWatches();
        void this.startWatchesAndResync();
      }
    } else if (labelsChanged && this.active) {
      // Placement may have moved objects in or out of this cluster.
      void this.resync("cluster labels changed");
    }
  }

  private setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.o.logger.info({ cluster: this.name, active }, active ? "serving this cluster" : "standing by for this cluster");
    if (active) {
      void this.startWatchesAndResync();
      this.resyncTimer = setInterval(() => void this.resync("periodic resync"), this.o.resyncPeriodMs);
    } else {
      clearInterval(this.resyncTimer);
      this.early.clear();
      this.stopWatches();
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The cursor: keys that changed in the log
  // ---------------------------------------------------------------------------------------------------------

  /**
   * A batch's keys go to the reconcile queue and the consumer fetches on at once, so the member always has work in
   * flight (waiting for the slowest key of each batch before the next fetch left it idle between batches). The
   * group's offset moves only past batches whose keys are all done, in order (`settle`); while more than
   * OUTSTANDING_KEYS keys wait, the next batch waits too.
   */
  private async onBatch(b: GroupBatch): Promise<void> {
    await this.positioned;
    const last = b.records[b.records.length - 1]!;
    // Fetched before the seek to a new cursor's start: the resync covers these, and the seek makes it stale.
    if (BigInt(last.offset) < this.startAt) return;
    const first = b.records[0]!;
    if (this.paused || this.health.ready === false) {
      this.paused = true;
      b.pause(this.inFlight(b.partition)[0]?.first ?? first);
      this.forgetInFlight(b.partition);
      return;
    }
    const beat = setInterval(() => void b.heartbeat().catch(() => undefined), 1000);
    // Lag of the newest change of the batch, from its append (the producer's timestamp, in ms).
    const lag = (stage: "fetched" | "folded" | "applied") => this.o.metrics?.lag(this.name, stage, Math.max(0, Date.now() - Number(last.timestamp)) / 1000);
    lag("fetched");
    try {
      await this.o.projection.waitFor(BigInt(last.offset) + 1n);
      lag("folded");
      // Paused meanwhile (an earlier batch found the member unreachable): the cursor went back before this batch.
      if (b.isStale() || this.paused) return;
      const epoch = this.epochOf(b.partition);
      const keys = this.keysOf(b);
      const entry: InFlightBatch = { batch: b, first, last, done: false, settled: Promise.resolve() };
      this.inFlight(b.partition).push(entry);
      entry.settled = Promise.all([...keys].map(([k, upTo]) => this.early.claim(k, upTo) ?? this.queue.run(k))).then(
        (results) => {
          if (!results.includes("unreachable")) lag("applied");
          this.settle(entry, epoch, results.includes("unreachable"));
        },
        (e: unknown) => {
          // Not expected (runOnce handles reconcile failures): go back before the batch, as for an unreachable member.
          this.o.logger.error({ cluster: this.name, err: (e as Error).message }, "reconciling a batch failed; the cursor goes back before it");
          this.settle(entry, epoch, true);
        },
      );
      b.resolve(last);
      const waiting = this.inFlight(b.partition);
      const busy = () => (this.queue.size > OUTSTANDING_KEYS || waiting.length > OUTSTANDING_BATCHES) && waiting.length > 0;
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

  /**
   * The fast path: keys the projection has just folded are reconciled at once in a member that is active, ready,
   * not paused and not busy, instead of when this cluster's own consumer has fetched the same records (a few ms
   * later, and the fetches of a worker's clusters arrive one after another). The cursor still decides what is
   * committed: its batch claims such a run instead of starting another (`EarlyRuns`).
   */
  private onFolded(changed: readonly string[], through: bigint): void {
    if (!this.active || this.paused || this.health.ready !== true || !this.member) return;
    const keys = new Set(changed.filter(isPropagated));
    if (keys.size === 0 || this.queue.size + keys.size > FAST_PATH_MAX_QUEUE) return;
    for (const key of keys) this.early.add(key, through, this.queue.run(key));
  }

  /** A partition's cursor was moved back (paused): its work still running no longer moves its offset. */
  private forgetInFlight(partition: number): void {
    this.early.clear();
    this.epochs.set(partition, this.epochOf(partition) + 1);
    this.batches.delete(partition);
  }

  /** A new assignment: nothing in flight moves any offset, and commits not yet sent are dropped. */
  private forgetAllInFlight(): void {
    for (const p of new Set([...this.epochs.keys(), ...this.batches.keys()])) this.forgetInFlight(p);
    for (const c of this.commits.values()) c.next = undefined;
  }

  /** A batch's keys are done: commit past every batch done in order, or go back before it when the member is unreachable. */
  private settle(entry: InFlightBatch, epoch: number, unreachable: boolean): void {
    entry.done = true;
    if (epoch !== this.epochOf(entry.batch.partition)) return;
    const list = this.inFlight(entry.batch.partition);
    if (unreachable) {
      // Nothing is lost: the cursor goes back before the oldest batch not committed until the member is back.
      this.paused = true;
      entry.batch.pause(list[0]?.first ?? entry.first);
      this.forgetInFlight(entry.batch.partition);
      void this.probe();
      return;
    }
    let upTo: InFlightBatch | undefined;
    while (list[0]?.done) upTo = list.shift();
    if (upTo) this.commit(upTo.batch, upTo.last);
  }

  /**
   * Commits per partition one at a time and at most every COMMIT_INTERVAL_MS (so a steady trickle of batches
   * does not cost a commit request each); meanwhile only the newest offset to commit is kept. A crash redoes
   * at most that much work, which reconcile makes harmless.
   */
  private commit(batch: GroupBatch, record: LogRecord): void {
    const c = this.commits.get(batch.partition) ?? { running: false, last: 0 };
    this.commits.set(batch.partition, c);
    c.next = { batch, record };
    if (c.running) return;
    c.running = true;
    void (async () => {
      while (c.next && !this.stopped) {
        const wait = c.last + COMMIT_INTERVAL_MS - Date.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait).unref());
        if (!c.next || this.stopped) break;
        const { batch: b, record: r } = c.next;
        c.next = undefined;
        c.last = Date.now();
        // A failed commit leaves the offset where it was: a restart reconciles those keys again.
        await b.commit(r).catch((e: unknown) => this.o.logger.warn({ cluster: this.name, err: (e as Error).message }, "could not commit the cursor"));
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
      for (const extra of this.o.projection.changedAt(r.offset)) keys.set(extra, offset);
    }
    for (const k of keys.keys()) if (!isPropagated(k)) keys.delete(k);
    return keys;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reconcile, retries and reports
  // ---------------------------------------------------------------------------------------------------------

  private ctx(actual?: KubeObject | null) {
    const p = this.o.projection;
    return {
      wrote: (key: string, rv: string) => void this.written.set(key, rv),
      federation: this.o.federation,
      cluster: this.name,
      clusterLabels: this.info.labels,
      member: this.member!,
      desired: (k: string) => p.get(k),
      inNamespace: (ns: string) => MEMBER_KINDS.filter((m) => m.namespaced).flatMap((m) => p.objectsOf(`${m.group}/${m.kind}`).filter(([k]) => parseKey(k).namespace === ns).map(([, o]) => o)),
      ...(actual !== undefined ? { actual } : {}),
    };
  }

  /**
   * One reconcile of a key. A watch event for the key that arrives meanwhile is held (`watchKind`) and decided
   * here, once this run's write has answered: the member's echo of a write usually arrives before its answer, and
   * would otherwise reconcile the key once more for nothing.
   */
  private async runOnce(key: string): Promise<RunResult> {
    this.reconciling.set(key, null);
    try {
      return await this.reconcileKey(key);
    } finally {
      const seen = this.reconciling.get(key);
      this.reconciling.delete(key);
      const ours = this.written.get(key);
      if (seen && ours !== undefined && !seen.deleted && seen.resourceVersion === ours) this.written.delete(key);
      else if (seen?.relevant) void this.queue.run(key);
    }
  }

  private async reconcileKey(key: string): Promise<RunResult> {
    // Known offline: do not wait for timeouts; the recovery resync covers the key.
    if (this.health.ready === false) return "unreachable";
    if (!this.member) {
      this.o.logger.warn({ cluster: this.name, problem: this.info.problem }, "cluster cannot be reached");
      this.park(key);
      return "parked";
    }
    const actual = this.cached(key);
    let result: ReconcileResult;
    try {
      result = await reconcile(this.ctx(actual), key);
    } catch (e) {
      if (e instanceof MemberError && e.unreachable) {
        this.o.metrics?.reconciles(this.name, "unreachable");
        return "unreachable";
      }
      const message = e instanceof Error ? e.message : String(e);
      this.o.logger.warn({ cluster: this.name, key, err: message }, "reconcile failed; will retry");
      this.o.metrics?.reconciles(this.name, "failed");
      const fed = this.o.projection.get(key);
      const ref = parseKey(key);
      const kind = memberKind(ref)!;
      this.report(key, {
        ref: { group: kind.group, version: kind.version, kind: kind.kind, namespace: ref.namespace, name: ref.name },
        generation: Number((fed?.metadata as { generation?: number } | undefined)?.generation ?? 0),
        resourceVersion: String((fed?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? ""),
        outcome: ObservedOutcome.Failed,
        message: `apply failed: ${message}`,
        created: false,
        // The member's copy, when it is ours, still serves its endpoints.
        status: actual && this.ownedByUs(actual) ? withReadyEndpoints(null, this.readyEndpoints(key)) : null,
      });
      this.park(key);
      return "parked";
    }
    const retry = this.retries.get(key);
    if (retry) {
      clearTimeout(retry.timer);
      this.retries.delete(key);
    }
    this.o.metrics?.reconciles(this.name, result?.outcome ?? "none");
    if (result) {
      // An Applied Service is ours in the member: its report carries the member's ready endpoint count.
      this.report(key, result.outcome === ObservedOutcome.Applied ? { ...result, status: withReadyEndpoints(result.status, this.readyEndpoints(key)) } : result);
    } else this.lastReport.delete(key);
    return "done";
  }

  /** Retries a key later with backoff, outside the log (the cursor moves on; a restart's resync covers it). */
  private park(key: string): void {
    if (this.stopped) return;
    const prev = this.retries.get(key);
    if (prev) clearTimeout(prev.timer);
    const attempt = (prev?.attempt ?? 0) + 1;
    const delay = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!;
    const timer = setTimeout(() => {
      if (this.stopped) return;
      void this.queue.run(key).then((r) => {
        if (r === "unreachable") this.park(key);
      });
    }, delay);
    timer.unref();
    this.retries.set(key, { attempt, timer });
  }

  /** The member's ready endpoints of a Service key (undefined for other kinds, and before the slices are listed). */
  private readyEndpoints(key: string): number | undefined {
    const { group, kind } = parseKey(key);
    return group === "" && kind === "Service" ? this.endpoints.count(key) : undefined;
  }

  private report(key: string, r: NonNullable<ReconcileResult>): void {
    // Only changes are worth a message: "unchanged" with the same status (ready endpoints included) says nothing new.
    const fingerprint = JSON.stringify([r.outcome, r.generation, r.outcome === ObservedOutcome.Failed ? r.message : "", r.status]);
    if (this.lastReport.get(key) === fingerprint && !r.created) return;
    this.lastReport.set(key, fingerprint);
    this.o.publish({ type: StatusType.ObjectObserved, cluster: this.name, time: new Date().toISOString(), worker: this.o.worker, ...r }, () => this.lastReport.delete(key));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Drift: watches on the member, and the resync that backs them up
  // ---------------------------------------------------------------------------------------------------------

  /**
   * What the federation owns in the member under a key: its object, null when it owns nothing there (an object
   * of the member's own may still be there: a create then meets AlreadyExists and reconcile reads it), undefined
   * when the cache cannot say.
   */
  private cached(key: string): KubeObject | null | undefined {
    const { group, kind } = parseKey(key);
    if (!this.synced.has(`${group}/${kind}`)) return undefined;
    return this.cache.get(key) ?? null;
  }

  /** Selects what this federation owns in a member (its ownership label). */
  private get ownedSelector(): string {
    return `${OWNED_BY_LABEL}=${this.o.federation}`;
  }

  private ownedByUs(o: KubeObject): boolean {
    return ((o.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {})[OWNED_BY_LABEL] === this.o.federation;
  }

  /**
   * Lists what the federation owns of the propagated kinds in the member (its ownership label: the member's own
   * objects, however many, cost neither the member nor this worker anything), keeps that cache by watching from
   * there, then converges. An object that loses the label leaves the watch as a deletion, and its key is
   * reconciled like any other: its create meets the member's object and reports it as not ours.
   */
  private async startWatchesAndResync(why = "start"): Promise<void> {
    if (!this.member || this.stopped || !this.active) return;
    const member = this.member;
    const gen = this.watchGen;
    // Alongside, and before converging: the reports of the converge then carry the Services' counts. A failure
    // there retries apart and does not hold up propagation.
    const slices = this.listEndpointSlices(member, gen, false);
    const current = () => this.member === member && this.active && this.watchGen === gen;
    let failed = false;
    // A few kinds at a time (a joining member's first write waits for the slowest of them, not for the sum of
    // all), each watched as soon as it is listed, from its own list's resourceVersion.
    const kinds = [...MEMBER_KINDS];
    const listNext = async (): Promise<void> => {
      for (let kind = kinds.shift(); kind !== undefined && !failed && current(); kind = kinds.shift()) {
        try {
          const { items, resourceVersion } = await member.list(kind, this.ownedSelector, current);
          if (!current() || failed) return;
          for (const o of items) this.cache.set(keyOf(kind, o), o);
          this.synced.add(`${kind.group}/${kind.kind}`);
          this.watchKind(member, kind, resourceVersion);
        } catch (e) {
          if (!current() || failed) return;
          failed = true;
          this.o.logger.warn({ cluster: this.name, kind: kind.kind, err: (e as Error).message }, "cannot list the member's objects; retrying");
          setTimeout(() => {
            if (current()) {
              this.stopWatches();
              void this.startWatchesAndResync(why);
            }
          }, 2000).unref();
        }
      }
    };
    await Promise.all(Array.from({ length: LISTS_IN_FLIGHT }, listNext));
    if (failed || !current()) return;
    // A new cursor starts where the projection stood when it was positioned: converge from there on.
    await this.positioned;
    await slices;
    await this.converge(why);
  }

  /** Reconciles every key that is desired here or owned here (the cache says what the member has). */
  private async converge(why: string): Promise<void> {
    const keys = new Set<string>();
    for (const [k, o] of this.cache) if (this.ownedByUs(o)) keys.add(k);
    const ctx = this.ctx();
    for (const kind of MEMBER_KINDS) {
      for (const [key] of this.o.projection.objectsOf(`${kind.group}/${kind.kind}`)) {
        if (desiredIn(ctx, key) !== undefined) keys.add(key);
      }
    }
    const started = Date.now();
    // Namespaces first, so that their contents do not each have to create them.
    const ordered = [...keys].sort((a, b) => Number(!a.startsWith("/Namespace/")) - Number(!b.startsWith("/Namespace/")));
    const nsKeys = ordered.filter((k) => k.startsWith("/Namespace/"));
    await Promise.all(nsKeys.map((k) => this.queue.run(k)));
    await Promise.all(ordered.filter((k) => !k.startsWith("/Namespace/")).map((k) => this.queue.run(k)));
    this.o.logger.info({ cluster: this.name, keys: keys.size, ms: Date.now() - started, why }, "cluster resynced");
  }

  /** Relists the member (the cache starts over) and converges: the safety net behind the watches. */
  private async resync(why: string): Promise<void> {
    if (!this.member || !this.active || this.stopped) return;
    this.stopWatches();
    await this.startWatchesAndResync(why);
  }

  /**
   * Watches a kind in the member from `resourceVersion` for as long as `current()` holds, watching again from the
   * last resourceVersion seen when the stream ends; `expired` runs (after a second) when the member refuses the
   * resourceVersion (410) or the watch: the caller lists again.
   */
  private keepWatching(member: MemberClient, kind: MemberKind, labelSelector: string, resourceVersion: string, current: () => boolean, onEvent: (e: WatchEvent) => void, expired: () => void): void {
    let rv = resourceVersion;
    const loop = async () => {
      while (current()) {
        let refused = false;
        const w = member.watch(kind, labelSelector, rv, (e) => {
          if (!current()) return;
          if (e.type === "ERROR") {
            refused = true;
            return;
          }
          rv = String((e.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? rv);
          if (e.type !== "BOOKMARK") onEvent(e);
        });
        this.watches.push(w);
        await w.done;
        this.watches = this.watches.filter((x) => x !== w);
        if (!current()) return;
        if (refused) {
          await new Promise((r) => setTimeout(r, 1000));
          if (current()) expired();
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    void loop();
  }

  private watchKind(member: MemberClient, kind: MemberKind, resourceVersion: string): void {
    const gen = this.watchGen;
    const current = () => !this.stopped && this.active && this.member === member && this.watchGen === gen;
    const onEvent = (e: WatchEvent) => {
      const o = { apiVersion: e.object.apiVersion ?? kind.version, kind: kind.kind, ...e.object } as KubeObject;
      const rv = String((o.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? "");
      const key = keyOf(kind, o);
      const before = this.cache.get(key);
      if (e.type === "DELETED") this.cache.delete(key);
      else this.cache.set(key, o);
      // Only ours, or what we want there, is any of our business.
      const relevant = this.ownedByUs(o) || (before !== undefined && this.ownedByUs(before)) || desiredIn(this.ctx(), key) !== undefined;
      if (this.reconciling.has(key)) {
        // A write of this key may be waiting for its answer: decided when the run ends.
        const held = this.reconciling.get(key);
        this.reconciling.set(key, { resourceVersion: rv, deleted: e.type === "DELETED", relevant: relevant || (held?.relevant ?? false) });
        return;
      }
      const ours = this.written.get(key);
      if (ours !== undefined) {
        this.written.delete(key);
        // The echo of our own write: nothing drifted.
        if (e.type !== "DELETED" && ours === rv) return;
      }
      if (relevant) void this.queue.run(key);
    };
    // Too old a resourceVersion (410) or a refusal: relist everything and converge.
    this.keepWatching(member, kind, this.ownedSelector, resourceVersion, current, onEvent, () => void this.resync("watch expired"));
  }

  /**
   * Lists the member's EndpointSlices (all namespaces) into `endpoints`, then watches them from there. `notify`:
   * reconcile (and so report) the Services whose count the list changed; a full resync converges them anyway.
   * A failed list retries with backoff on its own; until a list succeeds, counts are unknown and not reported.
   */
  private async listEndpointSlices(member: MemberClient, gen: number, notify: boolean, attempt = 0): Promise<void> {
    const sgen = ++this.sliceGen;
    const current = () => !this.stopped && this.active && this.member === member && this.watchGen === gen && this.sliceGen === sgen;
    try {
      const { items, resourceVersion } = await member.list(ENDPOINT_SLICES, "");
      if (!current()) return;
      const wasKnown = this.endpoints.known;
      const changed = this.endpoints.replace(items);
      if (notify) {
        // From unknown to known: every Service placed here gets its count.
        this.endpointsChanged(wasKnown ? changed : this.o.projection.objectsOf("/Service").map(([k]) => k));
      }
      this.watchEndpointSlices(member, gen, sgen, resourceVersion);
    } catch (e) {
      if (!current()) return;
      this.o.logger.warn({ cluster: this.name, attempt, err: (e as Error).message }, "cannot list the member's EndpointSlices; ready endpoint counts wait");
      const delay = Math.min(60_000, 2000 * 2 ** Math.min(attempt, 5));
      setTimeout(() => {
        if (current()) void this.listEndpointSlices(member, gen, true, attempt + 1);
      }, delay).unref();
    }
  }

  private watchEndpointSlices(member: MemberClient, gen: number, sgen: number, resourceVersion: string): void {
    const current = () => !this.stopped && this.active && this.member === member && this.watchGen === gen && this.sliceGen === sgen;
    const onEvent = (e: WatchEvent) => this.endpointsChanged(e.type === "DELETED" ? this.endpoints.remove(e.object) : this.endpoints.upsert(e.object));
    // Too old a resourceVersion (410) or a refusal: list the slices again (only them) and watch from there.
    this.keepWatching(member, ENDPOINT_SLICES, "", resourceVersion, current, onEvent, () => void this.listEndpointSlices(member, gen, true));
  }

  /** Services whose ready endpoint count changed: reconcile (and so report) those placed here and ours there. */
  private endpointsChanged(services: readonly string[]): void {
    if (services.length === 0) return;
    const ctx = this.ctx();
    for (const key of services) {
      if (desiredIn(ctx, key) === undefined) continue;
      const copy = this.cached(key);
      // Absent (the Service watch will reconcile it) or not ours: its endpoints are none of our business.
      if (copy === null || (copy !== undefined && !this.ownedByUs(copy))) continue;
      void this.queue.run(key);
    }
  }

  private stopWatches(): void {
    this.watchGen++;
    for (const w of this.watches) w.stop();
    this.watches = [];
    // Without watches the cache goes stale: reconcile GETs until the next list.
    this.synced.clear();
    this.cache.clear();
    this.written.clear();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Health
  // ---------------------------------------------------------------------------------------------------------

  private async probe(): Promise<void> {
    if (this.stopped) return;
    const r = this.member ? await this.member.ready(Math.min(2000, this.o.healthProbeIntervalMs)) : { ok: false, message: this.info.problem ?? "no endpoint" };
    const h = this.health;
    if (h.ready === undefined) {
      if (r.ok) this.topology = await this.member!.topology();
      this.transition(r.ok, r.message);
      return;
    }
    if (r.ok === h.ready) {
      h.streak = 0;
      if (this.healthLost) {
        this.healthLost = false;
        this.transition(r.ok, r.message);
        return;
      }
      // The cursor paused on a failed request while probes still pass: the blip is over.
      if (r.ok && this.paused) this.unpause();
      return;
    }
    h.streak++;
    if (h.streak >= (r.ok ? this.o.successesToReady : this.o.failuresToOffline)) {
      if (r.ok) this.topology = await this.member!.topology();
      this.transition(r.ok, r.message);
    }
  }

  private transition(ready: boolean, message: string): void {
    const wasOffline = this.health.ready === false || this.paused;
    this.health = { ready, streak: 0, message };
    this.o.metrics?.health(this.name, ready);
    this.o.logger.info({ cluster: this.name, ready, message }, ready ? "cluster is ready" : "cluster is offline");
    this.o.publish({
      type: StatusType.ClusterHealth,
      cluster: this.name,
      time: new Date().toISOString(),
      worker: this.o.worker,
      ready,
      reason: ready ? "ClusterReady" : this.member ? "ClusterNotReachable" : "ClusterNotConfigured",
      message: ready ? "/readyz ok" : message,
      region: this.topology.region,
      zones: this.topology.zones,
    }, () => (this.healthLost = true));
    // Back from Offline: resume the cursor and resync (retries dropped while offline are covered by it).
    if (ready && wasOffline) this.unpause();
  }

  private unpause(): void {
    this.paused = false;
    try {
      this.group?.resume();
    } catch (e) {
      // The consumer is restarting after a crash: it fetches from the committed offset anyway.
      this.o.logger.warn({ cluster: this.name, err: (e as Error).message }, "could not resume the cursor");
    }
    if (this.active) {
      this.stopWatches();
      void this.startWatchesAndResync();
    }
  }
}

/** The federation key of a member object: the same identity as its federated object. */
function keyOf(kind: MemberKind, o: KubeObject): string {
  const m = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return refKey({ group: kind.group, kind: kind.kind, namespace: kind.namespaced ? (m.namespace ?? null) : null, name: m.name ?? "" });
}
