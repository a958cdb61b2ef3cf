/**
 * Everything one worker does for one member cluster, wired together: its cursor in the objects log
 * (`cursor.ts`), the key queue with its retries (`keyqueue.ts`, `retry.ts`), reconciles and their reports
 * (`reconciler.ts`), the cache of what the federation owns there with its watches (`membercache.ts`) and the
 * echoes of its own writes (`ownwrites.ts`), health (`health.ts`), and the resync that backs the watches up.
 */
import type { StatusReport } from "@kubefed/events";
import { toFederationError } from "@kubefed/events";
import type { GroupMember, KafkaClient } from "@kubefed/kafka";
import { childLogger, type Logger } from "@kubefed/logging";
import { propagatorGroup } from "@kubefed/names";
import { MEMBER_KINDS } from "@kubefed/placement";
import { Cursor } from "./cursor.ts";
import { Health } from "./health.ts";
import { KeyQueue } from "./keyqueue.ts";
import { isNamespaceKey } from "./keys.ts";
import { connectMember, type Member } from "./member.ts";
import { MemberCache } from "./membercache.ts";
import { OwnWrites } from "./ownwrites.ts";
import type { ClusterInfo, Projection } from "./projection.ts";
import { Reconciler } from "./reconciler.ts";
import { RECONCILE_RETRIES, type RunResult } from "./retry.ts";

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

/** The handle of one member cluster in a worker: its name, client, child logger, start/stop. */
export class ClusterWorker {
  private member: Member | undefined;
  private group: GroupMember | undefined;
  private readonly logger: Logger;
  private readonly queue: KeyQueue<RunResult>;
  private readonly writes = new OwnWrites();
  private readonly cache: MemberCache;
  private readonly reconciler: Reconciler;
  private readonly health: Health;
  private readonly cursor: Cursor;
  private active = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private info: ClusterInfo,
    private readonly o: ClusterWorkerOptions,
  ) {
    this.logger = childLogger(o.logger, { cluster: info.name });
    this.member = this.connect(info);
    this.queue = new KeyQueue(o.concurrency, (key) => this.reconciler.run(key), RECONCILE_RETRIES);
    const serving = (member: Member) => !this.stopped && this.active && this.member === member;
    this.cache = new MemberCache({
      federation: o.federation,
      logger: this.logger,
      serving,
      wanted: (key) => this.reconciler.wanted(key),
      services: () => o.projection.objectsOf("/Service").map(([k]) => k),
      changed: (key, change) => {
        if (this.writes.observed(key, change)) void this.queue.run(key);
      },
      reconcile: (key) => void this.queue.run(key),
      rebuild: (why) => void this.resync(why),
    });
    this.reconciler = new Reconciler({
      federation: o.federation,
      cluster: info.name,
      worker: o.worker,
      logger: this.logger,
      projection: o.projection,
      publish: o.publish,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      cache: this.cache,
      writes: this.writes,
      member: () => this.member,
      problem: () => this.info.problem,
      labels: () => this.info.labels,
      offline: () => this.health.ready === false,
      again: (key) => void this.queue.run(key),
    });
    this.health = new Health({
      cluster: info.name,
      worker: o.worker,
      logger: this.logger,
      publish: o.publish,
      probeIntervalMs: o.healthProbeIntervalMs,
      failuresToOffline: o.failuresToOffline,
      successesToReady: o.successesToReady,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      member: () => this.member,
      problem: () => this.info.problem,
      paused: () => this.cursor.paused,
      recovered: () => this.resume(),
    });
    const groupId = propagatorGroup(o.federation, info.name);
    this.cursor = new Cursor({
      logger: this.logger,
      log: o.projection,
      reconcile: (key) => this.queue.run(key),
      queued: () => this.queue.size,
      offline: () => this.health.ready === false,
      unreachable: () => void this.health.probe(),
      hasCommitted: async () =>
        (await o.kafka.committedOffsets(groupId, o.topic).catch(() => [])).some((c) => c.offset !== null),
      lag: (stage, seconds) => o.metrics?.lag(this.name, stage, seconds),
    });
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

  private connect(info: ClusterInfo): Member | undefined {
    return info.endpoint ? connectMember(info.name, info.endpoint, this.o.concurrency) : undefined;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.projection.subscribe((keys, through) =>
      this.cursor.folded(keys, through, this.active && this.health.ready === true && this.member !== undefined),
    );
    await this.health.start();
    let joined: (g: GroupMember) => void = () => undefined;
    const group = new Promise<GroupMember>((r) => (joined = r));
    this.group = await this.o.kafka.join({
      groupId: propagatorGroup(this.o.federation, this.info.name),
      topic: this.o.topic,
      // A member with a committed offset resumes there; a new one is positioned by the cursor.
      fromBeginning: false,
      sessionTimeoutMs: this.o.sessionTimeoutMs,
      onBatch: (b) => this.cursor.onBatch(b),
      onAssignment: (partitions) => {
        this.cursor.assigned(partitions, group);
        this.setActive(partitions.length > 0);
      },
    });
    joined(this.group);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.cursor.stop();
    this.health.stop();
    clearInterval(this.resyncTimer);
    this.queue.stop();
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
      this.cursor.dropEarlyRuns();
      this.member?.close();
      this.member = this.connect(info);
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
    this.logger.info({ active }, active ? "serving this cluster" : "standing by for this cluster");
    if (active) {
      void this.startWatchesAndResync();
      this.resyncTimer = setInterval(() => void this.resync("periodic resync"), this.o.resyncPeriodMs);
    } else {
      clearInterval(this.resyncTimer);
      this.cursor.dropEarlyRuns();
      this.stopWatches();
    }
  }

  /** The member answers again after a pause or Offline: resume the cursor and resync. */
  private resume(): void {
    this.cursor.resume();
    try {
      this.group?.resume();
    } catch (e) {
      // The consumer is restarting after a crash: it fetches from the committed offset anyway.
      this.logger.warn({ err: toFederationError(e).message }, "could not resume the cursor");
    }
    if (this.active) {
      this.stopWatches();
      void this.startWatchesAndResync();
    }
  }

  /** Lists and watches what the federation owns in the member (the cache), then converges. */
  private async startWatchesAndResync(why = "start"): Promise<void> {
    if (!this.member || this.stopped || !this.active) return;
    if (!(await this.cache.start(this.member, why))) return;
    // A new cursor starts where the projection stood when it was positioned: converge from there on.
    await this.cursor.ready;
    await this.converge(why);
  }

  /** Reconciles every key that is desired here or owned here (the cache says what the member has). */
  private async converge(why: string): Promise<void> {
    const keys = new Set<string>(this.cache.ownedKeys());
    for (const kind of MEMBER_KINDS) {
      for (const [key] of this.o.projection.objectsOf(`${kind.group}/${kind.kind}`)) {
        if (this.reconciler.wanted(key)) keys.add(key);
      }
    }
    const started = Date.now();
    // Namespaces first, so that their contents do not each have to create them.
    const namespaces = [...keys].filter(isNamespaceKey);
    await Promise.all(namespaces.map((k) => this.queue.run(k)));
    await Promise.all([...keys].filter((k) => !isNamespaceKey(k)).map((k) => this.queue.run(k)));
    this.logger.info({ keys: keys.size, ms: Date.now() - started, why }, "cluster resynced");
  }

  /** Relists the member (the cache starts over) and converges: the safety net behind the watches. */
  private async resync(why: string): Promise<void> {
    if (!this.member || !this.active || this.stopped) return;
    this.stopWatches();
    await this.startWatchesAndResync(why);
  }

  private stopWatches(): void {
    this.cache.stop();
    this.writes.forgetWritten();
  }
}
