/**
 * How the status model shows through the API: merged into Clusters and federated objects on every read, and
 * turned into core/v1 Events. Pure: the objects side (the current object, where its incarnation began) comes
 * in as arguments.
 *
 * Precedence: the object's own `status` (written through the status subresource) is kept, and the reports win
 * for the fields they provide: the replica counters of workloads (all of them: a member omits a zero counter),
 * `loadBalancer`, a Service's `readyEndpoints`, `clusters`, and `observedGeneration` (the last two, once any
 * cluster has reported, say only what the reports say). Cluster conditions are merged by type; region and zones
 * come from the reports.
 */
import {
  ObservedOutcome,
  metaOf,
  type JsonObject,
  type JsonValue,
  type KubeObject,
  type ObjectRef,
} from "@kubefed/events";
import { apiVersionOf } from "@kubefed/names";
import { FEDERATION_GROUP, FEDERATION_VERSION, findKind } from "./resources.ts";
import type { ClusterHealth, DerivedEvent, Observation } from "@kubefed/status";

/** Workload kinds whose integer status counters add up across clusters. */
const SUMMED_KINDS: ReadonlySet<string> = new Set(["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"]);
/** Integers of those statuses that are not counters. */
const NOT_COUNTERS: ReadonlySet<string> = new Set(["observedGeneration", "collisionCount"]);
/**
 * Workload kinds whose member controller writes `status.observedGeneration`: a report without one is of a spec that
 * controller has not acted on yet (the propagator leaves a lagging one out), so its counters are the old spec's.
 */
const OBSERVED_KINDS: ReadonlySet<string> = new Set(["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"]);
/** Kinds whose member status carries load-balancer addresses. */
const LOAD_BALANCED_KINDS: ReadonlySet<string> = new Set(["Service", "Ingress"]);
/**
 * The propagator's count of a Service's ready endpoints in a member (from its EndpointSlices), added to the
 * member status it reports. Not a field of Kubernetes' ServiceStatus: the federation's own, named like
 * `readyReplicas`.
 */
export const READY_ENDPOINTS = "readyEndpoints";

export const EVENT_SOURCE = "federation-propagator";

const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const CLUSTER_API_VERSION = `${FEDERATION_GROUP}/${FEDERATION_VERSION}`;

export const isCluster = (o: KubeObject): boolean => o.apiVersion === CLUSTER_API_VERSION && o.kind === "Cluster";

export function isFederated(o: KubeObject): boolean {
  return (
    typeof o.apiVersion === "string" && typeof o.kind === "string" && findKind(o.apiVersion, o.kind)?.federated === true
  );
}

const ownStatus = (o: KubeObject): JsonObject => (isJsonObject(o.status) ? o.status : {});

/** Ready and Offline (its negation), as the original federation's ClusterStatus had them. */
export function clusterStatus(own: JsonObject, h: ClusterHealth): JsonObject {
  const condition = (type: string, status: boolean): JsonObject => ({
    type,
    status: status ? "True" : "False",
    lastProbeTime: h.probeTime,
    lastTransitionTime: h.transitionTime,
    reason: h.reason,
    message: h.message,
  });
  const reported = [condition("Ready", h.ready), condition("Offline", !h.ready)];
  const others = (Array.isArray(own.conditions) ? own.conditions : []).filter(
    (c) => !(isJsonObject(c) && (c.type === "Ready" || c.type === "Offline")),
  );
  return {
    ...own,
    conditions: [...reported, ...others],
    ...(h.region !== null ? { region: h.region } : {}),
    zones: [...h.zones],
  };
}

/**
 * True when an observation is about the object's current incarnation: it applied a resourceVersion at or after
 * the offset that created the object (a report for an earlier object of the same name is older than that).
 */
export function isCurrent(resourceVersion: string, createdAt: bigint | undefined): boolean {
  if (createdAt === undefined || !/^\d+$/.test(resourceVersion)) return false;
  return BigInt(resourceVersion) >= createdAt;
}

/** The object's status with the clusters' reports merged in; the own status alone when none applies. */
export function objectStatus(
  o: KubeObject,
  observations: Iterable<Observation> | undefined,
  createdAt: bigint | undefined,
): JsonObject | undefined {
  const current = [...(observations ?? [])]
    .filter((x) => x.outcome !== ObservedOutcome.Removed && isCurrent(x.resourceVersion, createdAt))
    .sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  if (current.length === 0) return isJsonObject(o.status) ? o.status : undefined;
  const kind = String(o.kind);
  const merged: JsonObject = { ...ownStatus(o) };
  if (SUMMED_KINDS.has(kind)) {
    // The reports own every counter: a member omits a zero one, so an own value must not show through.
    for (const [k, v] of Object.entries(merged))
      if (typeof v === "number" && Number.isInteger(v) && !NOT_COUNTERS.has(k)) delete merged[k];
    const sums: Record<string, number> = {};
    for (const x of current) {
      for (const [k, v] of Object.entries(x.status ?? {})) {
        if (typeof v === "number" && Number.isInteger(v) && !NOT_COUNTERS.has(k)) sums[k] = (sums[k] ?? 0) + v;
      }
    }
    Object.assign(merged, sums);
  }
  if (LOAD_BALANCED_KINDS.has(kind)) {
    const reporting = current.filter((x) => isJsonObject(x.status?.loadBalancer));
    if (reporting.length > 0) {
      const ingress: JsonValue[] = reporting.flatMap((x) => {
        const lb = x.status!.loadBalancer as JsonObject;
        return Array.isArray(lb.ingress) ? lb.ingress : [];
      });
      merged.loadBalancer = ingress.length > 0 ? { ingress } : {};
    }
  }
  if (kind === "Service") {
    // Summed over the clusters that report a count; absent when none does (a report without one: the count is
    // not known there, e.g. an apply that failed before the member had a copy). Never the object's own.
    const counts = current
      .map((x) => x.status?.[READY_ENDPOINTS])
      .filter((v): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0);
    if (counts.length > 0) merged[READY_ENDPOINTS] = counts.reduce((a, b) => a + b, 0);
    else delete merged[READY_ENDPOINTS];
  }
  const generation = metaOf(o).generation;
  const observedThere = (x: Observation) =>
    !OBSERVED_KINDS.has(kind) || typeof x.status?.observedGeneration === "number";
  if (
    typeof generation === "number" &&
    current.every((x) => x.outcome === ObservedOutcome.Applied && x.generation === generation && observedThere(x))
  ) {
    merged.observedGeneration = generation;
  } else delete merged.observedGeneration;
  merged.clusters = current.map((x) => ({
    name: x.cluster,
    outcome: x.outcome,
    message: x.message,
    generation: x.generation,
    ...(x.status !== null ? { status: x.status } : {}),
  }));
  return merged;
}

/** The object with `status` replaced (a new object: the stored one is frozen and shared). */
export function withStatus(o: KubeObject, status: JsonObject | undefined): KubeObject {
  if (status === undefined || status === o.status) return o;
  return { ...o, status };
}

/** A core/v1 Event for the API; `uid` is the involved object's when the event is about its current incarnation. */
export function eventObject(e: DerivedEvent, involvedUid: string | undefined, resourceVersion: string): KubeObject {
  const ref: ObjectRef = e.involved;
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: {
      name: e.name,
      namespace: e.namespace,
      // Stable across replicas and restarts: the name is unique in the federation.
      uid: `kubefed-event.${e.namespace}.${e.name}`,
      resourceVersion,
      creationTimestamp: e.firstTimestamp,
    },
    involvedObject: {
      kind: ref.kind,
      apiVersion: apiVersionOf(ref),
      ...(ref.namespace !== null ? { namespace: ref.namespace } : {}),
      name: ref.name,
      ...(involvedUid !== undefined ? { uid: involvedUid } : {}),
    },
    reason: e.reason,
    message: e.message,
    source: { component: EVENT_SOURCE },
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    count: e.count,
    type: e.type,
    eventTime: null,
    reportingComponent: EVENT_SOURCE,
    reportingInstance: "",
  };
}
