// The replica preferences annotations of ReplicaSets and Deployments:
// {"rebalance": bool, "clusters": {"<name>|*": {"weight": n, "minReplicas": n, "maxReplicas": n}}}.
import {
  DEPLOYMENT_PREFERENCES_ANNOTATION,
  REPLICA_SET_PREFERENCES_ANNOTATION,
  isDNS1123Subdomain,
} from "@kubefed/names";
import { toFederationError } from "@kubefed/events";

export interface ClusterPreference {
  readonly weight: number;
  readonly minReplicas: number;
  readonly maxReplicas?: number;
}

export interface ReplicaPreferences {
  /** Offline (unschedulable) clusters get no replicas; their share goes to the others until they are back. */
  readonly rebalance: boolean;
  /** By cluster name; "*" for every cluster without its own entry. A cluster with neither gets nothing. */
  readonly clusters: Readonly<Record<string, ClusterPreference>>;
}

/** No annotation: an even split over the selected clusters that are schedulable. */
export const EVEN_SPLIT: ReplicaPreferences = { rebalance: true, clusters: { "*": { weight: 1, minReplicas: 0 } } };

/** The preferences annotation of a kind ("apps/ReplicaSet", "apps/Deployment"); undefined for other kinds. */
export function preferencesAnnotation(group: string, kind: string): string | undefined {
  if (group !== "apps") return undefined;
  if (kind === "ReplicaSet") return REPLICA_SET_PREFERENCES_ANNOTATION;
  if (kind === "Deployment") return DEPLOYMENT_PREFERENCES_ANNOTATION;
  return undefined;
}

const SHAPE =
  'must be a JSON object {"rebalance": bool, "clusters": {"<name>|*": {"weight", "minReplicas", "maxReplicas"}}}';
const FIELDS = ["weight", "minReplicas", "maxReplicas"] as const;
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Problems (human sentences, each naming its field) of an annotation value; [] when valid. */
export function preferencesProblems(value: string): string[] {
  return check(value, true).problems;
}

/** The preferences of an annotation value, or undefined when it is malformed (see `preferencesProblems`). */
export function parsePreferences(value: string): ReplicaPreferences | undefined {
  const { problems, preferences } = check(value, false);
  return problems.length === 0 ? preferences : undefined;
}

/**
 * `names`: also check that cluster names are DNS subdomains (at write time). The planner skips that: an entry
 * naming no cluster changes no plan, and it is the costly part of reading a large annotation.
 */
function check(value: string, names: boolean): { problems: string[]; preferences?: ReplicaPreferences } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return { problems: [`${SHAPE}: ${toFederationError(e).message}`] };
  }
  if (!isObj(parsed)) return { problems: [SHAPE] };
  const problems: string[] = [];
  for (const k of Object.keys(parsed))
    if (k !== "rebalance" && k !== "clusters") problems.push(`${k}: unknown field (${SHAPE})`);
  if (parsed.rebalance !== undefined && typeof parsed.rebalance !== "boolean")
    problems.push("rebalance: must be true or false");
  if (!isObj(parsed.clusters))
    return { problems: [...problems, "clusters: must be an object keyed by cluster name or *"] };
  const clusters: Record<string, ClusterPreference> = {};
  for (const [name, entry] of Object.entries(parsed.clusters)) {
    const at = `clusters[${name}]`;
    if (names && name !== "*")
      for (const m of isDNS1123Subdomain(name)) problems.push(`${at}: ${JSON.stringify(name)}: ${m}`);
    if (!isObj(entry)) {
      problems.push(`${at}: must be an object`);
      continue;
    }
    for (const k of Object.keys(entry))
      if (!(FIELDS as readonly string[]).includes(k)) problems.push(`${at}.${k}: unknown field`);
    for (const f of FIELDS)
      if (entry[f] !== undefined && !isCount(entry[f])) problems.push(`${at}.${f}: must be a non-negative integer`);
    const { weight = 0, minReplicas = 0, maxReplicas } = entry as Record<string, number | undefined>;
    if (isCount(minReplicas) && isCount(maxReplicas) && minReplicas > maxReplicas)
      problems.push(`${at}: minReplicas (${minReplicas}) must not exceed maxReplicas (${maxReplicas})`);
    clusters[name] = { weight, minReplicas, ...(maxReplicas !== undefined ? { maxReplicas } : {}) };
  }
  const entries = Object.values(clusters);
  if (entries.length > 0 && entries.every((c) => c.weight === 0))
    problems.push("clusters: every weight is 0, so no cluster can take the replicas above the minimums");
  if (problems.length > 0) return { problems };
  return { problems, preferences: { rebalance: parsed.rebalance === true, clusters } };
}

/** The preference that applies to a cluster: its own entry, else "*", else none (it gets nothing). */
export function preferenceFor(p: ReplicaPreferences, cluster: string): ClusterPreference | undefined {
  return Object.hasOwn(p.clusters, cluster)
    ? p.clusters[cluster]
    : Object.hasOwn(p.clusters, "*")
      ? p.clusters["*"]
      : undefined;
}
