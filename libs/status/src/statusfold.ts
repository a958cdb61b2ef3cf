/**
 * The status model: a pure, deterministic fold of the `<fed>.status` topic, kept apart from the objects state
 * (which stays a pure fold of the objects log). Every ingest replica folds the same reports to the same model,
 * and so derives the same Events.
 *
 * Why not `evolve` + immer like libs/state: the model is a latest-per-key table that every report overwrites,
 * and the status topic is far chattier than the objects log. An immutable update would copy the per-object map
 * on every report; mutating Maps in place keeps a report O(1). The fold stays pure in what matters: no clock,
 * randomness, environment or I/O; the same reports in the same order give the same model.
 */
import {
  ObservedOutcome,
  StatusType,
  type JsonObject,
  type ObjectObservedReport,
  type ObjectRef,
  type StatusReport,
} from "@kubefed/events";
import { objectKey } from "@kubefed/names";

export interface ClusterHealth {
  readonly ready: boolean;
  readonly reason: string;
  readonly message: string;
  readonly region: string | null;
  readonly zones: readonly string[];
  /** Time of the latest report: the conditions' lastProbeTime. */
  readonly probeTime: string;
  /** Time of the report that last changed `ready`: the conditions' lastTransitionTime. */
  readonly transitionTime: string;
}

/** The latest outcome of one object in one member cluster. */
export interface Observation {
  readonly cluster: string;
  readonly outcome: ObservedOutcome;
  readonly message: string;
  readonly generation: number;
  /** The federation resourceVersion that was applied: it tells which incarnation of the object it is about. */
  readonly resourceVersion: string;
  readonly status: JsonObject | null;
  readonly time: string;
}

export const EventReason = {
  CreatedInCluster: "CreatedInCluster",
  FailedInCluster: "FailedInCluster",
  RemovedFromCluster: "RemovedFromCluster",
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

/** A Kubernetes Event derived from ObjectObserved reports; identical repeats aggregate into `count`. */
export interface DerivedEvent {
  /** `<object name>.<hex offset of its first report>`: unique in the federation, the same on every replica. */
  readonly name: string;
  /** The object's namespace; "default" for cluster-scoped objects (as Kubernetes records them). */
  readonly namespace: string;
  readonly involved: ObjectRef;
  /** The federation resourceVersion of the latest report ("" for a removal): which incarnation it is about. */
  readonly objectResourceVersion: string;
  readonly type: "Normal" | "Warning";
  readonly reason: EventReason;
  readonly message: string;
  readonly count: number;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
}

export interface StatusLimits {
  /** Events kept per object, newest kept. */
  readonly eventsPerObject: number;
  /** Objects with events kept; the one whose events changed least recently goes first. */
  readonly objectsWithEvents: number;
}

export const DEFAULT_STATUS_LIMITS: StatusLimits = { eventsPerObject: 50, objectsWithEvents: 5000 };

export interface StatusModel {
  readonly limits: StatusLimits;
  /** By cluster name. */
  readonly clusters: Map<string, ClusterHealth>;
  /** By object key (`objectKey`), then cluster name. Removed outcomes delete their entry. */
  readonly observed: Map<string, Map<string, Observation>>;
  /** By object key, oldest first; the Map's order is least recently changed first (for eviction). */
  readonly events: Map<string, DerivedEvent[]>;
  /** Offset of the last folded report; null before any. */
  lastOffset: string | null;
}

/** What one report changed, so the caller can tell watchers. */
export interface StatusDelta {
  /** A cluster whose health entry changed. */
  readonly cluster?: string;
  /** An object key whose observations changed. */
  readonly object?: string;
  /** Events created or aggregated by the report. */
  readonly upserted: readonly DerivedEvent[];
  /** Events dropped to keep memory bounded. */
  readonly evicted: readonly DerivedEvent[];
}

const NOTHING: StatusDelta = { upserted: [], evicted: [] };

export function initialStatusModel(limits: StatusLimits = DEFAULT_STATUS_LIMITS): StatusModel {
  return { limits, clusters: new Map(), observed: new Map(), events: new Map(), lastOffset: null };
}

/** Kubernetes timestamps have second precision. */
export function toKubeTime(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The Event a report produces, if any. A failure wins over `created` (a failed apply created nothing). */
export function eventOf(r: ObjectObservedReport): Pick<DerivedEvent, "type" | "reason" | "message"> | undefined {
  switch (r.outcome) {
    case ObservedOutcome.Failed:
      return {
        type: "Warning",
        reason: EventReason.FailedInCluster,
        message: `apply failed in cluster ${r.cluster}: ${r.message}`,
      };
    case ObservedOutcome.Removed:
      return { type: "Normal", reason: EventReason.RemovedFromCluster, message: `removed from cluster ${r.cluster}` };
    case ObservedOutcome.Applied:
      return r.created
        ? { type: "Normal", reason: EventReason.CreatedInCluster, message: `created in cluster ${r.cluster}` }
        : undefined;
    default: {
      const never: never = r.outcome;
      return never;
    }
  }
}

function foldHealth(model: StatusModel, r: Extract<StatusReport, { type: "ClusterHealth" }>): StatusDelta {
  const previous = model.clusters.get(r.cluster);
  const time = toKubeTime(r.time);
  model.clusters.set(r.cluster, {
    ready: r.ready,
    reason: r.reason,
    message: r.message,
    region: r.region,
    zones: [...r.zones],
    probeTime: time,
    transitionTime: previous && previous.ready === r.ready ? previous.transitionTime : time,
  });
  return { cluster: r.cluster, upserted: [], evicted: [] };
}

function recordEvent(
  model: StatusModel,
  r: ObjectObservedReport,
  key: string,
  offset: string,
): Pick<StatusDelta, "upserted" | "evicted"> {
  const e = eventOf(r);
  if (!e) return NOTHING;
  const time = toKubeTime(r.time);
  const list = model.events.get(key) ?? [];
  const i = list.findIndex((x) => x.type === e.type && x.reason === e.reason && x.message === e.message);
  let event: DerivedEvent;
  if (i >= 0) {
    const same = list[i]!;
    event = { ...same, count: same.count + 1, lastTimestamp: time, objectResourceVersion: r.resourceVersion };
    list.splice(i, 1);
  } else {
    event = {
      name: `${r.ref.name}.${BigInt(offset).toString(16).padStart(16, "0")}`,
      namespace: r.ref.namespace ?? "default",
      involved: r.ref,
      objectResourceVersion: r.resourceVersion,
      ...e,
      count: 1,
      firstTimestamp: time,
      lastTimestamp: time,
    };
  }
  list.push(event);
  const evicted = list.splice(0, Math.max(0, list.length - model.limits.eventsPerObject));
  // Delete and set again: the Map's order becomes "least recently changed first".
  model.events.delete(key);
  model.events.set(key, list);
  while (model.events.size > model.limits.objectsWithEvents) {
    const [oldest, events] = model.events.entries().next().value as [string, DerivedEvent[]];
    model.events.delete(oldest);
    evicted.push(...events);
  }
  return { upserted: [event], evicted };
}

function foldObserved(model: StatusModel, r: ObjectObservedReport, offset: string): StatusDelta {
  const key = objectKey(r.ref);
  const perCluster = model.observed.get(key) ?? new Map<string, Observation>();
  if (r.outcome === ObservedOutcome.Removed) perCluster.delete(r.cluster);
  else {
    perCluster.set(r.cluster, {
      cluster: r.cluster,
      outcome: r.outcome,
      message: r.message,
      generation: r.generation,
      resourceVersion: r.resourceVersion,
      status: r.status,
      time: toKubeTime(r.time),
    });
  }
  if (perCluster.size > 0) model.observed.set(key, perCluster);
  else model.observed.delete(key);
  return { object: key, ...recordEvent(model, r, key, offset) };
}

/**
 * Folds one report at its offset of the status topic. A redelivered offset (at or below the last one) changes
 * nothing. A later report for the same key supersedes the earlier one.
 */
export function foldStatus(model: StatusModel, report: StatusReport, position: { offset: string }): StatusDelta {
  if (model.lastOffset !== null && BigInt(position.offset) <= BigInt(model.lastOffset)) return NOTHING;
  model.lastOffset = position.offset;
  switch (report.type) {
    case StatusType.ClusterHealth:
      return foldHealth(model, report);
    case StatusType.ObjectObserved:
      return foldObserved(model, report, position.offset);
    default: {
      const never: never = report;
      return never;
    }
  }
}
