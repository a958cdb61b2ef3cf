/**
 * What `kubefed join` and `kubefed unjoin` share: kubeconfig contexts, the rights a federation gets in a member,
 * and turning client errors into the one line the CLI prints.
 */
import { readFileSync } from "node:fs";
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
  type V1Node,
  type V1PolicyRule,
} from "@kubernetes/client-node";
import { REGION_LABEL, ZONE_LABEL, isDNS1123Label, validateLabels } from "@kubefed/names";
import { MEMBER_KINDS, type MemberKind } from "@kubefed/placement";

/** Where the federation's Cluster kind is served. */
export const CLUSTER_API = { group: "federation", version: "v1beta1", plural: "clusters" } as const;

/** Field manager of the objects `kubefed join` applies in a member. */
export const JOIN_FIELD_MANAGER = "kubefed";

export type FederatedType = MemberKind;

/** The propagated kinds (libs/placement), Namespace last: cleanup empties namespaces before deleting them. */
export const FEDERATED_TYPES: readonly FederatedType[] = [
  ...MEMBER_KINDS.filter((k) => k.namespaced),
  ...MEMBER_KINDS.filter((k) => !k.namespaced),
];

const WRITE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ_VERBS = ["get", "list", "watch"];

/**
 * The rules of the member ClusterRole: full control of the federated types only, read access to nodes
 * (topology) and EndpointSlices (healthy endpoints for DNS). Deliberately no wildcard: a member grants the
 * federation what it propagates, not cluster-admin.
 */
export function memberClusterRoleRules(): V1PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const ft of FEDERATED_TYPES) byGroup.set(ft.group, [...(byGroup.get(ft.group) ?? []), ft.plural]);
  return [
    ...[...byGroup].map(([group, resources]) => ({ apiGroups: [group], resources, verbs: WRITE_VERBS })),
    { apiGroups: [""], resources: ["nodes"], verbs: READ_VERBS },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ_VERBS },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------------------

/** Parses `--labels k=v,k2=v2` into a map, refusing anything Kubernetes would refuse as a label. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined || text.trim() === "") return labels;
  for (const raw of text.split(",")) {
    const pair = raw.trim();
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new Error(`--labels: expected key=value, got "${pair}" (for example --labels env=prod,tier=gold)`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (key in labels) throw new Error(`--labels: label "${key}" is given twice`);
    labels[key] = value;
  }
  const errs = validateLabels(labels, "--labels");
  if (errs.length > 0) throw new Error(`--labels: ${errs[0]!.message}`);
  return labels;
}

/** A region or zone becomes a DNS label of the Service names, so it must be a DNS-1123 label. */
export function checkTopologyValue(flag: string, value: string | undefined): void {
  if (value === undefined) return;
  const errs = isDNS1123Label(value);
  if (errs.length > 0) throw new Error(`${flag} "${value}": ${errs[0]}`);
}

/**
 * The region and zone of a member from its nodes' topology labels: a value is taken only when every labelled
 * node agrees on it (a Cluster has one region and one zone label).
 */
export function topologyFromNodes(nodes: readonly V1Node[]): { region?: string; zone?: string } {
  const only = (label: string): string | undefined => {
    const values = new Set(
      nodes.map((n) => n.metadata?.labels?.[label]).filter((v): v is string => v !== undefined && v !== ""),
    );
    return values.size === 1 ? [...values][0] : undefined;
  };
  const region = only(REGION_LABEL);
  const zone = only(ZONE_LABEL);
  return { ...(region !== undefined ? { region } : {}), ...(zone !== undefined ? { zone } : {}) };
}

// ---------------------------------------------------------------------------------------------------------
// Kubeconfig
// ---------------------------------------------------------------------------------------------------------

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot read the kubeconfig${path ? ` ${path}` : ""}: ${oneLine(err)}`);
  }
  return kc;
}

/** A copy of the kubeconfig set to one context; `flag` names the option that chose it, for the message. */
export function forContext(kc: KubeConfig, context: string, flag: string): KubeConfig {
  const ctx = kc.getContextObject(context);
  if (!ctx) throw new Error(`${flag}: context "${context}" does not exist in the kubeconfig`);
  if (!kc.getCluster(ctx.cluster))
    throw new Error(`${flag}: context "${context}" refers to cluster "${ctx.cluster}", which is not in the kubeconfig`);
  const copy = new KubeConfig();
  copy.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: context });
  return copy;
}

export function serverOf(kc: KubeConfig): string {
  return kc.getCurrentCluster()!.server;
}

/** The PEM CA bundle the kubeconfig trusts for its current cluster; undefined for the system store or insecure. */
export function caOf(kc: KubeConfig): string | undefined {
  const c = kc.getCurrentCluster()!;
  if (c.skipTLSVerify) return undefined;
  if (c.caData) return Buffer.from(c.caData, "base64").toString("utf8");
  if (c.caFile) {
    try {
      return readFileSync(c.caFile, "utf8");
    } catch (err) {
      throw new Error(`cannot read the certificate authority of cluster "${c.name}": ${oneLine(err)}`);
    }
  }
  return undefined;
}

/** Same server? Compares scheme, host and port, so `https://h:443/` equals `h`. */
export function sameServer(a: string, b: string): boolean {
  const norm = (s: string): string | undefined => {
    try {
      const u = new URL(/^[a-z]+:\/\//i.test(s) ? s : `https://${s}`);
      return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
    } catch {
      return undefined;
    }
  };
  const x = norm(a);
  return x !== undefined && x === norm(b);
}

/** The contexts of the kubeconfig whose cluster is served at `server`. */
export function contextsForServer(kc: KubeConfig, server: string): string[] {
  return kc.contexts
    .filter((c) => {
      const cluster = kc.getCluster(c.cluster);
      return cluster !== null && sameServer(cluster.server, server);
    })
    .map((c) => c.name);
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/** Any error as one line (client-node's ApiException message spans several). */
export function oneLine(err: unknown): string {
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    const code = err.code as number;
    return status?.message
      ? status.message
      : code === 401
        ? "Unauthorized (401): the credentials were refused"
        : code === 403
          ? "Forbidden (403)"
          : `HTTP ${code}`;
  }
  const text = err instanceof Error ? err.message : String(err);
  // node-fetch: "request to https://... failed, reason: connect ECONNREFUSED 127.0.0.1:1"
  const reason = /failed, reason: (.*)$/s.exec(text)?.[1] ?? text;
  return reason.replace(/\s*\n\s*/g, " ").trim();
}

function parseStatus(body: unknown): { message?: string; reason?: string } | undefined {
  if (typeof body === "object" && body !== null) return body as { message?: string };
  if (typeof body !== "string") return undefined;
  try {
    return JSON.parse(body) as { message?: string };
  } catch {
    return undefined;
  }
}

export const statusCode = (err: unknown): number | undefined =>
  err instanceof ApiException ? (err.code as number) : undefined;

/** True when the request never got an HTTP answer (refused, reset, DNS, TLS, timeout). */
export const isNetworkError = (err: unknown): boolean => !(err instanceof ApiException);

/**
 * Asks the API server for its version with a deadline: the cheapest request that proves the URL answers
 * and speaks Kubernetes. `what` names the server in the message, e.g. `cluster at https://...`.
 */
export async function checkReachable(kc: KubeConfig, what: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
  });
  try {
    await Promise.race([kc.makeApiClient(VersionApi).getCode(), deadline]);
  } catch (err) {
    // An HTTP answer other than 2xx still proves the server is there; the next request will say what is wrong.
    if (!isNetworkError(err)) return;
    throw new Error(`cannot reach ${what}: ${oneLine(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The federation API of `fed`: proves it is one (it serves Cluster) and that `name` is free. */
export async function checkFederation(fed: KubeConfig, context: string): Promise<CustomObjectsApi> {
  const custom = fed.makeApiClient(CustomObjectsApi);
  try {
    await custom.listClusterCustomObject({ ...CLUSTER_API, limit: 1 });
  } catch (err) {
    if (isNetworkError(err)) throw new Error(`cannot reach the federation API at ${serverOf(fed)}: ${oneLine(err)}`);
    if (statusCode(err) === 404)
      throw new Error(
        `context "${context}" is not a federation API: it serves no ${CLUSTER_API.plural}.${CLUSTER_API.group}/${CLUSTER_API.version}`,
      );
    throw new Error(`the federation API at ${serverOf(fed)} refused to list clusters: ${oneLine(err)}`);
  }
  return custom;
}

/** "2 configmaps, 1 deployment": a count per kind, singular or plural. */
export function formatCounts(counts: ReadonlyMap<FederatedType, number>): string {
  const parts = [...counts]
    .filter(([, n]) => n > 0)
    .map(([ft, n]) => `${n} ${n === 1 ? ft.kind.toLowerCase() : ft.plural}`);
  return parts.length > 0 ? parts.join(", ") : "nothing";
}
