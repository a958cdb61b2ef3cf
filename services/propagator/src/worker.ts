/**
 * A propagator worker: one projection of the objects log, and a ClusterWorker for each member cluster it serves
 * (`--clusters a,b`, `--region R`, or all). Clusters come and go with the Cluster objects in the log.
 */
import { hostname } from "node:os";
import { encodeStatus, type Keyring, type StatusReport } from "@kubefed/events";
import type { Appender, KafkaClient } from "@kubefed/kafka";
import type { Logger } from "@kubefed/logging";
import { FEDERATION_SYSTEM_NAMESPACE, objectsTopic, REGION_LABEL, statusTopic } from "@kubefed/names";
import type { ClusterSelection } from "@kubefed/config";
import { ClusterWorker, type ClusterWorkerOptions } from "./cluster.ts";
import { CLUSTER_KIND_KEY, Projection, type ClusterInfo } from "./projection.ts";

export interface WorkerOptions extends Omit<ClusterWorkerOptions, "worker" | "topic" | "projection" | "publish" | "kafka"> {
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

export class Worker {
  readonly projection: Projection;
  private readonly clusters = new Map<string, { worker: ClusterWorker; version: string; starting: Promise<void> }>();
  private appender: Appender | undefined;
  private pending: StatusReport[] = [];
  private flushing: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly name: string;
  private refreshing = Promise.resolve();

  constructor(private readonly o: WorkerOptions) {
    this.name = o.worker ?? `${hostname()}/${process.pid}`;
    this.projection = new Projection(o.kafka, objectsTopic(o.federation), o.keyring, (offset, err) =>
      o.logger.error({ offset, err: err.message }, "skipped an event that can never be decoded"),
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
      if (keys.some((k) => k.startsWith(`${CLUSTER_KIND_KEY}/`) || k.startsWith(`/Secret/${FEDERATION_SYSTEM_NAMESPACE}/`))) {
        this.refreshing = this.refreshing.then(() => this.refresh());
      }
    });
    this.refreshing = this.refreshing.then(() => this.refresh());
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

  /** Starts, updates and stops cluster workers to match the Cluster objects this worker selects. */
  private async refresh(): Promise<void> {
    const wanted = new Map(this.projection.clusters().filter((c) => selects(this.o.selection, c)).map((c) => [c.name, c]));
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
        publish: (r) => this.publish(r),
      });
      const starting = worker.start().catch((e: unknown) => this.o.logger.error({ cluster: name, err: (e as Error).message }, "cannot start serving the cluster"));
      this.clusters.set(name, { worker, version: info.version, starting });
      this.o.logger.info({ cluster: name, problem: info.problem }, "serving cluster");
    }
    await Promise.all([...this.clusters.values()].map((c) => c.starting));
  }

  /** Status reports are appended in small batches: many reconciles finish at once. */
  private publish(report: StatusReport): void {
    this.pending.push(report);
    this.flushing ??= new Promise<void>((r) => setTimeout(r, 20)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.flushing = undefined;
    if (batch.length === 0 || !this.appender) return;
    try {
      await this.appender.append(statusTopic(this.o.federation), batch.map((r) => encodeStatus(r)));
    } catch (e) {
      // Status is an observation: the next change reports again. Losing one costs freshness, not correctness.
      this.o.logger.warn({ err: (e as Error).message, reports: batch.length }, "could not publish status reports");
    }
  }
}
