/**
 * One member's reconciles as the worker runs them: reconcile(cluster, key) against the member client with the
 * member cache's copy, own writes remembered for their echoes, and the outcome reported on the status topic
 * (only when it says something new). A failure is reported and returned; the key queue retries it (`retry.ts`).
 */
import {
  ErrorCode,
  FederationError,
  ObservedOutcome,
  StatusType,
  toFederationError,
  type KubeObject,
  type StatusReport,
} from "@kubefed/events";
import type { Logger } from "@kubefed/logging";
import { MEMBER_KINDS, memberKind, type ClusterFacts } from "@kubefed/placement";
import { withReadyEndpoints } from "./endpoints.ts";
import { parseObjectKey } from "./keys.ts";
import type { Member } from "./member.ts";
import type { MemberCache } from "./membercache.ts";
import type { OwnWrites } from "./ownwrites.ts";
import {
  desiredIn,
  reconcile,
  type PlacementContext,
  type ReconcileContext,
  type ReconcileResult,
} from "./reconcile.ts";
import type { RunResult } from "./retry.ts";

/** What a reconciler reads of the projection. */
export interface DesiredObjects {
  get(key: string): KubeObject | undefined;
  objectsOf(kindKey: string): [string, KubeObject][];
  /** The member clusters as the log records them, for replica division. */
  clusterFacts(): { readonly version: string; readonly facts: readonly ClusterFacts[] };
}

export interface ReconcilerOptions {
  readonly federation: string;
  readonly cluster: string;
  readonly worker: string;
  readonly logger: Logger;
  readonly projection: DesiredObjects;
  readonly publish: (report: StatusReport, onLost: () => void) => void;
  readonly metrics?: { reconciles: (cluster: string, result: string) => void };
  readonly cache: MemberCache;
  readonly writes: OwnWrites;
  /** The member client now (undefined without an endpoint), and why there is none. */
  member(): Member | undefined;
  problem(): string | undefined;
  labels(): Readonly<Record<string, string>>;
  /** Whether the member is known to be offline (nothing is tried: the recovery resync covers the key). */
  offline(): boolean;
  /** Asks for another run of the key (a watch event held during this one calls for it). */
  again(key: string): void;
}

export class Reconciler {
  /** The fingerprint of each key's last report: an unchanged outcome is not reported again. */
  private readonly lastReport = new Map<string, string>();

  constructor(private readonly o: ReconcilerOptions) {}

  /** What decides the desired object here: the federation's objects and this cluster's labels. */
  private placement(): PlacementContext {
    const p = this.o.projection;
    return {
      federation: this.o.federation,
      cluster: this.o.cluster,
      clusters: () => p.clusterFacts(),
      clusterLabels: this.o.labels(),
      desired: (k: string) => p.get(k),
      inNamespace: (ns: string) =>
        MEMBER_KINDS.filter((m) => m.namespaced).flatMap((m) =>
          p
            .objectsOf(`${m.group}/${m.kind}`)
            .filter(([k]) => parseObjectKey(k).namespace === ns)
            .map(([, o]) => o),
        ),
    };
  }

  /** Whether the federation places the key in this member. */
  wanted(key: string): boolean {
    return desiredIn(this.placement(), key) !== undefined;
  }

  /** What reconcile needs of this member; `actual`: the member's copy when the cache knows it. */
  private context(member: Member, actual: KubeObject | null | undefined): ReconcileContext {
    return {
      ...this.placement(),
      member,
      wrote: (key: string, rv: string) => this.o.writes.wrote(key, rv),
      ...(actual !== undefined ? { actual } : {}),
    };
  }

  /**
   * One reconcile of a key. A watch event for the key that arrives meanwhile is held (`OwnWrites`) and decided
   * here, once this run's write has answered: the member's echo of a write usually arrives before its answer, and
   * would otherwise reconcile the key once more for nothing.
   */
  async run(key: string): Promise<RunResult> {
    this.o.writes.begin(key);
    try {
      return await this.reconcileKey(key);
    } finally {
      if (this.o.writes.end(key)) this.o.again(key);
    }
  }

  private async reconcileKey(key: string): Promise<RunResult> {
    // Known offline: do not wait for timeouts; the recovery resync covers the key.
    if (this.o.offline()) return new FederationError(ErrorCode.Unreachable, `cluster ${this.o.cluster} is offline`);
    const member = this.o.member();
    if (!member) {
      this.o.logger.warn({ problem: this.o.problem() }, "cluster cannot be reached");
      return new FederationError(
        ErrorCode.Unavailable,
        `cluster ${this.o.cluster} cannot be reached: ${this.o.problem() ?? "no endpoint"}`,
      );
    }
    const actual = this.o.cache.cached(key);
    let result: ReconcileResult;
    try {
      result = await reconcile(this.context(member, actual), key);
    } catch (e) {
      const err = toFederationError(e);
      if (err.code === ErrorCode.Unreachable) {
        this.o.metrics?.reconciles(this.o.cluster, "unreachable");
        return err;
      }
      this.o.logger.warn(
        { key, err: err.message, code: err.code, retryable: err.retryable },
        err.retryable ? "reconcile failed; will retry" : "reconcile failed",
      );
      this.o.metrics?.reconciles(this.o.cluster, "failed");
      this.reportFailure(key, err, actual);
      return err;
    }
    this.o.metrics?.reconciles(this.o.cluster, result?.outcome ?? "none");
    if (result) {
      // An Applied Service is ours in the member: its report carries the member's ready endpoint count.
      this.report(
        key,
        result.outcome === ObservedOutcome.Applied
          ? { ...result, status: withReadyEndpoints(result.status, this.o.cache.readyEndpoints(key)) }
          : result,
      );
    } else this.lastReport.delete(key);
    return null;
  }

  private reportFailure(key: string, err: FederationError, actual: KubeObject | null | undefined): void {
    const fed = this.o.projection.get(key);
    const ref = parseObjectKey(key);
    const kind = memberKind(ref)!;
    this.report(key, {
      ref: { group: kind.group, version: kind.version, kind: kind.kind, namespace: ref.namespace, name: ref.name },
      generation: Number((fed?.metadata as { generation?: number } | undefined)?.generation ?? 0),
      resourceVersion: String((fed?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? ""),
      outcome: ObservedOutcome.Failed,
      message: `apply failed: ${err.message}`,
      created: false,
      // The member's copy, when it is ours, still serves its endpoints.
      status: actual && this.o.cache.owns(actual) ? withReadyEndpoints(null, this.o.cache.readyEndpoints(key)) : null,
    });
  }

  private report(key: string, r: NonNullable<ReconcileResult>): void {
    // Only changes are worth a message: "unchanged" with the same status (ready endpoints included) says nothing new.
    const fingerprint = JSON.stringify([
      r.outcome,
      r.generation,
      r.outcome === ObservedOutcome.Failed ? r.message : "",
      r.status,
    ]);
    if (this.lastReport.get(key) === fingerprint && !r.created) return;
    this.lastReport.set(key, fingerprint);
    this.o.publish(
      {
        type: StatusType.ObjectObserved,
        cluster: this.o.cluster,
        time: new Date().toISOString(),
        worker: this.o.worker,
        ...r,
      },
      () => this.lastReport.delete(key),
    );
  }
}
