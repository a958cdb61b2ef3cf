// Which member clusters take replicas under `rebalance`, with damping: the decision the ingest records in the
// Cluster's status (so that every propagator worker, folding the same log, divides by the same facts). Pure: the
// caller brings the health it folded from the status topic and the time.
import type { JsonObject, KubeObject } from "@kubefed/events";
import { metaOf } from "@kubefed/events";

/** The decision recorded under a Cluster's `status.scheduling`. */
export interface SchedulingRecord {
  readonly schedulable: boolean;
  /** When the decision was taken (RFC 3339). */
  readonly since: string;
  /** When the cluster was last made unschedulable, oldest first, within the damping window. */
  readonly offlines: readonly string[];
  /** Offset in `<fed>.status` of the health report the decision was taken on: a replica behind it keeps quiet. */
  readonly basedOn: string;
}

/** The cluster's health as the status topic says: Ready or not, and since when. */
export interface HealthFacts {
  readonly ready: boolean;
  readonly transitionTime: string;
}

/**
 * The damping rule. A cluster that is not Ready is unschedulable at once. A cluster that comes back is
 * readmitted once it has been Ready for `readmitAfterMs`, doubled for every other time it was made
 * unschedulable within `windowMs`, at most `maxReadmitAfterMs`: a cluster that flaps waits longer each time
 * instead of pulling replicas back and forth.
 */
export interface DampingRule {
  readonly readmitAfterMs: number;
  readonly maxReadmitAfterMs: number;
  readonly windowMs: number;
}

export const DEFAULT_DAMPING: DampingRule = { readmitAfterMs: 30_000, maxReadmitAfterMs: 600_000, windowMs: 1_800_000 };

/** The Ready time a cluster needs before it is readmitted, given its record. */
export function readmitDelayMs(record: SchedulingRecord, nowMs: number, rule: DampingRule): number {
  const recent = record.offlines.filter((t) => nowMs - Date.parse(t) <= rule.windowMs).length;
  return Math.min(rule.maxReadmitAfterMs, rule.readmitAfterMs * 2 ** Math.max(0, recent - 1));
}

/**
 * The record to write, or undefined when the current one stands. `statusOffset`: the offset of the latest
 * health report folded; `now`: RFC 3339.
 */
export function nextScheduling(
  record: SchedulingRecord | undefined,
  health: HealthFacts | undefined,
  now: string,
  statusOffset: string,
  rule: DampingRule,
): SchedulingRecord | undefined {
  if (!health) return undefined;
  const nowMs = Date.parse(now);
  const schedulable = record?.schedulable ?? true;
  if (!health.ready) {
    if (!schedulable) return undefined;
    const offlines = [...(record?.offlines ?? []), now].filter((t) => nowMs - Date.parse(t) <= rule.windowMs);
    return { schedulable: false, since: now, offlines, basedOn: statusOffset };
  }
  if (schedulable || !record) return undefined;
  if (nowMs - Date.parse(health.transitionTime) < readmitDelayMs(record, nowMs, rule)) return undefined;
  const offlines = record.offlines.filter((t) => nowMs - Date.parse(t) <= rule.windowMs);
  return { schedulable: true, since: now, offlines, basedOn: statusOffset };
}

const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The record in a Cluster object's status, if any. */
export function schedulingOf(cluster: KubeObject): SchedulingRecord | undefined {
  const s = isObj(cluster.status) ? cluster.status.scheduling : undefined;
  if (!isObj(s) || typeof s.schedulable !== "boolean") return undefined;
  return {
    schedulable: s.schedulable,
    since: typeof s.since === "string" ? s.since : "",
    offlines: Array.isArray(s.offlines) ? s.offlines.filter((t): t is string => typeof t === "string") : [],
    basedOn: typeof s.basedOn === "string" ? s.basedOn : "",
  };
}

/** The Cluster's status with a new record and its `Schedulable` condition (other fields kept). */
export function withScheduling(cluster: KubeObject, r: SchedulingRecord): JsonObject {
  const own = isObj(cluster.status) ? cluster.status : {};
  const others = (Array.isArray(own.conditions) ? own.conditions : []).filter(
    (c) => !(isObj(c) && c.type === "Schedulable"),
  );
  const condition: JsonObject = {
    type: "Schedulable",
    status: r.schedulable ? "True" : "False",
    lastTransitionTime: r.since.replace(/\.\d{3}Z$/, "Z"),
    reason: r.schedulable ? "Readmitted" : "Offline",
    message: r.schedulable
      ? "takes replicas again: Ready for the damping period"
      : "takes no replicas of rebalanced workloads while it is not Ready",
  };
  return {
    ...own,
    conditions: [...others, condition],
    scheduling: { schedulable: r.schedulable, since: r.since, offlines: [...r.offlines], basedOn: r.basedOn },
  };
}

/** What replica division knows of a member cluster. */
export interface ClusterFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** False while the recorded decision keeps rebalanced replicas away from it. */
  readonly schedulable: boolean;
}

/** The facts of a Cluster object of the federation. */
export function clusterFacts(cluster: KubeObject): ClusterFacts {
  const m = metaOf(cluster);
  return {
    name: String(m.name ?? ""),
    labels: m.labels ?? {},
    schedulable: schedulingOf(cluster)?.schedulable ?? true,
  };
}
