/**
 * Records in the objects log which member clusters take rebalanced replicas (the Cluster's `status.scheduling`,
 * with a `Schedulable` condition), from the health the status topic reports and libs/placement's damping rule.
 *
 * Why in the log: replica division depends on health, and health lives in the status topic, which each consumer
 * reads at its own pace. Recorded in the objects log, the decision has one position in one order: every
 * propagator worker folding the log to an offset divides with the same facts, so no two workers can disagree
 * about a cluster's share (they could if each read health itself).
 *
 * Every ingest replica runs this; no leader is needed. A decision is an UpdateObjectStatus of the Cluster with the
 * resourceVersion the replica saw as its precondition, so when two replicas take the same decision the fold
 * accepts the first and refuses the second (Conflict), and the second then sees it recorded. A replica whose
 * status topic is behind the report a recorded decision was based on (`basedOn`) keeps quiet until it catches
 * up, so a lagging replica cannot undo a newer decision with older health.
 */
import { randomUUID } from "node:crypto";
import { toFederationError, type KubeObject } from "@kubefed/events";
import type { Logger } from "@kubefed/logging";
import { nextScheduling, schedulingOf, withScheduling, type DampingRule } from "@kubefed/placement";
import { CommandType, objectsOfKind, type FederationState } from "@kubefed/state";
import type { ClusterHealth } from "@kubefed/status";
import type { CommandHandler } from "./commands.ts";
import { FEDERATION_GROUP, FEDERATION_VERSION } from "./resources.ts";

export interface SchedulingRecorderDeps {
  state(): FederationState;
  health(cluster: string): ClusterHealth | undefined;
  /** Offset of the last status report folded (null before any). */
  statusOffset(): string | null;
  commands: Pick<CommandHandler, "handle">;
  rule: DampingRule;
  logger: Logger;
  /** How often decisions are reviewed (a readmission falls due with time, not with a report). */
  intervalMs?: number;
}

const ACTOR = { user: "system:kubefed:scheduler", groups: ["system:masters"] };

export class SchedulingRecorder {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly d: SchedulingRecorderDeps) {}

  start(): void {
    this.timer = setInterval(() => this.review(), this.d.intervalMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Reviews every Cluster now (also called when a health report arrives). */
  review(): void {
    this.running ??= this.reviewAll().finally(() => (this.running = undefined));
  }

  private async reviewAll(): Promise<void> {
    const offset = this.d.statusOffset();
    if (offset === null) return;
    for (const [, cluster] of objectsOfKind(this.d.state(), `${FEDERATION_GROUP}/Cluster`)) {
      const name = String((cluster.metadata as { name?: string }).name);
      const record = schedulingOf(cluster);
      if (record && record.basedOn !== "" && BigInt(record.basedOn) > BigInt(offset)) continue;
      const h = this.d.health(name);
      const now = new Date().toISOString();
      const next = nextScheduling(
        record,
        h && { ready: h.ready, transitionTime: h.transitionTime },
        now,
        offset,
        this.d.rule,
      );
      if (next) await this.record(cluster, name, next);
    }
  }

  private async record(cluster: KubeObject, name: string, next: Parameters<typeof withScheduling>[1]): Promise<void> {
    const ref = { group: FEDERATION_GROUP, version: FEDERATION_VERSION, kind: "Cluster", namespace: null, name };
    try {
      await this.d.commands.handle(
        {
          type: CommandType.UpdateObjectStatus,
          data: { ref, object: { ...cluster, status: withScheduling(cluster, next) } },
          metadata: { eventId: randomUUID(), time: next.since, actor: ACTOR, requestId: `scheduling-${randomUUID()}` },
        },
        { resource: { group: FEDERATION_GROUP, resource: "clusters" } },
      );
      this.d.logger.info(
        { cluster: name, schedulable: next.schedulable, basedOn: next.basedOn },
        next.schedulable ? "cluster readmitted for rebalanced replicas" : "cluster takes no rebalanced replicas",
      );
    } catch (e) {
      // Another replica recorded a decision first (Conflict): the next review starts from it.
      this.d.logger.debug({ cluster: name, err: toFederationError(e).message }, "scheduling decision not recorded");
    }
  }
}
