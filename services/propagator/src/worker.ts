/**
 * A propagator worker: one projection of the objects log, and a ClusterWorker for each member cluster it serves
 * (`--clusters a,b`, `--region R`, or all). Clusters come and go with the Cluster objects in the log.
 */
import { hostname } from "node:os";
import { encodeStatus, toFederationError, type Keyring, type StatusReport } from "@kubefed/events";
import type { Appender, KafkaClient } from "@kubefed/kafka";
import type { Logger } from "@kubefed/logging";
import { objectsTopic, REGION_LABEL, snapshotsTopic, statusTopic } from "@kubefed/names";
import { SnapshotStore } from "@kubefed/follower";
import type { ClusterSelection } from "@kubefed/config";
import { ClusterWorker, type ClusterWorkerOptions } from "./cluster.ts";
import { isFederationSecretKey, kindKeyOf } from "./keys.ts";
import { CLUSTER_KIND_KEY, Projection, type ClusterInfo } from "./projection.ts";

export interface WorkerOptions extends Omit<
  ClusterWorkerOptions,
  "worker" | "topic" | "projection" | "publish" | "kafka"
> {
  readonly kafka: KafkaClient;
  readonly keyring: Keyring | undefined;
  readonly selection: ClusterSelection;
  readonly worker?: string;
}

export function selects(selection: ClusterSelection, c: Pick<ClusterInfo, "name" | "labels">): boolean {
  if (selection.kind === "all") return true;
  if (selection.kind === "clusters") return selection.clusters.includes(c.name);
  return c.labels[REGION_LABEL] === selection.region;
}

/** How long a status report waits for others to share its append (see `publish`). */
const STATUS_LINGER_MS = 100;

export class Worker {
  readonly projection: Projection;
  private readonly clusters = new Map<string, { worker: ClusterWorker; version: string; starting: Promise<void> }>();
  private appender: Appender | undefined;
  private pending: { report: StatusReport; onLost: () => void }[] = [];
  private flushing: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly name: string;
  private refreshing = Promise.resolve();

  constructor(private readonly o: WorkerOptions) {
    this.name = o.worker ?? `${hostname()}/${process.pid}`;
    const snapshots = new SnapshotStore({
      source: o.kafka,
      topic: snapshotsTopic(o.federation),
      objectsTopic: objectsTopic(o.federation),
      keyring: o.keyring,
    });
    this.projection = new Projection(
      o.kafka,
      objectsTopic(o.federation),
      o.keyring,
      (offset, err) => o.logger.error({ offset, err: err.message }, "skipped an event that can never be decoded"),
      snapshots.loader(
        (reason) => o.logger.info({ reason }, "folding the objects log from offset 0"),
        (snap) => o.logger.info({ position: String(snap.position) }, "starting from a snapshot of the objects state"),
      ),
    );
  }

  /** Cluster workers by name (for health endpoints and tests). */
  get clusterWorkers(): ClusterWorker[] {
    return [...this.clusters.values()].map((c) => c.worker);
  }

  async start(): Promise<void> {
    this.appender = await this.o.kafka.appender();
    await this.projection.start();
    this.unsubscribe = this.projection.subscribe((keys) => {
      // A Cluster, or member credentials (a Secret of the federation's system namespace).
      if (keys.some((k) => kindKeyOf(k) === CLUSTER_KIND_KEY || isFederationSecretKey(k))) {
        this.scheduleRefresh();
      }
    });
    this.scheduleRefresh();
    await this.refreshing;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.clusters.values()].map((c) => c.worker.stop()));
    this.clusters.clear();
    await this.flush();
    await this.projection.stop();
    await this.appender?.close();
  }

  private scheduleRefresh(): void {
    this.refreshing = this.refreshing
      .then(() => this.refresh())
      .catch((e: unknown) => this.o.logger.error({ err: toFederationError(e).message }, "cluster refresh failed"));
  }

  /** Starts, updates and stops cluster workers to match the Cluster objects this worker selects. */
  private async refresh(): Promise<void> {
    const wanted = new Map(
      this.projection
        .clusters()
        .filter((c) => selects(this.o.selection, c))
        .map((c) => [c.name, c]),
    );
    for (const [name, c] of this.clusters) {
      if (!wanted.has(name)) {
        this.clusters.delete(name);
        this.o.logger.info({ cluster: name }, "cluster left the federation (or this worker's selection)");
        await c.worker.stop();
      }
    }
    for (const [name, info] of wanted) {
      const existing = this.clusters.get(name);
      if (existing) {
        if (existing.version !== info.version) {
          existing.version = info.version;
          existing.worker.update(info);
        }
        continue;
      }
      const worker = new ClusterWorker(info, {
        ...this.o,
        worker: this.name,
        topic: objectsTopic(this.o.federation),
        projection: this.projection,
        publish: (r, onLost) => this.publish(r, onLost),
      });
      const starting = worker.start().catch(async (e: unknown) => {
        this.o.logger.error(
          { cluster: name, err: toFederationError(e).message },
          "cannot start serving the cluster; retrying in 5s",
        );
        // Forget it so that the next refresh starts it again.
        if (this.clusters.get(name)?.worker === worker) this.clusters.delete(name);
        await worker.stop().catch(() => undefined);
        setTimeout(() => this.scheduleRefresh(), 5000).unref();
      });
      this.clusters.set(name, { worker, version: info.version, starting });
      this.o.logger.info({ cluster: name, problem: info.problem }, "serving cluster");
    }
    // Wait for the ones started now (not a retry loop of an earlier failure).
    await Promise.all([...this.clusters.values()].map((c) => c.starting));
  }

  /**
   * Status reports are appended in batches, at most STATUS_LINGER_MS after the first one waiting: a resync or a
   * burst finishes hundreds of reconciles a second, and every append is a produce request to the broker and a
   * fetch by each ingest's status tail. Status is an observation, so a tenth of a second adds nothing anyone waits on.
   */
  private publish(report: StatusReport, onLost: () => void): void {
    this.pending.push({ report, onLost });
    this.flushing ??= new Promise<void>((r) => setTimeout(r, STATUS_LINGER_MS)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.flushing = undefined;
    if (batch.length === 0 || !this.appender) return;
    try {
      await this.appender.append(
        statusTopic(this.o.federation),
        batch.map((p) => encodeStatus(p.report)),
      );
    } catch (e) {
      // Status is an observation: its producer reports again at the next reconcile or probe.
      this.o.logger.warn(
        { err: toFederationError(e).message, reports: batch.length },
        "could not publish status reports",
      );
      for (const p of batch) p.onLost();
    }
  }
}
