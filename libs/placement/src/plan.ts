// The replica plan of a federated workload: which selected clusters get it and with how many replicas
// (ReplicaSet, Deployment: spec.replicas; Job: spec.parallelism and spec.completions; HorizontalPodAutoscaler:
// spec.minReplicas and spec.maxReplicas). The same object and the same cluster facts give the same plan,
// whatever their order: the propagator applies it, the ingest shows it in the object's status.
import type { JsonObject, KubeObject } from "@kubefed/events";
import { divideReplicas, type ClusterShare } from "./division.ts";
import { EVEN_SPLIT, parsePreferences, preferenceFor, preferencesAnnotation } from "./preferences.ts";
import type { ClusterFacts } from "./schedulability.ts";
import { isPlaced } from "./selector.ts";

/** The divided fields of one cluster's copy, by name (`replicas`, `parallelism`, ...): each goes under `spec`. */
export type ClusterPlan = Readonly<Record<string, number>>;

export interface ReplicaPlan {
  /** Every cluster that gets the object, with its fields; a selected cluster absent here does not get it. */
  readonly clusters: Readonly<Record<string, ClusterPlan>>;
  /** Replicas no cluster had room for (maxReplicas everywhere reached, or no cluster to take them). */
  readonly unplaced: number;
}

const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const groupOf = (apiVersion: unknown) =>
  typeof apiVersion === "string" && apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
const count = (v: unknown, fallback: number) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : fallback);

/** Whether the kind's replicas are divided across clusters. */
export function isDivided(object: KubeObject): boolean {
  const g = groupOf(object.apiVersion);
  return (
    (g === "apps" && (object.kind === "ReplicaSet" || object.kind === "Deployment")) ||
    (g === "batch" && object.kind === "Job") ||
    (g === "autoscaling" && object.kind === "HorizontalPodAutoscaler")
  );
}

const even = (clusters: readonly ClusterFacts[]): ClusterShare[] =>
  clusters.map((c) => ({ name: c.name, weight: 1, minReplicas: 0 }));

/**
 * The plan of `object` (identified by `key`, which orders remainders) over the federation's clusters, or
 * undefined when its kind is not divided. The cluster selector applies first. A malformed preferences
 * annotation (admission refuses those) places it nowhere, as a malformed selector does.
 */
export function planOf(object: KubeObject, key: string, clusters: readonly ClusterFacts[]): ReplicaPlan | undefined {
  if (!isDivided(object)) return undefined;
  const selected = clusters.filter((c) => isPlaced(object, c.labels));
  const spec = isObj(object.spec) ? object.spec : {};
  const ready = selected.filter((c) => c.schedulable);
  const annotationName = preferencesAnnotation(groupOf(object.apiVersion), String(object.kind));
  if (annotationName) {
    const annotations = isObj(object.metadata) && isObj(object.metadata.annotations) ? object.metadata.annotations : {};
    const raw = annotations[annotationName];
    const prefs = raw === undefined ? EVEN_SPLIT : typeof raw === "string" ? parsePreferences(raw) : undefined;
    if (!prefs) return { clusters: {}, unplaced: count(spec.replicas, 1) };
    const shares: ClusterShare[] = [];
    const out: Record<string, ClusterPlan> = {};
    for (const c of selected) {
      const p = preferenceFor(prefs, c.name);
      if (!p) continue;
      // Under rebalance an unschedulable cluster keeps the object, scaled to 0, until it is readmitted.
      out[c.name] = { replicas: 0 };
      if (!prefs.rebalance || c.schedulable) shares.push({ name: c.name, ...p });
    }
    const d = divideReplicas(count(spec.replicas, 1), shares, key);
    for (const [name, n] of Object.entries(d.replicas)) out[name] = { replicas: n };
    return { clusters: out, unplaced: d.unplaced };
  }
  if (object.kind === "Job") return jobPlan(spec, ready, key);
  return hpaPlan(spec, ready, key);
}

/**
 * completions divided evenly (clusters given none do not get the Job); parallelism divided likewise over the
 * clusters that got completions, each at least 1 and at most its completions. Without completions (a work
 * queue), parallelism alone is divided.
 */
function jobPlan(spec: JsonObject, clusters: readonly ClusterFacts[], key: string): ReplicaPlan {
  const parallelism = count(spec.parallelism, 1);
  if (spec.completions === undefined || spec.completions === null) {
    const d = divideReplicas(parallelism, even(clusters), key);
    return { clusters: mapValues(d.replicas, (n) => ({ parallelism: n })), unplaced: d.unplaced };
  }
  const completions = divideReplicas(count(spec.completions, 1), even(clusters), key);
  const placed = clusters.filter((c) => completions.replicas[c.name] !== undefined);
  const par = divideReplicas(parallelism, even(placed), key).replicas;
  const out = mapValues(completions.replicas, (n, name) => ({
    parallelism: Math.min(n, Math.max(1, par[name] ?? 0)),
    completions: n,
  }));
  return { clusters: out, unplaced: completions.unplaced };
}

/** maxReplicas divided evenly (clusters given none do not get the HPA); minReplicas likewise, each at least 1. */
function hpaPlan(spec: JsonObject, clusters: readonly ClusterFacts[], key: string): ReplicaPlan {
  const max = divideReplicas(count(spec.maxReplicas, 1), even(clusters), key);
  const placed = clusters.filter((c) => max.replicas[c.name] !== undefined);
  const min = divideReplicas(count(spec.minReplicas, 1), even(placed), key).replicas;
  const out = mapValues(max.replicas, (n, name) => ({
    minReplicas: Math.min(n, Math.max(1, min[name] ?? 0)),
    maxReplicas: n,
  }));
  return { clusters: out, unplaced: max.unplaced };
}

function mapValues<T>(r: Readonly<Record<string, number>>, f: (n: number, name: string) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v, k)]));
}

/** A copy of a member object with one cluster's planned fields set under `spec`. */
export function withPlan(member: KubeObject, plan: ClusterPlan): KubeObject {
  const spec = isObj(member.spec) ? member.spec : {};
  return { ...member, spec: { ...spec, ...plan } };
}

/** The plan as the federated object's status shows it: one entry per cluster, in name order. */
export function planStatus(plan: ReplicaPlan): JsonObject {
  const names = Object.keys(plan.clusters).sort();
  return {
    clusters: names.map((cluster) => ({ cluster, ...plan.clusters[cluster] })),
    ...(plan.unplaced > 0 ? { unplaced: plan.unplaced } : {}),
  };
}
